#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# wait-online.sh DEV ZONE TIMEOUT_S: wait until every memory block of dax device
# DEV is online in ZONE (Movable|Normal); prints milliseconds since T0_NS (env).
# Not `daxhpctl wait`: the same kernel-side yardstick must time the daxctl
# baseline, where no daxhpd runs (operators order on daxhp-wait-online.service).
dev=$1 zone=$2 limit=$3
d=/sys/bus/dax/devices/$dev
bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
end=$(( $(date +%s) + limit ))
while :; do
	if [ -e $d/mapping0/start ]; then
		s=$(( $(cat $d/mapping0/start) )); e=$(( $(cat $d/mapping0/end) + 1 ))
		s=$(( (s + bs - 1) / bs * bs ))
		ok=1 n=0
		while [ $((s + bs)) -le $e ]; do
			b=/sys/devices/system/memory/memory$((s / bs))
			if [ ! -e $b ] || [ "$(cat $b/state)" != online ]; then ok=0; break; fi
			case $(cat $b/valid_zones) in $zone*) ;; *) ok=0; break ;; esac
			n=$((n + 1)); s=$((s + bs))
		done
		if [ $ok = 1 ] && [ $n -gt 0 ]; then
			now=$(date +%s%N)
			echo "$(( (now - T0_NS) / 1000000 ))"
			exit 0
		fi
	fi
	[ $(date +%s) -ge $end ] && { echo timeout; exit 1; }
	sleep 0.02
done
