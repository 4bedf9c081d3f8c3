#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (l) migrate: an unplug moves each page in use at most once, and out of the
# device.  The device (online_movable) is the only ZONE_MOVABLE memory of the
# guest, and user pages fill ZONE_MOVABLE first, so 256 MiB of tmpfs lands in
# it.  Offlining block by block (series v6 and before) moved each block's
# pages into the next block of the same device, so one unplug migrated ~4x
# the pages in use; isolating the whole device first (v7) migrates each page
# once (the bound: unplug_filled in lib.sh).
. /tests/lib.sh
ktap_header "migrate: unplug migrates each page in use at most once"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
N=$(nblocks "$DEV")
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable" "$r" OK

unplug_filled "$DEV" 256
check_eq "state and blocks agree" "$(agree "$DEV")" ""
umount /mnt/fill

r=$(hp_write "$DEV" online_movable); check_eq "online_movable again" "$r" OK
check_eq "every block back online in ZONE_MOVABLE" "$(block_summary "$DEV")" "$(expect_summary online_movable "$N")"
r=$(hp_write "$DEV" unplugged); check_eq "unplugged again (empty device)" "$r" OK
ktap_finish
