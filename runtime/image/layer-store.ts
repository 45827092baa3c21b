// Unpacked layers keyed by diffID (the sha256 of the uncompressed tarball),
// each next to the blob it came from. A layer dir appears under layers/ only
// once its content and its layer.json are complete: both are prepared under
// tmp/ and the finished dir is renamed in.

import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Digest, isDigest } from './digest.js';
import type { BlobStore } from './blob-store.js';
import type { StoreLayout } from './layout.js';
import { mediaTypes } from './oci.js';
import { writeLayerTar } from './tar-writer.js';

export interface LayerRecord {
  diffID: Digest;
  /** The blob the layer is distributed as: the tarball itself, or its compressed form. */
  blobDigest: Digest;
  blobSize: number;
  mediaType: string;
  /** Bytes of file content, the layer's share of an image's SIZE. */
  contentSize: number;
}

function isAlreadyThere(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

export class LayerStore {
  constructor(private readonly layout: StoreLayout, private readonly blobs: BlobStore) {}

  diffDir(diffID: Digest): string {
    return this.layout.layerDiffDir(diffID);
  }

  async get(diffID: Digest): Promise<LayerRecord | undefined> {
    try {
      return JSON.parse(await readFile(path.join(this.layout.layerDir(diffID), 'layer.json'), 'utf8')) as LayerRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`read layer ${diffID}`, { cause: error });
    }
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.layout.layersDir);
    return names.map((name): string => `sha256:${name}`).filter(isDigest);
  }

  /**
   * Archives dir (a layer in overlayfs form under tmp/, such as a build's
   * upperdir) into a blob and moves dir into the store. The dir is consumed.
   */
  async commitDirectory(dir: string): Promise<LayerRecord> {
    const work = await this.layout.makeTempDir('layer');
    try {
      // The root of the top layer becomes the root of the container's filesystem.
      await chmod(dir, 0o755);
      const tarPath = path.join(work, 'layer.tar');
      const tar = await writeLayerTar(dir, tarPath);
      const existing = await this.get(tar.digest);
      if (existing) {
        await rm(dir, { recursive: true, force: true });
        return existing;
      }
      await this.blobs.adopt(tarPath, tar.digest);
      const record: LayerRecord = {
        diffID: tar.digest, blobDigest: tar.digest, blobSize: tar.size, mediaType: mediaTypes.layerTar, contentSize: tar.contentSize,
      };
      return await this.install(record, dir, work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Moves an unpacked layer dir into the store under record.diffID; the dir is consumed. */
  async install(record: LayerRecord, dir: string, work?: string): Promise<LayerRecord> {
    const staging = path.join(work ?? (await this.layout.makeTempDir('layer')), 'staged');
    try {
      await mkdir(staging, { mode: 0o700 });
      await rename(dir, path.join(staging, 'diff'));
      await writeFile(path.join(staging, 'layer.json'), JSON.stringify(record));
      await chmod(staging, 0o755);
      await rename(staging, this.layout.layerDir(record.diffID));
      return record;
    } catch (error) {
      // Another build or import committed the same layer first; theirs is identical.
      if (isAlreadyThere(error)) {
        await rm(staging, { recursive: true, force: true });
        return record;
      }
      throw new Error(`install layer ${record.diffID}`, { cause: error });
    } finally {
      if (work === undefined) await rm(path.dirname(staging), { recursive: true, force: true });
    }
  }

  async remove(diffID: Digest): Promise<void> {
    const record = await this.get(diffID);
    // Rename first so a half-deleted dir never looks like a complete layer.
    const doomed = path.join(await this.layout.makeTempDir('remove'), 'layer');
    try {
      await rename(this.layout.layerDir(diffID), doomed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`remove layer ${diffID}`, { cause: error });
    }
    await rm(path.dirname(doomed), { recursive: true, force: true });
    if (record) await this.blobs.remove(record.blobDigest);
  }
}
