#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CXL figures for issue 11, measured in the e2e-cxl guest (QEMU 10 TCG,
1 vCPU, q35 + two cxl-type3 volatile expanders, series kernel (or Linux 7.3:
run.sh --kernel mainline, its `state` attribute instead of `hotplug`) booted with
memhp_default_state=offline: kmem binds a new region's dax device and adds its
memory offline; the agent onlines it.  With `online` the kernel would put it in
ZONE_NORMAL, where neither agent can move it any more (tests/e2e-cxl step 6)):

  A. arrival -> policy: from just before `daxhp-cxl-region create MEMDEV`
     until every block of the region's dax device is online in ZONE_MOVABLE
     (polled every 20 ms in the guest), with
       daxhpd  policy Provider=cxl -> State=online_movable (through the
               hotplug attribute: unplugged, then online_movable)
       daxctl  a udev rule on the kmem bind running
               `daxctl online-memory --movable` (block by block); what the
               daxctl.conf.d path does with a CXL device is printed below
  B. unplug on the CXL node: one write of `unplugged` to daxX.Y/hotplug
     (Linux 7.3: daxX.Y/state) vs the per-block loop (memoryN/state offline
     for each block, then kmem unbind).
Methods alternate, N runs each; the table gives min / median / max.

  bench/cxl/run.sh [--kernel patched|mainline] [--runs N]
"""
import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e-cxl"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cxlvm import cxl_vm, SERIALS  # noqa: E402
from vm import guest_args  # noqa: E402

RULE = ('ACTION=="bind", SUBSYSTEM=="dax", DRIVER=="kmem", '
        'RUN+="/usr/bin/daxctl online-memory --movable %k"\n')
RULE_PATH = "/etc/udev/rules.d/99-daxhp-bench-cxl.rules"


def stats(v):
    if not v:
        return "- / - / -", 0
    return "%d / %d / %d" % (min(v), statistics.median(v), max(v)), len(v)


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--workdir")
    a = ap.parse_args()
    vm = cxl_vm(a.image, a.kernel, None, "memhp_default_state=offline", [a.overlay],
                workdir=a.workdir, name="bench-cxl")
    arrive = {"daxhpd": [], "daxctl": []}
    unplug = {"attr": [], "loop": []}
    attr = "hotplug"
    try:
        boot = vm.boot()
        vm.install_overlay()
        for f in ("arrive.sh", "unplug.sh"):
            vm.copy_in(os.path.join(HERE, f), "/usr/local/bin/" + f[:-3], 0o755)
        vm.copy_in(os.path.join(ROOT, "bench", "e2e", "wait-online.sh"), "/usr/local/bin/wait-online", 0o755)
        vm.copy_in("[Match]\nProvider=cxl\n\n[Policy]\nState=online_movable\nOnDrift=report\n",
                   "/etc/daxhp.d/50-bench.conf")
        mem = vm.sh("for m in /sys/bus/cxl/devices/mem*; do [ $(($(cat $m/serial))) = %d ] && "
                    "echo ${m##*/}; done; true" % SERIALS[0]).strip()
        print("# kernel %s, boot %.0f s, memdev %s (serial %#x)" % (
            vm.sh("uname -r").strip(), boot, mem, SERIALS[0]), flush=True)

        def teardown():
            # No agent: the attribute takes the memory out, then the region goes.
            vm.sh("systemctl stop daxhpd; rm -f %s; udevadm control --reload; "
                  "for r in /sys/bus/cxl/devices/region*; do [ -e $r ] || continue; "
                  "for d in $r/dax_region*/dax*.*; do for a in hotplug state; do "
                  "[ -e $d/$a ] && echo unplugged > $d/$a; done; done; "
                  "daxhp-cxl-region destroy ${r##*/} >/dev/null; done" % RULE_PATH, timeout=300)

        def arrival(how):
            teardown()
            if how == "daxhpd":
                vm.sh("systemctl start daxhpd")
            else:
                vm.copy_in(RULE, RULE_PATH)
                vm.sh("udevadm control --reload")
            rc, out = vm.run("arrive %s Movable 120" % mem, timeout=200)
            if rc != 0:
                print("  %-7s arrival: FAILED %s" % (how, out.strip()[-300:]), flush=True)
                return None
            ms, region, dev = out.split()[:3]
            arrive[how].append(int(ms))
            print("  %-7s arrival: %5s ms (%s, %s)" % (how, ms, region, dev), flush=True)
            return dev

        # What daxctl's own config path does with a CXL device.
        dev = arrival("daxctl")
        if dev:
            vm.copy_in("[reconfigure-device cxl]\nnvdimm.uuid = 00000000-0000-0000-0000-000000000000\n"
                       "mode = system-ram\nonline = true\nmovable = true\n", "/etc/daxctl.conf.d/cxl.conf")
            rc, out = vm.run("daxctl reconfigure-device -C %s" % dev, timeout=60)
            print("# daxctl reconfigure-device -C %s: rc=%d: %s" % (
                dev, rc, " | ".join(out.strip().splitlines()[-3:])), flush=True)
            vm.sh("rm -f /etc/daxctl.conf.d/cxl.conf")
        for i in range(a.runs):
            for how in (("daxhpd", "daxctl") if i % 2 == 0 else ("daxctl", "daxhpd")):
                arrival(how)

        # B: one region online_movable, no agent; unplug both ways, replug untimed.
        dev = arrival("daxhpd")
        vm.sh("systemctl stop daxhpd")
        d = "/sys/bus/dax/devices/" + dev
        attr = "hotplug" if vm.run("test -e %s/hotplug" % d)[0] == 0 else "state"
        for i in range(a.runs):
            for how in (("attr", "loop") if i % 2 == 0 else ("loop", "attr")):
                rc, out = vm.run("unplug %s %s" % (how, dev), timeout=200)
                if rc == 0:
                    unplug[how].append(int(out.split()[-1]))
                print("  %-5s unplug: %s" % (how, out.strip()), flush=True)
                # Back to online_movable (the bind adds the memory offline).
                vm.sh("[ -e %s/driver ] || echo %s > /sys/bus/dax/drivers/kmem/bind; "
                      "echo unplugged > %s/%s; echo online_movable > %s/%s" % (d, dev, d, attr, d, attr),
                      timeout=200)
        blocks = vm.sh("ls -d /sys/bus/dax/devices/%s/../../../memory* 2>/dev/null | wc -l; "
                       "echo $(( $(cat %s/size) / 0x$(cat /sys/devices/system/memory/block_size_bytes) ))"
                       % (dev, d)).split()[-1]
    finally:
        vm.poweroff()
    print()
    print("| figure (CXL node, %s blocks of 128 MiB) | method | min / median / max ms | n |" % blocks)
    print("|---|---|---:|---:|")
    for k, v in arrive.items():
        s, n = stats(v)
        print("| arrival -> all blocks online_movable | %s | %s | %d |" % (k, s, n))
    for k, v in unplug.items():
        s, n = stats(v)
        print("| unplug | %s | %s | %d |" % ({"attr": "%s attribute" % attr, "loop": "per-block loop + kmem unbind"}[k], s, n))


if __name__ == "__main__":
    main()
