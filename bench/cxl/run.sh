#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/cxl/run.sh [--runs N]: the issue-11 CXL figures (bench.py has the details).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
read -r IMG _ < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)
OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)
BZ=$("$ROOT/kernel/build.sh" | tail -n1)
exec python3 "$ROOT/bench/cxl/bench.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" "$@"
