// tinykube/base: an image assembled offline from this host's own binaries and
// their shared libraries, so that the course labs run without any registry.
// It has a shell, coreutils, procps, basic util-linux tools, grep, sed, awk,
// a few network tools, and python3 with its standard library when the host
// has one, plus /etc/passwd and /etc/group with root and nobody.

import { chmod, lstat, mkdir, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HostFileCopier } from './host-files.js';
import { hostArchitecture, type ImageConfigFile } from './oci.js';
import type { ImageStore, StoredImage } from './store.js';
import { withLock } from './lock.js';

export const baseImageReference = 'tinykube/base:latest';
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Tools copied when the host has them; absent ones are skipped. */
export const baseTools = [
  // shells
  'sh', 'dash', 'bash',
  // coreutils
  'cat', 'ls', 'echo', 'sleep', 'tail', 'head', 'mkdir', 'rmdir', 'rm', 'cp', 'mv', 'ln', 'env', 'id', 'readlink', 'realpath',
  'wc', 'date', 'true', 'false', 'yes', 'dd', 'touch', 'chmod', 'chown', 'chgrp', 'sort', 'uniq', 'cut', 'tr', 'tee',
  'basename', 'dirname', 'pwd', 'printf', 'test', '[', 'stat', 'df', 'du', 'uname', 'whoami', 'nproc', 'seq', 'expr',
  'mktemp', 'sync', 'nohup', 'timeout', 'tac', 'od', 'base64', 'sha256sum', 'md5sum', 'cksum', 'split', 'comm', 'join',
  'paste', 'fold', 'nl', 'printenv', 'groups', 'stty', 'tty', 'install', 'mkfifo', 'mknod', 'truncate', 'numfmt',
  'chroot', 'nice', 'stdbuf', 'shuf', 'tr', 'sum', 'head', 'logname', 'arch', 'hostid', 'factor',
  // procps
  'ps', 'pgrep', 'pkill', 'pidof', 'pidwait', 'top', 'free', 'kill', 'uptime', 'vmstat', 'watch', 'pmap', 'pwdx', 'sysctl', 'w',
  // util-linux and friends
  'hostname', 'mount', 'umount', 'findmnt', 'lsns', 'nsenter', 'unshare', 'setsid', 'flock', 'getopt', 'more', 'logger',
  'renice', 'taskset', 'chrt', 'ionice', 'prlimit', 'mountpoint', 'namei', 'rev', 'hexdump', 'setpriv', 'ipcs', 'ipcmk',
  'ipcrm', 'lscpu', 'column', 'dmesg', 'script', 'choom',
  // text and files
  'grep', 'egrep', 'fgrep', 'sed', 'awk', 'find', 'xargs', 'tar', 'gzip', 'gunzip', 'zcat', 'less', 'which', 'getent',
  // network
  'ip', 'ss', 'ping', 'wget', 'curl', 'nc',
];

const searchDirs = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
/** The host's merged-/usr links (bin -> usr/bin and so on), recreated when present. */
const topLevelLinks = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
const terminalTypes = ['x/xterm', 'x/xterm-256color', 'l/linux', 'v/vt100', 'd/dumb', 's/screen'];

export interface BaseImageOptions {
  onProgress?: (message: string) => void;
  /** Copy python3 and its standard library when the host has them (default true). */
  python?: boolean;
  /** Tag to write; tinykube/base:latest by default. */
  reference?: string;
  /** Tools to copy, baseTools by default; tests pass a short list. */
  tools?: string[];
}

/** Builds tinykube/base unless the store has it already; returns the image either way. */
export async function ensureBaseImage(store: ImageStore, options: BaseImageOptions = {}): Promise<StoredImage> {
  const reference = options.reference ?? baseImageReference;
  const existing = await store.findImage(reference);
  if (existing) return existing;

  // Concurrent first starts build it once: the second waits, then finds it.
  return withLock(path.join(store.layout.root, 'base-image.lock'), async () => {
    return (await store.findImage(reference)) ?? buildBaseImage(store, options);
  });
}

