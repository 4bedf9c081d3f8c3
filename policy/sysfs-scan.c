/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy-util.h"
#include "sysfs-cxl.h"
#include "sysfs-scan.h"

/* First line of a sysfs attribute, without the newline; an empty one is -ENODATA. */
static int read_attr(const char *dir, const char *attr, char **ret) {
        _cleanup_free_ char *p = strdup_printf("%s/%s", dir, attr), *v = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        r = read_one_line(p, &v);
        if (r < 0)
                return r;
        if (isempty(v))
                return -ENODATA;
        *ret = TAKE_PTR(v);
        return 0;
}

static int read_uevent(const char *dir, char ***ret) {
        _cleanup_free_ char *p = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        p = strdup_printf("%s/uevent", dir);
        if (!p)
                return -ENOMEM;
        f = fopen(p, "re");
        if (!f)
                return -errno;
        while (getline(&line, &n, f) >= 0) {
                line[strcspn(line, "\n")] = '\0';
                if (!strchr(line, '='))
                        continue;
                if (strv_extend(&l, line) < 0)
                        return -ENOMEM;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* KEY=VALUE into l: replaces the entry for KEY if there is one. */
static int property_set(char ***l, const char *kv) {
        size_t k = strcspn(kv, "=");

        for (char **p = *l; p && *p; p++)
                if (strncmp(*p, kv, k + 1) == 0) {
                        char *t = strdup(kv);

                        if (!t)
                                return -ENOMEM;
                        free(*p);
                        *p = t;
                        return 0;
                }
        return strv_extend(l, kv);
}

/*
 * udev's database entry of the device: the properties its rules set (E:
 * lines) on top of the kernel's uevent ones, which is what udev_device's
 * property list and `udevadm info` show. It lives beside the sysfs tree:
 * /sys -> /run/udev/data, a fixture's DIR/sys -> DIR/run/udev/data. The
 * entry is named by the device number (c252:0) or, without one, +dax:NAME.
 */
static int read_udev_db(const char *root, const char *real, const char *name, char ***props) {
        _cleanup_free_ char *base = NULL, *dev = NULL, *p = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t n = 0;

        if (!endswith(root, "/sys") && !streq(root, "/sys"))
                return 0;
        base = strndup(root, strlen(root) - strlen("sys"));
        if (!base)
                return -ENOMEM;
        if (read_attr(real, "dev", &dev) >= 0)
                p = strdup_printf("%srun/udev/data/c%s", base, dev);
        else
                p = strdup_printf("%srun/udev/data/+dax:%s", base, name);
        if (!p)
                return -ENOMEM;
        f = fopen(p, "re");
        if (!f)
                return 0; /* no udev, or never processed: the uevent file is all there is */
        while (getline(&line, &n, f) >= 0) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, "E:", 2) != 0 || !strchr(line + 2, '='))
                        continue;
                if (property_set(props, line + 2) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static const char *provider_from_devpath(const char *devpath) {
        bool hmem = false, pmem = false, cxl = false;
        const char *p = devpath;

        while (*p) {
                size_t l;

                p += strspn(p, "/");
                l = strcspn(p, "/");
                if (l >= 4 && strncmp(p, "hmem", 4) == 0)
                        hmem = true;
                else if (l >= 5 && strncmp(p, "ndbus", 5) == 0)
                        pmem = true;
                else if ((l >= 8 && strncmp(p, "ACPI0017", 8) == 0) || (l >= 3 && strncmp(p, "cxl", 3) == 0) ||
                         (l > 10 && strncmp(p, "dax_region", 10) == 0))
                        cxl = true;
                p += l;
        }
        /* Most specific first: a pmem region below a CXL port is still pmem. */
        if (hmem)
                return "hmem";
        if (pmem)
                return "pmem";
        if (cxl)
                return "cxl";
        return NULL;
}

static const char *mode_from_driver(const char *driver) {
        if (!driver)
                return "unbound";
        if (streq(driver, "device_dax"))
                return "devdax";
        if (streq(driver, "kmem"))
                return "system-ram";
        return driver;
}

void dax_device_info_done(DeviceInfo *d) {
        if (!d)
                return;
        free((char *) d->name);
        free((char *) d->path);
        free((char *) d->region);
        free((char *) d->provider);
        free((char *) d->mode);
        strv_free(d->properties);
        free((char *) d->cxl_region);
        free((char *) d->cxl_root_decoder);
        strv_free(d->cxl_memdevs);
        strv_free(d->cxl_serials);
        strv_free(d->cxl_host_bridges);
        *d = (DeviceInfo) { .target_node = -1 };
}

void dax_scan_free(DeviceInfo *devs, size_t n) {
        for (size_t i = 0; i < n; i++)
                dax_device_info_done(devs + i);
        free(devs);
}

int dax_scan_device(const char *sysfs_root, const char *name, DeviceInfo *ret) {
        _cleanup_free_ char *root = NULL, *link = NULL, *real = NULL, *parent = NULL, *v = NULL, *drv = NULL;
        DeviceInfo d = { .target_node = -1 };
        size_t rl;
        int r;

        if (strncmp(name, "/dev/", 5) == 0)
                name += 5;
        if (isempty(name) || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;

        root = realpath(sysfs_root, NULL);
        if (!root)
                return -errno;
        link = strdup_printf("%s/bus/dax/devices/%s", root, name);
        if (!link)
                return -ENOMEM;
        r = sysfs_link_target(link, &real);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;

        rl = streq(root, "/") ? 0 : strlen(root);
        if (strncmp(real, root, rl) != 0 || real[rl] != '/')
                return -EXDEV; /* points outside the sysfs root */

        d.name = strdup(name);
        d.path = strdup(real + rl);
        if (!d.name || !d.path)
                goto oom;

        if (read_attr(real, "size", &v) >= 0) {
                char *end;
                errno = 0;
                unsigned long long s = strtoull(v, &end, 0);
                if (errno == 0 && end != v && *end == '\0')
                        d.size = s;
                v = mfree_str(v);
        }
        if (read_attr(real, "target_node", &v) >= 0) {
                char *end;
                long t = strtol(v, &end, 10);
                if (end != v && *end == '\0' && t >= 0 && t <= INT_MAX)
                        d.target_node = (int) t;
                v = mfree_str(v);
        }

        parent = strdup(real);
        if (!parent)
                goto oom;
        *strrchr(parent, '/') = '\0';
        if (read_attr(parent, "dax_region/id", &v) >= 0)
                d.region = TAKE_PTR(v);
        else {
                unsigned a, b;
                if (sscanf(name, "dax%u.%u", &a, &b) == 2) {
                        d.region = strdup_printf("%u", a);
                        if (!d.region)
                                goto oom;
                }
        }

        const char *prov = provider_from_devpath(d.path);
        if (prov) {
                d.provider = strdup(prov);
                if (!d.provider)
                        goto oom;
        }

        v = strdup_printf("%s/driver", real);
        if (!v)
                goto oom;
        char target[PATH_MAX];
        ssize_t k = readlink(v, target, sizeof(target) - 1);
        if (k >= 0) {
                target[k] = '\0';
                drv = strdup(path_basename(target));
                if (!drv)
                        goto oom;
        }
        d.mode = strdup(mode_from_driver(drv));
        if (!d.mode)
                goto oom;

        r = read_uevent(real, &d.properties);
        if (r == -ENOMEM)
                goto oom;
        if (read_udev_db(root, real, name, &d.properties) < 0)
                goto oom;

        if (d.provider && streq(d.provider, "cxl") && dax_scan_cxl(root, real, &d) < 0)
                goto oom;

        *ret = d;
        return 0;

oom:
        dax_device_info_done(&d);
        return -ENOMEM;
}

static int device_cmp(const void *a, const void *b) {
        return strverscmp(((const DeviceInfo *) a)->name, ((const DeviceInfo *) b)->name);
}

int dax_scan_sysfs(const char *sysfs_root, DeviceInfo **ret, size_t *ret_n) {
        _cleanup_free_ char *dir = NULL;
        DeviceInfo *devs = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;
        int r = 0;

        dir = strdup_printf("%s/bus/dax/devices", sysfs_root);
        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        while ((de = readdir(d))) {
                DeviceInfo *t;

                if (de->d_name[0] == '.')
                        continue;
                t = realloc(devs, (n + 1) * sizeof(DeviceInfo));
                if (!t) {
                        r = -ENOMEM;
                        break;
                }
                devs = t;
                r = dax_scan_device(sysfs_root, de->d_name, devs + n);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        r = 0; /* vanished or odd entry: skip it */
                        continue;
                }
                n++;
        }
        closedir(d);

        if (r < 0) {
                dax_scan_free(devs, n);
                return r;
        }
        if (n > 1)
                qsort(devs, n, sizeof(DeviceInfo), device_cmp);
        *ret = devs;
        *ret_n = n;
        return 0;
}
