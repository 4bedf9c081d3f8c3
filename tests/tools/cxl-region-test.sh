#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/daxhp-cxl-region against a fake sysfs tree (TAP): what it lists, the
# exact sysfs writes of create and destroy, and its refusals.  Plain files
# cannot play the kernel's part (a write to create_ram_region does not make a
# region), so region5 exists beforehand and each attribute file keeps the last
# value written; the real kernel path runs in tests/e2e-cxl.
#
#   cxl-region-test.sh PATH-TO-daxhp-cxl-region
set -u
TOOL=${1:?usage: $0 PATH-TO-daxhp-cxl-region}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export DAXHP_SYSFS=$T DAXHP_CXL_SYSFS=$T/bus/cxl
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() { # name condition-command...
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*" "stdout: $out" "stderr: $err"; fi
}
put() { mkdir -p "$(dirname "$T/$1")"; printf '%s\n' "$2" >"$T/$1"; }
link() { mkdir -p "$(dirname "$T/$1")"; ln -s "$2" "$T/$1"; }
val() { cat "$T/$1" 2>/dev/null; }
run() { out=$("$TOOL" "$@" 2>"$T/.err"); rc=$?; err=$(cat "$T/.err"); }

# root0 with two host-bridge dports; decoder0.0 over bridge 12, decoder0.2 over 12,222
R=devices/platform/ACPI0017:00/root0
link "$R/dport12" ../../../pci0000:0c
link "$R/dport222" ../../../pci0000:de
put "$R/decoders_committed" 0
link bus/cxl/devices/root0 "../../../$R"
for d in 0.0:12:1:256 0.2:12,222:2:4096; do
	IFS=: read -r id tl ways ig <<<"$d"
	put "$R/decoder$id/create_ram_region" region5
	put "$R/decoder$id/delete_region" ""
	put "$R/decoder$id/cap_ram" 1
	put "$R/decoder$id/target_list" "$tl"
	put "$R/decoder$id/interleave_ways" "$ways"
	put "$R/decoder$id/interleave_granularity" "$ig"
	put "$R/decoder$id/size" 0x100000000
	link "bus/cxl/devices/decoder$id" "../../../$R/decoder$id"
done
# mem0 (serial 0x1001) behind pci0000:0c, endpoint3 with two decoders
M=devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0
put "$M/serial" 0x1001
put "$M/ram/size" 0x40000000
link bus/cxl/devices/mem0 "../../../$M"
link "$R/port2/endpoint3/uport" ../../../../../pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0
link bus/cxl/devices/endpoint3 "../../../$R/port2/endpoint3"
for i in 0 1; do
	put "$R/port2/endpoint3/decoder3.$i/dpa_size" 0x0
	put "$R/port2/endpoint3/decoder3.$i/mode" none
	link "bus/cxl/devices/decoder3.$i" "../../../$R/port2/endpoint3/decoder3.$i"
done
# the region the kernel would make, and the region driver
G=$R/decoder0.0/region5
for a in interleave_granularity interleave_ways size target0 commit; do put "$G/$a" ""; done
put "$G/resource" 0x100000000
link bus/cxl/devices/region5 "../../../$G"
put bus/cxl/drivers/cxl_region/bind ""
put bus/cxl/drivers/cxl_region/unbind ""
# 128 MiB blocks; region5's range is memory32..35
put devices/system/memory/block_size_bytes 8000000
for b in 32 33 34 35; do put "devices/system/memory/memory$b/state" offline; done

run list
check "list names the root decoder, its targets and ways" grep -q "^root-decoder decoder0.2 targets=12,222 ways=2 granularity=4096 ram=1" <<<"$out"
check "list names mem0's serial, host bridge, dport, endpoint, free ram" \
	grep -q "^memdev mem0 serial=0x1001 host-bridge=pci0000:0c dport=12 endpoint=endpoint3 ram=0x40000000 free=1073741824$" <<<"$out"
check "list skips non-decoder entries (decoders_committed)" test "$(grep -c '^root-decoder' <<<"$out")" = 2

run
check "no command: usage, exit 2" test "$rc" = 2
run create
check "create without a memdev: exit 2" test "$rc" = 2
run create mem9
check "unknown memdev: exit 1, named" test "$rc" = 1 -a -n "$(grep 'mem9: no such CXL memdev' <<<"$err")"
run create -s 100M mem0
check "size not a multiple of 256 MiB: exit 1" test "$rc" = 1 -a -n "$(grep 'not a multiple of 256 MiB' <<<"$err")"
run create -s 2G mem0
check "size above the free ram: exit 1" test "$rc" = 1 -a -n "$(grep 'has only 1024 MiB of free ram' <<<"$err")"
run create -s 512M -d decoder0.2 mem0
check "decoder with other ways: exit 1" test "$rc" = 1 -a -n "$(grep 'decoder0.2 interleaves 2 ways, 1 memdev' <<<"$err")"
check "a refused create wrote nothing" test "$(val "$G/commit")" = ""

run create -s 512M mem0
check "create prints the region" test "$rc" = 0 -a "$out" = region5
check "region: granularity of the root decoder, 1 way, size" \
	test "$(val "$G/interleave_granularity") $(val "$G/interleave_ways") $(val "$G/size")" = "256 1 536870912"
check "endpoint decoder: mode ram, dpa_size" \
	test "$(val "$R/port2/endpoint3/decoder3.0/mode") $(val "$R/port2/endpoint3/decoder3.0/dpa_size")" = "ram 536870912"
check "target0, commit, bind" \
	test "$(val "$G/target0") $(val "$G/commit") $(val bus/cxl/drivers/cxl_region/bind)" = "decoder3.0 1 region5"
check "picked decoder0.0 by the memdev's host bridge" test "$(val "$R/decoder0.0/create_ram_region")" = region5

put "$R/port2/endpoint3/decoder3.0/dpa_size" 0x20000000
run create mem0
check "free ram counts what decoders hold: the next create takes decoder3.1 and 512 MiB" \
	test "$rc" = 0 -a "$(val "$R/port2/endpoint3/decoder3.1/dpa_size")" = 536870912
put "$R/port2/endpoint3/decoder3.1/dpa_size" 0x0
put "$G/target0" decoder3.0

put "$G/size" 0x20000000
put devices/system/memory/memory33/state online
run destroy region5
check "destroy refuses online memory: exit 1, says how" \
	test "$rc" = 1 -a -n "$(grep '1 memory block(s) of .* are online; unplug it first' <<<"$err")"
check "the refused destroy wrote nothing" test "$(val "$G/commit")" = 1
put devices/system/memory/memory33/state offline
run destroy region5
check "destroy prints the region" test "$rc" = 0 -a "$out" = region5
check "destroy: commit 0, target detached (an empty line), DPA freed, region deleted" \
	test "$(val "$G/commit")|$(val "$G/target0")|$(val "$R/port2/endpoint3/decoder3.0/dpa_size")|$(val "$R/decoder0.0/delete_region")" = "0||0|region5"
check "destroy does not unbind a region without a driver" test "$(val bus/cxl/drivers/cxl_region/unbind)" = ""

echo "1..$n"
[ "$failed" = 0 ]
