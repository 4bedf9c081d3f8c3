#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (f) A toggler flips memoryN/state of the device's blocks while the hotplug
# attribute cycles unplug/online_movable (>= 200 times).  After a successful
# unplug no block of the device exists; after a failed one every block still
# exists; the state read back is always valid.
. /tests/lib.sh
CYCLES=${DAXHP_RACE_CYCLES:-200}
ktap_header "race: $CYCLES unplug/online cycles against a per-block toggler"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
N=$(nblocks "$DEV")
BLOCKS=$(dev_blocks "$DEV")
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
hp_write "$DEV" online_movable >/dev/null

rm -f /tmp/race.stop
(
	while [ ! -e /tmp/race.stop ]; do
		for b in $BLOCKS; do
			echo offline >$MEMSYS/memory$b/state 2>/dev/null
			echo online_movable >$MEMSYS/memory$b/state 2>/dev/null
		done
	done
) &
TOG=$!

u_ok=0 u_fail=0 o_ok=0 o_fail=0 viol=0 inval=0
i=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	r=$(hp_write "$DEV" unplugged)
	p=$(blocks_present "$DEV"); st=$(hp_state "$DEV")
	valid_state "$st" || { inval=$((inval + 1)); diag "cycle $i: invalid state '$st'"; }
	if [ "$r" = OK ]; then
		u_ok=$((u_ok + 1))
		[ "$p" = 0 ] && [ "$st" = unplugged ] || { viol=$((viol + 1)); diag "cycle $i: unplug OK but $p blocks, state $st"; }
	else
		u_fail=$((u_fail + 1))
		[ "$p" = "$N" ] || { viol=$((viol + 1)); diag "cycle $i: unplug $r but $p/$N blocks"; }
		[ "$st" != unplugged ] || { viol=$((viol + 1)); diag "cycle $i: unplug $r but reads unplugged"; }
	fi
	if [ "$st" = unplugged ]; then
		r=$(hp_write "$DEV" online_movable)
		p=$(blocks_present "$DEV"); st=$(hp_state "$DEV")
		valid_state "$st" || { inval=$((inval + 1)); diag "cycle $i: invalid state '$st'"; }
		if [ "$r" = OK ]; then
			o_ok=$((o_ok + 1))
			[ "$p" = "$N" ] || { viol=$((viol + 1)); diag "cycle $i: online OK but $p/$N blocks"; }
		else
			o_fail=$((o_fail + 1))
			[ "$p" = 0 ] && [ "$st" = unplugged ] || { viol=$((viol + 1)); diag "cycle $i: online $r but $p blocks, state $st"; }
		fi
	fi
done
touch /tmp/race.stop
wait $TOG
diag "unplug: $u_ok ok, $u_fail failed; online: $o_ok ok, $o_fail failed"
check_eq "$CYCLES cycles: no all-or-nothing violation" "$viol" 0
check_eq "$CYCLES cycles: state always valid" "$inval" 0
check "at least one unplug succeeded under the race" [ "$u_ok" -gt 0 ]
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" unplugged); [ "$r" = OK ] || r=$(hp_write "$DEV" unplugged)
check_eq "device unplugged after the race" "$(blocks_present "$DEV")" 0
ktap_finish
