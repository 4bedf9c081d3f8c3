#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (o) rollback: a write whose memory blocks refuse to online or offline
# fails as a whole and leaves the device where it was.  The refusal comes
# from the memory notifier error injector (CONFIG_MEMORY_NOTIFIER_ERROR_INJECT,
# debugfs notifier-error-inject/memory): every MEM_GOING_ONLINE or
# MEM_GOING_OFFLINE notification then fails with ENOMEM, as a notifier that
# cannot allocate would.  The device has two ranges, so "online" from
# "unplugged" adds memory twice before onlining it.
# Series v4 added each range and onlined its blocks on the way, ignoring a
# block that stayed offline: the write returned 0 and the device read
# "offline".  Since v5 a block that cannot be onlined fails the write and
# everything the write added is removed again.
. /tests/lib.sh
ktap_header "rollback: blocks that refuse to change fail the whole write, the device stays where it was"
DBG=/sys/kernel/debug
[ -d $DBG/notifier-error-inject ] || mount -t debugfs debugfs $DBG
INJ=$DBG/notifier-error-inject/memory/actions
if [ ! -d $INJ ]; then
	nok "memory notifier error injection ($INJ) present"
	ktap_finish; exit 1
fi
ok "memory notifier error injection present"
inject() { # ACTION ERRNO (0: off)
	echo "$2" >$INJ/$1/error
}
DEV=$(find_dax hmem) || { nok "hmem dax device present"; ktap_finish; exit 1; }
two_range_device "$DEV"
check "bind $DEV to kmem" bind_kmem "$DEV"
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
check_eq "starts unplugged" "$(hp_state "$DEV")" unplugged

# unplugged -> online*: both ranges are added, no block onlines.
for st in online_movable online_kernel online; do
	inject MEM_GOING_ONLINE -12
	r=$(hp_write "$DEV" $st)
	inject MEM_GOING_ONLINE 0
	# the ABI: a block that cannot be onlined after an add fails with EBUSY
	check_eq "unplugged -> $st with blocks refusing to online fails (reads $(hp_state "$DEV"))" "$r" EBUSY
	check_eq "after the failed $st: reads unplugged" "$(hp_state "$DEV")" unplugged
	check_eq "after the failed $st: no block of either range left" "$(blocks_present "$DEV")" 0
	[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
done
r=$(hp_write "$DEV" online_movable); check_eq "without the injection: online_movable" "$r" OK
check_eq "every block of both ranges movable" "$(block_summary "$DEV")" "online:Movable*4"

# online_movable -> unplugged: no block offlines.
inject MEM_GOING_OFFLINE -12
r=$(hp_write "$DEV" unplugged)
inject MEM_GOING_OFFLINE 0
check_eq "unplug with blocks refusing to offline fails with their error" "$r" ENOMEM
check_eq "after the failed unplug: reads online_movable" "$(hp_state "$DEV")" online_movable
check_eq "after the failed unplug: every block online movable" "$(block_summary "$DEV")" "online:Movable*4"
check_eq "after the failed unplug: no pageblock isolated" "$(isolated_pageblocks)" 0

# offline -> online_movable (a fresh bind under the offline policy): the
# present blocks refuse to online; nothing may be added or removed.
r=$(hp_write "$DEV" unplugged); check_eq "unplug" "$r" OK
echo "$DEV" >$DAXBUS/drivers/kmem/unbind
check "bind again (the offline policy adds the blocks offline)" bind_kmem "$DEV"
check_eq "reads offline after the bind" "$(hp_state "$DEV")" offline
inject MEM_GOING_ONLINE -12
r=$(hp_write "$DEV" online_movable)
inject MEM_GOING_ONLINE 0
# the ABI: from offline, the failing block's own error
check_eq "offline -> online_movable with blocks refusing to online fails with their error" "$r" ENOMEM
check_eq "after the failed online: reads offline" "$(hp_state "$DEV")" offline
check_eq "after the failed online: every block present and offline" "$(block_summary "$DEV")" "offline*4"
r=$(hp_write "$DEV" online_movable); check_eq "without the injection: online_movable" "$r" OK
r=$(hp_write "$DEV" unplugged); check_eq "and unplugged" "$r" OK
check_eq "no block left" "$(blocks_present "$DEV")" 0
check_eq "neighbour $NB untouched (no block of it ever added)" "$(blocks_present "$NB")" 0
ktap_finish
