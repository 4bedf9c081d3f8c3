#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (e) SIGKILL to the writer during unplug rolls back: state and blocks agree.
# 1. Pages in the second half of the device are pinned (vmsplice references:
#    the first half is offlined while the pinning process allocates, then
#    onlined again), so unplug retries their migration until the writer
#    gets a fatal signal -> -EINTR -> every block is online again in its
#    zone, state unchanged (v7 isolates the whole device and migrates the
#    unpinned pages first, so no block is offline meanwhile; before v7 the
#    first half was offlined and then onlined again).
# 2. Timing fuzz (first, while the device is in ZONE_MOVABLE): kill the
#    writer after 0..300 ms; whatever the outcome
#    the state read back and the blocks must agree.
. /tests/lib.sh
ktap_header "sigkill: fatal signal to the unplug writer rolls back"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
N=$(nblocks "$DEV")
A=$(hp_attr "$DEV")
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable" "$r" OK
HALF=$(dev_blocks "$DEV" | head -n $((N / 2)))

# Timing fuzz without pins: whatever happens, state and blocks agree.
bad=0 done_ok=0 killed=0
for i in $(seq 1 20); do
	st=$(hp_state "$DEV")
	[ "$st" = online_movable ] || { [ "$st" = unplugged ] || hp_write "$DEV" unplugged >/dev/null; hp_write "$DEV" online_movable >/dev/null; }
	# some movable user pages in the device so offlining has to migrate
	daxhp-util pin 32 >/dev/null 2>&1 & P=$!
	sleep 0.3; kill $P; wait $P 2>/dev/null
	daxhp-util write "$(hp_attr "$DEV")" unplugged >/tmp/w.out 2>&1 & # the writer itself, not a subshell
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

for zone in online_movable online_kernel; do
	[ "$(hp_state "$DEV")" = "$zone" ] || { hp_write "$DEV" unplugged >/dev/null; hp_write "$DEV" "$zone" >/dev/null; }
	for b in $HALF; do daxhp-util write $MEMSYS/memory$b/state offline >/dev/null; done
	[ $zone = online_movable ] && MB=640 || MB=1024
	pin_pages $MB /tmp/pin.out
	for b in $HALF; do daxhp-util write $MEMSYS/memory$b/state $zone >/dev/null; done
	np=$PINNED
	diag "$zone: pinned ${np:-0} pages (${MB} MiB, one per 64 KiB), first half free: $(block_summary "$DEV")"
	if [ "${np:-0}" -eq 0 ]; then
		nok "$zone: could not pin pages ($(cat /tmp/pin.out))"
		continue
	fi
	ok "$zone: ${np} pages pinned, state $(hp_state "$DEV")"
	t0=$(now_ms)
	: >/tmp/w.out
	daxhp-util write "$(hp_attr "$DEV")" unplugged >/tmp/w.out 2>&1 & # the writer itself, not a subshell
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
			# ZONE_NORMAL: the pins may miss the device (no way to steer
			# kernel-zone allocations), or it fails at once with -EBUSY.
			diag "$zone: no blocking window hit; checking consistency only"
		else
			nok "$zone: unplug did not block on pinned pages ($(cat /tmp/w.out))"
		fi
	fi
	st=$(hp_state "$DEV")
	if [ "$(cat /tmp/w.out 2>/dev/null)" = OK ]; then
		check_eq "$zone: unplug completed: nothing left" "$st/$(blocks_present "$DEV")" "unplugged/0"
		hp_write "$DEV" $zone >/dev/null
	else
		check_eq "$zone: state rolled back" "$st" "$zone"
		check_eq "$zone: every block present and online in its zone" "$(block_summary "$DEV")" "$(expect_summary "$zone" "$N")"
	fi
	r=$(agree "$DEV"); check_eq "$zone: state and blocks agree" "$r" ""
	kill $PIN; wait $PIN 2>/dev/null
	# ZONE_NORMAL blocks may briefly hold kernel allocations (-EBUSY): retry.
	for try in 1 2 3 4 5; do
		r=$(hp_write "$DEV" unplugged); [ "$r" = OK ] && break
		diag "$zone: unplug after unpin: $r (try $try)"; sleep 1
	done
	if [ "$zone" = online_kernel ] && [ "$r" = EBUSY ]; then
		# Unmovable kernel allocations (many more under KASAN/lockdep)
		# can pin ZONE_NORMAL for good: the kernel refuses, and the
		# refusal must be all-or-nothing.
		diag "$zone: ZONE_NORMAL still holds kernel allocations after unpin"
		check_eq "$zone: refused unplug changes nothing" \
			"$(hp_state "$DEV")/$(block_summary "$DEV")" "$zone/$(expect_summary "$zone" "$N")"
	else
		check_eq "$zone: unplug succeeds once the pin is gone" "$r" OK
		check_eq "$zone: no block left" "$(blocks_present "$DEV")" 0
		hp_write "$DEV" online_movable >/dev/null
	fi
done

ktap_finish
