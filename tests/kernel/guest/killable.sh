#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (k) A write to one device's "hotplug" is killable while another device's
# unplug holds the memory hotplug lock, and a killed write changes nothing.
# Device A (online_movable, filled with pinned pages) runs an unplug that
# retries until its writer gets a signal; a writer asking device B
# (unplugged) for online_movable waits for the lock; SIGKILL must end it
# within 5 s (the seed slept unkillably in lock_device_hotplug() until A's
# unplug ended, and then onlined B anyway).
. /tests/lib.sh
# State of DEV read with a 3 s bound ("<blocked>" if the read sleeps: the
# seed's show waited for the per-device mutex that B's stuck writer holds).
state_bounded() {
	daxhp-util read "$(hp_attr "$1")" >/tmp/ks.out 2>&1 &
	_r=$!; _j=0
	while kill -0 $_r 2>/dev/null && [ $_j -lt 30 ]; do usleep 100000; _j=$((_j + 1)); done
	if kill -0 $_r 2>/dev/null; then echo "<blocked>"; return; fi
	wait $_r; read -r _v _us </tmp/ks.out; echo "$_v"
}
ktap_header "killable: a store waiting for another device's transition dies on SIGKILL"
for ns in namespace0.0 namespace1.0; do
	ndctl list -n "$ns" 2>/dev/null | grep -q devdax ||
		ndctl create-namespace -f -e "$ns" -m devdax >/tmp/ndctl.$ns 2>&1 ||
		diag "$ns: $(cat /tmp/ndctl.$ns)"
done
DEVS=
for d in $DAXBUS/devices/dax*; do
	case $(readlink -f "$d") in *ndbus*) DEVS="$DEVS $(basename "$d")" ;; esac
done
set -- $DEVS
[ $# -ge 2 ] || { nok "two pmem dax devices (have:$DEVS)"; ktap_finish; exit 1; }
# A: the larger device (slow unplug), B: the other one.
if [ "$(nblocks "$1")" -ge "$(nblocks "$2")" ]; then DA=$1 DB=$2; else DA=$2 DB=$1; fi
ok "devices $DA ($(nblocks "$DA") blocks) and $DB ($(nblocks "$DB") blocks)"
check "bind $DA to kmem" bind_kmem "$DA"
check "bind $DB to kmem" bind_kmem "$DB"
NB=$(nblocks "$DB")
[ "$(hp_state "$DB")" = unplugged ] || hp_write "$DB" unplugged >/dev/null
[ "$(hp_state "$DA")" = unplugged ] || hp_write "$DA" unplugged >/dev/null
r=$(hp_write "$DA" online_movable); check_eq "$DA online_movable" "$r" OK
check_eq "$DB unplugged" "$(hp_state "$DB")" unplugged

pin_pages 640 /tmp/kpin.out
diag "pinned $PINNED pages; $DA blocks $(block_summary "$DA")"

daxhp-util write "$(hp_attr "$DA")" unplugged >/tmp/wa.out 2>&1 &
WA=$!
sleep 1
if kill -0 $WA 2>/dev/null; then ok "$DA unplug is running (writer busy after 1 s)"
else nok "$DA unplug is running (it ended early: $(cat /tmp/wa.out))"; fi

daxhp-util write "$(hp_attr "$DB")" online_movable >/tmp/wb.out 2>&1 &
WB=$!
sleep 1
if kill -0 $WB 2>/dev/null; then ok "$DB writer waits while $DA's unplug runs"
else nok "$DB writer waits while $DA's unplug runs (it returned '$(cat /tmp/wb.out)')"; fi
t0=$(now_ms)
kill -KILL $WB 2>/dev/null
i=0; while kill -0 $WB 2>/dev/null && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
if kill -0 $WB 2>/dev/null; then
	nok "$DB writer exits within 5 s of SIGKILL"
	diag "$(grep -i state /proc/$WB/status 2>/dev/null)"
else
	ok "$DB writer exits within 5 s of SIGKILL ($(($(now_ms) - t0)) ms)"
fi
check_eq "$DA unplug still running after the kill" "$(kill -0 $WA 2>/dev/null && echo yes || echo no)" yes
check_eq "$DB unchanged while $DA's unplug runs" "$(state_bounded "$DB")/$(blocks_present "$DB")" "unplugged/0"

kill -KILL $WA 2>/dev/null
wait $WA 2>/dev/null
wait $WB 2>/dev/null
kill $PIN; wait $PIN 2>/dev/null
check_eq "$DB still unplugged after everything ended" "$(hp_state "$DB")/$(blocks_present "$DB")" "unplugged/0"
check_eq "$DA rolled back" "$(hp_state "$DA")/$(block_summary "$DA")" "online_movable/$(expect_summary online_movable "$(nblocks "$DA")")"
r=$(hp_write "$DB" online_movable); check_eq "$DB can be onlined afterwards" "$r" OK
check_eq "$DB blocks" "$(block_summary "$DB")" "$(expect_summary online_movable "$NB")"
r=$(hp_write "$DB" unplugged); check_eq "$DB unplug" "$r" OK
r=$(hp_write "$DA" unplugged); check_eq "$DA unplug once unpinned" "$r" OK
ktap_finish
