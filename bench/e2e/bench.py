#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Figures for issue 5, measured in the e2e guest (QEMU/TCG, 1 vCPU):

  * device creation -> policy state reached (all blocks online_movable), with
    daxhpd vs. the daxctl path Debian 12 ships (udev 90-daxctl-device.rules
    running `daxctl -C` with a /etc/daxctl.conf.d entry), same kernel, same
    region, N runs each;
  * daxhpd idle RSS and wakeups per minute (context switches of all its
    threads over 60 s idle).

  bench/e2e/run.sh [--kernel patched|stock] [--runs N]
"""
import argparse
import os
import statistics
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from vm import VM  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd")
    ap.add_argument("--overlay", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--idle", type=int, default=60)
    a = ap.parse_args()
    vm = VM(a.image, a.kernel, a.initrd, "", [a.overlay], name="bench")
    res = {"daxhpd": [], "daxctl": []}
    try:
        boot = vm.boot()
        vm.sh("mkdir -p /run/daxhp-overlay && mount -o ro /dev/vdb /run/daxhp-overlay && "
              "/run/daxhp-overlay/usr/local/sbin/daxhp-e2e-overlay /dev/vdb", timeout=120)
        vm.copy_in(os.path.join(HERE, "wait-online.sh"), "/usr/local/bin/wait-online", 0o755)
        kver = vm.sh("uname -r").strip()
        rid = int(vm.sh("ndctl list -R | sed -n 's/.*\"dev\":\"region\\([0-9]*\\)\".*/\\1/p' | head -1"))
        ns, dev = "namespace%d.0" % rid, "dax%d.0" % rid
        vm.copy_in("[Match]\nProvider=pmem\n\n[Policy]\nState=online_movable\n",
                   "/etc/daxhp.d/50-bench.conf")
        # Debian 12's daxctl 76.1 ships 90-daxctl-device.rules running
        # `daxctl -C $DEVNAME`, which that daxctl rejects ("Unknown option: -C",
        # exit 129): the packaged path never reconfigures anything.  Use
        # upstream ndctl's rule + daxdev-reconfigure@.service instead.
        vm.copy_in('ACTION=="add", SUBSYSTEM=="dax", TAG+="systemd",\\\n'
                   '  PROGRAM="/usr/bin/systemd-escape -p --template=daxdev-reconfigure@.service '
                   '$env{DEVNAME}",\\\n  ENV{SYSTEMD_WANTS}="$result"\n',
                   "/etc/udev/rules.d/90-daxctl-device.rules")
        vm.copy_in("[Unit]\nDescription=Automatic daxctl device reconfiguration\n\n[Service]\n"
                   "Type=forking\nGuessMainPID=false\n"
                   "ExecStart=/bin/sh -c \"exec daxctl reconfigure-device -C %I\"\n",
                   "/etc/systemd/system/daxdev-reconfigure@.service")
        vm.sh("systemctl daemon-reload && udevadm control --reload")

        def teardown():
            vm.run("daxctl reconfigure-device -m devdax -f %s >/dev/null 2>&1; "
                   "ndctl destroy-namespace -f %s >/dev/null 2>&1; true" % (dev, ns), timeout=120)

        def measure(label):
            u = str(uuid.uuid4())
            if label == "daxctl":
                vm.copy_in("[reconfigure-device bench]\nnvdimm.uuid=%s\nmode = system-ram\n"
                           "online = true\nmovable = true\n" % u, "/etc/daxctl.conf.d/bench.conf")
            rc, out = vm.run("export T0_NS=$(date +%%s%%N); "
                             "ndctl create-namespace -f -e %s -m devdax -u %s >/dev/null && "
                             "wait-online %s Movable 60" % (ns, u, dev), timeout=120)
            if rc != 0:
                print("  %-7s run: FAILED %s" % (label, out.strip()[-300:]), flush=True)
                return
            ms = int(out.split()[-1])
            res[label].append(ms)
            print("  %-7s run: %5d ms" % (label, ms), flush=True)

        vm.sh("systemctl start daxhpd", timeout=120)
        for i in range(a.runs):
            vm.sh("systemctl start daxhpd && rm -f /etc/daxctl.conf.d/bench.conf", timeout=120)
            measure("daxhpd")
            vm.sh("systemctl stop daxhpd", timeout=60)
            teardown()
            measure("daxctl")
            teardown()
            vm.sh("rm -f /etc/daxctl.conf.d/bench.conf")
        # Idle figures: daxhpd managing one online device, nothing happening.
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
    print("| 1.1 GiB devdax creation -> all 8 blocks online_movable, daxhpd (min/median/max ms, n=%d) | %s |"
          % (len(res["daxhpd"]), fmt(res["daxhpd"])))
    print("| same, udev 90-daxctl-device.rules + daxctl.conf.d (min/median/max ms, n=%d) | %s |"
          % (len(res["daxctl"]), fmt(res["daxctl"])))
    print("| daxhpd idle RSS | %s kB |" % rss)
    print("| daxhpd idle wakeups (context switches, %s threads) | %.1f /min |" % (tasks, wake))


if __name__ == "__main__":
    main()
