#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (g) Unbind from kmem while online: memory stays online, no BUG/Oops/deadlock.
# The driver reports it with dev_err, never a WARN: the boot's dmesg scan fails
# on any WARNING (a user-triggerable WARN panics panic_on_warn machines).
# Run last in a boot: the memory stays online and the device unusable.
. /tests/lib.sh
ktap_header "unbind: kmem unbind while online"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
N=$(nblocks "$DEV")

# 1. Stale cached state: attribute says online_movable, blocks offlined by hand
#    -> unbind must remove the (offline) ranges, no WARN needed.
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
hp_write "$DEV" online_movable >/dev/null
for b in $(dev_blocks "$DEV"); do daxhp-util write $MEMSYS/memory$b/state offline >/dev/null; done
check_eq "all blocks offlined per block" "$(block_summary "$DEV")" "offline*$N"
echo "$DEV" >$DAXBUS/drivers/kmem/unbind &
U=$!; i=0
while kill -0 $U 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $U 2>/dev/null; then nok "unbind (blocks offline, stale state) returns within 60 s"
else wait $U; ok "unbind (blocks offline, stale state) returns"; fi
check_eq "offline ranges removed on unbind" "$(blocks_present "$DEV")" 0
check_eq "device unbound" "$(driver_of "$DEV")" ""

# 2. Unbind while online.
check "rebind to kmem" bind_kmem "$DEV"
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable before unbind" "$r" OK
t0=$(now_ms)
echo "$DEV" >$DAXBUS/drivers/kmem/unbind &
U=$!; i=0
while kill -0 $U 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $U 2>/dev/null; then
	nok "unbind while online returns within 60 s (deadlock?)"
	echo w >/proc/sysrq-trigger
else
	wait $U
	ok "unbind while online returns ($(($(now_ms) - t0)) ms)"
fi
sleep 1
check_eq "device unbound from kmem" "$(driver_of "$DEV")" ""
check_eq "memory left online (all $N blocks, movable)" "$(block_summary "$DEV")" "online:Movable*$N"
check "the kernel said so (an error naming $DEV)" sh -c "dmesg | tail -n 60 | grep -q '$DEV: unbound with memory online'"
check "no WARNING from the unbind" sh -c "! dmesg | grep -qE 'WARNING:|cut here'"
# The memory is still usable: allocate in it.
check "memory left online is usable" sh -c "daxhp-util pin 64 >/dev/null & p=\$!; sleep 1; kill \$p"
ktap_finish
