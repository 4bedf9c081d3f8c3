#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (b) Every transition of daxX.Y/hotplug, no-op writes, invalid writes + errno.
. /tests/lib.sh
ktap_header "transitions: every hotplug transition and invalid write"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_devdax "$DEV" >/dev/null 2>&1
check "no hotplug attribute while bound to device_dax" [ ! -e "$(hp_attr "$DEV")" ]
check "bind $DEV to kmem" bind_kmem "$DEV"
check "hotplug attribute present while bound to kmem" [ -e "$(hp_attr "$DEV")" ]
N=$(nblocks "$DEV")
diag "$DEV: $N blocks"

# Write VALUE, expect RESULT (OK or errno), then the state and the blocks.
tw() { # FROM-LABEL VALUE WANT-RESULT WANT-STATE
	r=$(hp_write "$DEV" "$2")
	st=$(hp_state "$DEV")
	if [ "$r" = "$3" ] && [ "$st" = "$4" ] && [ -z "$(agree "$DEV")" ]; then
		ok "$1 -> '$2': $3, reads $4"
	else
		nok "$1 -> '$2' # got $r/$st ($(block_summary "$DEV")), want $3/$4"
	fi
}
to() { # reach STATE (through unplugged)
	[ "$(hp_state "$DEV")" = "$1" ] && return 0
	[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
	[ "$1" = unplugged ] || hp_write "$DEV" "$1" >/dev/null
	[ "$(hp_state "$DEV")" = "$1" ]
}

# A zero-length write never reaches the driver (kernfs returns 0): the
# "empty" invalid value is a lone newline.
NL='
'
S0=$(hp_state "$DEV")
diag "state after probe: $S0"
# From the probe state (offline under the default policy).
check_eq "probe under the offline policy: reads offline" "$S0" offline
tw offline offline EINVAL offline
tw offline garbage EINVAL offline
tw offline unplugged OK unplugged

# Arrival: from a fresh bind (blocks present, offline) every online type
# onlines the present blocks in one write, nothing removed or added again.
rebind() { # unplug, unbind, bind: a fresh probe
	to unplugged
	echo "$DEV" >$DAXBUS/drivers/kmem/unbind
	bind_kmem "$DEV" && [ "$(hp_state "$DEV")" = offline ]
}
for on in online online_kernel online_movable; do
	check "fresh bind for $on: reads offline" rebind
	tw "fresh bind (offline)" "$on" OK "$on"
	case $on in
	online) case $(block_summary "$DEV") in
		"online:"*"*$N") ok "offline -> online: all $N blocks online" ;;
		*) nok "offline -> online: all $N blocks online # got $(block_summary "$DEV")" ;;
		esac ;;
	*) check_eq "offline -> $on: every block in its zone" "$(block_summary "$DEV")" \
		"$(expect_summary "$on" "$N")" ;;
	esac
done

# Offline with one block still online in ZONE_MOVABLE: online_kernel cannot
# be what the device ends up as, so nothing changes (EBUSY).  (Movable, not
# the other way round: offlining ZONE_NORMAL blocks by hand can fail on the
# debug kernel, whose unmovable allocations land there.)
to online_movable
for b in $(dev_blocks "$DEV" | tail -n +2); do daxhp-util write $MEMSYS/memory$b/state offline >/dev/null; done
check_eq "all blocks but the first offlined by hand: reads offline" "$(hp_state "$DEV")" offline
tw "offline(first online_movable)" online_kernel EBUSY offline
check_eq "refused online_kernel changed no block" "$(block_summary "$DEV")" "offline*$((N - 1)),online:Movable*1"
tw "offline(first online_movable)" online_movable OK online_movable
to unplugged

for on in online online_kernel online_movable; do
	to unplugged
	tw unplugged unplugged OK unplugged
	tw unplugged "$on" OK "$on"
	tw "$on" "$on" OK "$on"
	tw "$on" offline EINVAL "$on"
	tw "$on" garbage EINVAL "$on"
	tw "$on" "$NL" EINVAL "$on"
	for other in online online_kernel online_movable; do
		[ "$other" = "$on" ] && continue
		tw "$on" "$other" EBUSY "$on"
	done
	tw "$on" unplugged OK unplugged
done
to unplugged
tw unplugged offline EINVAL unplugged
tw unplugged garbage EINVAL unplugged
tw unplugged "$NL" EINVAL unplugged
tw unplugged ONLINE EINVAL unplugged
tw unplugged "online_movable " EINVAL unplugged
tw unplugged "unplugged_x" EINVAL unplugged
# sysfs_streq: a trailing newline is accepted (echo).
r=$(hp_write "$DEV" "online_movable
"); check_eq "unplugged -> 'online_movable\\n' accepted" "$r" OK
check_eq "reads online_movable" "$(hp_state "$DEV")" online_movable
echo unplugged >"$(hp_attr "$DEV")"; check_eq "echo unplugged > hotplug" "$(hp_state "$DEV")" unplugged

# Zone checks per type.
to online_kernel; check_eq "online_kernel: blocks in ZONE_NORMAL" "$(block_summary "$DEV")" "online:Normal*$N"
to online_movable; check_eq "online_movable: blocks in ZONE_MOVABLE" "$(block_summary "$DEV")" "online:Movable*$N"

# Per-block offline leaves the attribute reporting something valid; unplug still works.
B=$(dev_blocks "$DEV" | head -n1)
r=$(daxhp-util write $MEMSYS/memory$B/state offline); check_eq "per-block offline of memory$B" "$r" OK
check_eq "one block offlined by hand: reads offline" "$(hp_state "$DEV")" offline
tw "offline(mixed)" online_kernel EBUSY offline
tw "offline(mixed)" online_movable OK online_movable
daxhp-util write $MEMSYS/memory$B/state offline >/dev/null
tw "mixed" unplugged OK unplugged
check_eq "unplug of a mixed device removes every block" "$(blocks_present "$DEV")" 0

# Unplug after all blocks were offlined by hand (reads offline), then online again.
to online_movable
for b in $(dev_blocks "$DEV"); do daxhp-util write $MEMSYS/memory$b/state offline >/dev/null; done
check_eq "every block offlined by hand: reads offline" "$(hp_state "$DEV")" offline
tw "all-offline" unplugged OK unplugged
tw unplugged online_movable OK online_movable

# Unplug then rebind: a fresh probe re-creates blocks per policy.
to unplugged
echo "$DEV" >$DAXBUS/drivers/kmem/unbind
check_eq "unbind while unplugged: no block" "$(blocks_present "$DEV")" 0
check "rebind to kmem" bind_kmem "$DEV"
check_eq "rebind: state follows policy again" "$(hp_state "$DEV")" "$S0"
to unplugged
ktap_finish
