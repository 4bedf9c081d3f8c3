#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxhp e2e on CXL, issue 13: a region that comes up during boot under
memhp_default_state=online, and the checks on CXL's own NUMA node.

   safety_cxl.py --image IMG --kernel BZIMAGE --overlay OVL --workdir DIR
                 [--mask-early] [--label L] [-v]

The install boot (a sparse copy of the image, kept in DIR) installs daxhpd,
the policy `MemdevSerial=0x1001 -> online_movable`, and a unit that assembles
a 512 MiB ram region on that expander during boot, after udev's coldplug
(what a firmware-committed region does when the CXL drivers probe as
modules); `systemctl enable daxhpd` (Also=daxhp-early.service). Then one boot
with `memhp_default_state=online` from that disk (-snapshot):

  boot           daxhp-early.service turned auto_online_blocks to offline
                 before the region came up; the region's memory arrived
                 offline (daxhpd's journal), daxhpd onlined it movable: the
                 attribute reads online_movable, every block in ZONE_MOVABLE;
                 an unplug through daxhpctl succeeds, and back.
  tiering        MemoryTier of the device = the memory tier whose nodelist
                 holds its node, DemotionEnabled = the kernel's file, both in
                 `daxhpctl status`.
  memory-in-use  a workload holds memory on the CXL node (exact PagesInUse:
                 the node is the device's alone) while the rest of the system
                 is filled: unplug refused with org.daxhp1.Error.MemoryInUse
                 and the numbers; with the rest drained the same unplug
                 migrates the workload off and succeeds.

--mask-early boots with systemd.mask=daxhp-early.service: the record of what
happens without the unit (the kernel onlines the region into ZONE_NORMAL; the
boot step then fails).
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cxlvm import cxl_vm, SERIALS  # noqa: E402
from scenario import Scenario, Fail, check, SETTLE, MGR, MGR_IF  # noqa: E402
from safety_steps import call_error_name, meminfo  # noqa: E402
from vm import StepFailed, finish, guest_args, keep_writes, save_guest_log  # noqa: E402

MIB = 1 << 20
HOG_MIB = 16
BOOT_REGION_SCRIPT = """#!/bin/sh
for m in /sys/bus/cxl/devices/mem*; do
	[ "$(cat $m/serial)" = %#x ] && exec /usr/local/sbin/daxhp-cxl-region create -s 512M ${m##*/}
done
echo "no memdev with serial %#x" >&2
exit 1
""" % (SERIALS[0], SERIALS[0])
BOOT_REGION_UNIT = """[Unit]
Description=daxhp e2e: assemble a CXL ram region during boot (as a probing driver would)
DefaultDependencies=no
After=systemd-udev-trigger.service
Before=sysinit.target daxhpd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/daxhp-e2e-cxl-boot-region

[Install]
WantedBy=sysinit.target
"""


class CxlSafety:
    def __init__(self, sc, masked):
        self.sc = sc
        self.masked = masked
        self.dev = None

    def install(self):
        """install daxhpd, policy 0x1001 -> online_movable, a unit making its region at boot; enable daxhpd"""
        sc = self.sc
        sc.vm.install_overlay()
        sc.write_policy("50-cxl-fast.conf", "[Match]\nProvider=cxl\nMemdevSerial=%#x\n\n[Policy]\n"
                        "State=online_movable\n" % SERIALS[0])
        sc.vm.copy_in(BOOT_REGION_SCRIPT, "/usr/local/sbin/daxhp-e2e-cxl-boot-region", mode=0o755)
        sc.vm.copy_in(BOOT_REGION_UNIT, "/etc/systemd/system/daxhp-e2e-cxl-region.service")
        sc.sh("systemctl daemon-reload && systemctl enable daxhpd.service daxhp-e2e-cxl-region.service && sync")
        state = sc.run("systemctl is-enabled daxhp-early.service")[1].strip()
        check(state == "enabled", "daxhp-early.service is %r after systemctl enable daxhpd" % state)

    def boot_outcome(self):
        """memhp_default_state=online, region made during boot: the device ends online_movable and unplugs"""
        sc = self.sc
        early = sc.run("systemctl show -P ActiveState daxhp-early.service; "
                       "journalctl -b -u daxhp-early.service -o cat --no-pager | grep auto_online_blocks")[1]
        region = sc.run("systemctl show -P ActiveState daxhp-e2e-cxl-region.service; "
                        "journalctl -b -u daxhp-e2e-cxl-region.service -o cat --no-pager | tail -n 3")[1]
        sc.log("#   daxhp-early.service: %s" % " | ".join(early.strip().split("\n")))
        sc.log("#   boot region unit: %s" % " | ".join(region.strip().split("\n")))
        check(region.startswith("active"), "the boot-time region was not made: %s" % region)
        if not self.masked:
            check("auto_online_blocks: online -> offline" in early,
                  "daxhp-early.service did not report online -> offline: %s" % early)
        devs = sc.sh("ls /sys/bus/dax/devices/").split()
        check(len(devs) == 1, "want one dax device (the boot region's), have %s" % devs)
        dev = self.dev = devs[0]
        node = int(sc.sh("cat /sys/bus/dax/devices/%s/target_node" % dev))
        j = sc.sh("journalctl -b -u daxhpd -o cat --no-pager | grep -E '^%s' | head -n 8; true" % dev)
        for line in j.strip().splitlines():
            sc.log("#   daxhpd: %s" % line)
        if self.masked:
            self.report_against_policy(dev)
        sc.wait_state(dev, "online_movable", timeout=SETTLE)
        v = sc.kernel_agrees(dev, "online_movable")
        sc.log("#   %s on node %d: hotplug=%s, %d blocks, zones %s" % (
            dev, node, v["attr"].get("hotplug"), len(v["blocks"]),
            sorted(set(b[2].split(",")[0] for b in v["blocks"]))))
        check(re.search(r"appeared \(system-ram, offline\b", j), "%s did not arrive offline: %s" % (dev, j))
        tier = sc.dprops(dev, "MemoryTier")["MemoryTier"]
        # The unplug removes the node's last memory, so the kernel destroys its
        # memory tier, and a read of that tier's nodelist meanwhile deadlocks
        # with it (memory_tier_lock against the sysfs removal): daxhpd must
        # not read it during a step, however often clients ask for MemoryTier.
        obj = "/org/daxhp1/device/" + dev.replace(".", "_2e")
        rc, out = sc.run("rm -f /run/tier.log; (while :; do busctl get-property org.daxhp1 %s org.daxhp1.Device "
                         "MemoryTier >>/run/tier.log 2>&1 || echo FAILED >>/run/tier.log; done) & p=$!; "
                         "daxhpctl set %s unplugged; rc=$?; kill $p; wait $p 2>/dev/null; exit $rc"
                         % (obj, dev), timeout=SETTLE + 30)
        check(rc == 0, "unplug of %s after boot failed: rc %d: %s" % (dev, rc, out))
        answers = sc.sh("cat /run/tier.log").split("\n")
        answers = [a for a in answers if a.strip()]
        sc.log("#   MemoryTier asked %d times during the unplug (tier %d before): %s" % (
            len(answers), tier, ", ".join(sorted(set(answers)))))
        # The last value read while the step runs; -1 once it is over (the node has no memory).
        check(answers and all(a in ("i %d" % tier, "i -1") for a in answers),
              "MemoryTier during the unplug: %s" % sorted(set(answers)))
        sc.kernel_agrees(dev, "unplugged")
        after = sc.dprops(dev, "MemoryTier")["MemoryTier"]
        check(after == -1, "MemoryTier after the node lost its memory: %d, want -1" % after)
        sc.sh("daxhpctl reset %s" % dev, timeout=SETTLE + 30)
        sc.wait_state(dev, "online_movable")

    def report_against_policy(self, dev):
        """Without the unit the kernel onlines the region into ZONE_NORMAL of
        its memory-only node and refuses daxhpd's unplug (EBUSY): what
        daxhpctl check then says about it (logged; the step fails after)."""
        sc = self.sc
        t0 = time.monotonic()
        p = {}
        while time.monotonic() - t0 < SETTLE:
            p = sc.dprops(dev, "State", "Transition", "LastError")
            if p["State"] == "online_movable" or (p["Transition"] == "idle" and p["LastError"]):
                break
            time.sleep(2)
        rc, out = sc.run("daxhpctl check")
        sc.log("#   %s: %s; daxhpctl check rc %d:" % (dev, p, rc))
        for line in out.rstrip().splitlines():
            sc.log("#   | %s" % line)

    def tiering(self):
        """MemoryTier and DemotionEnabled are the kernel's, on the bus and in daxhpctl status"""
        sc = self.sc
        dev = self.dev
        check(dev, "no device from the boot step")
        node = sc.dprops(dev, "TargetNode")["TargetNode"]
        tiers = sc.sh("for t in /sys/devices/virtual/memory_tiering/memory_tier*; do "
                      "[ -e $t/nodelist ] && echo ${t##*memory_tier} $(cat $t/nodelist); done; true")
        want = -1
        for line in tiers.splitlines():
            f = line.split()
            if len(f) == 2 and node in expand(f[1]):
                want = int(f[0])
        demotion = sc.run("cat /sys/kernel/mm/numa/demotion_enabled")[1].strip()
        p = sc.dprops(dev, "MemoryTier")
        m = sc.props(MGR, MGR_IF, "DemotionEnabled")
        sc.log("#   tiers (id nodelist): %s; node %d; MemoryTier=%d DemotionEnabled=%r (kernel %r)" % (
            " / ".join(tiers.splitlines()), node, p["MemoryTier"], m["DemotionEnabled"], demotion))
        check(want >= 0, "the kernel shows no memory tier for node %d: %s" % (node, tiers))
        check(p["MemoryTier"] == want, "MemoryTier=%d, kernel tier %d" % (p["MemoryTier"], want))
        check(m["DemotionEnabled"] == demotion, "DemotionEnabled=%r, kernel %r" % (m["DemotionEnabled"], demotion))
        out = sc.sh("daxhpctl status %s" % dev)
        check("MemoryTier: %d" % want in out, "daxhpctl status lacks MemoryTier: %d:\n%s" % (want, out))

    def node_pages(self, unit, node):
        out = self.sc.sh("pid=$(systemctl show -P MainPID %s); [ \"$pid\" != 0 ] || { echo 0; exit; }; "
                         "awk -v n=N%d= '{for(i=1;i<=NF;i++) if (index($i,n)==1) s+=substr($i,length(n)+1)} "
                         "END{print s+0}' /proc/$pid/numa_maps" % (unit, node))
        return int(out.strip() or 0)

    def memory_in_use(self):
        """a workload on the CXL node the rest cannot absorb: unplug refused (MemoryInUse); drained, it unplugs"""
        sc = self.sc
        dev = self.dev
        check(dev, "no device from the boot step")
        node = sc.dprops(dev, "TargetNode")["TargetNode"]
        sc.sh("systemd-run --unit=cxl-safety-work -p NUMAPolicy=bind -p NUMAMask=%d "
              "python3 -c 'import time; x = b\"\\x5a\" * (%d << 20); time.sleep(3600)'" % (node, HOG_MIB))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 240 and self.node_pages("cxl-safety-work", node) * 4096 < HOG_MIB * MIB * 0.9:
            time.sleep(2)
        pages = self.node_pages("cxl-safety-work", node)
        check(pages * 4096 >= HOG_MIB * MIB * 0.9, "workload has only %d pages on node %d" % (pages, node))
        try:
            nfree = int(sc.sh("awk '/MemFree/ {print $4}' /sys/devices/system/node/node%d/meminfo" % node)) * 1024
            m = meminfo(sc)
            # The rest of the system: MemAvailable without the CXL node's free part.
            rest = m["MemAvailable"] - nfree
            fill = rest - 60 * MIB
            sc.log("#   workload %d MiB on node %d; MemAvailable %d MiB, node %d free %d MiB: rest %d MiB, "
                   "filling %d MiB" % (pages * 4096 >> 20, node, m["MemAvailable"] >> 20, node, nfree >> 20,
                                       rest >> 20, fill >> 20))
            sc.sh("rm -f /run/safety-fill.ready; systemd-run --quiet --unit=cxl-safety-fill -p NUMAPolicy=bind "
                  "-p NUMAMask=0 python3 -c 'import time; b = b\"\\x01\" * %d; "
                  "open(\"/run/safety-fill.ready\", \"w\").close(); time.sleep(100000)' && i=0; "
                  "while [ ! -e /run/safety-fill.ready ] && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done; "
                  "test -e /run/safety-fill.ready" % fill, timeout=300)
            piu = sc.dprops(dev, "PagesInUse")["PagesInUse"]
            nused = int(sc.sh("awk '/MemUsed/ {print $4}' /sys/devices/system/node/node%d/meminfo" % node)) * 1024
            sc.log("#   PagesInUse %d (%d MiB), node %d MemUsed %d MiB, MemAvailable now %d MiB" % (
                piu, piu * 4096 >> 20, node, nused >> 20, meminfo(sc)["MemAvailable"] >> 20))
            check(abs(piu * 4096 - nused) <= MIB, "PagesInUse %d pages, node %d MemUsed %d bytes: not its node's"
                  % (piu, node, nused))
            since = sc.guest_now()
            name, text = call_error_name(sc, dev, "unplugged")
            sc.log("#   SetState unplugged: %s: %s" % (name, text))
            check(name == "org.daxhp1.Error.MemoryInUse", "SetState unplugged: %s %s" % (name, text))
            rec = sc.journal("DAXHP_EVENT=refused", "DAXHP_DEVICE=" + dev, since=since)
            check(rec and rec[-1].get("DAXHP_CHECK") == "unplug", "no unplug refusal record: %s" % rec)
            sc.log("#   journal: NEED=%s HAVE=%s" % (rec[-1].get("DAXHP_NEED_BYTES"), rec[-1].get("DAXHP_HAVE_BYTES")))
            sc.kernel_agrees(dev, "online_movable")
            # Its anonymous data stays on the node (file pages it maps may be reclaimed meanwhile).
            left = self.node_pages("cxl-safety-work", node)
            check(left * 4096 >= HOG_MIB * MIB * 0.9, "the workload's pages moved on a refusal: %d left" % left)
        finally:
            sc.run("systemctl stop cxl-safety-fill; systemctl reset-failed cxl-safety-fill", timeout=120)
        try:
            t0 = time.monotonic()
            rc, out = sc.run("daxhpctl set %s unplugged" % dev, timeout=SETTLE + 120)
            sc.log("#   drained: daxhpctl set %s unplugged rc %d in %.1fs; workload on node %d: %d pages" % (
                dev, rc, time.monotonic() - t0, node, self.node_pages("cxl-safety-work", node)))
            check(rc == 0, "unplug after draining: rc %d %s" % (rc, out))
            sc.kernel_agrees(dev, "unplugged")
            check(self.run_active("cxl-safety-work"), "the workload died")
        finally:
            sc.run("systemctl stop cxl-safety-work; systemctl reset-failed cxl-safety-work", timeout=120)

    def run_active(self, unit):
        return self.sc.run("systemctl is-active %s" % unit)[1].strip() == "active"


def expand(nodelist):
    out = set()
    for part in nodelist.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--mask-early", action="store_true")
    ap.add_argument("--label", default="cxl-safety")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    results = []
    img = os.path.join(a.workdir, "installed-cxl.img")
    subprocess.run(["cp", "--sparse=always", a.image, img], check=True)
    label = a.label + ("-masked" if a.mask_early else "")
    try:
        vm = keep_writes(cxl_vm(img, a.kernel, a.initrd, "", [a.overlay], workdir=a.workdir,
                                name="cxl-install", verbose=a.verbose))
        sc = Scenario(vm, "patched")
        st = CxlSafety(sc, a.mask_early)

        def install():
            vm.boot()
            st.install()
        install.__doc__ = st.install.__doc__
        try:
            ok = sc.run_step("%s.install" % label, install)
            results.append(ok)
        finally:
            vm.poweroff()
        if ok:
            append = "memhp_default_state=online" + (" systemd.mask=daxhp-early.service" if a.mask_early else "")
            vm = cxl_vm(img, a.kernel, a.initrd, append, [a.overlay], workdir=a.workdir,
                        name="cxl-online", verbose=a.verbose)
            sc = Scenario(vm, "patched")
            st.sc = sc
            try:
                def boot():
                    secs = vm.boot()
                    sc.log("#   booted (%s) in %.1fs (%s)" % (append, secs, vm.system_state))
                boot.__doc__ = "boot with %s, daxhpd enabled" % append
                if sc.run_step("%s.boot" % label, boot):
                    for name, fn in (("zone-and-unplug", st.boot_outcome), ("tiering", st.tiering),
                                     ("memory-in-use", st.memory_in_use)):
                        sc.run_step("%s.%s" % (label, name), fn)
                results += [r[2] for r in sc.results]
            except (StepFailed, Fail) as e:
                results.append(False)
                sc.log("not ok %s - %s" % (label, e))
            finally:
                save_guest_log(vm, os.path.join(a.workdir, label + ".journal.txt"),
                               "journalctl -b --no-pager -o short-monotonic -u daxhpd -u daxhp-early "
                               "-u daxhp-e2e-cxl-region | tail -n 300; dmesg | grep -i -E "
                               "'cxl|kmem|memory' | tail -n 40")
                vm.poweroff()
    finally:
        os.unlink(img)
    finish(results, a.workdir)


if __name__ == "__main__":
    main()
