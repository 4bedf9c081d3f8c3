# SPDX-License-Identifier: LGPL-2.1-or-later
"""Private world for the integration tests.

* `enter_namespace()` re-executes the test program in a private mount
  namespace (unshare -m) and lays tmpfs over /run and /var/log, so the
  private journald, the daemon's /run state and the FUSE mounts of the fake
  kernel vanish with the test and never touch the host.
* `Journal` runs a private systemd-journald there; `records(**match)`
  reads back `journalctl -o json` records.
* `Bus` runs a private `dbus-daemon` whose config <include>s the shipped
  dbus/org.daxhp1.conf (path from $DAXHP_SOURCE_ROOT).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get('DAXHP_SOURCE_ROOT',
                     os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))
BUILD = os.environ.get('DAXHP_BUILD_ROOT', os.path.join(SRC, 'build'))

NS_MARK = 'DAXHP_TEST_NAMESPACE'


def enter_namespace():
    """Re-exec into a private mount namespace with fresh /run and /var/log."""
    if os.environ.get(NS_MARK) != str(os.getpid()):
        if os.environ.get(NS_MARK):
            pass  # child of an already prepared namespace: fall through
        else:
            if os.geteuid() != 0:
                sys.exit('integration tests need root (mount namespace, FUSE, setpriv)')
            env = dict(os.environ)
            env[NS_MARK] = 'pending'
            # umockdev's uevent sender needs the preload in this process too;
            # it only redirects paths while UMOCKDEV_DIR is set (children we
            # start for the bus and the journal get a clean environment).
            pre = env.get('LD_PRELOAD', '')
            if 'libumockdev-preload' not in pre:
                env['LD_PRELOAD'] = ('libumockdev-preload.so.0 ' + pre).strip()
            # -n: a private network namespace only to raise its AF_UNIX
            # datagram queue (umockdev's uevent sockets): the kernel's
            # netlink buffers are large, a burst of block uevents is normal.
            os.execvpe('unshare', ['unshare', '-m', '-n', '--propagation', 'private',
                                   sys.executable] + sys.argv, env)
    if os.environ.get(NS_MARK) == 'pending':
        with open('/proc/sys/net/unix/max_dgram_qlen', 'w') as f:
            f.write('4096\n')
        for d in ('/run', '/var/log'):
            subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', d], check=True)
        os.makedirs('/var/log/journal', exist_ok=True)
        os.makedirs('/run/systemd', exist_ok=True)
        # the fuse control fs lets a stuck fake kernel be aborted
        subprocess.run(['mount', '-t', 'fusectl', 'none', '/sys/fs/fuse/connections'],
                       stderr=subprocess.DEVNULL)
        os.environ[NS_MARK] = str(os.getpid())


def clean_env(**extra):
    """Environment without the umockdev preload."""
    e = dict(os.environ)
    e.pop('LD_PRELOAD', None)
    e.pop('UMOCKDEV_DIR', None)
    e.update(extra)
    return e


def wait_for(pred, timeout, step=0.02, what='condition'):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError('timed out waiting for ' + what)
        time.sleep(step)


def stop(proc, sig=signal.SIGTERM, timeout=10):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Journal:
    BIN = '/lib/systemd/systemd-journald'

    def __init__(self):
        self.proc = None

    def start(self):
        if not os.path.exists(self.BIN):
            raise RuntimeError('systemd-journald not installed')
        sock = '/run/systemd/journal/socket'
        self.proc = subprocess.Popen([self.BIN], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=clean_env())
        wait_for(lambda: os.path.exists(sock), 10, what='journald socket')
        return self

    def stop(self):
        stop(self.proc)

    def sync(self):
        subprocess.run(['journalctl', '--sync'], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30, env=clean_env())

    def records(self, *matches):
        """Records matching all FIELD=value strings, oldest first."""
        self.sync()
        r = subprocess.run(['journalctl', '--no-pager', '-o', 'json', '--all'] + list(matches),
                           capture_output=True, text=True, timeout=30, env=clean_env())
        out = []
        for line in r.stdout.splitlines():
            line = line.strip()
            if line.startswith('{'):
                out.append(json.loads(line))
        return out


BUS_CONF = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- the stock system bus default policy (see /usr/share/dbus-1/system.conf) -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Debug.Stats"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.systemd1.Activator"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.systemd1.Activator"/>
  </policy>
  <limit name="max_replies_per_connection">1024</limit>
  <!-- the policy this project ships -->
  <include>{shipped}</include>
</busconfig>
'''


class Bus:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, 'bus')
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(workdir, 0o755)
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, 'system_bus_socket')
        self.address = 'unix:path=' + self.socket
        self.shipped = os.path.join(SRC, 'dbus', 'org.daxhp1.conf')
        self.proc = None

    def start(self):
        conf = os.path.join(self.dir, 'bus.conf')
        with open(conf, 'w') as f:
            f.write(BUS_CONF.format(socket=self.socket, shipped=self.shipped))
        self.proc = subprocess.Popen(['dbus-daemon', '--config-file=' + conf, '--nofork',
                                      '--nopidfile', '--print-address'],
                                     stdout=subprocess.PIPE, text=True, env=clean_env())
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('dbus-daemon did not start (config %s)' % conf)
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'] = self.address
        return self

    def stop(self):
        stop(self.proc)

    def has_name(self, name):
        r = subprocess.run(['busctl', '--system', 'status', name],
                           capture_output=True, text=True, timeout=10,
                           env=clean_env(DBUS_SYSTEM_BUS_ADDRESS=self.address))
        return r.returncode == 0

    def owner_pid(self, name):
        r = subprocess.run(['busctl', '--system', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                            'org.freedesktop.DBus', 'GetConnectionUnixProcessID', 's', name],
                           capture_output=True, text=True, timeout=10,
                           env=clean_env(DBUS_SYSTEM_BUS_ADDRESS=self.address))
        if r.returncode != 0 or not r.stdout.startswith('u '):
            return None
        return int(r.stdout.split()[1])

    def wait_name(self, name, timeout):
        # busctl 252 has no "wait": poll NameHasOwner
        wait_for(lambda: self.has_name(name), timeout, step=0.05, what='bus name ' + name)
