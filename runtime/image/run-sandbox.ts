// Runs a Dockerfile RUN command in isolation, the way the runtime starts a
// container: tkinit's `run` mode makes the command PID 1 of new mount, pid,
// ipc and uts namespaces, on an overlay of the layers built so far with a
// fresh upper dir. It mounts a fresh /proc, a minimal /dev and a read-only
// /sys, binds the host's /etc/hosts and /etc/resolv.conf read-only, and
// enters the rootfs with pivot_root, detaching the old root, so no path
// leads back to the host's. The network is the host's, as with
// `docker build --network=host`. Everything the command started dies with
// it, and it dies with the build.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { assertNativeBuilt, nativeArguments, tkinitPath } from '../native.js';
import type { StoreLayout } from './layout.js';
import { overlayOptions, type OverlayDirs } from './overlay-mount.js';

export interface RunOptions {
  dirs: OverlayDirs;
  /** Dir of empty mountpoints (dev, proc, sys, etc/hosts…) mounted just below the upper dir. */
  initDir: string;
  /** Working dir of tkinit; lower dirs are given relative to it when shorter. */
  cwd: string;
  command: string[];
  env: string[];
  workingDir: string;
  uid: number;
  gid: number;
  hostname: string;
  onOutput: (chunk: Buffer) => void;
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

/** Returns the host's resolver files that RUN gets, read-only, as SOURCE:TARGET binds. */
function hostEtcBinds(): string[] {
  return ['hosts', 'resolv.conf'].filter((file) => existsSync(`/etc/${file}`)).map((file) => `/etc/${file}:/etc/${file}`);
}

/** Runs the command and resolves with its exit code; its changes are left in dirs.upperDir. */
export async function runInSandbox(options: RunOptions): Promise<number> {
  assertNativeBuilt();
  const dirs = { ...options.dirs, lowerDirs: [...options.dirs.lowerDirs, options.initDir] };
  const args = nativeArguments({
    rootfs: dirs.mergedDir,
    overlay: overlayOptions(dirs, options.cwd),
    robind: hostEtcBinds(),
    hostname: options.hostname,
    cwd: options.workingDir,
    uid: options.uid,
    gid: options.gid,
    env: options.env,
  });
  const child = spawn(tkinitPath, ['run', ...args, '--', ...options.command], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', options.onOutput);
  child.stderr.on('data', options.onOutput);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`spawn \`${tkinitPath}\` for RUN ${JSON.stringify(options.command)}`, { cause: error })));
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGSEGV: 11, SIGABRT: 6 };
  return numbers[signal] ?? 0;
}
