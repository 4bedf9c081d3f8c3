#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxhpd scale and footprint on the fake kernel (a benchmark, not a test).

    bench/daemon/bench.py [--reps N] [--sizes 64,128,256] [--build DIR]

Needs root and a meson build (DAXHP_BUILD_ROOT or --build; tests/run-all.sh
prints where its build dir is). Runs in the integration suite's private
world (tests/integration: umockdev + FUSE fake kernel, private bus and
journal), so nothing on the host is touched.

Scale: N dax devices (1 GiB, 8 blocks each, unplugged) arrive in one burst
while daxhpd runs with a policy State=online_movable; timed until every
device is online_movable in the fake kernel and idle in daxhpd. Reported:
the daemon's own CPU time (utime+stime), its step workers' CPU time
(cutime+cstime), peak RSS (VmHWM), wall time. Sizes are interleaved, each
repetition in a rotated order; medians and min-max over the repetitions.

Footprint: an idle daxhpd managing 4 devices: smaps_rollup (Rss, Pss_Anon,
Private_Dirty) and Private_Dirty by mapping, to show what libudev,
libdaxctl and libsystemd cost. The umockdev preload (test-only) is listed
apart and not counted.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration'))

ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ap.add_argument('--reps', type=int, default=10)
ap.add_argument('--sizes', default='64,128,256')
ap.add_argument('--build', default=os.environ.get('DAXHP_BUILD_ROOT'))
args = ap.parse_args()
if not args.build:
    sys.exit('give --build DIR (a meson build dir of this tree) or set DAXHP_BUILD_ROOT')
os.environ['DAXHP_BUILD_ROOT'] = os.path.abspath(args.build)
os.environ.setdefault('DAXHP_SOURCE_ROOT', SRC)

import harness  # noqa: E402

harness.enter_namespace()

from world import World  # noqa: E402

POLICY = {'50-movable.conf': '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'}
TICK = os.sysconf('SC_CLK_TCK')


def cpu(pid):
    with open('/proc/%d/stat' % pid) as f:
        v = f.read().rsplit(')', 1)[1].split()
    return (int(v[11]) + int(v[12])) / TICK, (int(v[13]) + int(v[14])) / TICK


def status(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def burst(n):
    w = World(policies=POLICY)
    try:
        w.start_daemon(debug=False)     # as shipped: no debug lines per uevent
        pid = w.daemon.pid
        time.sleep(0.5)
        own0, kids0 = cpu(pid)
        names = ['dax%d.0' % i for i in range(n)]
        t0 = time.monotonic()
        for name in names:
            w.fk.add_device(name, provider='hmem', size=1 << 30, state='unplugged')
        t_added = time.monotonic() - t0
        deadline = t0 + 900
        while not all(w.fk.state(x) == 'online_movable' for x in names):
            if time.monotonic() > deadline or w.daemon.poll() is not None:
                raise RuntimeError('burst of %d did not settle:\n%s' % (n, w.log_text()))
            time.sleep(0.1)
        while True:
            devs = w.devices()
            if len(devs) == n and all(d['Transition'] == 'idle' and d['State'] == 'online_movable'
                                      for d in devs.values()):
                break
            if time.monotonic() > deadline:
                raise RuntimeError('daxhpd did not settle')
            time.sleep(0.2)
        wall = time.monotonic() - t0
        own, kids = cpu(pid)
        hwm = status(pid, 'VmHWM')
        if w.fk.overlaps():
            raise RuntimeError('kernel writes overlapped')
        return dict(own=own - own0, workers=kids - kids0, hwm=hwm, wall=wall, added=t_added)
    finally:
        w.close()


def smaps(pid):
    rollup = {}
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3 and p[0].endswith(':') and p[2] == 'kB':
                rollup[p[0][:-1]] = int(p[1])
    by_map = {}
    name = None
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            p = line.split()
            if not p:
                continue
            if '-' in p[0] and not p[0].endswith(':'):
                name = os.path.basename(p[5]) if len(p) > 5 else '[anon]'
            elif p[0] == 'Private_Dirty:':
                by_map[name] = by_map.get(name, 0) + int(p[1])
    return rollup, by_map


def footprint():
    w = World(policies=POLICY)
    try:
        for i in range(4):
            w.fk.add_device('dax%d.0' % i, provider='hmem', size=1 << 30, state='unplugged')
        w.start_daemon(debug=False)
        for i in range(4):
            w.wait_device('dax%d.0' % i, State='online_movable', Transition='idle')
        time.sleep(3)
        return smaps(w.daemon.pid)
    finally:
        w.close()


def med(xs):
    return statistics.median(xs)


def main():
    sizes = [int(x) for x in args.sizes.split(',')]
    journal = harness.Journal().start()
    try:
        results = {n: [] for n in sizes}
        for rep in range(args.reps):
            order = sizes[rep % len(sizes):] + sizes[:rep % len(sizes)]
            for n in order:
                r = burst(n)
                results[n].append(r)
                print('rep %d n=%d: daemon %.3f s CPU, workers %.2f s, peak RSS %d KiB, wall %.1f s'
                      % (rep + 1, n, r['own'], r['workers'], r['hwm'], r['wall']), file=sys.stderr)
        print('\nScale: N devices (8 blocks each) arriving in one burst, policy online_movable; '
              'median [min-max] of %d reps' % args.reps)
        print('| devices | daemon CPU (s) | per device (ms) | workers CPU (s) | peak RSS (KiB) | wall (s) |')
        print('|---:|---:|---:|---:|---:|---:|')
        for n in sizes:
            rs = results[n]
            own = [r['own'] for r in rs]
            wk = [r['workers'] for r in rs]
            hwm = [r['hwm'] for r in rs]
            wall = [r['wall'] for r in rs]
            print('| %d | %.3f [%.3f-%.3f] | %.2f | %.2f [%.2f-%.2f] | %d [%d-%d] | %.1f [%.1f-%.1f] |'
                  % (n, med(own), min(own), max(own), med(own) / n * 1e3, med(wk), min(wk), max(wk),
                     med(hwm), min(hwm), max(hwm), med(wall), min(wall), max(wall)))

        rollup, by_map = footprint()
        print('\nIdle footprint (4 devices managed), /proc/PID/smaps_rollup, KiB')
        print('| Rss | Pss | Pss_Anon | Private_Dirty | Private_Dirty without the umockdev preload |')
        print('|---:|---:|---:|---:|---:|')
        pre = sum(v for k, v in by_map.items() if 'umockdev' in k)
        print('| %d | %d | %d | %d | %d |' % (rollup.get('Rss', 0), rollup.get('Pss', 0), rollup.get('Pss_Anon', 0),
                                            rollup.get('Private_Dirty', 0), rollup.get('Private_Dirty', 0) - pre))
        print('\nPrivate_Dirty by mapping (KiB, >= 8)')
        print('| mapping | KiB |')
        print('|---|---:|')
        for k, v in sorted(by_map.items(), key=lambda kv: -kv[1]):
            if v >= 8:
                print('| %s | %d |' % (k, v))
    finally:
        journal.stop()


main()
