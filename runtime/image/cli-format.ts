// Output formats of `tinykube image ls` and `inspect`, after docker's:
// decimal sizes with three significant digits (go-units' HumanSize), ages in
// words (go-units' HumanDuration), and docker's `image inspect` JSON.

import type { StoredImage } from './store.js';
import { digestHex } from './digest.js';

const sizeUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** 1234567 → "1.23MB", as docker prints image sizes. */
export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < sizeUnits.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${sizeUnits[unit]}`;
}

/** Formats an age in docker's words: "Less than a second", "3 minutes", "About an hour", "2 weeks". */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** Lays out rows in columns separated by at least three spaces, like Go's tabwriter in docker's tables. */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => { widths[index] = Math.max(widths[index] ?? 0, cell.length); });
  return rows.map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd((widths[index] ?? 0) + 3))).join('')).join('\n');
}

export function imageTableRows(images: StoredImage[], now: number): string[][] {
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
  const sorted = [...images].sort((a, b) => (b.configFile.created ?? '').localeCompare(a.configFile.created ?? ''));
  for (const image of sorted) {
    const created = image.configFile.created ? `${humanDuration(now - Date.parse(image.configFile.created))} ago` : 'N/A';
    const id = digestHex(image.id).slice(0, 12);
    for (const reference of image.references) {
      const colon = reference.lastIndexOf(':');
      rows.push([reference.slice(0, colon), reference.slice(colon + 1), id, created, humanSize(image.size)]);
    }
  }
  return rows;
}

export interface GraphDriverPaths {
  lowerDirs: string[];
  upperDir: string;
  mergedDir: string;
  workDir: string;
}

/** Builds the object `docker image inspect` prints for one image. */
export function inspectImage(image: StoredImage, graphDriver: GraphDriverPaths | undefined): Record<string, unknown> {
  const config = image.configFile;
  return {
    Id: image.id,
    RepoTags: image.references,
    RepoDigests: image.references.map((reference) => `${reference.slice(0, reference.lastIndexOf(':'))}@${image.manifestDigest}`),
    Parent: '',
    Comment: config.history?.at(-1)?.comment ?? '',
    Created: config.created ?? '',
    Config: config.config ?? {},
    Architecture: config.architecture,
    Os: config.os,
    Size: image.size,
    GraphDriver: graphDriver
      ? {
        Name: 'overlay',
        Data: {
          ...(graphDriver.lowerDirs.length > 0 ? { LowerDir: graphDriver.lowerDirs.join(':') } : {}),
          MergedDir: graphDriver.mergedDir,
          UpperDir: graphDriver.upperDir,
          WorkDir: graphDriver.workDir,
        },
      }
      : { Name: 'overlay', Data: null },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    History: config.history ?? [],
  };
}
