#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/e2e/profile.sh [--runs N]
#
# Where daxhpd's CPU goes during an arrival, sampled with perf in the e2e
# guest (bench/e2e/profile.py). The guest image has no perf: the host's
# (linux-perf, same Debian) and the libraries it links go on a disk of their own.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bench/e2e/guest-tool.sh"
guest_tool_inputs perf linux-perf 200M
exec python3 "$ROOT/bench/e2e/profile.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" --perf-disk "$DISK" "$@"
