# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 13's memmap budget in the systemd guest (boot_safety.py --checks).

A boot of its own: 576 MiB of RAM for the kernel (mem=576M) and a 16 GiB
legacy pmem region (memmap=16G!4G, QEMU's RAM above 4G, untouched until the
guest writes it). Plugging that region's ~15.7 GiB devdax device takes ~252
MiB of struct pages from the RAM that is already online (its policy does
not put them on the device: the pmem device's memmap_on_memory is 0).

  refused   the device is created (no policy for it yet), a tmpfs file
            leaves MemFree ~100 MiB short of those struct pages (so also
            MemAvailable is short: the kernel could not find them); then the
            policy says online: daxhpd refuses the bind (journal record
            DAXHP_CHECK=memmap with the numbers, the catalog entry explains
            it), SetState and `daxhpctl set --force` get
            org.daxhp1.Error.InsufficientMemmap, `daxhpctl check` lists it,
            and the device stays devdax with no memory block added, its
            LastError saying why.
  unchecked what daxhpd refused, done by hand with daxhpd stopped (the same
            kmem bind its bind:kmem step writes), in the background: the
            kernel reclaims everything it can for the struct pages, fails
            the memory add (ENOMEM) and the guest goes on running out of
            memory (OOM kills; a panic "System is deadlocked on memory" in
            one run). Read from the guest's console on the host; the VM is
            killed afterwards, this is the boot's last step.
"""
import json
import re
import time

from scenario import SETTLE, Fail, check
from safety_steps import call_error_name, meminfo

MIB = 1 << 20
MARGIN = 64 * MIB
# The boot's memory: the kernel sees 576 MiB of RAM and one 16 GiB pmem region.
MEM = "20G"
MEMMAP = "mem=576M memmap=16G!4G"
# What the kernel prints when the unchecked bind cannot find the struct pages.
KERNEL_SAYS = {
    "add-failed": r"kmem \S+: mapping\d+: \S+ memory add failed",
    "probe-failed": r"probe with driver kmem failed with error -12",
    "oom": r"Out of memory: Killed process \d+ \(\S+\)",
}
UNCHECKED_WAIT = 240
POLICY = "[Match]\nProvider=pmem\n\n[Policy]\nState=online\nTimeoutSec=300\n"


def vmstat(sc, key):
    out = sc.sh("grep '^%s ' /proc/vmstat; true" % key)
    return int(out.split()[1]) if out.strip() else 0


def blocks(sc):
    return int(sc.sh("ls /sys/devices/system/memory | grep -c '^memory'").strip())


class MemmapSafety:
    def __init__(self, sc):
        self.sc = sc
        self.dev = None
        self.need = 0

    def refused(self):
        """plugging more than the struct pages fit is refused with org.daxhp1.Error.InsufficientMemmap"""
        sc = self.sc
        out = sc.sh("ndctl create-namespace -f -e namespace0.0 -m devdax", timeout=300)
        dev = self.dev = json.loads(out)["daxregion"]["devices"][0]["chardev"]
        size = int(sc.sh("cat /sys/bus/dax/devices/%s/size" % dev).strip())
        need = self.need = size // 64
        attr = sc.sh("cat /sys/bus/dax/devices/%s/memmap_on_memory; "
                     "cat /sys/module/memory_hotplug/parameters/memmap_on_memory" % dev).split()
        m = meminfo(sc)
        # Leave MemFree 100 MiB short of the struct pages (page cache is
        # what MemAvailable adds, far less than 100 MiB in this guest).
        fill = m["MemFree"] - (need - 100 * MIB)
        check(fill > 0, "MemFree %d MiB already below the struct pages' %d MiB" % (
            m["MemFree"] >> 20, need >> 20))
        sc.sh("mkdir -p /run/memmap-fill && mount -t tmpfs -o size=%dk memmap-fill /run/memmap-fill && "
              "fallocate -l %d /run/memmap-fill/data" % ((fill >> 10) + 1024, fill), timeout=300)
        m2 = meminfo(sc)
        sc.log("#   %s: %d MiB, struct pages %d MiB (device memmap_on_memory=%s, kernel %s); "
               "fill %d MiB: MemFree %d -> %d MiB, MemAvailable %d -> %d MiB" % (
                   dev, size >> 20, need >> 20, attr[0], attr[1], fill >> 20, m["MemFree"] >> 20,
                   m2["MemFree"] >> 20, m["MemAvailable"] >> 20, m2["MemAvailable"] >> 20))
        check(need > m2["MemAvailable"], "the kernel could find the struct pages: %d MiB need, %d MiB "
              "available" % (need >> 20, m2["MemAvailable"] >> 20))
        before = blocks(sc)
        since = sc.guest_now()
        sc.write_policy("30-pmem-online.conf", POLICY)
        sc.sh("daxhpctl reload")
        rec = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < SETTLE and not rec:
            rec = sc.journal("DAXHP_EVENT=refused", "DAXHP_DEVICE=" + dev, since=since)
            time.sleep(1)
        check(rec, "%s: policy online with %d MiB of struct pages and MemFree %d MiB was not refused: %s" % (
            dev, need >> 20, m2["MemFree"] >> 20, sc.sh("daxhpctl list; true")))
        r = rec[-1]
        sc.log("#   journal: %s" % r["MESSAGE"])
        sc.log("#   DAXHP_CHECK=%s DAXHP_NEED_BYTES=%s DAXHP_HAVE_BYTES=%s DAXHP_ERROR_NAME=%s" % (
            r.get("DAXHP_CHECK"), r.get("DAXHP_NEED_BYTES"), r.get("DAXHP_HAVE_BYTES"), r.get("DAXHP_ERROR_NAME")))
        check(r.get("DAXHP_CHECK") == "memmap" and
              r.get("DAXHP_ERROR_NAME") == "org.daxhp1.Error.InsufficientMemmap", "refusal record %s" % r)
        check(int(r.get("DAXHP_NEED_BYTES", 0)) == need, "DAXHP_NEED_BYTES=%s, size/64 is %d" % (
            r.get("DAXHP_NEED_BYTES"), need))
        have = int(r.get("DAXHP_HAVE_BYTES", 0))
        check(abs(have - m2["MemFree"]) < 32 * MIB and have < need + MARGIN,
              "DAXHP_HAVE_BYTES=%d, MemFree was %d" % (have, m2["MemFree"]))
        cat = sc.sh("journalctl -x -u daxhpd --no-pager -n 1 MESSAGE_ID=%s" % r["MESSAGE_ID"])
        check("MemmapOnMemory=yes" in cat and "cannot be forced" in cat,
              "journalctl -x does not explain the refusal (catalog):\n%s" % cat)
        # The device is left as it was, and says why.
        p = sc.dprops(dev, "Mode", "State", "DesiredState", "LastError", "Transition")
        sc.log("#   %s: %s" % (dev, p))
        check(p["Mode"] == "devdax" and p["DesiredState"] == "online" and "refused" in p["LastError"] and
              "struct pages" in p["LastError"], "%s after the refusal: %s" % (dev, p))
        v = sc.kernel_view(dev)
        check(v["driver"] == "device_dax" and not v["blocks"] and blocks(sc) == before,
              "the kernel changed after the refusal: driver %s, %d device blocks, %d -> %d blocks" % (
                  v["driver"], len(v["blocks"]), before, blocks(sc)))
        name, text = call_error_name(sc, dev, "online")
        sc.log("#   SetState online: %s: %s" % (name, text))
        check(name == "org.daxhp1.Error.InsufficientMemmap", "SetState online: %s %s" % (name, text))
        rc, out = sc.run("daxhpctl set %s online --force" % dev, timeout=SETTLE)
        sc.log("#   daxhpctl set --force: rc %d: %s" % (rc, out.strip()[-240:]))
        check(rc != 0 and "struct pages" in out, "--force passed the memmap budget: rc %d %s" % (rc, out))
        rc, out = sc.run("daxhpctl check")
        check(rc == 1 and "memmap" in out and dev in out, "daxhpctl check: rc %d\n%s" % (rc, out))
        check(blocks(sc) == before and sc.kernel_view(dev)["driver"] == "device_dax",
              "the refused requests changed the kernel")

    def unchecked(self):
        """without the check (the same bind by hand): the kernel fails to plug it (ENOMEM), OOM kills may follow"""
        sc = self.sc
        dev = self.dev
        check(dev, "no device from the refused step")
        sc.sh("systemctl stop daxhpd")
        free0 = meminfo(sc)["MemFree"]
        # In the background: the guest may not answer again (OOM kills, or a
        # panic once nothing is left to kill); the kernel's console says
        # what happened, read on the host.
        with open(sc.vm.console, "rb") as f:
            f.seek(0, 2)
            start = f.tell()
        sc.sh("setsid sh -c 'echo %s > /sys/bus/dax/drivers/device_dax/unbind; "
              "echo %s > /sys/bus/dax/drivers/kmem/new_id' </dev/null >/dev/null 2>&1 &" % (dev, dev))
        t0 = time.monotonic()
        seen = {}
        harm_at = None
        while time.monotonic() - t0 < UNCHECKED_WAIT and len(seen) < len(KERNEL_SAYS):
            # Once the kernel gave up or killed, a little longer for what follows.
            if harm_at is not None and time.monotonic() - harm_at > 5:
                break
            time.sleep(2)
            with open(sc.vm.console, "rb") as f:
                f.seek(start)
                text = f.read().decode(errors="replace")
            for key, pattern in KERNEL_SAYS.items():
                m = re.search(pattern, text)
                if m and key not in seen:
                    seen[key] = (time.monotonic() - t0, m.group(0).strip())
                    if key != "probe-failed" and harm_at is None:
                        harm_at = time.monotonic()
        sc.log("#   by hand, MemFree %d MiB, %d MiB of struct pages to find:" % (free0 >> 20, self.need >> 20))
        for key, (secs, line) in sorted(seen.items(), key=lambda kv: kv[1][0]):
            sc.log("#   +%.0f s %s: %s" % (secs, key, line))
        check(seen, "the unchecked bind gave no sign of harm within %d s" % UNCHECKED_WAIT)
        check("add-failed" in seen or "oom" in seen,
              "neither a failed memory add nor an OOM kill: %s" % seen)


def memmap_steps(sc):
    st = MemmapSafety(sc)
    return [("refused", st.refused), ("unchecked", st.unchecked)]


if __name__ == "__main__":
    raise Fail("run through boot_safety.py --checks")
