#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# (j) Reads of "hotplug" answer at once while an unplug runs.
# The device is online_movable and filled: pinned pages (vmsplice references,
# daxhp-util pin) cannot be migrated, so the unplug retries until its writer
# gets a signal.  While it runs, 20 samples of 3 back-to-back reads each
# (60 reads): every read returns a value from the read table, and every
# sample's fastest read takes at most 50 ms (timed inside daxhp-util:
# open+read+close).  Best of 3 because guest time under TCG includes the
# host descheduling QEMU (a loaded 2-core host stalls a plain read of a
# file for 60+ ms now and then); a read that waits for the transition is slow
# every time: the seed's show took the per-device mutex, and its reads did
# not return at all until the writer was killed.
. /tests/lib.sh
ktap_header "readers: hotplug reads during a running unplug"
DEV=$(pmem_devdax) || { nok "pmem namespace -> devdax"; ktap_finish; exit 1; }
bind_kmem "$DEV" || { nok "bind kmem"; ktap_finish; exit 1; }
N=$(nblocks "$DEV")
A=$(hp_attr "$DEV")
[ "$(hp_state "$DEV")" = unplugged ] || hp_write "$DEV" unplugged >/dev/null
r=$(hp_write "$DEV" online_movable); check_eq "online_movable" "$r" OK

# Fill: user pages go to ZONE_MOVABLE first, which is this device alone.
pin_pages 640 /tmp/rpin.out
np=$PINNED
diag "pinned ${np:-0} pages (640 MiB, one per 64 KiB); blocks $(block_summary "$DEV")"

daxhp-util write "$A" unplugged >/tmp/rw.out 2>&1 & # the writer itself
W=$!
sleep 1
if kill -0 $W 2>/dev/null; then ok "unplug is running (pinned pages: writer busy after 1 s)"
else nok "unplug is running (it ended early: $(cat /tmp/rw.out))"; fi

reads=0 slow=0 bad=0 hung=0 max=0 worst=0 seen= lat=
for i in $(seq 1 20); do
	daxhp-util read "$A" 3 >/tmp/r.out 2>&1 &
	R=$!
	j=0; while kill -0 $R 2>/dev/null && [ $j -lt 30 ]; do usleep 100000; j=$((j + 1)); done
	if kill -0 $R 2>/dev/null; then
		hung=1
		diag "read $i still blocked after 3 s"
		break
	fi
	wait $R
	read -r vs us umax </tmp/r.out
	reads=$((reads + 1))
	for v in $(echo "$vs" | tr ',' ' '); do
		valid_state "$v" || { bad=$((bad + 1)); diag "sample $i: invalid '$v'"; }
		case " $seen " in *" $v "*) ;; *) seen="$seen $v" ;; esac
	done
	[ "${us:-999999}" -le 50000 ] || { slow=$((slow + 1)); diag "sample $i: fastest of 3 reads ${us} us"; }
	[ "${us:-0}" -gt "$max" ] && max=$us
	[ "${umax:-0}" -gt "$worst" ] && worst=$umax
	lat="$lat $us"
	usleep 100000
done
running=no; kill -0 $W 2>/dev/null && running=yes
diag "$reads samples of 3 reads; fastest-of-3 per sample (us):$lat"
diag "slowest fastest-of-3 ${max} us, slowest single read ${worst} us; values:$seen; writer still running: $running"
check_eq "no read blocks behind the running unplug" "$hung" 0
check_eq "20 samples (60 reads) returned" "$reads" 20
check_eq "every sample answers within 50 ms (fastest of 3)" "$slow" 0
check_eq "every read is a state from the read table" "$bad" 0
check_eq "the unplug was still running after the last read" "$running" yes

kill -KILL $W 2>/dev/null
wait $W 2>/dev/null
[ -n "${R:-}" ] && wait $R 2>/dev/null
kill $PIN; wait $PIN 2>/dev/null
check_eq "killed unplug rolled back" "$(hp_state "$DEV")/$(block_summary "$DEV")" "online_movable/$(expect_summary online_movable "$N")"
r=$(hp_write "$DEV" unplugged); check_eq "unplug once unpinned" "$r" OK
ktap_finish
