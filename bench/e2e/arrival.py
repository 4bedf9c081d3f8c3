#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where an arrival's time goes (issue 10, point 4), in the e2e guest
(systemd, QEMU/TCG, 1 vCPU): a 1.1 GiB pmem namespace is re-enabled N times
(its dax device appears bound to device_dax; policy State=online_movable),
and each arrival's transition-finished journal record is read back:

  DAXHP_T_UEVENT_USEC      the device's "add" uevent received
  DAXHP_T_POLICY_USEC      policy matched
  DAXHP_T_STEP_USEC        first step started (worker forked)
  DAXHP_T_WRITE_START_USEC first kernel call started (in the worker)
  DAXHP_T_WRITE_END_USEC   last kernel call returned
  DAXHP_T_CONFIRMED_USEC   state confirmed (device read again, job done)
  DAXHP_KERNEL_USEC        sum of the kernel calls (kmem bind, attribute
                           or block writes and their read-back)
  DAXHP_STEPS              steps (kernel calls) taken
  DAXHP_CPU_*_USEC         CPU time: daxhpd's process from the uevent to the
                           end (DAEMON), its step worker (WORKER), the worker
                           inside the kernel calls (KERNEL); OWN = DAEMON +
                           WORKER - KERNEL; DAEMON_MATCH and DAEMON_QUEUE:
                           the daemon's up to the policy match and from there
                           to the first step (daxhpds from before a field
                           have none: "–" or 0)

kernel = DAXHP_KERNEL_USEC; daxhpd's own wall time = (confirmed - uevent) -
kernel, split into uevent -> first kernel call, the gaps between steps, and
last return -> confirmed. On the guest's one vCPU the wall "own" time holds
every other process that ran meanwhile (udevd above all); daxhpd's own CPU
time (DAXHP_CPU_OWN_USEC) is the figure that is daxhpd's alone.

Methods, alternating run by run on the same device and kernel: `after`, this
tree's daxhpd; `before`, a daxhpd built from --before-rev (the arrival path
that removed and added the memory again), bind-mounted over the installed
binary while it runs. daxhpd is restarted for every run, so on a series that
refuses offline -> online in one write, every `after` run pays that refusal
(a long-running daemon pays it for its first device only). With --warm each
measured arrival is the daemon's second: one arrival and teardown run first.

Between runs: policy State=devdax + reload (daxhpd unplugs and rebinds
device_dax), ndctl disable-namespace, policy back, daxhpd (re)started.
A bench, not a test: nothing is asserted on time.

With --probe (bench/e2e/tcg-cost.c, built by arrival.sh), the guest's CPU
cost of the operations an arrival is made of (a system call, a sysfs read, a
datagram, an event loop wakeup, a fork, plain instructions) is measured once,
with daxhpd stopped, before the runs: what daxhpd's own CPU per arrival is
made of under TCG.

  bench/e2e/arrival.sh [--kernel patched|KERNEL-IMAGE|mainline] [--runs N]
