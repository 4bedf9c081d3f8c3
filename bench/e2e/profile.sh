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

. "$ROOT/bench/e2e/tool-disk.sh"
DISK=$(tool_disk perf 200M)
exec python3 "$ROOT/bench/e2e/profile.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" --perf-disk "$DISK" "$@"
