# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the daxhp guest tests (busybox ash).  Sourced.
# KTAP goes to stdout and to $KTAP_OUT (set by /init).

KTAP_OUT=${KTAP_OUT:-/dev/null}
MEMSYS=/sys/devices/system/memory
DAXBUS=/sys/bus/dax
_n=0 _pass=0 _fail=0 _skip=0

out() { echo "$*"; echo "$*" >>"$KTAP_OUT"; }
ktap_header() { out "KTAP version 1"; out "# $*"; }
diag() { out "# $*"; }
ok() { _n=$((_n + 1)); _pass=$((_pass + 1)); out "ok $_n $*"; }
nok() { _n=$((_n + 1)); _fail=$((_fail + 1)); out "not ok $_n $*"; }
skip() { _n=$((_n + 1)); _skip=$((_skip + 1)); out "ok $_n $1 # SKIP ${2:-}"; }
check_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 # got '$2', want '$3'"; fi
}
check() { # DESC CMD...
	_d=$1; shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}
ktap_finish() {
	out "1..$_n"
	out "# Totals: pass:$_pass fail:$_fail skip:$_skip"
	[ "$_fail" -eq 0 ]
}
kmsg() { echo "daxhp: $*" >/dev/kmsg; }
now_ms() { echo $(($(daxhp-util now) / 1000000)); }

block_size() { echo $((0x$(cat $MEMSYS/block_size_bytes))); }

# Name of the first dax device of a kind: pmem (libnvdimm) or hmem.
find_dax() {
	for _d in $DAXBUS/devices/dax*; do
		[ -e "$_d" ] || continue
		case $(readlink -f "$_d") in
		*ndbus*) [ "$1" = pmem ] && { basename "$_d"; return 0; } ;;
		*hmem*) [ "$1" = hmem ] && { basename "$_d"; return 0; } ;;
		esac
	done
	return 1
}

# Turn the legacy pmem namespace into devdax (once); prints the dax device.
pmem_devdax() {
	find_dax pmem && return 0
	ndctl create-namespace -f -e namespace0.0 -m devdax >/tmp/ndctl.json 2>&1 ||
		{ cat /tmp/ndctl.json >&2; return 1; }
	find_dax pmem
}

# Physical ranges of a device, one "START END" (inclusive, decimal) a line.
dev_ranges() {
	_D=$DAXBUS/devices/$1
	if ls -d "$_D"/mapping[0-9]* >/dev/null 2>&1; then
		for _m in "$_D"/mapping[0-9]*; do
			echo "$(($(cat "$_m/start"))) $(($(cat "$_m/end")))"
		done
	else
		_s=$(($(cat "$_D/resource")))
		echo "$_s $((_s + $(cat "$_D/size") - 1))"
	fi
}
# Memory block ids wholly inside the device's ranges.
dev_blocks() {
	_bs=$(block_size)
	dev_ranges "$1" | while read -r _s _e; do
		_f=$(((_s + _bs - 1) / _bs))
		_l=$(((_e + 1) / _bs - 1))
		while [ "$_f" -le "$_l" ]; do echo "$_f"; _f=$((_f + 1)); done
	done
}
nblocks() { dev_blocks "$1" | wc -l; }
# How many of the device's blocks exist.
blocks_present() {
	_c=0
	for _b in $(dev_blocks "$1"); do [ -d $MEMSYS/memory$_b ] && _c=$((_c + 1)); done
	echo $_c
}
# One word per block: absent | offline | online:<zone>
block_summary() {
	for _b in $(dev_blocks "$1"); do
		if [ ! -d $MEMSYS/memory$_b ]; then echo absent
		elif [ "$(cat $MEMSYS/memory$_b/state)" = online ]; then
			echo "online:$(cat $MEMSYS/memory$_b/valid_zones)"
		else echo "$(cat $MEMSYS/memory$_b/state)"
		fi
	done | sort | uniq -c | awk '{ printf "%s%s*%s", sep, $2, $1; sep = "," }'
}
# Expected block_summary for a hotplug state and block count.
expect_summary() { # STATE N
	case $1 in
	unplugged) echo "absent*$2" ;;
	offline) echo "offline*$2" ;;
	online_movable) echo "online:Movable*$2" ;;
	online_kernel) echo "online:Normal*$2" ;;
	*) echo "?" ;;
	esac
}

