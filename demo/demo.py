#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guest side of demo/run.sh: an operator's session, shown as it happens."""
import argparse
import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from vm import VM, guest_args  # noqa: E402


def main():
    ap = guest_args(argparse.ArgumentParser())
    ap.add_argument("--policies", required=True)
    ap.add_argument("--shell", action="store_true")
    a = ap.parse_args()
    vm = VM(a.image, a.kernel, a.initrd, "", [a.overlay], name="demo")

    def show(cmd, timeout=120):
        print("\n\033[1mroot@guest# %s\033[0m" % cmd, flush=True)
        rc, out = vm.run(cmd, timeout=timeout)
        sys.stdout.write(out)
        if rc:
            print("[exit %d]" % rc)
        sys.stdout.flush()
        return rc, out

    t0 = time.monotonic()
    try:
        secs = vm.boot()
        print("guest up (systemd: %s) in %.0f s; console log %s" % (vm.system_state, secs, vm.console))
        vm.install_overlay()
        show("uname -r; ls /sys/bus/dax/devices/; ndctl list -R | grep -E '\"(dev|size)\"'")
        pols = sorted(glob.glob(os.path.join(a.policies, "*.conf")) +
                      glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "policies", "*.conf")))
        for p in pols:
            vm.copy_in(p, "/etc/daxhp.d/" + os.path.basename(p))
        show("ls -l /etc/daxhp.d/ && head -n 20 /etc/daxhp.d/*.conf")
        show("systemctl start daxhpd && systemctl status --no-pager daxhpd | head -n 12")
        show("for r in $(ndctl list -R | sed -n 's/.*\"dev\":\"region\\([0-9]*\\)\".*/\\1/p'); do "
             "ndctl create-namespace -f -e namespace$r.0 -m devdax | grep -E '\"(dev|chardev|size)\"'; done")
        show("sleep 10; daxhpctl status", timeout=180)
        show("daxhpctl list")
        show("busctl tree org.daxhp1")
        show("busctl get-property org.daxhp1 /org/daxhp1 org.daxhp1.Manager AtomicHotplug Version")
        show("grep -E 'MemTotal|MemFree' /proc/meminfo; "
             "for b in /sys/devices/system/memory/memory*; do "
             "echo \"${b##*/} $(cat $b/state) $(cat $b/valid_zones)\"; done | sort -V | tail -n 40")
        show("journalctl -u daxhpd --no-pager -o short-monotonic | tail -n 40")
        if a.shell:
            print("\n--shell: type commands, EOF to power off", flush=True)
            for line in sys.stdin:
                if line.strip():
                    show(line.strip(), timeout=600)
    finally:
        vm.poweroff()
        print("\npowered off; whole session %.0f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
