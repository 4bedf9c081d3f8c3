#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxhp e2e, issue 13: the safe owner of dax memory, shown in the systemd guest.

   boot_safety.py --image IMG --kernel BZIMAGE --overlay OVL --workdir DIR
                  [--boot-param 'memhp_default_state=online' ...] [--mask-early]
                  [--checks] [--label L]

One install boot (a sparse copy of the image, kept in DIR) puts daxhpd in the
guest with `meson install`'s tree, a policy `online_movable` for the hmem
device (soft-reserved GiB, kmem-bound by the kernel at boot) and
`systemctl enable daxhpd` (Also=daxhp-early.service). Then one boot per
--boot-param from that installed disk (-snapshot), each checked after boot:

  boot     daxhp-early.service ran before udev's coldplug and reports what
           auto_online_blocks was; daxhpd brought the hmem device (which the
           kernel onlined at boot, against policy, under memhp_default_state)
           to online_movable: the kernel's attribute says so, every block is
           online in ZONE_MOVABLE; `daxhpctl set DEV unplugged` then succeeds
           and the blocks are gone.
  checks   (--checks, on the first boot) tests/e2e/safety_steps.py: daxhpctl
           check, ZoneRatioExceeded, MemoryInUse and --force on pmem.
  memmap   (--checks, a last boot with 576 MiB of RAM and a 16 GiB pmem
           region) tests/e2e/safety_memmap.py: InsufficientMemmap, and what
           the same bind does without the check.

--mask-early boots with systemd.mask=daxhp-early.service, to see what the
outcome is without the unit (the steps then report, and fail where it matters).
Prints "ok/not ok <label>.<step> - ..." and exactly "N passed, N failed".
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vm import VM, StepFailed, finish, guest_args, keep_writes, save_guest_log  # noqa: E402
from scenario import Scenario, Fail, check, SETTLE  # noqa: E402
import safety_steps  # noqa: E402
import safety_memmap  # noqa: E402

# The hmem GiB is the guest's only ZONE_MOVABLE at first, so user pages of the
# whole boot land on it: its unplug migrates them, minutes under TCG on a busy host.
HMEM_POLICY = "[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\nOnDrift=reapply\nTimeoutSec=900\n"


def hmem_device(sc):
    for d in sc.sh("ls /sys/bus/dax/devices/ 2>/dev/null; true").split():
        if "hmem" in sc.sh("readlink -f /sys/bus/dax/devices/%s" % d):
            return d
    raise Fail("no hmem dax device at boot: %s" % sc.sh("ls -l /sys/bus/dax/devices/; true"))


def install(sc):
    """install daxhpd (meson install tree), hmem policy online_movable, systemctl enable daxhpd"""
    sc.vm.install_overlay()
    sc.write_policy("60-hmem.conf", HMEM_POLICY)
    sc.sh("systemctl enable daxhpd.service")
    for u in ("daxhpd.service", "daxhp-early.service"):
        state = sc.run("systemctl is-enabled %s" % u)[1].strip()
        check(state == "enabled", "%s is %r after systemctl enable daxhpd (Also=)" % (u, state))
    sc.sh("sync")


def boot_outcome(sc, param, masked):
    """After a boot with param: early unit, the device's zone, and an unplug."""
    cmdline = sc.sh("cat /proc/cmdline")
    check(param in cmdline.split(), "%s not on the kernel command line: %s" % (param, cmdline))
    early = sc.run("systemctl show -P ActiveState daxhp-early.service; "
                   "journalctl -b -u daxhp-early.service -o cat --no-pager | grep auto_online_blocks")[1]
    sc.log("#   daxhp-early.service: %s" % " | ".join(early.split("\n")).strip(" |"))
    if not masked:
        want = param.split("=", 1)[1]
        check("auto_online_blocks: %s -> offline" % want in early,
              "daxhp-early.service did not report %s -> offline: %s" % (want, early))
    aob = sc.sh("cat /sys/devices/system/memory/auto_online_blocks").strip()
    sc.log("#   auto_online_blocks now: %s" % aob)
    dev = hmem_device(sc)
    # What the kernel did at boot (before any unit ran: the drivers are built in),
    # and what daxhpd found and did, from its journal.
    j = sc.sh("journalctl -b -u daxhpd -o cat --no-pager | grep -E '%s|auto_online' | head -n 12; true" % dev)
    for line in j.strip().splitlines():
        sc.log("#   daxhpd: %s" % line)
    sc.wait_state(dev, "online_movable", timeout=SETTLE)
    v = sc.kernel_agrees(dev, "online_movable")
    zones = sorted(set(b[2].split(",")[0] for b in v["blocks"]))
    sc.log("#   %s: hotplug=%s, %d blocks online, zones %s" % (
        dev, v["attr"].get("hotplug"), len(v["blocks"]), zones))
    rc, out = sc.run("daxhpctl set %s unplugged" % dev, timeout=960)
    sc.log("#   daxhpctl set %s unplugged: rc %d %s" % (dev, rc, out.strip().replace("\n", " | ")[-300:]))
    check(rc == 0, "unplug of %s after boot failed: rc %d: %s" % (dev, rc, out))
    sc.wait_state(dev, "unplugged", timeout=60)
    sc.kernel_agrees(dev, "unplugged")
    # Back to policy for what follows.
    sc.sh("daxhpctl reset %s" % dev, timeout=SETTLE + 30)
    return dev


