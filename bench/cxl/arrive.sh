#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# arrive.sh MEMDEV ZONE TIMEOUT_S: create a ram region on MEMDEV with
# daxhp-cxl-region and wait until every block of its dax device is online in
# ZONE; prints "<ms since before the create> <region> <dax device>".
mem=$1 zone=$2 limit=$3
T0_NS=$(date +%s%N)
export T0_NS
r=$(daxhp-cxl-region create "$mem") || exit 1
dev=
while [ -z "$dev" ]; do
	for d in /sys/bus/cxl/devices/$r/dax_region*/dax*.*; do [ -e "$d" ] && dev=${d##*/}; done
	[ -n "$dev" ] || sleep 0.01
done
ms=$(wait-online "$dev" "$zone" "$limit") || { echo "timeout $r $dev"; exit 1; }
echo "$ms $r $dev"
