#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where daxhpd's CPU goes during an arrival, sampled in the e2e guest: the
host's perf (bench/e2e/profile.sh puts it and its libraries on a disk of
its own) records the whole guest (`perf record -a -e cpu-clock`) from the
namespace's enable to 5 s later, for N arrivals of one long-running daxhpd
(one arrival and teardown first, not recorded). The table counts samples
per process, split into user space and kernel, the daemon apart from its
step workers (same name, other thread ids), and the daemon's user-space
samples per library.

The test kernel has no high-resolution timers: samples come at the tick
(4 ms) whatever period is asked, so the counts are what matters, not their
period; and a sample taken in the kernel lands where interrupts were enabled
again. The test kernel has no kallsyms; on a kernel that has them (--kernel
a build with CONFIG_KALLSYMS), the daemon's kernel samples are also counted
per function, where interrupts were enabled again being the function named.
A bench, not a test: nothing is asserted.

  bench/e2e/profile.sh [--runs N]
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

PERF = "LD_LIBRARY_PATH=/mnt/perf/lib /mnt/perf/bin/perf"
WATCH = ("daxhpd", "systemd-udevd", "(udev-worker)", "systemd-journal", "dbus-daemon", "ndctl")


def samples(vm, path):
    """(comm, tid, user: bool, dso, symbol) per sample of the processes watched."""
    out = vm.sh("%s script -i %s -F comm,tid,ip,sym,dso 2>/dev/null" % (PERF, path), timeout=600)
    for line in out.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        # comm may hold a space ("(udev-worker)" does not; be safe): the tid is the first number
        i = next((k for k, x in enumerate(f) if x.isdigit()), None)
        if i is None or i + 1 >= len(f):
            continue
        comm = " ".join(f[:i])
        if comm not in WATCH:
            continue
        user = not f[i + 1].startswith("ffffffff")
        sym = " ".join(f[i + 2:-1]) or "[unknown]"
        yield comm, f[i], user, os.path.basename(f[-1].strip("()")), sym


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--perf-disk", required=True)
    a = ap.parse_args()
    vm = VM(a.image, a.kernel, a.initrd, "", [a.overlay, a.perf_disk], name="profile")
    per = collections.Counter()
    dsos = collections.Counter()
    ksyms = collections.Counter()
    try:
        vm.boot()
        vm.install_overlay()
        vm.sh("mkdir -p /mnt/perf && mount -o ro /dev/vdc /mnt/perf && "
              "echo -1 > /proc/sys/kernel/perf_event_paranoid && %s --version >/dev/null" % PERF)
        guest = arrival.LongRunningDaemon(vm)
        daemon_tid = guest.pid
        for i in range(a.runs):
            guest.rearm()
            data = "/root/arrival-%d.perf" % i
            vm.sh("%s record -q -a -e cpu-clock -o %s -- sh -c '%s; sleep 5' >/dev/null 2>&1"
                  % (PERF, data, guest.enable_cmd), timeout=600)
            guest.settle()
            for comm, tid, user, dso, sym in samples(vm, data):
                who = comm
                if comm == "daxhpd":
                    who = "daxhpd (daemon)" if tid == daemon_tid else "daxhpd (step workers)"
                    if tid == daemon_tid and user:
                        dsos[dso] += 1
                    elif tid == daemon_tid:
                        ksyms[sym] += 1
                per[(who, user)] += 1
            vm.sh("rm -f %s" % data)
            print("  run %d: daxhpd daemon %d user + %d kernel samples" % (
                i, per[("daxhpd (daemon)", True)], per[("daxhpd (daemon)", False)]), flush=True)
        guest.check_not_restarted()
    finally:
        vm.poweroff()

    print()
    print("Samples per process over %d arrivals (perf cpu-clock, whole guest, enable to 5 s later; "
          "one sample per 4 ms tick):" % a.runs)
    print()
    print("| process | user | kernel | kernel share |")
    print("|---|---:|---:|---:|")
    for who in sorted({w for w, _ in per}, key=lambda w: -(per[(w, True)] + per[(w, False)])):
        u, k = per[(who, True)], per[(who, False)]
        print("| %s | %d | %d | %.0f %% |" % (who, u, k, 100.0 * k / (u + k)))
    print()
    print("daxhpd's daemon, user-space samples per library: %s" % ", ".join(
        "%s %d" % (d, n) for d, n in dsos.most_common()))
    if any(s != "[unknown]" for s in ksyms):
        print()
        print("daxhpd's daemon, kernel samples per function (where interrupts were enabled again): %s" % ", ".join(
            "%s %d" % (s, n) for s, n in ksyms.most_common(30)))


if __name__ == "__main__":
    main()
