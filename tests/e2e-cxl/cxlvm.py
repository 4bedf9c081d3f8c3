#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The e2e guest (tests/e2e/vm.py) on a QEMU 10 q35 machine with CXL memory.

Topology (QEMU TCG, no CPU on the CXL nodes):

    pcie.0 ─ pxb-cxl cxl.1 (bus 12)  ─ cxl-rp rp0 ─ cxl-type3 mem (1 GiB volatile, sn 0x1001)
           ─ pxb-cxl cxl.2 (bus 222) ─ cxl-rp rp1 ─ cxl-type3 mem (1 GiB volatile, sn 0x1002)
    CFMWS 0: cxl.1 only      (4 GiB)   -> root decoder decoderX.0, NUMA node 1
    CFMWS 1: cxl.2 only      (4 GiB)   -> root decoder decoderX.1, NUMA node 2
    CFMWS 2: cxl.1 + cxl.2, 2-way, 4 KiB granularity (4 GiB) -> decoderX.2, node 3

Linux gives every CFMWS window its own memory-only NUMA node, so a region's
dax device lands on a node without CPUs.

    python3 cxlvm.py --image IMG --kernel BZIMAGE [--append ...] CMD...
boots it and runs the commands (for exploring by hand).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from vm import VM, guest_args  # noqa: E402

CXL_DEVICE_MIB = 1024
SERIALS = (0x1001, 0x1002)


def qemu10():
    """(wrapper path, share dir) from qemu10.sh: downloads and unpacks QEMU 10 once."""
    out = subprocess.run([os.path.join(HERE, "qemu10.sh")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return out.strip().splitlines()[-1].split()[0]


def cxl_args(mib=CXL_DEVICE_MIB):
    a = []
    for i, sn in enumerate(SERIALS):
        a += ["-object", "memory-backend-ram,id=cxl-vmem%d,share=on,size=%dM" % (i, mib),
              "-device", "pxb-cxl,bus_nr=%d,bus=pcie.0,id=cxl.%d" % ((12, 222)[i], i + 1),
              "-device", "cxl-rp,port=0,bus=cxl.%d,id=rp%d,chassis=0,slot=%d" % (i + 1, i, i),
              "-device", "cxl-type3,bus=rp%d,volatile-memdev=cxl-vmem%d,id=cxl-mem%d,sn=%d"
              % (i, i, i, sn)]
    a += ["-machine", ",".join([
        "cxl-fmw.0.targets.0=cxl.1", "cxl-fmw.0.size=4G",
        "cxl-fmw.1.targets.0=cxl.2", "cxl-fmw.1.size=4G",
        "cxl-fmw.2.targets.0=cxl.1", "cxl-fmw.2.targets.1=cxl.2", "cxl-fmw.2.size=4G",
        "cxl-fmw.2.interleave-granularity=4k"])]
    return a


# systemd's 90 s default start timeout is not enough for a guest on a host
# running several other TCG guests: journald and the agent's port device timed
# out at boot there (2026-12-02, load 28), and the scenario needs both.
SLOW_HOST = "systemd.default_timeout_start_sec=900"


def cxl_vm(image, kernel, initrd=None, append="", drives=(), mem="2G", **kw):
    append = " ".join(x for x in (SLOW_HOST, append) if x)
    return VM(image, kernel, initrd, append, drives, mem=mem, memmap="",
              qemu=qemu10(), machine="q35,cxl=on", extra=cxl_args(), pci_bus="pcie.0", **kw)


if __name__ == "__main__":
    import argparse
    ap = guest_args(argparse.ArgumentParser(description="boot the CXL e2e guest and run commands"),
                    overlay=False)
    ap.add_argument("--append", default="")
    ap.add_argument("--drive", action="append", default=[])
    ap.add_argument("--workdir")
    ap.add_argument("cmds", nargs="*")
    a = ap.parse_args()
    vm = cxl_vm(a.image, a.kernel, a.initrd, a.append, a.drive, workdir=a.workdir, verbose=True)
    try:
        print("booted in %.1fs (agent %.1fs), state %s" % (vm.boot(), vm.agent_seconds, vm.system_state))
        for c in a.cmds:
            rc, out = vm.run(c, timeout=300)
            print("$ %s  [rc=%d]\n%s" % (c, rc, out), flush=True)
    finally:
        vm.poweroff()
        print("console log:", vm.console)
