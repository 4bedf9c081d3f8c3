# SPDX-License-Identifier: LGPL-2.1-or-later
"""fake-kernel: a umockdev testbed that plays the daxhp kernel series.

It builds /sys for dax regions/devices (hmem- and pmem-shaped devpaths) and
memory blocks under /sys/devices/system/memory, and serves each kmem-bound
device's `hotplug` attribute through a one-file FUSE mount (minifuse.py), so
a write(2) from the daemon behaves like the real attribute:

  * the write returns only when the transition is done (blocks created or
    removed, uevents sent), or fails with the kernel's errno:
      unknown value / "offline"                         -> EINVAL
      online type A -> online type B (not via unplug)   -> EBUSY
      injected failure (inject())                        -> that errno, state rolled back
      writer signalled during a slow step (delay())     -> EINTR, state rolled back
  * writing the current state is a successful no-op;
  * an online type from "offline" (bound under the offline policy, or a
    block offlined by another actor) onlines the offline blocks in place,
    as the revised series does (EBUSY if online blocks are in another kind
    of zone); with `hotplug_direct_online = False` it is EBUSY, as in the
    series before that revision (v5);
  * reads always return the live state; with set_read_blocks() they wait
    while a transition of the device runs (the series' attribute read takes
    the device lock).

Every write is recorded in `self.writes` (device, value, result errno,
sequence numbers of start/end, concurrent writers at start); `overlaps()`
lists writes that started while another one was in flight, which the
daemon's single global queue must make impossible.

Drift: `drift(dev, i, 'offline')` toggles one block like another actor
(memoryN/state rewritten + "offline"/"online" uevent).

Linux 7.3 (`add_device(attr='state')`): the attribute is the last value
written (stale after per-block changes, a write of it a no-op even then),
an online type is accepted only from "unplugged" (EBUSY otherwise), and the
memoryN/state files are served like a stock kernel's (below), since 7.3
lets anyone change the blocks.

Stock kernels (`add_device(attr=None)`): kmem-bound devices have neither
attribute, and each memoryN/state is a FUSE file that plays
drivers/base/memory.c's state_store():
      "online", "online_kernel", "online_movable", "offline"; else   -> EINVAL
      online type on an online block / offline on an offline one   -> EINVAL
                  (device_online()/device_offline() return 1: "already")
      inject_block_error(dev, i, err)                               -> that
                  errno for every offline of block i (unmovable pages) until
                  clear_block_errors()
"online" picks the first of valid_zones ("Normal Movable" -> Normal). An
unbind of kmem with an online block is refused (EBUSY) and removes the
blocks otherwise. Block writes are recorded in `self.block_writes`.

IMPORTANT: the process that runs the FUSE servers must never do file I/O on
its own `hotplug` files (it would deadlock if it died mid-request); use
`state(dev)` instead.
"""

import errno
import os
import threading
import time

import gi
gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev  # noqa: E402

import minifuse  # noqa: E402

BLOCK_SIZE = 128 << 20
ONLINE_TYPES = ('online', 'online_kernel', 'online_movable')
WRITABLE = ('unplugged',) + ONLINE_TYPES


class Write:
    def __init__(self, dev, value, seq, concurrent, pid):
        self.dev = dev
        self.value = value
        self.start = seq
        self.end = None
        self.concurrent = concurrent   # other writes in flight when this one started
        self.pid = pid
        self.result = None             # 0 or errno
        self.before = None
        self.after = None

    def __repr__(self):
        return '<write %s %r %s->%s err=%s seq=%s..%s conc=%d>' % (
            self.dev, self.value, self.before, self.after, self.result,
            self.start, self.end, self.concurrent)


