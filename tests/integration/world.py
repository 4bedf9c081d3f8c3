# SPDX-License-Identifier: LGPL-2.1-or-later
"""One test's world: fake kernel + private bus + daxhpd + daxhpctl."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from fakekernel import FakeKernel

DAXHPD = os.environ.get('DAXHPD') or os.path.join(harness.BUILD, 'daemon', 'daxhpd')
DAXHPCTL = os.environ.get('DAXHPCTL') or os.path.join(harness.BUILD, 'daemon', 'ctl', 'daxhpctl')

# DAXHP_VALGRIND=1 runs daxhpd under memcheck (tests/run-all.sh valgrind stage):
# a daemon that exits through SIGTERM must leave no error and no definite leak.
VALGRIND = os.environ.get('DAXHP_VALGRIND') == '1'
VALGRIND_ARGS = ['valgrind', '--error-exitcode=99', '--leak-check=full',
                 '--errors-for-leak-kinds=definite', '--track-fds=no']
SLOWDOWN = 5 if VALGRIND else 1

# Loosened bus policy, to prove the daemon checks credentials itself.
PERMISSIVE = '''
  <policy context="default">
    <allow send_destination="org.daxhp1"/>
  </policy>
</busconfig>
'''


class World:
    def __init__(self, policies=None, permissive_bus=False, online_reports='online', bus_conf_extra=''):
        self.tmp = tempfile.mkdtemp(prefix='daxhp-it-')
        self.fk = FakeKernel(online_reports=online_reports)
        self.policy_dir = os.path.join(self.tmp, 'policy')
        self.state_dir = os.path.join(self.tmp, 'state')
        # /etc, /usr/lib (udev rules, daxctl.conf.d) and /proc as daxhpd sees
        # them (--host-root): a roomy host, so the safety checks never get in
        # the way of tests that are not about them (test_safety.py).
        self.host_root = os.path.join(self.tmp, 'host')
        self.set_host_memory()
        os.makedirs(self.policy_dir)
        for name, text in (policies or {}).items():
            self.write_policy(name, text)
        self.bus = harness.Bus(self.tmp)
        if permissive_bus or bus_conf_extra:
            orig = harness.BUS_CONF
            harness.BUS_CONF = orig.replace('</busconfig>\n', bus_conf_extra + '</busconfig>\n')
            if permissive_bus:
                harness.BUS_CONF = harness.BUS_CONF.replace('</busconfig>\n', PERMISSIVE)
            try:
                self.bus.start()
            finally:
                harness.BUS_CONF = orig
        else:
            self.bus.start()
        self.daemon = None
        self.pids = []
        self.daemon_log = os.path.join(self.tmp, 'daxhpd.log')
        # The fleet files (test_fleet.py) go below tmp, never to the host's
        # /var/lib/prometheus or /etc/kubernetes.
        self.metrics_file = os.path.join(self.tmp, 'node-exporter', 'daxhp.prom')
        self.nfd_file = os.path.join(self.tmp, 'nfd', 'features.d', 'daxhp')
        os.makedirs(os.path.dirname(self.metrics_file))
        os.makedirs(os.path.dirname(self.nfd_file))
        self.monitors = []

    # host -------------------------------------------------------------------
    def host_file(self, rel, text):
        path = os.path.join(self.host_root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def set_host_memory(self, total=64 << 30, free=32 << 30, available=48 << 30,
                        kernel=64 << 30, movable=0):
        """/proc/meminfo and /proc/zoneinfo (bytes) of the daemon's host root."""
        self.host_file('proc/meminfo', 'MemTotal: %d kB\nMemFree: %d kB\nMemAvailable: %d kB\n'
                       % (total >> 10, free >> 10, available >> 10))
        self.host_file('proc/zoneinfo', 'Node 0, zone   Normal\n        present  %d\n'
                       'Node 1, zone  Movable\n        present  %d\n' % (kernel >> 12, movable >> 12))

    # policy ------------------------------------------------------------------
    def write_policy(self, name, text):
        with open(os.path.join(self.policy_dir, name), 'w') as f:
            f.write(text)

    # daemon ------------------------------------------------------------------
    def env(self):
        e = self.fk.env()
        e['DBUS_SYSTEM_BUS_ADDRESS'] = self.bus.address
        return e

    def start_daemon(self, timeout=20, debug=True):
        if not os.access(DAXHPD, os.X_OK):
            raise RuntimeError('daxhpd not built: %s' % DAXHPD)
        log = open(self.daemon_log, 'a')
        cmd = [DAXHPD, '--log-target=journal'] + (['--debug'] if debug else []) + [
               '--policy-dir=' + self.policy_dir, '--state-dir=' + self.state_dir,
               '--host-root=' + self.host_root, '--metrics-file=' + self.metrics_file,
               '--nfd-file=' + self.nfd_file]
        if VALGRIND:
            # one log per process: the forked step workers get their own
            cmd = VALGRIND_ARGS + ['--log-file=' + os.path.join(self.tmp, 'valgrind.%p.log')] + cmd
        self.daemon = subprocess.Popen(cmd, env=self.env(), stdout=log, stderr=log)
        log.close()
        self.pids.append(self.daemon.pid)
        deadline = time.monotonic() + timeout * SLOWDOWN
        # the name must belong to THIS daemon (after a kill -9 an old owner may linger)
        while self.bus.owner_pid('org.daxhp1') != self.daemon.pid:
            if self.daemon.poll() is not None:
                raise RuntimeError('daxhpd exited with %s:\n%s' % (self.daemon.returncode, self.log_text()))
            if time.monotonic() > deadline:
                raise TimeoutError('daxhpd did not take org.daxhp1:\n' + self.log_text())
            time.sleep(0.05)
        return self.daemon

    def kill_daemon(self, sig=signal.SIGKILL):
        self.daemon.send_signal(sig)
        self.daemon.wait(30 * SLOWDOWN)
        if sig == signal.SIGTERM:
            self.check_valgrind()

    def check_valgrind(self):
        """Under DAXHP_VALGRIND: fail on a daemon (or worker) memcheck error."""
        if not VALGRIND:
            return
        reports = ''
        for f in sorted(os.listdir(self.tmp)):
            if not f.startswith('valgrind.'):
                continue
            with open(os.path.join(self.tmp, f)) as fh:
                text = fh.read()
            # memcheck's own count; a process SIGKILLed has none to give
            m = re.search(r'ERROR SUMMARY: (\d+) errors', text)
            errors = int(m.group(1)) if m else 0
            if 'Process terminating with default action of signal' in text:
                # a step worker stopped on purpose (timeout, daemon stop): what its
                # frames held when it died is no leak; any other error still counts
                errors -= len(re.findall(r'are definitely lost in loss record', text))
            if errors > 0:
                reports += '--- %s:\n%s' % (f, text)
        if reports or self.daemon.returncode == 99:
            raise AssertionError('valgrind found errors in daxhpd (exit %s):\n%s'
                                 % (self.daemon.returncode, reports))

    def log_text(self):
        """The daemon's stderr, its journal messages and its exit status."""
        out = ''
        if self.daemon:
            try:
                self.daemon.wait(2)
            except subprocess.TimeoutExpired:
                pass
        try:
            with open(self.daemon_log) as f:
                out = f.read()[-3000:]
        except OSError:
            pass
        subprocess.run(['journalctl', '--sync'], capture_output=True, timeout=30, env=harness.clean_env())
        for pid in self.pids:
            r = subprocess.run(['journalctl', '--no-pager', '-o', 'cat', '_PID=%d' % pid],
                               capture_output=True, text=True, timeout=30, env=harness.clean_env())
            out += '--- journal of daxhpd pid %d:\n%s' % (pid, r.stdout[-5000:])
        if self.daemon:
            try:
                self.daemon.wait(2)
            except subprocess.TimeoutExpired:
                pass
        if self.daemon and self.daemon.poll() is None:
            try:
                with open('/proc/%d/stat' % self.daemon.pid) as f:
                    st = f.read().split(')')[-1].split()[0]
                with open('/proc/%d/wchan' % self.daemon.pid) as f:
                    out += '--- daxhpd still running, state %s in %s\n' % (st, f.read())
            except OSError:
                pass
        if self.daemon and self.daemon.poll() is not None:
            out += '--- daxhpd exited with status %s\n' % self.daemon.returncode
        return out

    def close(self):
        for m in self.monitors:
            harness.stop(m)
        try:
            if self.daemon:
                harness.stop(self.daemon, timeout=10 * SLOWDOWN)
                self.check_valgrind()
        finally:
            self.bus.stop()
            self.fk.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # clients -------------------------------------------------------------------
    def ctl(self, *args, user=None, timeout=60):
        cmd = [DAXHPCTL] + list(args)
        if user:
            cmd = ['setpriv', '--reuid=' + user, '--regid=nogroup', '--clear-groups'] + cmd
        env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=self.bus.address)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)

    def ctl_start(self, *args):
        """daxhpctl args in the background (a call to wait on, or to kill mid-call)."""
        env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=self.bus.address)
        return subprocess.Popen([DAXHPCTL] + list(args), env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def ctl_json(self, *args):
        r = self.ctl('--json', *args)
        if r.returncode != 0:
            raise AssertionError('daxhpctl %s failed (%d): %s\n%s' % (' '.join(args), r.returncode, r.stderr,
                                                                     self.log_text()))
        docs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        if not docs:
            # Was a fake-kernel bug (minifuse closed a removed attribute's fd while its
            # thread still read it, and the thread then read this pipe). Keep the evidence.
            raise AssertionError('daxhpctl --json %s printed nothing (rc 0), stderr: %r\n%s' %
                                 (' '.join(args), r.stderr, self.log_text()))
        return docs

    def devices(self):
        return {d['Name']: d for d in self.ctl_json('list')[0]}

    def device(self, name):
        return self.ctl_json('status', name)[0]

    def manager(self):
        return self.ctl_json('status')[0]

    def busctl(self, *args, timeout=60):
        env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=self.bus.address)
        return subprocess.run(['busctl', '--system'] + list(args), capture_output=True,
                              text=True, timeout=timeout, env=env)

    def wait_device(self, name, timeout=20, **props):
        """Wait until device `name` exists with all given property values."""
        last = {}

        def ok():
            nonlocal last
            last = self.devices().get(name)
            return last is not None and all(last.get(k) == v for k, v in props.items())
        try:
            harness.wait_for(ok, timeout * SLOWDOWN, step=0.1, what='%s %s' % (name, props))
        except TimeoutError:
            raise AssertionError('%s never reached %s; last seen %s\n--- fake kernel writes: %s\n--- daemon log:\n%s'
                                 % (name, props, last, self.fk.writes[-10:], self.log_text()))
        return last

    def wait_gone(self, name, timeout=20):
        harness.wait_for(lambda: name not in self.devices(), timeout * SLOWDOWN, step=0.1,
                         what='%s to disappear' % name)


# One private journald per test module: setUpModule = start_journal.
_journal = None


def start_journal():
    global _journal
    _journal = harness.Journal().start()


def stop_journal():
    global _journal
    if _journal:
        _journal.stop()
        _journal = None


class WorldTestCase(unittest.TestCase):
    """A test case with at most one World, closed after each test."""

    def setUp(self):
        self.w = None

    def tearDown(self):
        if self.w:
            self.w.close()

    def world(self, **kw):
        self.w = World(**kw)
        return self.w

    def audit(self, *matches):
        """The current daemon's journal records matching FIELD=value."""
        return _journal.records('_PID=%d' % self.w.daemon.pid, *matches)
