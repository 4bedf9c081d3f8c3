#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxhp end-to-end guest agent (python3-minimal only: no json).

Runs on the virtio-serial port /dev/virtio-ports/daxhp.agent.  Framing:

  request:  b"<id> <op> <timeout> <arglen> <datalen>\\n" + arg + data
  reply:    b"<id> <rc> <outlen> <errlen>\\n" + out + err

ops: ping (rc 0), exec (arg = /bin/sh -c command, data = stdin),
     write (arg = "<octal mode> <path>", data = content).
exec runs in its own session; on timeout the whole process group is killed
and rc is 124 with a note on stderr.  Requests run in threads, so a hung
command does not block the channel.
"""
import os, signal, subprocess, sys, threading, time

PORT = "/dev/virtio-ports/daxhp.agent"
wlock = threading.Lock()


def reply(fd, rid, rc, out=b"", err=b""):
    msg = b"%s %d %d %d\n" % (rid, rc, len(out), len(err)) + out + err
    with wlock:
        view = memoryview(msg)
        while view:
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            except OSError:
                time.sleep(0.2)  # host not connected: keep trying
                continue
            view = view[n:]


def do_exec(fd, rid, timeout, cmd, data):
    try:
        p = subprocess.Popen(["/bin/sh", "-c", cmd.decode()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(data, timeout=timeout if timeout > 0 else None)
            rc = p.returncode
            if rc < 0:
                rc = 128 - rc
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = p.communicate()
            err += b"\nagent: timeout after %gs, process group killed\n" % timeout
            rc = 124
    except Exception as e:  # noqa
        reply(fd, rid, 125, b"", ("agent: %r\n" % e).encode())
        return
    reply(fd, rid, rc, out, err)


def do_write(fd, rid, arg, data):
    try:
        mode, path = arg.decode().split(" ", 1)
        os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
        tmp = path + ".agent-tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, int(mode, 8))
        os.rename(tmp, path)
        reply(fd, rid, 0)
    except Exception as e:  # noqa
        reply(fd, rid, 1, b"", ("agent: %r\n" % e).encode())


class Reader:
    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def fill(self):
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:          # host side not connected yet / reconnecting
            time.sleep(0.1)
        self.buf += chunk

    def line(self):
        while b"\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def main():
    while not os.path.exists(PORT):
        time.sleep(0.1)
    fd = os.open(PORT, os.O_RDWR)
    r = Reader(fd)
    sys.stderr.write("daxhp-e2e-agent: listening on %s\n" % PORT)
    while True:
        hdr = r.line().split()
        if len(hdr) != 5:
            continue  # resync on garbage
        rid, op, timeout, alen, dlen = hdr
        arg, data = r.take(int(alen)), r.take(int(dlen))
        if op == b"ping":
            reply(fd, rid, 0, b"pong\n")
        elif op == b"exec":
            threading.Thread(target=do_exec, daemon=True,
                             args=(fd, rid, float(timeout), arg, data)).start()
        elif op == b"write":
            do_write(fd, rid, arg, data)
        else:
            reply(fd, rid, 127, b"", b"agent: unknown op\n")


if __name__ == "__main__":
    main()
