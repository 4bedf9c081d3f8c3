/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Driver (mode) changes of a dax device, and the path helpers the
 * kernel-dax files share.
 */

#include <daxctl/libdaxctl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-dax.h"
#include "log.h"
#include "util.h"

char *pathf(const char *fmt, ...) {
        va_list ap;
        char *p;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : p;
}

bool path_exists(const char *p) {
        return access(p, F_OK) >= 0;
}

static KdaxCalls calls;
/* Calls never nest: one CPU reading at the start of the running one. */
static uint64_t call_cpu_start;

const KdaxCalls *kdax_calls(void) {
        return &calls;
}

void kdax_calls_reset(void) {
        calls = (KdaxCalls) {};
}

uint64_t kdax_call_begin(void) {
        call_cpu_start = cpu_usec();
        return now_usec(CLOCK_MONOTONIC);
}

void kdax_call_end(uint64_t started) {
        usec_t t = now_usec(CLOCK_MONOTONIC);

        if (calls.n++ == 0)
                calls.first_start = started;
        calls.last_end = t;
        calls.total += t - started;
        calls.cpu += cpu_usec() - call_cpu_start;
}

int kdax_write(const char *path, const char *value) {
        uint64_t t = kdax_call_begin();
        int r;

        r = write_one_line(path, value);
        kdax_call_end(t);
        return r;
}

int driver_write(const char *root, const char *driver, const char *file, const char *name) {
        _cleanup_free_ char *p = pathf("%s/bus/dax/drivers/%s/%s", root, driver, file);

        if (!p)
                return -ENOMEM;
        return kdax_write(p, name);
}

static int set_memmap_on_memory(const char *root, const char *name, int value) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (value < 0)
                return 0;
        p = pathf("%s/bus/dax/devices/%s/memmap_on_memory", root, name);
        if (!p)
                return -ENOMEM;
        if (!path_exists(p)) {
                /* Kernels before 6.8 have no such knob: their kmem never does it. */
                log_debug("%s: no memmap_on_memory attribute, leaving default.", name);
                return 0;
        }
        r = kdax_write(p, value ? "1" : "0");
        if (r < 0)
                return log_warning_errno(r, "%s: cannot set memmap_on_memory=%d: %m", name, value);
        return 0;
}

static bool driver_registered(const char *root, const char *driver) {
        _cleanup_free_ char *p = pathf("%s/bus/dax/drivers/%s", root, driver);

        return p && path_exists(p);
}

/*
 * libdaxctl is for a driver that is not there yet: it loads the module
 * (libkmod) before binding. With the driver registered, its bind is the same
 * bus writes as direct_rebind(), and its context (libkmod's configuration
 * and index, a scan of every region) is work a step then does for nothing.
 * It only knows /sys (umockdev redirects that).
 */
static bool use_libdaxctl(const char *root, const char *driver) {
        return streq(root, "/sys") && !driver_registered(root, driver);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct daxctl_ctx *, daxctl_unref);

static struct daxctl_dev *find_daxctl_dev(struct daxctl_ctx *ctx, const char *name) {
        struct daxctl_region *region;
        struct daxctl_dev *dev;

        daxctl_region_foreach(ctx, region)
                daxctl_dev_foreach(region, dev)
                        if (streq(daxctl_dev_get_devname(dev), name))
                                return dev;
        return NULL;
}

static int daxctl_reconfigure(const char *name, bool ram) {
        _cleanup_(daxctl_unrefp) struct daxctl_ctx *ctx = NULL;
        struct daxctl_dev *dev;
        uint64_t t;
        int r;

        r = daxctl_new(&ctx);
        if (r < 0)
                return r;
        /* libdaxctl logs to stderr by itself; our caller reports the result. */
        daxctl_set_log_priority(ctx, LOG_CRIT);

        dev = find_daxctl_dev(ctx, name);
        if (!dev)
                return -ENODEV;
        if (daxctl_dev_is_enabled(dev)) {
                t = kdax_call_begin();
                r = daxctl_dev_disable(dev);
                kdax_call_end(t);
                if (r < 0)
                        return r;
        }
        t = kdax_call_begin();
        r = ram ? daxctl_dev_enable_ram(dev) : daxctl_dev_enable_devdax(dev);
        kdax_call_end(t);
        return r;
}

static int direct_rebind(const char *root, const char *name, const char *from, const char *to) {
        _cleanup_free_ char *bound = pathf("%s/bus/dax/devices/%s/driver", root, name);
        int r;

        if (!bound)
                return -ENOMEM;
        if (path_exists(bound)) {
                /*
                 * As libdaxctl does: out of the old driver's id table first,
                 * or a device re-created under this name would match it
                 * again at its probe.
                 */
                r = driver_write(root, from, "remove_id", name);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = driver_write(root, from, "unbind", name);
                if (r < 0 && r != -ENODEV)
                        return r;
        }
        /* The dax bus binds on new_id (it matches by device name). */
        return driver_write(root, to, "new_id", name);
}

static int rebind(const char *root, const char *name, bool ram) {
        const char *from = ram ? "device_dax" : "kmem", *to = ram ? "kmem" : "device_dax";
        int r;

        if (!use_libdaxctl(root, to))
                return direct_rebind(root, name, from, to);

        r = daxctl_reconfigure(name, ram);
        if (r >= 0 || r == -EBUSY)
                return r;
        /*
         * libdaxctl resolves the driver through libkmod, which fails when the
         * module index does not know a built-in kmem; the dax bus itself
         * does not need that, so bind the way libdaxctl would have.
         */
        log_debug_errno(r, "%s: libdaxctl could not bind %s (%m), binding through sysfs.", name, to);
        return direct_rebind(root, name, from, to);
}

int kdax_bind_kmem(const char *root, const char *name, int memmap_on_memory) {
        int r;

        r = set_memmap_on_memory(root, name, memmap_on_memory);
        if (r < 0)
                return r;
        return rebind(root, name, true);
}

int kdax_bind_devdax(const char *root, const char *name) {
        return rebind(root, name, false);
}
