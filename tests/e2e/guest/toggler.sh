#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# "Another controller": flips the memory blocks of one dax device behind
# daxhpd's back, block by block, the way udev rules and scripts do.
#   daxhp-e2e-toggler DEV offline|online|online_movable|online_kernel [COUNT]
set -u
dev=$1 to=$2 count=${3:-1000}
n=0
blocks=$(ls -d /sys/bus/dax/devices/$dev/memory* 2>/dev/null)
if [ -z "$blocks" ]; then
	# Fall back: derive the blocks from the device's resource range.
	start=$(cat /sys/bus/dax/devices/$dev/resource 2>/dev/null || echo)
	size=$(cat /sys/bus/dax/devices/$dev/size)
	bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
	s=$((start)); e=$((s + size))
	blocks=""
	while [ $s -lt $e ]; do
		blocks="$blocks /sys/devices/system/memory/memory$((s / bs))"
		s=$((s + bs))
	done
fi
for b in $blocks; do
	[ $n -ge $count ] && break
	if echo "$to" >"$b/state" 2>/dev/null; then
		echo "${b##*/} -> $to"
	else
		echo "${b##*/} -> $to FAILED"
	fi
	n=$((n + 1))
done
