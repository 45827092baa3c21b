// Runs a Dockerfile RUN command in isolation, the way a container runs. It
// gets new mount, pid, ipc and uts namespaces (unshare(1) from util-linux)
// and an overlay of the layers built so far with a fresh upper dir. A fresh
// /proc, a minimal /dev on tmpfs and a read-only /sys are mounted, and the
// command runs chrooted into the merged dir with the image's user, working
// dir and environment. The network is the host's, as with
// `docker build --network=host`. The command is PID 1 of its pid namespace,
// so everything it started dies with it.
//
// NOTE: the switch into the rootfs uses chroot (through `unshare --root`),
// not pivot_root, because a shell script cannot unmount the old root after
// pivot_root once the host's binaries are out of reach. The host root stays
// mounted in the build's private mount namespace, so a RUN command running
// as root with CAP_SYS_CHROOT could escape the chroot on purpose.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { access, chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoreLayout } from './layout.js';
import { overlayOptions, type OverlayDirs } from './overlay-mount.js';

export interface RunOptions {
  dirs: OverlayDirs;
  /** Dir of empty mountpoints (dev, proc, sys, etc/hosts…) mounted just below the upper dir. */
  initDir: string;
  /** Working dir of the mount helper; lower dirs are given relative to it when shorter. */
  cwd: string;
  command: string[];
  env: string[];
  workingDir: string;
  uid: number;
  gid: number;
  hostname: string;
  onOutput: (chunk: Buffer) => void;
}

// Runs as PID 1 of the new pid namespace, in the new mount namespace, with
// the host's binaries, and sets up the rootfs before handing over.
const setupScript = `
set -eu
merged=$1 options=$2 name=$3
shift 3
mount -t overlay overlay -o "$options" "$merged"
mount -t proc -o nosuid,nodev,noexec proc "$merged/proc"
mount -t tmpfs -o nosuid,mode=0755,size=65536k tmpfs "$merged/dev"
mknod -m 666 "$merged/dev/null" c 1 3
mknod -m 666 "$merged/dev/zero" c 1 5
mknod -m 666 "$merged/dev/full" c 1 7
mknod -m 666 "$merged/dev/random" c 1 8
mknod -m 666 "$merged/dev/urandom" c 1 9
mknod -m 666 "$merged/dev/tty" c 5 0
mkdir "$merged/dev/pts" "$merged/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$merged/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$merged/dev/shm"
ln -s pts/ptmx "$merged/dev/ptmx"
ln -s /proc/self/fd "$merged/dev/fd"
ln -s /proc/self/fd/0 "$merged/dev/stdin"
ln -s /proc/self/fd/1 "$merged/dev/stdout"
ln -s /proc/self/fd/2 "$merged/dev/stderr"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$merged/sys" 2>/dev/null || mount --rbind -o ro /sys "$merged/sys"
for file in hosts resolv.conf; do
  if [ -f "/etc/$file" ]; then mount --bind -o ro "/etc/$file" "$merged/etc/$file"; fi
done
hostname "$name"
exec "$@"
`;

/** Returns the absolute path of a host binary, so that the image's PATH cannot change which one runs. */
function hostBinary(name: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this dir; try the next
    }
  }
  throw new Error(`find ${name} on the host: not in /usr/bin, /bin, /usr/sbin or /sbin; install util-linux and coreutils`);
}

/** Creates the init dir RUN needs (mountpoints the image may lack) unless it exists. */
export async function ensureInitDir(layout: StoreLayout): Promise<void> {
  if (await access(layout.initDir).then(() => true, () => false)) return;
  const temp = await layout.makeTempDir('init');
  try {
    const staging = path.join(temp, 'init');
    for (const dir of ['dev', 'proc', 'sys', 'etc']) await mkdir(path.join(staging, dir), { recursive: true, mode: 0o755 });
    for (const file of ['hosts', 'resolv.conf', 'hostname']) await writeFile(path.join(staging, 'etc', file), '', { mode: 0o644 });
    await chmod(staging, 0o755);
    await rename(staging, layout.initDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw new Error(`create ${layout.initDir}`, { cause: error });
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Runs the command and resolves with its exit code; its changes are left in dirs.upperDir. */
export async function runInSandbox(options: RunOptions): Promise<number> {
  const dirs = { ...options.dirs, lowerDirs: [...options.dirs.lowerDirs, options.initDir] };
  const args = [
    '--mount', '--pid', '--ipc', '--uts', '--fork', '--kill-child', '--propagation', 'private', '--',
    '/bin/sh', '-c', setupScript, 'sh',
    dirs.mergedDir, overlayOptions(dirs, options.cwd), options.hostname,
    // env clears the environment before unshare enters the rootfs, so both
    // are the host's binaries; the command itself is looked up in the image.
    hostBinary('env'), '-i', ...options.env,
    hostBinary('unshare'), `--root=${dirs.mergedDir}`, `--wd=${options.workingDir}`, '--setgid', String(options.gid), '--setuid', String(options.uid), '--',
    ...options.command,
  ];
  // setpriv makes unshare die with this process, and --kill-child takes the
  // sandbox (and with its PID 1 the whole pid namespace) along.
  const child = spawn(hostBinary('setpriv'), ['--pdeathsig', 'KILL', '--', hostBinary('unshare'), ...args], {
    cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', options.onOutput);
  child.stderr.on('data', options.onOutput);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`run setpriv and unshare for RUN ${JSON.stringify(options.command)}`, { cause: error })));
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGSEGV: 11, SIGABRT: 6 };
  return numbers[signal] ?? 0;
}
