/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A throwaway sysfs tree for kernel-dax tests: one hmem region with dax0.0
 * bound to kmem, 128 MiB blocks memory32..39 (1 GiB at 4 GiB), the dax
 * drivers' bind files. Plain files: nothing plays the kernel, the tests
 * check what the code wrote.
 */

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "tests.h"

static inline void fake_mkdirs(const char *root, const char *rel) {
        char p[512], *s;

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        for (s = p + strlen(root) + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        (void) mkdir(p, 0755);
                        *s = '/';
                }
        (void) mkdir(p, 0755);
}

static inline void fake_write(const char *root, const char *rel, const char *value) {
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        f = fopen(p, "we");
        CHECK(f);
        fprintf(f, "%s\n", value);
        fclose(f);
}

static inline char *fake_read(const char *root, const char *rel) {
        static char buf[256];
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        f = fopen(p, "re");
        if (!f)
                return NULL;
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
}

static inline void fake_symlink(const char *root, const char *target, const char *rel) {
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", root, rel);
        (void) unlink(p);
        CHECK(symlink(target, p) == 0);
}

#define DEVDIR "devices/platform/hmem.0/dax0.0"

/* attr: NULL, "hotplug" or "state"; block_state: initial memoryN/state. */
static inline void fake_tree(const char *root, const char *attr, const char *attr_value, const char *block_state,
                      const char *zones) {
        fake_mkdirs(root, DEVDIR);
        fake_mkdirs(root, "devices/platform/hmem.0/dax_region");
        fake_write(root, "devices/platform/hmem.0/dax_region/id", "0");
        fake_mkdirs(root, "bus/dax/devices");
        fake_symlink(root, "../../../" DEVDIR, "bus/dax/devices/dax0.0");
        fake_write(root, DEVDIR "/size", "1073741824");
        fake_write(root, DEVDIR "/target_node", "1");
        fake_write(root, DEVDIR "/resource", "0x100000000");
        for (const char *drv = "kmem"; drv; drv = streq(drv, "kmem") ? "device_dax" : NULL) {
                char d[128];

                snprintf(d, sizeof(d), "bus/dax/drivers/%s", drv);
                fake_mkdirs(root, d);
                for (const char *f = "bind"; f; f = streq(f, "bind") ? "unbind" : streq(f, "unbind") ? "new_id" : NULL) {
                        char fp[160];

                        snprintf(fp, sizeof(fp), "%s/%s", d, f);
                        fake_write(root, fp, "");
                }
        }
        fake_symlink(root, "../../../../bus/dax/drivers/kmem", DEVDIR "/driver");
        if (attr)
                fake_write(root, strcmp(attr, "hotplug") == 0 ? DEVDIR "/hotplug" : DEVDIR "/state", attr_value);

        fake_mkdirs(root, "devices/system/memory");
        fake_write(root, "devices/system/memory/block_size_bytes", "8000000");
        for (unsigned b = 32; b < 40; b++) {
                char rel[128];

                snprintf(rel, sizeof(rel), "devices/system/memory/memory%u", b);
                fake_mkdirs(root, rel);
                snprintf(rel, sizeof(rel), "devices/system/memory/memory%u/state", b);
                fake_write(root, rel, block_state);
                snprintf(rel, sizeof(rel), "devices/system/memory/memory%u/valid_zones", b);
                fake_write(root, rel, zones);
        }
        /* A block of someone else, right after ours: must never be touched. */
        fake_mkdirs(root, "devices/system/memory/memory40");
        fake_write(root, "devices/system/memory/memory40/state", "online");
}
