#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The arrival path on each kernel flavour (issue 10, point 4): a device
bound to kmem with its memory present but offline (a fresh bind under the
offline policy) is brought online where it is, without removing and adding
its memory again, wherever the kernel offers a safe way:

  * the revised series' `hotplug`: one write of the online type;
  * the series before it (v5), which refuses that with EBUSY: once, then
    through unplugged, and the daemon does not ask again;
  * Linux 7.3's `state` (online types only from unplugged): the present
    blocks one by one through memoryN/state;
  * a stock kernel (neither): the same, per block.

Run one test:   test_arrival.py TestArrival.test_revised_series_onlines_in_place
"""

import errno
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.enter_namespace()

import world as worldmod  # noqa: E402

MOVABLE_HMEM = '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'

setUpModule = worldmod.start_journal
tearDownModule = worldmod.stop_journal


class TestArrival(worldmod.WorldTestCase):
    def removed_blocks(self, name):
        """memoryN of `name` the fake kernel sent a remove uevent for."""
        dev = self.w.fk.devices[name]
        mine = {'/devices/system/memory/' + b for b in dev.blocks()}
        return [p for a, p in self.w.fk.uevents if a == 'remove' and p in mine]

    def finished(self, name):
        recs = harness.wait_for(lambda: self.audit('DAXHP_DEVICE=' + name, 'DAXHP_EVENT=transition-finished'),
                                20, what='finished record of ' + name)
        return recs[-1]

    def attr_writes(self, name):
        return [(x.value, x.result) for x in self.w.fk.writes if x.dev == name]

    def test_revised_series_onlines_in_place(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        # bound at boot under the offline policy, and a devdax device daxhpd binds
        w.fk.add_device('dax0.0', provider='hmem', state='offline')
        w.fk.add_device('dax1.0', provider='hmem', mode='devdax')
        w.start_daemon()
        for n in ('dax0.0', 'dax1.0'):
            d = w.wait_device(n, State='online_movable', Transition='idle')
            self.assertEqual(d['LastError'], '')
            self.assertEqual(self.attr_writes(n), [('online_movable', 0)])
            self.assertEqual(self.removed_blocks(n), [], 'arrival removed memory')
            self.assertEqual(set(w.fk.block_states(n)), {'online'})
        r = self.finished('dax0.0')
        self.assertEqual((int(r['DAXHP_STEPS']), int(r['DAXHP_KERNEL_CALLS'])), (1, 1))
        # bind kmem (libdaxctl's calls, or the bind files'), then the one write
        r = self.finished('dax1.0')
        self.assertEqual(int(r['DAXHP_STEPS']), 2)
        self.assertGreater(int(r['DAXHP_KERNEL_CALLS']), 1)
        self.assertEqual(w.fk.overlaps(), [])
        self.assert_cpu_split(r)

    def assert_cpu_split(self, r):
        """The record's CPU fields add up: own = daemon + worker - the worker's kernel calls."""
        cpu = {k: int(r['DAXHP_CPU_%s_USEC' % k]) for k in ('DAEMON', 'WORKER', 'KERNEL', 'OWN')}
        # the worker forked, set itself up and wrote: it used CPU, part of it in the kernel calls
        self.assertGreater(cpu['WORKER'], 0)
        self.assertLessEqual(cpu['KERNEL'], cpu['WORKER'])
        # the daemon matched policy, queued, read back and logged in between
        self.assertGreater(cpu['DAEMON'], 0)
        self.assertEqual(cpu['OWN'], cpu['DAEMON'] + cpu['WORKER'] - cpu['KERNEL'])
        # the daemon's phases are parts of its whole (no uevent: no match phase)
        match = int(r.get('DAXHP_CPU_DAEMON_MATCH_USEC', 0))
        self.assertLessEqual(match + int(r['DAXHP_CPU_DAEMON_QUEUE_USEC']), cpu['DAEMON'])

    def test_v5_series_refuses_once_then_goes_through_unplugged(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.hotplug_direct_online = False
        w.fk.add_device('dax0.0', provider='hmem', mode='devdax')
        w.start_daemon()
        d = w.wait_device('dax0.0', State='online_movable', Transition='idle')
        # the refusal is no failure: nothing for the operator to see
        self.assertEqual(d['LastError'], '')
        self.assertEqual(self.attr_writes('dax0.0'),
                         [('online_movable', errno.EBUSY), ('unplugged', 0), ('online_movable', 0)])
        r = self.finished('dax0.0')
        self.assertEqual((r['DAXHP_RESULT'], int(r['DAXHP_STEPS'])), ('done', 4))
        calls = int(r['DAXHP_KERNEL_CALLS'])
        harness.wait_for(lambda: any('refused set:online_movable from offline' in x.get('MESSAGE', '')
                                     for x in self.audit()), 10, what='the refusal in the journal')
        # remembered for this kernel: the next arrival does not ask again
        w.fk.add_device('dax1.0', provider='hmem', mode='devdax')
        w.wait_device('dax1.0', State='online_movable', Transition='idle')
        self.assertEqual(self.attr_writes('dax1.0'), [('unplugged', 0), ('online_movable', 0)])
        r = self.finished('dax1.0')
        self.assertEqual((int(r['DAXHP_STEPS']), int(r['DAXHP_KERNEL_CALLS'])), (3, calls - 1))
        self.assertEqual(w.fk.overlaps(), [])

    def test_revised_series_drift_in_another_zone_goes_through_unplugged(self):
        # Blocks still online in ZONE_NORMAL cannot join an online_movable
        # device in place: the kernel says EBUSY, the job takes the long way.
        w = self.world(policies={'50-k.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online_kernel\n'
                                              'OnDrift=report\n'})
        w.fk.add_device('dax0.0', provider='hmem', state='online_kernel')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_kernel', Transition='idle')
        w.fk.drift('dax0.0', 2, 'offline')
        w.wait_device('dax0.0', State='offline')
        r = w.ctl('set', 'dax0.0', 'online_movable')
        self.assertEqual(r.returncode, 0, r.stderr)
        d = w.wait_device('dax0.0', State='online_movable', Transition='idle')
        self.assertEqual(d['LastError'], '')
        self.assertEqual(self.attr_writes('dax0.0'),
                         [('online_movable', errno.EBUSY), ('unplugged', 0), ('online_movable', 0)])
        # a refusal with blocks online elsewhere says nothing about the kernel
        w.fk.add_device('dax1.0', provider='hmem', mode='devdax')
        w.wait_device('dax1.0', State='online_kernel', Transition='idle')
        self.assertEqual(self.attr_writes('dax1.0'), [('online_kernel', 0)])

    def test_mainline_state_onlines_present_blocks(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=512 << 20, state='offline', attr='state')
        w.fk.add_device('dax1.0', provider='hmem', size=512 << 20, mode='devdax', attr='state')
        w.start_daemon()
        for n in ('dax0.0', 'dax1.0'):
            d = w.wait_device(n, State='online_movable', Transition='idle')
            self.assertEqual(d['LastError'], '')
            self.assertEqual((d['OnlineBlocks'], d['Blocks']), (4, 4))
            self.assertEqual(self.attr_writes(n), [], '7.3 refuses offline -> online: not asked')
            self.assertEqual(w.fk.block_zones(n), ['Movable'] * 4)
            self.assertEqual(self.removed_blocks(n), [], 'arrival removed memory')
            # 7.3's attribute still says what was written last
            self.assertEqual(w.fk.state(n), 'offline')
        first = w.fk.devices['dax0.0'].phys_start
        self.assertEqual([b for b in w.fk.block_writes if b[0] in ['memory%d' % (first + i) for i in range(4)]],
                         [('memory%d' % (first + i), 'online_movable', 0) for i in range(4)])
        m = w.manager()
        self.assertEqual((m['AtomicHotplug'], m['KernelInterface']), (True, 'state'))
        # the attribute works from its stale value: unplug, and a zone change through unplugged
        r = w.ctl('set', 'dax0.0', 'online_kernel')
        self.assertEqual(r.returncode, 0, r.stderr)
        w.wait_device('dax0.0', State='online_kernel', Transition='idle')
        self.assertEqual(self.attr_writes('dax0.0'), [('unplugged', 0), ('online_kernel', 0)])
        self.assertEqual(w.fk.block_zones('dax0.0'), ['Normal'] * 4)
        self.assertEqual(w.fk.overlaps(), [])

    def test_mainline_state_online_goes_through_unplugged(self):
        # 7.3 reports "online" (the kernel's zone choice) only after a write
        # of it: blocks onlined one by one would never read as "online".
        w = self.world(policies={'50-online.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online\n'})
        w.fk.add_device('dax0.0', provider='hmem', size=512 << 20, state='offline', attr='state')
        w.start_daemon()
        d = w.wait_device('dax0.0', State='online', Transition='idle')
        self.assertEqual(d['LastError'], '')
        self.assertEqual(self.attr_writes('dax0.0'), [('unplugged', 0), ('online', 0)])

    def test_stock_kernel_onlines_present_blocks(self):
        w = self.world(policies={'50-movable.conf': MOVABLE_HMEM})
        w.fk.add_device('dax0.0', provider='hmem', size=512 << 20, mode='devdax', attr=None)
        w.start_daemon()
        d = w.wait_device('dax0.0', State='online_movable', Transition='idle')
        self.assertEqual(d['LastError'], '')
        self.assertEqual(w.fk.block_zones('dax0.0'), ['Movable'] * 4)
        self.assertEqual(self.removed_blocks('dax0.0'), [])
        self.assertEqual([b[:2] for b in w.fk.binds if not b[3]],
                         [('device_dax', 'remove_id'), ('device_dax', 'unbind'), ('kmem', 'new_id')])
        first = w.fk.devices['dax0.0'].phys_start
        self.assertEqual(w.fk.block_writes, [('memory%d' % (first + i), 'online_movable', 0) for i in range(4)])
        r = self.finished('dax0.0')
        # bind, then 4 block writes
        self.assertEqual(int(r['DAXHP_STEPS']), 2)
        self.assertGreater(int(r['DAXHP_KERNEL_CALLS']), 4)


if __name__ == '__main__':
    unittest.main(verbosity=2)
