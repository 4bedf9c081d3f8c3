#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/e2e/run.sh [--kernel patched|pristine|mainline|stock] [--runs N]: the issue-5 figures table.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
K=patched ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) K=$2; shift 2 ;;
	*) ARGS+=("$1"); shift ;;
	esac
done
read -r IMG VMLINUZ INITRD < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)
OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)
case $K in
stock) exec python3 "$ROOT/bench/e2e/bench.py" --image "$IMG" --kernel "$VMLINUZ" --initrd "$INITRD" \
	--overlay "$OVL" --label stock "${ARGS[@]}" ;;
patched|pristine|mainline)
	flags=; [ $K = pristine ] && flags=--no-series; [ $K = mainline ] && flags=--mainline
	BZ=$("$ROOT/kernel/build.sh" $flags | tail -n1)
	exec python3 "$ROOT/bench/e2e/bench.py" --image "$IMG" --kernel "$BZ" --overlay "$OVL" \
		--label "$K" "${ARGS[@]}" ;;
esac
