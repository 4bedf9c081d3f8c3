#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of the fleet interfaces (issue 14): the Prometheus
textfile (daxhpd --metrics-file), the node-feature-discovery feature file
(--nfd-file) and clients/daxhp-orchestrate, against the real daxhpd on a
private bus and the fake kernel (same world as test_daxhpd.py; the files go
below the world's tmp dir).

Run one test:   test_fleet.py TestFleet.test_metrics_follow_transitions
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.enter_namespace()

import world as worldmod  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20
ORCHESTRATE = os.path.join(harness.SRC, 'clients', 'daxhp-orchestrate')
MOVABLE_HMEM = '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'
STATES = ('unplugged', 'offline', 'online', 'online_kernel', 'online_movable', 'devdax')
# Kubernetes label name part and value (NFD drops a feature that is neither).
LABEL_PART = re.compile(r'^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$')
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

setUpModule = worldmod.start_journal
tearDownModule = worldmod.stop_journal


def parse_metrics(text):
    """The text format, strictly: {(name, frozenset(labels)): value}, and the
    HELP/TYPE of each family. Raises on a line that is neither."""
    samples, types, helps = {}, {}, {}
    for line in text.splitlines():
        if line.startswith('# HELP '):
            name, _, h = line[7:].partition(' ')
            helps[name] = h
        elif line.startswith('# TYPE '):
            name, _, t = line[7:].partition(' ')
            types[name] = t
        else:
            m = SAMPLE.match(line)
            if not m:
                raise AssertionError('not a sample line: %r' % line)
            labels = frozenset(LABEL.findall(m.group(3) or ''))
            key = (m.group(1), labels)
            if key in samples:
                raise AssertionError('duplicate sample %r' % (key,))
            samples[key] = float(m.group(4))
    return samples, types, helps


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


class TestFleet(worldmod.WorldTestCase):
    # helpers ----------------------------------------------------------------
    def read(self, path):
        try:
            with open(path) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def metrics(self):
        return parse_metrics(self.read(self.w.metrics_file) or '')[0]

    def wait_metrics(self, what, pred, timeout=20):
        """Wait until the metrics file satisfies pred(samples)."""
        last = None

        def ok():
            nonlocal last
            text = self.read(self.w.metrics_file)
            if text is None:
                return False
            last = parse_metrics(text)[0]
            try:
                return pred(last)
            except KeyError:
                return False
        try:
            harness.wait_for(ok, timeout * worldmod.SLOWDOWN, step=0.1, what=what)
        except TimeoutError:
            raise AssertionError('metrics never showed %s; last:\n%s\n%s' % (what, self.read(self.w.metrics_file),
                                                                          self.w.log_text()))
        return last

    def features(self):
        text = self.read(self.w.nfd_file)
        if text is None:
            return None
        out = {}
        for line in text.splitlines():
            name, sep, val = line.partition('=')
            self.assertTrue(sep, 'line without "=": %r' % line)
            self.assertRegex(name, LABEL_PART)
            self.assertTrue(val == '' or LABEL_PART.match(val), 'bad label value %r' % line)
            self.assertNotIn(name, out)
            out[name] = val
        return out

    def wait_features(self, what, pred, timeout=20):
        last = None

        def ok():
            nonlocal last
            last = self.features()
            return last is not None and pred(last)
        try:
            harness.wait_for(ok, timeout * worldmod.SLOWDOWN, step=0.1, what=what)
        except TimeoutError:
            raise AssertionError('NFD file never showed %s; last: %s\n%s' % (what, last, self.w.log_text()))
        return last

    def promtool(self, text):
        path = os.path.join(self.w.tmp, 'lint.prom')
        with open(path, 'w') as f:
            f.write(text)
        with open(path) as f:
            r = subprocess.run(['promtool', 'check', 'metrics'], stdin=f, capture_output=True, text=True,
                               timeout=60, env=harness.clean_env())
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ''), 'promtool check metrics:\n' + text)

    def orchestrate(self, *args, timeout=120):
        env = harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=self.w.bus.address)
        r = subprocess.run(['/usr/bin/python3', ORCHESTRATE] + list(args), capture_output=True, text=True,
                           timeout=timeout, env=env)
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            raise AssertionError('daxhp-orchestrate %s printed no JSON (rc %d): %r %r'
                                 % (' '.join(args), r.returncode, r.stdout, r.stderr))
        return r.returncode, doc

    def node_meminfo(self, node, total, free):
        path = os.path.join(self.w.fk.sys, 'devices/system/node/node%d/meminfo' % node)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write('Node %d MemTotal: %d kB\nNode %d MemFree: %d kB\n' % (node, total >> 10, node, free >> 10))

    # metrics ------------------------------------------------------------------
    def test_metrics_follow_transitions(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='unplugged')
        w.fk.add_device('dax1.0', provider='pmem', size=2 * GIB, target_node=2, state='online')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        s = self.wait_metrics('dax0.0 online_movable after one transition done',
                              lambda s: value(s, 'daxhp_transitions_total', result='done') == 1 and
                              value(s, 'daxhp_device_state', device='dax0.0', state='online_movable') == 1)
        for state in STATES:
            self.assertEqual(value(s, 'daxhp_device_state', device='dax0.0', state=state),
                             1 if state == 'online_movable' else 0, state)
            self.assertEqual(value(s, 'daxhp_device_state', device='dax1.0', state=state),
                             1 if state == 'online' else 0, state)
        self.assertEqual(value(s, 'daxhp_device_size_bytes', device='dax0.0'), GIB)
        self.assertEqual(value(s, 'daxhp_device_size_bytes', device='dax1.0'), 2 * GIB)
        self.assertEqual(value(s, 'daxhp_device_blocks', device='dax0.0'), 8)
        self.assertEqual(value(s, 'daxhp_device_online_blocks', device='dax0.0'), 8)
        self.assertEqual(value(s, 'daxhp_device_blocks', device='dax1.0'), 16)
        self.assertEqual(value(s, 'daxhp_device_node', device='dax0.0'), 1)
        self.assertEqual(value(s, 'daxhp_device_node', device='dax1.0'), 2)
        self.assertEqual(value(s, 'daxhp_device_info', device='dax0.0', provider='hmem', region='0',
                               mode='system-ram', policy=os.path.join(w.policy_dir, '50-movable.conf')), 1)
        self.assertEqual(value(s, 'daxhp_device_satisfied', device='dax0.0'), 1)
        self.assertEqual(value(s, 'daxhp_transition_duration_seconds_count'), 1)
        self.assertEqual(value(s, 'daxhp_transition_duration_seconds_bucket', le='+Inf'), 1)
        self.assertEqual(value(s, 'daxhp_transition_duration_seconds_bucket', le='600'), 1)
        self.assertGreater(value(s, 'daxhp_transition_duration_seconds_sum'), 0)
        for r in ('failed', 'timeout', 'superseded', 'removed', 'cancelled', 'refused'):
            self.assertEqual(value(s, 'daxhp_transitions_total', result=r), 0, r)
        self.assertEqual(value(s, 'daxhp_drift_events_total'), 0)
        self.assertEqual(value(s, 'daxhp_queue_length'), 0)
        self.assertEqual(value(s, 'daxhp_policy_files'), 1)
        self.assertEqual(value(s, 'daxhp_policy_files_rejected'), 0)
        self.promtool(self.read(w.metrics_file))

        # A failed transition and a success: counted by result, both timed.
        w.fk.inject_error('dax1.0', 16)             # EBUSY
        rc, doc = self.orchestrate('unplug', 'dax1.0', '--timeout', '60')
        self.assertEqual((rc, doc['result']), (1, 'failed'), doc)
        rc, doc = self.orchestrate('unplug', 'dax1.0', '--timeout', '60')
        self.assertEqual((rc, doc['result']), (0, 'done'), doc)
        s = self.wait_metrics('one failed and two done', lambda s:
                              value(s, 'daxhp_transitions_total', result='failed') == 1 and
                              value(s, 'daxhp_transitions_total', result='done') == 2 and
                              value(s, 'daxhp_device_state', device='dax1.0', state='unplugged') == 1)
        self.assertEqual(value(s, 'daxhp_device_online_blocks', device='dax1.0'), 0)
        self.assertEqual(value(s, 'daxhp_transition_duration_seconds_count'), 3)
        # Cumulative buckets, never decreasing, ending at the count.
        les = sorted((float(dict(k[1])['le']), v) for k, v in s.items()
                     if k[0] == 'daxhp_transition_duration_seconds_bucket')
        self.assertEqual(les[0][0], 0.01)
        self.assertEqual(les[-2][0], 600.0)
        self.assertEqual([v for _, v in les], sorted(v for _, v in les))
        self.assertEqual(les[-1][1], 3)
        self.promtool(self.read(w.metrics_file))

        # Drift: someone offlines a block of dax0.0 behind daxhpd's back.
        w.fk.drift('dax0.0', 0, 'offline')
        self.wait_metrics('one drift event', lambda s: value(s, 'daxhp_drift_events_total') == 1)

    def test_metrics_written_only_on_change(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='online_movable')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable')
        self.wait_metrics('dax0.0', lambda s: value(s, 'daxhp_device_online_blocks', device='dax0.0') == 8)
        time.sleep(1)                           # the write of the start settles
        before = os.stat(w.metrics_file)
        nfd_before = os.stat(w.nfd_file)

        # Events that change nothing a file shows: block uevents, reads, Check, a no-op SetState.
        for i in range(4):
            w.fk.block_uevent('dax0.0', i)
        w.devices()
        w.ctl('check')
        rc, doc = self.orchestrate('set', 'dax0.0', 'online_movable')
        self.assertEqual((rc, doc['result']), (0, 'done'), doc)
        # Marker: a change made after those events; once it is in the file,
        # any write the events caused has happened too (one flush per burst).
        w.fk.add_device('dax9.0', provider='pmem', size=GIB, target_node=3, state='online')
        w.wait_device('dax9.0')
        s = self.wait_metrics('dax9.0', lambda s: value(s, 'daxhp_device_size_bytes', device='dax9.0') == GIB)
        # The same flush writes the NFD file right after the metrics file.
        self.wait_features('dax9.0', lambda f: f['daxhp-devices'] == '2')
        after = os.stat(w.metrics_file)
        self.assertNotEqual(before.st_ino, after.st_ino, 'a change replaces the file')

        # Now nothing at all changes: the file stays the same inode, same mtime.
        settled = os.stat(w.metrics_file)
        nfd_settled = os.stat(w.nfd_file)
        self.assertNotEqual(nfd_before.st_ino, nfd_settled.st_ino)
        for i in range(4):
            w.fk.block_uevent('dax0.0', i)
        w.devices()
        rc, doc = self.orchestrate('set', 'dax0.0', 'online_movable')     # same override again
        self.assertEqual(rc, 0, doc)
        rc, doc = self.orchestrate('list')
        self.assertEqual([d['Name'] for d in doc], ['dax0.0', 'dax9.0'])
        w.ctl('check')
        time.sleep(1)                           # well past the 0.2 s coalescing delay
        now = os.stat(w.metrics_file)
        self.assertEqual((now.st_ino, now.st_mtime_ns), (settled.st_ino, settled.st_mtime_ns))
        nfd_now = os.stat(w.nfd_file)
        self.assertEqual((nfd_now.st_ino, nfd_now.st_mtime_ns), (nfd_settled.st_ino, nfd_settled.st_mtime_ns))
        self.assertEqual(oct(now.st_mode & 0o777), '0o644')
        self.assertEqual(oct(nfd_now.st_mode & 0o777), '0o644')

    def test_metrics_file_never_partial(self):
        """A reader polling the directory as node-exporter does (glob *.prom)
        during a stream of transitions only ever reads a complete file, and no
        temporary file is left behind."""
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        for i in range(6):
            w.fk.add_device('dax%d.0' % i, provider='hmem', size=GIB, target_node=1, state='online_movable')
        w.start_daemon()
        for i in range(6):
            w.wait_device('dax%d.0' % i, State='online_movable')
        self.wait_metrics('six devices', lambda s: value(s, 'daxhp_device_size_bytes', device='dax5.0') == GIB)
        d = os.path.dirname(w.metrics_file)
        stop = threading.Event()
        seen = {'reads': 0, 'bad': [], 'names': set()}

        def reader():
            while not stop.is_set():
                for name in os.listdir(d):
                    seen['names'].add(name)
                    if not name.endswith('.prom'):
                        continue
                    try:
                        with open(os.path.join(d, name)) as f:
                            text = f.read()
                    except FileNotFoundError:
                        continue
                    seen['reads'] += 1
                    if not text.endswith('\n') or 'daxhp_start_time_seconds ' not in text:
                        seen['bad'].append(text)
                    else:
                        try:
                            parse_metrics(text)
                        except AssertionError as e:
                            seen['bad'].append(str(e))
        t = threading.Thread(target=reader)
        t.start()
        try:
            for rnd in range(3):
                for i in range(6):
                    rc, doc = self.orchestrate('set', 'dax%d.0' % i, 'unplugged' if rnd % 2 == 0 else 'online_movable')
                    self.assertEqual(rc, 0, doc)
        finally:
            stop.set()
            t.join()
        self.assertEqual(seen['bad'], [])
        self.assertGreater(seen['reads'], 10)
        # temporary files were there at some point or not, but never as *.prom, and none is left
        self.assertEqual([n for n in seen['names'] if n.endswith('.prom')], ['daxhp.prom'])
        self.wait_metrics('18 transitions', lambda s: value(s, 'daxhp_transitions_total', result='done') == 18)
        self.assertEqual(os.listdir(d), ['daxhp.prom'])
        self.assertEqual(os.listdir(os.path.dirname(w.nfd_file)), ['daxhp'])

    def test_rejected_policy_and_absent_directory(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM, '60-broken.conf': '[Policy]\nState=sideways\n'})
        shutil.rmtree(os.path.dirname(w.metrics_file))
        shutil.rmtree(os.path.dirname(w.nfd_file))
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        # No directory, no file, and the daemon works on (one line says why).
        self.assertFalse(os.path.exists(os.path.dirname(w.metrics_file)))
        self.assertFalse(os.path.exists(os.path.dirname(w.nfd_file)))
        log = w.log_text()
        self.assertIn('directory absent, metrics not written', log)
        self.assertIn('directory absent, NFD features not written', log)
        # The directories appear (node-exporter and NFD installed): the next change writes.
        os.makedirs(os.path.dirname(w.metrics_file))
        os.makedirs(os.path.dirname(w.nfd_file))
        rc, doc = self.orchestrate('unplug', 'dax0.0')
        self.assertEqual(rc, 0, doc)
        s = self.wait_metrics('a rejected file, dax0.0 unplugged', lambda s:
                              value(s, 'daxhp_policy_files_rejected') == 1 and
                              value(s, 'daxhp_device_state', device='dax0.0', state='unplugged') == 1)
        self.assertEqual(value(s, 'daxhp_transitions_total', result='done'), 2)
        self.promtool(self.read(w.metrics_file))
        f = self.wait_features('dax0.0 unplugged', lambda f: f['daxhp-online-movable-bytes'] == '0')
        self.assertEqual(f['daxhp-devices'], '1')
        # Fixed and reloaded: the gauge follows.
        os.unlink(os.path.join(w.policy_dir, '60-broken.conf'))
        self.assertEqual(w.ctl('reload').returncode, 0)
        self.wait_metrics('no rejected file', lambda s: value(s, 'daxhp_policy_files_rejected') == 0)

    def test_metrics_escape_labels(self):
        w = self.world(policies={'50 "odd"\\name.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='online_movable')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable')
        policy = os.path.join(w.policy_dir, '50 "odd"\\name.conf')
        s = self.wait_metrics('the policy label', lambda s: value(
            s, 'daxhp_device_info', device='dax0.0', provider='hmem', region='0', mode='system-ram',
            policy=policy.replace('\\', '\\\\').replace('"', '\\"')) == 1)
        self.assertIn('policy="%s"' % policy.replace('\\', '\\\\').replace('"', '\\"'),
                      self.read(w.metrics_file))
        self.promtool(self.read(w.metrics_file))

    # NFD --------------------------------------------------------------------------
    def test_nfd_features_follow_state(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='unplugged')
        w.fk.add_device('dax1.0', provider='hmem', size=2 * GIB, target_node=2, state='unplugged')
        w.fk.add_device('dax2.0', provider='pmem', size=4 * GIB, target_node=2, state='online_movable')
        w.start_daemon()
        for dev in ('dax0.0', 'dax1.0'):
            w.wait_device(dev, State='online_movable', Transition='idle')
        f = self.wait_features('all online_movable', lambda f: f['daxhp-online-movable-bytes'] == str(7 * GIB))
        self.assertEqual(f, {
            'daxhp-devices': '3',
            'daxhp-cxl-present': 'false',
            'daxhp-atomic-hotplug': 'true',
            'daxhp-dax-bytes': str(7 * GIB),
            'daxhp-online-movable-bytes': str(7 * GIB),
            'daxhp-online-movable-bytes.hmem': str(3 * GIB),
            'daxhp-online-movable-bytes.pmem': str(4 * GIB),
            'daxhp-online-movable-bytes.node1': str(GIB),
            'daxhp-online-movable-bytes.node2': str(6 * GIB),
            'daxhp-online-movable-bytes.hmem.node1': str(GIB),
            'daxhp-online-movable-bytes.hmem.node2': str(2 * GIB),
            'daxhp-online-movable-bytes.pmem.node2': str(4 * GIB),
        })
        # The file is the NFD format: nothing but name=value lines, no temporary file in features.d.
        text = self.read(w.nfd_file)
        self.assertTrue(text.endswith('\n'))
        self.assertEqual(os.listdir(os.path.dirname(w.nfd_file)), ['daxhp'])

        # Unplugged: the bytes go, the provider and node keys stay (at 0).
        rc, doc = self.orchestrate('unplug', 'dax1.0')
        self.assertEqual((rc, doc['result']), (0, 'done'), doc)
        f = self.wait_features('dax1.0 gone from movable', lambda f: f['daxhp-online-movable-bytes'] == str(5 * GIB))
        self.assertEqual(f['daxhp-online-movable-bytes.hmem.node2'], '0')
        self.assertEqual(f['daxhp-online-movable-bytes.node2'], str(4 * GIB))
        # A device removed: counted out.
        w.fk.remove_device('dax2.0')
        w.wait_gone('dax2.0')
        f = self.wait_features('dax2.0 removed', lambda f: f['daxhp-devices'] == '2')
        self.assertNotIn('daxhp-online-movable-bytes.pmem', f)
        self.assertEqual(f['daxhp-dax-bytes'], str(3 * GIB))
        # Nothing left over in NFD's directory above features.d either.
        self.assertEqual(sorted(os.listdir(os.path.dirname(os.path.dirname(w.nfd_file)))), ['features.d'])

    # client -------------------------------------------------------------------------
    def test_orchestrate_list_drain_unplug(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='online_movable')
        w.fk.add_device('dax1.0', provider='pmem', size=GIB, target_node=2, state='online')
        # dax0.0's node is half full.
        self.node_meminfo(1, GIB, GIB // 2)
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable')

        rc, doc = self.orchestrate('list')
        self.assertEqual(rc, 0)
        self.assertEqual([(d['Name'], d['State'], d['Size'], d['TargetNode'], d['ObjectPath']) for d in doc], [
            ('dax0.0', 'online_movable', GIB, 1, '/org/daxhp1/device/dax0_2e0'),
            ('dax1.0', 'online', GIB, 2, '/org/daxhp1/device/dax1_2e0')])
        self.assertEqual(doc[0]['PagesInUse'], GIB // 2 // 4096)
        self.assertEqual(doc[0]['Blocks'], 8)

        # Drain times out while half the device is in use ...
        rc, doc = self.orchestrate('drain', 'dax0.0', '--timeout', '1', '--interval', '0.2')
        self.assertEqual(rc, 1)
        self.assertEqual((doc['result'], doc['pages_in_use']), ('timeout', GIB // 2 // 4096), doc)
        self.assertIn('pages in use', doc['error'])
        # ... and returns once the workload moved away (the node empties after a while).
        timer = threading.Timer(1.5, self.node_meminfo, (1, GIB, GIB))
        timer.start()
        try:
            rc, doc = self.orchestrate('drain', 'dax0.0', '--timeout', '60', '--interval', '0.2')
        finally:
            timer.cancel()
        self.assertEqual((rc, doc['result'], doc['pages_in_use'], doc['error']), (0, 'drained', 0, None), doc)
        self.assertGreater(doc['seconds'], 0)

        rc, doc = self.orchestrate('unplug', 'dax0.0', '--timeout', '60')
        self.assertEqual(rc, 0, doc)
        self.assertEqual({k: doc[k] for k in ('device', 'from', 'to', 'state', 'result', 'error')},
                         {'device': 'dax0.0', 'from': 'online_movable', 'to': 'unplugged', 'state': 'unplugged',
                          'result': 'done', 'error': None})
        self.assertEqual(w.fk.state('dax0.0'), 'unplugged')
        self.assertGreaterEqual(doc['seconds'], 0)

        # Typed errors come back in the JSON.
        rc, doc = self.orchestrate('unplug', 'dax7.0')
        self.assertEqual((rc, doc['result']), (1, 'failed'))
        self.assertIn('org.daxhp1.Error.NoSuchDevice', doc['error'])
        w.fk.inject_error('dax1.0', 16)
        rc, doc = self.orchestrate('unplug', 'dax1.0')
        self.assertEqual((rc, doc['result'], doc['from'], doc['to'], doc['state']),
                         (1, 'failed', 'online', 'unplugged', 'online'), doc)
        self.assertIn('org.daxhp1.Error.KernelRefused', doc['error'])
        # Usage errors: exit 2, no bus needed.
        r = subprocess.run(['/usr/bin/python3', ORCHESTRATE, 'unplug'], capture_output=True, text=True,
                           timeout=30, env=harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS='unix:path=/nonexistent'))
        self.assertEqual(r.returncode, 2)

    def test_orchestrate_unplug_timeout(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='online_movable')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable')
        # Each block takes 1 s: the 8-block unplug outlasts the client's 2 s.
        w.fk.set_delay('dax0.0', 1.0)
        rc, doc = self.orchestrate('unplug', 'dax0.0', '--timeout', '2')
        self.assertEqual((rc, doc['result'], doc['from'], doc['to']), (1, 'timeout', 'online_movable', 'unplugged'),
                         doc)
        self.assertIn('no answer within 2 s', doc['error'])
        # daxhpd went on with it; the transition ends where it was asked to.
        w.wait_device('dax0.0', State='unplugged', Transition='idle', timeout=60)
        w.fk.set_delay('dax0.0', 0)


if __name__ == '__main__':
    unittest.main()
