#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (n) failearly: an unplug that cannot finish because a later range holds
# unmovable kernel memory fails before it migrates a single page.
# The hmem device sits on a CPU-less NUMA node of its own, as CXL memory
# does, so an allocation bound to that node can only come from the device.
# It is made into two ranges; the first (two blocks) is onlined movable and
# filled with 160 MiB of tmpfs, the second (one block) is onlined as kernel
# memory and given page-table pages (unmovable, allowed only in kernel
# zones).
# Offlining range by range (series v8 and before) migrated the whole first
# range to node 0 and only then found the second range's page tables: the
# unplug failed with EBUSY after moving 40k pages for nothing (and back
# into place never: they stay on node 0).  Isolating the later ranges
# before the first is offlined (v9) finds them first: EBUSY, no migration.
. /tests/lib.sh
ktap_header "failearly: an unmovable page in a later range fails the unplug before any migration"
DEV=$(find_dax hmem) || { nok "hmem dax device present"; ktap_finish; exit 1; }
NODE=$(cat $DAXBUS/devices/$DEV/target_node)
check_eq "hmem device $DEV is on node 1, a node of its own" "$NODE" 1
# The second range is one block: its kernel-side metadata allocated when it
# comes online (the KASAN shadow of the debug kernel, page_ext) prefers the
# block's node, and with two blocks the first one onlined would hold the
# second's, unmovable, and the device could never be unplugged again.
two_range_device "$DEV" 1
check "bind $DEV to kmem" bind_kmem "$DEV"
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable across both ranges" "$r" OK

# The second range becomes kernel memory block by block; the first stays
# online meanwhile, so node 1 never runs out of memory and its kswapd and
# kcompactd (started with the first onlining, their memory on node 0 then,
# ZONE_MOVABLE being no place for it) are not started again into it.
LAST=$(echo $(later_range_blocks "$DEV"))
for b in $LAST; do daxhp-util write $MEMSYS/memory$b/state offline >/dev/null; done
for b in $LAST; do daxhp-util write $MEMSYS/memory$b/state online_kernel >/dev/null; done
MIXED=$(block_summary "$DEV")
check_eq "first range movable, second range (blocks $LAST) kernel" "$MIXED" "online:Movable*2,online:Normal*1"
check_eq "a device with both zones reads online" "$(hp_state "$DEV")" online

node_pagetables_kb() {
	awk '$3 == "PageTables:" { print $4 }' /sys/devices/system/node/node$NODE/meminfo
}
daxhp-util pgtables 64 "$NODE" >/tmp/pgt.out 2>&1 &
PGT=$!
_i=0
while [ $_i -lt 300 ] && ! grep -q PGTABLES /tmp/pgt.out && kill -0 $PGT 2>/dev/null; do
	sleep 0.1; _i=$((_i + 1))
done
check_eq "64 page tables made on node $NODE" "$(cat /tmp/pgt.out)" "PGTABLES 64"
PT=$(node_pagetables_kb)
if [ "${PT:-0}" -ge 128 ]; then ok "node $NODE holds page tables (${PT} kB): in the second range, its only kernel memory"
else nok "node $NODE holds page tables # ${PT:-?} kB"; fi

# Page cache bound to the node takes its ZONE_MOVABLE first: the first range.
mkdir -p /mnt/fill
mount -t tmpfs -o size=224m,mpol=bind:$NODE tmpfs /mnt/fill
dd if=/dev/zero of=/mnt/fill/f bs=1M count=160 2>/dev/null
read -r _present _managed _free <<EOF
$(movable_zone "$NODE")
EOF
USED=$((_managed - _free))
diag "node $NODE ZONE_MOVABLE (the first range): $_present pages, $_free free, $USED in use after the fill"
if [ "$USED" -ge 32768 ]; then ok "the fill is in the first range ($USED pages in use)"
else nok "the fill is in the first range # only $USED pages in use"; fi

check_eq "no pageblock isolated before the unplug" "$(isolated_pageblocks)" 0
s0=$(vmstat pgmigrate_success); f0=$(vmstat pgmigrate_fail)
r=$(hp_write "$DEV" unplugged)
s1=$(vmstat pgmigrate_success); f1=$(vmstat pgmigrate_fail)
check_eq "unplug refused: the second range holds page tables" "$r" EBUSY
check_eq "no page migrated before the refusal (pgmigrate_success delta)" $((s1 - s0)) 0
check_eq "no migration attempted (pgmigrate_fail delta)" $((f1 - f0)) 0
check_eq "after the refusal: still reads online" "$(hp_state "$DEV")" online
check_eq "after the refusal: every block where it was" "$(block_summary "$DEV")" "$MIXED"
check_eq "after the refusal: no pageblock left isolated" "$(isolated_pageblocks)" 0
read -r _present _managed _free <<EOF
$(movable_zone "$NODE")
EOF
_still=$((_managed - _free))
if [ "$_still" -ge $((USED - 1024)) ]; then ok "after the refusal: the fill still in the first range ($_still pages in use)"
else nok "after the refusal: the fill still in the first range # $_still pages in use, $USED before"; fi

# Without the page tables the same unplug goes through.  Page tables are
# freed after an RCU grace period: wait for the node's count to drop.
kill $PGT; wait $PGT 2>/dev/null
_i=0
while [ $_i -lt 100 ] && [ "$(node_pagetables_kb)" -gt 0 ]; do sleep 0.1; _i=$((_i + 1)); done
check_eq "page tables gone from node $NODE" "$(node_pagetables_kb)" 0
r=$(hp_write "$DEV" unplugged); check_eq "unplug once the page tables are gone" "$r" OK
check_eq "no block left" "$(blocks_present "$DEV")" 0
check_eq "no pageblock isolated at the end" "$(isolated_pageblocks)" 0
check_eq "the fill survived the unplug" "$(wc -c </mnt/fill/f)" $((160 << 20))
umount /mnt/fill
check_eq "neighbour $NB untouched (no block of it ever added)" "$(blocks_present "$NB")" 0
ktap_finish
