#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Self-test of the fake kernel, the private bus and the private journal.

Writers are child processes: the test process serves the FUSE attributes
and must never do I/O on them itself.
"""

import errno
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.enter_namespace()

from fakekernel import FakeKernel  # noqa: E402

PROBE = os.environ.get('UDEV_PROBE') or os.path.join(harness.BUILD, 'tests', 'integration', 'udev-probe')


class TestFakeKernel(unittest.TestCase):
    def setUp(self):
        self.fk = FakeKernel()

    def tearDown(self):
        self.fk.close()

    def sh(self, cmd, **kw):
        """Run cmd under the preload, seeing the testbed as /sys."""
        return subprocess.run(['sh', '-c', cmd], capture_output=True, text=True,
                              env=self.fk.env(harness.clean_env()), timeout=30, **kw)

    def write(self, dev, value):
        r = self.sh('printf %%s "%s" > /sys/bus/dax/devices/%s/hotplug' % (value, dev))
        return r.returncode, r.stderr

    def read(self, dev):
        return self.sh('cat /sys/bus/dax/devices/%s/hotplug' % dev).stdout.strip()

    def blocks(self, dev):
        return self.sh('ls /sys/devices/system/memory').stdout.split()

    def test_layout_and_udev_view(self):
        self.fk.add_device('dax0.0', provider='hmem', state='offline')
        self.fk.add_device('dax1.0', provider='pmem', size=512 << 20, state='unplugged')
        r = subprocess.run([PROBE, 'list', 'dax'], capture_output=True, text=True,
                           env=self.fk.env(harness.clean_env()), timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('/devices/platform/hmem.0/dax0.0 driver=kmem', r.stdout)
        self.assertIn('/devices/platform/e820_pmem/ndbus0/region1/dax1.0/dax1.0 driver=kmem', r.stdout)
        r = subprocess.run([PROBE, 'list', 'memory'], capture_output=True, text=True,
                           env=self.fk.env(harness.clean_env()), timeout=30)
        self.assertEqual(len(r.stdout.splitlines()), 8)
        self.assertEqual(self.read('dax0.0'), 'offline')
        self.assertEqual(self.read('dax1.0'), 'unplugged')
        st = self.sh('cat /sys/devices/system/memory/memory32/state /sys/devices/system/memory/memory32/phys_index')
        self.assertEqual(st.stdout.split(), ['offline', '00000020'])

    def test_transition_rules(self):
        self.fk.add_device('dax0.0', state='unplugged')
        self.assertEqual(self.write('dax0.0', 'unplugged')[0], 0)        # no-op
        self.assertNotEqual(self.write('dax0.0', 'offline')[0], 0)       # EINVAL
        self.assertNotEqual(self.write('dax0.0', 'bogus')[0], 0)         # EINVAL
        self.assertEqual([w.result for w in self.fk.writes], [0, errno.EINVAL, errno.EINVAL])
        self.assertEqual(self.write('dax0.0', 'online_kernel')[0], 0)
        self.assertEqual(self.read('dax0.0'), 'online_kernel')
        self.assertEqual(len([b for b in self.blocks('dax0.0') if b.startswith('memory')]), 8)
        rc, err = self.write('dax0.0', 'online_movable')
        self.assertNotEqual(rc, 0)
        self.assertEqual(self.fk.writes[-1].result, errno.EBUSY)
        self.assertEqual(self.write('dax0.0', 'unplugged')[0], 0)
        self.assertEqual([b for b in self.blocks('dax0.0') if b.startswith('memory')], [])
        self.assertEqual(self.write('dax0.0', 'online_movable')[0], 0)
        self.assertEqual(set(self.fk.block_states('dax0.0')), {'online'})

    def test_online_from_offline(self):
        # The revised series onlines present offline blocks in place; v5
        # refuses (EBUSY); 7.3's `state` too, while its blocks take per-block writes.
        self.fk.add_device('dax0.0', size=512 << 20, state='offline')
        self.assertEqual(self.write('dax0.0', 'online_movable')[0], 0)
        self.assertEqual(self.read('dax0.0'), 'online_movable')
        self.assertNotIn('remove', [a for a, p in self.fk.uevents if p.startswith('/devices/system/memory/')])
        self.fk.hotplug_direct_online = False
        self.fk.add_device('dax1.0', size=512 << 20, state='offline')
        self.assertNotEqual(self.write('dax1.0', 'online_movable')[0], 0)
        self.assertEqual((self.fk.writes[-1].result, self.read('dax1.0')), (errno.EBUSY, 'offline'))
        self.fk.add_device('dax2.0', size=512 << 20, state='offline', attr='state')
        r = self.sh('printf online_movable > /sys/bus/dax/devices/dax2.0/state')
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.fk.writes[-1].result, errno.EBUSY)
        first = self.fk.devices['dax2.0'].phys_start
        r = self.sh('printf online_movable > /sys/devices/system/memory/memory%d/state' % first)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fk.block_zones('dax2.0'), ['Movable', None, None, None])
        # the attribute is what was written last, not the blocks
        self.assertEqual(self.sh('cat /sys/bus/dax/devices/dax2.0/state').stdout, 'offline\n')

    def test_injected_ebusy_rolls_back(self):
        self.fk.add_device('dax0.0', state='online_movable')
        self.fk.inject_error('dax0.0', errno.EBUSY, 'unplugged')
        rc, err = self.write('dax0.0', 'unplugged')
        self.assertNotEqual(rc, 0)
        self.assertEqual(self.read('dax0.0'), 'online_movable')
        self.assertEqual(self.fk.block_states('dax0.0'), ['online'] * 8)
        self.assertEqual(self.write('dax0.0', 'unplugged')[0], 0)       # injection used up

    def test_signal_during_slow_unplug_gives_eintr_and_rollback(self):
        self.fk.add_device('dax0.0', state='online_movable')
        self.fk.set_delay('dax0.0', 0.5)
        p = subprocess.Popen(['sh', '-c', 'printf unplugged > /sys/bus/dax/devices/dax0.0/hotplug'],
                             env=self.fk.env(harness.clean_env()))
        self.assertIsNotNone(self.fk.wait_inflight('dax0.0', 10))
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        self.fk.wait_writes(1, 10)
        self.assertEqual(self.fk.writes[-1].result, errno.EINTR)
        self.assertEqual(self.fk.state('dax0.0'), 'online_movable')
        self.assertEqual(self.fk.block_states('dax0.0'), ['online'] * 8)

    def test_removed_attribute_keeps_its_fd_until_the_server_ends(self):
        # The flake behind "daxhpctl --json list printed nothing, rc 0": the
        # FUSE fd of a removed device was closed while the daemon still held
        # the attribute open, the next pipe() of this process reused the fd
        # number, and the server thread read that pipe (daxhpctl's stdout) dry.
        self.fk.add_device('dax0.0', state='online_movable')
        server = self.fk.devices['dax0.0'].fuse
        holder = subprocess.Popen(
            ['sh', '-c', 'exec 3</sys/bus/dax/devices/dax0.0/hotplug; echo open; read go; '
                         'cat <&3; echo "rc=$?"'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=self.fk.env(harness.clean_env()))
        self.assertEqual(holder.stdout.readline(), 'open\n')
        self.fk.remove_device('dax0.0')           # detaches the busy mount
        r, w = os.pipe()
        try:
            os.write(w, b'payload')
            os.close(w)
            out, _ = holder.communicate('go\n', timeout=30)
            server.thread.join(30)
            self.assertEqual(os.read(r, 64), b'payload', 'the FUSE server read a pipe it does not own')
            self.assertFalse(server.thread.is_alive(), 'server thread outlived its last user')
            self.assertEqual(server.fd, -1)
            # a request on the removed attribute fails like on a removed device
            self.assertIn('No such device', out)
            self.assertIn('rc=1', out)
        finally:
            os.close(r)

    def test_stock_kernel_unbind_leaks_online_memory(self):
        # Linux 7.2's dev_dax_kmem_remove(): remove_memory() of a range with an
        # online block fails, the unbind succeeds anyway, the blocks stay.
        self.fk.add_device('dax1.0', size=512 << 20, state='offline', attr=None)
        mem = '/sys/devices/system/memory/memory%d/state'
        self.assertEqual(self.sh('printf online_movable > %s' % (mem % 32)).returncode, 0)
        self.assertFalse(self.fk.leaked('dax1.0'))
        self.assertEqual(self.sh('printf dax1.0 > /sys/bus/dax/drivers/kmem/unbind').returncode, 0)
        self.assertEqual(self.fk.mode('dax1.0'), 'unbound')
        self.assertTrue(self.fk.leaked('dax1.0'))
        self.assertEqual(self.fk.block_states('dax1.0'), ['online', 'offline', 'offline', 'offline'])

    def test_stock_kernel_per_block_rules(self):
        # no hotplug/state attribute: drivers/base/memory.c's state_store() rules
        self.fk.add_device('dax0.0', size=512 << 20, state='offline', attr=None)
        self.assertEqual(self.sh('ls /sys/bus/dax/devices/dax0.0/').stdout.split().count('hotplug'), 0)
        mem = '/sys/devices/system/memory/memory%d/state'

        def put(i, value):
            return self.sh('printf %%s %s > %s' % (value, mem % (32 + i))).returncode

        self.assertNotEqual(put(0, 'offline'), 0)             # already offline: EINVAL
        self.assertNotEqual(put(0, 'unplugged'), 0)           # not a block state: EINVAL
        self.assertEqual(put(0, 'online_movable'), 0)
        self.assertNotEqual(put(0, 'online_kernel'), 0)       # already online: EINVAL
        self.assertEqual(put(1, 'online'), 0)                 # first valid zone: Normal
        self.assertEqual(self.sh('cat %s %s' % (mem % 32, mem % 34)).stdout.split(), ['online', 'offline'])
        self.assertEqual(self.fk.block_zones('dax0.0'), ['Movable', 'Normal', None, None])
        self.fk.inject_block_error('dax0.0', 0, errno.EBUSY)
        self.assertNotEqual(put(0, 'offline'), 0)
        self.assertNotEqual(put(0, 'offline'), 0)             # unmovable pages stay
        self.assertEqual([e for _, _, e in self.fk.block_writes],
                         [errno.EINVAL, errno.EINVAL, 0, errno.EINVAL, 0, errno.EBUSY, errno.EBUSY])
        self.assertEqual(self.fk.block_states('dax0.0'), ['online', 'online', 'offline', 'offline'])
        # with every block offline, kmem's unbind removes the blocks
        self.fk.clear_block_errors('dax0.0')
        self.assertEqual((put(0, 'offline'), put(1, 'offline')), (0, 0))
        self.assertEqual(self.sh('printf dax0.0 > /sys/bus/dax/drivers/kmem/unbind').returncode, 0)
        self.assertEqual(self.fk.mode('dax0.0'), 'unbound')
        self.assertEqual(self.sh('ls /sys/devices/system/memory').stdout.split(),
                         ['auto_online_blocks', 'block_size_bytes'])
        # binding kmem again adds the blocks offline, served again
        self.assertEqual(self.sh('printf dax0.0 > /sys/bus/dax/drivers/kmem/new_id').returncode, 0)
        self.assertEqual(self.fk.block_states('dax0.0'), ['offline'] * 4)
        self.assertEqual(put(3, 'online_kernel'), 0)
        self.assertEqual(self.fk.block_zones('dax0.0'), [None, None, None, 'Normal'])

    def test_overlapping_writers_are_recorded(self):
        self.fk.add_device('dax0.0', state='unplugged')
        self.fk.add_device('dax1.0', state='unplugged')
        for d in ('dax0.0', 'dax1.0'):
            self.fk.set_delay(d, 0.1)
        ps = [subprocess.Popen(['sh', '-c', 'printf online > /sys/bus/dax/devices/%s/hotplug' % d],
                               env=self.fk.env(harness.clean_env())) for d in ('dax0.0', 'dax1.0')]
        for p in ps:
            self.assertEqual(p.wait(30), 0)
        self.assertEqual(len(self.fk.overlaps()), 1)

    def test_driver_rebind(self):
        self.fk.add_device('dax0.0', mode='devdax')
        self.assertEqual(self.sh('ls /sys/bus/dax/devices/dax0.0/').stdout.split().count('hotplug'), 0)
        r = self.sh('echo dax0.0 > /sys/bus/dax/drivers/kmem/unbind')
        self.assertNotEqual(r.returncode, 0)                       # not bound there: ENODEV
        r = self.sh('echo dax0.0 > /sys/bus/dax/drivers/device_dax/unbind && '
                    'echo dax0.0 > /sys/bus/dax/drivers/kmem/new_id && '
                    'readlink /sys/bus/dax/devices/dax0.0/driver && cat /sys/bus/dax/devices/dax0.0/hotplug')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split()[-1], 'offline')
        self.assertTrue(r.stdout.split()[0].endswith('/kmem'))
        self.assertEqual(self.fk.block_states('dax0.0'), ['offline'] * 8)
        # kmem refuses to let go of added memory
        self.assertNotEqual(self.sh('echo dax0.0 > /sys/bus/dax/drivers/kmem/unbind').returncode, 0)
        self.assertEqual(self.write('dax0.0', 'unplugged')[0], 0)
        self.assertEqual(self.sh('echo dax0.0 > /sys/bus/dax/drivers/kmem/unbind').returncode, 0)
        self.assertEqual(self.fk.mode('dax0.0'), 'unbound')
        self.assertEqual([b[3] for b in self.fk.binds], [errno.ENODEV, 0, 0, errno.EBUSY, 0])

    def test_uevents_reach_libudev_monitor(self):
        self.fk.add_device('dax0.0', state='unplugged')
        mon = subprocess.Popen([PROBE, 'monitor', 'dax', 'memory'], stdout=subprocess.PIPE, text=True,
                               env=self.fk.env(harness.clean_env()))
        try:
            self.assertEqual(mon.stdout.readline().strip(), 'READY')
            lines = []
            t = threading.Thread(target=lambda: [lines.append(l.strip()) for l in mon.stdout], daemon=True)
            t.start()
            self.assertEqual(self.write('dax0.0', 'online_movable')[0], 0)
            self.fk.drift('dax0.0', 2, 'offline')
            harness.wait_for(lambda: 'offline /devices/system/memory/memory34' in lines, 10,
                             what='drift uevent')
            self.assertIn('add /devices/system/memory/memory32', lines)
            self.assertIn('online /devices/system/memory/memory39', lines)
            self.assertIn('change /devices/platform/hmem.0/dax0.0', lines)
            self.assertEqual(self.read('dax0.0'), 'offline')   # a drifted block: not all online
        finally:
            mon.kill()
            mon.wait()


class TestPrivateServices(unittest.TestCase):
    def test_bus_and_journal(self):
        import tempfile
        tmp = tempfile.mkdtemp()
        bus = harness.Bus(tmp).start()
        j = harness.Journal().start()
        try:
            r = subprocess.run(['busctl', '--system', 'list'], capture_output=True, text=True,
                               env=harness.clean_env(DBUS_SYSTEM_BUS_ADDRESS=bus.address), timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('org.freedesktop.DBus', r.stdout)
            tag = 'selftest%d' % os.getpid()
            subprocess.run(['systemd-cat', '-t', tag, 'echo', 'hello'], check=True, env=harness.clean_env())
            recs = harness.wait_for(lambda: j.records('SYSLOG_IDENTIFIER=' + tag), 10, what='record')
            self.assertEqual(recs[0]['MESSAGE'], 'hello')
        finally:
            j.stop()
            bus.stop()


if __name__ == '__main__':
    unittest.main(verbosity=2)
