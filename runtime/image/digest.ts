// sha256 digests in the OCI form `sha256:<64 hex digits>`.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type Digest = `sha256:${string}`;

export function digestOf(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function digestOfFile(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export function isDigest(value: string): value is Digest {
  return /^sha256:[a-f0-9]{64}$/.test(value);
}

/** The 64 hex digits of a digest, used as a file name. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** The 12-digit short id docker prints. */
export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
