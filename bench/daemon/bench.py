#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daxhpd scale and footprint on the fake kernel (a benchmark, not a test).

    bench/daemon/bench.py [--reps N] [--sizes 64,128,256] [--arrivals N] [--build DIR]

Needs root and a meson build (DAXHP_BUILD_ROOT or --build; tests/run-all.sh
prints where its build dir is). Runs in the integration suite's private
world (tests/integration: umockdev + FUSE fake kernel, private bus and
journal), so nothing on the host is touched.

Scale: N dax devices (1 GiB, 8 blocks each, unplugged) arrive in one burst
while daxhpd runs with a policy State=online_movable; timed until every
device is online_movable in the fake kernel and idle in daxhpd. Reported:
the daemon's own CPU time (utime+stime), its step workers' CPU time
(reaped and running), peak RSS (VmHWM), wall time. Sizes are interleaved, each
repetition in a rotated order; medians and min-max over the repetitions.

Arrivals: the e2e guest's arrival (bench/e2e/arrival.py) at the host's
speed, one device at a time: a devdax device appears, daxhpd binds kmem and
writes online_movable; each arrival's transition record gives daxhpd's own
CPU time (daemon + step worker - the worker's kernel calls) from the same
getrusage() fields the guest bench reads. N arrivals of one daxhpd, each
alone (the next device only after the last is idle); the first, a cold
daemon's, is shown apart.

Footprint: an idle daxhpd managing 4 devices, and any step worker still
alive: smaps_rollup (Rss, Pss_Anon, Private_Dirty, Shared_Dirty)
and Private_Dirty by mapping, to show what libudev, libdaxctl and libsystemd
cost. The umockdev preload (test-only) is listed apart and not counted.
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
ap.add_argument('--arrivals', type=int, default=21, help='single arrivals (0: none)')
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
    """CPU seconds of the daemon, and of its step workers: the reaped ones
    (cutime) and any still running."""
    with open('/proc/%d/stat' % pid) as f:
        v = f.read().rsplit(')', 1)[1].split()
    workers = int(v[13]) + int(v[14])
    for c in children(pid):
        try:
            with open('/proc/%d/stat' % c) as f:
                cv = f.read().rsplit(')', 1)[1].split()
            workers += int(cv[11]) + int(cv[12])
        except OSError:
            pass
    return (int(v[11]) + int(v[12])) / TICK, workers / TICK


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


CPU_KEYS = ('OWN', 'DAEMON', 'DAEMON_MATCH', 'DAEMON_QUEUE', 'WORKER', 'KERNEL')


def arrivals(n, journal):
    """CPU fields (ms) of n single arrivals' transition-finished records, in order."""
    w = World(policies=POLICY)
    try:
        w.start_daemon(debug=False)
        time.sleep(0.5)
        names = ['dax%d.0' % i for i in range(n)]
        for name in names:
            w.fk.add_device(name, provider='hmem', size=1 << 30, mode='devdax')
            # Watch the fake kernel, not the bus: a poll would be daemon CPU inside the record.
            harness.wait_for(lambda: w.fk.state(name) == 'online_movable', 60, what=name + ' online_movable')
            time.sleep(0.5)
            w.wait_device(name, State='online_movable', Transition='idle')
        out = []
        for name in names:
            recs = [r for r in journal.records('DAXHP_DEVICE=' + name, 'DAXHP_EVENT=transition-finished')
                    if r.get('_PID') == str(w.daemon.pid) and 'DAXHP_CPU_OWN_USEC' in r]
            if len(recs) != 1:
                raise RuntimeError('%s: %d transition records with CPU fields' % (name, len(recs)))
            out.append({k: int(recs[0].get('DAXHP_CPU_%s_USEC' % k, 0)) / 1e3 for k in CPU_KEYS})
        return out
    finally:
        w.close()


def arrivals_table(runs):
    print('\nSingle arrivals on the host (fake kernel): a devdax device -> kmem bind -> online_movable, '
          "daxhpd's CPU per arrival from its transition record, ms, median [min-max]")
    print('| arrivals | n | own CPU | daemon | daemon: uevent -> policy | daemon: policy -> first step '
          '| step worker | worker: kernel calls |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|')
    for label, rs in (('first (cold daemon)', runs[:1]), ('later (warm daemon)', runs[1:])):
        if rs:
            print('| %s | %d | %s |' % (label, len(rs), ' | '.join(
                '%.2f [%.2f-%.2f]' % (med(v), min(v), max(v)) for v in ([r[k] for r in rs] for k in CPU_KEYS))))


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


def children(pid):
    out = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open('/proc/%s/stat' % d) as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except OSError:
                pass
    return out


def footprint():
    """smaps of the idle daemon and of any step worker still alive."""
    w = World(policies=POLICY)
    try:
        for i in range(4):
            w.fk.add_device('dax%d.0' % i, provider='hmem', size=1 << 30, state='unplugged')
        w.start_daemon(debug=False)
        for i in range(4):
            w.wait_device('dax%d.0' % i, State='online_movable', Transition='idle')
        time.sleep(3)
        return [('daemon', smaps(w.daemon.pid))] + [('step worker', smaps(c)) for c in children(w.daemon.pid)]
    finally:
        w.close()


def med(xs):
    return statistics.median(xs)


def scale_table(sizes, results):
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


def footprint_table():
    procs = footprint()
    print('\nIdle footprint (4 devices managed), /proc/PID/smaps_rollup, KiB; Pss_Anon splits the '
          'pages daxhpd\'s processes share, so its sum is their anonymous memory')
    print('| process | Rss | Pss | Pss_Anon | Private_Dirty | Shared_Dirty | Private_Dirty without the umockdev preload |')
    print('|---|---:|---:|---:|---:|---:|---:|')
    total = {}
    for name, (rollup, by_map) in procs:
        pre = sum(v for k, v in by_map.items() if 'umockdev' in k)
        print('| %s | %d | %d | %d | %d | %d | %d |' % (
            name, rollup.get('Rss', 0), rollup.get('Pss', 0), rollup.get('Pss_Anon', 0),
            rollup.get('Private_Dirty', 0), rollup.get('Shared_Dirty', 0), rollup.get('Private_Dirty', 0) - pre))
        for k in ('Pss', 'Pss_Anon'):
            total[k] = total.get(k, 0) + rollup.get(k, 0)
    print('| together | | %d | **%d** | | | |' % (total['Pss'], total['Pss_Anon']))
    for name, (rollup, by_map) in procs:
        print('\nPrivate_Dirty of the %s by mapping (KiB, >= 8)' % name)
        print('| mapping | KiB |')
        print('|---|---:|')
        for k, v in sorted(by_map.items(), key=lambda kv: -kv[1]):
            if v >= 8:
                print('| %s | %d |' % (k, v))


def main():
    sizes = [int(x) for x in args.sizes.split(',')] if args.reps > 0 else []
    journal = harness.Journal().start()
    try:
        if args.arrivals > 0:
            arrivals_table(arrivals(args.arrivals, journal))
        results = {n: [] for n in sizes}
        for rep in range(args.reps):
            order = sizes[rep % len(sizes):] + sizes[:rep % len(sizes)]
            for n in order:
                r = burst(n)
                results[n].append(r)
                print('rep %d n=%d: daemon %.3f s CPU, workers %.2f s, peak RSS %d KiB, wall %.1f s'
                      % (rep + 1, n, r['own'], r['workers'], r['hwm'], r['wall']), file=sys.stderr)
        if sizes:
            scale_table(sizes, results)
        footprint_table()
    finally:
        journal.stop()


main()
