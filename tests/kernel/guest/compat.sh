#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (h) Backward compatibility: daxctl and per-block memoryN/state still work.
. /tests/lib.sh
ktap_header "compat: daxctl reconfigure-device / online-memory / offline-memory"

DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
ok "pmem namespace -> devdax ($DEV)"
bind_devdax "$DEV" >/dev/null 2>&1
N=$(nblocks "$DEV")
diag "$DEV ranges: $(dev_ranges "$DEV" | tr '\n' ' ') -> $N blocks of $(block_size) bytes"
check "device has memory blocks to hot-add" [ "$N" -gt 0 ]

t0=$(now_ms)
daxctl reconfigure-device -m system-ram "$DEV" >/tmp/out 2>&1; rc=$?
t1=$(now_ms)
check_eq "daxctl reconfigure-device -m system-ram exits 0 ($((t1 - t0)) ms)" "$rc" 0
[ $rc -eq 0 ] || cat /tmp/out
check_eq "driver is kmem" "$(driver_of "$DEV")" kmem
check_eq "all blocks online movable (daxctl default)" "$(block_summary "$DEV")" "online:Movable*$N"
grep -q '"mode":"system-ram"' /tmp/out && ok "daxctl reports mode system-ram" ||
	{ nok "daxctl reports mode system-ram"; cat /tmp/out; }

daxctl offline-memory "$DEV" >/tmp/out 2>&1; rc=$?
check_eq "daxctl offline-memory exits 0" "$rc" 0
check_eq "all blocks offline" "$(block_summary "$DEV")" "offline*$N"
[ -e "$(hp_attr "$DEV")" ] && diag "hotplug reads '$(hp_state "$DEV")' after per-block offline"

daxctl online-memory "$DEV" >/tmp/out 2>&1; rc=$?
check_eq "daxctl online-memory exits 0" "$rc" 0
check_eq "all blocks online movable again" "$(block_summary "$DEV")" "online:Movable*$N"

# Plain per-block ABI, one block.
B=$(dev_blocks "$DEV" | head -n1)
r=$(daxhp-util write $MEMSYS/memory$B/state offline)
check_eq "memory$B/state offline" "$r" OK
check_eq "memory$B reads offline" "$(cat $MEMSYS/memory$B/state)" offline
r=$(daxhp-util write $MEMSYS/memory$B/state online_movable)
check_eq "memory$B/state online_movable" "$r" OK
check_eq "memory$B zone Movable" "$(cat $MEMSYS/memory$B/valid_zones)" Movable

daxctl list -d "$DEV" >/tmp/out 2>&1
grep -q '"online_memblocks":'"$N" /tmp/out && ok "daxctl list counts $N online memblocks" ||
	{ nok "daxctl list counts $N online memblocks"; cat /tmp/out; }

t0=$(now_ms)
daxctl reconfigure-device -m devdax -f "$DEV" >/tmp/out 2>&1; rc=$?
t1=$(now_ms)
check_eq "daxctl reconfigure-device -m devdax -f exits 0 ($((t1 - t0)) ms)" "$rc" 0
[ $rc -eq 0 ] || cat /tmp/out
check_eq "driver is device_dax" "$(driver_of "$DEV")" device_dax
check_eq "no block of the device remains" "$(blocks_present "$DEV")" 0
check "no hotplug attribute while bound to device_dax" [ ! -e "$(hp_attr "$DEV")" ]

# Round trip once more (re-add after remove).
daxctl reconfigure-device -m system-ram "$DEV" >/tmp/out 2>&1
check_eq "second system-ram round trip" "$(block_summary "$DEV")" "online:Movable*$N"
daxctl reconfigure-device -m devdax -f "$DEV" >/tmp/out 2>&1
check_eq "second devdax round trip removes blocks" "$(blocks_present "$DEV")" 0
ktap_finish
