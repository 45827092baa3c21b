// Content-addressed blobs: every file is named by the sha256 of its bytes and
// appears only complete, because it is written under tmp/ and renamed in.

import { writeFile, rename, readFile, rm, stat, access } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Digest, digestOf, digestOfFile } from './digest.js';
import type { StoreLayout } from './layout.js';

export class BlobStore {
  constructor(private readonly layout: StoreLayout) {}

  path(digest: Digest): string {
    return this.layout.blobPath(digest);
  }

  async has(digest: Digest): Promise<boolean> {
    return access(this.path(digest)).then(() => true, () => false);
  }

  async size(digest: Digest): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  /** Stores bytes and returns their digest; storing the same bytes twice is harmless. */
  async put(data: string | Buffer): Promise<{ digest: Digest; size: number }> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = digestOf(bytes);
    if (!(await this.has(digest))) {
      const temp = path.join(this.layout.tmpDir, `${process.pid}-blob-${randomBytes(6).toString('hex')}`);
      await writeFile(temp, bytes, { mode: 0o644 });
      await rename(temp, this.path(digest));
    }
    return { digest, size: bytes.length };
  }

  async putJson(value: unknown): Promise<{ digest: Digest; size: number; bytes: Buffer }> {
    const bytes = Buffer.from(JSON.stringify(value));
    return { ...(await this.put(bytes)), bytes };
  }

  /** Moves a finished file into the store under its digest, computing the digest when none is given. */
  async adopt(file: string, digest?: Digest): Promise<Digest> {
    const actual = digest ?? (await digestOfFile(file));
    await rename(file, this.path(actual));
    return actual;
  }

  async read(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (error) {
      throw new Error(`read blob ${digest}`, { cause: error });
    }
  }

  async readJson<T>(digest: Digest): Promise<T> {
    return JSON.parse((await this.read(digest)).toString('utf8')) as T;
  }

  async remove(digest: Digest): Promise<void> {
    await rm(this.path(digest), { force: true });
  }
}
