#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxhp end-to-end acceptance scenario (issue 5, steps 1-10).

Drives a booted guest (vm.VM) through the operator's session against the
D-Bus contract of issue 4 and checks every claim against the kernel
(hotplug/state attribute, memory block states and zones, MemTotal).

   scenario.py --image IMG --kernel BZIMAGE [--initrd INITRD] --overlay OVL
               --flavour patched|stock|mainline [--steps 1,2,...]

Prints "ok N - ..." / "not ok N - ..." per step and ends with exactly
"N passed, N failed"; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import shlex
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vm import VM, StepFailed, Timeout, VMDied, guest_args  # noqa: E402
import fleet  # noqa: E402

BUS = "org.daxhp1"
MGR = "/org/daxhp1"
MGR_IF = "org.daxhp1.Manager"
DEV_IF = "org.daxhp1.Device"
STEP_TIMEOUT = 180       # seconds for one guest command that waits on the daemon
SETTLE = 120             # seconds for a device to reach a state under TCG


def bus_path_encode(name):
    """sd_bus_path_encode(): every byte outside [A-Za-z0-9], and a leading digit, as _XX."""
    if not name:
        return "_"
    out = []
    for i, ch in enumerate(name.encode()):
        c = chr(ch)
        if (c.isascii() and c.isalpha()) or (c.isdigit() and i > 0):
            out.append(c)
        else:
            out.append("_%02x" % ch)
    return "".join(out)