"""
import argparse
import json
import os
import re
import socket
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from vm import VM, guest_args  # noqa: E402

POLICY = "/etc/daxhp.d/50-bench.conf"
KEYS = ("UEVENT", "POLICY", "STEP", "WRITE_START", "WRITE_END", "CONFIRMED")
CPU_KEYS = ("OWN", "DAEMON", "DAEMON_MATCH", "DAEMON_QUEUE", "WORKER", "KERNEL")
BIN = "/usr/local/libexec/daxhpd"
# Who else runs on the one vCPU during an arrival: each unit's CPU time (µs)
# over the arrival window, from its cgroup's cpu.stat (daxhpd's includes its
# step worker), else its main process's /proc/PID/schedstat ("x": neither).
UNITS = ("daxhpd", "systemd-journald", "systemd-udevd", "dbus")
CPU = ("for u in %s; do f=/sys/fs/cgroup/system.slice/$u.service/cpu.stat; "
       "if [ -r $f ]; then awk '/^usage_usec/ {print $2}' $f; "
       "else p=$(systemctl show -P MainPID $u); awk '{print int($1 / 1000)}' /proc/$p/schedstat 2>/dev/null || echo x; "
       "fi; done" % " ".join(UNITS))


# daxhpd's minor page faults (its own, and its reaped step workers'): under
# TCG a fault is a large part of a process's CPU, and a forked worker makes
# every page the daemon then writes a copy-on-write fault.
# Its voluntary context switches count its wakeups (each sleep in epoll_wait
# is one), the involuntary ones the times something else took the vCPU.
FAULTS = ("p=$(systemctl show -P MainPID daxhpd); cut -d' ' -f10,11 /proc/$p/stat; "
          "awk '/ctxt_switches/ {print $2}' /proc/$p/status")


def fault_values(text):
    vals = [int(v) for v in text.split() if v.isdigit()]
    return vals if len(vals) == 4 else None


def cpu_values(text):
    vals = [int(v) if v.isdigit() else None for v in text.split()]
    return vals if len(vals) == len(UNITS) else [None] * len(UNITS)


PROBE = "/usr/local/libexec/daxhp-tcg-cost"
PROBE_NOTES = {
    "getppid": "a bare system call",
    "epoll_wait": "an event loop wakeup (one source ready)",
    "sysfs_read": "a small sysfs attribute: open + read + close",
    "datagram": "a 200-byte datagram sent and received (socketpair)",
    "compute_1M": "1 M dependent multiply-adds (about 4 M instructions)",
    "libc_text": "a 48-line meminfo-like text formatted and parsed (107 k instructions on the host)",
    "round_trip": "a byte to another process and back (two context switches; this side's CPU)",
    "text_after_switch": "the same text work right after such a round trip (round trip included)",
    "pages_hot": "one load from each of 256 pages (1 MiB), pages in QEMU's soft TLB",
    "pages_after_switch": "the same 256 loads right after a round trip (round trip included)",
    "sysfs_after_switch": "a small sysfs attribute read right after a round trip (round trip included)",
    "sysfs_after_busy_switch": "the same, the other process having read 3 files and run ~0.5 M instructions meanwhile",
    "fork_exit_wait": "fork, the child exits, waitpid (parent + child)",
}


def probe_costs(vm):
    """{operation: (reps, cpu µs, wall µs)}, measured in the guest, daxhpd stopped."""
    vm.sh("systemctl stop daxhpd", timeout=120)
    out = vm.sh("%s" % PROBE, timeout=600)
    costs = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[0] in PROBE_NOTES:
            costs[f[0]] = (int(f[1]), float(f[2]), float(f[3]))
    return costs


class Monitor:
    """QEMU's human monitor on a unix socket: `info jit` counts the blocks of
    guest code TCG has translated (TB count, since the last flush) and the
    soft TLB's full flushes (a guest CR3 write: a context switch)."""

    def __init__(self, path):
        self.path = path
        self.sock = None

    def command(self, cmd):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(self.path)
            self.read_prompt()
        self.sock.sendall(cmd.encode() + b"\n")
        return self.read_prompt()

    def read_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("QEMU monitor closed")
            buf += chunk
        return buf.decode(errors="replace")

    def jit(self):
        """(TBs translated, TB flushes, TB invalidations, soft TLB full flushes), as counters."""
        out = self.command("info jit")
        def num(label):
            m = re.search(label + r"\s+(\d+)", out)
            return int(m.group(1)) if m else 0
        return (num("TB count"), num("TB flush count"), num("TB invalidate count"), num("TLB full flushes"))


def jit_delta(a, b):
    """Blocks translated between two readings (a flush in between resets the count: unknown)."""
    if a is None or b is None or b[1] != a[1]:
        return None
    return (b[0] - a[0], b[2] - a[2], b[3] - a[3])


def print_costs(costs):
    if not costs:
        return
    print()
    print("The guest's CPU per operation (bench/e2e/tcg-cost, getrusage around N repetitions, daxhpd stopped, "
          "before the runs):")
    print()
    print("| operation | repetitions | CPU µs each | wall µs each |")
    print("|---|---:|---:|---:|")
    for op, note in PROBE_NOTES.items():
        if op in costs:
            n, c, w = costs[op]
            print("| %s | %d | %.1f | %.1f |" % (note, n, c, w))


def policy(state):
    return "[Match]\nProvider=pmem\n\n[Policy]\nState=%s\n" % state


