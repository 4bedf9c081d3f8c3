#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (c) kmem probe under memhp_default_state=X: blocks created, onlined per the
# policy resolved at probe time, and the hotplug attribute reports it.
. /tests/lib.sh
POLICY=offline
for a in $(cat /proc/cmdline); do
	case $a in memhp_default_state=*) POLICY=${a#*=} ;; esac
done
ktap_header "probe: memhp_default_state=$POLICY"
check_eq "auto_online_blocks reflects the command line" "$(cat $MEMSYS/auto_online_blocks)" "$POLICY"

if DEV=$(find_dax hmem); then
	KIND=hmem
	check_eq "hmem $DEV bound to kmem at boot" "$(driver_of "$DEV")" kmem
else
	KIND=pmem
	DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
	bind_devdax "$DEV" >/dev/null 2>&1
	check "bind $KIND $DEV to kmem" bind_kmem "$DEV"
fi
N=$(nblocks "$DEV")
diag "$KIND $DEV: $N blocks, ranges $(dev_ranges "$DEV" | tr '\n' ' ')"

check_state() { # POLICY WHEN
	st=$(hp_state "$DEV")
	check_eq "$2: hotplug reads $1" "$st" "$1"
	check_eq "$2: all $N blocks present" "$(blocks_present "$DEV")" "$N"
	case $1 in
	online) sum=$(block_summary "$DEV")
		case $sum in "online:"*"*$N") ok "$2: all blocks online ($sum)" ;;
		*) nok "$2: all blocks online # got $sum" ;; esac ;;
	*) check_eq "$2: blocks match the state" "$(block_summary "$DEV")" "$(expect_summary "$1" "$N")" ;;
	esac
	r=$(agree "$DEV"); check_eq "$2: state and blocks agree" "$r" ""
}
check_state "$POLICY" "probe"

# Re-probe after an unplug + unbind: same policy, same result.
r=$(hp_write "$DEV" unplugged); check_eq "unplug before re-probe" "$r" OK
check_eq "unplugged: no block left" "$(blocks_present "$DEV")" 0
echo "$DEV" >$DAXBUS/drivers/kmem/unbind
check_eq "unbound from kmem" "$(driver_of "$DEV")" ""
check "re-bind to kmem" bind_kmem "$DEV"
check_state "$POLICY" "re-probe"

# The policy is resolved at probe time: change it at runtime, re-probe.
case $POLICY in offline) NEW=online_movable ;; *) NEW=offline ;; esac
hp_write "$DEV" unplugged >/dev/null
echo "$DEV" >$DAXBUS/drivers/kmem/unbind
echo "$NEW" >$MEMSYS/auto_online_blocks
check "re-bind with auto_online_blocks=$NEW" bind_kmem "$DEV"
check_state "$NEW" "runtime policy $NEW"
echo "$POLICY" >$MEMSYS/auto_online_blocks
hp_write "$DEV" unplugged >/dev/null
echo "$DEV" >$DAXBUS/drivers/kmem/unbind
bind_kmem "$DEV"
check_state "$POLICY" "policy restored"
ktap_finish
