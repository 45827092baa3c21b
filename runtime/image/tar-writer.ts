// A writer for layer tarballs, in the POSIX ustar format with pax extended
// headers for what ustar cannot hold (long names, large ids and sizes,
// file capabilities). It reads a layer dir in overlayfs form and writes the
// OCI form: a 0/0 character device becomes a `.wh.<name>` file and an opaque
// directory gains a `.wh..wh..opq` entry. Entries are sorted and carry no
// user names, so the same dir always gives the same digest.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Stats } from 'node:fs';
import type { Digest } from './digest.js';
import { lgetxattr } from './libc.js';

export const whiteoutPrefix = '.wh.';
export const opaqueWhiteout = '.wh..wh..opq';
export const overlayOpaqueXattr = 'trusted.overlay.opaque';
/** Only file capabilities are carried into layers; overlay's own trusted.* attributes never are. */
const carriedXattrs = ['security.capability'];

const blockSize = 512;
const ustarMaxOctal = { id: 0o7777777, size: 0o77777777777 };

export interface LayerTarResult {
  digest: Digest;
  /** Bytes of the tarball. */
  size: number;
  /** Bytes of file content in the layer, what `docker images` adds up as SIZE. */
  contentSize: number;
}

type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

interface EntryHeader {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Buffer>;
}

const typeFlags: Record<EntryType, string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6',
};

/** Streams output to a file and a sha256 hash together, honouring back-pressure. */
class HashingSink {
  readonly hash: Hash = createHash('sha256');
  size = 0;

