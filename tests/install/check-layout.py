#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The install layout against what Debian's dbus, systemd, journald, man and
bash-completion read (issue 12): `meson install --destdir` of BUILD into a
temporary tree, then every file where its reader looks, checked with the
readers themselves where they take a root directory (systemctl --root,
journalctl --root). TAP output.

    check-layout.py BUILDDIR
"""
import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BUILD = sys.argv[1]
results = []


def check(name, cond, detail=''):
    results.append(cond)
    print('%s %d - %s' % ('ok' if cond else 'not ok', len(results), name))
    if not cond and detail:
        for line in str(detail).splitlines():
            print('#   ' + line)


def canon(path):
    """/lib and /usr/lib are one directory on a merged-/usr system (Debian 12)."""
    for top in ('lib', 'bin', 'sbin'):
        if os.path.islink('/' + top) and path.startswith('/%s/' % top):
            return '/usr' + path
    return path


def installed(dest, *names):
    """Absolute (target) paths of the installed files whose name is in names."""
    out = []
    for root, _, files in os.walk(dest):
        for f in files:
            if f in names:
                out.append('/' + os.path.relpath(os.path.join(root, f), dest))
    return sorted(out)


def in_dirs(path, dirs):
    d = canon(os.path.dirname(path))
    return d in [canon(x.rstrip('/')) for x in dirs]


def dbus_system_dirs():
    """<includedir>s of Debian's system.conf, relative ones against its directory."""
    conf = '/usr/share/dbus-1/system.conf'
    tree = ET.parse(conf)
    inc = []
    for e in tree.getroot().iter('includedir'):
        p = e.text.strip()
        inc.append(p if p.startswith('/') else os.path.join(os.path.dirname(conf), p))
    svc = [e.text.strip() for e in tree.getroot().iter('servicedir')]
    if tree.getroot().find('standard_system_servicedirs') is not None:
        # dbus-daemon(1): the standard system service directories.
        svc += ['/usr/local/share/dbus-1/system-services', '/usr/share/dbus-1/system-services',
                '/lib/dbus-1/system-services']
    return inc, svc


def unit_section(path):
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(path)
    return cp