def dev_path(name):
    return MGR + "/device/" + bus_path_encode(name)


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Scenario:
    def __init__(self, vm, flavour, log=print):
        self.vm = vm
        self.flavour = flavour
        self.atomic = flavour in ("patched", "mainline")
        self.attr = {"patched": "hotplug", "mainline": "state"}.get(flavour)
        self.log = log
        self.results = []
        self.devs = {}          # role -> dax device name
        self.timings = {}

    # ---- guest helpers -----------------------------------------------------
    def sh(self, cmd, timeout=STEP_TIMEOUT, **kw):
        return self.vm.sh(cmd, timeout=timeout, **kw)

    def run(self, cmd, timeout=STEP_TIMEOUT, **kw):
        return self.vm.run(cmd, timeout=timeout, **kw)

    def props(self, path, iface, *names, user=None):
        """{name: value} via busctl --json=short get-property."""
        out = self.sh("busctl --json=short get-property %s %s %s %s" % (
            BUS, path, iface, " ".join(names)), timeout=60, user=user)
        vals = [json.loads(line)["data"] for line in out.splitlines() if line.strip()]
        check(len(vals) == len(names), "busctl returned %d values for %s" % (len(vals), names))
        return dict(zip(names, vals))

    def dprops(self, dev, *names):
        return self.props(dev_path(dev), DEV_IF, *names)

    def journal(self, *matches, since=None):
        cmd = "journalctl -u daxhpd -o json --no-pager"
        if since:
            cmd += " --since=@%s" % since
        cmd += " " + " ".join(shlex.quote(m) for m in matches)
        out = self.sh(cmd, timeout=60)
        recs = []
        for line in out.splitlines():
            try:
                recs.append(json.loads(line))
            except ValueError:
                pass
        return recs

    def guest_now(self):
        return self.sh("date +%s.%N").strip()

    def kernel_view(self, dev):
        """What the kernel says about one dax device."""
        script = r'''
d=/sys/bus/dax/devices/%(dev)s
[ -e $d ] || { echo "absent"; exit 0; }
echo "driver $(basename "$(readlink $d/driver 2>/dev/null)" 2>/dev/null)"
for a in hotplug state; do [ -e $d/$a ] && echo "attr $a $(cat $d/$a 2>&1 | tr ' ' _)"; done
echo "size $(cat $d/size)"
bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
ranges=""
for m in $d/mapping*; do
	[ -e $m/start ] && ranges="$ranges $(( $(cat $m/start) )):$(( $(cat $m/end) + 1 ))"
done
if [ -z "$ranges" ] && [ -e $d/resource ]; then
	s=$(( $(cat $d/resource) )); ranges="$s:$(( s + $(cat $d/size) ))"
fi
for r in $ranges; do
	s=${r%%:*}; e=${r##*:}
	s=$(( (s + bs - 1) / bs * bs ))
	while [ $((s + bs)) -le $e ]; do
		b=/sys/devices/system/memory/memory$((s / bs))
		if [ -e $b ]; then echo "block ${b##*/} $(cat $b/state) $(cat $b/valid_zones | tr ' ' ,)"; fi
		s=$((s + bs))
	done
done
''' % {"dev": dev}
        v = {"driver": None, "attr": {}, "blocks": [], "present": True}
        for line in self.sh(script, timeout=60).splitlines():
            f = line.split()
            if not f:
                continue
            if f[0] == "absent":
                v["present"] = False
            elif f[0] == "driver":
                v["driver"] = f[1] if len(f) > 1 else None
            elif f[0] == "attr":
                v["attr"][f[1]] = f[2] if len(f) > 2 else ""
            elif f[0] == "size":
                v["size"] = int(f[1])
            elif f[0] == "block":
                v["blocks"].append((f[1], f[2], f[3] if len(f) > 3 else ""))
        return v

    def memtotal(self):
        out = self.sh("grep MemTotal /proc/meminfo")
        return int(out.split()[1]) * 1024

    def block_size(self):
        return int(self.sh("cat /sys/devices/system/memory/block_size_bytes").strip(), 16)

    def kernel_agrees(self, dev, state):
        """Raise Fail unless the kernel's view of dev matches the daxhp state."""
        v = self.kernel_view(dev)
        check(v["present"], "%s: no such device in sysfs" % dev)
        blocks = v["blocks"]
        desc = "%s: driver=%s attr=%s blocks=%s" % (dev, v["driver"], v["attr"],
                                                   [b[1] + "/" + b[2] for b in blocks])
        if self.attr and state != "devdax":   # the attribute lives in kmem's dev_groups
            got = v["attr"].get(self.attr)
            check(got is not None, "%s: kernel has no %s attribute (%s)" % (dev, self.attr, desc))
            # Linux 7.3's `state` reads what was last written to it. daxhpd
            # onlines a fresh bind's present blocks per block there (7.3
            # refuses offline -> online*, daemon/planner.h), after which it
            # still reads the bind's "offline": then the blocks below decide.
            stale = (self.attr == "state" and got == "offline"
                     and state in ("online_movable", "online_kernel"))
            check(got == state or stale, "%s: %s attribute reads %r, want %r (%s)" % (
                dev, self.attr, got, state, desc))
        if state in ("online_movable", "online_kernel", "online"):
            check(v["driver"] == "kmem", "driver is not kmem: " + desc)
            check(blocks, "no memory blocks: " + desc)
            check(all(b[1] == "online" for b in blocks), "not every block online: " + desc)
            if state == "online_movable":
                check(all(b[2].startswith("Movable") for b in blocks), "not all Movable: " + desc)
            if state == "online_kernel":
                check(all(b[2].startswith("Normal") for b in blocks), "not all Normal: " + desc)
        elif state == "unplugged":
            check(not blocks, "memory blocks still present: " + desc)
        elif state == "devdax":
            check(v["driver"] == "device_dax", "driver is not device_dax: " + desc)
            check(not blocks, "memory blocks present: " + desc)
        return v

    def wait_state(self, dev, state, timeout=SETTLE):
        t0 = time.monotonic()
        last = None
        failed_since = None
        while time.monotonic() - t0 < timeout:
            try:
                p = self.dprops(dev, "State", "Transition", "LastError", "DesiredState")
            except (StepFailed, Fail) as e:
                last = str(e)
            else:
                last = p
                if p["State"] == state and p["Transition"] == "idle":
                    return time.monotonic() - t0
                # Given up (idle with an error, not where it should be) for 15 s: fail now.
                if p["Transition"] == "idle" and p["LastError"]:
                    failed_since = failed_since or time.monotonic()
                    if time.monotonic() - failed_since > 15:
                        break
                else:
                    failed_since = None
            time.sleep(1)
        raise Fail("%s did not reach %s within %ss; last: %s" % (dev, state, timeout, last))

    def wait_gone(self, dev, timeout=60):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            rc, out = self.run("busctl tree --list %s" % BUS, timeout=30)
            if rc == 0 and dev_path(dev) not in out.split():
                return time.monotonic() - t0
            time.sleep(1)
        raise Fail("%s still on the bus after %ss" % (dev_path(dev), timeout))

    def write_policy(self, name, text):
        self.vm.copy_in(text, "/etc/daxhp.d/" + name)

    # ---- steps -------------------------------------------------------------
    def prepare(self):
        """Install the staged daemon (meson install --destdir) and the policies."""
        self.vm.install_overlay()
        self.check_install_layout()
        self.bs = self.block_size()
        # Which dax devices exist at boot (hmem is bound by the kernel at boot).
        out = self.sh("ls /sys/bus/dax/devices/ 2>/dev/null; true")
        self.boot_devs = out.split()
        self.hmem = None
        self.hmem_online_at_start = 0
        for d in self.boot_devs:
            t = self.sh("readlink -f /sys/bus/dax/devices/%s" % d)
            if "hmem" in t:
                self.hmem = d
                self.hmem_online_at_start = sum(
                    1 for b in self.kernel_view(d)["blocks"] if b[1] == "online")
        # Legacy pmem regions (ids are assigned at boot: region1, region2 here).
        regions = json.loads(self.sh("ndctl list -R") or "[]")
        if isinstance(regions, dict):
            regions = [regions]
        self.regions = sorted((int(r["dev"][6:]) for r in regions if r.get("type") == "pmem"))
        check(len(self.regions) >= 2, "want 2 legacy pmem regions, ndctl says %s" % regions)
        self.log("#   pmem regions %s, dax devices at boot %s (hmem: %s)" % (
            self.regions, self.boot_devs, self.hmem))
        for i, rid in enumerate(self.regions[:2]):
            self.write_policy("50-pmem-region%d.conf" % i,
                              "[Match]\nProvider=pmem\nRegion=%d\n\n[Policy]\n"
                              "State=online_movable\nOnDrift=reapply\n" % rid)
        self.write_policy("60-hmem.conf",
                          "[Match]\nProvider=hmem\n\n[Policy]\n"
                          "State=online_movable\nOnDrift=report\n")

    def check_install_layout(self):
        """README's `meson setup build && ninja -C build && meson install -C build`
        (prefix /usr/local) left every file where Debian's systemd, dbus and
        journal read it."""
        for f in ("/usr/local/libexec/daxhpd", "/usr/local/bin/daxhpctl"):
            check(self.run("test -x %s" % f)[0] == 0, "%s is not installed" % f)
        rc, out = self.run("ls /usr/share/dbus-1/system.d/org.daxhp1.conf "
                           "/etc/dbus-1/system.d/org.daxhp1.conf 2>/dev/null")
        check(out.strip(), "bus policy not in a directory the system bus reads")
        frag = self.sh("systemctl show -P FragmentPath daxhpd.service").strip()
        check(frag.endswith("/systemd/system/daxhpd.service"), "systemd finds no daxhpd.service (%r)" % frag)
        exe = self.sh("systemctl show -P ExecStart daxhpd.service")
        check("/usr/local/libexec/daxhpd" in exe, "unit ExecStart= is %s" % exe)
        check("daxhp" in self.sh("journalctl --list-catalog | grep -i daxhp || true"),
              "the journal catalog is not live")
        state = self.run("systemctl is-active daxhpd")[1].strip()
        check(state != "active", "daxhpd runs before anyone started it")
        # A client that only looks must not start the daemon.
        rc, out = self.run("daxhpctl list")
        check(rc == 1 and "not running" in out, "daxhpctl list without daxhpd: rc %d, %s" % (rc, out))
        self.sh("sleep 1")
        state = self.run("systemctl is-active daxhpd")[1].strip()
        check(state != "active", "daxhpctl list started daxhpd")

    def step1(self):
        """systemctl start daxhpd -> active; introspection shows the contract."""
        t0 = time.monotonic()
        self.sh("systemctl start daxhpd", timeout=120)
        self.timings["start"] = time.monotonic() - t0
        check(self.run("systemctl is-active daxhpd")[1].strip() == "active", "daxhpd not active")
        out = self.sh("busctl introspect %s %s" % (BUS, MGR))
        for word in (MGR_IF, "org.freedesktop.DBus.ObjectManager", "Version", "AtomicHotplug",
                     "QueueLength", "PolicyFiles", "ListDevices", "GetDevice", "Reload"):
            check(word in out, "introspection of %s lacks %s:\n%s" % (MGR, word, out))
        p = self.props(MGR, MGR_IF, "Version", "AtomicHotplug", "QueueLength", "PolicyFiles")
        self.log("#   Version=%s AtomicHotplug=%s QueueLength=%s PolicyFiles=%s" % (
            p["Version"], p["AtomicHotplug"], p["QueueLength"], p["PolicyFiles"]))
        # Only a kmem-bound device shows whether the kernel has the atomic
        # attribute, so the claim is checked here only if one exists (else in step 2/9).
        kmem = self.sh("ls /sys/bus/dax/drivers/kmem/ | grep '^dax' || true").split()
        if kmem:
            check(p["AtomicHotplug"] is self.atomic, "AtomicHotplug=%s on the %s kernel (kmem: %s)" % (
                p["AtomicHotplug"], self.flavour, kmem))
        check(len(p["PolicyFiles"]) == 3, "PolicyFiles %s, want the 3 test files" % p["PolicyFiles"])
        if self.boot_devs:
            d = self.boot_devs[0]
            out = self.sh("busctl introspect %s %s" % (BUS, dev_path(d)))
            for word in (DEV_IF, "Name", "SysfsPath", "Size", "TargetNode", "Region", "Provider",
                         "Mode", "State", "DesiredState", "PolicyFile", "Transition",
                         "LastError", "LastChangeUSec", "SetState", "ClearOverride", "Apply"):
                check(word in out, "introspection of %s lacks %s" % (dev_path(d), word))

    def step2(self):
        """ndctl creates devdax devices; each reaches its policy state; the kernel agrees."""
        mt0 = self.memtotal()
        hmem_before = 0
        if self.hmem:
            hmem_before = sum(1 for b in self.kernel_view(self.hmem)["blocks"] if b[1] == "online")
        made = []
        for ns in ["namespace%d.0" % r for r in self.regions[:2]]:
            t0 = time.monotonic()
            out = self.sh("ndctl create-namespace -f -e %s -m devdax" % ns, timeout=120)
            dev = json.loads(out)["daxregion"]["devices"][0]["chardev"]
            made.append((dev, t0))
        self.devs["pmem0"], self.devs["pmem1"] = made[0][0], made[1][0]
        if self.hmem:
            self.devs["hmem"] = self.hmem
            made.append((self.hmem, None))
        errors = []
        online = 0
        for dev, t0 in made:
            try:
                self.wait_state(dev, "online_movable")
                if t0:
                    self.timings["policy:" + dev] = time.monotonic() - t0
                    self.log("#   %s: devdax namespace -> online_movable in %.1fs" % (
                        dev, time.monotonic() - t0))
                v = self.kernel_agrees(dev, "online_movable")
                online += len(v["blocks"]) * self.bs
                p = self.dprops(dev, "PolicyFile", "DesiredState", "Provider", "Region", "Mode",
                                "Size", "TargetNode")
                self.log("#   %s: %s" % (dev, p))
                check(p["PolicyFile"].endswith(".conf"), "%s PolicyFile=%r" % (dev, p["PolicyFile"]))
                # Block counts on the bus are the kernel's.
                b = self.dprops(dev, "Blocks", "OnlineBlocks")
                n_on = sum(1 for x in v["blocks"] if x[1] == "online")
                check(b["OnlineBlocks"] == n_on and b["Blocks"] >= n_on > 0,
                      "%s Blocks=%s OnlineBlocks=%s, kernel: %d online" % (
                          dev, b["Blocks"], b["OnlineBlocks"], n_on))
                check(p["Mode"] == "system-ram", "%s Mode=%r" % (dev, p["Mode"]))
            except (Fail, StepFailed) as e:
                errors.append(str(e))
        online -= hmem_before * self.bs
        mt1 = self.memtotal()
        self.log("#   MemTotal %d -> %d MiB (+%d), onlined blocks say +%d MiB" % (
            mt0 >> 20, mt1 >> 20, (mt1 - mt0) >> 20, online >> 20))
        # memmap_on_memory may keep a few pages of each block for the memmap.
        if not (0.95 * online <= mt1 - mt0 <= online):
            errors.append("MemTotal grew by %d, blocks say %d" % (mt1 - mt0, online))
        # What services order after: done now, so it returns at once and succeeds.
        rc, out = self.run("systemctl start daxhp-wait-online.service && "
                           "systemctl is-active daxhp-wait-online.service", timeout=150)
        if rc != 0 or out.strip().splitlines()[-1:] != ["active"]:
            errors.append("daxhp-wait-online.service: rc %d: %s" % (rc, out))
        rc, out = self.run("daxhpctl wait --timeout=60 %s" % " ".join(sorted(self.devs.values())), timeout=90)
        if rc != 0:
            errors.append("daxhpctl wait: rc %d: %s" % (rc, out))
        check(not errors, "\n".join(errors))

    def step3(self):
        """SetState online_kernel as root moves via unplugged; a non-root caller is denied."""
        dev = self.devs["pmem0"]
        since = self.guest_now()
        t0 = time.monotonic()
        self.sh("busctl call --timeout=%d %s %s %s SetState s online_kernel" % (
            SETTLE, BUS, dev_path(dev), DEV_IF), timeout=SETTLE + 10)
        self.timings["setstate"] = time.monotonic() - t0
        self.wait_state(dev, "online_kernel", timeout=30)
        self.kernel_agrees(dev, "online_kernel")
        p = self.dprops(dev, "PolicyFile", "DesiredState")
        check(p == {"PolicyFile": "runtime", "DesiredState": "online_kernel"}, "after override: %s" % p)
        recs = self.journal("DAXHP_DEVICE=" + dev, since=since)
        steps = [m.group(1) for m in (re.search(r"step (\S+) started", r.get("MESSAGE", ""))
                                      for r in recs) if m]
        self.log("#   steps for %s: %s" % (dev, steps))
        # Atomic kernels must go through unplugged; the per-block fallback
        # offlines the blocks and onlines them again into the other zone.
        via = ("set:unplugged",) if self.atomic else ("set:unplugged", "set:offline")
        check(steps and steps[-1] == "set:online_kernel" and any(v in steps[:-1] for v in via),
              "online_movable -> online_kernel not via %s: %s" % (" or ".join(via), steps))
        # Unprivileged.
        before = self.kernel_view(dev)
        rc, out = self.run("dbus-send --system --print-reply --reply-timeout=30000 --dest=%s %s "
                           "%s.SetState string:online_movable" % (BUS, dev_path(dev), DEV_IF),
                           user="tester", timeout=60)
        self.log("#   as tester: rc=%d %s" % (rc, out.strip()))
        check(rc != 0, "unprivileged SetState succeeded")
        check("AccessDenied" in out or "Access denied" in out or "ccess" in out,
              "unprivileged SetState failed without an access error: %s" % out)
        time.sleep(2)
        p = self.dprops(dev, "State", "DesiredState", "PolicyFile")
        check(p == {"State": "online_kernel", "DesiredState": "online_kernel", "PolicyFile": "runtime"},
              "denied call changed the device: %s" % p)
        after = self.kernel_view(dev)
        check(before["blocks"] == after["blocks"], "denied call changed the kernel state")
        # Reads stay allowed for everyone.
        self.props(dev_path(dev), DEV_IF, "State", user="tester")

    def step4(self):
        """journalctl -u daxhpd -o json holds audit records with DAXHP_* and MESSAGE_IDs."""
        recs = self.journal()
        audit = [r for r in recs if any(k.startswith("DAXHP_") for k in r)]
        ids = {}
        for r in audit:
            if "MESSAGE_ID" in r:
                ids.setdefault(r["MESSAGE_ID"], r.get("MESSAGE", "")[:70])
        fields = sorted({k for r in audit for k in r if k.startswith("DAXHP_")})
        self.log("#   %d audit records, fields %s" % (len(audit), fields))
        for mid, msg in ids.items():
            self.log("#   MESSAGE_ID %s e.g. %r" % (mid, msg))
        for f in ("DAXHP_DEVICE", "DAXHP_FROM", "DAXHP_TO", "DAXHP_RESULT", "DAXHP_POLICY"):
            check(f in fields, "no audit record carries %s" % f)
        check(len(ids) >= 4, "only %d distinct MESSAGE_IDs" % len(ids))
        check(all("MESSAGE_ID" in r for r in audit), "audit records without MESSAGE_ID")
        dev = self.devs["pmem0"]
        ov = [r for r in audit if r.get("DAXHP_DEVICE") == dev and
              any(k in r for k in ("DAXHP_UID", "DAXHP_CALLER_UID", "DAXHP_CALLER"))]
        check(ov, "no override record naming the caller (uid) for %s" % dev)
        rc, out = self.run("journalctl --list-catalog %s" % " ".join(ids), timeout=30)
        self.log("#   catalog entries: %d" % len(out.splitlines()))

    @staticmethod
    def is_drift(r):
        return ("drift" in r.get("MESSAGE", "").lower()
                or "behind" in r.get("MESSAGE", "")
                or any("DRIFT" in k for k in r)
                or any(k.startswith("DAXHP_") and isinstance(v, str) and "drift" in v.lower()
                       for k, v in r.items()))

    def step5(self):
        """A per-block toggler changes managed devices: drift recorded; OnDrift=reapply
        restores, OnDrift=report leaves it."""
        dev = self.devs["pmem1"]          # OnDrift=reapply
        since = self.guest_now()
        out = self.sh("/usr/local/sbin/daxhp-e2e-toggler %s offline 3" % dev, timeout=60)
        self.log("#   toggler on %s: %s" % (dev, " ".join(out.split())))
        t0 = time.monotonic()
        while True:
            recs = [r for r in self.journal("DAXHP_DEVICE=" + dev, since=since) if self.is_drift(r)]
            if recs:
                break
            check(time.monotonic() - t0 < 60, "no drift record for %s within 60s" % dev)
            time.sleep(1)
        self.wait_state(dev, "online_movable")
        self.kernel_agrees(dev, "online_movable")
        self.timings["drift-reapply"] = time.monotonic() - t0
        if self.hmem:
            dev = self.hmem                # OnDrift=report
            attr_before = self.kernel_view(dev)["attr"]
            since = self.guest_now()
            out = self.sh("/usr/local/sbin/daxhp-e2e-toggler %s offline 1" % dev, timeout=60)
            self.log("#   toggler on %s: %s" % (dev, " ".join(out.split())))
            t0 = time.monotonic()
            while not [r for r in self.journal("DAXHP_DEVICE=" + dev, since=since) if self.is_drift(r)]:
                check(time.monotonic() - t0 < 60, "no drift record for %s within 60s" % dev)
                time.sleep(1)
            time.sleep(5)
            v = self.kernel_view(dev)
            check(any(b[1] == "offline" for b in v["blocks"]),
                  "OnDrift=report but %s was put back: %s" % (dev, v["blocks"]))
            p = self.dprops(dev, "State", "DesiredState")
            self.log("#   %s after reported drift: %s, kernel attribute %s" % (dev, p, v["attr"]))
            check(p["State"] != "online_movable", "State still claims online_movable: %s" % p)
            # The whole device is not online while a block is offline: State
            # must come from the blocks. On 7.3 `state` is the last value
            # written to it (MAINLINE-7.3.md): the toggler's per-block write
            # leaves it as it was, so a daemon trusting it would go wrong.
            check(p["State"] == "offline", "State %r with an offline block, want offline" % p["State"])
            if self.flavour == "mainline":
                check(v["attr"].get("state") == attr_before.get("state"),
                      "7.3 `state` changed by per-block writes? %s, before %s (MAINLINE-7.3.md says it "
                      "is the last value written)" % (v["attr"], attr_before))
            # Put it back for the following steps.
            self.sh("/usr/local/sbin/daxhp-e2e-toggler %s online_movable 1" % dev)

    def step6(self):
        """Reload after editing policy re-plans; a broken file is reported with file:line."""
        dev = self.devs["pmem1"]
        since = self.guest_now()
        errors = []
        self.write_policy("50-pmem-region1.conf",
                          "[Match]\nProvider=pmem\nRegion=%d\n\n[Policy]\n"
                          "State=unplugged\nOnDrift=reapply\n" % self.regions[1])
        self.write_policy("40-broken.conf", "[Match]\nProvider=pmem\n\n[Policy]\nState=sideways\n")
        t0 = time.monotonic()
        # ExecReload= is `daxhpctl reload`: synchronous, and it fails on a rejected file.
        rc, out = self.run("systemctl reload daxhpd", timeout=120)
        if rc == 0:
            errors.append("systemctl reload succeeded although 40-broken.conf was rejected")
        check(self.run("systemctl is-active daxhpd")[1].strip() == "active", "not active after reload")
        perr = self.props(MGR, MGR_IF, "PolicyErrors")["PolicyErrors"]
        if not any(e[0] == "/etc/daxhp.d/40-broken.conf" and e[1] == 5 for e in perr):
            errors.append("PolicyErrors does not name 40-broken.conf:5: %s" % perr)
        rc, out = self.run("daxhpctl status")
        if "40-broken.conf:5:" not in out:
            errors.append("daxhpctl status does not show the rejected file:\n%s" % out)
        try:
            self.wait_state(dev, "unplugged")
            self.timings["reload-replan"] = time.monotonic() - t0
            self.kernel_agrees(dev, "unplugged")
        except (Fail, StepFailed) as e:
            errors.append(str(e))
        out = self.sh("journalctl -u daxhpd --no-pager -o cat --since=@%s" % since)
        m = re.search(r".*40-broken\.conf:5.*", out)
        if m:
            self.log("#   reported: %s" % m.group(0))
        else:
            errors.append("no 40-broken.conf:5 diagnostic in the journal:\n%s" % out[-2000:])
        files = self.props(MGR, MGR_IF, "PolicyFiles")["PolicyFiles"]
        if any("broken" in f for f in files):
            errors.append("broken file accepted: %s" % files)
        if len(files) != 3:
            errors.append("valid policy files lost: %s" % files)
        # The rest keeps working: pmem0 keeps its override, hmem its policy.
        try:
            self.kernel_agrees(self.devs["pmem0"], "online_kernel")
            if self.hmem:
                self.wait_state(self.hmem, "online_movable")
        except (Fail, StepFailed) as e:
            errors.append(str(e))
        self.sh("rm /etc/daxhp.d/40-broken.conf")
        # Fixed: the reload (daxhpctl reload inside the unit's sandbox) succeeds.
        rc, out = self.run("systemctl reload daxhpd", timeout=120)
        if rc != 0:
            errors.append("systemctl reload after the fix: rc %d: %s" % (rc, out))
        perr = self.props(MGR, MGR_IF, "PolicyErrors")["PolicyErrors"]
        if perr:
            errors.append("PolicyErrors after the fix: %s" % perr)
        check(not errors, "\n".join(errors))

    def step7(self):
        """systemctl kill -s KILL while the kernel write is in flight; systemd restarts it; state reconciles."""
        dev = self.devs["pmem1"]
        attr = self.attr
        # pmem1 is unplugged (step 6's policy): bring it online_movable first.
        self.sh("busctl call --timeout=%d %s %s %s SetState s online_movable" % (
            SETTLE, BUS, dev_path(dev), DEV_IF), timeout=SETTLE + 10)
        self.wait_state(dev, "online_movable", timeout=30)
        # Make the unplug slow for a reason, not by luck: user pages are
        # allocated from ZONE_MOVABLE first, so a process holding more than
        # the free Movable memory puts data on (nearly) every page of pmem1,
        # and unplugging it has to migrate all of them to ZONE_NORMAL first:
        # seconds under TCG, all inside the one kernel write.
        free = int(self.sh("awk '/zone +Movable/ {m = 1} m && /pages free/ {print $3; exit}' "
                           "/proc/zoneinfo").strip() or 0)
        check(free > 0, "no free ZONE_MOVABLE pages to fill (zoneinfo)")
        fill = free * 4096 + (256 << 20)
        self.sh("rm -f /run/daxhp-e2e-hog.ready; systemd-run --quiet --unit=daxhp-e2e-hog python3 -c "
                "'import time; b = b\"\\x01\" * %d; open(\"/run/daxhp-e2e-hog.ready\", \"w\").close(); "
                "time.sleep(100000)' && i=0; while [ ! -e /run/daxhp-e2e-hog.ready ] && [ $i -lt 600 ]; "
                "do sleep 0.2; i=$((i + 1)); done; test -e /run/daxhp-e2e-hog.ready" % fill, timeout=180)
        self.log("#   hog holds %d MiB (ZONE_MOVABLE had %d MiB free)" % (fill >> 20, (free * 4096) >> 20))
        n0 = int(self.sh("systemctl show -P NRestarts daxhpd").strip() or 0)
        pid0 = self.sh("systemctl show -P MainPID daxhpd").strip()
        # Wait for Transition=running on the bus, then for the step worker (a
        # child in daxhpd's cgroup) to hold a sysfs attribute open: it opens,
        # write()s and closes, so an open /sys fd means the kernel write is
        # in flight. /proc/PID/syscall is logged too ("running" while the
        # kernel migrates pages on the CPU, "1 ..." while write(2) sleeps).
        # Then kill the whole unit right there.
        script = r'''
busctl call --timeout=300 %(bus)s %(path)s %(if)s SetState s unplugged >/tmp/setstate.out 2>&1 &
main=$(systemctl show -P MainPID daxhpd)
cg=/sys/fs/cgroup$(systemctl show -P ControlGroup daxhpd)
running= inflight= i=0
while [ $i -lt 600 ] && [ -z "$running" ]; do
	[ "$(busctl get-property %(bus)s %(path)s %(if)s Transition 2>/dev/null)" = 's "running"' ] && running=1
	i=$((i+1))
done
end=$(( $(date +%%s) + 60 ))
while [ -n "$running" ] && [ -z "$inflight" ] && [ $(date +%%s) -lt $end ]; do
	for p in $(cat $cg/cgroup.procs); do
		[ "$p" = "$main" ] && continue
		for f in /proc/$p/fd/*; do
			t=$(readlink $f 2>/dev/null) || continue
			case $t in
			/sys/*) inflight="$p $t syscall:$(cut -d' ' -f1 /proc/$p/syscall 2>/dev/null)"; break 2 ;;
			esac
		done
	done
done
systemctl kill -s KILL daxhpd
systemctl kill -s KILL daxhp-e2e-hog
echo "running=${running:-no}"
echo "inflight=${inflight:-none}"
# The worker dies once the kernel has finished the interrupted write (and
# rolled it back); systemd restarts the daemon 1 s after the kill, so the
# blocks seen here are what the killed write left.
w=${inflight%%%% *}
i=0
while [ -n "$w" ] && [ -e /proc/$w ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
d=/sys/bus/dax/devices/%(dev)s
bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
s=$(( $(cat $d/resource) )); e=$((s + $(cat $d/size)))
s=$(( (s + bs - 1) / bs * bs ))
present=0 online=0
while [ $((s + bs)) -le $e ]; do
	b=/sys/devices/system/memory/memory$((s / bs))
	[ -e $b ] && present=$((present + 1))
	[ "$(cat $b/state 2>/dev/null)" = online ] && online=$((online + 1))
	s=$((s + bs))
done
echo "afterkill=$present blocks present, $online online, %(attr)s=$(cat $d/%(attr)s 2>/dev/null)"
wait
echo "setstate $(tr '\n' ' ' </tmp/setstate.out)"
''' % {"bus": BUS, "path": dev_path(dev), "if": DEV_IF, "dev": dev, "attr": attr or "none"}
        out = self.sh(script, timeout=300)
        self.log("#   %s" % " | ".join(out.strip().split("\n")))
        self.run("systemctl stop daxhp-e2e-hog; systemctl reset-failed daxhp-e2e-hog", timeout=120)
        vals = dict(line.split("=", 1) for line in out.splitlines() if "=" in line.split(" ")[0])
        check(vals.get("running") == "1", "never saw Transition=running for %s: %s" % (dev, out))
        inflight = vals.get("inflight", "none")
        check(inflight != "none" and "/sys/" in inflight,
              "killed, but no daxhpd worker was inside a sysfs write(2): %s" % out)
        # Had the write completed before the kill, the blocks would be gone.
        check(not vals.get("afterkill", "0").startswith("0 "),
              "the unplug finished before the kill (no block left): %s" % out)
        self.log("#   killed mid-write: worker %s; right after: %s" % (inflight, vals.get("afterkill")))
        t0 = time.monotonic()
        while True:
            rc, o = self.run("systemctl is-active daxhpd; systemctl show -P NRestarts daxhpd; "
                             "systemctl show -P MainPID daxhpd")
            f = o.split()
            if f and f[0] == "active" and int(f[1]) > n0 and f[2] != pid0:
                break
            check(time.monotonic() - t0 < 90, "daxhpd not restarted by systemd: %s" % o)
            time.sleep(1)
        self.timings["restart"] = time.monotonic() - t0
        # Reconciled: every device idle, State == DesiredState, kernel agrees.
        for role, d in self.devs.items():
            t1 = time.monotonic()
            while True:
                p = self.dprops(d, "State", "DesiredState", "Transition", "LastError")
                if p["Transition"] == "idle" and p["State"] == p["DesiredState"]:
                    break
                check(time.monotonic() - t1 < SETTLE, "%s not reconciled: %s" % (d, p))
                time.sleep(1)
            self.log("#   %s after restart: %s" % (d, p))
            self.kernel_agrees(d, p["State"])
        p = self.dprops(self.devs["pmem0"], "PolicyFile")
        check(p["PolicyFile"] == "runtime", "pmem0's override lost over the restart: %s" % p)
        # The interrupted request is not lost either: the restarted daemon finished it.
        p = self.dprops(dev, "State", "DesiredState", "PolicyFile")
        check(p == {"State": "unplugged", "DesiredState": "unplugged", "PolicyFile": "runtime"},
              "%s after the restart: %s, want the interrupted unplugged override done" % (dev, p))

    def step8(self):
        """Device removed (unbind/destroy) -> its object disappears."""
        dev = self.devs["pmem1"]
        self.sh("busctl call --timeout=%d %s %s %s SetState s devdax" % (
            SETTLE, BUS, dev_path(dev), DEV_IF), timeout=SETTLE + 10)
        self.kernel_agrees(dev, "devdax")
        ns = "namespace%d.0" % self.regions[1]
        self.sh("ndctl disable-namespace %s && ndctl destroy-namespace -f %s" % (ns, ns), timeout=120)
        self.wait_gone(dev)
        rc, out = self.run("dbus-send --system --print-reply --dest=%s %s %s.GetDevice string:%s"
                           % (BUS, MGR, MGR_IF, dev))
        check(rc != 0 and "NoSuchDevice" in out, "GetDevice(%s) after removal: rc=%d %s" % (dev, rc, out))
        out = self.sh("busctl --json=short call %s %s %s ListDevices" % (BUS, MGR, MGR_IF))
        check(dev not in out, "ListDevices still names %s" % dev)

    def step9(self):
        """Stock kernel: per-block fallback, AtomicHotplug=false, policy states reached."""
        # step1 and step2 already asserted AtomicHotplug=false and the policy states.
        check(not self.atomic, "step 9 is for kernels without the atomic attribute")
        p = self.props(MGR, MGR_IF, "AtomicHotplug")
        check(p["AtomicHotplug"] is False, "AtomicHotplug=%s with kmem-bound devices on the stock kernel"
              % p["AtomicHotplug"])
        out = self.sh("journalctl -u daxhpd -o cat --no-pager | grep -i 'fallback' || true")
        self.log("#   fallback in the journal: %s" % out.strip().splitlines()[-1:] if out.strip() else
                 "#   no 'fallback' line in the journal")
        v = self.kernel_view(self.devs["pmem0"])
        check(not v["attr"], "stock kernel shows an atomic attribute? %s" % v["attr"])

    def step10(self):
        """Delegation: polkit lets a member of group daxhp `daxhpctl set`, refuses another user."""
        self.sh("getent group daxhp >/dev/null || groupadd --system daxhp; "
                "id daxhp-op >/dev/null 2>&1 || useradd --system -M -G daxhp daxhp-op; "
                "id daxhp-other >/dev/null 2>&1 || useradd --system -M daxhp-other")
        check(self.run("test -f /usr/share/polkit-1/actions/org.daxhp1.policy")[0] == 0,
              "org.daxhp1.policy is not in polkitd's actions dir")
        # The example rule as the docs say to install it; polkitd (re)started
        # so that it has read the action and the rule.
        self.sh("install -D -m 644 /usr/local/share/doc/daxhp/examples/polkit/50-daxhp-group.rules "
                "/etc/polkit-1/rules.d/50-daxhp-group.rules && systemctl restart polkit", timeout=120)
        out = self.sh("pkaction --action-id org.daxhp1.manage --verbose", timeout=60)
        check("auth_admin_keep" in out, "pkaction does not show the action's defaults:\n%s" % out)
        dev = self.devs["pmem0"]
        state = self.dprops(dev, "State")["State"]
        uid = self.sh("id -u daxhp-op").strip()
        since = self.guest_now()
        # The member of the group: authorized by the rule, no password, no session.
        rc, out = self.run("daxhpctl set %s %s" % (dev, state), user="daxhp-op", timeout=SETTLE)
        self.log("#   daxhp-op (group daxhp): daxhpctl set %s %s -> rc %d %s" % (dev, state, rc, out.strip()))
        check(rc == 0, "daxhp-op could not set %s: rc %d %s" % (dev, rc, out))
        recs = [r for r in self.journal("DAXHP_EVENT=override-set", "DAXHP_DEVICE=" + dev, since=since)
                if r.get("DAXHP_CALLER_UID") == uid]
        check(recs, "no override-set record naming uid %s" % uid)
        # Anyone else: one human line, exit 1, nothing changed.
        before = self.kernel_view(dev)
        other = "online_movable" if state != "online_movable" else "online_kernel"
        rc, out = self.run("daxhpctl set %s %s" % (dev, other), user="daxhp-other", timeout=SETTLE)
        self.log("#   daxhp-other: daxhpctl set %s %s -> rc %d %s" % (dev, other, rc, out.strip()))
        want = ("Failed to set %s: access denied, managing dax memory requires authorization "
                "(org.daxhp1.manage)." % dev)
        check(rc == 1 and out.strip() == want, "daxhp-other: rc %d %r, want 1 and %r" % (rc, out, want))
        check(self.kernel_view(dev)["blocks"] == before["blocks"], "a refused set changed the kernel state")
        check(self.dprops(dev, "State")["State"] == state, "a refused set changed the device")

    def step11(self):
        """Fleet (issue 14): daxhp-orchestrate list/drain/unplug, node-exporter scrape, NFD file."""
        try:
            fleet.step(self)
        except fleet.FleetFail as e:
            raise Fail(str(e))

    # ---- driver --------------------------------------------------------------
    def run_step(self, n, fn):
        name = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
        t0 = time.monotonic()
        try:
            fn()
            ok, detail = True, ""
        except (Fail, StepFailed, Timeout, VMDied, KeyError, ValueError) as e:
            ok, detail = False, "%s: %s" % (type(e).__name__, e)
        except Exception as e:  # noqa
            ok, detail = False, traceback.format_exc()
        dt = time.monotonic() - t0
        self.results.append((n, name, ok, dt))
        self.log("%s %s - %s (%.1fs)" % ("ok" if ok else "not ok", n, name, dt))
        if not ok:
            for line in detail.rstrip().splitlines():
                self.log("#   " + line)
        sys.stdout.flush()
        return ok

    def run_all(self, label, boot, steps, postmortem, postmortem_file):
        """Boot, prepare and the numbered steps; what the guest looked like
        at the end (postmortem, a shell command) into the logs; poweroff.
        Returns the number of failed steps, after the "N passed, N failed" line."""
        try:
            if self.run_step(label + ".boot", boot) and self.run_step(label + ".prepare", self.prepare):
                for n in steps:
                    self.run_step("%s.%d" % (label, n), getattr(self, "step%d" % n))
        finally:
            try:
                if self.vm.proc and self.vm.proc.poll() is None:
                    rc, out = self.vm.run(postmortem, 60)
                    with open(os.path.join(self.vm.dir, postmortem_file), "w") as f:
                        f.write(out)
            except Exception:  # noqa: a post-mortem must not hide the steps' results
                pass
            self.vm.poweroff()
        passed = sum(1 for r in self.results if r[2])
        failed = len(self.results) - passed
        if self.timings:
            self.log("# timings: %s" % ", ".join("%s=%.1fs" % kv for kv in sorted(self.timings.items())))
        self.log("# logs: %s" % self.vm.dir)
        self.log("%d passed, %d failed" % (passed, failed))
        return failed



