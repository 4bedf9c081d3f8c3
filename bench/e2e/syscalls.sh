#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/e2e/syscalls.sh [--runs N] [--kernel BZIMAGE]
#
# What daxhpd asks the kernel during an arrival, counted with strace in the
# e2e guest (bench/e2e/syscalls.py). The guest image has no strace: the
# host's (same Debian) and the libraries it links go on a disk of their own.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v strace >/dev/null || { apt-get install -y strace >&2; }
read -r IMG _ _ < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)
OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)
BZ=$("$ROOT/kernel/build.sh" | tail -n1)

DISK=$ROOT/build-e2e/strace.ext4 DIR=$ROOT/build-e2e/strace-root
if [ ! -s "$DISK" ] || [ "$(readlink -f "$(command -v strace)")" -nt "$DISK" ]; then
	rm -rf "$DIR" "$DISK" && mkdir -p "$DIR/bin" "$DIR/lib"
	STRACE=$(readlink -f "$(command -v strace)")
	cp "$STRACE" "$DIR/bin/strace"
	ldd "$STRACE" | awk '/=>/ {print $3}' | xargs -r -I{} cp -L {} "$DIR/lib/"
	mke2fs -q -t ext4 -d "$DIR" "$DISK" 100M
fi
exec python3 "$ROOT/bench/e2e/syscalls.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" --strace-disk "$DISK" "$@"
