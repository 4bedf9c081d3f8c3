#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/cxl/run.sh [--kernel patched|mainline] [--runs N]: the issue-11 CXL
# figures (bench.py has the details); mainline: Linux 7.3 and its `state`
# attribute (kernel/build.sh --mainline, or $DAXHP_MAINLINE_BZIMAGE).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
read -r IMG _ < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)
OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)
BZ=
if [ "${1:-}" = --kernel ]; then
	case $2 in
	patched) ;;
	mainline) BZ=${DAXHP_MAINLINE_BZIMAGE:-$("$ROOT/kernel/build.sh" --mainline | tail -n1)} ;;
	*) echo "run.sh: --kernel patched|mainline" >&2; exit 2 ;;
	esac
	shift 2
fi
[ -n "$BZ" ] || BZ=$("$ROOT/kernel/build.sh" | tail -n1)
exec python3 "$ROOT/bench/cxl/bench.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" "$@"