def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--flavour", choices=("patched", "stock", "pristine", "mainline"),
                    required=True)
    ap.add_argument("--append", default="")
    ap.add_argument("--steps")
    ap.add_argument("--workdir")
    ap.add_argument("--label", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    if a.steps:
        steps = [int(s) for s in a.steps.split(",")]
    elif a.flavour in ("stock", "pristine"):
        steps = [1, 2, 9]
    else:
        steps = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    vm = VM(a.image, a.kernel, a.initrd, a.append, [a.overlay], workdir=a.workdir,
            name=a.flavour, verbose=a.verbose)
    sc = Scenario(vm, a.flavour)

    def boot():
        secs = vm.boot()
        sc.log("#   %s kernel: multi-user (%s) in %.1fs, agent after %.1fs; %s" % (
            a.flavour, vm.system_state, secs, vm.agent_seconds,
            vm.sh("uname -r").strip()))
    boot.__doc__ = "%s kernel: boot to multi-user under systemd, agent answering" % a.flavour
    postmortem = ("journalctl -u daxhpd --no-pager -o short-monotonic | tail -n 200; "
                  "daxctl list; ls -l /sys/bus/dax/drivers/*/; "
                  "lsmod 2>/dev/null | grep -E 'kmem|dax|nd_'; "
                  "echo '--- daxctl list under the unit sandbox:'; "
                  "systemd-run --quiet --wait --pipe -p DevicePolicy=closed "
                  "-p ProtectSystem=strict daxctl list -D 2>&1 | head -5")
    failed = sc.run_all(a.label or a.flavour, boot, steps, postmortem,
                        a.flavour + ".daxhpd-journal.txt")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
