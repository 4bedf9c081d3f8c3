#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Stage e2e-safety (issue 13): daxhpd as the safe owner of dax memory, shown
# in the systemd guest on the series kernel, with daxhpd installed and
# enabled at boot (a sparse copy of the guest image per part).
#
#   tests/e2e/run-safety.sh [--part pmem|cxl|all] [--mask-early] [-v]
#
#   pmem  boot_safety.py --checks: boots with memhp_default_state=online and
#         =online_kernel, the hmem device present at boot -> online_movable,
#         unplug; on the first boot tests/e2e/safety_steps.py (daxhpctl check,
#         ZoneRatioExceeded, MemoryInUse, --force); then a boot with 576 MiB
#         of RAM and a 16 GiB pmem region: tests/e2e/safety_memmap.py
#         (InsufficientMemmap, and the same bind by hand: ENOMEM, OOM)
#   cxl   tests/e2e-cxl/safety_cxl.py: memhp_default_state=online, a CXL
#         region made during boot -> online_movable, unplug; MemoryTier,
#         DemotionEnabled; MemoryInUse on the CXL node
#   --mask-early boots with systemd.mask=daxhp-early.service (a record of
#         the outcome without the unit; the steps then fail where it matters)
#
# Prints "ok/not ok ..." and, last, exactly "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/follow.sh"
PART=all MASK= VERBOSE=
while [ $# -gt 0 ]; do
	case $1 in
	--part) PART=$2; shift 2 ;;
	--part=*) PART=${1#*=}; shift ;;
	--mask-early) MASK=--mask-early; shift ;;
	-v) VERBOSE=-v; shift ;;
	-h|--help) sed -n '3,23p' "$0"; exit 0 ;;
	*) echo "run-safety.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case $PART in all) PARTS="pmem cxl" ;; pmem|cxl) PARTS=$PART ;; *) echo "unknown part $PART" >&2; exit 2 ;; esac

WORK=$(mktemp -d /tmp/daxhp-e2e-safety.XXXXXX)
TAP_PREFIX=safety
. "$HERE/tap.sh"

prereq rootfs rootfs.log "$HERE/guest/build-rootfs.sh"
read -r IMG _ <<<"$out"
prereq stage stage.log "$HERE/stage.sh"
OVL=$out
prereq kernel kernel.log "$ROOT/kernel/build.sh"
KERNEL=$out
for p in $PARTS; do
	mkdir -p "$WORK/$p"
	case $p in
	pmem) follow_scenario "$WORK/$p/scenario.out" boot \
		python3 "$HERE/boot_safety.py" --image "$IMG" --kernel "$KERNEL" --overlay "$OVL" \
		--workdir "$WORK/$p" --checks $MASK $VERBOSE ;;
	cxl) follow_scenario "$WORK/$p/scenario.out" cxl-safety \
		python3 "$ROOT/tests/e2e-cxl/safety_cxl.py" --image "$IMG" --kernel "$KERNEL" --overlay "$OVL" \
		--workdir "$WORK/$p" $MASK $VERBOSE ;;
	esac
done
finish
