#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# daxhp kernel VM suite: boots the (patched) kernel under QEMU/TCG on the test
# initramfs and runs every guest test group; KTAP on stdout, then exactly
# "N passed, N failed"; exit status non-zero on any failure.
#
#   tests/kernel/run.sh [--variant default|debug] [--no-series] [--boot NAME]...
#                       [--kernel BZIMAGE] [-j N]
#
#   --variant    kernel config variant (debug = KASAN + lockdep + DEBUG_VM; slower)
#   --no-series  stock 7.2.13 kernel: only the groups that need no patch (compat)
#   --boot NAME  run only these boots (see BOOTS below); repeatable
#   -j N         boot N VMs at once (default ${DAXHP_VM_JOBS:-2})
#   --kernel BZIMAGE  use this kernel artefact (out/<key>/bzImage) instead of
#                kernel/build.sh (no build started)
#
# Kernel: kernel/build.sh (cached: instant when built).  Initramfs:
# kernel/initramfs/build.sh (cached).  Logs: ${DAXHP_VM_LOGS:-${DAXHP_CACHE}/logs}/kernel-vm/.
# Every boot's dmesg is scanned by kernel/qemu/scan-dmesg.sh (one test each).
# Groups: selftest (a), transitions (b), probe (c, one boot per
# memhp_default_state), multirange (d, hmem), sigkill (e), race (f),
# unbind (g), compat (h), readers (j), killable (k), migrate (l),
# multimigrate (m, hmem), failearly (n, hmem on a node of its own),
# rollback (o, hmem, memory notifier error injection).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${DAXHP_CACHE:-/var/cache/daxhp}
VARIANT=default SERIES=1 KERNEL= JOBS=${DAXHP_VM_JOBS:-2}
ONLY=()
while [ $# -gt 0 ]; do
	case $1 in
	--variant) VARIANT=$2; shift 2 ;;
	--variant=*) VARIANT=${1#*=}; shift ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--no-series) SERIES=0; shift ;;
	--boot) ONLY+=("$2"); shift 2 ;;
	-j|--jobs) JOBS=$2; shift 2 ;;
	-h|--help) sed -n '3,20p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
log() { echo "tests/kernel/run.sh: $*" >&2; }
T0=$(date +%s)

# Timeouts: TCG, and KASAN/lockdep is several times slower.
# no5lvl on the debug variant: with 5-level paging, an interrupt that lands
# while identify_cpu() rebuilds boot_cpu_data's feature bits makes generic
# KASAN compute its shadow start for 4-level paging and report a
# "wild-memory-access" in handle_edge_irq (start_kernel, before any driver;
# tests/kernel/KNOWN-SPLATS.md).  4-level paging closes that window.
if [ "$VARIANT" = debug ]; then SLOW=4 VARIANT_APPEND=no5lvl; else SLOW=1 VARIANT_APPEND=; fi

PMEM='1152M!4G'             # region0 -> namespace0.0 -> 8 blocks of 128 MiB
PMEM2='640M!5376M'          # a second region (pmem-two boot only)
HMEM='1G%4G-1+0xefffffff'   # soft-reserved -> hmem region, dax device bound to kmem at boot
HMEM_NODE='1G%7G-1+0xefffffff' # the same on node 1 (topology own-node)
# Topologies (QEMU memory and NUMA): "" = one node, 6G; own-node = node 0:
# 0-3G + 4G-7G with the CPU, node 1: 7G-8G, CPU-less (where CXL memory
# appears), the soft-reserved region HMEM_NODE
OWN_NODE=(--mem 7G
	--qemu -object --qemu memory-backend-ram,id=m0,size=6G
	--qemu -numa --qemu node,nodeid=0,cpus=0,memdev=m0
	--qemu -object --qemu memory-backend-ram,id=m1,size=1G
	--qemu -numa --qemu node,nodeid=1,memdev=m1)
