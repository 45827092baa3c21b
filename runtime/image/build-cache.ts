// The build cache, after docker's. A step's result is reused when three
// things match: the state it starts from (the previous step's image config,
// which names every layer below), the instruction after variable
// substitution, and for COPY and ADD the digest of the source files. Changing a file therefore
// rebuilds its COPY and every later step; reordering a Dockerfile rebuilds
// from the first step whose predecessor changed.

import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BlobStore } from './blob-store.js';
import { type Digest, digestHex, digestOf, isDigest } from './digest.js';
import type { LayerStore } from './layer-store.js';
import type { StoreLayout } from './layout.js';
import type { ImageConfigFile } from './oci.js';

export interface CacheKeyParts {
  /** Config digest of the state the step starts from, or `scratch`. */
  parent: string;
  /** The instruction after variable substitution, flags included. */
  instruction: string;
  /** Source digest for COPY and ADD; build args in effect for RUN. */
  inputs?: string;
}

export function cacheKey(parts: CacheKeyParts): Digest {
  return digestOf(JSON.stringify([parts.parent, parts.instruction, parts.inputs ?? '']));
}

export class BuildCache {
  constructor(private readonly layout: StoreLayout, private readonly blobs: BlobStore, private readonly layers: LayerStore) {}

  /** Returns the state config a previous build stored under key, if all its blobs and layers still exist. */
  async lookup(key: Digest): Promise<{ digest: Digest; configFile: ImageConfigFile } | undefined> {
    let digest: string;
    try {
      digest = (JSON.parse(await readFile(path.join(this.layout.cacheDir, digestHex(key)), 'utf8')) as { state: string }).state;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`read build cache entry ${key}`, { cause: error });
    }
    // `rm` of an image takes its layers with it; its cache entries then miss.
    if (!isDigest(digest) || !(await this.blobs.has(digest))) return undefined;
    const configFile = await this.blobs.readJson<ImageConfigFile>(digest);
    for (const diffID of configFile.rootfs.diff_ids) {
      if (!(await this.layers.get(diffID))) return undefined;
    }
    return { digest, configFile };
  }

  async store(key: Digest, state: Digest): Promise<void> {
    const temp = path.join(this.layout.tmpDir, `${process.pid}-cache-${randomBytes(6).toString('hex')}`);
    await writeFile(temp, JSON.stringify({ state }));
    await rename(temp, path.join(this.layout.cacheDir, digestHex(key)));
  }
}