hp_attr() { echo $DAXBUS/devices/$1/hotplug; }
hp_state() { cat "$(hp_attr "$1")" 2>/dev/null || echo "<no-attr>"; }
hp_write() { daxhp-util write "$(hp_attr "$1")" "$2"; } # prints OK or errno name
valid_state() {
	case $1 in unplugged|offline|online|online_kernel|online_movable) return 0 ;; esac
	return 1
}
driver_of() { [ -e $DAXBUS/devices/$1/driver ] && basename "$(readlink $DAXBUS/devices/$1/driver)"; }

# Bind a device to kmem (unbinding whatever holds it); probe onlines per policy.
bind_kmem() {
	_drv=$(driver_of "$1")
	[ "$_drv" = kmem ] && return 0
	[ -n "$_drv" ] && echo "$1" >$DAXBUS/drivers/$_drv/unbind
	# "bind" attaches this device only; "new_id" (needed when kmem does not
	# match the device type, e.g. pmem) re-runs driver_attach for every
	# unbound matching device (it would grab other hmem devices too).
	echo "$1" >$DAXBUS/drivers/kmem/bind 2>/dev/null
	[ "$(driver_of "$1")" = kmem ] || echo "$1" >$DAXBUS/drivers/kmem/new_id 2>/dev/null
	[ "$(driver_of "$1")" = kmem ]
}
# Back to device_dax; with the hotplug attribute, unplug first (no WARN).
bind_devdax() {
	_drv=$(driver_of "$1")
	[ "$_drv" = device_dax ] && return 0
	if [ "$_drv" = kmem ]; then
		[ -e "$(hp_attr "$1")" ] && hp_write "$1" unplugged >/dev/null
		echo "$1" >$DAXBUS/drivers/kmem/unbind
	elif [ -n "$_drv" ]; then
		echo "$1" >$DAXBUS/drivers/$_drv/unbind
	fi
	echo "$1" >$DAXBUS/drivers/device_dax/bind 2>/dev/null ||
		echo "$1" >$DAXBUS/drivers/device_dax/new_id
	[ "$(driver_of "$1")" = device_dax ]
}
# Device state agrees with its blocks ("state and blocks agree").
agree() { # DEV -> prints "" when consistent, else a reason
	_st=$(hp_state "$1"); _nb=$(nblocks "$1"); _sum=$(block_summary "$1")
	case $_st in
	unplugged|online_movable|online_kernel)
		[ "$_sum" = "$(expect_summary "$_st" "$_nb")" ] || echo "state $_st but blocks $_sum" ;;
	offline) # present, at least one offline
		case $_sum in *absent*) echo "state offline but blocks $_sum" ;;
		*offline*) ;; *) echo "state offline but blocks $_sum" ;; esac ;;
	online)
		case $_sum in absent*|*absent*|offline*|*offline*) echo "state online but blocks $_sum" ;; esac ;;
	*) echo "invalid state '$_st' (blocks $_sum)" ;;
	esac
}
# zoneinfo of a node's (default 0) Movable zone: "present managed free" in pages
movable_zone() {
	awk -v node="${1:-0}," '$1 == "Node" { z = ($2 == node) ? $4 : "" }
	     z == "Movable" && $1 == "pages" && $2 == "free" { f = $3 }
	     z == "Movable" && $1 == "present" { p = $2 }
	     z == "Movable" && $1 == "managed" { m = $2 }
	     END { print p + 0, m + 0, f + 0 }' /proc/zoneinfo
}
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
# Pageblocks of every zone that are MIGRATE_ISOLATE (/proc/pagetypeinfo:
# per node, free counts (", type" lines) and then block counts).
isolated_pageblocks() {
	awk '/^Number of blocks type/ { for (i = 1; i <= NF; i++) if ($i == "Isolate") c = i; next }
	     c && /^Node/ && !/, type / { n += $c }
	     END { print n + 0 }' /proc/pagetypeinfo
}
# unplug_filled DEV MIB: DEV online_movable is the guest's only ZONE_MOVABLE
# memory (checked); fill it with MIB MiB of tmpfs (user pages fill
# ZONE_MOVABLE first), unplug it once and check that the unplug migrated the
# pages in use, each at most once: pgmigrate_success delta <= pages in use
# before the unplug + 1024 (pages the kernel or the writer itself allocate in
# the device between the census and the isolation: a few hundred), and at
# least 3/4 of them (so the fill really was in the device).  The tmpfs stays
# mounted at /mnt/fill for the caller's own checks (then umount it).
unplug_filled() {
	_pages=$(($(nblocks "$1") * $(block_size) / 4096))
	read -r _present _managed _free <<EOF
$(movable_zone)
EOF
	check_eq "ZONE_MOVABLE is exactly the device ($_pages pages)" "$_present" "$_pages"
	mkdir -p /mnt/fill
	mount -t tmpfs -o size=$(($2 + 64))m tmpfs /mnt/fill
	dd if=/dev/zero of=/mnt/fill/f bs=1M count="$2" 2>/dev/null
	sync
	read -r _present _managed _free <<EOF
$(movable_zone)
EOF
	_used=$((_managed - _free))
	diag "device: $_pages pages, $_managed managed, $_free free, $_used in use after a $2 MiB tmpfs fill"
	if [ "$_used" -ge 32768 ]; then ok "the fill is in the device ($_used pages in use)"
	else nok "the fill is in the device # only $_used pages in use"; fi
	_s0=$(vmstat pgmigrate_success); _f0=$(vmstat pgmigrate_fail)
	_r=$(hp_write "$1" unplugged)
	_s1=$(vmstat pgmigrate_success); _f1=$(vmstat pgmigrate_fail)
	check_eq "unplug of the filled device" "$_r" OK
	_moved=$((_s1 - _s0))
	diag "unplug migrated $_moved pages (failed $((_f1 - _f0))), $_used were in use"
	if [ "$_moved" -ge $((_used * 3 / 4)) ]; then ok "the unplug migrated the pages in use ($_moved >= 3/4 of $_used)"
	else nok "the unplug migrated the pages in use # $_moved < 3/4 of $_used"; fi
	if [ "$_moved" -le $((_used + 1024)) ]; then ok "each page migrated at most once ($_moved <= $_used + 1024)"
	else nok "each page migrated at most once # $_moved > $_used + 1024"; fi
	check_eq "the fill survived the unplug" "$(wc -c </mnt/fill/f)" $(($2 << 20))
}
# unplug_until_killed DEV WHAT: an unplug of DEV, which pinned pages (WHAT
# says where) must keep from finishing, blocks; it is killed with SIGKILL
# after 3 s.  Then DEV must read online_movable, every block movable.
unplug_until_killed() {
	daxhp-util write "$(hp_attr "$1")" unplugged >/tmp/w.out 2>&1 & # the writer itself, not a subshell
	_w=$!
	sleep 3
	if kill -0 $_w 2>/dev/null; then
		ok "unplug blocks on the pinned $2"
		diag "while blocked: $(isolated_pageblocks) pageblocks isolated, blocks $(block_summary "$1")"
		kill -KILL $_w; wait $_w 2>/dev/null
	else
		wait $_w; nok "unplug blocks on the pinned $2 # finished: $(cat /tmp/w.out)"
	fi
	check_eq "after the killed unplug: reads online_movable" "$(hp_state "$1")" online_movable
	check_eq "after the killed unplug: every block of every range online movable" \
		"$(block_summary "$1")" "online:Movable*$(nblocks "$1")"
}
# two_range_device DEV [N2]: turn the boot's hmem device DEV (the whole
# region) into a device of two ranges, two blocks then N2 (default 2), with a
# new neighbour device NB of two blocks between them: unplug and unbind DEV
# (dynamic hmem devices only work with kmem: device_dax refuses them, so
# resize/create through sysfs, not daxctl), shrink it to two blocks, size NB
# to the next two, grow DEV by N2 past NB.
# NB is left without a driver: its memory must never be touched.  Sets NB,
# N (DEV's blocks) and ALLB (the region's blocks, for allb).
allb() { for _b in $ALLB; do [ -d $MEMSYS/memory$_b ] && printf '%s:%s ' $_b "$(cat $MEMSYS/memory$_b/state)"; done; }
two_range_device() {
	_Q=$(($(block_size) * 2))
	ALLB=$(dev_blocks "$1")
	diag "region blocks at boot: $(allb)"
	[ -e "$(hp_attr "$1")" ] && { _r=$(hp_write "$1" unplugged); diag "initial unplug: $_r; region blocks: $(allb)"; }
	[ -n "$(driver_of "$1")" ] && echo "$1" >$DAXBUS/drivers/$(driver_of "$1")/unbind
	diag "after unbind: region blocks: $(allb)"
	_rdir=$(readlink -f $DAXBUS/devices/$1/..)/dax_region
	_r=$(daxhp-util write $DAXBUS/devices/$1/size $_Q); check_eq "shrink $1 to 2 blocks" "$_r" OK
	_r=$(daxhp-util write $_rdir/create 1); check_eq "create a new device in the region" "$_r" OK
	NB=$(cat $_rdir/create) # reads the youngest device created
	_r=$(daxhp-util write $DAXBUS/devices/$NB/size $_Q); check_eq "size neighbour $NB to 2 blocks" "$_r" OK
	diag "neighbour $NB: $(dev_ranges "$NB" 2>/dev/null | tr '\n' ' ')"
	_n2=${2:-2}
	_r=$(daxhp-util write $DAXBUS/devices/$1/size $((_Q + _n2 * _Q / 2)))
	check_eq "grow $1 to $((2 + _n2)) blocks around the neighbour" "$_r" OK
	_nr=$(dev_ranges "$1" | wc -l)
	diag "$1 ranges now: $(dev_ranges "$1" | tr '\n' ' ')"
	check "$1 holds >= 2 ranges ($_nr)" [ "$_nr" -ge 2 ]
	N=$(nblocks "$1")
	check_eq "$1 spans $((2 + _n2)) blocks" "$N" $((2 + _n2))
	[ -n "$(driver_of "$NB")" ] && echo "$NB" >$DAXBUS/drivers/$(driver_of "$NB")/unbind
	return 0
}
# later_range_blocks DEV: the blocks of every range of DEV after its first.
later_range_blocks() {
	_first_end=$(dev_ranges "$1" | head -n1)
	_first_end=${_first_end#* }
	for _b in $(dev_blocks "$1"); do
		[ $((_b * $(block_size))) -gt "$_first_end" ] && echo "$_b"
	done
	return 0
}
# pin_pages MB OUT: `daxhp-util pin MB` in the background, its output in OUT;
# returns once it has pinned (its PINNED line) or died.  Sets PIN (its pid)
# and PINNED (pages pinned, 0 if none); returns 1 when nothing was pinned.
# A pinner that dies first (the OOM killer while it faults its buffer in)
# is reported with its exit status and the kernel's OOM lines, then tried
# once more: what the callers test is the unplug, not the pinning.
pin_pages() {
	for _try in 1 2; do
		daxhp-util pin "$1" >"$2" 2>&1 &
		PIN=$!
		_i=0
		while [ $_i -lt 900 ] && ! grep -q PINNED "$2" && kill -0 $PIN 2>/dev/null; do
			sleep 0.1; _i=$((_i + 1))
		done
		PINNED=$(sed -n 's/PINNED //p' "$2")
		[ -n "$PINNED" ] && return 0
		kill -0 $PIN 2>/dev/null && kill $PIN
		wait $PIN; _rc=$?
		diag "pin $1 MiB (try $_try): nothing pinned after $_i polls, exit $_rc, output '$(cat "$2")';" \
			"kernel: $(dmesg | grep -i -E 'oom|killed process|out of memory' | tail -n 3 | tr '\n' '|')"
	done
	PINNED=0
	return 1
}
