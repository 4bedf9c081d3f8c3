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
(a long-running daemon pays it for its first device only).

Between runs: policy State=devdax + reload (daxhpd unplugs and rebinds
device_dax), ndctl disable-namespace, policy back, daxhpd (re)started.
A bench, not a test: nothing is asserted on time.

  bench/e2e/arrival.sh [--kernel patched|KERNEL-IMAGE|mainline] [--runs N]
"""
import argparse
import json
import os
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


def cpu_values(text):
    vals = [int(v) if v.isdigit() else None for v in text.split()]
    return vals if len(vals) == len(UNITS) else [None] * len(UNITS)


def policy(state):
    return "[Match]\nProvider=pmem\n\n[Policy]\nState=%s\n" % state


class Bench:
    def __init__(self, vm, ns, dev, before_bin):
        self.vm, self.ns, self.dev = vm, ns, dev
        self.before_bin = before_bin
        self.mounted = False

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
        rc, cpu = vm.run("echo CPU0 $(%s); ndctl enable-namespace %s >/dev/null 2>&1; sleep 6; echo CPU1 $(%s); "
                         "echo T1 $(cut -d' ' -f1 /proc/uptime); end=$(($(date +%%s) + 540)); "
                         "while [ $(date +%%s) -lt $end ]; do [ $(%s | grep -c DAXHP_T_UEVENT_USEC) -gt %d ] && break; "
                         "sleep 1; done; daxhpctl wait --timeout 60 %s >/dev/null"
                         % (CPU, self.ns, CPU, query, before, self.dev), timeout=660)
        fields = {k: v for k, _, v in (l.partition(" ") for l in cpu.splitlines()) if k in ("CPU0", "CPU1", "T1")}
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
            "own_cpu": {k: int(r.get("DAXHP_CPU_%s_USEC" % k, 0)) for k in CPU_KEYS} if "DAXHP_CPU_OWN_USEC" in r else None,
        }


def ms(v):
    return v / 1000.0


def stat(vals):
    return "%.1f [%.1f–%.1f]" % (ms(statistics.median(vals)), ms(min(vals)), ms(max(vals)))


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--label", default="")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--before", required=True, help="daxhpd binary of the old arrival path")
    a = ap.parse_args()
    vm = VM(a.image, a.kernel, a.initrd, "", [a.overlay], name="arrival")
    res = {"before": [], "after": []}
    load0 = os.getloadavg()
    try:
        vm.boot()
        vm.install_overlay()
        vm.copy_in(a.before, "/usr/local/libexec/daxhpd.before", 0o755)
        kver = vm.sh("uname -r").strip()
        rid = int(vm.sh("ndctl list -R | sed -n 's/.*\"dev\":\"region\\([0-9]*\\)\".*/\\1/p' | head -1"))
        ns, dev = "namespace%d.0" % rid, "dax%d.0" % rid
        iface = None
        vm.copy_in(policy("online_movable"), POLICY)
        vm.sh("systemctl start daxhpd && daxhpctl wait --timeout 120", timeout=180)
        vm.sh("ndctl create-namespace -f -e %s -m devdax >/dev/null" % ns, timeout=120)
        vm.sh("daxhpctl wait --timeout 120 %s" % dev, timeout=180)
        b = Bench(vm, ns, dev, "/usr/local/libexec/daxhpd.before")
        for i in range(a.runs):
            for method in (("after", "before") if i % 2 else ("before", "after")):
                r = b.arrival(method)
                res[method].append(r)
                print("  run %2d %-6s total %7.1f ms  kernel %7.1f  own %6.1f (uevent->call %5.1f, "
                      "between %5.1f, return->confirmed %5.1f)  steps %d  cpu ms %s  daxhpd cpu ms %s"
                      % (i, method, ms(r["total"]), ms(r["kernel"]), ms(r["own"]), ms(r["pre"]),
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

    print()
    print("host load average (1, 5, 15 min): %.2f %.2f %.2f at the start, %.2f %.2f %.2f at the end"
          % (load0 + os.getloadavg()))
    print("Arrival of a 1.1 GiB pmem dax device -> online_movable (%s, kernel %s, %s, QEMU TCG 1 vCPU), "
          "median [min–max] ms over %d runs each:" % (a.label, kver, iface, a.runs))
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
    print("uevent → first call, split (median ms): policy match %.2f, queue → step %.2f, fork → call %.2f (after)"
          % tuple(ms(statistics.median([r[k] for r in res["after"]])) for k in ("policy", "queue", "fork")))


if __name__ == "__main__":
    main()
