#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Table test of kernel/qemu/scan-dmesg.sh on small synthetic console logs:
# what must fail a boot, what a test may declare, and that a known
# pre-existing report is accepted only with every one of its markers.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
scan=$top/kernel/qemu/scan-dmesg.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# The report of kernel/qemu/known-splats' lockdep entry, shortened; $1 is a
# marker to leave out ("" keeps them all).
lockdep_report() {
	grep -v -- "${1:-^$}" <<'R'
======================================================
WARNING: possible circular locking dependency detected
7.2.13+ #1 Not tainted
------------------------------------------------------
daxhp-util/98 is trying to acquire lock:
ff1100014bd564b8 (kn->active#44){++++}-{0:0}, at: __kernfs_remove+0x1e6/0x3e8
but task is already holding lock:
ffffffffa08525d0 (mem_hotplug_lock){++++}-{0:0}, at: mem_hotplug_begin+0x19/0x1b
-> #1 (cpu_hotplug_lock){++++}-{0:0}:
       memory_subsys_offline+0x117/0x327
-> #0 (kn->active#44){++++}-{0:0}:
       remove_memory_block_devices+0x88/0x91
       try_remove_memory+0xb7/0x155
stack backtrace:
Call Trace:
 <TASK>
 dump_stack_lvl+0xb9/0xd1
 </TASK>
R
}

# expect NAME RC GREP: scan the log in $tmp/log; exit status RC and a line
# matching GREP in its output.
expect() {
	local name=$1 want=$2 pat=$3 out rc
	out=$("$scan" "$tmp/log" 2>&1); rc=$?
	if [[ $rc == "$want" ]] && grep -qE -- "$pat" <<<"$out"; then
		echo "ok $((pass + fail + 1)) $name"; pass=$((pass + 1))
	else
		echo "not ok $((pass + fail + 1)) $name # rc $rc, want $want; output: ${out//$'\n'/ | }"
		fail=$((fail + 1))
	fi
}

printf 'Linux version 7.2.13+\nDAXHP-DMESG-BEGIN\nok\nDAXHP-DMESG-END\n' >"$tmp/log"
expect "clean log passes" 0 '0 problem line'

printf 'BUG: KASAN: slab-use-after-free in dax_kmem_unplug+0x1/0x2\n' >"$tmp/log"
expect "a KASAN report fails" 1 '^SPLAT: BUG: KASAN'

printf 'WARNING: CPU: 0 PID: 1 at drivers/dax/kmem.c:1 x\n' >"$tmp/log"
expect "a WARN fails" 1 '^UNEXPECTED WARN'

printf 'daxhp: expect-warn begin unbind\nWARNING: CPU: 0 PID: 1 at drivers/dax/kmem.c:1 x\ndaxhp: expect-warn end\n' >"$tmp/log"
expect "a WARN between the retired expect-warn markers fails too" 1 '^UNEXPECTED WARN'

lockdep_report "" >"$tmp/log"
expect "the known pre-existing lockdep chain is reported as known" 0 '^KNOWN lockdep-memblock-state-vs-remove'

for m in memory_subsys_offline remove_memory_block_devices mem_hotplug_lock; do
	lockdep_report "$m" >"$tmp/log"
	expect "that chain without $m fails" 1 '^SPLAT: WARNING: possible circular'
done

{ lockdep_report ""; printf 'BUG: unable to handle page fault for address: 0\n'; } >"$tmp/log"
expect "a splat after a known report still fails" 1 '^SPLAT: BUG: unable'

printf 'DAXHP-HOST-TIMEOUT after 600 s\n' >"$tmp/log"
expect "a host timeout fails" 1 '^TIMEOUT'

echo "1..$((pass + fail))"
echo "# scan-dmesg: $pass passed, $fail failed"
((fail == 0))
