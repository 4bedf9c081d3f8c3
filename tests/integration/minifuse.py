# SPDX-License-Identifier: LGPL-2.1-or-later
"""A minimal FUSE server (stdlib only) that serves ONE regular file.

The fake kernel mounts one of these over each dax device's `hotplug`
attribute inside the umockdev testbed.  Unlike a plain file, a FUSE file
lets the test play the kernel faithfully:

  * write(2) blocks until the handler decides (slow steps are real);
  * write(2) fails with the errno the handler returns (EBUSY, EINVAL, ...);
  * a signal to the writer reaches the handler as FUSE_INTERRUPT, so the
    handler can roll back and return EINTR like the series does;
  * read(2) always returns the live state (direct I/O, no caching).

Handler protocol (object passed to FileServer):
    read() -> bytes
    write(data: bytes, req: Request) -> None or raise OSError(errno)
        req.interrupted is a threading.Event set when the writer is signalled.
"""

import ctypes
import ctypes.util
import errno
import os
import stat
import struct
import threading

FUSE_LOOKUP = 1
FUSE_FORGET = 2
FUSE_GETATTR = 3
FUSE_SETATTR = 4
FUSE_OPEN = 14
FUSE_READ = 15
FUSE_WRITE = 16
FUSE_STATFS = 17
FUSE_RELEASE = 18
FUSE_FLUSH = 25
FUSE_INIT = 26
FUSE_INTERRUPT = 36
FUSE_DESTROY = 38
FUSE_BATCH_FORGET = 42

FOPEN_DIRECT_IO = 1 << 0
FUSE_ATOMIC_O_TRUNC = 1 << 3

IN_HDR = struct.Struct('=IIQQIIIHH')   # len opcode unique nodeid uid gid pid extlen pad
OUT_HDR = struct.Struct('=IiQ')        # len error unique
ATTR = struct.Struct('=QQQQQQIIIIIIIIII')

_libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MS_NOSUID = 2
MS_NODEV = 4
MNT_DETACH = 2


SYS_openat = 257          # x86_64
AT_FDCWD = -100
_libc.syscall.restype = ctypes.c_long


def _open_dev_fuse():
    """open("/dev/fuse") past libumockdev-preload: the preload (loaded in
    the test process) tracks every /dev fd in a table of 50 and aborts the
    process beyond that, and a burst bench mounts hundreds."""
    fd = _libc.syscall(ctypes.c_long(SYS_openat), ctypes.c_int(AT_FDCWD), b'/dev/fuse',
                       ctypes.c_int(os.O_RDWR | os.O_CLOEXEC))
    if fd < 0:
        e = ctypes.get_errno()
        raise OSError(e, 'open /dev/fuse: ' + os.strerror(e))
    return fd


class Request:
    def __init__(self, unique, pid):
        self.unique = unique
        self.pid = pid
        self.interrupted = threading.Event()


