// Reading container logs in the CRI format that tkinit's monitor writes:
//   2016-10-06T00:17:09.669794202Z stdout F line
// Rotated files are PATH.N (oldest) … PATH.1, then PATH itself.

import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

import type { LogLine, LogOptions } from './cri.js';

export function parseLogLine(text: string): LogLine | undefined {
  const match = /^(\S+) (stdout|stderr) (F|P) (.*)$/s.exec(text);
  if (!match) return undefined;
  return { time: match[1], stream: match[2] as LogLine['stream'], tag: match[3] as LogLine['tag'], content: match[4] };
}

/** Lists the log's files, oldest first. */
export async function logFiles(path: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dirname(path));
  } catch {
    return [];
  }
  const prefix = `${basename(path)}.`;
  const rotated = entries
    .filter((entry) => entry.startsWith(prefix) && /^\d+$/.test(entry.slice(prefix.length)))
    .map((entry) => Number(entry.slice(prefix.length)))
    .sort((a, b) => b - a)
    .map((index) => `${path}.${index}`);
  return entries.includes(basename(path)) ? [...rotated, path] : rotated;
}

async function readWhole(path: string): Promise<string> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

function sinceFilter(options: LogOptions): (line: LogLine) => boolean {
  if (options.sinceTime === undefined) return () => true;
  const since = options.sinceTime;
  return (line) => Date.parse(line.time) >= since;
}

/** Emits lines while honouring limitBytes; returns false once the limit is reached. */
function emitter(options: LogOptions, write: (line: LogLine) => void): (line: LogLine) => boolean {
  let remaining = options.limitBytes ?? Infinity;
  return (line) => {
    if (remaining <= 0) return false;
    const bytes = Buffer.byteLength(line.content) + (line.tag === 'F' ? 1 : 0);
    if (bytes > remaining) {
      write({ ...line, content: Buffer.from(line.content).subarray(0, remaining).toString('utf8'), tag: 'P' });
      remaining = 0;
      return false;
    }
    remaining -= bytes;
    write(line);
    return true;
  };
}

/**
 * Reads the log files from the oldest. With `follow`, it keeps reading the
 * current file and switches to the new one after a rotation. It stops once
 * `isRunning` reports the container gone and nothing is left, or on abort.
 */
export async function readContainerLogs(path: string, options: LogOptions, isRunning: () => Promise<boolean>, write: (line: LogLine) => void): Promise<void> {
  const accept = sinceFilter(options);
  const emit = emitter(options, write);
  const files = await logFiles(path);

  const lines: LogLine[] = [];
  for (const file of files.slice(0, -1)) lines.push(...parseText(await readWhole(file)).filter(accept));
  const current = files.at(-1) === path ? await readWhole(path) : '';
  lines.push(...parseText(current).filter(accept));
  const selected = options.tailLines !== undefined && options.tailLines >= 0 ? lines.slice(Math.max(0, lines.length - options.tailLines)) : lines;
  for (const line of selected) if (!emit(line)) return;

  if (options.follow) await follow(path, Buffer.byteLength(current), accept, emit, isRunning, options.signal);
}

function parseText(text: string): LogLine[] {
  return text.split('\n').filter(Boolean).map(parseLogLine).filter((line): line is LogLine => line !== undefined);
}

async function follow(
  path: string,
  offset: number,
  accept: (line: LogLine) => boolean,
  emit: (line: LogLine) => boolean,
  isRunning: () => Promise<boolean>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let position = offset;
  let inode = (await stat(path).catch(() => undefined))?.ino;
  let pending = '';
  for (;;) {
    if (signal?.aborted) return;
    const running = await isRunning();
    const current = await stat(path).catch(() => undefined);
    if (current && current.ino !== inode) {
      // Rotated: finish the old file (now PATH.1), then start the new one from its beginning.
      const chunk = await readFrom(`${path}.1`, position);
      if (!flush(pending + chunk.text, accept, emit)) return;
      pending = '';
      inode = current.ino;
      position = 0;
    }
    const chunk = await readFrom(path, position);
    position += chunk.bytes;
    const text = pending + chunk.text;
    const end = text.lastIndexOf('\n');
    if (!flush(text.slice(0, end + 1), accept, emit)) return;
    pending = text.slice(end + 1);
    if (!running && chunk.bytes === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function flush(text: string, accept: (line: LogLine) => boolean, emit: (line: LogLine) => boolean): boolean {
  for (const line of parseText(text)) if (accept(line) && !emit(line)) return false;
  return true;
}

async function readFrom(path: string, position: number): Promise<{ text: string; bytes: number }> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    return { text: '', bytes: 0 };
  }
  try {
    const { size } = await file.stat();
    if (size <= position) return { text: '', bytes: 0 };
    const buffer = Buffer.alloc(size - position);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), bytes: bytesRead };
  } finally {
    await file.close();
  }
}