  constructor(private readonly out: WriteStream) {}

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'finish');
  }
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\n')]);
  // The record length counts its own digits, so grow it until it is stable.
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function paxRecordsFor(header: EntryHeader): Buffer[] {
  const records: Buffer[] = [];
  if (Buffer.byteLength(header.name) > 100 || /[^\x20-\x7e]/.test(header.name)) records.push(paxRecord('path', header.name));
  if (header.linkname && Buffer.byteLength(header.linkname) > 100) records.push(paxRecord('linkpath', header.linkname));
  if (header.uid > ustarMaxOctal.id) records.push(paxRecord('uid', String(header.uid)));
  if (header.gid > ustarMaxOctal.id) records.push(paxRecord('gid', String(header.gid)));
  if (header.size > ustarMaxOctal.size) records.push(paxRecord('size', String(header.size)));
  for (const [name, value] of Object.entries(header.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${name}`, value));
  return records;
}

function headerBlock(header: EntryHeader, typeFlag: string): Buffer {
  const block = Buffer.alloc(blockSize);
  const nameBytes = Buffer.from(header.name);
  writeString(block, 0, 100, nameBytes.length > 100 ? nameBytes.subarray(0, 100).toString('latin1') : header.name);
  writeOctal(block, 100, 8, header.mode & 0o7777);
  writeOctal(block, 108, 8, Math.min(header.uid, ustarMaxOctal.id));
  writeOctal(block, 116, 8, Math.min(header.gid, ustarMaxOctal.id));
  writeOctal(block, 124, 12, Math.min(header.size, ustarMaxOctal.size));
  writeOctal(block, 136, 12, Math.max(0, Math.floor(header.mtime)));
  block.write(typeFlag, 156, 1, 'ascii');
  if (header.linkname) writeString(block, 157, 100, header.linkname.slice(0, 100));
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  writeOctal(block, 329, 8, header.devmajor ?? 0);
  writeOctal(block, 337, 8, header.devminor ?? 0);
  // The checksum is computed with its own field read as eight spaces.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

function paddingFor(size: number): Buffer {
  const remainder = size % blockSize;
  return Buffer.alloc(remainder === 0 ? 0 : blockSize - remainder);
}

async function writeHeader(sink: HashingSink, header: EntryHeader): Promise<void> {
  const records = paxRecordsFor(header);
  if (records.length > 0) {
    const body = Buffer.concat(records);
    const paxName = `PaxHeaders/${path.basename(header.name)}`.slice(0, 99);
    await sink.write(headerBlock({ name: paxName, type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: header.mtime }, 'x'));
    await sink.write(Buffer.concat([body, paddingFor(body.length)]));
  }
  await sink.write(headerBlock(header, typeFlags[header.type]));
}

function entryType(stats: Stats): EntryType | undefined {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  return undefined; // sockets cannot be archived; docker skips them too
}

function carriedXattrsOf(fullPath: string): Record<string, Buffer> | undefined {
  const found: Record<string, Buffer> = {};
  for (const name of carriedXattrs) {
    const value = lgetxattr(fullPath, name);
    if (value) found[name] = value;
  }
  return Object.keys(found).length > 0 ? found : undefined;
}

function isWhiteoutDevice(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

function isOpaqueDirectory(fullPath: string): boolean {
  return lgetxattr(fullPath, overlayOpaqueXattr)?.toString() === 'y';
}

function emptyFileHeader(name: string, stats: Stats): EntryHeader {
  return { name, type: 'file', mode: 0o644, uid: stats.uid, gid: stats.gid, size: 0, mtime: stats.mtimeMs / 1000 };
}

class LayerTarWriter {
  private readonly hardlinks = new Map<string, string>();
  contentSize = 0;

  constructor(private readonly root: string, private readonly sink: HashingSink) {}

  async writeTree(relativeDir: string): Promise<void> {
    const names = (await readdir(path.join(this.root, relativeDir))).sort();
    for (const name of names) await this.writeEntry(relativeDir === '' ? name : `${relativeDir}/${name}`);
  }

  private async writeEntry(name: string): Promise<void> {
    const fullPath = path.join(this.root, name);
    const stats = await lstat(fullPath);

    if (isWhiteoutDevice(stats)) {
      await writeHeader(this.sink, emptyFileHeader(path.posix.join(path.posix.dirname(name), whiteoutPrefix + path.posix.basename(name)).replace(/^\.\//, ''), stats));
      return;
    }
    const type = entryType(stats);
    if (type === undefined) return;

    const header: EntryHeader = {
      name: type === 'directory' ? `${name}/` : name,
      type,
      mode: stats.mode,
      uid: stats.uid,
      gid: stats.gid,
      size: 0,
      mtime: stats.mtimeMs / 1000,
      xattrs: type === 'symlink' ? undefined : carriedXattrsOf(fullPath),
    };
    if (type === 'symlink') header.linkname = await readlink(fullPath);
    if (type === 'char' || type === 'block') {
      header.devmajor = Math.floor(stats.rdev / 256) & 0xfff;
      header.devminor = (stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00);
    }

    if (type === 'file') {
      const inode = `${stats.dev}:${stats.ino}`;
      const first = stats.nlink > 1 ? this.hardlinks.get(inode) : undefined;
      if (first !== undefined) {
        await writeHeader(this.sink, { ...header, type: 'hardlink', linkname: first });
        return;
      }
      if (stats.nlink > 1) this.hardlinks.set(inode, name);
      header.size = stats.size;
      await writeHeader(this.sink, header);
      await this.writeContent(fullPath, stats.size);
      return;
    }

    await writeHeader(this.sink, header);
    if (type === 'directory') {
      if (isOpaqueDirectory(fullPath)) await writeHeader(this.sink, emptyFileHeader(`${name}/${opaqueWhiteout}`, stats));
      await this.writeTree(name);
    }
  }

  private async writeContent(fullPath: string, size: number): Promise<void> {
    let written = 0;
    for await (const chunk of createReadStream(fullPath, { end: size === 0 ? 0 : size - 1, start: 0 })) {
      if (size === 0) break;
      const buffer = chunk as Buffer;
      written += buffer.length;
      await this.sink.write(buffer);
    }
    // A file that shrank while being read is padded so the archive stays consistent.
    if (written < size) await this.sink.write(Buffer.alloc(size - written));
    await this.sink.write(paddingFor(size));
    this.contentSize += size;
  }
}

/** Writes the layer tarball of the overlay-form dir `root` to outPath and returns its digest. */
export async function writeLayerTar(root: string, outPath: string): Promise<LayerTarResult> {
  const sink = new HashingSink(createWriteStream(outPath, { mode: 0o644 }));
  const writer = new LayerTarWriter(root, sink);
  try {
    await writer.writeTree('');
    // Two zero blocks end a tar archive.
    await sink.write(Buffer.alloc(blockSize * 2));
  } finally {
    await sink.close();
  }
  return { digest: `sha256:${sink.hash.digest('hex')}`, size: sink.size, contentSize: writer.contentSize };
}
