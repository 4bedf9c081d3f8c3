#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of bench/kernel/run.sh: time online_movable and unplug of each
# pmem dax device through the hotplug attribute, a per-block loop, and daxctl.
# Prints a markdown table between DAXHP-BENCH-BEGIN/END.  No assertions.
. /tests/lib.sh
REPS=${DAXHP_BENCH_REPS:-3}
for a in $(cat /proc/cmdline); do case $a in daxhp.reps=*) REPS=${a#*=} ;; esac; done
ktap_header "bench: $REPS repetitions, medians in ms"
med() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
timed() { _t0=$(daxhp-util now); "$@" >/dev/null 2>&1; _rc=$?; _t1=$(daxhp-util now); echo $(((_t1 - _t0) / 1000000)); return $_rc; }

# Every pmem region -> devdax.
for ns in $(ls /sys/bus/nd/devices | grep '^namespace[0-9]*\.0$'); do
	ndctl create-namespace -f -e "$ns" -m devdax >/dev/null 2>&1 || diag "ndctl $ns failed"
done
DEVS=
for d in $DAXBUS/devices/dax*; do case $(readlink -f "$d") in *ndbus*) DEVS="$DEVS $(basename "$d")" ;; esac; done
diag "devices:$DEVS"

per_block_online() { bind_kmem "$1" && for b in $(dev_blocks "$1"); do echo online_movable >$MEMSYS/memory$b/state || return 1; done; }
per_block_unplug() { for b in $(dev_blocks "$1"); do echo offline >$MEMSYS/memory$b/state || return 1; done; echo "$1" >$DAXBUS/drivers/kmem/unbind; }
attr() { [ "$(daxhp-util write "$(hp_attr "$1")" "$2")" = OK ]; }

ROWS=/tmp/bench.rows
: >$ROWS
for DEV in $DEVS; do
	N=$(nblocks "$DEV")
	SZ="$((N * $(block_size) >> 20)) MiB ($N blocks)"
	bind_devdax "$DEV" >/dev/null 2>&1
	# hotplug attribute (patched kernel only)
	bind_kmem "$DEV"
	if [ -e "$(hp_attr "$DEV")" ]; then
		attr "$DEV" unplugged
		on= off= fail=0
		for r in $(seq $REPS); do
			t=$(timed attr "$DEV" online_movable) || fail=1; on="$on $t"
			[ "$(block_summary "$DEV")" = "online:Movable*$N" ] || fail=1
			t=$(timed attr "$DEV" unplugged) || fail=1; off="$off $t"
			[ "$(blocks_present "$DEV")" = 0 ] || fail=1
		done
		echo "| $SZ | hotplug attribute | $(echo $on | med) | $(echo $off | med) | $([ $fail = 0 ] && echo ok || echo ERROR) |" >>$ROWS
		check_eq "$DEV attribute runs" "$fail" 0
		echo "$DEV" >$DAXBUS/drivers/kmem/unbind
	else
		echo "| $SZ | hotplug attribute | n/a | n/a | no attribute (stock kernel) |" >>$ROWS
		skip "$DEV attribute runs" "no hotplug attribute"
		bind_devdax "$DEV" >/dev/null 2>&1
	fi
	# per-block loop: kmem bind (blocks added offline) + memoryN/state writes;
	# unplug = per-block offline + kmem unbind (removal)
	on= off= fail=0
	for r in $(seq $REPS); do
		[ -n "$(driver_of "$DEV")" ] && echo "$DEV" >$DAXBUS/drivers/$(driver_of "$DEV")/unbind
		t=$(timed per_block_online "$DEV") || fail=1; on="$on $t"
		[ "$(block_summary "$DEV")" = "online:Movable*$N" ] || fail=1
		t=$(timed per_block_unplug "$DEV") || fail=1; off="$off $t"
		[ "$(blocks_present "$DEV")" = 0 ] || fail=1
	done
	echo "| $SZ | per-block loop (bind + memoryN/state; offline + unbind) | $(echo $on | med) | $(echo $off | med) | $([ $fail = 0 ] && echo ok || echo ERROR) |" >>$ROWS
	check_eq "$DEV per-block runs" "$fail" 0
	# daxctl
	bind_devdax "$DEV" >/dev/null 2>&1
	on= off= fail=0
	for r in $(seq $REPS); do
		t=$(timed daxctl reconfigure-device -m system-ram "$DEV") || fail=1; on="$on $t"
		[ "$(block_summary "$DEV")" = "online:Movable*$N" ] || fail=1
		t=$(timed daxctl reconfigure-device -m devdax -f "$DEV") || fail=1; off="$off $t"
		[ "$(blocks_present "$DEV")" = 0 ] || fail=1
	done
	echo "| $SZ | daxctl reconfigure-device (-m system-ram; -m devdax -f) | $(echo $on | med) | $(echo $off | med) | $([ $fail = 0 ] && echo ok || echo ERROR) |" >>$ROWS
	check_eq "$DEV daxctl runs" "$fail" 0
done
echo "DAXHP-BENCH-BEGIN"
echo "| size | method | online_movable (ms, median of $REPS) | unplug (ms, median of $REPS) | result |"
echo "|---|---|---:|---:|---|"
cat $ROWS
echo "DAXHP-BENCH-END"
cat $ROWS >>"$KTAP_OUT"
ktap_finish