/** Assembles the base image from the host and stores it, replacing any image with the same tag. */
export async function buildBaseImage(store: ImageStore, options: BaseImageOptions = {}): Promise<StoredImage> {
  const progress = options.onProgress ?? (() => undefined);
  const reference = options.reference ?? baseImageReference;
  const work = await store.layout.makeTempDir('base');
  const lease = await store.lease();
  try {
    const rootfs = path.join(work, 'rootfs');
    await createSkeleton(rootfs);
    const copier = new HostFileCopier(rootfs);

    progress('Copying host binaries');
    const missing: string[] = [];
    for (const tool of options.tools ?? baseTools) {
      if (!(await addTool(copier, tool))) missing.push(tool);
    }
    if (missing.length > 0) progress(`Not on this host, skipped: ${missing.join(' ')}`);

    const python = options.python === false ? undefined : await addPython(copier, progress);
    progress('Copying shared libraries');
    await copier.addSharedLibraries();
    await addTerminfo(copier);

    progress(`Writing the layer (${(copier.bytes / 1e6).toFixed(1)} MB)`);
    const layer = await store.layers.commitDirectory(rootfs);
    await lease.add([layer.diffID]);

    const configFile: ImageConfigFile = {
      created: new Date().toISOString(),
      architecture: hostArchitecture(),
      os: 'linux',
      config: {
        Env: [`PATH=${defaultPath}`],
        Cmd: ['/bin/sh'],
        Labels: { 'org.opencontainers.image.description': 'Binaries of the host this image was assembled on', ...(python ? { 'tinykube.python': python } : {}) },
      },
      rootfs: { type: 'layers', diff_ids: [layer.diffID] },
      history: [{ created: new Date().toISOString(), created_by: 'tinykube image build-base', comment: 'assembled from host binaries' }],
    };
    const image = await store.commitImage({ configFile, layers: [layer], references: [reference] });
    progress(`Tagged ${reference}`);
    return image;
  } finally {
    await lease.release();
    await rm(work, { recursive: true, force: true });
  }
}

async function createSkeleton(rootfs: string): Promise<void> {
  await mkdir(rootfs, { mode: 0o755 });
  for (const name of topLevelLinks) {
    const stats = await lstat(`/${name}`).catch(() => undefined);
    if (stats?.isSymbolicLink()) await symlink(await readlink(`/${name}`), path.join(rootfs, name));
  }
  const dirs: [string, number][] = [
    ['etc', 0o755], ['tmp', 0o1777], ['var/tmp', 0o1777], ['root', 0o700], ['home', 0o755], ['proc', 0o555], ['sys', 0o555],
    ['dev', 0o755], ['run', 0o755], ['usr/local/bin', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
  ];
  for (const [dir, mode] of dirs) {
    await mkdir(path.join(rootfs, dir), { recursive: true });
    // mkdir's mode is filtered by the umask, so set it explicitly.
    await chmod(path.join(rootfs, dir), mode);
  }
  await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nnobody:x:65534:\nnogroup:x:65534:\n');
  await writeFile(path.join(rootfs, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n');
  await writeFile(path.join(rootfs, 'etc/os-release'), 'NAME="tinykube base"\nID=tinykube\nPRETTY_NAME="tinykube base (host binaries)"\n');
}

async function addTool(copier: HostFileCopier, tool: string): Promise<boolean> {
  for (const dir of searchDirs) {
    if (await copier.add(path.join(dir, tool))) return true;
  }
  return false;
}

/** Copies python3 and its standard library; returns its version directory name (python3.11) or undefined. */
async function addPython(copier: HostFileCopier, progress: (message: string) => void): Promise<string | undefined> {
  const binary = await realpath('/usr/bin/python3').catch(() => undefined);
  if (!binary) return undefined;
  const version = path.basename(binary);
  const libraryDir = `/usr/lib/${version}`;
  if (!(await lstat(path.join(libraryDir, 'os.py')).catch(() => undefined))) return undefined;

  progress(`Copying ${version} and its standard library`);
  await copier.add('/usr/bin/python3');
  // The regression tests, the static libpython for embedding, and the
  // Tk-based modules are not needed to run programs.
  const excluded = new Set(['test', 'idlelib', 'tkinter', 'turtledemo', 'ensurepip', 'lib2to3/tests']);
  await copier.addTree(libraryDir, (relative) =>
    excluded.has(relative) || relative.startsWith('config-') || relative === 'site-packages' || relative === 'dist-packages');
  return version;
}

async function addTerminfo(copier: HostFileCopier): Promise<void> {
  for (const dir of ['/usr/share/terminfo', '/lib/terminfo']) {
    for (const type of terminalTypes) await copier.add(path.join(dir, type));
  }
}
