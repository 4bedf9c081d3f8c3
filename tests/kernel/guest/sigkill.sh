#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (e) SIGKILL to the writer during unplug rolls back: state and blocks agree.
# 1. Deterministic: pages of the device are pinned (vmsplice references), so
#    offlining retries until the writer gets a fatal signal -> -EINTR ->
#    every block re-onlined into its zone, state still online_movable.
# 2. Timing fuzz: kill the writer after 0..300 ms, whatever the outcome
#    the state read back and the blocks must agree.
. /tests/lib.sh
ktap_header "sigkill: fatal signal to the unplug writer rolls back"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
N=$(nblocks "$DEV")
A=$(hp_attr "$DEV")
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable" "$r" OK
set -- $(dev_ranges "$DEV")
LO=$1 HI=$(($2 + 1))

for zone in online_movable online_kernel; do
	[ "$(hp_state "$DEV")" = "$zone" ] || { hp_write "$DEV" unplugged >/dev/null; hp_write "$DEV" "$zone" >/dev/null; }
	daxhp-util pin "$LO" "$HI" 1024 >/tmp/pin.out 2>&1 &
	PIN=$!
	i=0; while [ $i -lt 600 ] && ! grep -q PINNED /tmp/pin.out; do sleep 0.1; i=$((i + 1)); done
	np=$(sed -n 's/PINNED //p' /tmp/pin.out)
	diag "$zone: pinned ${np:-0} pages of $DEV"
	if [ "${np:-0}" -eq 0 ]; then
		nok "$zone: could not place user pages in $DEV ($(cat /tmp/pin.out))"
		kill $PIN; wait $PIN 2>/dev/null
		continue
	fi
	ok "$zone: ${np} pages of the device pinned"
	t0=$(now_ms)
	hp_write "$DEV" unplugged >/tmp/w.out 2>&1 &
	W=$!
	sleep 2
	if kill -0 $W 2>/dev/null; then
		ok "$zone: unplug blocks while pages are pinned (writer still running after 2 s)"
		kill -KILL $W
		i=0; while kill -0 $W 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		if kill -0 $W 2>/dev/null; then
			nok "$zone: writer did not die within 30 s of SIGKILL"
		else
			ok "$zone: writer died after SIGKILL ($(($(now_ms) - t0)) ms)"
		fi
		wait $W 2>/dev/null
	else
		wait $W
		diag "$zone: unplug finished with '$(cat /tmp/w.out)' before the kill"
		if [ "$zone" = online_kernel ]; then
			# ZONE_NORMAL may refuse at once (-EBUSY); that is a failed unplug too.
			check_eq "$zone: unplug failed fast, not OK" "$(cat /tmp/w.out | grep -c OK)" 0
		else
			nok "$zone: unplug did not block on pinned pages ($(cat /tmp/w.out))"
		fi
	fi
	st=$(hp_state "$DEV")
	check_eq "$zone: state rolled back" "$st" "$zone"
	check_eq "$zone: every block present and online in its zone" "$(block_summary "$DEV")" "$(expect_summary "$zone" "$N")"
	r=$(agree "$DEV"); check_eq "$zone: state and blocks agree" "$r" ""
	kill $PIN; wait $PIN 2>/dev/null
	# ZONE_NORMAL blocks may briefly hold kernel allocations (-EBUSY): retry.
	for try in 1 2 3 4 5; do
		r=$(hp_write "$DEV" unplugged); [ "$r" = OK ] && break
		diag "$zone: unplug after unpin: $r (try $try)"; sleep 1
	done
	check_eq "$zone: unplug succeeds once the pin is gone" "$r" OK
	check_eq "$zone: no block left" "$(blocks_present "$DEV")" 0
	hp_write "$DEV" online_movable >/dev/null
done

# Timing fuzz without pins: whatever happens, state and blocks agree.
bad=0 done_ok=0 killed=0
for i in $(seq 1 20); do
	st=$(hp_state "$DEV")
	[ "$st" = online_movable ] || { [ "$st" = unplugged ] || hp_write "$DEV" unplugged >/dev/null; hp_write "$DEV" online_movable >/dev/null; }
	# some movable user pages in the device so offlining has to migrate
	daxhp-util pin "$LO" "$HI" 64 >/dev/null 2>&1 & P=$!
	sleep 0.3; kill $P; wait $P 2>/dev/null
	hp_write "$DEV" unplugged >/tmp/w.out 2>&1 &
	W=$!
	usleep $(( (i * 15000) % 300000 ))
	kill -KILL $W 2>/dev/null && killed=$((killed + 1))
	wait $W 2>/dev/null
	r=$(agree "$DEV")
	if [ -n "$r" ]; then bad=$((bad + 1)); diag "fuzz $i: $r"; fi
	[ "$(hp_state "$DEV")" = unplugged ] && done_ok=$((done_ok + 1))
done
diag "fuzz: 20 kills, $killed delivered while running, $done_ok ended unplugged"
check_eq "fuzz: state and blocks agree after every kill" "$bad" 0
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
ktap_finish
