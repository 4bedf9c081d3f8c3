#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of operating daxhpd (issue 12): activation, daxhpctl's
conventions, honest reload, wait. Same world as test_daxhpd.py: the real
daxhpd on a private bus against the fake kernel.

Run one test:   test_operator.py TestOperator.test_read_only_verbs_do_not_activate
"""

import errno
import json
import os
import pty
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.enter_namespace()

import world as worldmod  # noqa: E402

VERBS = ['list', 'status', 'set', 'reset', 'reload', 'monitor', 'wait', 'check', 'verify', 'explain', 'plan']
NO_BUS = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS='unix:path=/nonexistent/bus')


def strict_json(text):
    """json.loads that rejects what Python's json module tolerates (NaN,
    Infinity, duplicate keys) and any byte that is not UTF-8."""
    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError('duplicate key in %s' % keys)
        return dict(pairs)

    def no_constant(c):
        raise ValueError('non-JSON constant %s' % c)
    return json.loads(text, object_pairs_hook=no_dupes, parse_constant=no_constant)


def run_ctl(args, env, timeout=30):
    r = subprocess.run([worldmod.DAXHPCTL] + list(args), capture_output=True, timeout=timeout, env=env)
    return r.returncode, r.stdout, r.stderr.decode(errors='replace')

MOVABLE_HMEM = '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'


setUpModule = worldmod.start_journal
tearDownModule = worldmod.stop_journal


class TestOperator(worldmod.WorldTestCase):
    def activatable_world(self):
        """A world whose bus can activate org.daxhp1: the activation runs a
        script that only leaves a marker file (and never takes the name)."""
        tmp = os.path.join('/tmp', 'daxhp-act-%d' % os.getpid())
        os.makedirs(tmp, exist_ok=True)
        os.chmod(tmp, 0o755)
        marker = os.path.join(tmp, 'activated')
        script = os.path.join(tmp, 'activate.sh')
        with open(script, 'w') as f:
            f.write('#!/bin/sh\necho "$$" >> %s\n' % marker)
        os.chmod(script, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        svcdir = os.path.join(tmp, 'services')
        os.makedirs(svcdir, exist_ok=True)
        with open(os.path.join(svcdir, 'org.daxhp1.service'), 'w') as f:
            f.write('[D-BUS Service]\nName=org.daxhp1\nExec=%s\nUser=root\n' % script)
        orig = harness.BUS_CONF
        harness.BUS_CONF = orig.replace('</busconfig>\n', '  <servicedir>%s</servicedir>\n  <limit name="service_start_timeout">3000</limit>\n</busconfig>\n' % svcdir)
        try:
            w = self.world()
        finally:
            harness.BUS_CONF = orig
        self.addCleanup(lambda: [os.unlink(os.path.join(r, f)) for r, _, fs in os.walk(tmp) for f in fs])
        return w, marker

    # ---------------------------------------------------------------------
    def test_read_only_verbs_do_not_activate(self):
        w, marker = self.activatable_world()
        # The setup activates: a plain bus call (auto-start) runs the script.
        r = w.busctl('--timeout=3', 'get-property', 'org.daxhp1', '/org/daxhp1',
                     'org.daxhp1.Manager', 'Version')
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(harness.wait_for(lambda: os.path.exists(marker), 10),
                        'the bus did not activate org.daxhp1 for busctl: the test proves nothing')
        os.unlink(marker)
        for args in (['list'], ['status'], ['status', 'dax0.0'], ['--json', 'list'],
                     ['reload'], ['set', 'dax0.0', 'online'], ['reset', 'dax0.0']):
            r = w.ctl(*args, timeout=30)
            self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
            self.assertIn('daxhpd is not running', r.stderr, args)
            self.assertEqual(r.stdout, '', args)
            self.assertFalse(os.path.exists(marker), 'daxhpctl %s activated the daemon' % ' '.join(args))

    def test_help_and_usage_errors_without_daemon(self):
        # No bus at all: --help must never get as far as connecting.
        for v in VERBS:
            for h in ('--help', '-h'):
                rc, out, err = run_ctl([v, h], NO_BUS)
                self.assertEqual(rc, 0, (v, h, err))
                self.assertTrue(out.decode().startswith('daxhpctl [OPTIONS...] %s' % v), (v, out))
                self.assertEqual(err, '', v)
        rc, out, _ = run_ctl(['--help'], NO_BUS)
        self.assertEqual(rc, 0)
        for v in VERBS:
            self.assertIn('  %s ' % v, out.decode())
        # Usage errors: exit 2, as daxhpctl(1) says, for every verb.
        for args in (['bogus'], ['--bogus', 'list'], ['list', '--bogus'], ['--json=yaml', 'list'],
                     ['set'], ['set', 'dax0.0'], ['set', 'a', 'b', 'c'], ['reset'], ['reload', 'x'],
                     ['monitor', 'x'], ['wait', '--timeout=soon'], ['wait', '--bogus'],
                     ['verify', '--bogus'], ['explain'], ['explain', 'a', 'b'], ['plan', 'x'],
                     ['plan', '--bogus'], ['status', '--bogus'], ['check', 'x']):
            rc, out, err = run_ctl(args, NO_BUS)
            self.assertEqual(rc, 2, (args, out, err))

    def test_reload_reports_rejected_files(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        self.assertEqual(w.manager()['PolicyErrors'], [])
        w.write_policy('40-broken.conf', '[Match]\nProvider=pmem\n\n[Policy]\nState=sideways\n')
        r = w.ctl('reload')
        self.assertEqual(r.returncode, 1, r.stderr)
        broken = os.path.join(w.policy_dir, '40-broken.conf')
        self.assertRegex(r.stderr, '(?m)^%s:5: .*sideways' % broken)
        # On the bus, in status and in status --json.
        m = w.manager()
        self.assertEqual([(e['File'], e['Line']) for e in m['PolicyErrors']], [(broken, 5)])
        self.assertIn('sideways', m['PolicyErrors'][0]['Message'])
        r = w.ctl('status')
        self.assertRegex(r.stdout, r'(?m)^ +PolicyErrors: *$\n +%s:5: ' % broken)
        r = w.busctl('get-property', 'org.daxhp1', '/org/daxhp1', 'org.daxhp1.Manager', 'PolicyErrors')
        self.assertTrue(r.stdout.startswith('a(sus) 1 "%s" 5 ' % broken), r.stdout)
        # The valid file still applies; fixing the broken one clears the errors.
        self.assertEqual(w.device('dax0.0')['State'], 'online_movable')
        os.unlink(broken)
        r = w.ctl('reload')
        self.assertEqual((r.returncode, r.stderr), (0, ''))
        self.assertEqual(w.manager()['PolicyErrors'], [])

    def test_wait_until_initial_transitions_finish(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.fk.add_device('dax1.0', provider='hmem', state='unplugged')
        w.fk.set_delay('dax1.0', 0.3)            # 8 blocks: a few seconds
        # Started before the daemon: waits for it, then for its transitions.
        waiter = w.ctl_start('wait', '--timeout=120')
        try:
            time.sleep(0.5)
            self.assertIsNone(waiter.poll(), 'wait returned before daxhpd ran')
            w.start_daemon()
            out, err = waiter.communicate(timeout=120)
        finally:
            harness.stop(waiter)
        self.assertEqual(waiter.returncode, 0, err)
        # When wait returned, the kernel had done it all.
        self.assertEqual((w.fk.state('dax0.0'), w.fk.state('dax1.0')), ('online_movable', 'online_movable'))
        self.assertIn('dax1.0: online_movable', out)

    def test_wait_named_device_and_timeout(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.fk.add_device('dax1.0', provider='pmem', state='unplugged')   # no policy: idle
        w.fk.set_delay('dax0.0', 5.0)            # 40 s: far beyond the timeouts below
        w.start_daemon()
        w.fk.wait_inflight('dax0.0', 30)
        r = w.ctl('wait', 'dax1.0', '--timeout=60')
        self.assertEqual((r.returncode, r.stdout), (0, 'dax1.0: unplugged\n'), r.stderr)
        r = w.ctl('wait', 'dax0.0', '--timeout=1')
        self.assertEqual(r.returncode, 1)
        self.assertIn('Timeout waiting for dax devices: dax0.0 is running', r.stderr)
        r = w.ctl('wait', 'dax7.0', '--timeout=0.5')
        self.assertEqual(r.returncode, 1)
        self.assertIn('dax7.0 does not exist', r.stderr)
        r = w.ctl('-q', 'wait', '--timeout=0.5')
        self.assertEqual((r.returncode, r.stdout), (1, ''))
        self.assertIn('dax0.0 is running', r.stderr)
        w.fk.set_delay('dax0.0', 0)

    def test_list_patterns_and_legend(self):
        w = self.world()
        for n in ('dax0.0', 'dax1.0', 'dax1.1'):
            w.fk.add_device(n, provider='hmem', state='offline')
        w.start_daemon()
        w.wait_device('dax1.1')
        r = w.ctl('list', 'dax1.*')
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith('DEVICE'), lines)
        self.assertEqual([l.split()[0] for l in lines[1:3]], ['dax1.0', 'dax1.1'])
        self.assertIn('2 devices listed.', r.stdout)
        r = w.ctl('--no-legend', 'list', 'dax0.0', 'dax1.1', '--no-pager')
        self.assertEqual([l.split()[0] for l in r.stdout.splitlines()], ['dax0.0', 'dax1.1'])
        docs = w.ctl_json('list', 'dax1.0')
        self.assertEqual([d['Name'] for d in docs[0]], ['dax1.0'])
        # No command lists, as networkctl does; shared options still apply.
        self.assertEqual(w.ctl().stdout, w.ctl('list').stdout)
        r = w.ctl('--no-legend')
        self.assertEqual([l.split()[0] for l in r.stdout.splitlines()], ['dax0.0', 'dax1.0', 'dax1.1'])

    def test_every_json_output_is_strict_json(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        # A policy file name that is not UTF-8 must not make invalid JSON.
        with open(os.path.join(w.policy_dir.encode(), b'60-caf\xe9.conf'), 'w') as f:
            f.write('[Match]\nProvider=pmem\n\n[Policy]\nState=online\n')
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        env = w.fk.env(harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=w.bus.address))
        verbs = [['list'], ['status'], ['status', 'dax0.0'], ['set', 'dax0.0', 'online_kernel'],
                 ['reset', 'dax0.0'], ['reload'], ['wait'], ['verify', w.policy_dir],
                 ['explain', 'dax0.0'], ['plan'], ['plan', '--offline'],
                 ['--policy-dir', w.policy_dir, 'plan']]
        for mode in ('--json', '--json=short', '--json=pretty'):
            for args in verbs:
                if args[0] == '--policy-dir':
                    args = ['plan', '--policy-dir', w.policy_dir]
                rc, out, err = run_ctl([mode] + args, env, timeout=60)
                self.assertIn(rc, (0, 1), (mode, args, err))
                text = out.decode('utf-8')          # strict: raises on any invalid byte
                self.assertTrue(text.strip(), (mode, args, err))
                if mode == '--json=pretty':
                    docs = [strict_json(text)] if not text.startswith('{\n') or text.count('\n}\n') <= 1 \
                        else None
                    self.assertIsNotNone(docs, (mode, args, text))
                    self.assertIn('\n        ', text, (mode, args))
                else:
                    docs = [strict_json(l) for l in text.splitlines()]
                self.assertTrue(docs, (mode, args))
        # The name with the invalid byte appears, with U+FFFD for the byte.
        rc, out, _ = run_ctl(['--json', 'verify', w.policy_dir], env)
        paths = [f['Path'] for f in strict_json(out.decode())['Files']]
        self.assertTrue(any(p.endswith('60-caf\ufffd.conf') for p in paths), paths)

    def test_block_counts_show_partial_state(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM.replace(
            'State=online_movable', 'State=online_movable\nOnDrift=report')})
        w.fk.add_device('dax0.0', provider='hmem', state='online_movable')
        w.fk.add_device('dax1.0', provider='pmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        d = w.device('dax0.0')
        self.assertEqual((d['OnlineBlocks'], d['Blocks']), (8, 8))
        self.assertEqual((w.device('dax1.0')['OnlineBlocks'], w.device('dax1.0')['Blocks']), (0, 8))
        # Another actor offlines one block: the device is partly online, and says so.
        w.fk.drift('dax0.0', 5, 'offline')
        w.wait_device('dax0.0', State='offline', Transition='idle')
        d = w.device('dax0.0')
        self.assertEqual((d['OnlineBlocks'], d['Blocks']), (7, 8))
        r = w.ctl('--no-legend', 'list', 'dax0.0')
        self.assertEqual(r.stdout.split()[5:7], ['offline', '7/8'], r.stdout)
        r = w.ctl('status', 'dax0.0')
        self.assertRegex(r.stdout, r'(?m)^ +Blocks: 7 of 8 online$')
        r = w.busctl('get-property', 'org.daxhp1', '/org/daxhp1/device/dax0_2e0', 'org.daxhp1.Device',
                     'OnlineBlocks', 'Blocks')
        self.assertEqual(r.stdout.split(), ['u', '7', 'u', '8'])

    def test_block_counts_follow_uevents_not_reads(self):
        """OnlineBlocks is counted from the blocks' uevents: it moves while a
        step runs (the device itself is not re-read then), and a D-Bus Get
        reads no memoryN/state (a device of thousands of blocks must not make
        every Get walk them)."""
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        w.fk.set_delay('dax0.0', 0.3)
        r = w.ctl('set', 'dax0.0', 'unplugged', '--no-block')
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            d = w.device('dax0.0')
            seen.append(d['OnlineBlocks'])
            if d['Transition'] == 'idle' and d['State'] == 'unplugged':
                break
            time.sleep(0.1)
        w.fk.set_delay('dax0.0', 0)
        self.assertTrue(any(0 < n < 8 for n in seen), seen)
        self.assertEqual(seen, sorted(seen, reverse=True), 'blocks only go offline: %r' % seen)
        self.assertEqual(seen[-1], 0)
        w.ctl('set', 'dax0.0', 'online_movable')
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        self.assertEqual(w.device('dax0.0')['OnlineBlocks'], 8)
        # A block changed without its uevent: a Get does not go and read it.
        w.fk.send_uevents = False
        try:
            w.fk.drift('dax0.0', 3, 'offline')
            self.assertEqual(w.device('dax0.0')['OnlineBlocks'], 8)
        finally:
            w.fk.send_uevents = True
        w.fk.drift('dax0.0', 4, 'offline')
        w.wait_device('dax0.0', State='online_movable', Transition='idle', timeout=60)
        self.assertEqual(w.device('dax0.0')['OnlineBlocks'], 8)

    def test_set_no_block_and_reset_waits(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        w.fk.set_delay('dax0.0', 0.5)            # each of the 16 block steps (unplug, online)
        r = w.ctl('set', 'dax0.0', 'online_kernel', '--no-block')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r'dax0.0: (queued|running) -> online_kernel requested; '
                                   r'follow with: daxhpctl wait dax0.0')
        self.assertNotEqual(w.fk.state('dax0.0'), 'online_kernel', 'returned only when done')
        r = w.ctl('wait', 'dax0.0', '--timeout=120', timeout=150)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(w.fk.state('dax0.0'), 'online_kernel')
        # reset returns when policy's state is reached, not when the override is gone.
        r = w.ctl('reset', 'dax0.0', timeout=150)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')
        w.fk.set_delay('dax0.0', 0)

    def test_set_progress_and_interrupt(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        w.fk.set_delay('dax0.0', 0.4)
        master, slave = pty.openpty()
        env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=w.bus.address)
        setter = subprocess.Popen([worldmod.DAXHPCTL, 'set', 'dax0.0', 'unplugged'], env=env,
                                  stdout=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        seen = b''
        try:
            deadline = time.monotonic() + 60
            # Progress on the terminal: the blocks go offline one by one.
            while time.monotonic() < deadline and b'memory blocks online' not in seen:
                if select.select([master], [], [], 1)[0]:
                    seen += os.read(master, 4096)
            self.assertIn(b'dax0.0: online_movable -> unplugged, ', seen)
            self.assertRegex(seen.decode(errors='replace'), r'[0-8]/8 memory blocks online')
            setter.send_signal(signal.SIGINT)
            setter.wait(30)
            while select.select([master], [], [], 1)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            harness.stop(setter)
            os.close(master)
        self.assertEqual(setter.returncode, 130)
        text = seen.decode(errors='replace')
        self.assertIn('daxhpd carries on with dax0.0 -> unplugged', text)
        self.assertIn('daxhpctl wait dax0.0', text)
        # It did carry on.
        r = w.ctl('wait', 'dax0.0', '--timeout=120', timeout=150)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(w.fk.state('dax0.0'), 'unplugged')
        w.fk.set_delay('dax0.0', 0)

    def test_non_root_gets_one_human_line(self):
        w = self.world()
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0')
        for args in (['set', 'dax0.0', 'online'], ['reset', 'dax0.0'], ['reload']):
            r = w.ctl(*args, user='nobody')
            self.assertEqual(r.returncode, 1, args)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn('access denied, managing dax memory requires authorization (org.daxhp1.manage).',
                          r.stderr)
            self.assertNotIn('Rejected send message', r.stderr)
        self.assertEqual(w.fk.writes, [])

    def test_journal_fields_once_and_no_errno_zero(self):
        w = self.world(policies={'50-x.conf': '[Match]\nName=dax0.0\n[Policy]\nState=online_movable\n'})
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        # a line with an errno, to see ERRNO= where it belongs
        w.fk.inject_error('dax0.0', errno.EBUSY)
        w.ctl('set', 'dax0.0', 'online_kernel')
        recs = self.audit()
        self.assertTrue(recs)
        for r in recs:
            for field in ('CODE_FILE', 'CODE_LINE', 'ERRNO'):
                self.assertNotIsInstance(r.get(field), list, '%s twice: %s' % (field, r))
            self.assertNotEqual(r.get('ERRNO'), '0', r)
            if 'CODE_FILE' in r:
                self.assertRegex(r['CODE_FILE'], r'^daemon/[a-z-]+\.c$', r)
        running = [r for r in recs if r['MESSAGE'].startswith('daxhpd ') and ' running' in r['MESSAGE']]
        self.assertTrue(running and 'ERRNO' not in running[0], running)
        self.assertTrue(any(r.get('ERRNO') == str(errno.EBUSY) for r in recs),
                        [r['MESSAGE'] for r in recs])

    def test_property_match_reads_udev_database(self):
        # A property only a udev rule set (not in the kernel's uevent file):
        # udev keeps it in its database, /run/udev/data/+dax:NAME (no devnode
        # in the fake kernel) -- this test's own /run.
        os.makedirs('/run/udev/data', exist_ok=True)
        with open('/run/udev/data/+dax:dax0.0', 'w') as f:
            f.write('I:123\nE:ID_DAX_ROLE=fast tier\nE:DEVTYPE=overridden\nG:systemd\n')
        try:
            w = self.world(policies={'50-role.conf': '[Match]\nProperty="ID_DAX_ROLE=fast tier"\n'
                                                    '[Policy]\nState=online_movable\n'})
            w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
            w.fk.add_device('dax1.0', provider='hmem', state='unplugged')
            w.start_daemon()
            d = w.wait_device('dax0.0', State='online_movable', Transition='idle')
            self.assertTrue(d['PolicyFile'].endswith('50-role.conf'), d)
            self.assertEqual(w.devices()['dax1.0']['PolicyFile'], '')
        finally:
            os.unlink('/run/udev/data/+dax:dax0.0')

    def test_explain_says_when_daemon_holds_old_policy(self):
        # explain reads the default dirs from disk: /run/daxhp.d is one, and
        # this test's /run is private; the daemon reads the same dir.
        w = self.world()
        w.policy_dir = '/run/daxhp.d'
        os.makedirs(w.policy_dir, exist_ok=True)
        path = os.path.join(w.policy_dir, '50-x.conf')
        w.write_policy('50-x.conf', '[Match]\nName=dax0.0\n[Policy]\nState=online_movable\n')
        try:
            w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
            w.start_daemon()
            w.wait_device('dax0.0', State='online_movable', Transition='idle')

            def explain(*args):
                env = w.fk.env(harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=w.bus.address))
                r = subprocess.run([worldmod.DAXHPCTL] + list(args) + ['explain', 'dax0.0'],
                                   capture_output=True, text=True, timeout=60, env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                return r.stdout

            self.assertNotIn('changed after daxhpd loaded', explain())
            self.assertEqual(json.loads(explain('--json'))['StaleFiles'], [])
            # edited, not reloaded: explain shows the new file and says the daemon has the old one
            time.sleep(0.05)
            w.write_policy('50-x.conf', '[Match]\nName=dax0.0\n[Policy]\nState=online_kernel\n')
            out = explain()
            self.assertIn('Note: %s changed after daxhpd loaded its policy: daxhpd still holds the old '
                          'version (apply it with: daxhpctl reload).' % path, out)
            self.assertEqual(json.loads(explain('--json'))['StaleFiles'], [path])
            self.assertEqual(w.device('dax0.0')['DesiredState'], 'online_movable')
            # after the reload: nothing stale
            r = w.ctl('reload')
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn('changed after daxhpd loaded', explain())
            self.assertEqual(w.device('dax0.0')['DesiredState'], 'online_kernel')
        finally:
            shutil.rmtree('/run/daxhp.d', ignore_errors=True)

    def test_status_shows_cxl_identity(self):
        """daxhpctl status DEV names a CXL region's hardware (region, root
        decoder, memdevs with serials and host bridges), as text and as the
        D-Bus properties in --json; a device that is not CXL says so."""
        w = self.world(policies={'50-cxl.conf': '[Match]\nProvider=cxl\nMemdevSerial=0x1002\n\n'
                                                '[Policy]\nState=unplugged\n'})
        w.fk.add_device('dax0.0', provider='cxl', state='online_movable', target_node=2,
                        root_decoder='decoder0.0', memdevs=((0x1001, 0x0c),))
        w.fk.add_device('dax1.0', provider='cxl', state='online_movable', target_node=3,
                        root_decoder='decoder0.2', memdevs=((0x2001, 0x0c), (0x1002, 0xde)))
        w.fk.add_device('dax2.0', provider='hmem', state='unplugged')
        w.start_daemon()
        # The interleaved region matches by the serial of its second memdev.
        w.wait_device('dax1.0', State='unplugged', Transition='idle')
        r = w.ctl('status', 'dax1.0', 'dax0.0', 'dax2.0')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('\n    Provider: cxl\n'
                      '         Cxl: region1, root decoder decoder0.2\n'
                      '              mem1 serial 0x2001, host bridge pci0000:0c\n'
                      '              mem2 serial 0x1002, host bridge pci0000:de\n'
                      '        Mode: system-ram\n', r.stdout)
        self.assertIn('\n         Cxl: region0, root decoder decoder0.0\n'
                      '              mem0 serial 0x1001, host bridge pci0000:0c\n', r.stdout)
        self.assertIn('\n    Provider: hmem\n         Cxl: -\n', r.stdout)
        out = w.ctl('--json', 'status', 'dax1.0', 'dax2.0').stdout.splitlines()
        one, hmem = (strict_json(l) for l in out)
        self.assertEqual({k: v for k, v in one.items() if k.startswith('Cxl')},
                         {'CxlRegion': 'region1', 'CxlRootDecoder': 'decoder0.2',
                          'CxlMemdevs': ['mem1', 'mem2'], 'CxlSerials': ['0x2001', '0x1002'],
                          'CxlHostBridges': ['pci0000:0c', 'pci0000:de']})
        self.assertEqual((one['Provider'], one['TargetNode'], one['PolicyFile'].endswith('50-cxl.conf')),
                         ('cxl', 3, True))
        self.assertEqual({k: v for k, v in hmem.items() if k.startswith('Cxl')},
                         {'CxlRegion': '', 'CxlRootDecoder': '', 'CxlMemdevs': [], 'CxlSerials': [],
                          'CxlHostBridges': []})
        listed = {d['Name']: d for d in strict_json(w.ctl('--json', 'list').stdout)}
        self.assertEqual(listed['dax0.0']['CxlSerials'], ['0x1001'])
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')


if __name__ == '__main__':
    unittest.main()
