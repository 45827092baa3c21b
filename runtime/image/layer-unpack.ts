// Unpacks a layer blob (a tarball, plain, gzip or zstd) into a layer dir in
// overlayfs form, checking that the uncompressed stream has the diffID the
// image config promises. The system's GNU tar does the extraction; only file
// capabilities are taken from the archive's xattrs, never overlay's own.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Digest, digestOfFile } from './digest.js';
import type { LayerRecord } from './layer-store.js';
import { mediaTypes } from './oci.js';
import type { ImageStore } from './store.js';
import { convertOciWhiteouts } from './whiteout.js';

type Compression = 'none' | 'gzip' | 'zstd';

async function detectCompression(file: string): Promise<Compression> {
  const handle = await open(file, 'r');
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
    if (magic.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await handle.close();
  }
}

/** Opens the uncompressed tar stream of a blob file. Its `done` settles once the decompressor, if any, has finished. */
function openTarStream(file: string, compression: Compression): { stream: Readable; done: Promise<void> } {
  if (compression === 'none') return { stream: createReadStream(file), done: Promise.resolve() };
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    return { stream: gunzip, done: pipeline(createReadStream(file), gunzip) };
  }
  const zstd = spawn('zstd', ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<void>((resolve, reject) => {
    zstd.once('error', (error) => reject(new Error(`run zstd to decompress ${file}; install the zstd package`, { cause: error })));
    zstd.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd -dc ${file} exited with code ${code}`))));
  });
  return { stream: zstd.stdout, done };
}

function extractWithTar(dir: string): { stdin: NodeJS.WritableStream; done: Promise<void> } {
  // --ignore-zeros keeps tar reading to the end of the stream, past the
  // end-of-archive blocks, so that the whole blob is hashed.
  const tar = spawn('tar', ['-x', '-f', '-', '--ignore-zeros', '-C', dir, '--numeric-owner', '--same-owner', '-p', '--xattrs', '--xattrs-include=security.capability'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const done = new Promise<void>((resolve, reject) => {
    tar.once('error', (error) => reject(new Error('run tar to unpack a layer', { cause: error })));
    tar.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar -x exited with code ${code}: ${stderr.trim()}`))));
  });
  return { stdin: tar.stdin, done };
}

async function contentSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await contentSize(full);
    else if (entry.isFile()) total += (await lstat(full)).size;
  }
  return total;
}

/**
 * Unpacks the layer blob file into the store under diffID and moves the blob
 * in too. Reuses the layer when the store has it already.
 */
export async function unpackLayer(store: ImageStore, blobFile: string, diffID: Digest): Promise<LayerRecord> {
  const existing = await store.layers.get(diffID);
  if (existing) return existing;

  const compression = await detectCompression(blobFile);
  const blobDigest = await digestOfFile(blobFile);
  const work = await store.layout.makeTempDir('unpack');
  try {
    const dir = path.join(work, 'diff');
    await mkdir(dir, { mode: 0o755 });

    const hash = createHash('sha256');
    const hashing = new Transform({ transform(chunk: Buffer, _encoding, callback) { hash.update(chunk); callback(null, chunk); } });
    const tarStream = openTarStream(blobFile, compression);
    const tar = extractWithTar(dir);
    // tar's own failure explains more than the broken pipe it causes, so it is reported first.
    const [extracted, ...streamed] = await Promise.allSettled([tar.done, pipeline(tarStream.stream, hashing, tar.stdin), tarStream.done]);
    for (const result of [extracted, ...streamed]) if (result?.status === 'rejected') throw result.reason;

    const actual: Digest = `sha256:${hash.digest('hex')}`;
    if (actual !== diffID) throw new Error(`unpack layer ${blobDigest}: its content has digest ${actual}, but the image config expects ${diffID}`);
    await convertOciWhiteouts(dir);

    const mediaType = { none: mediaTypes.layerTar, gzip: mediaTypes.layerTarGzip, zstd: mediaTypes.layerTarZstd }[compression];
    const record: LayerRecord = { diffID, blobDigest, blobSize: (await lstat(blobFile)).size, mediaType, contentSize: await contentSize(dir) };
    // docker save links repeated layers to one file, so move the file itself.
    await store.blobs.adopt(await realpath(blobFile), blobDigest);
    return await store.layers.install(record, dir, work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
