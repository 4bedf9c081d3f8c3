#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (d) A device with several ranges (hmem region: destroy/create/resize) is
# unplugged and onlined all-or-nothing across its ranges.
. /tests/lib.sh
ktap_header "multirange: all-or-nothing across the ranges of one hmem device"
DEV=$(find_dax hmem) || { nok "hmem dax device present"; ktap_finish; exit 1; }
ok "hmem dax device $DEV"
REGION=$(basename "$(readlink -f $DAXBUS/devices/$DEV/..)")
RID=${DEV#dax}; RID=${RID%%.*}
BS=$(block_size)
diag "$DEV region $RID: $(dev_ranges "$DEV" | tr '\n' ' ') block $BS"

two_range_device "$DEV"

check "bind $DEV to kmem" bind_kmem "$DEV"
st=$(hp_state "$DEV"); diag "probe state $st; region blocks: $(allb)"
r=$(agree "$DEV"); check_eq "probe: state and blocks agree" "$r" ""
# Arrival: the blocks bind added (offline policy) are onlined in place,
# across both ranges, in one write.
check_eq "probe under the offline policy: reads offline" "$st" offline
r=$(hp_write "$DEV" online_movable); check_eq "offline -> online_movable across ranges" "$r" OK
check_eq "offline -> online_movable: reads online_movable" "$(hp_state "$DEV")" online_movable
check_eq "offline -> online_movable: every block of every range movable" \
	"$(block_summary "$DEV")" "online:Movable*$N"
r=$(hp_write "$DEV" unplugged); check_eq "unplug after the arrival" "$r" OK
check_eq "unplugged: no block in any range" "$(blocks_present "$DEV")" 0

for t in online_movable online_kernel online; do
	r=$(hp_write "$DEV" $t); check_eq "$t across ranges" "$r" OK
	check_eq "$t: all $N blocks of both ranges present" "$(blocks_present "$DEV")" "$N"
	r=$(agree "$DEV"); check_eq "$t: state and blocks agree" "$r" ""
	diag "$t: region blocks: $(allb)"
	r=$(hp_write "$DEV" unplugged); check_eq "unplug from $t" "$r" OK
	check_eq "unplug from $t: no block left in any range" "$(blocks_present "$DEV")" 0
done

# Failed unplug across ranges: pages pinned in the LAST range only (the other
# ranges are offline while the pinning process allocates, then onlined again):
# unplug offlines the first range, blocks on the last; SIGKILL -> rollback.
hp_write "$DEV" online_movable >/dev/null
LASTR=$(dev_ranges "$DEV" | tail -n1)
FIRST=
for b in $(dev_blocks "$DEV"); do
	s=$((b * BS))
	[ "$s" -ge "${LASTR%% *}" ] || FIRST="$FIRST $b"
done
for b in $FIRST; do daxhp-util write $MEMSYS/memory$b/state offline >/dev/null; done
pin_pages 512 /tmp/pin.out
for b in $FIRST; do daxhp-util write $MEMSYS/memory$b/state online_movable >/dev/null; done
np=$PINNED
diag "pinned ${np:-0} pages while blocks$FIRST were offline; now $(block_summary "$DEV")"
if [ "${np:-0}" -gt 0 ]; then
	unplug_until_killed "$DEV" "last range"
	kill $PIN; wait $PIN 2>/dev/null
	r=$(hp_write "$DEV" unplugged); check_eq "unplug once unpinned" "$r" OK
	check_eq "no block left" "$(blocks_present "$DEV")" 0
else
	nok "could not pin pages ($(cat /tmp/pin.out))"
fi
# Per-block interference on one range only, then unplug: still all-or-nothing.
hp_write "$DEV" online_movable >/dev/null
B=$(dev_blocks "$DEV" | tail -n1)
daxhp-util write $MEMSYS/memory$B/state offline >/dev/null
r=$(hp_write "$DEV" unplugged); check_eq "unplug with one block offlined by hand" "$r" OK
check_eq "no block left in any range" "$(blocks_present "$DEV")" 0
diag "neighbour $NB: driver '$(driver_of "$NB")', blocks $(dev_blocks "$NB" | tr '\n' ' ')-> $(block_summary "$NB")"
check_eq "neighbour $NB never bound to kmem" "$(driver_of "$NB")" ""
check_eq "neighbour $NB untouched (no block of it ever added)" "$(blocks_present "$NB")" 0
ktap_finish
