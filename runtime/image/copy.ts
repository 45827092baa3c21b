// COPY and ADD into a rootfs seen from outside (the merged dir of the build's
// overlay), with docker's rules: a directory source copies its contents, a
// destination ending in `/` (or an existing directory) receives files under
// their own names, new files get uid and gid 0 unless --chown sets them,
// modes and modification times come from the source, and ADD unpacks local
// tar archives (plain, gzip, bzip2, xz) instead of copying them.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, open, readlink, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { type BuildContext, ContextError } from './build-context.js';
import { resolveInRoot } from './rootfs-path.js';
import type { UserIds } from './user.js';

const execFileAsync = promisify(execFile);

export interface CopyRequest {
  context: BuildContext;
  /** Context-relative sources, globs already expanded. */
  sources: string[];
  /** Absolute destination in the image; a trailing `/` means a directory. */
  destination: string;
  owner: UserIds;
  /** --chmod, applied to every file and directory copied. */
  mode?: number;
  /** ADD: unpack local tar archives. */
  unpackArchives: boolean;
}

/** Reads the first bytes of a file to tell whether ADD should unpack it. */
async function isArchive(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(512);
    const { bytesRead } = await handle.read(header, 0, 512, 0);
    const magic = header.subarray(0, bytesRead);
    const compressed = [[0x1f, 0x8b], [0x42, 0x5a, 0x68], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]]
      .some((signature) => signature.every((byte, index) => magic[index] === byte));
    return compressed || (bytesRead >= 262 && magic.subarray(257, 262).toString('latin1') === 'ustar');
  } finally {
    await handle.close();
  }
}

class RootfsWriter {
  constructor(private readonly root: string, private readonly request: CopyRequest) {}

  /** Creates a directory and its missing parents inside the root, owned as requested; returns its host path. */
  async mkdirAll(containerPath: string): Promise<string> {
    const target = await resolveInRoot(this.root, containerPath);
    const missing: string[] = [];
    for (let dir = target; dir.startsWith(this.root) && dir !== this.root; dir = path.dirname(dir)) {
      const stats = await lstat(dir).catch(() => undefined);
      if (stats?.isDirectory()) break;
      if (stats) throw new ContextError(`COPY failed: ${containerPath} is not a directory in the image`);
      missing.unshift(dir);
    }
    for (const dir of missing) {
      await mkdir(dir);
      await lchown(dir, this.request.owner.uid, this.request.owner.gid);
      await chmod(dir, 0o755);
    }
    return target;
  }

  /** Copies one context entry (file, symlink or empty dir) to a host path inside the root. */
  async copyEntry(source: string, target: string): Promise<void> {
    const stats = await lstat(source);
    if (stats.isDirectory()) {
      const existing = await lstat(target).catch(() => undefined);
      if (!existing?.isDirectory()) {
        if (existing) await rm(target, { recursive: true, force: true });
        await mkdir(target);
      }
    } else if (stats.isSymbolicLink()) {
      await rm(target, { recursive: true, force: true });
      await symlink(await readlink(source), target);
    } else if (stats.isFile()) {
      const existing = await lstat(target).catch(() => undefined);
      if (existing && !existing.isFile()) await rm(target, { recursive: true, force: true });
      await copyFile(source, target);
    } else {
      return; // devices, fifos and sockets in a context are not copied
    }

    // chown clears setuid and setgid bits, so the mode is set after it.
    await lchown(target, this.request.owner.uid, this.request.owner.gid);
    if (!stats.isSymbolicLink()) await chmod(target, this.request.mode ?? stats.mode & 0o7777);
    if (stats.isSymbolicLink()) await lutimes(target, stats.atime, stats.mtime);
    else await utimes(target, stats.atime, stats.mtime);
  }

  async copyDirectoryContents(source: string, destination: string): Promise<void> {
    const targetDir = await this.mkdirAll(destination);
    // Children before parents would reset a dir's mtime, so dirs get theirs again at the end.
    const members = await this.request.context.walk(source);
    for (const member of members) {
      const relative = path.posix.relative(source, member);
      await this.copyEntry(path.join(this.request.context.root, member), path.join(targetDir, relative));
    }
    for (const member of members.reverse()) {
      const stats = await lstat(path.join(this.request.context.root, member));
      if (stats.isDirectory()) await utimes(path.join(targetDir, path.posix.relative(source, member)), stats.atime, stats.mtime);
    }
  }

  async unpackArchive(archive: string, destination: string): Promise<void> {
    const targetDir = await this.mkdirAll(destination);
    const owned = this.request.owner.uid !== 0 || this.request.owner.gid !== 0;
    try {
      await execFileAsync('tar', ['-x', '-f', archive, '-C', targetDir, '--numeric-owner', '-p', owned ? '--no-same-owner' : '--same-owner']);
      if (owned) {
        const { stdout } = await execFileAsync('tar', ['-t', '-f', archive], { maxBuffer: 256 * 1024 * 1024 });
        for (const member of stdout.split('\n').filter((line) => line !== '')) {
          const target = await resolveInRoot(targetDir, member, false);
          await lchown(target, this.request.owner.uid, this.request.owner.gid).catch(() => undefined);
        }
      }
    } catch (error) {
      throw new Error(`ADD failed: unpack ${path.basename(archive)} into ${destination}`, { cause: error });
    }
  }
}

/** Creates a directory (and its parents) owned by root inside root, resolving symlinks within it. */
export async function mkdirInRoot(root: string, containerPath: string): Promise<void> {
  const target = await resolveInRoot(root, containerPath);
  await mkdir(target, { recursive: true, mode: 0o755 });
}

/** Performs a COPY or ADD into root, the host path of the image's merged rootfs. */
export async function copyIntoRoot(root: string, request: CopyRequest): Promise<void> {
  const writer = new RootfsWriter(root, request);
  const toDirectory = request.destination.endsWith('/');
  if (request.sources.length > 1 && !toDirectory) {
    throw new ContextError(`COPY failed: when using COPY with more than one source file, the destination must be a directory and end with a /`);
  }

  for (const source of request.sources) {
    const sourcePath = path.join(request.context.root, source);
    const stats = await lstat(sourcePath);
    if (stats.isDirectory()) {
      await writer.copyDirectoryContents(source, request.destination);
      continue;
    }
    if (request.unpackArchives && stats.isFile() && (await isArchive(sourcePath))) {
      await writer.unpackArchive(sourcePath, request.destination);
      continue;
    }

    const existing = await lstat(await resolveInRoot(root, request.destination)).catch(() => undefined);
    const intoDirectory = toDirectory || existing?.isDirectory() === true;
    const destination = intoDirectory ? path.posix.join(request.destination, path.posix.basename(source)) : request.destination;
    await writer.mkdirAll(path.posix.dirname(destination));
    await writer.copyEntry(sourcePath, await resolveInRoot(root, destination, false));
  }
}
