#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Delegation through polkit (issue 12): non-root callers of the mutating
methods are authorized by the action org.daxhp1.manage, asked of a fake
polkit authority (fakepolkit.py) on the private test bus; root never asks.

Run one test:   test_polkit.py TestPolkit.test_polkit_decides_for_non_root
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.enter_namespace()

import world as worldmod  # noqa: E402

ALLOWED, REFUSED = '4711', '4712'
HUMAN = 'access denied, managing dax memory requires authorization (org.daxhp1.manage).'
DEVICE_IFACE = 'org.daxhp1.Device'
PATH0 = '/org/daxhp1/device/dax0_2e0'

# What polkitd's own bus policy (org.freedesktop.PolicyKit1.conf) allows.
POLKIT_BUS_CONF = '''
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
'''


def add_test_users():
    """Two users for this mount namespace only (bind mounts over /etc/passwd
    and /etc/group): dbus-daemon refuses a connection whose uid it cannot
    look up, and polkit rules name users and groups."""
    tmp = tempfile.mkdtemp(prefix='daxhp-it-users-')
    for name, extra in (('passwd', ['daxhp-allowed:x:%s:%s::/nonexistent:/usr/sbin/nologin' % (ALLOWED, ALLOWED),
                                    'daxhp-refused:x:%s:%s::/nonexistent:/usr/sbin/nologin' % (REFUSED, REFUSED)]),
                        ('group', ['daxhp-allowed:x:%s:' % ALLOWED, 'daxhp-refused:x:%s:' % REFUSED])):
        path = os.path.join(tmp, name)
        with open('/etc/' + name) as f, open(path, 'w') as out:
            out.write(f.read().rstrip('\n') + '\n' + '\n'.join(extra) + '\n')
        os.chmod(path, 0o644)
        subprocess.run(['mount', '--bind', path, '/etc/' + name], check=True)


def setUpModule():
    add_test_users()
    worldmod.start_journal()


def tearDownModule():
    worldmod.stop_journal()