class Bench:
    def __init__(self, vm, ns, dev, before_bin, warm=False, monitor=None):
        self.vm, self.ns, self.dev = vm, ns, dev
        self.monitor = monitor
        self.before_bin = before_bin
        self.mounted = False
        self.warm = warm

    def warm_up(self):
        """One arrival and teardown in the daemon just started, not measured:
        the measured arrival is then its second, as on a long-running daxhpd."""
        vm = self.vm
        vm.sh("ndctl enable-namespace %s >/dev/null 2>&1; for i in $(seq 300); do "
              "daxhpctl list --no-legend %s 2>/dev/null | grep -q online_movable && exit 0; sleep 1; done; exit 1"
              % (self.ns, self.dev), timeout=400)
        self.teardown()
        vm.copy_in(policy("online_movable"), POLICY)
        vm.sh("daxhpctl reload && daxhpctl wait --timeout 120", timeout=180)

    def daemon(self, method):
        """Stop daxhpd, put the wanted binary in place, start it with the arrival policy."""
        vm = self.vm
        vm.sh("systemctl stop daxhpd", timeout=120)
        if self.mounted:
            vm.sh("umount %s" % BIN)
            self.mounted = False
        if method == "before":
            vm.sh("mount --bind %s %s" % (self.before_bin, BIN))
            self.mounted = True
        vm.copy_in(policy("online_movable"), POLICY)
        vm.sh("systemctl start daxhpd && daxhpctl wait --timeout 120", timeout=180)

    def teardown(self):
        """The device back to devdax and gone (daxhpd running)."""
        vm = self.vm
        vm.copy_in(policy("devdax"), POLICY)
        vm.sh("daxhpctl reload && daxhpctl wait --timeout 120 %s" % self.dev, timeout=180)
        vm.sh("ndctl disable-namespace %s >/dev/null" % self.ns, timeout=120)

    def arrival(self, method):
        vm = self.vm
        self.teardown()
        self.daemon(method)
        if self.warm:
            self.warm_up()
        # Records of this arrival: uevent after t0 (guest CLOCK_MONOTONIC, the
        # clock of DAXHP_T_*_USEC). Not a journal cursor: `journalctl -n 0
        # --show-cursor` prints none, and --after-cursor '' matches nothing.
        t0 = int(float(vm.sh("cut -d' ' -f1 /proc/uptime").strip()) * 1e6)
        query = ("journalctl -o json -b -u daxhpd DAXHP_DEVICE=%s "
                 "DAXHP_EVENT=transition-finished" % self.dev)
        since = "--since '-15min'"
        before = int(vm.sh("%s | grep -c DAXHP_T_UEVENT_USEC || true" % query, timeout=120).strip() or 0)
        # daxhpctl wait may ask before daxhpd has seen the device: wait for the record itself
        # (by time: each journalctl takes seconds on a busy TCG guest). Not at once: on the
        # one vCPU a journalctl running during the arrival takes the CPU from what is
        # measured (the first figures polled at once and counted it as daxhpd's own).
        # CPU time of the units from just before the enable to 6 s later (the arrival done).
        # The TCG counters around the enable and the 6 s after it, nothing else.
        jit0 = self.monitor.jit() if self.monitor else None
        rc, cpu = vm.run("echo FLT0 $(%s); echo CPU0 $(%s); ndctl enable-namespace %s >/dev/null 2>&1; sleep 6; "
                         "echo CPU1 $(%s); echo FLT1 $(%s); echo T1 $(cut -d' ' -f1 /proc/uptime)"
                         % (FAULTS, CPU, self.ns, CPU, FAULTS), timeout=120)
        jit = jit_delta(jit0, self.monitor.jit() if self.monitor else None)
        vm.run("end=$(($(date +%%s) + 540)); "
               "while [ $(date +%%s) -lt $end ]; do [ $(%s | grep -c DAXHP_T_UEVENT_USEC) -gt %d ] && break; "
               "sleep 1; done; daxhpctl wait --timeout 60 %s >/dev/null" % (query, before, self.dev), timeout=660)
        fields = {k: v for k, _, v in (l.partition(" ") for l in cpu.splitlines())
                  if k in ("CPU0", "CPU1", "T1", "FLT0", "FLT1")}
        f0, f1 = fault_values(fields.get("FLT0", "")), fault_values(fields.get("FLT1", ""))
        c0, c1 = cpu_values(fields.get("CPU0", "")), cpu_values(fields.get("CPU1", ""))
        t1 = int(float(fields.get("T1", "0")) * 1e6)
        out = vm.sh(query, timeout=120)
        recs = [json.loads(line) for line in out.splitlines() if line.strip()]
        recs = [r for r in recs if int(r.get("DAXHP_T_UEVENT_USEC", "0")) > t0]
        if not recs:
            print(vm.run("journalctl %s -o short-monotonic --no-pager | tail -n 60; "
                         "daxhpctl list" % since, timeout=120)[1])
            raise RuntimeError("no arrival record for %s" % self.dev)
        r = recs[-1]
        if r.get("DAXHP_RESULT") != "done":
            raise RuntimeError("arrival not done: %s" % r)
        # Only when the arrival was over at the second reading.
        late = int(r["DAXHP_T_CONFIRMED_USEC"]) > t1
        cpu_us = {u: (None if late or a is None or b is None else b - a)
                  for u, a, b in zip(UNITS, c0, c1)}
        t = {k: int(r["DAXHP_T_%s_USEC" % k]) for k in KEYS}
        kernel = int(r["DAXHP_KERNEL_USEC"])
        total = t["CONFIRMED"] - t["UEVENT"]
        pre = t["WRITE_START"] - t["UEVENT"]
        post = t["CONFIRMED"] - t["WRITE_END"]
        return {
            "total": total, "kernel": kernel, "own": total - kernel,
            "pre": pre, "policy": t["POLICY"] - t["UEVENT"], "queue": t["STEP"] - t["POLICY"],
            "fork": t["WRITE_START"] - t["STEP"],
            "between": (t["WRITE_END"] - t["WRITE_START"]) - kernel, "post": post,
            "steps": int(r["DAXHP_STEPS"]), "cpu": cpu_us,
            "faults": None if late or not f0 or not f1 else (f1[0] - f0[0], f1[1] - f0[1]),
            "switches": None if late or not f0 or not f1 else (f1[2] - f0[2], f1[3] - f0[3]),
            "jit": None if late else jit,
            "own_cpu": {k: int(r.get("DAXHP_CPU_%s_USEC" % k, 0)) for k in CPU_KEYS} if "DAXHP_CPU_OWN_USEC" in r else None,
        }