class Device:
    def __init__(self, fk, name, devpath, size, target_node, region, provider,
                 phys_start, state, attr):
        self.fk = fk
        self.name = name
        self.devpath = devpath           # "/devices/.../dax0.0"
        self.size = size
        self.target_node = target_node
        self.region = region
        self.provider = provider
        self.phys_start = phys_start     # first block index
        self.nblocks = size // BLOCK_SIZE
        self.state = state
        self.attr = attr                 # 'hotplug', 'state' or None
        self.fuse = None
        self.delay = 0.0                 # seconds one transition step takes
        self.rollback_delay = 0.0        # seconds rolling back an interrupted step takes
        self.inject = []                 # list of (errno, target or None)
        self.block_errors = {}           # stock kernel: block index -> errno of its offline
        self.block_online = {}           # stock kernel: block index -> zone or None (offline)
        self.block_fuse = {}             # stock kernel: block index -> FileServer of its state
        self.drifted = set()             # blocks toggled by "another actor"
        self.reonline = set()            # blocks another agent onlines again right after an offline
        self.leaked = False              # kmem unbound with a block online (7.2: memory stays)
        self.busy = threading.Lock()     # the device lock a transition holds
        self.slow_read = False           # reads wait for the device lock (set_read_blocks)
        self.reads = 0                   # attribute reads served
        self.plain_blocks = False        # 7.3: memoryN/state as plain files (add_device)

    # FUSE handler -------------------------------------------------------
    def read(self):
        if self.slow_read:
            # This series' attribute read takes the device lock, so it sleeps
            # for as long as a transition of the device runs.
            with self.busy:
                pass
        with self.fk.lock:
            self.reads += 1
        return (self.fk._reported(self) + '\n').encode()

    def write(self, data, req):
        return self.fk._write(self, data, req)

    def blocks(self):
        return ['memory%d' % (self.phys_start + i) for i in range(self.nblocks)]


class BlockStateFile:
    """memoryN/state of a stock kernel (no whole-device attribute)."""

    def __init__(self, dev, i):
        self.dev = dev
        self.i = i

    def read(self):
        with self.dev.fk.lock:
            return b'offline\n' if self.dev.block_online.get(self.i) is None else b'online\n'

    def write(self, data, req):
        # a slow block (set_delay): a signal to the writer ends the wait with EINTR, unchanged
        if self.dev.delay and req.interrupted.wait(self.dev.delay):
            with self.dev.fk.lock:
                self.dev.fk.block_writes.append(('memory%d' % (self.dev.phys_start + self.i),
                                                 data.decode(errors='replace').strip(), errno.EINTR))
            raise OSError(errno.EINTR, os.strerror(errno.EINTR))
        err = self.dev.fk._block_write(self.dev, self.i, data.decode(errors='replace').strip())
        if err:
            raise OSError(err, os.strerror(err))


class DriverFile:
    """/sys/bus/dax/drivers/DRV/{bind,unbind,new_id,remove_id}: write-only."""

    def __init__(self, fk, driver, name):
        self.fk = fk
        self.driver = driver
        self.name = name

    def read(self):
        return b''

    def write(self, data, req):
        dev = data.decode(errors='replace').strip()
        err = self.fk._driver_write(self.driver, self.name, dev)
        with self.fk.lock:
            self.fk.binds.append((self.driver, self.name, dev, err))
        if err:
            raise OSError(err, os.strerror(err))


