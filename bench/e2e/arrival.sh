#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/e2e/arrival.sh [--kernel patched|mainline|BZIMAGE] [--runs N] [--before-rev REV]
#
# Where an arrival's time goes (bench/e2e/arrival.py): this tree's daxhpd
# ("after") against one built from REV ("before": default the commit before
# the arrival path onlined present memory in place), alternating, in the e2e guest;
# first the guest's CPU cost per operation (bench/e2e/tcg-cost.c).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
K=patched REV=1e11276 ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) K=$2; shift 2 ;;
	--before-rev) REV=$2; shift 2 ;;
	*) ARGS+=("$1"); shift ;;
	esac
done
read -r IMG _ _ < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)
OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)

# The "before" daemon: REV's tree, built like stage.sh builds this one.
SRC=$ROOT/build-e2e/before-$REV
if [ ! -x "$SRC/build/daemon/daxhpd" ]; then
	rm -rf "$SRC" && mkdir -p "$SRC/src"
	git -C "$ROOT" archive "$REV" | tar -x -C "$SRC/src"
	meson setup "$SRC/build" "$SRC/src" >&2
	ninja -C "$SRC/build" daemon/daxhpd >&2
fi

# The guest's cost per operation (bench/e2e/tcg-cost.c), built for the guest (same Debian).
PROBE=$ROOT/build-e2e/tcg-cost
mkdir -p "$ROOT/build-e2e"
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$PROBE" "$ROOT/bench/e2e/tcg-cost.c"

case $K in
patched) BZ=$("$ROOT/kernel/build.sh" | tail -n1) ;;
mainline) BZ=$("$ROOT/kernel/build.sh" --mainline | tail -n1) ;;
*) BZ=$K; K=$(basename "$(dirname "$BZ")") ;;
esac
exec python3 "$ROOT/bench/e2e/arrival.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" \
	--before "$SRC/build/daemon/daxhpd" --probe "$PROBE" --label "$K" "${ARGS[@]}"
