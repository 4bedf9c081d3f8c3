#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/e2e/profile.sh [--runs N]
#
# Where daxhpd's CPU goes during an arrival, sampled with perf in the e2e
# guest (bench/e2e/profile.py). The guest image has no perf: the host's
# (linux-perf, same Debian) and the libraries it links go on a disk of their own.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v perf >/dev/null || { apt-get install -y linux-perf >&2; }
read -r IMG _ _ < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)
OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)
BZ=$("$ROOT/kernel/build.sh" | tail -n1)

DISK=$ROOT/build-e2e/perf.ext4 DIR=$ROOT/build-e2e/perf-root
if [ ! -s "$DISK" ] || [ "$(readlink -f "$(command -v perf)")" -nt "$DISK" ]; then
	rm -rf "$DIR" "$DISK" && mkdir -p "$DIR/bin" "$DIR/lib"
	PERF=$(readlink -f "$(command -v perf)")
	cp "$PERF" "$DIR/bin/perf"
	ldd "$PERF" | awk '/=>/ {print $3}' | xargs -r -I{} cp -L {} "$DIR/lib/"
	mke2fs -q -t ext4 -d "$DIR" "$DISK" 200M
fi
exec python3 "$ROOT/bench/e2e/profile.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" --perf-disk "$DISK" "$@"