class FakeKernel:
    def __init__(self, online_reports='online', hotplug_direct_online=True):
        self.tb = UMockdev.Testbed.new()
        self.root = self.tb.get_root_dir()
        self.sys = self.tb.get_sys_dir()
        self.lock = threading.RLock()       # guards testbed + model
        self.devices = {}
        self.writes = []
        self.block_writes = []               # (block name, value, errno): stock kernel
        self.seq = 0
        self.inflight = 0
        self.uevents = []                    # (action, devpath) in send order
        self.next_phys = 32                  # memory above 4 GiB
        self.online_reports = online_reports
        self.hotplug_direct_online = hotplug_direct_online
        self.remove_id_errno = 0             # what a driver's remove_id write returns
        self.send_uevents = True
        self.cond = threading.Condition(self.lock)
        mem = os.path.join(self.sys, 'devices/system/memory')
        os.makedirs(mem, exist_ok=True)
        os.makedirs(os.path.join(self.sys, 'bus/memory/devices'), exist_ok=True)
        with open(os.path.join(mem, 'block_size_bytes'), 'w') as f:
            f.write('%x\n' % BLOCK_SIZE)
        with open(os.path.join(mem, 'auto_online_blocks'), 'w') as f:
            f.write('offline\n')
        self.driver_files = []
        for drv in ('kmem', 'device_dax'):
            d = os.path.join(self.sys, 'bus/dax/drivers', drv)
            os.makedirs(d, exist_ok=True)
            for f in ('bind', 'unbind', 'new_id', 'remove_id'):
                open(os.path.join(d, f), 'a').close()
                h = DriverFile(self, drv, f)
                self.driver_files.append(minifuse.FileServer(os.path.join(d, f), h, mode=0o200))
        self.binds = []                      # (driver, file, device, errno)
        self._parents = set()
        self._cxl_endpoints = []             # endpoint decoders, one per CXL memdev
        # Processes under the preload see only the testbed below /sys; let
        # sd-bus still read callers' cgroups (SD_BUS_CREDS_UNIT/AUGMENT).
        os.makedirs(os.path.join(self.sys, 'fs'), exist_ok=True)
        if os.path.isdir('/sys/fs/cgroup'):
            os.symlink('/sys/fs/cgroup', os.path.join(self.sys, 'fs', 'cgroup'))

    # environment for processes that must see this testbed -----------------
    def env(self, base=None):
        e = dict(os.environ if base is None else base)
        pre = e.get('LD_PRELOAD', '')
        e['LD_PRELOAD'] = ('libumockdev-preload.so.0 ' + pre).strip()
        e['UMOCKDEV_DIR'] = self.root
        # sanitizer builds: the preload comes before libasan, on purpose
        asan = e.get('ASAN_OPTIONS', '')
        if 'verify_asan_link_order' not in asan:
            e['ASAN_OPTIONS'] = (asan + ':' if asan else '') + 'verify_asan_link_order=0'
        return e

    def close(self):
        with self.lock:
            for f in self.driver_files:
                f.close()
            self.driver_files = []
            for d in self.devices.values():
                if d.fuse:
                    d.fuse.close()
                    d.fuse = None
                for f in d.block_fuse.values():
                    f.close()
                d.block_fuse.clear()
            self.tb = None

    # building ------------------------------------------------------------
    def _add(self, lines, skip=()):
        """add_from_string, then end attribute values with a newline like sysfs."""
        self.tb.add_from_string('\n'.join(lines) + '\n')
        devdir = os.path.join(self.sys, lines[0][3:].lstrip('/'))
        for l in lines:
            if l.startswith('A: '):
                k, v = l[3:].split('=', 1)
                if k not in skip:
                    with open(os.path.join(devdir, k), 'w') as f:
                        f.write(v + '\n')

    def _add_parent(self, devpath, subsystem, extra=''):
        if devpath in self._parents:
            return
        self._parents.add(devpath)
        self.tb.add_from_string('P: %s\nE: SUBSYSTEM=%s\n%s\n' % (devpath, subsystem, extra))

    def _region_dir(self, parent, region, size):
        d = os.path.join(self.sys, parent.lstrip('/'), 'dax_region')
        os.makedirs(d, exist_ok=True)
        for k, v in (('id', region), ('size', size), ('align', 2 << 20),
                     ('available_size', 0)):
            with open(os.path.join(d, k), 'w') as f:
                f.write('%s\n' % v)

    def _add_cxl_memdev(self, serial, host_bridge):
        """A CXL memdev below its host bridge and the endpoint port whose
        decoder a region targets; returns the endpoint decoder's name."""
        n = len(self._cxl_endpoints)
        hb = '/devices/pci0000:%02x' % host_bridge
        mem = '%s/0000:%02x:00.0/0000:%02x:00.0/mem%d' % (hb, host_bridge, host_bridge + 1, n)
        for p in (hb, hb + '/0000:%02x:00.0' % host_bridge, os.path.dirname(mem)):
            self._add_parent(p, 'pci')
        self._add(['P: ' + mem, 'E: SUBSYSTEM=cxl', 'E: DEVTYPE=cxl_memdev', 'A: serial=%#x' % serial])
        port = '/devices/platform/ACPI0017:00/root0/port%d' % (n + 1)
        self._add_parent(port, 'cxl', 'E: DEVTYPE=cxl_port\n')
        endpoint = port + '/endpoint%d' % (n + 3)
        self._add_parent(endpoint, 'cxl', 'E: DEVTYPE=cxl_port\n')
        os.symlink(os.path.relpath(os.path.join(self.sys, mem.lstrip('/')),
                                   os.path.join(self.sys, endpoint.lstrip('/'))),
                   os.path.join(self.sys, endpoint.lstrip('/'), 'uport'))
        decoder = 'decoder%d.0' % (n + 3)
        ddir = os.path.join(self.sys, endpoint.lstrip('/'), decoder)
        os.makedirs(ddir)
        bus = os.path.join(self.sys, 'bus/cxl/devices')
        os.makedirs(bus, exist_ok=True)
        os.symlink(os.path.relpath(ddir, bus), os.path.join(bus, decoder))
        self._cxl_endpoints.append(decoder)
        return decoder

    def _add_cxl_region(self, region, root_decoder, memdevs):
        """drivers/cxl's tree: ACPI0017 root, root decoder, region (targets =
        endpoint decoders of the memdevs, (serial, host bridge) pairs),
        dax_region; returns the dax device's parent."""
        self._add_parent('/devices/platform/ACPI0017:00', 'platform', 'E: DRIVER=cxl_acpi\n')
        self._add_parent('/devices/platform/ACPI0017:00/root0', 'cxl')
        rd = '/devices/platform/ACPI0017:00/root0/' + root_decoder
        self._add_parent(rd, 'cxl', 'E: DEVTYPE=cxl_decoder_root\n')
        targets = [self._add_cxl_memdev(sn, hb) for sn, hb in memdevs]
        reg = rd + '/region' + region
        self._add_parent(reg, 'cxl', 'E: DEVTYPE=cxl_region\nE: DRIVER=cxl_region\n')
        rdir = os.path.join(self.sys, reg.lstrip('/'))
        attrs = {'interleave_ways': len(targets), 'mode': 'ram'}
        attrs.update(('target%d' % i, t) for i, t in enumerate(targets))
        for k, v in attrs.items():
            with open(os.path.join(rdir, k), 'w') as f:
                f.write('%s\n' % v)
        parent = reg + '/dax_region' + region
        self._add_parent(parent, 'cxl', 'E: DEVTYPE=cxl_dax_region\nE: DRIVER=cxl_dax_region\n')
        return parent

    def add_device(self, name=None, provider='hmem', size=1 << 30, target_node=1,
                   state='unplugged', attr='hotplug', mode='system-ram', uevent=True,
                   root_decoder='decoder0.0', memdevs=((0x1001, 0x0c),), bind=True,
                   plain_blocks=False):
        """Add a dax device. mode: 'system-ram' (bound to kmem) or 'devdax'.
        provider 'cxl': a region below root_decoder over memdevs, (serial,
        host bridge bus number) pairs in interleave order. Like the kernel,
        the uevents are "add", the blocks' "add", then "bind" when the
        driver's probe is over; bind=False stops before the "bind" (the
        probe still running: finish_probe() ends it). plain_blocks: a 7.3
        device's memoryN/state as plain files (no FUSE server per block: for
        large devices whose blocks nobody writes)."""
        with self.lock:
            region = str(len({d.region for d in self.devices.values()}))
            if name is None:
                name = 'dax%s.0' % region
            region = name[3:].split('.')[0]
            if provider == 'hmem':
                parent = '/devices/platform/hmem.%s' % region
                self._add_parent(parent, 'platform', 'E: DRIVER=hmem\n')
                devpath = parent + '/' + name
            elif provider == 'pmem':
                bus = '/devices/platform/e820_pmem/ndbus0'
                self._add_parent('/devices/platform/e820_pmem', 'platform', 'E: DRIVER=e820_pmem\n')
                self._add_parent(bus, 'nd')
                reg = bus + '/region%s' % region
                self._add_parent(reg, 'nd', 'E: DEVTYPE=nd_pmem\nE: DRIVER=nd_region\n')
                parent = reg + '/' + name
                self._add_parent(parent, 'nd', 'E: DEVTYPE=nd_dax\nE: DRIVER=dax_pmem\n')
                devpath = parent + '/' + name
            elif provider == 'cxl':
                parent = self._add_cxl_region(region, root_decoder, memdevs)
                devpath = parent + '/' + name
            else:
                raise ValueError(provider)
            self._region_dir(parent, region, size)
            phys = self.next_phys
            self.next_phys += size // BLOCK_SIZE
            attr_kind = attr
            if mode != 'system-ram':
                attr = None
                state = 'unplugged'
            elif attr is None and state == 'unplugged':
                raise ValueError('a stock kernel has no kmem-bound device without memory')
            dev = Device(self, name, devpath, size, target_node, region, provider,
                         phys, state, attr)
            dev.driver = 'kmem' if mode == 'system-ram' else 'device_dax'
            dev.kmem_attr = attr_kind
            dev.plain_blocks = plain_blocks
            minor = len(self.devices)
            drv = 'kmem' if mode == 'system-ram' else 'device_dax'
            link = os.path.relpath(os.path.join(self.sys, 'bus/dax/drivers', drv),
                                   os.path.join(self.sys, devpath.lstrip('/')))
            desc = ['P: ' + devpath, 'N: %s=00' % name,
                    'E: DEVNAME=/dev/%s' % name, 'E: SUBSYSTEM=dax',
                    'E: MAJOR=252', 'E: MINOR=%d' % minor, 'E: DRIVER=' + drv,
                    'A: size=%d' % size, 'A: target_node=%d' % target_node,
                    'A: numa_node=%d' % target_node, 'A: align=2097152',
                    'A: resource=0x%x' % (phys * BLOCK_SIZE),
                    'A: modalias=dax:t0*',
                    'L: driver=' + link]
            self.devices[name] = dev
            if attr:
                # Serve the attribute before the device exists for udev:
                # umockdev announces a device ("add") as soon as it is added,
                # and a daemon acting on that must already find the kernel's
                # file, not a plain one that a mount is about to cover.
                devdir = os.path.join(self.sys, devpath.lstrip('/'))
                os.makedirs(devdir, exist_ok=True)
                path = os.path.join(devdir, attr)
                open(path, 'w').close()
                dev.fuse = minifuse.FileServer(path, dev)
            self._add(desc)
            if state != 'unplugged':
                online = state in ONLINE_TYPES
                for b in range(dev.nblocks):
                    self._add_block(dev, b, online, state)
            if uevent:
                self._uevent(devpath, 'add')
                if state != 'unplugged':
                    for b in dev.blocks():
                        self._uevent('/devices/system/memory/' + b, 'add')
                if bind:
                    self._uevent(devpath, 'bind')
            return dev

    def finish_probe(self, name, online=None):
        """End the probe of a device added with bind=False: kmem onlines
        every block as `online` says (the kernel's auto-online policy, e.g.
        'online_movable'; None: leaves them), then the "bind" uevent."""
        with self.lock:
            dev = self.devices[name]
            if online:
                dev.state = online
                for i in range(dev.nblocks):
                    self._set_block(dev, i, True, online)
                    self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'online')
            self._uevent(dev.devpath, 'bind')

    def remove_device(self, name):
        with self.lock:
            dev = self.devices.pop(name)
            for b in range(dev.nblocks):
                if os.path.isdir(self._block_dir(dev, b)):
                    self._remove_block(dev, b)
            if dev.fuse:
                dev.fuse.close()
                dev.fuse = None
            self._uevent(dev.devpath, 'remove')
            self.tb.remove_device('/sys' + dev.devpath)

    # memory blocks ---------------------------------------------------------
    def _block_dir(self, dev, i):
        return os.path.join(self.sys, 'devices/system/memory/memory%d' % (dev.phys_start + i))

    @staticmethod
    def _zones(online, state):
        if not online:
            return 'Normal Movable'
        return 'Movable' if state == 'online_movable' else 'Normal'

    def _add_block(self, dev, i, online, state):
        n = dev.phys_start + i
        devpath = '/devices/system/memory/memory%d' % n
        self._add([
            'P: ' + devpath, 'E: SUBSYSTEM=memory',
            'A: state=%s' % ('online' if online else 'offline'),
            'A: online=%d' % (1 if online else 0),
            'A: valid_zones=%s' % self._zones(online, state),
            'A: phys_index=%08x' % n, 'A: phys_device=0', 'A: removable=1',
        ])
        # memory is a bus, not a class
        try:
            os.unlink(os.path.join(self.sys, 'class/memory/memory%d' % n))
        except FileNotFoundError:
            pass
        bl = os.path.join(self.sys, 'bus/memory/devices/memory%d' % n)
        if not os.path.lexists(bl):
            os.symlink('../../../devices/system/memory/memory%d' % n, bl)
        d = self._block_dir(dev, i)
        os.unlink(os.path.join(d, 'subsystem'))
        os.symlink('../../../../bus/memory', os.path.join(d, 'subsystem'))
        os.symlink('../../node/node%d' % dev.target_node, os.path.join(d, 'node%d' % dev.target_node))
        if self._block_files(dev):
            dev.block_online[i] = self._zones(True, state) if online else None
            dev.block_fuse[i] = minifuse.FileServer(os.path.join(d, 'state'), BlockStateFile(dev, i))

    @staticmethod
    def _stock(dev):
        """A kmem device of a kernel with neither hotplug nor state: per-block only."""
        return dev.kmem_attr is None and dev.driver == 'kmem'

    @staticmethod
    def _block_files(dev):
        """memoryN/state served with the kernel's rules: stock kernels and 7.3."""
        return dev.kmem_attr in (None, 'state') and dev.driver == 'kmem' and not dev.plain_blocks

    def _remove_block(self, dev, i):
        n = dev.phys_start + i
        f = dev.block_fuse.pop(i, None)
        if f:
            f.close()
        dev.block_online.pop(i, None)
        try:
            os.unlink(os.path.join(self.sys, 'bus/memory/devices/memory%d' % n))
        except FileNotFoundError:
            pass
        self.tb.remove_device('/sys/devices/system/memory/memory%d' % n)

    def _set_block(self, dev, i, online, state):
        d = self._block_dir(dev, i)
        files = [('online', '1' if online else '0'), ('valid_zones', self._zones(online, state))]
        if i in dev.block_fuse:
            # served by BlockStateFile: never write our own FUSE file
            dev.block_online[i] = self._zones(online, state) if online else None
        else:
            files.append(('state', 'online' if online else 'offline'))
        for k, v in files:
            with open(os.path.join(d, k), 'w') as f:
                f.write(v + '\n')

    def block_states(self, name):
        dev = self.devices[name]
        out = []
        if self._block_files(dev):
            with self.lock:
                return [None if i not in dev.block_fuse else
                        'offline' if dev.block_online.get(i) is None else 'online'
                        for i in range(dev.nblocks)]
        for i in range(dev.nblocks):
            p = os.path.join(self._block_dir(dev, i), 'state')
            try:
                with open(p) as f:
                    out.append(f.read().strip())
            except FileNotFoundError:
                out.append(None)
        return out

    def _uevent(self, devpath, action):
        self.uevents.append((action, devpath))
        if self.send_uevents and self.tb is not None:
            self.tb.uevent('/sys' + devpath, action)

    # reported state ---------------------------------------------------------
    def _reported(self, dev):
        with self.lock:
            if dev.attr == 'state':
                return dev.state            # 7.3: what was written last
            if dev.drifted and dev.state != 'unplugged':
                return 'offline'
            if dev.state == 'online' and self.online_reports != 'online':
                return self.online_reports
            return dev.state

    def state(self, name):
        return self._reported(self.devices[name])

    # the kernel's transition ------------------------------------------------
    def _write(self, dev, data, req):
        value = data.decode(errors='replace').strip()
        with self.lock:
            self.seq += 1
            w = Write(dev.name, value, self.seq, self.inflight, req.pid)
            self.inflight += 1
            w.before = self._reported(dev)
            self.writes.append(w)
            self.cond.notify_all()
        err = errno.EIO
        try:
            # Like the kernel's device lock: a second writer waits for the
            # first (it still counts as an overlap above), a signal ends the wait.
            while not dev.busy.acquire(timeout=0.05):
                if req.interrupted.is_set():
                    err = errno.EINTR
                    break
            else:
                try:
                    err = self._transition(dev, value, req)
                finally:
                    dev.busy.release()
        finally:
            with self.lock:
                self.inflight -= 1
                self.seq += 1
                w.end = self.seq
                w.after = self._reported(dev)
                w.result = err
                self.cond.notify_all()
        if err:
            raise OSError(err, os.strerror(err))

    def _sleep(self, dev, req):
        """One slow step; True when the writer got a signal meanwhile."""
        if dev.delay <= 0:
            return req.interrupted.is_set()
        return req.interrupted.wait(dev.delay)

    def _transition(self, dev, value, req):
        if value not in WRITABLE:
            return errno.EINVAL
        with self.lock:
            cur = self._reported(dev)
            err = self._refuse(dev, cur, value)
            if err is not None:
                return err
            inject = None
            for k, (e, target) in enumerate(dev.inject):
                if target is None or target == value:
                    inject = dev.inject.pop(k)[0]
                    break
        if value == 'unplugged':
            return self._unplug(dev, req, inject)
        return self._online(dev, value, req, inject)

    def _refuse(self, dev, cur, value):
        """The errno (or 0, a no-op) the attribute answers at once; None to go ahead."""
        if dev.attr == 'state':
            if cur == value:
                return 0
            if value in ONLINE_TYPES and cur != 'unplugged':
                return errno.EBUSY      # 7.3: "only allowed from the unplugged state"
            return None
        if cur == value and not dev.drifted:
            return 0
        if cur in ONLINE_TYPES and value in ONLINE_TYPES:
            return errno.EBUSY
        if cur == 'offline' and value in ONLINE_TYPES:
            if not self.hotplug_direct_online:
                return errno.EBUSY      # v5: online types only from unplugged
            # the blocks still online are in dev.state's zone
            if dev.drifted and value != 'online' and \
                    self._zones(True, dev.state) != self._zones(True, value):
                return errno.EBUSY
        return None

    def _unplug(self, dev, req, inject):
        with self.lock:
            prev = dev.state
            was_online = [s == 'online' for s in self.block_states(dev.name)]
        # offline block by block: visible to readers, like the kernel
        done = []
        for i in range(dev.nblocks):
            if self._sleep(dev, req):
                return self._rollback(dev, done, was_online, prev, errno.EINTR)
            if inject and i == dev.nblocks // 2:
                return self._rollback(dev, done, was_online, prev, inject)
            with self.lock:
                if was_online[i]:
                    self._set_block(dev, i, False, prev)
                    self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'offline')
                done.append(i)
        with self.lock:
            for i in range(dev.nblocks):
                self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'remove')
                self._remove_block(dev, i)
            dev.state = 'unplugged'
            dev.drifted.clear()
            self._uevent(dev.devpath, 'change')
        return 0

    def _rollback(self, dev, done, was_online, prev, err):
        if dev.rollback_delay:
            time.sleep(dev.rollback_delay)
        with self.lock:
            for i in done:
                if was_online[i]:
                    self._set_block(dev, i, True, prev)
                    self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'online')
            dev.state = prev
        return err

    def _online(self, dev, value, req, inject):
        with self.lock:
            prev = dev.state
            if prev == 'unplugged':
                for i in range(dev.nblocks):
                    self._add_block(dev, i, False, value)
                    self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'add')
        for i in range(dev.nblocks):
            interrupted = self._sleep(dev, req)
            if interrupted or (inject and i == dev.nblocks // 2):
                if dev.rollback_delay:
                    time.sleep(dev.rollback_delay)
                with self.lock:   # roll back to where we started
                    for j in range(dev.nblocks):
                        if prev == 'unplugged':
                            self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + j), 'remove')
                            self._remove_block(dev, j)
                        else:
                            self._set_block(dev, j, False, prev)
                    dev.state = prev
                return errno.EINTR if interrupted else inject
            with self.lock:
                self._set_block(dev, i, True, value)
                self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'online')
        with self.lock:
            dev.state = value
            dev.drifted.clear()
            self._uevent(dev.devpath, 'change')
        return 0

    def block_zones(self, name):
        """Stock kernel: the zone of each online block, None for offline ones."""
        with self.lock:
            dev = self.devices[name]
            return [dev.block_online.get(i) for i in range(dev.nblocks)]

    # the stock kernel's memoryN/state ------------------------------------------
    BLOCK_ZONE = {'online_movable': 'online_movable', 'online_kernel': 'online_kernel',
                  'online': 'online_kernel'}   # "online": first of valid_zones (Normal)

    def _block_write(self, dev, i, value):
        with self.lock:
            err = self._block_transition(dev, i, value)
            self.block_writes.append(('memory%d' % (dev.phys_start + i), value, err))
            self.cond.notify_all()
        return err

    def _block_transition(self, dev, i, value):
        online = dev.block_online.get(i) is not None
        if value in self.BLOCK_ZONE:
            if online:
                return errno.EINVAL
            self._set_block(dev, i, True, self.BLOCK_ZONE[value])
            self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'online')
            return 0
        if value != 'offline' or not online:
            return errno.EINVAL
        if i in dev.block_errors:
            return dev.block_errors[i]
        self._set_block(dev, i, False, None)
        self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'offline')
        if i in dev.reonline:
            # Another agent (a udev rule, daxctl) onlines it again at once.
            self._set_block(dev, i, True, 'online_movable')
            self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), 'online')
        return 0

    # driver binding ------------------------------------------------------------
    def _driver_write(self, driver, what, name):
        with self.lock:
            dev = self.devices.get(name)
            if dev is None:
                return errno.ENODEV
            devdir = os.path.join(self.sys, dev.devpath.lstrip('/'))
            link = os.path.join(devdir, 'driver')
            if what == 'remove_id':
                # the bus's id table is not modelled: the write only takes a name
                return self.remove_id_errno
            if what == 'unbind':
                if dev.driver != driver:
                    return errno.ENODEV
                if driver == 'kmem' and self._stock(dev) and \
                        any(z is not None for z in dev.block_online.values()):
                    # Linux 7.2's dev_dax_kmem_remove(): remove_memory() of a
                    # range with an online block fails, the unbind succeeds
                    # anyway and the memory stays until reboot ("cannot be
                    # hotremoved until the next reboot").
                    dev.leaked = True
                elif driver == 'kmem' and self._stock(dev):
                    for b in range(dev.nblocks):
                        self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + b), 'remove')
                        self._remove_block(dev, b)
                    dev.state = 'unplugged'
                elif driver == 'kmem' and dev.state != 'unplugged':
                    return errno.EBUSY      # memory still added: refuse, keep everything
                if dev.fuse:
                    dev.fuse.close()
                    dev.fuse = None
                if driver == 'kmem' and dev.attr:
                    try:
                        os.unlink(os.path.join(devdir, dev.attr))
                    except FileNotFoundError:
                        pass
                    dev.attr = None
                os.unlink(link)
                dev.driver = None
                self._uevent(dev.devpath, 'unbind')
                return 0
            # bind / new_id: the dax bus matches by name and probes if unbound
            if dev.driver is not None:
                return 0 if what == 'new_id' else errno.EBUSY
            os.symlink(os.path.relpath(os.path.join(self.sys, 'bus/dax/drivers', driver), devdir), link)
            dev.driver = driver
            if driver == 'kmem':
                # kmem probe adds the memory; auto_online_blocks=offline leaves it offline
                dev.state = 'offline'
                for b in range(dev.nblocks):
                    self._add_block(dev, b, False, 'offline')
                    self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + b), 'add')
                if dev.kmem_attr:
                    dev.attr = dev.kmem_attr
                    path = os.path.join(devdir, dev.attr)
                    open(path, 'w').close()
                    dev.fuse = minifuse.FileServer(path, dev)
            self._uevent(dev.devpath, 'bind')
            return 0

    def mode(self, name):
        d = self.devices[name].driver
        return {'kmem': 'system-ram', 'device_dax': 'devdax', None: 'unbound'}[d]

    # test hooks ---------------------------------------------------------------
    def reonline_after_offline(self, name, i, on=True):
        """Another agent onlines block i of `name` right after anyone offlines it."""
        with self.lock:
            if on:
                self.devices[name].reonline.add(i)
            else:
                self.devices[name].reonline.discard(i)

    def leaked(self, name):
        """kmem let go of `name` while a block was online: its memory stays until reboot."""
        return self.devices[name].leaked

    def set_delay(self, name, seconds):
        """Each block step of the next transitions of `name` takes this long."""
        self.devices[name].delay = seconds

    def set_read_blocks(self, name, on=True):
        """Reads of `name`'s attribute wait while a transition of it runs (the series' device lock)."""
        self.devices[name].slow_read = on

    def block_uevent(self, name, i, action='change'):
        """A uevent of block i of `name` without any change (e.g. another tool's `udevadm trigger`)."""
        with self.lock:
            dev = self.devices[name]
            self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), action)

    def set_rollback_delay(self, name, seconds):
        """Rolling back an interrupted/failed transition of `name` takes this long."""
        self.devices[name].rollback_delay = seconds

    def inject_error(self, name, err=errno.EBUSY, target=None):
        """The next write of `target` (any when None) fails with `err`, rolled back."""
        with self.lock:
            self.devices[name].inject.append((err, target))

    def inject_block_error(self, name, i, err=errno.EBUSY):
        """Stock kernel: every offline of block i of `name` fails with `err`."""
        with self.lock:
            self.devices[name].block_errors[i] = err

    def clear_block_errors(self, name):
        with self.lock:
            self.devices[name].block_errors.clear()

    def drift(self, name, i, how):
        """Another actor toggles block i of `name` ('offline' or 'online')."""
        with self.lock:
            dev = self.devices[name]
            online = how == 'online'
            self._set_block(dev, i, online, dev.state)
            if online:
                dev.drifted.discard(i)
            else:
                dev.drifted.add(i)
            self._uevent('/devices/system/memory/memory%d' % (dev.phys_start + i), how)

    def overlaps(self):
        with self.lock:
            return [w for w in self.writes if w.concurrent]

    def wait_writes(self, n, timeout):
        """Wait until at least n writes finished; returns the finished count."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                done = sum(1 for w in self.writes if w.end is not None)
                left = deadline - time.monotonic()
                if done >= n or left <= 0:
                    return done
                self.cond.wait(left)

    def wait_inflight(self, name, timeout):
        """Wait until a write to `name` is in progress; returns it or None."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for w in self.writes:
                    if w.dev == name and w.end is None:
                        return w
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.05))
