// Turns a layer unpacked from an OCI tarball into overlayfs form, the form a
// layer dir must have to serve as a lowerdir: a `.wh.<name>` file becomes a
// 0/0 character device named <name>, and `.wh..wh..opq` becomes the
// trusted.overlay.opaque xattr on its directory. The tar writer does the
// reverse when a layer is archived.

import { readdir, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { lsetxattr, mknodWhiteout } from './libc.js';
import { opaqueWhiteout, overlayOpaqueXattr, whiteoutPrefix } from './tar-writer.js';

export async function convertOciWhiteouts(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const fullPath = path.join(dir, entry.name);
    if (entry.name === opaqueWhiteout) {
      await unlink(fullPath);
      lsetxattr(dir, overlayOpaqueXattr, Buffer.from('y'));
    } else if (entry.name.startsWith(whiteoutPrefix)) {
      await unlink(fullPath);
      const hidden = path.join(dir, entry.name.slice(whiteoutPrefix.length));
      // A layer that both adds and deletes a name is malformed; the deletion wins.
      await rm(hidden, { recursive: true, force: true });
      mknodWhiteout(hidden);
    } else if (entry.isDirectory()) {
      await convertOciWhiteouts(fullPath);
    }
  }
}
