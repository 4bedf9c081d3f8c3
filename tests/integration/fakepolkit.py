#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fake polkit authority on the test bus: org.freedesktop.PolicyKit1.

    fakepolkit.py CONFIG LOG

CONFIG (JSON, re-read at every call so a test can change it):
  {"answers": {"1234": "yes"}, "default": "no", "delay": {"1234": 3.0}}
answer per caller uid: "yes" (authorized), "no", "challenge" (not
authorized, a password would do) or "error" (polkit fails the call).
The uid is the bus's (GetConnectionUnixUser of the subject's bus name), as
polkitd does it. Each call is appended to LOG as one JSON line: subject,
action, details, flags, uid. Prints "ready" once it owns the name.
"""

import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = 'org.freedesktop.PolicyKit1.Authority'


class Authority(dbus.service.Object):
    def __init__(self, bus, conf, log):
        super().__init__(bus, '/org/freedesktop/PolicyKit1/Authority')
        self.bus = bus
        self.conf = conf
        self.log = log
        self.driver = dbus.Interface(bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus'),
                                     'org.freedesktop.DBus')

    @dbus.service.method(IFACE, in_signature='(sa{sv})sa{ss}us', out_signature='(bba{ss})',
                         async_callbacks=('ok', 'fail'))
    def CheckAuthorization(self, subject, action, details, flags, cancellation_id, ok, fail):
        kind, props = subject
        uid = int(self.driver.GetConnectionUnixUser(props['name'])) if kind == 'system-bus-name' else -1
        with open(self.conf) as f:
            conf = json.load(f)
        answer = conf.get('answers', {}).get(str(uid), conf.get('default', 'no'))
        delay = conf.get('delay', {}).get(str(uid), 0)
        with open(self.log, 'a') as f:
            f.write(json.dumps({'kind': str(kind), 'name': str(props.get('name', '')), 'uid': uid,
                                'action': str(action), 'details': {str(k): str(v) for k, v in details.items()},
                                'flags': int(flags), 'answer': answer}) + '\n')

        def reply():
            if answer == 'error':
                fail(dbus.exceptions.DBusException('fake polkit failure',
                                                   name='org.freedesktop.PolicyKit1.Error.Failed'))
            else:
                ok((answer == 'yes', answer == 'challenge', {}))
            return False

        if delay:
            GLib.timeout_add(int(delay * 1000), reply)
        else:
            reply()


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    Authority(bus, sys.argv[1], sys.argv[2])
    name = dbus.service.BusName('org.freedesktop.PolicyKit1', bus)  # noqa: F841 (owned while referenced)
    print('ready', flush=True)
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
