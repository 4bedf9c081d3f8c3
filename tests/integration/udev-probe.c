/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udev-probe: what a libudev client (the daemon) sees of the fake kernel.
 *   udev-probe list SUBSYSTEM          one "devpath KEY=VAL..." line per device
 *   udev-probe monitor SUBSYSTEM...    print "ACTION devpath" per uevent, flush
 */
#include <libudev.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char *argv[]) {
        struct udev *udev = udev_new();
        if (!udev || argc < 3)
                return 2;
        if (strcmp(argv[1], "list") == 0) {
                struct udev_enumerate *e = udev_enumerate_new(udev);
                struct udev_list_entry *l;
                udev_enumerate_add_match_subsystem(e, argv[2]);
                udev_enumerate_scan_devices(e);
                udev_list_entry_foreach(l, udev_enumerate_get_list_entry(e)) {
                        struct udev_device *d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(l));
                        if (!d)
                                continue;
                        const char *drv = udev_device_get_driver(d);
                        printf("%s driver=%s\n", udev_device_get_devpath(d), drv ? drv : "");
                        udev_device_unref(d);
                }
                udev_enumerate_unref(e);
                udev_unref(udev);
                return 0;
        }
        struct udev_monitor *m = udev_monitor_new_from_netlink(udev, "udev");
        for (int i = 2; i < argc; i++)
                udev_monitor_filter_add_match_subsystem_devtype(m, argv[i], NULL);
        if (udev_monitor_enable_receiving(m) < 0)
                return 1;
        printf("READY\n");
        fflush(stdout);
        struct pollfd p = { .fd = udev_monitor_get_fd(m), .events = POLLIN };
        for (;;) {
                if (poll(&p, 1, -1) < 0)
                        return 1;
                struct udev_device *d = udev_monitor_receive_device(m);
                if (!d)
                        continue;
                printf("%s %s\n", udev_device_get_action(d), udev_device_get_devpath(d));
                fflush(stdout);
                udev_device_unref(d);
        }
}
