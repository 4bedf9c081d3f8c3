/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Offline reader of dax devices from a sysfs tree (the real /sys or a
 * fixture): fills DeviceInfo for the policy matcher. Used by daxhpctl
 * explain/plan and reusable by daxhpd.
 *
 * name        directory name under <root>/bus/dax/devices
 * path        devpath relative to the sysfs root ("/devices/...")
 * size        "size" attribute (0 if missing)
 * target_node "target_node" attribute (-1 if missing)
 * region      "<parent>/dax_region/id", else X of the name "daxX.Y"
 * provider    from the devpath: hmem platform device -> "hmem", ndbus (nvdimm)
 *             -> "pmem", ACPI0017/cxl/dax_regionN -> "cxl", else NULL
 * mode        driver link: device_dax -> "devdax", kmem -> "system-ram",
 *             none -> "unbound", any other driver -> its name
 * cxl_*       for a CXL region's device: region name, root decoder, and per
 *             target memdev, serial, host bridge (sysfs-cxl.h)
 * properties  the KEY=VALUE lines of the device's "uevent" file, then the
 *             properties udev's rules set (E: lines of its database entry,
 *             /run/udev/data/c<dev> or +dax:<name>, beside the sysfs root:
 *             /sys -> /run/udev, DIR/sys -> DIR/run/udev), NULL if unreadable
 */

#include <stddef.h>

#include "policy.h"

/* All devices, sorted by name (dax2.0 before dax10.0). A missing
 * bus/dax/devices directory yields zero devices. */
int dax_scan_sysfs(const char *sysfs_root, DeviceInfo **ret, size_t *ret_n);
/* One device by name ("dax0.0", "/dev/dax0.0" also accepted). -ENODEV if absent. */
int dax_scan_device(const char *sysfs_root, const char *name, DeviceInfo *ret);

/* Frees what the scan filled in: the strings and the property list. */
void dax_device_info_done(DeviceInfo *d);
void dax_scan_free(DeviceInfo *devs, size_t n);
