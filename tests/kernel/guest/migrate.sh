#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (l) migrate: an unplug moves each page in use at most once, and out of the
# device.  The device (online_movable) is the only ZONE_MOVABLE memory of the
# guest, and user pages fill ZONE_MOVABLE first, so 256 MiB of tmpfs lands in
# it.  Offlining block by block (series v6 and before) moved each block's
# pages into the next block of the same device, so one unplug migrated ~4x
# the pages in use; isolating the whole device first (v7) migrates each page
# once.  Bound: pgmigrate_success delta <= pages in use before the unplug +
# SLACK (pages the kernel or the writer itself allocate in the device between
# the census and the isolation: a few hundred).
. /tests/lib.sh
SLACK=1024
ktap_header "migrate: unplug migrates each page in use at most once"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
N=$(nblocks "$DEV")
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable" "$r" OK

DEVPAGES=$((N * $(block_size) / 4096))
read -r present managed free <<EOF
$(movable_zone)
EOF
check_eq "ZONE_MOVABLE is exactly the device ($N blocks)" "$present" "$DEVPAGES"

mkdir -p /mnt/fill
mount -t tmpfs -o size=320m tmpfs /mnt/fill
dd if=/dev/zero of=/mnt/fill/f bs=1M count=256 2>/dev/null
sync
read -r present managed free <<EOF
$(movable_zone)
EOF
used=$((managed - free))
diag "device: $DEVPAGES pages, $managed managed, $free free, $used in use after a 256 MiB tmpfs fill"
if [ "$used" -ge 32768 ]; then
	ok "the fill is in the device ($used pages in use)"
else
	nok "the fill is in the device # only $used pages in use"
fi

s0=$(vmstat pgmigrate_success); f0=$(vmstat pgmigrate_fail)
r=$(hp_write "$DEV" unplugged)
s1=$(vmstat pgmigrate_success); f1=$(vmstat pgmigrate_fail)
check_eq "unplug of the filled device" "$r" OK
moved=$((s1 - s0))
diag "unplug migrated $moved pages (failed $((f1 - f0))), $used were in use"
if [ "$moved" -ge $((used * 3 / 4)) ]; then
	ok "the unplug migrated the pages in use ($moved >= 3/4 of $used)"
else
	nok "the unplug migrated the pages in use # $moved < 3/4 of $used"
fi
if [ "$moved" -le $((used + SLACK)) ]; then
	ok "each page migrated at most once ($moved <= $used + $SLACK)"
else
	nok "each page migrated at most once # $moved > $used + $SLACK"
fi
check_eq "the fill survived the unplug" "$(wc -c </mnt/fill/f)" $((256 << 20))
check_eq "state and blocks agree" "$(agree "$DEV")" ""
umount /mnt/fill

r=$(hp_write "$DEV" online_movable); check_eq "online_movable again" "$r" OK
check_eq "every block back online in ZONE_MOVABLE" "$(block_summary "$DEV")" "$(expect_summary online_movable "$N")"
r=$(hp_write "$DEV" unplugged); check_eq "unplugged again (empty device)" "$r" OK
ktap_finish