class TestPolkit(worldmod.WorldTestCase):
    def polkit_world(self, answers=None, default='no', delay=None, start=True):
        w = self.world(bus_conf_extra=POLKIT_BUS_CONF)
        self.pk_conf = os.path.join(w.tmp, 'polkit.json')
        self.pk_log = os.path.join(w.tmp, 'polkit.log')
        self.configure_polkit(answers or {}, default, delay or {})
        open(self.pk_log, 'w').close()
        if start:
            env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=w.bus.address)
            pk = subprocess.Popen(['/usr/bin/python3', os.path.join(os.path.dirname(__file__), 'fakepolkit.py'),
                                   self.pk_conf, self.pk_log], stdout=subprocess.PIPE, text=True, env=env)
            w.monitors.append(pk)  # stopped with the world
            self.assertEqual(pk.stdout.readline().strip(), 'ready')
        return w

    def configure_polkit(self, answers, default='no', delay=None):
        with open(self.pk_conf, 'w') as f:
            json.dump({'answers': answers, 'default': default, 'delay': delay or {}}, f)

    def polkit_calls(self):
        with open(self.pk_log) as f:
            return [json.loads(l) for l in f if l.strip()]

    def busctl_as(self, user, *args, timeout=60):
        cmd = ['setpriv', '--reuid=' + user, '--regid=nogroup', '--clear-groups', 'busctl', '--system'] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=self.w.bus.address))

    def start(self, w, *devices):
        for d in devices or ('dax0.0',):
            w.fk.add_device(d, provider='hmem', state='unplugged')
        w.start_daemon()
        for d in devices or ('dax0.0',):
            w.wait_device(d)

    def test_polkit_decides_for_non_root(self):
        w = self.polkit_world({ALLOWED: 'yes'})
        self.start(w)
        # authorized: set (waits for the transition), reset, reload
        r = w.ctl('set', 'dax0.0', 'online_movable', user=ALLOWED)
        self.assertEqual(r.returncode, 0, r.stderr + w.log_text())
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')
        rec = self.audit('DAXHP_EVENT=override-set')
        self.assertEqual(rec[-1]['DAXHP_CALLER_UID'], ALLOWED)
        for args in (('reset', 'dax0.0'), ('reload',)):
            r = w.ctl(*args, user=ALLOWED)
            self.assertEqual(r.returncode, 0, (args, r.stderr))
        # refused: one human line each, nothing written
        writes = len(w.fk.writes)
        for args in (('set', 'dax0.0', 'unplugged'), ('reset', 'dax0.0'), ('reload',)):
            r = w.ctl(*args, user=REFUSED)
            self.assertEqual(r.returncode, 1, args)
            self.assertEqual(r.stderr.splitlines(), ['Failed to %s: %s' % (' '.join(args[:2]), HUMAN)])
        self.assertEqual(len(w.fk.writes), writes)
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')
        # what polkit was asked: the caller's bus name as subject, the device and state as details
        calls = self.polkit_calls()
        self.assertEqual([(c['uid'], c['action'], c['kind']) for c in calls],
                         [(int(u), 'org.daxhp1.manage', 'system-bus-name') for u in [ALLOWED] * 3 + [REFUSED] * 3])
        self.assertEqual(calls[0]['details'], {'device': 'dax0.0', 'state': 'online_movable'})
        self.assertEqual(calls[1]['details'], {'device': 'dax0.0'})
        self.assertEqual(calls[2]['details'], {})
        self.assertTrue(all(c['name'].startswith(':') for c in calls), calls)
        # daxhpctl without a terminal does not allow interactive authorization
        self.assertEqual({c['flags'] for c in calls}, {0})

    def test_root_never_asks_polkit(self):
        w = self.polkit_world(default='no')
        self.start(w)
        for args in (('set', 'dax0.0', 'online_movable'), ('reset', 'dax0.0'), ('reload',)):
            r = w.ctl(*args)
            self.assertEqual(r.returncode, 0, (args, r.stderr))
        r = w.busctl('call', 'org.daxhp1', PATH0, DEVICE_IFACE, 'Apply')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.polkit_calls(), [])

    def test_polkit_not_running_denies_non_root(self):
        w = self.polkit_world(start=False)
        self.start(w)
        r = w.ctl('set', 'dax0.0', 'online', user=REFUSED)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines(), ['Failed to set dax0.0: ' + HUMAN])
        r = self.busctl_as(REFUSED, 'call', 'org.daxhp1', PATH0, DEVICE_IFACE, 'SetState', 's', 'online')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('polkit is not available', r.stderr)
        self.assertIn('uid %s' % REFUSED, r.stderr)
        # the typed error, as a bus client sees it
        r = self.busctl_as(REFUSED, '--json=short', 'call', 'org.daxhp1', '/org/daxhp1', 'org.daxhp1.Manager', 'Reload')
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(w.fk.writes, [])
        # root still works without polkit
        r = w.ctl('set', 'dax0.0', 'online_movable')
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_polkit_failure_challenge_and_interactive_flag(self):
        w = self.polkit_world({ALLOWED: 'challenge', REFUSED: 'error'})
        self.start(w)
        # busctl allows interactive authorization by default: flag 1 reaches polkit
        r = self.busctl_as(ALLOWED, 'call', 'org.daxhp1', PATH0, DEVICE_IFACE, 'SetState', 's', 'online')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('needs to authenticate', r.stderr)
        r = self.busctl_as(ALLOWED, '--allow-interactive-authorization=no', 'call', 'org.daxhp1', PATH0,
                           DEVICE_IFACE, 'SetState', 's', 'online')
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual([c['flags'] for c in self.polkit_calls()], [1, 0])
        # polkit failing the call: denied, with polkit's error named
        r = self.busctl_as(REFUSED, 'call', 'org.daxhp1', PATH0, DEVICE_IFACE, 'SetState', 's', 'online')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('org.freedesktop.PolicyKit1.Error.Failed', r.stderr)
        r = w.ctl('set', 'dax0.0', 'online', user=REFUSED)
        self.assertEqual(r.stderr.splitlines(), ['Failed to set dax0.0: ' + HUMAN])
        self.assertEqual(w.fk.writes, [])

    def test_event_loop_does_not_wait_on_polkit(self):
        # polkit takes 5 s to answer uid ALLOWED (a password typed slowly)
        w = self.polkit_world({ALLOWED: 'yes'}, delay={ALLOWED: 5})
        self.start(w, 'dax0.0', 'dax1.0')
        env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=w.bus.address)
        slow = subprocess.Popen(['setpriv', '--reuid=' + ALLOWED, '--regid=nogroup', '--clear-groups',
                                 worldmod.DAXHPCTL, 'set', 'dax0.0', 'online_movable'],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            harness.wait_for(lambda: self.polkit_calls(), 30, what='the polkit query')
            # while polkit thinks, the daemon answers reads and root's requests
            self.assertEqual(w.ctl('list').returncode, 0)
            r = w.busctl('get-property', 'org.daxhp1', PATH0, DEVICE_IFACE, 'State')
            self.assertEqual(r.stdout.strip(), 's "unplugged"')
            r = w.ctl('set', 'dax1.0', 'online_movable')
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(w.fk.state('dax1.0'), 'online_movable')
            self.assertIsNone(slow.poll(), 'the held call must still wait for polkit')
            self.assertEqual(w.fk.state('dax0.0'), 'unplugged')
            out, err = slow.communicate(timeout=60)
        finally:
            harness.stop(slow)
        self.assertEqual(slow.returncode, 0, err)
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')

    def test_stop_while_polkit_thinks_cancels_caller(self):
        w = self.polkit_world({ALLOWED: 'yes'}, delay={ALLOWED: 60})
        self.start(w)
        env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=w.bus.address)
        slow = subprocess.Popen(['setpriv', '--reuid=' + ALLOWED, '--regid=nogroup', '--clear-groups',
                                 'busctl', '--system', 'call', 'org.daxhp1', PATH0, DEVICE_IFACE, 'SetState', 's',
                                 'online_movable'],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            harness.wait_for(lambda: self.polkit_calls(), 30, what='the polkit query')
            w.kill_daemon(worldmod.signal.SIGTERM)
            out, err = slow.communicate(timeout=30)
        finally:
            harness.stop(slow)
        self.assertNotEqual(slow.returncode, 0)
        self.assertIn('stopping', err)
        self.assertEqual(w.fk.writes, [])


if __name__ == '__main__':
    unittest.main()
