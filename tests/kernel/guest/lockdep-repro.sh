#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Reproduces, with stock interfaces only (daxctl and memoryN/state, no
# hotplug attribute), the lockdep report listed in kernel/qemu/known-splats
# (see tests/kernel/KNOWN-SPLATS.md): memory blocks offlined through sysfs,
# then removed (kmem unbind) while other writers of their state file wait in
# lock_device_hotplug_sysfs(), which sleeps 5 ms holding the file's kernfs
# active reference, so the removal has to drain it.  The writers write
# "offline" to blocks that are already offline: no change of state.  Run on
# the pristine debug kernel to show the report is not the series'; stops
# cycling as soon as lockdep has spoken.
. /tests/lib.sh
CYCLES=${DAXHP_REPRO_CYCLES:-40}
ktap_header "lockdep-repro: stock daxctl offline + remove with concurrent state readers"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_devdax "$DEV" >/dev/null 2>&1
check_eq "$DEV bound to device_dax" "$(driver_of "$DEV")" device_dax
BLOCKS=$(dev_blocks "$DEV")

i=0 bad=0 seen=no
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	daxctl reconfigure-device -m system-ram "$DEV" >/tmp/out 2>&1 || bad=$((bad + 1))
	daxctl offline-memory "$DEV" >/tmp/out 2>&1 || bad=$((bad + 1))
	rm -f /tmp/repro.stop
	( while [ ! -e /tmp/repro.stop ]; do
		for b in $BLOCKS; do echo offline >$MEMSYS/memory$b/state 2>/dev/null; done
	done ) &
	W=$!
	daxctl reconfigure-device -m devdax -f "$DEV" >/tmp/out 2>&1 || bad=$((bad + 1))
	touch /tmp/repro.stop; wait $W
	if dmesg | grep -q 'possible circular locking dependency'; then seen=yes; break; fi
done
diag "cycles: $i, daxctl failures: $bad, lockdep report: $seen"
check_eq "every daxctl step succeeded" "$bad" 0
check_eq "device back in devdax mode" "$(driver_of "$DEV")" device_dax
# The point of the group on a lockdep kernel: the report happens without
# the series.  (Without PROVE_LOCKING there is nothing to reproduce.)
[ -e /proc/lockdep ] && check_eq "lockdep report reproduced with stock interfaces" "$seen" yes
ktap_finish
