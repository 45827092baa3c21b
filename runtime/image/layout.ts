// The layout of the store under <dataDir>/images/, an OCI image layout plus
// the unpacked layers that overlayfs mounts:
//   oci-layout, index.json          the OCI layout marker and the index of references
//   blobs/sha256/<hex>              layer tarballs, image configs, manifests
//   layers/<diffID hex>/diff        a layer unpacked, in overlayfs form (whiteouts as 0/0 devices)
//   layers/<diffID hex>/layer.json  what the layer came from and its size
//   cache/<key hex>                 build cache entries
//   tmp/<pid>-<random>              work in progress; removed when its process is gone
//   init/                           mountpoints RUN needs, mounted above the image's layers
//   index.lock                      flock for changes to index.json

import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { type Digest, digestHex } from './digest.js';
import { processAlive } from './lock.js';

export class StoreLayout {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, 'images');
  }

  get indexFile(): string { return path.join(this.root, 'index.json'); }
  get indexLock(): string { return path.join(this.root, 'index.lock'); }
  get ociLayoutFile(): string { return path.join(this.root, 'oci-layout'); }
  get blobsDir(): string { return path.join(this.root, 'blobs', 'sha256'); }
  get layersDir(): string { return path.join(this.root, 'layers'); }
  get cacheDir(): string { return path.join(this.root, 'cache'); }
  get tmpDir(): string { return path.join(this.root, 'tmp'); }
  get initDir(): string { return path.join(this.root, 'init'); }

  blobPath(digest: Digest): string {
    return path.join(this.blobsDir, digestHex(digest));
  }

  layerDir(diffID: Digest): string {
    return path.join(this.layersDir, digestHex(diffID));
  }

  /** Returns the dir of a layer's unpacked content, one overlayfs lowerdir. */
  layerDiffDir(diffID: Digest): string {
    return path.join(this.layerDir(diffID), 'diff');
  }

  async create(): Promise<void> {
    for (const dir of [this.blobsDir, this.layersDir, this.cacheDir, this.tmpDir]) await mkdir(dir, { recursive: true });
  }

  /** Makes a fresh work dir under tmp/, named after this process so recovery can tell live work from dead. */
  async makeTempDir(purpose: string): Promise<string> {
    const dir = path.join(this.tmpDir, `${process.pid}-${purpose}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Removes work dirs left by processes that died mid-build or mid-import. */
  async removeStaleTempDirs(): Promise<void> {
    for (const name of await readdir(this.tmpDir)) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) continue;
      await rm(path.join(this.tmpDir, name), { recursive: true, force: true });
    }
  }
}
