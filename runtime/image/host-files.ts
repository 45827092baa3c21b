// Copies files from the host into a rootfs under construction, keeping the
// host's layout: symlinks are recreated and followed, each file lands at its
// canonical path (so /bin/sh on a merged-/usr host becomes usr/bin/sh behind
// the bin -> usr/bin link), and ELF files bring the shared libraries `ldd`
// lists, the dynamic loader included.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, copyFile, lstat, mkdir, readdir, readlink, realpath, symlink, utimes, constants } from 'node:fs/promises';
import path from 'node:path';

const execFileAsync = promisify(execFile);

export class HostFileCopier {
  private readonly copied = new Set<string>();
  private readonly elfFiles: string[] = [];
  /** Bytes of regular files copied so far. */
  bytes = 0;

  constructor(private readonly rootfs: string) {}

  /** Copies hostPath (following symlink chains) into the rootfs; returns false when it does not exist. */
  async add(hostPath: string): Promise<boolean> {
    let canonical: string;
    try {
      canonical = path.join(await realpath(path.dirname(hostPath)), path.basename(hostPath));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    if (this.copied.has(canonical)) return true;

    const stats = await lstat(canonical).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!stats) return false;
    if (stats.isDirectory()) {
      await this.addDirectory(canonical);
      return true;
    }
    this.copied.add(canonical);

    const target = path.join(this.rootfs, canonical);
    await this.addDirectory(path.dirname(canonical));
    if (stats.isSymbolicLink()) {
      const link = await readlink(canonical);
      await symlink(link, target);
      return this.add(path.resolve(path.dirname(canonical), link));
    }
    if (!stats.isFile()) return false;

    await copyFile(canonical, target, constants.COPYFILE_FICLONE);
    await chmod(target, stats.mode & 0o7777);
    await utimes(target, stats.atime, stats.mtime);
    this.bytes += stats.size;
    if ((stats.mode & 0o111) !== 0 || /\.so(\.|$)/.test(canonical)) this.elfFiles.push(canonical);
    return true;
  }

  /** Creates a directory of the host in the rootfs with the host's mode, parents first. */
  private async addDirectory(hostDir: string): Promise<void> {
    if (hostDir === '/' || this.copied.has(hostDir)) return;
    await this.addDirectory(path.dirname(hostDir));
    this.copied.add(hostDir);
    const stats = await lstat(hostDir);
    const target = path.join(this.rootfs, hostDir);
    await mkdir(target, { recursive: true });
    await chmod(target, stats.mode & 0o7777);
  }

  /** Copies a directory tree, skipping entries whose name exclude() rejects. */
  async addTree(hostDir: string, exclude: (relativePath: string) => boolean = () => false, relative = ''): Promise<void> {
    const dir = path.join(hostDir, relative);
    await this.add(dir);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (exclude(child)) continue;
      if (entry.isDirectory()) await this.addTree(hostDir, exclude, child);
      else await this.add(path.join(hostDir, child));
    }
  }

  /** Adds the shared libraries of every executable and library copied so far, until none is missing. */
  async addSharedLibraries(): Promise<void> {
    while (this.elfFiles.length > 0) {
      const batch = this.elfFiles.splice(0, this.elfFiles.length);
      for (const library of await sharedLibrariesOf(batch)) await this.add(library);
    }
  }
}

/** Runs ldd on files (scripts and static binaries are fine) and returns the absolute library paths it lists. */
async function sharedLibrariesOf(files: string[]): Promise<Set<string>> {
  const libraries = new Set<string>();
  // ldd takes many files at once; chunks keep the command line short.
  for (let start = 0; start < files.length; start += 200) {
    const chunk = files.slice(start, start + 200);
    let output: string;
    try {
      output = (await execFileAsync('ldd', chunk, { maxBuffer: 64 * 1024 * 1024 })).stdout;
    } catch (error) {
      // ldd exits 1 when some file is not dynamic; its stdout still lists the others.
      output = (error as { stdout?: string }).stdout ?? '';
    }
    for (const match of output.matchAll(/(?:=>\s*|^\s+)(\/[^\s(]+)\s+\(0x/gm)) {
      if (match[1]) libraries.add(match[1]);
    }
  }
  return libraries;
}
