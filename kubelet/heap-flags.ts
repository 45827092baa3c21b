// V8 flags for the kubelet process. With 100 running pods, the young
// generation is a large part of the kubelet's resident memory. On 2 CPUs,
// `bench/kubelet.ts` measured 85 MB with V8's default semi-space (16 MB on
// 64-bit Node 20) and 72 MB with 1 MB, at the same pod start-up latency.

import koffi from 'koffi';

import { createLogger } from '../api/log.js';

const log = createLogger('kubelet');

const F_SETFD = 2;

export const kubeletV8Flags = ['--max-semi-space-size=1'];

/** Tells whether the running node already has a semi-space size, from its command line or NODE_OPTIONS. */
function hasSemiSpaceFlag(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((flag) => flag.startsWith('--max-semi-space-size'));
}

/**
 * Replaces this process with node running the same command plus
 * kubeletV8Flags, through execve(2), so the kubelet keeps its PID and no
 * parent stays resident. V8 sizes its heap once at start-up, so the flags
 * cannot be applied in place. Returns only when the flags are already set
 * or execve failed; a failure is logged and the kubelet runs on with the defaults.
 */
export function reexecWithHeapFlags(): void {
  if (hasSemiSpaceFlag()) return;
  const argv = [process.execPath, ...kubeletV8Flags, ...process.execArgv, ...process.argv.slice(1)];
  const envp = Object.entries(process.env).flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${value}`]));

  const libc = koffi.load('libc.so.6');
  const fcntl = libc.func('int fcntl(int fd, int cmd, ...)');
  const execve = libc.func('int execve(const char *path, const char **argv, const char **envp)');
  // Node marks its stdio close-on-exec; the new image must inherit them.
  for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 'int', 0);
  execve(process.execPath, [...argv, null], [...envp, null]);
  log.warn('Running with the default V8 heap sizes: execve failed', { path: process.execPath, errno: koffi.errno(), flags: kubeletV8Flags });
}
