#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What daxhpd asks the kernel during an arrival, counted in the e2e guest:
the host's strace (bench/e2e/syscalls.sh puts it and its libraries on a disk
of their own) follows the running daemon and its step worker (-f -c) from
3 s before the namespace's enable to 8 s after it, for N arrivals of one
long-running daxhpd under a policy State=online_movable. Counts do not
depend on the guest's speed; strace's own times do (ptrace stops every
call), so only the counts are summed here. A bench, not a test: nothing is
asserted.

  bench/e2e/syscalls.sh [--runs N]
"""
import argparse
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, HERE)
from vm import VM, guest_args  # noqa: E402
import arrival  # noqa: E402

STRACE = "LD_LIBRARY_PATH=/mnt/strace/lib /mnt/strace/bin/strace"


def summary_counts(text):
    """{syscall: (calls, errors)} from strace -c's table."""
    counts = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5 or not f[0][0].isdigit() or f[-1] == "total":
            continue
        errors = int(f[4]) if len(f) == 6 else 0
        counts[f[-1]] = (int(f[3]), errors)
    return counts


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--strace-disk", required=True)
    a = ap.parse_args()
    vm = VM(a.image, a.kernel, a.initrd, "", [a.overlay, a.strace_disk], name="syscalls")
    per_run = []
    try:
        vm.boot()
        vm.install_overlay()
        vm.sh("mkdir -p /mnt/strace && mount -o ro /dev/vdc /mnt/strace && %s -V >/dev/null" % STRACE)
        guest = arrival.LongRunningDaemon(vm)
        for i in range(a.runs):
            guest.rearm()
            vm.sh("(%s -f -c -o /root/syscalls.txt -p %s >/dev/null 2>&1 &); sleep 3; %s; sleep 8; "
                  "kill $(pidof strace); sleep 1" % (STRACE, guest.pid, guest.enable_cmd), timeout=600)
            counts = summary_counts(vm.sh("cat /root/syscalls.txt; rm -f /root/syscalls.txt"))
            per_run.append(counts)
            guest.settle()
            print("  run %d: %d system calls" % (i, sum(c for c, _ in counts.values())), flush=True)
        guest.check_not_restarted()
    finally:
        vm.poweroff()

    totals = collections.Counter()
    errors = collections.Counter()
    for counts in per_run:
        for name, (calls, errs) in counts.items():
            totals[name] += calls
            errors[name] += errs
    n = len(per_run)
    print()
    print("daxhpd's system calls per arrival (daemon + step worker, strace -f -c, mean of %d arrivals):" % n)
    print()
    print("| system call | calls | of which failed |")
    print("|---|---:|---:|")
    for name, calls in totals.most_common():
        print("| %s | %.1f | %.1f |" % (name, calls / n, errors[name] / n))
    print("| **total** | %.1f | %.1f |" % (sum(totals.values()) / n, sum(errors.values()) / n))


if __name__ == "__main__":
    main()
