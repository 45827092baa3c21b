// The per-pod directories under the kubelet's pods root, which hold the
// containers' logs. The runtime writes into them but never removes them, so
// the kubelet removes a pod's directory once the API no longer has the pod
// and its sandboxes are removed, as the kubelet's cleanup of orphaned pod
// directories does.

import type { Dirent } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../api/log.js';
import { podUIDOfDirectory } from './container-config.js';

/** Removes every directory under root that belongs to the pod uid. */
export async function removePodDirectory(root: string, uid: string, logger: Logger): Promise<void> {
  await removePodDirectories(root, (entryUID) => entryUID !== uid, logger);
}

/** Removes the directories under root of the pods that keep rejects, and returns how many it removed. */
export async function removePodDirectories(root: string, keep: (uid: string) => boolean, logger: Logger): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new Error(`read pod directories in ${root}`, { cause: error });
  }

  let removed = 0;
  for (const entry of entries) {
    const uid = podUIDOfDirectory(entry.name);
    if (!entry.isDirectory() || keep(uid)) continue;
    const path = join(root, entry.name);
    try {
      await rm(path, { recursive: true, force: true });
      removed++;
      logger.debug('Removed pod directory', { uid, path });
    } catch (error) {
      throw new Error(`remove pod directory ${path}`, { cause: error });
    }
  }
  return removed;
}
