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

kernel = DAXHP_KERNEL_USEC; daxhpd's own = (confirmed - uevent) - kernel,
split into uevent -> first kernel call, the gaps between steps, and last
return -> confirmed.

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
BIN = "/usr/local/libexec/daxhpd"


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
        vm.run("ndctl enable-namespace %s >/dev/null 2>&1; sleep 4; end=$(($(date +%%s) + 540)); "
               "while [ $(date +%%s) -lt $end ]; do [ $(%s | grep -c DAXHP_T_UEVENT_USEC) -gt %d ] && break; sleep 1; done; "
               "daxhpctl wait --timeout 60 %s" % (self.ns, query, before, self.dev), timeout=660)
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
            "steps": int(r["DAXHP_STEPS"]),
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
                      "between %5.1f, return->confirmed %5.1f)  steps %d"
                      % (i, method, ms(r["total"]), ms(r["kernel"]), ms(r["own"]), ms(r["pre"]),
                         ms(r["between"]), ms(r["post"]), r["steps"]), flush=True)
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
    print("| path | uevent → confirmed | kernel | daxhpd's own | own: uevent → first call | own: between steps "
          "| own: last return → confirmed | steps (kernel calls) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for method in ("before", "after"):
        v = res[method]
        steps = sorted({r["steps"] for r in v})
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            method, stat([r["total"] for r in v]), stat([r["kernel"] for r in v]), stat([r["own"] for r in v]),
            stat([r["pre"] for r in v]), stat([r["between"] for r in v]), stat([r["post"] for r in v]),
            "/".join(str(s) for s in steps)))
    print()
    print("uevent → first call, split (median ms): policy match %.2f, queue → step %.2f, fork → call %.2f (after)"
          % tuple(ms(statistics.median([r[k] for r in res["after"]])) for k in ("policy", "queue", "fork")))


if __name__ == "__main__":
    main()
