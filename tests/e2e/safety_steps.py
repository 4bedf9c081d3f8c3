# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 13's checks in the systemd guest on pmem (boot_safety.py --checks).

Run on a boot where daxhp-early.service set auto_online_blocks=offline and
daxhpd (enabled at boot) keeps the hmem device online_movable:

  check          `daxhpctl check` exits 1 and names Debian's own
                 90-daxctl-device.rules (udev rule running daxctl) and the
                 boot-online hazard (kmem built in, memhp_default_state=
                 online: remedy memhp_default_state=offline); the
                 Manager's host-settings properties equal the kernel's files;
                 auto_online_blocks switched to online under the daemon gives
                 a host-settings journal record, the property and an
                 auto-online error from `daxhpctl check`, and back.
  zone-ratio     a pmem devdax device whose policy says online_movable with
                 MaxMovablePercent= below what ZONE_MOVABLE would then be:
                 refused (journal record with the numbers, LastError), a
                 busctl SetState gets org.daxhp1.Error.ZoneRatioExceeded,
                 `daxhpctl set --force` onlines it movable.
  memory-in-use  a tmpfs file fills the free memory down to what leaves less
                 than the device's bound of pages in use: `daxhpctl set DEV
                 unplugged` and busctl get org.daxhp1.Error.MemoryInUse with
                 the numbers, the kernel keeps every block; `--force` unplugs
                 (the kernel migrates what really was on the device).
"""
import json
import re
import time

from scenario import BUS, MGR, MGR_IF, DEV_IF, SETTLE, Fail, check, dev_path

HOST_FILES = {
    "AutoOnlineBlocks": "/sys/devices/system/memory/auto_online_blocks",
    "OnlinePolicy": "/sys/module/memory_hotplug/parameters/online_policy",
    "AutoMovableRatio": "/sys/module/memory_hotplug/parameters/auto_movable_ratio",
    "MemmapOnMemory": "/sys/module/memory_hotplug/parameters/memmap_on_memory",
    "DemotionEnabled": "/sys/kernel/mm/numa/demotion_enabled",
}
MIB = 1 << 20


def call_error_name(sc, dev, state, flags=None):
    """dbus-send SetState/SetStateWithFlags: (error name or None, message)."""
    if flags is None:
        call = "%s.SetState string:%s" % (DEV_IF, state)
    else:
        call = "%s.SetStateWithFlags string:%s uint64:%d" % (DEV_IF, state, flags)
    rc, out = sc.run("dbus-send --system --print-reply --reply-timeout=%d --dest=%s %s %s" % (
        SETTLE * 1000, BUS, dev_path(dev), call), timeout=SETTLE + 10)
    if rc == 0:
        return None, out.strip()
    m = re.search(r"Error (\S+): (.*)", out, re.S)
    return (m.group(1), m.group(2).strip()) if m else ("?", out.strip())


def meminfo(sc):
    out = sc.sh("cat /proc/meminfo")
    return {f[0].rstrip(":"): int(f[1]) * 1024 for f in (l.split() for l in out.splitlines()) if len(f) >= 2}


class PmemSafety:
    def __init__(self, sc):
        self.sc = sc
        self.dev = None

    def regions(self):
        regions = json.loads(self.sc.sh("ndctl list -R") or "[]")
        if isinstance(regions, dict):
            regions = [regions]
        return sorted(int(r["dev"][6:]) for r in regions if r.get("type") == "pmem")

    def check_hazards(self):
        """daxhpctl check names Debian's daxctl rule and the kernel's settings; a settings change is journaled"""
        sc = self.sc
        rc, out = sc.run("daxhpctl check")
        sc.log("".join("#   | %s\n" % l for l in out.rstrip().splitlines()) + "#   daxhpctl check: rc %d" % rc)
        check(rc == 1, "daxhpctl check exit %d with Debian's daxctl rule installed" % rc)
        check("90-daxctl-device.rules" in out, "daxhpctl check does not name 90-daxctl-device.rules")
        check("auto-online" not in out, "auto-online hazard although daxhp-early.service set offline")
        # kmem is built into the series kernel and this boot's default onlines:
        # the hmem device came online during kernel init, before any unit.
        param = [a for a in sc.sh("cat /proc/cmdline").split() if a.startswith("memhp_default_state=")]
        if param and param[-1] != "memhp_default_state=offline":
            check(re.search(r"error\s+boot-online\s+kernel", out) and
                  "boot with memhp_default_state=offline on the kernel command line" in out,
                  "daxhpctl check does not report the boot-online hazard (%s, kmem built in):\n%s" % (
                      param[-1], out))
        p = sc.props(MGR, MGR_IF, "CompetingAgents", *HOST_FILES)
        kernel = {}
        for name, path in HOST_FILES.items():
            rc, v = sc.run("cat %s" % path)
            kernel[name] = v.strip() if rc == 0 else ""
        sc.log("#   Manager: %s" % p)
        sc.log("#   kernel:  %s" % kernel)
        for name in HOST_FILES:
            want = int(kernel[name]) if name == "AutoMovableRatio" else kernel[name]
            check(p[name] == want, "%s=%r, the kernel's file says %r" % (name, p[name], want))
        check(any(a[0].endswith("/90-daxctl-device.rules") for a in p["CompetingAgents"]),
              "CompetingAgents lacks Debian's 90-daxctl-device.rules: %s" % p["CompetingAgents"])
        rec = sc.journal("DAXHP_EVENT=competing-agents")
        check(rec and "90-daxctl-device.rules" in rec[-1].get("MESSAGE", ""),
              "no competing-agents journal warning naming the rule: %s" % rec)
        # The kernel's setting changes under the daemon.
        since = sc.guest_now()
        sc.sh("echo online > %s" % HOST_FILES["AutoOnlineBlocks"])
        try:
            rc, out = sc.run("daxhpctl check")
            check(rc == 1 and re.search(r"error\s+auto-online", out),
                  "daxhpctl check after auto_online_blocks=online: rc %d\n%s" % (rc, out))
            p = sc.props(MGR, MGR_IF, "AutoOnlineBlocks")
            check(p["AutoOnlineBlocks"] == "online", "AutoOnlineBlocks=%r after the change" % p)
            rec = [r for r in sc.journal("DAXHP_EVENT=host-settings", since=since)
                   if "auto_online_blocks" in r.get("DAXHP_CHANGED", "")]
            check(rec and rec[-1].get("DAXHP_AUTO_ONLINE_BLOCKS") == "online",
                  "no host-settings journal record for auto_online_blocks=online")
            sc.log("#   journal: %s" % rec[-1]["MESSAGE"])
        finally:
            sc.sh("echo offline > %s" % HOST_FILES["AutoOnlineBlocks"])
        rc, out = sc.run("daxhpctl check")
        check("auto-online" not in out, "auto-online hazard stays after offline:\n%s" % out)

    def zone_ratio(self):
        """MaxMovablePercent= refuses online_movable with org.daxhp1.Error.ZoneRatioExceeded; --force onlines it"""
        sc = self.sc
        rid = self.regions()[0]
        zi = sc.sh("awk '/^Node/ {z = $4} $1 == \"present\" {p[z] += $2} END "
                   "{for (z in p) print z, p[z]}' /proc/zoneinfo")
        zones = {f[0]: int(f[1]) * 4096 for f in (l.split() for l in zi.splitlines())}
        movable = zones.get("Movable", 0)
        kernel = sum(v for z, v in zones.items() if z != "Movable")
        size = 1 << 30
        after = 100 * (movable + size) // kernel
        limit = max(1, after - 10)
        sc.log("#   zones (present): %s; online_movable of ~1 GiB makes %d %%, policy limit %d %%" % (
            {z: v >> 20 for z, v in zones.items()}, after, limit))
        since = sc.guest_now()
        sc.write_policy("40-pmem-limited.conf",
                        "[Match]\nProvider=pmem\nRegion=%d\n\n[Policy]\nState=online_movable\n"
                        "MaxMovablePercent=%d%%\nTimeoutSec=900\n" % (rid, limit))
        sc.sh("daxhpctl reload")
        out = sc.sh("ndctl create-namespace -f -e namespace%d.0 -m devdax" % rid, timeout=120)
        dev = self.dev = json.loads(out)["daxregion"]["devices"][0]["chardev"]
        t0 = time.monotonic()
        rec = []
        while time.monotonic() - t0 < SETTLE and not rec:
            rec = sc.journal("DAXHP_EVENT=refused", "DAXHP_DEVICE=" + dev, since=since)
            time.sleep(1)
        check(rec, "%s: policy online_movable over MaxMovablePercent=%d%% was not refused" % (dev, limit))
        r = rec[-1]
        sc.log("#   journal: %s (DAXHP_CHECK=%s NEED=%s HAVE=%s)" % (
            r["MESSAGE"], r.get("DAXHP_CHECK"), r.get("DAXHP_NEED_BYTES"), r.get("DAXHP_HAVE_BYTES")))
        check(r.get("DAXHP_CHECK") == "zone-ratio" and
              r.get("DAXHP_ERROR_NAME") == "org.daxhp1.Error.ZoneRatioExceeded", "refusal record %s" % r)
        p = sc.dprops(dev, "State", "DesiredState", "LastError", "Transition")
        sc.log("#   %s: %s" % (dev, p))
        check(p["State"] != "online_movable" and "refused" in p["LastError"], "%s after the refusal: %s" % (dev, p))
        v = sc.kernel_view(dev)
        check(not any(b[1] == "online" for b in v["blocks"]), "blocks online after the refusal: %s" % v)
        name, text = call_error_name(sc, dev, "online_movable")
        sc.log("#   SetState online_movable: %s: %s" % (name, text))
        check(name == "org.daxhp1.Error.ZoneRatioExceeded", "SetState online_movable: %s %s" % (name, text))
        rc, out = sc.run("daxhpctl set %s online_movable --force" % dev, timeout=SETTLE + 30)
        check(rc == 0, "daxhpctl set --force: rc %d %s" % (rc, out))
        sc.wait_state(dev, "online_movable")
        v = sc.kernel_agrees(dev, "online_movable")
        sc.log("#   forced: %s online_movable, %d blocks in ZONE_MOVABLE" % (dev, len(v["blocks"])))

    def memory_in_use(self):
        """an unplug the rest cannot absorb is refused with org.daxhp1.Error.MemoryInUse; --force unplugs"""
        sc = self.sc
        dev = self.dev
        check(dev, "no device from the zone-ratio step")
        node = sc.dprops(dev, "TargetNode")["TargetNode"]
        online = sum(1 for b in sc.kernel_view(dev)["blocks"] if b[1] == "online") * sc.block_size()
        m = meminfo(sc)
        # Leave ~1.7 GiB available: the device's bound on a shared node (its
        # whole online size in use, and its whole size as the free part of
        # MemAvailable) then leaves less than what is in use.
        fill = m["MemAvailable"] - online - 700 * MIB
        check(fill > 0, "MemAvailable %d MiB: too little to shape the test" % (m["MemAvailable"] >> 20))
        # A tmpfs file the kernel fills (fallocate clears the pages in the
        # kernel: minutes faster under TCG than a process writing them).
        try:
            sc.sh("mkdir -p /run/safety-fill && mount -t tmpfs -o size=%dk safety-fill /run/safety-fill && "
                  "fallocate -l %d /run/safety-fill/data" % ((fill >> 10) + 1024, fill), timeout=900)
            m2 = meminfo(sc)
            piu = sc.dprops(dev, "PagesInUse")["PagesInUse"]
            nm = sc.sh("cat /sys/devices/system/node/node%d/meminfo | grep -E 'MemTotal|MemFree'" % node)
            sc.log("#   fill %d MiB; MemAvailable %d -> %d MiB; %s online %d MiB, PagesInUse %d (%d MiB); %s" % (
                fill >> 20, m["MemAvailable"] >> 20, m2["MemAvailable"] >> 20, dev, online >> 20, piu,
                piu * 4096 >> 20, " ".join(nm.split())))
            since = sc.guest_now()
            rc, out = sc.run("daxhpctl set %s unplugged" % dev, timeout=SETTLE + 30)
            sc.log("#   daxhpctl set %s unplugged: rc %d: %s" % (dev, rc, out.strip()[-300:]))
            check(rc != 0 and ("MemoryInUse" in out or "in use on the device" in out),
                  "daxhpctl set unplugged was not refused: rc %d %s" % (rc, out))
            name, text = call_error_name(sc, dev, "unplugged")
            sc.log("#   SetState unplugged: %s: %s" % (name, text))
            check(name == "org.daxhp1.Error.MemoryInUse", "SetState unplugged: %s %s" % (name, text))
            # journald may lag behind the reply on a loaded host.
            rec, t0 = [], time.monotonic()
            while not rec and time.monotonic() - t0 < 30:
                rec = sc.journal("DAXHP_EVENT=refused", "DAXHP_DEVICE=" + dev, since=since)
                if not rec:
                    time.sleep(1)
            check(rec and rec[-1].get("DAXHP_CHECK") == "unplug", "no unplug refusal record: %s" % rec)
            sc.log("#   journal: NEED=%s HAVE=%s" % (rec[-1].get("DAXHP_NEED_BYTES"), rec[-1].get("DAXHP_HAVE_BYTES")))
            v = sc.kernel_agrees(dev, "online_movable")
            check(len(v["blocks"]) * sc.block_size() == online, "blocks changed by a refused unplug: %s" % v)
            t0 = time.monotonic()
            rc, out = sc.run("daxhpctl set %s unplugged --force" % dev, timeout=960)
            sc.log("#   --force: rc %d in %.1fs: %s" % (rc, time.monotonic() - t0, out.strip()[-200:]))
            check(rc == 0, "forced unplug failed: rc %d %s" % (rc, out))
            sc.kernel_agrees(dev, "unplugged")
            size = int(sc.sh("stat -c %s /run/safety-fill/data").strip())
            check(size == fill, "the fill lost data in the forced unplug: %d of %d bytes" % (size, fill))
        finally:
            sc.run("rm -f /run/safety-fill/data; umount /run/safety-fill", timeout=120)


def pmem_steps(sc):
    st = PmemSafety(sc)
    return [("check", st.check_hazards), ("zone-ratio", st.zone_ratio), ("memory-in-use", st.memory_in_use)]