# name | memmap | extra append | tests (comma separated) | timeout (s, default variant) | topology
if [ $SERIES = 1 ]; then
BOOTS=(
	"pmem-offline|$PMEM|memhp_default_state=offline|probe,selftest,transitions,compat,unbind|900"
	"pmem-stress|$PMEM|memhp_default_state=offline|race,sigkill|1500"
	"pmem-two|$PMEM|memmap=$PMEM2 memhp_default_state=offline|readers,killable|600"
	"pmem-migrate|$PMEM|memhp_default_state=offline|migrate|300"
	"pmem-online|$PMEM|memhp_default_state=online|probe|240"
	"pmem-online_kernel|$PMEM|memhp_default_state=online_kernel|probe|240"
	"pmem-online_movable|$PMEM|memhp_default_state=online_movable|probe|240"
	"hmem-offline|$HMEM|memhp_default_state=offline|probe,multirange|480"
	"hmem-migrate|$HMEM|memhp_default_state=offline|multimigrate|300"
	"hmem-node|$HMEM_NODE|memhp_default_state=offline|failearly|300|own-node"
	"hmem-inject|$HMEM|memhp_default_state=offline|rollback|300"
)
else
BOOTS=(
	"pmem-stock|$PMEM|memhp_default_state=offline|compat|180"
)
# Debug variant: show that the lockdep report in kernel/qemu/known-splats
# comes from the unpatched kernel (tests/kernel/KNOWN-SPLATS.md).
[ "$VARIANT" = debug ] && BOOTS+=("pmem-stock-lockdep|$PMEM|memhp_default_state=offline|lockdep-repro|300")
fi

SER_ARGS=()
[ $SERIES = 1 ] || SER_ARGS=(--no-series)
[ -n "$KERNEL" ] || log "kernel: kernel/build.sh --variant $VARIANT ${SER_ARGS[*]:-}"
if [ -n "$KERNEL" ]; then BZ=$KERNEL
else BZ=$("$TOP/kernel/build.sh" --variant "$VARIANT" ${SER_ARGS[@]+"${SER_ARGS[@]}"} | tail -n1); fi
if [ ! -f "$BZ" ]; then
	echo "not ok 1 kernel build"
	echo "0 passed, 1 failed"
	exit 1
fi
log "kernel $BZ ($(sed -n 's/^kernelrelease=//p' "$(dirname "$BZ")/info" 2>/dev/null))"

