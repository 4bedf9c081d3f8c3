#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# daxhp on CXL memory (issue 11): QEMU 10 (tests/e2e-cxl/qemu10.sh, from
# bookworm-backports, private), q35 with two cxl-type3 volatile expanders
# behind two pxb-cxl host bridges (cxlvm.py), the series kernel
# (kernel/build.sh), the Debian 12 e2e guest with daxhpd staged from this tree
# (tests/e2e/stage.sh), regions made with tools/daxhp-cxl-region.
#
#   tests/e2e-cxl/run.sh [--kernel patched|pristine|mainline] [--steps 1,2,..] [-v]
#
#   patched   (default) the series kernel: the hotplug attribute
#   pristine  kernel/build.sh --no-series (7.2.13 with the same config):
#             daxhpd's per-block fallback on the same CXL machine
#   mainline  Linux 7.3 and its upstream kmem `state` attribute, same config
#             (bzImage from $DAXHP_MAINLINE_BZIMAGE, else kernel/build.sh
#             --mainline: tests/e2e/MAINLINE-7.3.md)
#
# Prints "ok/not ok cxl.<step> - ..." and, last, exactly "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STEPS='' VERBOSE='' KERNEL_FLAVOUR=patched
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL_FLAVOUR=$2; shift 2 ;;
	--kernel=*) KERNEL_FLAVOUR=${1#*=}; shift ;;
	--steps) STEPS=$2; shift 2 ;;
	--steps=*) STEPS=${1#*=}; shift ;;
	-v) VERBOSE=-v; shift ;;
	-h|--help) sed -n '3,20p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
WORK=$(mktemp -d /tmp/daxhp-e2e-cxl.XXXXXX)
TAP_PREFIX=cxl
. "$ROOT/tests/e2e/tap.sh"

prereq qemu qemu.log "$HERE/qemu10.sh"
prereq rootfs rootfs.log "$ROOT/tests/e2e/guest/build-rootfs.sh"
read -r IMG _ <<<"$out"
prereq stage stage.log "$ROOT/tests/e2e/stage.sh"
OVL=$out
case $KERNEL_FLAVOUR in
patched) prereq kernel kernel.log "$ROOT/kernel/build.sh" ;;
pristine) prereq kernel kernel.log "$ROOT/kernel/build.sh" --no-series ;;
mainline)
	if [ -n "${DAXHP_MAINLINE_BZIMAGE:-}" ]; then
		prereq kernel kernel.log ls "$DAXHP_MAINLINE_BZIMAGE"
	else
		prereq kernel kernel.log "$ROOT/kernel/build.sh" --mainline
	fi ;;
*) echo "run.sh: unknown kernel $KERNEL_FLAVOUR" >&2; exit 2 ;;
esac
KERNEL=$out

. "$HERE/../e2e/follow.sh"
follow_scenario "$WORK/scenario.out" cxl \
	python3 "$HERE/cxl_scenario.py" --image "$IMG" --kernel "$KERNEL" --overlay "$OVL" \
	--flavour "$KERNEL_FLAVOUR" --workdir "$WORK" ${STEPS:+--steps "$STEPS"} $VERBOSE
finish
