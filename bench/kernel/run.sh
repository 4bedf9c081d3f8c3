#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): in ONE QEMU/TCG boot, time online_movable and unplug
# of the same pmem dax device through the hotplug attribute, a per-block
# memoryN/state loop, and daxctl, for a 1 GiB and a 3 GiB device; prints a
# markdown table.  TCG timings: compare rows, not absolute numbers.
#
#   bench/kernel/run.sh [--variant default|debug] [--no-series] [--reps N] [--kernel BZIMAGE]
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${DAXHP_CACHE:-/var/cache/daxhp}
VARIANT=default REPS=3 SER=() KERNEL=
while [ $# -gt 0 ]; do
	case $1 in
	--variant) VARIANT=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--no-series) SER=(--no-series); shift ;;
	--reps) REPS=$2; shift 2 ;;
	-h|--help) sed -n '3,9p' "$0"; exit 0 ;;
	*) echo "bench/kernel/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -n "$KERNEL" ]; then BZ=$KERNEL
else BZ=$("$TOP/kernel/build.sh" --variant "$VARIANT" ${SER[@]+"${SER[@]}"} | tail -n1); fi
[ -f "$BZ" ] || { echo "bench: kernel build failed" >&2; exit 1; }
INITRD=$("$TOP/kernel/initramfs/build.sh" --bzimage "$BZ" --tests "$TOP/tests/kernel/guest" \
	--tests "$TOP/bench/kernel/guest" | tail -n1)
[ -f "$INITRD" ] || { echo "bench: initramfs build failed" >&2; exit 1; }
L=$CACHE/logs/bench/$VARIANT-$([ ${#SER[@]} = 0 ] && echo series || echo pristine).log
# -m 9G: RAM at 0-3G and 4G-10G.  region0: 1152M at 4G (8 blocks = 1 GiB),
# region1: 3328M at 5.25G (24 blocks = 3 GiB after devdax metadata/alignment).
"$TOP/kernel/qemu/run-vm.sh" --kernel "$BZ" --initrd "$INITRD" --log "$L" --mem 9G \
	--memmap '1152M!4G' --memmap '3328M!0x150000000' \
	--append "memhp_default_state=offline daxhp.reps=$REPS" --test bench --timeout 900
rc=$?
echo "Kernel: $(sed -n 's/^kernelrelease=//p' "$(dirname "$BZ")/info" 2>/dev/null) ($VARIANT), QEMU TCG -smp 1, $(date -u +%F)"
echo
tr -d '\r' <"$L" | sed -n '/^DAXHP-BENCH-BEGIN/,/^DAXHP-BENCH-END/p' | sed '1d;$d'
"$TOP/kernel/qemu/scan-dmesg.sh" "$L" >&2 || rc=1
exit $rc
