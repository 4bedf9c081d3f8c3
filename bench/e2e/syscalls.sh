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

. "$ROOT/bench/e2e/tool-disk.sh"
DISK=$(tool_disk strace 100M)
exec python3 "$ROOT/bench/e2e/syscalls.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" --strace-disk "$DISK" "$@"
