// Reads a file of an image straight from its layer dirs, without mounting
// them: the top-most layer that has the path wins, and a whiteout hides it.
// NOTE: opaque directories and symlinks in the parent path are not followed,
// which is enough for /etc/passwd and /etc/group but not for general paths.

import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Returns the content of containerPath in the image whose layers are given bottom first, or undefined. */
export async function readFileFromLayers(layerDirs: string[], containerPath: string): Promise<string | undefined> {
  for (const dir of [...layerDirs].reverse()) {
    const file = path.join(dir, containerPath);
    const stats = await lstat(file).catch(() => undefined);
    if (!stats) continue;
    if (stats.isFile()) return readFile(file, 'utf8');
    return undefined; // a whiteout or something that is not a file hides lower layers
  }
  return undefined;
}
