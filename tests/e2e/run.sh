#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# daxhp end-to-end acceptance test (issue 5): Debian 12 guest under systemd in
# QEMU/TCG, daxhpd from this tree installed with `meson install --destdir`.
#
#   tests/e2e/run.sh [--kernel patched|stock|mainline|all] [--steps 1,2,..] [-v]
#
#   patched   kernel/build.sh's bzImage (this project's series): steps 1-8, 10
#   stock     Debian's linux-image-amd64 from the guest rootfs:   steps 1,2,9
#   pristine  kernel/build.sh --no-series (7.2, all built in):      steps 1,2,9
#   mainline  Linux 7.3 without the series (upstream `state`):     steps 1-8;
#             bzImage from $DAXHP_MAINLINE_BZIMAGE, else kernel/build.sh
#             --mainline (fetches Debian's linux-source-7.3, see MAINLINE-7.3.md)
#   all       (default) patched then stock, and mainline if its bzImage exists
#
# Prints "ok/not ok <kernel>.<step> - ..." per step and, last, exactly
# "N passed, N failed".  Exit status 1 on any failure.  Every guest command
# has a timeout, so a hang fails instead of stalling.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/follow.sh"
KERNELS=all STEPS= VERBOSE=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNELS=$2; shift 2 ;;
	--kernel=*) KERNELS=${1#*=}; shift ;;
	--steps) STEPS=$2; shift 2 ;;
	--steps=*) STEPS=${1#*=}; shift ;;
	-v) VERBOSE=-v; shift ;;
	-h|--help) sed -n '3,21p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$KERNELS" = all ]; then
	KERNELS="patched stock"
	[ -n "${DAXHP_MAINLINE_BZIMAGE:-}" ] && KERNELS="$KERNELS mainline"
fi

WORK=$(mktemp -d /tmp/daxhp-e2e.XXXXXX)
TAP_PREFIX=e2e
. "$HERE/tap.sh"

prereq rootfs rootfs.log "$HERE/guest/build-rootfs.sh"
read -r IMG STOCK_VMLINUZ STOCK_INITRD <<<"$out"
prereq stage stage.log "$HERE/stage.sh"
OVL=$out

for k in $KERNELS; do
	KERNEL= INITRD= TAP_PREFIX=$k
	case $k in
	stock) KERNEL=$STOCK_VMLINUZ INITRD=$STOCK_INITRD ;;
	# kernel/build.sh is a no-op when its artefact is cached.
	patched) step kernel kernel-$k.log "$ROOT/kernel/build.sh" || continue ;;
	pristine) step kernel kernel-$k.log "$ROOT/kernel/build.sh" --no-series || continue ;;
	mainline)
		if [ -n "${DAXHP_MAINLINE_BZIMAGE:-}" ]; then
			step kernel kernel-$k.log ls "$DAXHP_MAINLINE_BZIMAGE" || continue
		else
			# Fetches linux-source-7.3 from experimental and builds it, once; cached after.
			step kernel kernel-$k.log "$ROOT/kernel/build.sh" --mainline || continue
		fi ;;
	*) echo "run.sh: unknown kernel $k" >&2; exit 2 ;;
	esac
	[ "$k" = stock ] || KERNEL=$out
	mkdir -p "$WORK/$k"
	follow_scenario "$WORK/$k/scenario.out" "$k" \
		python3 "$HERE/scenario.py" --image "$IMG" --kernel "$KERNEL" ${INITRD:+--initrd "$INITRD"} \
		--overlay "$OVL" --flavour "$k" --workdir "$WORK/$k" ${STEPS:+--steps "$STEPS"} $VERBOSE
done
finish