def save_journal(vm, workdir, tag):
    save_guest_log(vm, os.path.join(workdir, tag + ".journal.txt"),
                   "journalctl -b --no-pager -o short-monotonic -u daxhpd -u daxhp-early | tail -n 300")


def memmap_boot(a, img, step):
    """The memmap budget needs a guest whose RAM is small beside a large device: a boot of its own."""
    vm = VM(img, a.kernel, a.initrd, "", [a.overlay], workdir=a.workdir, name="memmap",
            mem=safety_memmap.MEM, memmap=safety_memmap.MEMMAP, verbose=a.verbose)
    sc = Scenario(vm, "patched")
    try:
        def boot():
            secs = vm.boot()
            sc.log("#   booted %s in %.1fs (%s)" % (safety_memmap.MEMMAP, secs, vm.system_state))
        boot.__doc__ = "boot with %s (-m %s), daxhpd enabled" % (safety_memmap.MEMMAP, safety_memmap.MEM)
        if step(sc, "%s.memmap.boot" % a.label, boot):
            for name, fn in safety_memmap.memmap_steps(sc):
                if name == "unchecked":
                    # Before the guest runs out of memory.
                    save_journal(vm, a.workdir, "memmap")
                if not step(sc, "%s.memmap.%s" % (a.label, name), fn):
                    break
    finally:
        # After the unchecked bind the guest may be too short of memory to
        # shut down in time; nothing on its disk (-snapshot) is kept anyway.
        vm.kill()


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--boot-param", action="append", default=[])
    ap.add_argument("--mask-early", action="store_true")
    ap.add_argument("--checks", action="store_true")
    ap.add_argument("--label", default="boot")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    params = a.boot_param or ["memhp_default_state=online", "memhp_default_state=online_kernel"]
    results = []

    def step(sc, name, fn):
        results.append(sc.run_step(name, fn))
        return results[-1]

    img = os.path.join(a.workdir, "installed.img")
    subprocess.run(["cp", "--sparse=always", a.image, img], check=True)
    try:
        vm = keep_writes(VM(img, a.kernel, a.initrd, "", [a.overlay], workdir=a.workdir,
                            name="install", verbose=a.verbose))
        sc = Scenario(vm, "patched")
        try:
            def install_boot():
                vm.boot()
                install(sc)
            install_boot.__doc__ = install.__doc__
            ok = step(sc, "%s.install" % a.label, install_boot)
        finally:
            vm.poweroff()
        for i, param in enumerate(params if ok else []):
            tag = param.split("=", 1)[-1] + ("-masked" if a.mask_early else "")
            append = param + (" systemd.mask=daxhp-early.service" if a.mask_early else "")
            vm = VM(img, a.kernel, a.initrd, append, [a.overlay], workdir=a.workdir,
                    name=tag, verbose=a.verbose)
            sc = Scenario(vm, "patched")
            try:
                def boot():
                    secs = vm.boot()
                    sc.log("#   booted %s in %.1fs (%s)" % (append, secs, vm.system_state))
                boot.__doc__ = "boot with %s, daxhpd enabled%s" % (
                    append, "" if a.mask_early else " with daxhp-early.service")
                if not step(sc, "%s.%s.boot" % (a.label, tag), boot):
                    continue

                def outcome(param=param):
                    boot_outcome(sc, param, a.mask_early)
                outcome.__doc__ = ("%s: the hmem device ends online_movable (all blocks in ZONE_MOVABLE) "
                                   "and unplugs" % param)
                step(sc, "%s.%s.zone-and-unplug" % (a.label, tag), outcome)
                if a.checks and i == 0:
                    for name, fn in safety_steps.pmem_steps(sc):
                        step(sc, "%s.%s.%s" % (a.label, tag, name), fn)
            except StepFailed as e:
                results.append(False)
                sc.log("not ok %s.%s - %s" % (a.label, tag, e))
            finally:
                save_journal(vm, a.workdir, tag)
                vm.poweroff()
        if ok and a.checks and not a.mask_early:
            memmap_boot(a, img, step)
    finally:
        os.unlink(img)
    finish(results, a.workdir)


if __name__ == "__main__":
    main()
