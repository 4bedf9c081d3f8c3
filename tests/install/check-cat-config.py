#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`systemd-analyze cat-config daxhp.d/NAME.conf` shows what daxhpd reads
(daxhp.d(5) says so): the same four directories, override by name, drop-ins
of all directories sorted by name, masks. Compared with `daxhpctl verify
--json` over the same tree, for fixtures that exercise each rule. TAP.

    check-cat-config.py DAXHPCTL
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

DAXHPCTL = sys.argv[1]
DIRS = ['etc', 'run', 'usr/local/lib', 'usr/lib']
POLICY = '[Match]\nProvider=hmem\n\n[Policy]\nState=online\n'
DROPIN = '[Policy]\nRetries=2\n'
n = 0
failed = False


def tap(ok, name, detail=''):
    global n, failed
    n += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
    if not ok:
        failed = True
        for line in detail.splitlines():
            print('#   ' + line)


def put(root, rel, text=None):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if text is None:
        os.symlink('/dev/null', p)
    else:
        with open(p, 'w') as f:
            f.write(text)


def analyze(root, name):
    r = subprocess.run(['systemd-analyze', '--root=' + root, 'cat-config', 'daxhp.d/' + name],
                       capture_output=True, text=True)
    heads = [line[2:] for line in r.stdout.splitlines() if line.startswith('# ' + root)]
    # A mask shows as its one empty file: nothing of it is read.
    return [h for h in heads if not (os.path.islink(h) or os.path.getsize(h) == 0)]


def daxhpctl(root, name):
    dirs = [os.path.join(root, d, 'daxhp.d') for d in DIRS if os.path.isdir(os.path.join(root, d, 'daxhp.d'))]
    r = subprocess.run([DAXHPCTL, '--json', 'verify'] + dirs, capture_output=True, text=True)
    for f in json.loads(r.stdout)['Files']:
        if os.path.basename(f['Path']) == name:
            return [f['Path']] + f['DropIns']
    return []


FIXTURES = {
    'vendor file, site drop-ins from two directories': [
        ('usr/lib/daxhp.d/50-x.conf', POLICY),
        ('etc/daxhp.d/50-x.conf.d/10-a.conf', DROPIN),
        ('usr/lib/daxhp.d/50-x.conf.d/20-b.conf', DROPIN)],
    'a drop-in of the same name in an earlier directory replaces the later one': [
        ('usr/lib/daxhp.d/50-x.conf', POLICY),
        ('run/daxhp.d/50-x.conf.d/10-a.conf', DROPIN),
        ('usr/lib/daxhp.d/50-x.conf.d/10-a.conf', DROPIN)],
    'a file in /etc overrides the vendor file of the same name': [
        ('usr/lib/daxhp.d/50-x.conf', POLICY),
        ('etc/daxhp.d/50-x.conf', POLICY),
        ('usr/local/lib/daxhp.d/50-x.conf.d/30-c.conf', DROPIN)],
    'a /dev/null link masks the file': [
        ('usr/lib/daxhp.d/50-x.conf', POLICY),
        ('etc/daxhp.d/50-x.conf', None)],
    'a masked drop-in is not read': [
        ('usr/lib/daxhp.d/50-x.conf', POLICY),
        ('usr/lib/daxhp.d/50-x.conf.d/10-a.conf', DROPIN),
        ('etc/daxhp.d/50-x.conf.d/10-a.conf', None)],
}

for what, files in FIXTURES.items():
    root = tempfile.mkdtemp(prefix='daxhp-cat-')
    try:
        for rel, text in files:
            put(root, rel, text)
        a, d = analyze(root, '50-x.conf'), daxhpctl(root, '50-x.conf')
        tap(a == d, what, 'systemd-analyze: %s\ndaxhpctl verify: %s' % (a, d))
    finally:
        shutil.rmtree(root, ignore_errors=True)
print('1..%d' % n)
sys.exit(1 if failed else 0)
