// Reads the mount table of this process's mount namespace, to find mounts a
// cluster left under its data dir.

import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Decodes the octal escapes (\040 for a space) that mountinfo uses in paths. */
function decodeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points from /proc/self/mountinfo (field 5 of each line), in mount order. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => decodeMountPath(line.split(' ')[4] ?? ''));
}

/** Mount points at or below dir, deepest first, the order in which they can be unmounted. */
export function mountsUnder(dir: string): string[] {
  const root = path.resolve(dir);
  return mountPoints()
    .filter((mountPoint) => mountPoint === root || mountPoint.startsWith(root + path.sep))
    .reverse();
}
