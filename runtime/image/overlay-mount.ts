// Overlay mounts for the builder. Every mount is made inside a mount
// namespace of its own (unshare(1) from util-linux), never in the host's. The
// namespace and its mounts end with the last process inside it, so a crashed
// build leaves no mount behind, and tests that compare the host's mountinfo
// never see one.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';

export interface OverlayDirs {
  /** Read-only layers, bottom first (as ResolvedImage.layerDirs lists them). */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  mergedDir: string;
}

// The mount options must fit in one page, so lower dirs are given relative to
// the mounting process's working directory when that is shorter.
const maxOptionsLength = 4000;

/** Returns the overlay mount options for dirs, with paths relative to cwd where that is shorter. */
export function overlayOptions(dirs: OverlayDirs, cwd: string): string {
  const shortest = (dir: string) => {
    const relative = path.relative(cwd, dir);
    return relative.length < dir.length ? relative : dir;
  };
  for (const dir of [...dirs.lowerDirs, dirs.upperDir, dirs.workDir]) {
    if (/[,:]/.test(dir)) throw new Error(`mount overlay: the path ${dir} contains "," or ":", which overlayfs options cannot hold`);
  }
  // overlayfs lists lower dirs top first. redirect_dir, metacopy and index
  // are off so that the upper dir is a plain diff a tarball can carry.
  const options = [
    `lowerdir=${[...dirs.lowerDirs].reverse().map(shortest).join(':')}`,
    `upperdir=${dirs.upperDir}`,
    `workdir=${dirs.workDir}`,
    'redirect_dir=off',
    'metacopy=off',
    'index=off',
  ].join(',');
  if (options.length > maxOptionsLength) {
    throw new Error(`mount overlay: ${dirs.lowerDirs.length} layers make the mount options longer than a page; squash some layers`);
  }
  return options;
}

const holdScript = 'mount -t overlay overlay -o "$1" "$2" || exit 1; echo ready; read -r _ || true';

/**
 * Mounts the overlay in a private mount namespace held open by a small shell
 * and calls fn with a path to the merged dir that this process can use (via
 * /proc/<pid>/root of the holder). The mount ends when fn settles.
 */
export async function withOverlayMount<T>(dirs: OverlayDirs, cwd: string, fn: (merged: string) => Promise<T>): Promise<T> {
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', holdScript, 'sh', overlayOptions(dirs, cwd), dirs.mergedDir], {
    cwd, stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = once(holder, 'exit');
  let stderr = '';
  holder.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });

  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`mount overlay on ${dirs.mergedDir}: exit code ${code}: ${stderr.trim()}`)));
      holder.once('error', (error) => reject(new Error(`run unshare for the overlay on ${dirs.mergedDir}`, { cause: error })));
    });
    return await fn(path.join(`/proc/${holder.pid}/root`, dirs.mergedDir));
  } finally {
    holder.stdin.end();
    await exited;
  }
}
