// The index of references: index.json at the root of the store, an OCI image
// index whose manifests carry their `repository:tag` name in the
// org.opencontainers.image.ref.name annotation. Readers read the file without
// a lock, because it is only ever replaced by rename. Writers take
// index.lock, so two builds that finish together cannot lose each other's tag.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Digest } from './digest.js';
import type { StoreLayout } from './layout.js';
import { withLock } from './lock.js';
import { type Descriptor, type ImageIndex, imageNameAnnotation, mediaTypes, refNameAnnotation } from './oci.js';

export interface IndexEntry {
  /** `repository:tag`, as parseReference normalises it. */
  reference: string;
  manifest: Descriptor;
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: mediaTypes.imageIndex, manifests: [] };
}

export class ReferenceIndex {
  constructor(private readonly layout: StoreLayout) {}

  async read(): Promise<ImageIndex> {
    try {
      return JSON.parse(await readFile(this.layout.indexFile, 'utf8')) as ImageIndex;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
      throw new Error(`read image index ${this.layout.indexFile}`, { cause: error });
    }
  }

  async entries(): Promise<IndexEntry[]> {
    const index = await this.read();
    return index.manifests.flatMap((manifest) => {
      const reference = manifest.annotations?.[refNameAnnotation];
      return reference ? [{ reference, manifest }] : [];
    });
  }

  async lookup(reference: string): Promise<Descriptor | undefined> {
    return (await this.entries()).find((entry) => entry.reference === reference)?.manifest;
  }

  /** Applies change to the index under the lock and writes the result atomically. */
  async update<T>(change: (index: ImageIndex) => T | Promise<T>): Promise<T> {
    return withLock(this.layout.indexLock, async () => {
      const index = await this.read();
      const result = await change(index);
      const temp = path.join(this.layout.tmpDir, `${process.pid}-index-${randomBytes(6).toString('hex')}`);
      await writeFile(temp, JSON.stringify(index, null, 2) + '\n');
      await rename(temp, this.layout.indexFile);
      return result;
    });
  }

  /** Points reference at the manifest, replacing what it pointed at before. */
  static setReference(index: ImageIndex, reference: string, manifest: { digest: Digest; size: number }): void {
    index.manifests = index.manifests.filter((entry) => entry.annotations?.[refNameAnnotation] !== reference);
    index.manifests.push({
      mediaType: mediaTypes.imageManifest,
      digest: manifest.digest,
      size: manifest.size,
      annotations: { [refNameAnnotation]: reference, [imageNameAnnotation]: fullyQualified(reference) },
    });
  }

  static removeReference(index: ImageIndex, reference: string): boolean {
    const before = index.manifests.length;
    index.manifests = index.manifests.filter((entry) => entry.annotations?.[refNameAnnotation] !== reference);
    return index.manifests.length !== before;
  }
}

/** `x:1` is docker.io/library/x:1 in full, as containerd names it. */
function fullyQualified(reference: string): string {
  const first = reference.split('/')[0] ?? '';
  const hasDomain = reference.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain) return reference;
  return reference.includes('/') ? `docker.io/${reference}` : `docker.io/library/${reference}`;
}
