#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/e2e/syscalls.sh [--runs N] [--kernel BZIMAGE]
#
# What daxhpd asks the kernel during an arrival, counted with strace in the
# e2e guest (bench/e2e/syscalls.py). The guest image has no strace: the
# host's (same Debian) and the libraries it links go on a disk of their own.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/e2e/guest-tool.sh"
guest_tool_inputs strace strace 100M
exec python3 "$ROOT/bench/e2e/syscalls.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" --strace-disk "$DISK" "$@"
