#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of bench/kernel/run.sh: unplug of each pmem dax device through
# the hotplug attribute vs a per-block loop (memoryN/state offline of every
# block + kmem unbind), timed by one long-lived process (daxhp-util bench:
# only the write() calls are timed, no fork/exec in the window), methods
# interleaved A B B A ..., PAIRS pairs; before every unplug the same filled
# workload (FILL MiB of anonymous memory held by a child bound to the
# device's node) so the unplug must migrate it.  Prints markdown rows and
# one ratio line per device between DAXHP-BENCH-BEGIN/END.  No assertions
# on times; a failed write fails the run.  Then (unless daxhp.arrival=0)
# per device the arrival
# (daxhp-util arrival): bind + offline -> online_movable vs one
# unplugged -> online_movable, and the old bind + unplug + online path.
. /tests/lib.sh
PAIRS=10 FILL=256 LAYOUT=dram-node ARRIVAL=1
for a in $(cat /proc/cmdline); do
	case $a in
	daxhp.pairs=*) PAIRS=${a#*=} ;;
	daxhp.fill=*) FILL=${a#*=} ;;
	daxhp.layout=*) LAYOUT=${a#*=} ;;
	daxhp.arrival=*) ARRIVAL=${a#*=} ;;
	esac
done
ktap_header "bench: $PAIRS interleaved pairs, fill $FILL MiB, layout $LAYOUT"

for ns in $(ls /sys/bus/nd/devices | grep '^namespace[0-9]*\.0$'); do
	ndctl create-namespace -f -e "$ns" -m devdax >/dev/null 2>&1 || diag "ndctl $ns failed"
done
DEVS=
for d in $DAXBUS/devices/dax*; do case $(readlink -f "$d") in *ndbus*) DEVS="$DEVS $(basename "$d")" ;; esac; done
diag "devices:$DEVS; nodes with memory: $(cat /sys/devices/system/node/has_memory 2>/dev/null)"

# stats FIELD METHOD DIV < runs: "median min max" of column FIELD / DIV
stats() {
	awk -v m="$2" -v f="$1" '$1 == "RUN" && $2 == m { print $f }' |
		sort -n | awk -v d="$3" '{ v[NR] = $1 / d } END { if (!NR) { print "- - -"; exit }
			if (NR % 2) med = v[(NR + 1) / 2]; else med = (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.0f %.0f %.0f\n", med, v[1], v[NR] }'
}

# ratio A B: A / B with two decimals ("n/a" without a positive B)
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'
}

ROWS=/tmp/bench.rows AROWS=/tmp/bench.arows RATIOS=/tmp/bench.ratios
: >$ROWS; : >$AROWS; : >$AROWS.old; : >$RATIOS; : >$RATIOS.mig
for DEV in $DEVS; do
	N=$(nblocks "$DEV")
	MIB=$((N * $(block_size) >> 20))
	bind_kmem "$DEV" || { nok "$DEV: bind kmem"; continue; }
	[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
	NODE=$(cat $DAXBUS/devices/$DEV/target_node 2>/dev/null || echo -1)
	[ "$LAYOUT" = dram-node ] && BINDNODE=-1 || BINDNODE=$NODE
	diag "$DEV: $MIB MiB ($N blocks), target node $NODE"
	daxhp-util bench "$DEV" "$PAIRS" "$FILL" "$BINDNODE" $(dev_blocks "$DEV") >/tmp/bench.$DEV 2>&1
	rc=$?
	grep '^RUN' /tmp/bench.$DEV | while read -r l; do diag "$DEV $l"; done
	check_eq "$DEV: $PAIRS pairs, every write succeeded" "$rc" 0
	for m in attribute per-block; do
		set -- $(stats 5 $m 1000 </tmp/bench.$DEV); u=$1 umin=$2 umax=$3
		set -- $(stats 4 $m 1000 </tmp/bench.$DEV); o=$1 omin=$2 omax=$3
		set -- $(stats 6 $m 1 </tmp/bench.$DEV); ms=$1
		set -- $(stats 7 $m 1 </tmp/bench.$DEV); mf=$1
		set -- $(stats 8 $m 1 </tmp/bench.$DEV); iu=$1
		echo "| $MIB MiB | $LAYOUT | $m | $o ($omin-$omax) | $u ($umin-$umax) | $iu | $ms | $mf |" >>$ROWS
		eval "U_$(echo $m | tr -d -)=$u"
		echo "pages migrated per unplug / pages in use $m ${MIB}MiB $LAYOUT: $(ratio "$ms" "$iu") ($ms / $iu)" >>$RATIOS.mig
	done
	echo "unplug ratio attribute/per-block ${MIB}MiB $LAYOUT: $(ratio "$U_attribute" "$U_perblock") ($PAIRS pairs)" >>$RATIOS
	[ "$ARRIVAL" = 1 ] || continue

	# Arrival: from unbound to online_movable (bind + offline -> online_movable)
	# vs one unplugged -> online_movable of the same device, and the path that
	# re-adds the memory (bind + unplugged + online_movable).
	daxhp-util arrival "$DEV" "$PAIRS" >/tmp/arrival.$DEV 2>&1
	rc=$?
	grep '^ARR' /tmp/arrival.$DEV | while read -r l; do diag "$DEV $l"; done
	check_eq "$DEV: $PAIRS arrival rounds, every write succeeded" "$rc" 0
	for m in bind-attr replug bind-replug; do
		set -- $(awk -v m="$m" '$1 == "ARR" && $2 == m { print "RUN", $2, $4 }' /tmp/arrival.$DEV |
			stats 3 "$m" 1000); a=$1 amin=$2 amax=$3
		echo "| $MIB MiB | $LAYOUT | $m | $a ($amin-$amax) |" >>$AROWS
		# the ratios use the medians in us, not the rounded ms
		set -- $(awk -v m="$m" '$1 == "ARR" && $2 == m { print "RUN", $2, $4 }' /tmp/arrival.$DEV |
			stats 3 "$m" 1)
		eval "A_$(echo $m | tr -d -)=$1"
	done
	echo "bind-to-policy ratio (bind+online_movable)/(unplugged->online_movable) ${MIB}MiB $LAYOUT: $(ratio "$A_bindattr" "$A_replug") ($PAIRS pairs)" >>$RATIOS
	echo "re-add ratio (bind+unplugged+online_movable)/(unplugged->online_movable) ${MIB}MiB $LAYOUT: $(ratio "$A_bindreplug" "$A_replug") ($PAIRS pairs)" >>$AROWS.old
done
echo "DAXHP-BENCH-BEGIN"
echo "fill: $FILL MiB ($((FILL * 256)) pages) per run; times in ms, median (min-max) of $PAIRS; in use = pages in use in the device (its node's ZONE_MOVABLE) before the unplug; pgmigrate deltas and in use are medians per unplug"
echo
echo "| size | layout | method | online_movable | unplug | in use | pgmigrate_success | pgmigrate_fail |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
cat $ROWS
echo
cat $RATIOS.mig
echo
echo "Arrival, unbound or unplugged -> online_movable, ms, median (min-max) of $PAIRS rounds (order rotated):"
echo "bind-attr = kmem bind + offline -> online_movable; replug = unplugged -> online_movable;"
echo "bind-replug = kmem bind + unplugged + online_movable (memory added twice)"
echo
echo "| size | layout | method | time |"
echo "|---|---|---|---:|"
cat $AROWS
echo
cat $AROWS.old
echo
cat $RATIOS
echo "DAXHP-BENCH-END"
cat $ROWS $RATIOS.mig $AROWS $AROWS.old $RATIOS >>"$KTAP_OUT"
ktap_finish
