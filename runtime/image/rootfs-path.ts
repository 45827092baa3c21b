// Resolves a path inside a container's root filesystem the way the kernel
// would after chroot: symlinks are followed, but an absolute link or `..`
// never leads out of the root. Builders need this whenever they write into a
// rootfs from outside it (COPY to /bin/x when /bin is a link to usr/bin).

import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

const maxSymlinks = 40; // the kernel's MAXSYMLINKS

/** Returns the host path of containerPath inside root; the final component is not followed if it is a symlink and followFinal is false. */
export async function resolveInRoot(root: string, containerPath: string, followFinal = true): Promise<string> {
  const pending = containerPath.split('/').filter((part) => part !== '' && part !== '.');
  const resolved: string[] = [];
  let links = 0;

  while (pending.length > 0) {
    const part = pending.shift() ?? '';
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    const isFinal = pending.length === 0;
    const stats = await lstat(candidate).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!stats?.isSymbolicLink() || (isFinal && !followFinal)) {
      resolved.push(part);
      continue;
    }

    if (++links > maxSymlinks) throw new Error(`resolve ${containerPath} in ${root}: too many levels of symbolic links`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((segment) => segment !== '' && segment !== '.'));
  }
  return path.join(root, ...resolved);
}
