#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of operating daxhpd (issue 12): activation, daxhpctl's
conventions, honest reload, wait. Same world as test_daxhpd.py: the real
daxhpd on a private bus against the fake kernel.

Run one test:   test_operator.py TestOperator.test_read_only_verbs_do_not_activate
"""

import os
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.enter_namespace()

from world import World  # noqa: E402

JOURNAL = None
MOVABLE_HMEM = '[Match]\nProvider=hmem\n\n[Policy]\nState=online_movable\n'


def setUpModule():
    global JOURNAL
    JOURNAL = harness.Journal().start()


def tearDownModule():
    if JOURNAL:
        JOURNAL.stop()


class TestOperator(unittest.TestCase):
    def setUp(self):
        self.w = None

    def tearDown(self):
        if self.w:
            self.w.close()

    def world(self, **kw):
        self.w = World(**kw)
        return self.w

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


if __name__ == '__main__':
    unittest.main()
