/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The CXL identity of a dax device made from a CXL region, read from sysfs:
 *
 *   <root>/devices/.../root0/decoder0.1/region0/dax_region0/dax0.0
 *                          root decoder ^      ^ region
 *   region0/targetN       -> endpoint decoder "decoder3.0"
 *   <root>/bus/cxl/devices/decoder3.0/..     the endpoint port, whose
 *   uport                 -> .../pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem1
 *                            host bridge ^                      memdev ^
 *   mem1/serial           "0x1001"
 */

#include "policy.h"

/* devdir: the device's absolute sysfs directory (under root). Fills the cxl_*
 * fields of d when the device sits below a CXL region, leaves them NULL
 * otherwise (also when the region is half torn down). Returns 0 or -ENOMEM. */
int dax_scan_cxl(const char *root, const char *devdir, DeviceInfo *d);
