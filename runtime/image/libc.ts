// The few libc calls Node has no binding for, through koffi: extended
// attributes (overlay's opaque marker, file capabilities), mknod for overlay
// whiteouts, and flock for locks that the kernel drops when their owner dies.

import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const lgetxattrNative = libc.func('long lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)');
const lsetxattrNative = libc.func('int lsetxattr(const char *path, const char *name, const uint8_t *value, size_t size, int flags)');
const lremovexattrNative = libc.func('int lremovexattr(const char *path, const char *name)');
const mknodNative = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)');
const flockNative = libc.func('int flock(int fd, int operation)');

const ENODATA = 61;
const ENOTSUP = 95;
const EWOULDBLOCK = 11;
const S_IFCHR = 0o020000;
const LOCK_EX = 2;
const LOCK_NB = 4;

function errnoError(operation: string, argument: string, errno: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${operation} \`${argument}\`: errno ${errno}`);
  error.errno = errno;
  return error;
}

/** Reads an extended attribute without following a final symlink; undefined when it is absent. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const buffer = Buffer.alloc(4096);
  const length = Number(lgetxattrNative(path, name, buffer, buffer.length));
  if (length >= 0) return buffer.subarray(0, length);
  const errno = koffi.errno();
  if (errno === ENODATA || errno === ENOTSUP) return undefined;
  throw errnoError(`lgetxattr ${name}`, path, errno);
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (lsetxattrNative(path, name, value, value.length, 0) !== 0) throw errnoError(`lsetxattr ${name}`, path, koffi.errno());
}

export function lremovexattr(path: string, name: string): void {
  if (lremovexattrNative(path, name) === 0) return;
  const errno = koffi.errno();
  if (errno !== ENODATA) throw errnoError(`lremovexattr ${name}`, path, errno);
}

/** Creates the 0/0 character device overlayfs reads as a whiteout. */
export function mknodWhiteout(path: string): void {
  if (mknodNative(path, S_IFCHR, 0) !== 0) throw errnoError('mknod whiteout', path, koffi.errno());
}

/** Takes an exclusive flock on fd without blocking; false when another process holds it. */
export function tryFlockExclusive(fd: number, path: string): boolean {
  if (flockNative(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const errno = koffi.errno();
  if (errno === EWOULDBLOCK) return false;
  throw errnoError('flock', path, errno);
}
