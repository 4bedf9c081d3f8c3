#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# unplug.sh attr|loop DEV: take the online memory of kmem-bound DEV out of the
# system; prints milliseconds.
#   attr  one write of unplugged to the whole-device attribute: daxX.Y/hotplug
#         (the series) or daxX.Y/state (Linux 7.3)
#   loop  what a tool does without it: offline every block (memoryN/state),
#         then unbind kmem (which removes the offline memory)
how=$1 dev=$2
d=/sys/bus/dax/devices/$dev
bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
[ "$how" = loop ] || [ -e $d/hotplug ] || [ -e $d/state ] || { echo "$dev: no hotplug or state attribute" >&2; exit 1; }
s=$(( $(cat $d/mapping0/start) )); e=$(( $(cat $d/mapping0/end) + 1 ))
t0=$(date +%s%N)
case $how in
attr) a=hotplug; [ -e $d/hotplug ] || a=state
	echo unplugged >$d/$a || exit 1 ;;
loop)
	b=$(( (s + bs - 1) / bs ))
	while [ $(( (b + 1) * bs )) -le $e ]; do
		echo offline >/sys/devices/system/memory/memory$b/state || exit 1
		b=$((b + 1))
	done
	echo "$dev" >/sys/bus/dax/drivers/kmem/unbind || exit 1 ;;
esac
t1=$(date +%s%N)
echo $(( (t1 - t0) / 1000000 ))