class LongRunningDaemon:
    """One daxhpd started once and a pmem namespace it manages, for benches
    that watch N arrivals of the same daemon (profile.py, syscalls.py):
    rearm() takes the device back and restores the arrival policy, the
    arrival is `enable_cmd`, settle() waits until the policy state shows."""

    def __init__(self, vm):
        self.vm = vm
        rid = int(vm.sh("ndctl list -R | sed -n 's/.*\"dev\":\"region\\([0-9]*\\)\".*/\\1/p' | head -1"))
        self.ns, self.dev = "namespace%d.0" % rid, "dax%d.0" % rid
        vm.copy_in(policy("online_movable"), POLICY)
        vm.sh("systemctl start daxhpd && daxhpctl wait --timeout 120", timeout=180)
        vm.sh("ndctl create-namespace -f -e %s -m devdax >/dev/null" % self.ns, timeout=120)
        vm.sh("daxhpctl wait --timeout 120 %s" % self.dev, timeout=180)
        self.pid = self.main_pid()
        self.bench = Bench(vm, self.ns, self.dev, None)
        self.enable_cmd = "ndctl enable-namespace %s >/dev/null 2>&1" % self.ns

    def main_pid(self):
        return self.vm.sh("systemctl show -P MainPID daxhpd").strip()

    def rearm(self):
        self.bench.teardown()
        self.vm.copy_in(policy("online_movable"), POLICY)
        self.vm.sh("daxhpctl reload && daxhpctl wait --timeout 120", timeout=180)

    def settle(self):
        self.vm.sh("for i in $(seq 120); do daxhpctl list --no-legend %s | grep -q online_movable && exit 0; "
                   "sleep 1; done; exit 1" % self.dev, timeout=200)

    def check_not_restarted(self):
        if self.pid != self.main_pid():
            raise RuntimeError("daxhpd restarted during the runs")