class FileServer:
    def __init__(self, path, handler, mode=0o644):
        self.path = path
        self.handler = handler
        self.mode = mode
        self.fd = _open_dev_fuse()
        self.pending = {}
        self.lock = threading.Lock()
        self.wlock = threading.Lock()
        opts = 'fd=%d,rootmode=%o,user_id=0,group_id=0,allow_other' % (
            self.fd, stat.S_IFREG | mode)
        if _libc.mount(b'daxhp-fake-kernel', path.encode(), b'fuse',
                       MS_NOSUID | MS_NODEV, opts.encode()) != 0:
            e = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(e, 'mount fuse on %s: %s' % (path, os.strerror(e)))
        self.mounted = True
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name='fuse:' + path)
        self.thread.start()

    def close(self):
        """Detach the mount; the server thread closes /dev/fuse when it ends.

        The fd must stay ours until the thread is gone: while the mount is
        busy (the daemon has the file open) the thread still reads requests
        and writes replies on self.fd, so closing it here would hand its
        number to the next open() or pipe() of this process (a daxhpctl
        stdout pipe, say) and the thread would read that pipe dry. Requests
        that still arrive get ENODEV, like a removed device's attribute.
        """
        if self.mounted:
            self.mounted = False
            _libc.umount2(self.path.encode(), MNT_DETACH)

    def _close_fd(self):
        with self.wlock:
            fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)

    # --- replies -------------------------------------------------------
    def _reply(self, unique, err=0, payload=b''):
        buf = OUT_HDR.pack(OUT_HDR.size + len(payload), -err if err else 0,
                           unique) + payload
        with self.wlock:
            if self.fd < 0:
                return
            try:
                os.write(self.fd, buf)
            except OSError:
                pass  # request was aborted (e.g. interrupted and gone)

    def _attr(self):
        a = ATTR.pack(1, 4096, 8, 0, 0, 0, 0, 0, 0,
                      stat.S_IFREG | self.mode, 1, 0, 0, 0, 4096, 0)
        return struct.pack('=QII', 0, 0, 0) + a

    # --- main loop -----------------------------------------------------
    def _loop(self):
        try:
            self._serve()
        finally:
            self._close_fd()

    def _serve(self):
        while True:
            try:
                buf = os.read(self.fd, 1 << 20 | 4096)
            except OSError as e:
                if e.errno in (errno.EINTR, errno.EAGAIN, errno.ENOENT):
                    continue
                return  # ENODEV: the detached mount's last user went away
            if not buf:
                return
            (ln, op, unique, nodeid, uid, gid, pid, _e, _p) = IN_HDR.unpack_from(buf)
            body = buf[IN_HDR.size:ln]
            try:
                self._dispatch(op, unique, pid, body)
            except Exception as e:  # never kill the server thread
                import traceback
                traceback.print_exc()
                self._reply(unique, errno.EIO)

    def _dispatch(self, op, unique, pid, body):
        if op == FUSE_INIT:
            major, minor, readahead, flags = struct.unpack_from('=IIII', body)
            out = struct.pack('=IIIIHHIIHHII', 7, 31, readahead,
                              flags & FUSE_ATOMIC_O_TRUNC, 16, 12, 65536, 1,
                              0, 0, 0, 0) + b'\0' * 24
            self._reply(unique, 0, out)
        elif op in (FUSE_GETATTR, FUSE_SETATTR):
            self._reply(unique, 0, self._attr())
        elif not self.mounted and op in (FUSE_OPEN, FUSE_READ, FUSE_WRITE):
            self._reply(unique, errno.ENODEV)
        elif op == FUSE_OPEN:
            self._reply(unique, 0, struct.pack('=QII', 0, FOPEN_DIRECT_IO, 0))
        elif op == FUSE_READ:
            fh, off, size = struct.unpack_from('=QQI', body)
            if getattr(self.handler, 'slow_read', False):
                # a read that sleeps must not hold up this loop (INTERRUPT, other requests)
                threading.Thread(target=self._do_read, args=(unique, off, size), daemon=True).start()
            else:
                self._do_read(unique, off, size)
        elif op == FUSE_WRITE:
            fh, off, size = struct.unpack_from('=QQI', body)
            data = body[40:40 + size]
            req = Request(unique, pid)
            with self.lock:
                self.pending[unique] = req
            threading.Thread(target=self._do_write, args=(req, data, size),
                             daemon=True).start()
        elif op == FUSE_INTERRUPT:
            (target,) = struct.unpack_from('=Q', body)
            with self.lock:
                req = self.pending.get(target)
            if req:
                req.interrupted.set()
            # no reply to INTERRUPT when the request is known
        elif op in (FUSE_FLUSH, FUSE_RELEASE):
            self._reply(unique, 0)
        elif op == FUSE_STATFS:
            self._reply(unique, 0, b'\0' * 80)
        elif op in (FUSE_FORGET, FUSE_BATCH_FORGET):
            pass
        elif op == FUSE_DESTROY:
            self._reply(unique, 0)
        else:
            self._reply(unique, errno.ENOSYS)

    def _do_read(self, unique, off, size):
        try:
            data = self.handler.read()
        except OSError as e:
            self._reply(unique, e.errno or errno.EIO)
            return
        self._reply(unique, 0, data[off:off + size])

    def _do_write(self, req, data, size):
        try:
            self.handler.write(data, req)
        except OSError as e:
            err = e.errno or errno.EIO
        else:
            err = 0
        with self.lock:
            self.pending.pop(req.unique, None)
        self._reply(req.unique, err, b'' if err else struct.pack('=II', size, 0))
