#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark (not a test): unplug of the same filled pmem dax device through
# the hotplug attribute vs a per-block loop (memoryN/state offline of every
# block + kmem unbind), timed by one long-lived guest process, methods
# interleaved, PAIRS pairs, for a 1 GiB and a 4 GiB device, on two layouts:
#   dram-node  dax memory on the DRAM's NUMA node (one node)
#   own-node   dax memory on a NUMA node of its own (QEMU -numa, CPU-less
#              node 1 = exactly the two pmem regions), as CXL memory appears
# Then (unless --no-arrival) the arrival of each device (daxhp-util
# arrival, PAIRS rounds): kmem
# bind + offline -> online_movable ("bind-attr") vs one unplugged ->
# online_movable ("replug"), and bind + unplugged + online_movable.
# Prints markdown tables and ends with one line per size and layout:
#   unplug ratio attribute/per-block SIZE LAYOUT: R (N pairs)
# followed by one line per size and layout:
#   bind-to-policy ratio (bind+online_movable)/(unplugged->online_movable) SIZE LAYOUT: R (N pairs)
# TCG timings: compare rows, not absolute numbers.
#
#   bench/kernel/run.sh [--variant default|debug] [--pairs N] [--fill MIB]
#                       [--layout dram-node|own-node]... [--kernel BZIMAGE]
#                       [--no-arrival] [--append 'KERNEL ARGS'] [--log-dir DIR]
# --append adds guest kernel command line arguments (e.g. a knob of an
# instrumented kernel); --log-dir puts the console logs elsewhere than
# $DAXHP_CACHE/logs/bench (one log per variant and layout).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${DAXHP_CACHE:-/var/cache/daxhp}
VARIANT=default PAIRS=10 FILL=256 KERNEL= ARRIVAL=1 APPEND= LOGDIR=$CACHE/logs/bench
LAYOUTS=()
while [ $# -gt 0 ]; do
	case $1 in
	--variant) VARIANT=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--pairs) PAIRS=$2; shift 2 ;;
	--fill) FILL=$2; shift 2 ;;
	--layout) LAYOUTS+=("$2"); shift 2 ;;
	--no-arrival) ARRIVAL=0; shift ;;
	--append) APPEND="$APPEND $2"; shift 2 ;;
	--log-dir) LOGDIR=$2; shift 2 ;;
	-h|--help) sed -n '3,24p' "$0"; exit 0 ;;
	*) echo "bench/kernel/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ ${#LAYOUTS[@]} -gt 0 ] || LAYOUTS=(dram-node own-node)
if [ -n "$KERNEL" ]; then BZ=$KERNEL
else BZ=$("$TOP/kernel/build.sh" --variant "$VARIANT" | tail -n1); fi
[ -f "$BZ" ] || { echo "bench: kernel build failed" >&2; exit 1; }
INITRD=$("$TOP/kernel/initramfs/build.sh" --bzimage "$BZ" --tests "$TOP/tests/kernel/guest" \
	--tests "$TOP/bench/kernel/guest" | tail -n1)
[ -f "$INITRD" ] || { echo "bench: initramfs build failed" >&2; exit 1; }
echo "Kernel: $(sed -n 's/^kernelrelease=//p' "$(dirname "$BZ")/info" 2>/dev/null) ($VARIANT), QEMU TCG -smp 1, $(date -u +%F)"
rc=0 RATIOS= BRATIOS=
for layout in "${LAYOUTS[@]}"; do
	mkdir -p "$LOGDIR"
	L=$LOGDIR/$VARIANT-$layout.log
	case $layout in
	dram-node)
		# RAM 0-3G + 4G-11G; pmem 4G-5248M (1 GiB) and 5376M-9600M
		# (4 GiB of blocks; 128 MiB of each region go to alignment)
		VM=(--mem 10G --memmap '1152M!4G' --memmap '4224M!0x150000000') ;;
	own-node)
		# node 0: 0-3G + 4G-6G (5120M); node 1: 6G-11520M = the two regions
		VM=(--mem 10496M --memmap '1152M!6G' --memmap '4224M!7296M'
		    --qemu -object --qemu memory-backend-ram,id=m0,size=5120M
		    --qemu -numa --qemu node,nodeid=0,cpus=0,memdev=m0
		    --qemu -object --qemu memory-backend-ram,id=m1,size=5376M
		    --qemu -numa --qemu node,nodeid=1,memdev=m1) ;;
	*) echo "bench: unknown layout $layout" >&2; exit 2 ;;
	esac
	"$TOP/kernel/qemu/run-vm.sh" --kernel "$BZ" --initrd "$INITRD" --log "$L" "${VM[@]}" \
		--append "memhp_default_state=offline daxhp.pairs=$PAIRS daxhp.fill=$FILL daxhp.layout=$layout daxhp.arrival=$ARRIVAL$APPEND" \
		--test bench --timeout 5400 || rc=1
	echo
	echo "## $layout"
	echo
	tr -d '\r' <"$L" | sed -n '/^DAXHP-BENCH-BEGIN/,/^DAXHP-BENCH-END/p' | sed '1d;$d' |
		grep -v -e '^unplug ratio' -e '^bind-to-policy ratio'
	RATIOS="$RATIOS$(tr -d '\r' <"$L" | sed -n '/^DAXHP-BENCH-BEGIN/,/^DAXHP-BENCH-END/p' | grep '^unplug ratio')"$'\n'
	BRATIOS="$BRATIOS$(tr -d '\r' <"$L" | sed -n '/^DAXHP-BENCH-BEGIN/,/^DAXHP-BENCH-END/p' | grep '^bind-to-policy ratio')"$'\n'
	grep -q '^not ok' <(tr -d '\r' <"$L") && rc=1
	"$TOP/kernel/qemu/scan-dmesg.sh" "$L" >&2 || rc=1
done
echo
printf '%s' "$RATIOS" "$BRATIOS"
exit $rc