def main():
    dest = tempfile.mkdtemp(prefix='daxhp-install-')
    try:
        r = subprocess.run(['meson', 'install', '-C', BUILD, '--destdir', dest, '--no-rebuild',
                            '--quiet'], capture_output=True, text=True)
        check('meson install --destdir', r.returncode == 0, r.stdout + r.stderr)
        if r.returncode:
            return
        D = lambda p: os.path.join(dest, p.lstrip('/'))  # noqa: E731

        inc, svc = dbus_system_dirs()
        pol = installed(dest, 'org.daxhp1.conf')
        check('bus policy where the system bus reads it (%s)' % pol,
              len(pol) == 1 and in_dirs(pol[0], inc), 'system.conf includes %s' % inc)
        act = installed(dest, 'org.daxhp1.service')
        check('activation file in a system bus service dir (%s)' % act,
              len(act) == 1 and in_dirs(act[0], svc), 'service dirs %s' % svc)

        paths = subprocess.run(['systemd-analyze', 'unit-paths'], capture_output=True,
                               text=True).stdout.split()
        units = installed(dest, 'daxhpd.service')
        units = [u for u in units if '/dbus-1/' not in u]
        check('daxhpd.service in a systemd unit path (%s)' % units,
              len(units) == 1 and in_dirs(units[0], paths), 'unit paths %s' % paths)
        if len(units) != 1 or len(act) != 1:
            return
        unit = unit_section(D(units[0]))
        exe = unit['Service']['ExecStart'].split()[0].lstrip('-+!@:')
        check('ExecStart=%s is the installed daxhpd' % exe,
              os.access(D(exe), os.X_OK) and os.path.basename(exe) == 'daxhpd')
        a = unit_section(D(act[0]))['D-BUS Service']
        check('activation Name= is the unit BusName=',
              a['Name'] == unit['Service']['BusName'] == 'org.daxhp1')

        # The activation file names the unit systemd must find: enabling the
        # unit (systemctl --root, as Debian's deb-systemd-helper does) creates it.
        r = subprocess.run(['systemctl', '--root=' + dest, 'enable', 'daxhpd.service'],
                           capture_output=True, text=True)
        target = a['SystemdService']
        link = D('/etc/systemd/system/' + target)
        check('systemctl --root enable daxhpd creates %s, the activation SystemdService=' % target,
              r.returncode == 0 and os.path.islink(link), r.stdout + r.stderr)
        # ... and enables daxhp-early.service (Also=), which keeps hot-added
        # memory offline at boot before udev's coldplug (issue 13, item 1).
        early = D('/etc/systemd/system/sysinit.target.wants/daxhp-early.service')
        early_unit = [u for u in installed(dest, 'daxhp-early.service') if not u.startswith('/etc/')]
        check('systemctl --root enable daxhpd also enables daxhp-early.service before udev coldplug',
              os.path.islink(early) and len(early_unit) == 1 and
              'systemd-udev-trigger.service' in unit_section(D(early_unit[0]))['Unit'].get('Before', ''),
              r.stdout + r.stderr)

        # journalctl itself, pointed at the staged tree, finds the catalog.
        cat = installed(dest, 'daxhpd.catalog')
        # --root: the database goes to DEST/var/lib/systemd/catalog/database.
        r = subprocess.run(['journalctl', '--root=' + dest, '--update-catalog'],
                           capture_output=True, text=True)
        ids = []
        if len(cat) == 1:
            with open(D(cat[0])) as f:
                ids = [line[3:].split()[0] for line in f if line.startswith('-- ')]
        lst = subprocess.run(['journalctl', '--root=' + dest, '--list-catalog'],
                             capture_output=True, text=True).stdout
        missing = [i for i in ids if i not in lst]
        check('journalctl --update-catalog reads the installed catalog %s (%d ids)' % (cat, len(ids)),
              len(cat) == 1 and ids and not missing, r.stderr + ' missing %s' % missing)

        prefix = None
        for line in subprocess.run(['meson', 'introspect', '--buildoptions', BUILD],
                                   capture_output=True, text=True).stdout.splitlines():
            for o in json.loads(line):
                if o['name'] == 'prefix':
                    prefix = o['value']
        for sect, page in (('1', 'daxhpctl.1'), ('5', 'daxhp.d.5'), ('8', 'daxhpd.8')):
            p = installed(dest, page)
            check('man page %s under %s/share/man/man%s' % (page, prefix, sect),
                  p == ['%s/share/man/man%s/%s' % (prefix, sect, page)], p)
        check('daxhpctl in %s/bin' % prefix, os.access(D(prefix + '/bin/daxhpctl'), os.X_OK))

        # Every example the docs name, site-override/ included.
        ex = D(prefix + '/share/doc/daxhp/examples')
        src = os.path.join(os.environ.get('DAXHP_SOURCE_ROOT', '.'), 'policy', 'examples')
        want = sorted(os.path.relpath(os.path.join(r_, f), src)
                      for r_, _, fs in os.walk(src) for f in fs)
        got = sorted(os.path.relpath(os.path.join(r_, f), ex)
                     for r_, _, fs in os.walk(ex) for f in fs if not r_.endswith('/polkit'))
        check('every file of policy/examples installed (%d)' % len(want), want == got,
              'missing %s' % sorted(set(want) - set(got)))

        # polkit: the action where polkitd reads actions (never under the
        # prefix), its defaults as documented; the group rule only as an example.
        act = installed(dest, 'org.daxhp1.policy')
        check('polkit action in polkitd\'s actions dir (%s)' % act, act == ['/usr/share/polkit-1/actions/org.daxhp1.policy'])
        if act:
            a = ET.parse(D(act[0])).getroot().find("action[@id='org.daxhp1.manage']")
            d = {e.tag: e.text for e in a.find('defaults')} if a is not None else {}
            check('action org.daxhp1.manage: allow_any no, allow_inactive no, allow_active auth_admin_keep',
                  d == {'allow_any': 'no', 'allow_inactive': 'no', 'allow_active': 'auth_admin_keep'}, d)
        rules = installed(dest, '50-daxhp-group.rules')
        check('example polkit rule installed as documentation only (%s)' % rules,
              rules == [prefix + '/share/doc/daxhp/examples/polkit/50-daxhp-group.rules'])

        comp = installed(dest, 'daxhpctl')
        comp = [c for c in comp if 'bash-completion' in c]
        xdg = ['/usr/local/share', '/usr/share']
        check('bash completion where bash-completion looks (%s)' % comp,
              len(comp) == 1 and in_dirs(comp[0], [x + '/bash-completion/completions' for x in xdg]))
        # zsh: the fpath of Debian's zsh (/etc/zsh/zshenv does not change it).
        zsh = installed(dest, '_daxhpctl')
        fpath = ['/usr/local/share/zsh/site-functions', '/usr/share/zsh/vendor-completions',
                 '/usr/share/zsh/site-functions']
        check('zsh completion in zsh\'s fpath (%s)' % zsh, len(zsh) == 1 and in_dirs(zsh[0], fpath))
        # Both completions parse (bash -n; zsh is not installed in CI, so its
        # file is checked for the #compdef line zsh's compinit looks for).
        r = subprocess.run(['bash', '-n', D(comp[0])] if comp else ['false'], capture_output=True, text=True)
        check('bash completion parses (bash -n)', r.returncode == 0, r.stderr)
        with open(D(zsh[0])) if zsh else open('/dev/null') as f:
            check('zsh completion starts with #compdef daxhpctl', f.readline().strip() == '#compdef daxhpctl')
    finally:
        shutil.rmtree(dest, ignore_errors=True)
        print('1..%d' % len(results))


main()
sys.exit(0 if results and all(results) else 1)
