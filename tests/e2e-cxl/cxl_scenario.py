#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxhp end-to-end on CXL memory (issue 11): QEMU 10 q35 guest with two
cxl-type3 volatile expanders (cxlvm.py), the series kernel, daxhpd under
systemd, regions assembled with the shipped daxhp-cxl-region.

   cxl_scenario.py --image IMG --kernel BZIMAGE --overlay OVL [--steps 1,2,...]

Prints "ok N - ..." / "not ok N - ..." per step and ends with exactly
"N passed, N failed"; exits 1 on any failure.  Reuses the e2e Scenario's
guest helpers (D-Bus properties, journal, the kernel's view of a device).
"""
import argparse
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cxlvm import cxl_vm, SERIALS  # noqa: E402
from scenario import (Scenario, Fail, check, dev_path, BUS, DEV_IF,  # noqa: E402
                      SETTLE, STEP_TIMEOUT)
from vm import StepFailed, Timeout, VMDied, guest_args  # noqa: E402,F401
import fleet  # noqa: E402

HELPER = "daxhp-cxl-region"
# The kernel's own choice when kmem binds a new region's memory (the guest
# boots with memhp_default_state=online_movable): what daxhpd finds and,
# for the reserve expander, has to correct.  Step 6 switches the default to
# "online" (ZONE_NORMAL) at run time, via memory/auto_online_blocks.
KERNEL_DEFAULT = "online_movable"
REGION_SIZE = "512M"
# CXL memory in QEMU is an emulated device (every access an MMIO exit), about
# 2 MB/s under TCG here, and 100 times slower on a host running six other VMs
# (2 MiB in 185 s, 2026-12-02): the workload holds little, and is waited for
# as long as it makes progress (HOG_STALL s without a new page fails).
HOG_MIB = 8
HOG_STALL = 120
# Migrating it off emulated memory in the unplug: the fast device's policy
# allows that long (TimeoutSec=), and the D-Bus call waits for it.
MIGRATE_LIMIT = 900


class CxlScenario(Scenario):
    def __init__(self, vm, flavour="patched", log=print):
        # patched: the series' hotplug attribute; pristine: Linux 7.2.13
        # without it, daxhpd's per-block fallback; mainline: Linux 7.3's
        # kmem state attribute.
        super().__init__(vm, flavour, log)
        self.mem = {}            # serial -> memdev name
        self.regions = {}        # role -> region name

    # Guest commands get SLACK times the e2e stage's limits: this guest is
    # slower (emulated memory), and a busy host slowed `prepare` past 120 s
    # (2026-12-02, load 22). Limits only catch a hang; nothing asserts time.
    SLACK = 3

    def sh(self, cmd, timeout=STEP_TIMEOUT, **kw):
        return super().sh(cmd, timeout=timeout * self.SLACK, **kw)

    def run(self, cmd, timeout=STEP_TIMEOUT, **kw):
        return super().run(cmd, timeout=timeout * self.SLACK, **kw)

    def wait_state(self, dev, state, timeout=SETTLE):
        return super().wait_state(dev, state, timeout=timeout * self.SLACK)

    def wait_gone(self, dev, timeout=60):
        return super().wait_gone(dev, timeout=timeout * self.SLACK)

    # ---- CXL helpers -------------------------------------------------------
    def cxl_list(self):
        out = self.sh("cxl list -M -D -P -v 2>/dev/null || cxl list -M -D", timeout=60)
        return json.loads(out or "[]")

    def memdevs(self):
        out = self.sh("for m in /sys/bus/cxl/devices/mem*; do echo ${m##*/} $(cat $m/serial); done")
        return {int(f[1], 0): f[0] for f in (l.split() for l in out.splitlines()) if len(f) == 2}

    def create_region(self, *mems, decoder=None, size=None):
        """The shipped helper; returns (region, dax device, seconds from the
        create command to the dax device existing)."""
        t0 = time.monotonic()
        size = size or REGION_SIZE
        cmd = "%s create%s -s %s %s" % (HELPER, " -d " + decoder if decoder else "", size, " ".join(mems))
        region = self.sh(cmd, timeout=120).strip().splitlines()[-1]
        check(re.fullmatch(r"region\d+", region), "%s printed %r" % (cmd, region))
        dax = None
        while time.monotonic() - t0 < 60 * self.SLACK:
            out = self.sh("ls -d /sys/bus/cxl/devices/%s/dax_region*/dax*.* 2>/dev/null || true" % region)
            if out.strip():
                dax = os.path.basename(out.split()[0])
                break
            time.sleep(0.5)
        check(dax, "%s: no dax device %d s after %s" % (region, 60 * self.SLACK, cmd))
        return region, dax, time.monotonic() - t0

    def node_of(self, dev):
        return int(self.sh("cat /sys/bus/dax/devices/%s/target_node" % dev).strip())

    def node_has_cpus(self, node):
        return self.sh("cat /sys/devices/system/node/node%d/cpulist" % node).strip() != ""

    def records(self, dev, since):
        return self.journal("DAXHP_DEVICE=" + dev, since=since)

    def policy_reached_from_kernel_choice(self, dev, want, since, t_create, kernel=KERNEL_DEFAULT):
        """The device arrived as the kernel made it (kernel); daxhpd took it
        to want, or left it when that is where the kernel put it."""
        t = self.wait_state(dev, want)
        self.timings["arrival->%s:%s" % (want, dev)] = t_create + t
        self.kernel_agrees(dev, want)
        recs = self.records(dev, since)
        seen = [r.get("DAXHP_FROM") or r.get("DAXHP_TO") for r in recs
                if r.get("MESSAGE", "").startswith(dev + " appeared") or self.is_drift(r)]
        steps = [m.group(1) for m in (re.search(r"step (\S+) started", r.get("MESSAGE", ""))
                                      for r in recs) if m]
        done = [r for r in recs if r.get("DAXHP_RESULT") in ("ok", "success", "done")
                and r.get("DAXHP_TO") == want]
        self.log("#   %s: kernel states seen %s; steps %s" % (dev, seen, steps))
        for r in recs:
            self.log("#     %s" % r.get("MESSAGE", "")[:150])
        check(kernel in seen, "%s: the journal never shows the kernel's own choice (%s) before daxhpd acted: %s"
              % (dev, kernel, seen))
        if want == kernel:
            check(not steps, "%s: the kernel already put it at %s, yet daxhpd ran steps %s" % (dev, want, steps))
        else:
            check(steps, "%s: daxhpd ran no step towards %s" % (dev, want))
            if self.atomic:
                check(steps[-1] == "set:" + want, "%s: last step %s, want set:%s" % (dev, steps, want))
        return seen

    # ---- steps -------------------------------------------------------------
    def prepare(self):
        """Install daxhpd + daxhp-cxl-region; CXL policies by memdev serial and root decoder."""
        self.vm.install_overlay(timeout=120 * self.SLACK)
        check(self.run("command -v %s" % HELPER)[0] == 0, "%s is not installed" % HELPER)
        self.bs = self.block_size()
        fast, reserve = SERIALS
        # The fast expander by its serial in hex, the reserve one in decimal:
        # MemdevSerial= compares numbers.
        self.write_policy("50-cxl-fast.conf",
                          "[Match]\nProvider=cxl\nMemdevSerial=%#x\n\n[Policy]\n"
                          "State=online_movable\nOnDrift=reapply\nTimeoutSec=%ds\n" % (fast, MIGRATE_LIMIT))
        self.write_policy("60-cxl-reserve.conf",
                          "[Match]\nProvider=cxl\nMemdevSerial=%d\n\n[Policy]\n"
                          "State=unplugged\n" % reserve)
        # The NFD directory must exist when daxhpd starts (the unit's
        # ReadWritePaths= takes only directories that exist then).
        self.sh("mkdir -p %s" % os.path.dirname(fleet.NFD_FILE))
        self.write_policy("40-cxl-interleaved.conf",
                          "[Match]\nProvider=cxl\nRootDecoder=decoder0.2\n\n[Policy]\n"
                          "State=online_movable\nOnDrift=report\n")

    def step1(self):
        """cxl list: two memdevs on two host bridges, three root decoders; daxhpd starts"""
        self.mem = self.memdevs()
        self.log("#   memdevs by serial: %s" % {hex(k): v for k, v in self.mem.items()})
        check(sorted(self.mem) == sorted(SERIALS), "memdev serials %s, want %s" % (
            sorted(self.mem), list(SERIALS)))
        listing = self.sh("%s list" % HELPER)
        self.log("".join("#   " + l + "\n" for l in listing.splitlines()).rstrip())
        check(len(re.findall(r"^root-decoder ", listing, re.M)) == 3, "want 3 root decoders")
        out = json.dumps(self.cxl_list())
        for m in self.mem.values():
            check('"%s"' % m in out, "cxl list does not show %s" % m)
        check(self.sh("ls /sys/bus/dax/devices/ 2>/dev/null | wc -l").strip() == "0",
              "dax devices exist before any region")
        self.sh("systemctl start daxhpd", timeout=120)
        check(self.run("systemctl is-active daxhpd")[1].strip() == "active", "daxhpd not active")

    def step2(self):
        """ram region on the fast expander -> dax device onlined movable by the kernel on a CPU-less node; daxhpd finds it at policy; D-Bus, status, explain and the node labels name the hardware"""
        since = self.guest_now()
        region, dev, t = self.create_region(self.mem[SERIALS[0]])
        self.regions["fast"], self.devs["fast"] = region, dev
        self.timings["create:" + region] = t
        self.log("#   %s -> %s in %.2fs" % (region, dev, t))
        node = self.node_of(dev)
        check(node > 0 and not self.node_has_cpus(node), "%s on node %d, which has CPUs" % (dev, node))
        self.policy_reached_from_kernel_choice(dev, "online_movable", since, t)
        p = self.dprops(dev, "Provider", "Region", "TargetNode", "PolicyFile", "Size")
        self.log("#   %s: %s" % (dev, p))
        check(p["Provider"] == "cxl" and p["TargetNode"] == node and
              p["PolicyFile"].endswith("50-cxl-fast.conf"), "%s properties %s" % (dev, p))
        c = self.dprops(dev, "CxlRegion", "CxlRootDecoder", "CxlMemdevs", "CxlSerials", "CxlHostBridges")
        self.log("#   %s CXL identity on the bus: %s" % (dev, c))
        check(c == {"CxlRegion": region, "CxlRootDecoder": "decoder0.0",
                    "CxlMemdevs": [self.mem[SERIALS[0]]], "CxlSerials": ["%#x" % SERIALS[0]],
                    "CxlHostBridges": ["pci0000:0c"]}, "%s CXL identity on D-Bus: %s" % (dev, c))
        out = self.sh("daxhpctl status %s" % dev)
        self.log("".join("#   | " + l + "\n" for l in out.splitlines()).rstrip())
        want = ("Cxl: %s, root decoder decoder0.0\n              %s serial %#x, host bridge pci0000:0c\n"
                % (region, self.mem[SERIALS[0]], SERIALS[0]))
        check(want in out, "daxhpctl status %s does not show the CXL identity %r" % (dev, want))
        st = json.loads(self.sh("daxhpctl --json status %s" % dev))
        check(st["CxlSerials"] == ["%#x" % SERIALS[0]] and st["CxlRegion"] == region,
              "daxhpctl --json status %s: %s" % (dev, st))
        out = self.sh("daxhpctl explain %s" % dev)
        self.log("".join("#   | " + l + "\n" for l in out.splitlines()).rstrip())
        check("MemdevSerial" in out and "50-cxl-fast.conf" in out, "explain does not name the serial match")
        self.fleet_files_show_cxl(dev, node, p["Size"])

    def fleet_files_show_cxl(self, dev, node, size):
        """The node labels and the metrics name the CXL memory (daxhp's fleet files)."""
        want = ["daxhp-cxl-present=true", "daxhp-online-movable-bytes.cxl.node%d=%d" % (node, size)]
        info = 'daxhp_device_info{device="%s",provider="cxl"' % dev
        deadline = time.monotonic() + SETTLE
        while True:
            labels = self.run("cat %s" % fleet.NFD_FILE, timeout=30)[1].splitlines()
            metrics = self.run("cat %s/daxhp.prom" % fleet.TEXTFILE_DIR, timeout=30)[1]
            if all(w in labels for w in want) and info in metrics:
                break
            check(time.monotonic() < deadline, "after %d s, NFD labels %s (want %s); metrics %s %s" % (
                SETTLE, labels, want, "have" if info in metrics else "lack", info))
            time.sleep(1)
        self.log("#   NFD labels: %s" % ", ".join(l for l in labels if "cxl" in l))

    def step3(self):
        """ram region on the reserve expander -> onlined by the kernel -> daxhpd unplugs it atomically (policy by serial)"""
        since = self.guest_now()
        region, dev, t = self.create_region(self.mem[SERIALS[1]])
        self.regions["reserve"], self.devs["reserve"] = region, dev
        self.log("#   %s -> %s in %.2fs, node %d" % (region, dev, t, self.node_of(dev)))
        self.policy_reached_from_kernel_choice(dev, "unplugged", since, t)

    def step4(self):
        """a workload holds memory on the CXL node: unplug migrates it off atomically, re-online brings the node back"""
        dev = self.devs["fast"]
        node = self.node_of(dev)
        # Bound to the node, the hog can only fault pages in from it: it must
        # be done (its ready file) before the unplug isolates the whole device,
        # or a fault in that window meets the OOM killer.
        self.sh("rm -f /run/cxl-hog.ready; systemd-run --unit=cxl-hog -p NUMAPolicy=bind -p NUMAMask=%d "
                "python3 -c 'import time; x = b\"\\x5a\" * (%d << 20); "
                "open(\"/run/cxl-hog.ready\", \"w\").close(); time.sleep(3600)'" % (node, HOG_MIB))
        t0 = last_t = time.monotonic()
        pages = last = 0
        while time.monotonic() - last_t < HOG_STALL:
            pages = self.awk_pages(node)
            if self.run("test -e /run/cxl-hog.ready")[0] == 0:
                break
            if pages > last:
                last, last_t = pages, time.monotonic()
            time.sleep(1)
        self.timings["hog-fill"] = time.monotonic() - t0
        self.log("#   hog holds %d MiB on node %d after %.1fs" % (pages * 4096 >> 20, node, self.timings["hog-fill"]))
        check(pages * 4096 >= (HOG_MIB << 20) * 0.9, "hog has only %d pages on node %d, none more for %d s" % (
            pages, node, HOG_STALL))
        t0 = time.monotonic()
        self.sh("busctl call --timeout=%d %s %s %s SetState s unplugged" % (
            MIGRATE_LIMIT, BUS, dev_path(dev), DEV_IF), timeout=MIGRATE_LIMIT + 10)
        self.timings["unplug-with-hog"] = time.monotonic() - t0
        self.kernel_agrees(dev, "unplugged")
        check(self.run("systemctl is-active cxl-hog")[1].strip() == "active", "the hog died")
        left = self.awk_pages(node)
        self.log("#   unplugged in %.1fs; hog: %d pages on node %d, %d MiB elsewhere" % (
            self.timings["unplug-with-hog"], left, node, self.awk_pages(0) * 4096 >> 20))
        check(left == 0, "hog still has %d pages on unplugged node %d" % (left, node))
        t0 = time.monotonic()
        self.sh("busctl call --timeout=%d %s %s %s SetState s online_movable" % (
            SETTLE, BUS, dev_path(dev), DEV_IF), timeout=SETTLE + 10)
        self.timings["replug"] = time.monotonic() - t0
        self.kernel_agrees(dev, "online_movable")
        self.sh("busctl call %s %s %s ClearOverride" % (BUS, dev_path(dev), DEV_IF))
        self.sh("systemctl stop cxl-hog")
        self.log("#   re-onlined in %.1fs" % self.timings["replug"])

    def awk_pages(self, node):
        out = self.sh("pid=$(systemctl show -P MainPID cxl-hog); [ \"$pid\" != 0 ] || { echo 0; exit; }; "
                      "awk -v n=N%d= '{for(i=1;i<=NF;i++) if (index($i,n)==1) s+=substr($i,length(n)+1)} "
                      "END{print s+0}' /proc/$pid/numa_maps" % node)
        return int(out.strip() or 0)

    def step5(self):
        """destroy the reserve region while daxhpd runs (device leaves the bus); the helper refuses online memory; recreate -> policy again"""
        dev, region = self.devs["reserve"], self.regions["reserve"]
        # Online memory is refused, with the command to run.
        rc, out = self.run("%s destroy %s" % (HELPER, self.regions["fast"]))
        self.log("#   destroy of the online region: rc=%d %s" % (rc, out.strip()))
        check(rc == 1 and "online" in out, "destroying a region with online memory: rc=%d %s" % (rc, out))
        self.kernel_agrees(self.devs["fast"], "online_movable")
        t0 = time.monotonic()
        self.sh("%s destroy %s" % (HELPER, region), timeout=120)
        self.wait_gone(dev)
        self.timings["destroy"] = time.monotonic() - t0
        since = self.guest_now()
        region2, dev2, t = self.create_region(self.mem[SERIALS[1]])
        self.log("#   destroyed %s (%s gone in %.1fs); recreated as %s -> %s" % (
            region, dev, self.timings["destroy"], region2, dev2))
        self.regions["reserve"], self.devs["reserve"] = region2, dev2
        self.policy_reached_from_kernel_choice(dev2, "unplugged", since, t)

    def step6(self):
        """kernel default switched to online (ZONE_NORMAL): an interleaved region over both host bridges is pinned; daxhpd reports the refusal and changes nothing"""
        # QEMU's host bridges have one HDM decoder each: the per-device
        # regions go first (the fast one unplugged through daxhpd).
        fast = self.devs["fast"]
        # Whatever step 4 left running (it stops its workload only when it passes).
        self.sh("systemctl stop cxl-hog 2>/dev/null; systemctl reset-failed cxl-hog 2>/dev/null; true")
        self.sh("busctl call --timeout=%d %s %s %s SetState s unplugged" % (
            MIGRATE_LIMIT, BUS, dev_path(fast), DEV_IF), timeout=MIGRATE_LIMIT + 10)
        self.sh("%s destroy %s %s" % (HELPER, self.regions["fast"], self.regions["reserve"]), timeout=120)
        self.wait_gone(fast)
        self.wait_gone(self.devs["reserve"])
        self.sh("echo online > /sys/devices/system/memory/auto_online_blocks")
        since = self.guest_now()
        order = self.sh("%s list | awk '/^root-decoder decoder0.2 /{print $3}'" % HELPER).strip()
        dports = order.split("=", 1)[1].split(",")
        by_dport = {}
        for line in self.sh("%s list" % HELPER).splitlines():
            m = re.match(r"memdev (\S+) .* dport=(\S+)", line)
            if m:
                by_dport[m.group(2)] = m.group(1)
        mems = [by_dport[d] for d in dports]
        region, dev, t = self.create_region(*mems, decoder="decoder0.2", size="512M")
        self.regions["interleaved"], self.devs["interleaved"] = region, dev
        node = self.node_of(dev)
        self.log("#   %s over %s -> %s on node %d in %.2fs" % (region, mems, dev, node, t))
        check(not self.node_has_cpus(node), "node %d has CPUs" % node)
        p = self.dprops(dev, "PolicyFile")
        check(p["PolicyFile"].endswith("40-cxl-interleaved.conf"), "%s decided by %s" % (dev, p))
        # The kernel onlined it into ZONE_NORMAL, and its own per-node data
        # now lives there: the unplug daxhpd needs on the way to
        # online_movable is refused, the attribute rolls back, nothing moves.
        t0 = time.monotonic()
        last = None
        while time.monotonic() - t0 < SETTLE * self.SLACK:
            last = self.dprops(dev, "State", "Transition", "LastError", "DesiredState")
            if last["Transition"] == "idle" and last["LastError"]:
                break
            time.sleep(1)
        self.log("#   %s: %s" % (dev, last))
        check(last["Transition"] == "idle" and last["LastError"], "%s: no refusal reported: %s" % (dev, last))
        # The attribute (the series' hotplug, 7.3's state) reports the
        # request ("online"); without it daxhpd derives the state from the
        # blocks' zones, all Normal.
        zone_normal = "online" if self.atomic else "online_kernel"
        check(last["State"] == zone_normal and last["DesiredState"] == "online_movable", "%s: %s" % (dev, last))
        v = self.kernel_agrees(dev, zone_normal)
        check(all(b[2].startswith("Normal") for b in v["blocks"]), "not in ZONE_NORMAL: %s" % v["blocks"])
        recs = self.records(dev, since)
        for r in recs:
            self.log("#     %s" % r.get("MESSAGE", "")[:160])
        check(any(r.get("DAXHP_ERRNO") or r.get("DAXHP_RESULT") not in (None, "ok", "success", "done")
                  for r in recs), "no failed transition record for %s" % dev)
        out = self.sh("dmesg | grep -i -E 'offlin|isolat' | tail -n 3; true")
        self.log("".join("#   | " + l + "\n" for l in out.splitlines()).rstrip())


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--append", default="")
    ap.add_argument("--flavour", choices=("patched", "pristine", "mainline"), default="patched")
    ap.add_argument("--steps")
    ap.add_argument("--workdir")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    steps = [int(s) for s in a.steps.split(",")] if a.steps else [1, 2, 3, 4, 5, 6]
    append = "memhp_default_state=%s %s" % (KERNEL_DEFAULT, a.append)
    vm = cxl_vm(a.image, a.kernel, a.initrd, append, [a.overlay], workdir=a.workdir,
                name="cxl", verbose=a.verbose)
    sc = CxlScenario(vm, a.flavour)

    def boot():
        """kernel on q35 + 2 CXL expanders: boot to multi-user under systemd"""
        secs = vm.boot()
        sc.timings["boot"] = secs
        sc.log("#   multi-user (%s) in %.1fs, agent after %.1fs; %s" % (
            vm.system_state, secs, vm.agent_seconds, vm.sh("uname -r").strip()))
    postmortem = ("journalctl -u daxhpd --no-pager -o short-monotonic | tail -n 200; "
                  "daxhp-cxl-region list; daxctl list; numactl -H 2>/dev/null; "
                  "grep . /sys/devices/system/node/node*/meminfo | grep MemTotal; "
                  "dmesg | grep -i -E 'cxl|kmem|warn|bug' | tail -n 60")
    label = "cxl" if a.flavour == "patched" else "cxl-" + a.flavour
    failed = sc.run_all(label, boot, steps, postmortem, "cxl.daxhpd-journal.txt")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
