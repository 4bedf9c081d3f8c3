#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host side of the daxhp end-to-end harness (Python stdlib only).

    vm = VM(image, kernel, initrd=None, append="", drives=[...])
    vm.boot(timeout=600)                  # to multi-user, agent answering
    rc, out = vm.run("cat /proc/meminfo", timeout=30)
    out = vm.sh("ndctl list")             # raises StepFailed unless rc == 0
    vm.copy_in(b"...", "/etc/daxhp.d/10-x.policy")
    vm.poweroff()

Every call has a timeout; a hang raises Timeout (the test fails, it does not
stall).  The guest side is tests/e2e/guest/agent.py on the virtio-serial port
"daxhp.agent"; the framing is described there.  The root image is booted with
-snapshot so the cache is never written.
"""
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time

# pc machine with -m 8G: RAM at 0-3G and 4G-9G.  Two legacy pmem regions
# (1152 MiB = 9 blocks: 8 usable after namespace alignment) and one
# soft-reserved (hmem) GiB, all inside RAM.
MEM = "8G"
MEMMAP = ("memmap=1152M!4G memmap=1152M!6G "
          "memmap=1G%8G-1+0xefffffff")


class Timeout(Exception):
    pass


class StepFailed(Exception):
    pass


class VMDied(Exception):
    pass


def _tail(path, n=40):
    try:
        with open(path, "rb") as f:
            return b"".join(f.read().splitlines(True)[-n:]).decode(errors="replace")
    except OSError:
        return ""


def connect_unix(path, deadline, check_alive=lambda: None, poll=0.05):
    """Connects to QEMU's server socket at path.  QEMU creates the socket file
    before it listens on it, so both a missing file and a refused connection
    mean "not yet": retry until deadline (monotonic), then raise Timeout."""
    while True:
        check_alive()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError) as e:
            s.close()
            if time.monotonic() > deadline:
                raise Timeout("QEMU's socket %s did not accept a connection: %s" % (path, e))
        time.sleep(poll)


class VM:
    def __init__(self, image, kernel, initrd=None, append="", drives=(),
                 mem=MEM, memmap=MEMMAP, workdir=None, name="vm",
                 qemu="qemu-system-x86_64", verbose=False, machine=None, extra=(), pci_bus=None):
        self.image, self.kernel, self.initrd = image, kernel, initrd
        self.drives = list(drives)
        self.mem = mem
        self.append = " ".join(x for x in (
            "console=ttyS0 root=/dev/vda rw panic=-1 loglevel=6",
            "systemd.show_status=false",
            memmap, append) if x)
        self.dir = workdir or tempfile.mkdtemp(prefix="daxhp-e2e-")
        self.name = name
        self.qemu = qemu
        # machine: "-machine" value (default: QEMU's pc); extra: more QEMU
        # arguments (tests/e2e-cxl: q35,cxl=on and the CXL devices).
        self.machine = machine
        self.extra = list(extra)
        # pci_bus: put the disks and virtio-serial on this bus explicitly (q35
        # with pxb-cxl: QEMU's default pick may be a CXL host bridge's bus).
        self.pci_bus = pci_bus
        self.verbose = verbose
        self.sock_path = os.path.join(self.dir, name + ".agent.sock")
        self.console = os.path.join(self.dir, name + ".console.log")
        self.proc = None
        self.sock = None
        self.next_id = 1
        self.lock = threading.Lock()
        self.pending = {}      # id -> [event, result]
        self.reader = None
        self.boot_seconds = None

    # ---- lifecycle -------------------------------------------------------
    def cmdline(self):
        c = [self.qemu, "-accel", "tcg", "-cpu", "max", "-smp", "1"]
        if self.machine:
            c += ["-machine", self.machine]
        c += ["-m", self.mem,
             # One NUMA node: gives the guest an SRAT, so the soft-reserved
             # (hmem) range gets a target node and kmem accepts it.
             "-object", "memory-backend-ram,id=ram0,size=%s" % self.mem,
             "-numa", "node,nodeid=0,memdev=ram0",
             "-display", "none", "-monitor", "none",
             "-no-reboot", "-snapshot", "-nodefaults",
             "-serial", "file:" + self.console,
             "-kernel", self.kernel, "-append", self.append]
        disks = [(self.image, "cache=unsafe")] + [(d, "readonly=on") for d in self.drives]
        for i, (f, opt) in enumerate(disks):
            if self.pci_bus:
                c += ["-drive", "file=%s,format=raw,if=none,id=disk%d,%s" % (f, i, opt),
                      "-device", "virtio-blk-pci,drive=disk%d,bus=%s" % (i, self.pci_bus)]
            else:
                c += ["-drive", "file=%s,format=raw,if=virtio,%s" % (f, opt)]
        if self.initrd:
            c += ["-initrd", self.initrd]
        c += ["-device", "virtio-serial" + (",bus=" + self.pci_bus if self.pci_bus else ""),
              "-chardev", "socket,path=%s,server=on,wait=off,id=agent" % self.sock_path,
              "-device", "virtserialport,chardev=agent,name=daxhp.agent"]
        return c + self.extra

    def boot(self, timeout=900):
        """Start QEMU and wait until systemd reports the system up and the
        agent answers.  Returns seconds to multi-user."""
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmdline(), stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, self.name + ".qemu.log"), "wb"),
                                     stderr=subprocess.STDOUT)
        deadline = t0 + timeout
        self.sock = connect_unix(self.sock_path, deadline, self._check_alive)
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()
        # Ping until the agent answers (it starts after udev made the port).
        while True:
            self._check_alive()
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("guest agent did not answer within %ss; console:\n%s"
                              % (timeout, _tail(self.console)))
            try:
                self._request(b"ping", b"", b"", min(5, left))
                break
            except Timeout:
                continue
        self.agent_seconds = time.monotonic() - t0
        left = max(5, deadline - time.monotonic())
        rc, out = self.run("systemctl is-system-running --wait", timeout=left)
        self.boot_seconds = time.monotonic() - t0
        self.system_state = out.strip()
        if self.system_state not in ("running", "degraded"):
            raise StepFailed("system state %r after boot" % out)
        return self.boot_seconds

    def poweroff(self, timeout=120):
        if not self.proc:
            return
        if self.proc.poll() is None:
            try:
                self._send(self._new_id()[0], b"exec", b"systemctl poweroff", b"", 0)
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self):
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise VMDied("QEMU exited (%s); console tail:\n%s"
                         % (self.proc.returncode, _tail(self.console)))

    # ---- protocol --------------------------------------------------------
    def _new_id(self):
        with self.lock:
            rid = b"%d" % self.next_id
            self.next_id += 1
            ev = [threading.Event(), None]
            self.pending[rid] = ev
        return rid, ev

    def _send(self, rid, op, arg, data, timeout):
        hdr = b"%s %s %g %d %d\n" % (rid, op, timeout, len(arg), len(data))
        with self.lock:
            self.sock.sendall(hdr + arg + data)

    def _request(self, op, arg, data, timeout, guest_timeout=0):
        rid, ev = self._new_id()
        self._send(rid, op, arg, data, guest_timeout)
        end = time.monotonic() + timeout
        while not ev[0].wait(0.5):
            if self.proc.poll() is not None:
                raise VMDied("QEMU exited during %r; console tail:\n%s"
                             % (arg[:200], _tail(self.console)))
            if time.monotonic() > end:
                with self.lock:
                    self.pending.pop(rid, None)
                raise Timeout("no reply within %ss to %s %r" % (timeout, op.decode(), arg[:200]))
        return ev[1]

    def _read_loop(self):
        buf = b""
        sock = self.sock

        def need(n):
            nonlocal buf
            while len(buf) < n:
                chunk = sock.recv(65536)
                if not chunk:
                    raise EOFError
                buf += chunk

        try:
            while True:
                while b"\n" not in buf:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                line, buf = buf.split(b"\n", 1)
                f = line.split()
                if len(f) != 4:
                    continue
                rid, rc, ol, el = f[0], int(f[1]), int(f[2]), int(f[3])
                need(ol + el)
                out, err, buf = buf[:ol], buf[ol:ol + el], buf[ol + el:]
                with self.lock:
                    ev = self.pending.pop(rid, None)
                if ev:
                    ev[1] = (rc, out.decode(errors="replace"), err.decode(errors="replace"))
                    ev[0].set()
        except (OSError, EOFError):
            return

    # ---- API -------------------------------------------------------------
    def run3(self, cmd, timeout=60, input=b"", user=None):
        """Run a shell command in the guest: (rc, stdout, stderr)."""
        if user:
            cmd = "setpriv --reuid=%s --regid=%s --init-groups -- /bin/sh -c %s" % (
                user, user, shlex.quote(cmd))
        if isinstance(input, str):
            input = input.encode()
        t0 = time.monotonic()
        r = self._request(b"exec", cmd.encode(), input, timeout + 5, guest_timeout=timeout)
        if self.verbose:
            print("  [guest %.2fs rc=%d] %s" % (time.monotonic() - t0, r[0], cmd), flush=True)
        if r[0] == 124 and "agent: timeout" in r[2]:
            raise Timeout("guest command timed out after %ss: %s\n%s" % (timeout, cmd, r[1] + r[2]))
        return r

    def run(self, cmd, timeout=60, input=b"", user=None):
        """(rc, stdout+stderr)."""
        rc, out, err = self.run3(cmd, timeout, input, user)
        return rc, out + err

    def sh(self, cmd, timeout=60, input=b"", user=None):
        """stdout; raises StepFailed unless rc == 0."""
        rc, out, err = self.run3(cmd, timeout, input, user)
        if rc != 0:
            raise StepFailed("`%s` exited %d:\n%s%s" % (cmd, rc, out, err))
        return out

    def copy_in(self, src, dest, mode=0o644, timeout=60):
        """src: host path or bytes/str content."""
        if isinstance(src, str) and os.path.exists(src):
            with open(src, "rb") as f:
                data = f.read()
            mode = os.stat(src).st_mode & 0o7777
        else:
            data = src.encode() if isinstance(src, str) else src
        rc, out, err = self._request(b"write", b"%o %s" % (mode, dest.encode()), data, timeout)
        if rc != 0:
            raise StepFailed("copy_in %s: %s" % (dest, err))

    def install_overlay(self, dev="/dev/vdb", timeout=120):
        """daxhpd from this tree: tests/e2e/stage.sh's overlay disk copied over
        the guest's / by guest/overlay.sh (ldconfig, catalog, daemon-reload)."""
        self.sh("mkdir -p /run/daxhp-overlay && mount -o ro %s /run/daxhp-overlay && "
                "/run/daxhp-overlay/usr/local/sbin/daxhp-e2e-overlay %s" % (dev, dev), timeout=timeout)


