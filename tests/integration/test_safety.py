#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of the safe owner (issue 13): the kernel's hotplug
settings and competing agents on the bus, in `daxhpctl status` and in the
journal; the memmap, zone-ratio and unplug checks with their typed errors;
force; tiering. Same world as test_daxhpd.py; the host's /etc, /usr/lib and
/proc are the world's host root (daxhpd --host-root).

Run one test:   test_safety.py TestSafety.test_memmap_budget_refuses_online
"""

import errno
import json
import os
import subprocess
import sys
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.enter_namespace()

import world as worldmod  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20
CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'units', 'daxhpd.catalog')
# Each refusal's own journal catalog entry (daemon/safety.h).
REFUSAL_IDS = {'memmap': 'bff1baf522264aef8cd49d8012c7dbf2',
               'zone-ratio': 'e84702d3ed994de2ba7b2e6a82db8eec',
               'unplug': '9d49e886526b4c0688fe721362b2c01f'}
DEV = '/org/daxhp1/device/dax0_2e0'

REDHAT_RULE = ('SUBSYSTEM!="memory", GOTO="memory_hotplug_end"\n'
               'SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", ATTR{state}="online"\n'
               'LABEL="memory_hotplug_end"\n')
DAXCTL_RULE = ('ACTION=="add", SUBSYSTEM=="dax", TAG+="systemd", '
               'ENV{SYSTEMD_WANTS}="daxdev-reconfigure@$env{DEVNAME}.service"\n')


setUpModule = worldmod.start_journal
tearDownModule = worldmod.stop_journal


class TestSafety(worldmod.WorldTestCase):
    def sysfs(self, rel, text):
        path = os.path.join(self.w.fk.sys, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text + '\n')

    def kernel_settings(self, auto_online='offline', policy='contig-zones', ratio=301, memmap='N'):
        self.sysfs('devices/system/memory/auto_online_blocks', auto_online)
        self.sysfs('module/memory_hotplug/parameters/online_policy', policy)
        self.sysfs('module/memory_hotplug/parameters/auto_movable_ratio', str(ratio))
        self.sysfs('module/memory_hotplug/parameters/memmap_on_memory', memmap)
        self.sysfs('kernel/mm/numa/demotion_enabled', 'false')

    def set_state(self, state, flags=None):
        """SetState / SetStateWithFlags: (error name, message), (None, None) on success."""
        bus = dbus.bus.BusConnection(self.w.bus.address)
        try:
            obj = bus.get_object('org.daxhp1', DEV, introspect=False)
            if flags is None:
                obj.SetState(state, dbus_interface='org.daxhp1.Device', signature='s', timeout=120)
            else:
                obj.SetStateWithFlags(state, dbus.UInt64(flags), dbus_interface='org.daxhp1.Device',
                                      signature='st', timeout=120)
        except dbus.exceptions.DBusException as e:
            return e.get_dbus_name(), e.get_dbus_message()
        finally:
            bus.close()
        return None, None

    # ---------------------------------------------------------------------
    def test_host_settings_shown_and_change_journaled(self):
        w = self.world()
        self.kernel_settings()
        w.fk.add_device('dax0.0', provider='hmem', state='online_movable')
        w.start_daemon()
        w.wait_device('dax0.0')
        m = w.manager()
        self.assertEqual((m['AutoOnlineBlocks'], m['OnlinePolicy'], m['AutoMovableRatio'], m['MemmapOnMemory'],
                          m['DemotionEnabled'], m['CompetingAgents']),
                         ('offline', 'contig-zones', 301, 'N', 'false', []))
        text = w.ctl('status').stdout
        self.assertIn('AutoOnlineBlocks: offline', text)
        self.assertIn('AutoMovableRatio: 301 %', text)
        self.assertEqual(self.audit('DAXHP_EVENT=host-settings'), [])

        # Someone switches the kernel to auto-onlining; the next memory uevent shows it.
        self.sysfs('devices/system/memory/auto_online_blocks', 'online_kernel')
        self.sysfs('module/memory_hotplug/parameters/auto_movable_ratio', '150')
        w.fk.block_uevent('dax0.0', 0)
        harness.wait_for(lambda: self.audit('DAXHP_EVENT=host-settings'), 20, step=0.2,
                         what='host-settings record')
        rec = self.audit('DAXHP_EVENT=host-settings')
        self.assertEqual(len(rec), 1)
        self.assertEqual(rec[0]['DAXHP_CHANGED'], 'auto_online_blocks,auto_movable_ratio')
        self.assertEqual(rec[0]['DAXHP_AUTO_ONLINE_BLOCKS'], 'online_kernel')
        self.assertEqual(rec[0]['MESSAGE_ID'], '146c70fd09234b27a621b966aeff0690')
        m = w.manager()
        self.assertEqual((m['AutoOnlineBlocks'], m['AutoMovableRatio']), ('online_kernel', 150))
        # No change, no second record.
        w.fk.block_uevent('dax0.0', 1)
        w.device('dax0.0')
        self.assertEqual(len(self.audit('DAXHP_EVENT=host-settings')), 1)

    def test_competing_agents_reported(self):
        w = self.world()
        w.host_file('usr/lib/udev/rules.d/40-redhat.rules', REDHAT_RULE)
        w.host_file('usr/lib/udev/rules.d/90-daxctl-device.rules', DAXCTL_RULE)
        w.host_file('usr/lib/udev/rules.d/60-harmless.rules', 'SUBSYSTEM=="memory", GOTO="end"\n')
        w.host_file('etc/daxctl.conf.d/daxctl.conf', '[reconfigure-device unique]\nnvdimm.uuid = x\n')
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0')
        agents = w.manager()['CompetingAgents']
        self.assertEqual([(a['File'], a['Line'], a['Kind']) for a in agents], [
            ('/usr/lib/udev/rules.d/40-redhat.rules', 2, 'udev-memory-online'),
            ('/usr/lib/udev/rules.d/90-daxctl-device.rules', 1, 'udev-daxctl'),
            ('/etc/daxctl.conf.d/daxctl.conf', 1, 'daxctl-conf')])
        self.assertIn('/usr/lib/udev/rules.d/40-redhat.rules:2 (udev-memory-online)', w.ctl('status').stdout)
        rec = self.audit('DAXHP_EVENT=competing-agents')
        self.assertEqual(len(rec), 1)
        self.assertEqual(rec[0]['DAXHP_AGENTS'], '3')
        self.assertEqual(rec[0]['PRIORITY'], '4')
        self.assertIn('40-redhat.rules:2', rec[0]['MESSAGE'])

    def test_masked_agents_not_reported(self):
        w = self.world()
        w.host_file('usr/lib/udev/rules.d/40-redhat.rules', REDHAT_RULE)
        os.makedirs(os.path.join(w.host_root, 'etc/udev/rules.d'))
        os.symlink('/dev/null', os.path.join(w.host_root, 'etc/udev/rules.d/40-redhat.rules'))
        w.fk.add_device('dax0.0', provider='hmem', state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0')
        self.assertEqual(w.manager()['CompetingAgents'], [])
        self.assertEqual(self.audit('DAXHP_EVENT=competing-agents'), [])

    def test_memmap_budget_refuses_online(self):
        w = self.world()
        self.kernel_settings(memmap='N')
        # 4 GiB need 64 MiB of struct pages + 64 MiB margin; 100 MiB are free.
        w.set_host_memory(total=8 * GIB, free=100 * MIB, available=200 * MIB)
        w.fk.add_device('dax0.0', provider='hmem', size=4 * GIB, state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0')
        name, text = self.set_state('online_movable')
        self.assertEqual(name, 'org.daxhp1.Error.InsufficientMemmap')
        self.assertIn('64 MiB of struct pages', text)
        self.assertIn('MemmapOnMemory=yes', text)
        self.assertEqual(w.fk.writes, [], 'the kernel was asked anyway')
        d = w.device('dax0.0')
        self.assertEqual(d['State'], 'unplugged')
        self.assertIn('refused', d['LastError'])
        rec = self.audit('DAXHP_EVENT=refused')
        self.assertEqual(len(rec), 1)
        self.assertEqual((rec[0]['DAXHP_CHECK'], rec[0]['DAXHP_NEED_BYTES'], rec[0]['DAXHP_HAVE_BYTES'],
                          rec[0]['DAXHP_DEVICE'], rec[0]['DAXHP_ERROR_NAME']),
                         ('memmap', str(64 * MIB), str(100 * MIB), 'dax0.0', 'org.daxhp1.Error.InsufficientMemmap'))
        self.assertEqual(rec[0]['MESSAGE_ID'], REFUSAL_IDS['memmap'])
        # Force does not override the memmap budget.
        self.assertEqual(self.set_state('online_movable', 1)[0], 'org.daxhp1.Error.InsufficientMemmap')
        # memmap_on_memory (module and device) puts the struct pages on the device: it fits.
        self.sysfs('module/memory_hotplug/parameters/memmap_on_memory', 'Y')
        self.sysfs('bus/dax/devices/dax0.0/memmap_on_memory', '1')
        self.assertEqual(w.device('dax0.0')['MemmapOnMemory'], '1')
        self.assertEqual(self.set_state('online_movable'), (None, None))
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')

    def test_memmap_policy_no_overrides_device_attr(self):
        """The bind writes the policy's MemmapOnMemory=no before binding: the
        check must not count on the device's attribute (1) then."""
        w = self.world(policies={'50-no.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online\n'
                                               'MemmapOnMemory=no\n'})
        self.kernel_settings(memmap='Y')
        w.set_host_memory(total=8 * GIB, free=100 * MIB, available=200 * MIB)
        w.fk.add_device('dax0.0', provider='hmem', size=4 * GIB, state='unplugged')
        self.sysfs('bus/dax/devices/dax0.0/memmap_on_memory', '1')
        w.start_daemon()
        w.wait_device('dax0.0', Transition='idle', State='unplugged')
        rec = self.audit('DAXHP_EVENT=refused')
        self.assertEqual([r['DAXHP_CHECK'] for r in rec], ['memmap'])
        self.assertEqual(self.set_state('online')[0], 'org.daxhp1.Error.InsufficientMemmap')
        self.assertEqual(w.fk.writes, [], 'the kernel was asked anyway')

    def hazards(self, w):
        r = w.ctl('--json', 'check')
        self.assertIn(r.returncode, (0, 1), r.stderr)
        return json.loads(r.stdout)

    def boot_online_world(self, cmdline=None, record=None, builtin=True, auto_online='offline'):
        w = self.world(policies={'50-movable.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'})
        self.kernel_settings(auto_online=auto_online)
        if cmdline is not None:
            w.host_file('proc/cmdline', 'BOOT_IMAGE=/vmlinuz root=/dev/vda ro %s\n' % cmdline)
        if record is not None:
            w.host_file('run/daxhp-early/auto_online_blocks', record + '\n')
        if not builtin:
            self.sysfs('module/kmem/initstate', 'live')
        return w

    def test_check_boot_online_builtin_kmem(self):
        """kmem built in + a boot default that onlines: memory present at boot
        came online before any unit; check names memhp_default_state=offline."""
        w = self.boot_online_world(cmdline='memhp_default_state=online')
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        r = w.ctl('check')
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('error   boot-online        kernel', r.stdout)
        self.assertIn('default online type is online (memhp_default_state= on the kernel command line)', r.stdout)
        self.assertIn('boot with memhp_default_state=offline on the kernel command line', r.stdout)
        self.assertNotIn('auto-online', r.stdout)
        self.assertIn('1 error, 0 warnings.', r.stdout)
        self.assertIn('Boot with memhp_default_state=offline', w.log_text())

    def test_check_boot_online_sources(self):
        cases = [  # (cmdline, early unit's record, kmem built in, hazard, source)
            ('memhp_default_state=online_kernel memhp_default_state=offline', 'online', True, False, None),
            ('quiet', 'online_movable', True, True, 'as daxhp-early.service found it'),
            ('quiet', 'offline', True, False, None),
            (None, None, True, False, None),          # auto_online_blocks: offline
            ('memhp_default_state=online', None, False, False, None),
        ]
        for cmdline, record, builtin, bad, source in cases:
            with self.subTest(cmdline=cmdline, record=record, builtin=builtin):
                w = self.boot_online_world(cmdline=cmdline, record=record, builtin=builtin)
                w.start_daemon()
                hazards = self.hazards(w)
                got = [h for h in hazards if h['Check'] == 'boot-online']
                self.assertEqual(bool(got), bad, hazards)
                if bad:
                    self.assertEqual(got[0]['Severity'], 'warning', 'no managed device yet')
                    self.assertIn(source, got[0]['Message'])
                w.close()
                self.w = None

    def test_boot_online_device_corrected_or_reported(self):
        """A device the kernel onlined into ZONE_NORMAL before daxhpd: taken to
        online_movable through unplugged while it can be; when the kernel
        refuses the unplug (EBUSY: its data is there now), LastError, the
        journal and check say so, naming the remedy."""
        w = self.boot_online_world(cmdline='memhp_default_state=online')
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, state='online_kernel')
        w.fk.add_device('dax1.0', provider='hmem', size=GIB, state='online_kernel')
        w.fk.inject_error('dax1.0', errno.EBUSY, target='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')
        w.wait_device('dax1.0', Transition='idle')
        d = w.device('dax1.0')
        self.assertEqual((d['State'], w.fk.state('dax1.0')), ('online_kernel', 'online_kernel'))
        self.assertIn('busy', d['LastError'].lower())
        hazards = {(h['Subject'], h['Check']): h for h in self.hazards(w)}
        self.assertEqual(hazards[('kernel', 'boot-online')]['Severity'], 'error')
        h = hazards[('dax1.0', 'against-policy')]
        self.assertEqual(h['Severity'], 'error')
        self.assertIn('online_kernel, its policy says online_movable', h['Message'])
        self.assertIn('boot with memhp_default_state=offline', h['Message'])
        self.assertNotIn(('dax0.0', 'against-policy'), hazards)

    def test_zone_ratio_refuses_movable_unless_forced(self):
        w = self.world()
        self.kernel_settings(ratio=301)
        # 1 GiB of kernel zones, 2.5 GiB movable already: +1 GiB is 350 % > 301 %.
        w.set_host_memory(kernel=GIB, movable=2 * GIB + GIB // 2)
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0')
        name, text = self.set_state('online_movable')
        self.assertEqual(name, 'org.daxhp1.Error.ZoneRatioExceeded')
        self.assertIn('over the limit of 301 %', text)
        self.assertEqual(w.fk.writes, [])
        rec = self.audit('DAXHP_EVENT=refused')
        self.assertEqual(rec[-1]['DAXHP_CHECK'], 'zone-ratio')
        self.assertEqual(rec[-1]['MESSAGE_ID'], REFUSAL_IDS['zone-ratio'])
        self.assertEqual(rec[-1]['DAXHP_NEED_BYTES'], str(3 * GIB + GIB // 2))
        # online_kernel is not limited by the ratio.
        self.assertEqual(self.set_state('online_kernel'), (None, None))
        # Unknown flags are a typed error; flag 1 forces.
        self.assertEqual(self.set_state('online_movable', 6)[0], 'org.daxhp1.Error.InvalidArguments')
        self.assertEqual(self.set_state('online_movable', 1), (None, None))
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')

    def test_zone_ratio_policy_limit(self):
        w = self.world(policies={'50-movable.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'
                                                    'MaxMovablePercent=400%\n'})
        self.kernel_settings(ratio=301)
        w.set_host_memory(kernel=GIB, movable=2 * GIB + GIB // 2)
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, state='unplugged')
        w.start_daemon()
        # 350 % is within the policy's 400 %: policy applies on arrival.
        w.wait_device('dax0.0', State='online_movable', Transition='idle')

    def test_unplug_refused_when_memory_in_use(self):
        w = self.world()
        self.kernel_settings()
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='online_movable')
        # The device's node is full; the rest of the host has 512 MiB available.
        self.sysfs('devices/system/node/node1/meminfo',
                   'Node 1 MemTotal: %d kB\nNode 1 MemFree: 0 kB\nNode 1 MemUsed: %d kB' % (GIB >> 10, GIB >> 10))
        w.set_host_memory(total=4 * GIB, free=256 * MIB, available=512 * MIB)
        w.start_daemon()
        w.wait_device('dax0.0')
        self.assertEqual(w.device('dax0.0')['PagesInUse'], GIB // 4096)
        name, text = self.set_state('unplugged')
        self.assertEqual(name, 'org.daxhp1.Error.MemoryInUse')
        self.assertIn('1024 MiB in use', text)
        self.assertEqual(w.fk.writes, [])
        rec = self.audit('DAXHP_EVENT=refused')
        self.assertEqual((rec[-1]['DAXHP_CHECK'], rec[-1]['DAXHP_NEED_BYTES'], rec[-1]['DAXHP_HAVE_BYTES']),
                         ('unplug', str(GIB), str(512 * MIB)))
        self.assertEqual(rec[-1]['MESSAGE_ID'], REFUSAL_IDS['unplug'])
        # Drained: a quarter in use fits.
        self.sysfs('devices/system/node/node1/meminfo',
                   'Node 1 MemTotal: %d kB\nNode 1 MemFree: %d kB' % (GIB >> 10, (GIB - 256 * MIB) >> 10))
        w.set_host_memory(total=4 * GIB, free=GIB, available=2 * GIB)
        self.assertEqual(w.device('dax0.0')['PagesInUse'], 256 * MIB // 4096)
        self.assertEqual(self.set_state('unplugged'), (None, None))
        self.assertEqual(w.fk.state('dax0.0'), 'unplugged')
        self.assertEqual(w.device('dax0.0')['PagesInUse'], 0)

    def test_unplug_on_shared_node_bounds_both_ways(self):
        w = self.world()
        self.kernel_settings()
        # Node 0 holds the device and 3 GiB of other memory, half of it free.
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=0, state='online_movable')
        self.sysfs('devices/system/node/node0/meminfo',
                   'Node 0 MemTotal: %d kB\nNode 0 MemFree: %d kB' % ((4 * GIB) >> 10, (2 * GIB) >> 10))
        w.set_host_memory(total=4 * GIB, free=2 * GIB, available=2 * GIB)
        w.start_daemon()
        w.wait_device('dax0.0')
        # Up to the whole device may be in use, and up to the whole device may be the free part of
        # MemAvailable, so the rest is 2 GiB - 1 GiB: 1 GiB + the margin does not fit.
        self.assertEqual(w.device('dax0.0')['PagesInUse'], GIB // 4096)
        name, text = self.set_state('unplugged')
        self.assertEqual(name, 'org.daxhp1.Error.MemoryInUse')
        self.assertIn('has only 1024 MiB available', text)
        self.assertEqual(w.fk.writes, [])
        w.set_host_memory(total=4 * GIB, free=2 * GIB, available=2 * GIB + 128 * MIB)
        self.assertEqual(self.set_state('unplugged'), (None, None))
        self.assertEqual(w.fk.state('dax0.0'), 'unplugged')

    def test_refusals_have_catalog_entries(self):
        with open(CATALOG) as f:
            catalog = f.read()
        for check, mid in REFUSAL_IDS.items():
            entry = catalog.split('\n-- %s\n' % mid)
            self.assertEqual(len(entry), 2, 'no catalog entry for the %s refusal' % check)
            self.assertIn('DAXHP_CHECK=%s' % check, entry[1].split('\n-- ')[0])

    def test_unplug_forced(self):
        w = self.world()
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, target_node=1, state='online_movable')
        self.sysfs('devices/system/node/node1/meminfo',
                   'Node 1 MemTotal: %d kB\nNode 1 MemFree: 0 kB' % (GIB >> 10))
        w.set_host_memory(total=4 * GIB, free=256 * MIB, available=512 * MIB)
        w.start_daemon()
        w.wait_device('dax0.0')
        self.assertEqual(self.set_state('unplugged', 1), (None, None))
        self.assertEqual(w.fk.state('dax0.0'), 'unplugged')

    def test_tiering_shown(self):
        w = self.world()
        self.kernel_settings()
        self.sysfs('devices/virtual/memory_tiering/memory_tier4/nodelist', '0')
        self.sysfs('devices/virtual/memory_tiering/memory_tier22/nodelist', '1-2')
        w.fk.add_device('dax0.0', provider='hmem', target_node=1, state='unplugged')
        w.fk.add_device('dax1.0', provider='hmem', target_node=7, state='unplugged')
        w.start_daemon()
        w.wait_device('dax1.0')
        self.assertEqual(w.device('dax0.0')['MemoryTier'], 22)
        self.assertEqual(w.device('dax1.0')['MemoryTier'], -1)
        self.assertEqual(w.manager()['DemotionEnabled'], 'false')
        self.assertIn('MemoryTier: 22', w.ctl('status', 'dax0.0').stdout)

    def test_tier_not_read_during_a_step(self):
        # Offlining a node's last memory destroys its memory tier under the
        # kernel's memory_tier_lock, and the tier's sysfs removal waits for
        # every open read of its nodelist, which waits for that lock: a
        # nodelist read during an unplug could hang daxhpd and the unplug for
        # good (e2e-safety, CXL). During a step MemoryTier is the last value
        # read; here a read of the file would block the event loop for good.
        w = self.world()
        self.kernel_settings()
        self.sysfs('devices/virtual/memory_tiering/memory_tier4/nodelist', '0')
        self.sysfs('devices/virtual/memory_tiering/memory_tier22/nodelist', '1')
        w.fk.add_device('dax0.0', provider='hmem', target_node=1, state='online_movable')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        self.assertEqual(w.device('dax0.0')['MemoryTier'], 22)
        w.fk.set_delay('dax0.0', 8 / 8)
        setter = w.ctl_start('set', 'dax0.0', 'unplugged')
        fifo = os.path.join(w.fk.sys, 'devices/virtual/memory_tiering/memory_tier22/nodelist')
        try:
            self.assertIsNotNone(w.fk.wait_inflight('dax0.0', 30), 'the daemon never started the unplug')
            os.unlink(fifo)
            os.mkfifo(fifo)
            r = w.busctl('--timeout=3', 'get-property', 'org.daxhp1', DEV, 'org.daxhp1.Device', 'MemoryTier')
            self.assertEqual((r.returncode, r.stdout.strip()), (0, 'i 22'), r.stderr)
            r = w.busctl('--timeout=3', 'call', 'org.daxhp1', DEV, 'org.freedesktop.DBus.Properties', 'GetAll',
                         's', 'org.daxhp1.Device')
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIsNone(w.fk.wait_inflight('dax0.0', 0).end, 'the unplug ended early; the test proves nothing')
        finally:
            # Let a reader stuck on the FIFO go (it reads EOF), then a plain file again.
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            if os.path.exists(fifo):
                os.unlink(fifo)
            self.sysfs('devices/virtual/memory_tiering/memory_tier22/nodelist', '1')
            self.assertEqual(setter.wait(60), 0, setter.stderr.read())
        # Idle again, the tier is read live: node 1's tier is gone with its memory.
        os.unlink(fifo)
        self.assertEqual(w.device('dax0.0')['MemoryTier'], -1)

    def test_check_lists_hazards(self):
        w = self.world(policies={'50-movable.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'
                                                    'MemmapOnMemory=yes\n'})
        self.kernel_settings(auto_online='online', memmap='N')
        w.host_file('usr/lib/udev/rules.d/40-redhat.rules', REDHAT_RULE)
        w.set_host_memory(total=8 * GIB, free=100 * MIB, available=200 * MIB, kernel=GIB, movable=0)
        w.fk.add_device('dax0.0', provider='hmem', size=4 * GIB, state='unplugged')
        w.start_daemon()
        # The policy's transition is refused (memmap) and stays so.
        w.wait_device('dax0.0', Transition='idle', State='unplugged')
        r = w.ctl('check')
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('error   auto-online        kernel', r.stdout)
        self.assertIn('error   udev-memory-online /usr/lib/udev/rules.d/40-redhat.rules:2', r.stdout)
        self.assertIn('ln -s /dev/null', r.stdout)
        self.assertIn('error   memmap             dax0.0', r.stdout)
        self.assertIn('error   zone-ratio         dax0.0', r.stdout)
        self.assertIn('warning memmap-on-memory   dax0.0', r.stdout)
        # The fake kernel's kmem is built in (no module/kmem/initstate): memory
        # present at boot came online under the same default.
        self.assertIn('error   boot-online        kernel', r.stdout)
        self.assertIn('5 errors, 1 warning.', r.stdout)
        r = w.ctl('--json', 'check')
        self.assertEqual(r.returncode, 1)
        hazards = json.loads(r.stdout)
        self.assertEqual(sorted((h['Check'], h['Severity']) for h in hazards),
                         [('auto-online', 'error'), ('boot-online', 'error'), ('memmap', 'error'), ('memmap-on-memory', 'warning'),
                          ('udev-memory-online', 'error'), ('zone-ratio', 'error')])

    def test_check_clean_host(self):
        w = self.world(policies={'50-movable.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'})
        self.kernel_settings(auto_online='offline')
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0', State='online_movable', Transition='idle')
        r = w.ctl('check')
        self.assertEqual((r.returncode, r.stdout), (0, 'LEVEL   CHECK              SUBJECT\nNo hazards found.\n'))
        self.assertEqual(w.ctl_json('check'), [[]])

    def test_check_without_daemon(self):
        w = self.world()
        r = w.ctl('check')
        self.assertEqual(r.returncode, 1)
        self.assertIn('daxhpd is not running', r.stderr)

    def test_set_force_through_daxhpctl(self):
        w = self.world()
        self.kernel_settings(ratio=301)
        w.set_host_memory(kernel=GIB, movable=3 * GIB)
        w.fk.add_device('dax0.0', provider='hmem', size=GIB, state='unplugged')
        w.start_daemon()
        w.wait_device('dax0.0')
        r = w.ctl('set', 'dax0.0', 'online_movable')
        self.assertEqual(r.returncode, 1)
        self.assertIn('org.daxhp1.Error.ZoneRatioExceeded', r.stderr)
        self.assertIn('400 %', r.stderr)
        r = w.ctl('set', 'dax0.0', 'online_movable', '--force')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(w.fk.state('dax0.0'), 'online_movable')
        # --force is for set only.
        self.assertEqual(w.ctl('reset', 'dax0.0', '--force').returncode, 2)

    def test_early_unit_sets_auto_online_offline(self):
        """daxhp-early.service: ordered before udev's coldplug, conditioned on
        policy, and its command turns auto-onlining off (run against a file
        standing in for the kernel's)."""
        import configparser
        unit = os.path.join(harness.BUILD, 'units', 'daxhp-early.service')
        cp = configparser.ConfigParser(strict=False, interpolation=None)
        cp.optionxform = str
        with open(unit) as f:
            text = f.read()
        cp.read_string(text)
        self.assertIn('systemd-udev-trigger.service', cp['Unit']['Before'].split())
        self.assertEqual(cp['Unit']['DefaultDependencies'], 'no')
        self.assertIn('ConditionDirectoryNotEmpty=|/etc/daxhp.d', text)
        with open(os.path.join(harness.BUILD, 'units', 'daxhpd.service')) as f:
            self.assertIn('\nAlso=daxhp-early.service\n', f.read())
        cmd = cp['Service']['ExecStart']
        kernel = '/sys/devices/system/memory/auto_online_blocks'
        self.assertIn(kernel, cmd)
        self.assertTrue(cmd.startswith("/bin/sh -c '") and cmd.endswith("'"), cmd)
        w = self.world()
        fake = w.host_file('auto_online_blocks', 'online_kernel\n')
        record = os.path.join(w.host_root, 'run', 'daxhp-early')
        os.makedirs(record)
        script = cmd[len("/bin/sh -c '"):-1].replace(kernel, fake).replace('/run/daxhp-early', record)
        r = subprocess.run(['/bin/sh', '-c', script], capture_output=True, text=True, timeout=30,
                           env=harness.clean_env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, 'auto_online_blocks: online_kernel -> offline (daxhp owns hot-added memory)\n')
        with open(fake) as f:
            self.assertEqual(f.read(), 'offline\n')
        # What the kernel booted with stays known (daxhpctl check's boot-online hazard).
        self.assertIn('RuntimeDirectory=daxhp-early\n', text)
        with open(os.path.join(record, 'auto_online_blocks')) as f:
            self.assertEqual(f.read(), 'online_kernel\n')


if __name__ == '__main__':
    unittest.main()
