#!/bin/sh
# Builds tkinit, the runtime's native init, into runtime/native/build/.
# Preferred is a static musl build (Debian package musl-tools): a holder or a
# container monitor then stays near 100 KiB of RSS, where static glibc's
# start-up alone maps about 650 KiB. Without musl, static glibc; without a
# static libc, a dynamic build still works.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/build"
flags="-std=gnu11 -Os -Wall -Wextra -Werror=implicit-function-declaration"
output="$here/build/tkinit.tmp"
log="$here/build/build.log"
: >"$log"

# musl ships no kernel headers: point it at the host's linux, asm and
# asm-generic directories (Debian package linux-libc-dev) and nothing else.
kernel_headers="$here/build/kernel-headers"
mkdir -p "$kernel_headers"
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
for directory in linux asm-generic "$multiarch/asm"; do
  if [ -d "/usr/include/$directory" ]; then ln -sfn "/usr/include/$directory" "$kernel_headers/$(basename "$directory")"; fi
done

if command -v musl-gcc >/dev/null 2>&1 && musl-gcc $flags -isystem "$kernel_headers" -static -o "$output" "$here"/src/*.c 2>>"$log"; then
  :
elif ${CC:-gcc} $flags -static -o "$output" "$here"/src/*.c -lutil 2>>"$log"; then
  echo "tkinit: built with static glibc; install musl-tools for a smaller idle footprint" >&2
else
  echo "tkinit: static link failed (see $log), linking dynamically" >&2
  ${CC:-gcc} $flags -o "$output" "$here"/src/*.c -lutil
fi
mv "$output" "$here/build/tkinit"
