#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Figures for issue 5, measured in the e2e guest (QEMU/TCG, 1 vCPU):

  * device creation -> policy state reached (all blocks online_movable), with
    daxhpd vs. the daxctl path (udev rule + daxdev-reconfigure@.service + a
    /etc/daxctl.conf.d entry), same kernel, same region, N runs each,
    alternating;
  * daxhpd idle RSS and wakeups per minute (context switches of all its
    threads over 60 s idle).

The daxctl path is upstream ndctl's rule and unit (bench/e2e/daxctl/), not
Debian 12's: daxctl 76.1 ships a rule running `daxctl -C $DEVNAME`, which
its daxctl rejects, so the packaged path never reconfigures a device.  Each
path runs alone: daxhpd is stopped for the daxctl runs, and the daxctl rule
is masked for the daxhpd runs.

  bench/e2e/run.sh [--kernel patched|pristine|stock] [--runs N]
"""
import argparse
import os
import statistics
import sys
import time
import json

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from vm import VM, guest_args  # noqa: E402


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--label", default="")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--idle", type=int, default=60)
    a = ap.parse_args()
    vm = VM(a.image, a.kernel, a.initrd, "", [a.overlay], name="bench")
    res = {"daxhpd": [], "daxctl": []}
    try:
        boot = vm.boot()
        vm.install_overlay()
        vm.copy_in(os.path.join(HERE, "wait-online.sh"), "/usr/local/bin/wait-online", 0o755)
        kver = vm.sh("uname -r").strip()
        rid = int(vm.sh("ndctl list -R | sed -n 's/.*\"dev\":\"region\\([0-9]*\\)\".*/\\1/p' | head -1"))
        ns, dev = "namespace%d.0" % rid, "dax%d.0" % rid
        vm.copy_in("[Match]\nProvider=pmem\n\n[Policy]\nState=online_movable\n",
                   "/etc/daxhp.d/50-bench.conf")
        vm.copy_in(os.path.join(HERE, "daxctl", "daxdev-reconfigure@.service"),
                   "/etc/systemd/system/daxdev-reconfigure@.service")
        rule = open(os.path.join(HERE, "daxctl", "90-daxctl-device.rules")).read()
        vm.sh("systemctl daemon-reload")

        def daxctl_rule(on):
            # Same file name as Debian's broken rule: /etc replaces /usr/lib.
            if on:
                vm.copy_in(rule, "/etc/udev/rules.d/90-daxctl-device.rules")
            else:
                vm.sh("ln -sf /dev/null /etc/udev/rules.d/90-daxctl-device.rules")
            vm.sh("udevadm control --reload")

        def to_devdax_disabled():
            # No agent running: back to devdax, then take the device away.
            vm.sh("daxctl reconfigure-device -m devdax -f %s >/dev/null 2>&1; "
                  "ndctl disable-namespace %s >/dev/null 2>&1" % (dev, ns), timeout=120)

        def measure(label):
            # "Device creation" = the namespace's dax device appearing (add
            # uevent, bound to device_dax), the same event for both paths.
            rc, out = vm.run("export T0_NS=$(date +%%s%%N); ndctl enable-namespace %s >/dev/null 2>&1 && "
                             "wait-online %s Movable 60" % (ns, dev), timeout=120)
            if rc != 0:
                print("  %-7s run: FAILED %s" % (label, out.strip()[-300:]), flush=True)
                if label == "daxctl":
                    print(vm.run("systemctl list-units --all --no-pager 'daxdev-reconfigure@*'; "
                                 "journalctl -b --no-pager -n 20 -u 'daxdev-reconfigure@*'", timeout=60)[1])
                return
            ms = int(out.split()[-1])
            res[label].append(ms)
            print("  %-7s run: %5d ms" % (label, ms), flush=True)

        # One devdax namespace for all runs. daxctl -C matches nvdimm.uuid
        # against the uuid of the namespace's dax info block (ndctl_dax_get_uuid,
        # what `ndctl list` prints as "uuid" for a devdax namespace), which
        # exists only once the namespace does: so the device is created once,
        # configured, and every run re-enables it.
        daxctl_rule(False)
        out = vm.sh("ndctl create-namespace -f -e %s -m devdax" % ns, timeout=120)
        # The claiming nd dax device (namespace's holder) carries that uuid.
        dax_uuid = vm.sh("cat /sys/bus/nd/devices/$(cat /sys/bus/nd/devices/%s/holder)/uuid" % ns).strip()
        print("  %s: dax info-block uuid %s (ndctl lists %s)" % (ns, dax_uuid, json.loads(out).get("uuid")),
              flush=True)
        vm.copy_in("[reconfigure-device bench]\nnvdimm.uuid = %s\nmode = system-ram\n"
                   "online = true\nmovable = true\n" % dax_uuid, "/etc/daxctl.conf.d/bench.conf")
        for i in range(a.runs):
            to_devdax_disabled()
            daxctl_rule(False)
            vm.sh("systemctl start daxhpd", timeout=120)
            measure("daxhpd")
            vm.sh("systemctl stop daxhpd", timeout=60)
            to_devdax_disabled()
            daxctl_rule(True)
            measure("daxctl")
        # Idle figures: daxhpd managing one online device, nothing happening.
        to_devdax_disabled()
        daxctl_rule(False)
        vm.sh("systemctl start daxhpd", timeout=120)
        measure("daxhpd")
        time.sleep(10)
        pid = vm.sh("systemctl show -P MainPID daxhpd").strip()
        rss = vm.sh("grep VmRSS /proc/%s/status" % pid).split()[1]
        cs = ("cat /proc/%s/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'" % pid)
        c0 = int(vm.sh(cs))
        time.sleep(a.idle)
        c1 = int(vm.sh(cs))
        wake = (c1 - c0) * 60.0 / a.idle
        tasks = vm.sh("ls /proc/%s/task | wc -l" % pid).strip()
    finally:
        vm.poweroff()

    def fmt(v):
        return "%d / %d / %d" % (min(v), statistics.median(v), max(v)) if v else "-"

    print()
    print("| daxhp figures (%s, kernel %s, QEMU TCG 1 vCPU) | value |" % (a.label, kver))
    print("|---|---|")
    print("| boot to multi-user | %.0f s |" % boot)
    print("| 1.1 GiB devdax device appears (ndctl enable-namespace) -> all 8 blocks online_movable, daxhpd (min/median/max ms, n=%d) | %s |"
          % (len(res["daxhpd"]), fmt(res["daxhpd"])))
    print("| same, upstream daxctl udev rule + daxdev-reconfigure@.service + daxctl.conf.d (min/median/max ms, n=%d) | %s |"
          % (len(res["daxctl"]), fmt(res["daxctl"])))
    print("| daxhpd idle RSS | %s kB |" % rss)
    print("| daxhpd idle wakeups (context switches, %s threads) | %.1f /min |" % (tasks, wake))


if __name__ == "__main__":
    main()
