#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""vm.connect_unix() waits for a socket that exists before it listens, as
QEMU's `-chardev socket,server=on` socket does: connecting at once fails with
ConnectionRefusedError, which once broke demo/run.sh."""
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

failed = 0


def check(ok, name):
    global failed
    print("%s %s" % ("ok" if ok else "not ok", name))
    failed += 0 if ok else 1


print("TAP version 13\n1..3")
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "agent.sock")

    # Bound but not listening: the state that refused the demo's connect.
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(path)
        refused = False
    except ConnectionRefusedError:
        refused = True
    check(refused, "a bound, not listening socket refuses (the race exists)")

    threading.Timer(0.3, srv.listen).start()
    try:
        c = vm.connect_unix(path, time.monotonic() + 30)
        c.close()
        check(True, "connect_unix retries until the socket listens")
    except Exception as e:  # noqa: BLE001
        check(False, "connect_unix retries until the socket listens: %r" % e)
    srv.close()

    try:
        vm.connect_unix(os.path.join(d, "never"), time.monotonic() + 0.2)
        check(False, "a socket that never appears raises Timeout")
    except vm.Timeout:
        check(True, "a socket that never appears raises Timeout")
sys.exit(1 if failed else 0)