def keep_writes(vm):
    """Boot vm from its image without -snapshot, so that what the guest writes
    stays on the disk: the install boot of an image that later boots are made
    from (pass a copy of the cached image, never the cache itself)."""
    orig = vm.cmdline
    vm.cmdline = lambda: [x.replace("cache=unsafe", "cache=writeback") for x in orig() if x != "-snapshot"]
    return vm


def save_guest_log(vm, path, cmd, timeout=60):
    """Best effort, before the guest goes down: cmd's output to path on the host."""
    try:
        if vm.proc and vm.proc.poll() is None:
            rc, out = vm.run(cmd, timeout)
            with open(path, "w") as f:
                f.write(out)
    except Exception:  # noqa: the guest may be too short of memory to answer
        pass


def finish(results, workdir):
    """The last lines every multi-boot driver prints, and its exit status."""
    passed = sum(1 for r in results if r)
    print("# logs: %s" % workdir)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    sys.exit(0 if passed == len(results) else 1)


def guest_args(ap, overlay=True):
    """The arguments every guest driver takes (scenario.py, bench, demo)."""
    ap.add_argument("--image", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd")
    if overlay:
        ap.add_argument("--overlay", required=True)
    return ap


if __name__ == "__main__":
    import argparse
    ap = guest_args(argparse.ArgumentParser(description="boot the e2e guest and run commands"),
                    overlay=False)
    ap.add_argument("--append", default="")
    ap.add_argument("--drive", action="append", default=[])
    ap.add_argument("cmds", nargs="*")
    a = ap.parse_args()
    vm = VM(a.image, a.kernel, a.initrd, a.append, a.drive, verbose=True)
    try:
        print("booted in %.1fs (agent %.1fs), state %s" % (vm.boot(), vm.agent_seconds, vm.system_state))
        for c in a.cmds:
            rc, out = vm.run(c, timeout=120)
            print("$ %s  [rc=%d]\n%s" % (c, rc, out), flush=True)
    finally:
        vm.poweroff()
        print("console log:", vm.console)