ST_ARGS=()
if [ $SERIES = 1 ]; then
	VER=$(sed -n 's/^version=//p' "$(dirname "$BZ")/info" 2>/dev/null)
	STDIR=$CACHE/wt/${VER:-none}-series/tools/testing/selftests
	[ -f "$STDIR/dax/dax-kmem-hotplug.sh" ] || STDIR=$(ls -d "$CACHE"/wt/*-series/tools/testing/selftests/dax 2>/dev/null | head -n1 | xargs -r dirname)
	if [ -n "$STDIR" ] && [ -f "$STDIR/dax/dax-kmem-hotplug.sh" ]; then
		ST_ARGS=(--selftest "$STDIR")
		log "in-tree selftest from $STDIR"
	else
		log "in-tree selftest not found (patched tree under $CACHE/wt/*-series)"
	fi
fi
INITRD=$("$TOP/kernel/initramfs/build.sh" --bzimage "$BZ" --tests "$TOP/tests/kernel/guest" \
	${ST_ARGS[@]+"${ST_ARGS[@]}"} | tail -n1)
[ -f "$INITRD" ] || { echo "not ok 1 initramfs build"; echo "0 passed, 1 failed"; exit 1; }

# DAXHP_VM_LOGS: per checkout when run from tests/run-all.sh, so that two
# checkouts booting the same group at once keep their own console logs.
LOGDIR=${DAXHP_VM_LOGS:-$CACHE/logs}/kernel-vm/$VARIANT-$([ $SERIES = 1 ] && echo series || echo pristine)
mkdir -p "$LOGDIR"
PASS=0 FAIL=0 TOPN=0 BOOTN=0

# One boot: writes $LOGDIR/NAME.res (nested KTAP, "RESULT ok|fail NAME:group # ..."
# lines for the top level) and returns when the VM is gone.
run_boot() { # NAME MEMMAP APPEND TESTS TIMEOUT TOPOLOGY
	local name=$1 memmap=$2 append=$3 tests=$4 tmo=$5 L=$LOGDIR/$1.log R=$LOGDIR/$1.res
	local bt0 bt1 vmrc t res p s f trc scan src vm=(--mem 6G)
	[ "$6" = own-node ] && vm=("${OWN_NODE[@]}")
	bt0=$(date +%s)
	"$TOP/kernel/qemu/run-vm.sh" --kernel "$BZ" --initrd "$INITRD" --log "$L" "${vm[@]}" \
		--memmap "$memmap" --append "$append${VARIANT_APPEND:+ $VARIANT_APPEND}" --test "$tests" --timeout "$tmo" 2>>"$LOGDIR/$name.err"
	vmrc=$?
	bt1=$(date +%s)
	{
	echo "# boot $name: ${tests//,/ } ($((bt1 - bt0)) s, run-vm rc=$vmrc, log $L)"
	for t in ${tests//,/ }; do
		res=$(tr -d '\r' <"$L" | sed -n "/^DAXHP-RESULT-BEGIN $t\$/,/^DAXHP-RESULT-END $t\$/p" | sed '1d;$d')
		if [ -z "$res" ]; then
			# No quiet result block (guest died): fall back to the live output.
			res=$(tr -d '\r' <"$L" | sed -n "/^DAXHP-TEST-BEGIN $t\$/,/^DAXHP-TEST-END $t /p" |
				grep -E '^(not )?ok [0-9]+ |^#|^KTAP|^1\.\.')
		fi
		p=$(grep -cE '^ok [0-9]+ ' <<<"$res")
		s=$(grep -cE '^ok [0-9]+ .*# SKIP' <<<"$res")
		f=$(grep -cE '^not ok [0-9]+ ' <<<"$res")
		p=$((p - s))
		trc=$(tr -d '\r' <"$L" | sed -n "s/^DAXHP-TEST-END $t rc=//p" | tail -n1)
		sed 's/^/    /' <<<"$res"
		if [ -z "$trc" ]; then
			echo "    # test $t did not finish (see $L)"
			f=$((f + 1))
		elif [ "$trc" != 0 ] && [ "$f" = 0 ]; then
			echo "    # test $t exited $trc without a failing line"
			f=$((f + 1))
		fi
		[ $((p + s + f)) -gt 0 ] || { echo "    # test $t produced no results"; f=1; }
		echo "RESULT $p $((f + s)) $name:$t # $p passed, $f failed, $s skipped"
	done
	scan=$("$TOP/kernel/qemu/scan-dmesg.sh" "$L")
	src=$?
	sed 's/^/    # /' <<<"$scan"
	if [ $src = 0 ] && [ $vmrc = 0 ]; then echo "RESULT 1 0 $name:dmesg-clean"
	else echo "RESULT 0 1 $name:dmesg-clean # scan rc=$src run-vm rc=$vmrc"; fi
	} >"$R"
}

SEL=()
for b in "${BOOTS[@]}"; do
	IFS='|' read -r name memmap append tests tmo <<<"$b"
	if [ ${#ONLY[@]} -gt 0 ] && ! printf '%s\n' "${ONLY[@]}" | grep -qx "$name"; then continue; fi
	SEL+=("$b")
done
# Boots in parallel, $JOBS at a time (TCG is single-threaded per VM).
running=0
for b in "${SEL[@]}"; do
	IFS='|' read -r name memmap append tests tmo topo <<<"$b"
	rm -f "$LOGDIR/$name.res" "$LOGDIR/$name.err"
	run_boot "$name" "$memmap" "$append" "$tests" $((tmo * SLOW)) "$topo" &
	running=$((running + 1))
	if [ $running -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
echo "KTAP version 1"
for b in "${SEL[@]}"; do
	IFS='|' read -r name _ <<<"$b"
	BOOTN=$((BOOTN + 1))
	cat "$LOGDIR/$name.err" >&2 2>/dev/null
	[ -f "$LOGDIR/$name.res" ] || echo "RESULT 0 1 $name:boot # no result file" >"$LOGDIR/$name.res"
	while IFS= read -r line; do
		case $line in
		"RESULT "*)
			read -r _ p f rest <<<"$line"
			PASS=$((PASS + p)); FAIL=$((FAIL + f)); TOPN=$((TOPN + 1))
			if [ "$f" = 0 ]; then echo "ok $TOPN $rest"; else echo "not ok $TOPN $rest"; fi ;;
		*) echo "$line" ;;
		esac
	done <"$LOGDIR/$name.res"
done
echo "1..$TOPN"
echo "# $BOOTN boot(s), variant $VARIANT, $JOBS in parallel, $(($(date +%s) - T0)) s wall"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
