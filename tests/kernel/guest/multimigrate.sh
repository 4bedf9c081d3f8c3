#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (m) multimigrate: the unplug of a device with two ranges moves each page in
# use once and out of the device.  The device (two ranges of two blocks, a
# neighbour device between them, online_movable) is the guest's only
# ZONE_MOVABLE memory, so a 160 MiB tmpfs fill lands in it, in the first
# range first (onlined memory is freed to the tail of the free lists).
# Offlining the first range while the second is free memory (series v8 and
# before) migrated the first range's pages into the second range and again
# from there: about twice the pages in use.  Isolating the later ranges
# before offlining the first (v9) migrates each page once.
# Then the failure path of that isolation: an unplug that blocks on pages
# pinned in the first range (the second one isolated ahead meanwhile) and
# is killed leaves no pageblock isolated, and the device unplugs once the
# pages are unpinned.
. /tests/lib.sh
ktap_header "multimigrate: a two-range unplug migrates each page in use once"
DEV=$(find_dax hmem) || { nok "hmem dax device present"; ktap_finish; exit 1; }
ok "hmem dax device $DEV"
two_range_device "$DEV"
check "bind $DEV to kmem" bind_kmem "$DEV"
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable across both ranges" "$r" OK

check_eq "no pageblock isolated before the unplug" "$(isolated_pageblocks)" 0
unplug_filled "$DEV" 160
check_eq "no pageblock left isolated" "$(isolated_pageblocks)" 0
umount /mnt/fill

# Pages pinned in the first range only: its blocks stay online while the
# second range's are offlined by hand for the pinner's allocations.
r=$(hp_write "$DEV" online_movable); check_eq "online_movable again" "$r" OK
LAST=$(echo $(later_range_blocks "$DEV"))
for b in $LAST; do daxhp-util write $MEMSYS/memory$b/state offline >/dev/null; done
pin_pages 64 /tmp/pin.out
for b in $LAST; do daxhp-util write $MEMSYS/memory$b/state online_movable >/dev/null; done
diag "pinned ${PINNED:-0} pages while blocks $LAST were offline; now $(block_summary "$DEV")"
if [ "${PINNED:-0}" -gt 0 ]; then
	unplug_until_killed "$DEV" "first range"
	check_eq "after the killed unplug: no pageblock left isolated" "$(isolated_pageblocks)" 0
	kill $PIN; wait $PIN 2>/dev/null
	r=$(hp_write "$DEV" unplugged); check_eq "unplug once unpinned" "$r" OK
	check_eq "no block left" "$(blocks_present "$DEV")" 0
	check_eq "no pageblock isolated at the end" "$(isolated_pageblocks)" 0
else
	nok "could not pin pages ($(cat /tmp/pin.out))"
fi
check_eq "neighbour $NB untouched (no block of it ever added)" "$(blocks_present "$NB")" 0
ktap_finish