def ms(v):
    return v / 1000.0


def stat(vals):
    return "%.1f [%.1f–%.1f]" % (ms(statistics.median(vals)), ms(min(vals)), ms(max(vals)))


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--label", default="")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--before", required=True, help="daxhpd binary of the old arrival path")
    ap.add_argument("--warm", action="store_true",
                    help="measure each daemon's second arrival (the first warms it up), not its first")
    ap.add_argument("--jit-stats", action="store_true",
                    help="count TCG's translated blocks and TLB flushes per arrival (QEMU monitor `info jit`)")
    ap.add_argument("--probe", help="bench/e2e/tcg-cost binary: the guest's cost per operation")
    a = ap.parse_args()
    mon_path = "/tmp/daxhp-arrival-%d.monitor" % os.getpid()
    extra = ["-monitor", "unix:%s,server=on,wait=off" % mon_path] if a.jit_stats else []
    vm = VM(a.image, a.kernel, a.initrd, "", [a.overlay], name="arrival", extra=extra)
    monitor = Monitor(mon_path) if a.jit_stats else None
    idle_jit = []
    res = {"before": [], "after": []}
    load0 = os.getloadavg()
    costs = None
    try:
        vm.boot()
        vm.install_overlay()
        vm.copy_in(a.before, "/usr/local/libexec/daxhpd.before", 0o755)
        if a.probe:
            vm.copy_in(a.probe, PROBE, 0o755)
            costs = probe_costs(vm)
        kver = vm.sh("uname -r").strip()
        rid = int(vm.sh("ndctl list -R | sed -n 's/.*\"dev\":\"region\\([0-9]*\\)\".*/\\1/p' | head -1"))
        ns, dev = "namespace%d.0" % rid, "dax%d.0" % rid
        iface = None
        vm.copy_in(policy("online_movable"), POLICY)
        vm.sh("systemctl start daxhpd && daxhpctl wait --timeout 120", timeout=180)
        vm.sh("ndctl create-namespace -f -e %s -m devdax >/dev/null" % ns, timeout=120)
        vm.sh("daxhpctl wait --timeout 120 %s" % dev, timeout=180)
        b = Bench(vm, ns, dev, "/usr/local/libexec/daxhpd.before", a.warm, monitor)
        if monitor:
            # The same 6 s window with no arrival, daxhpd running: the guest's background.
            for _ in range(3):
                j0 = monitor.jit()
                vm.sh("sleep 6", timeout=60)
                idle_jit.append(jit_delta(j0, monitor.jit()))
        for i in range(a.runs):
            for method in (("after", "before") if i % 2 else ("before", "after")):
                r = b.arrival(method)
                res[method].append(r)
                print("  run %2d %-6s jit %s faults %s wakeups %s total %7.1f ms  kernel %7.1f  own %6.1f (uevent->call %5.1f, "
                      "between %5.1f, return->confirmed %5.1f)  steps %d  cpu ms %s  daxhpd cpu ms %s"
                      % (i, method, "?" if r["jit"] is None else "%d/%d/%d" % r["jit"],
                         "?" if r["faults"] is None else "%d+%d" % r["faults"],
                         "?" if r["switches"] is None else "%d+%d" % r["switches"], ms(r["total"]), ms(r["kernel"]), ms(r["own"]), ms(r["pre"]),
                         ms(r["between"]), ms(r["post"]), r["steps"],
                         " ".join("%s=%s" % (u, "?" if r["cpu"][u] is None else "%.1f" % ms(r["cpu"][u]))
                                  for u in UNITS),
                         "–" if r["own_cpu"] is None else
                         " ".join("%s=%.2f" % (k.lower(), ms(r["own_cpu"][k])) for k in CPU_KEYS)), flush=True)
        iface = vm.sh("busctl get-property org.daxhp1 /org/daxhp1 org.daxhp1.Manager KernelInterface").split()[-1]
        b.teardown()
        vm.sh("systemctl stop daxhpd", timeout=120)
        if b.mounted:
            vm.sh("umount %s" % BIN)
    finally:
        vm.poweroff()

    if not a.runs:
        print_costs(costs)
        return
    print()
    print("host load average (1, 5, 15 min): %.2f %.2f %.2f at the start, %.2f %.2f %.2f at the end"
          % (load0 + os.getloadavg()))
    print("Arrival of a 1.1 GiB pmem dax device -> online_movable (%s, kernel %s, %s, QEMU TCG 1 vCPU, %s), "
          "median [min–max] ms over %d runs each:"
          % (a.label, kver, iface, "each daxhpd's second arrival" if a.warm else "each daxhpd's first arrival",
             a.runs))
    print()
    print("| path | uevent → confirmed | kernel | rest (wall: daxhpd and whoever else ran) | rest: uevent → first call | rest: between steps "
          "| rest: last return → confirmed | steps |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for method in ("before", "after"):
        v = res[method]
        steps = sorted({r["steps"] for r in v})
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            method, stat([r["total"] for r in v]), stat([r["kernel"] for r in v]), stat([r["own"] for r in v]),
            stat([r["pre"] for r in v]), stat([r["between"] for r in v]), stat([r["post"] for r in v]),
            "/".join(str(s) for s in steps)))
    print()
    print("CPU time per arrival of each unit (cgroup cpu.stat, from the enable to 6 s later), median [min–max] ms:")
    print()
    print("| path | %s |" % " | ".join(UNITS))
    print("|---|%s|" % "|".join("---:" for _ in UNITS))
    for method in ("before", "after"):
        cols = []
        for u in UNITS:
            v = [r["cpu"][u] for r in res[method] if r["cpu"][u] is not None]
            cols.append(stat(v) + (" (n=%d)" % len(v) if len(v) != len(res[method]) else "") if v else "–")
        print("| %s | %s |" % (method, " | ".join(cols)))
    print()
    print("daxhpd's CPU time per arrival from its transition record, median [min–max] ms "
          "(own = daemon + worker - the worker's kernel calls):")
    print()
    print("| path | daxhpd's own CPU | daemon | daemon: uevent → policy | daemon: policy → first step "
          "| step worker | worker: kernel calls |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for method in ("before", "after"):
        v = [r["own_cpu"] for r in res[method] if r["own_cpu"] is not None]
        print("| %s | %s |" % (method, " | ".join(stat([c[k] for c in v]) if v else "–" for k in CPU_KEYS)))
    print()
    print("daxhpd's minor page faults and context switches per arrival (/proc/PID/stat and status, from the enable "
          "to 6 s later; voluntary: its wakeups), median [min–max]:")
    print()
    print("| path | faults: daemon | faults: its reaped step workers | daemon wakeups (voluntary switches) "
          "| involuntary switches |")
    print("|---|---:|---:|---:|---:|")
    for method in ("before", "after"):
        v = [r["faults"] + r["switches"] for r in res[method] if r["faults"] is not None]
        print("| %s | %s |" % (method, " | ".join(
            "%d [%d–%d]" % (statistics.median(x), min(x), max(x)) if x else "–"
            for x in ([f[k] for f in v] for k in range(4)))))
    if monitor:
        print()
        print("TCG per arrival window (enable + 6 s; QEMU `info jit` counters, whole guest), median [min–max]; "
              "idle 6 s windows: %s:" % ", ".join("?" if j is None else "%d TBs, %d TLB flushes" % (j[0], j[2])
                                                  for j in idle_jit))
        print()
        print("| path | blocks translated | TB invalidations | soft TLB full flushes |")
        print("|---|---:|---:|---:|")
        for method in ("before", "after"):
            v = [r["jit"] for r in res[method] if r["jit"] is not None]
            print("| %s | %s |" % (method, " | ".join(
                "%d [%d–%d]" % (statistics.median(x), min(x), max(x)) if x else "–"
                for x in ([j[0] for j in v], [j[1] for j in v], [j[2] for j in v]))))
    print()
    print("uevent → first call, split (median ms): policy match %.2f, queue → step %.2f, fork → call %.2f (after)"
          % tuple(ms(statistics.median([r[k] for r in res["after"]])) for k in ("policy", "queue", "fork")))
    print_costs(costs)


if __name__ == "__main__":
    main()
