/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host-settings.h"
#include "util.h"

void host_settings_done(HostSettings *s) {
        free(s->auto_online_blocks);
        free(s->online_policy);
        free(s->memmap_on_memory);
        free(s->demotion_enabled);
        *s = (HostSettings) { .auto_movable_ratio = -1 };
}

int host_settings_read(const char *sysfs_root, HostSettings *ret) {
        HostSettings s = { .auto_movable_ratio = -1 };
        _cleanup_free_ char *ratio = NULL;
        int r;

        r = read_optional_line(sysfs_root, "devices/system/memory/auto_online_blocks", &s.auto_online_blocks);
        if (r >= 0)
                r = read_optional_line(sysfs_root, "module/memory_hotplug/parameters/online_policy", &s.online_policy);
        if (r >= 0)
                r = read_optional_line(sysfs_root, "module/memory_hotplug/parameters/auto_movable_ratio", &ratio);
        if (r >= 0)
                r = read_optional_line(sysfs_root, "module/memory_hotplug/parameters/memmap_on_memory",
                                       &s.memmap_on_memory);
        if (r >= 0)
                r = read_optional_line(sysfs_root, "kernel/mm/numa/demotion_enabled", &s.demotion_enabled);
        if (r < 0) {
                host_settings_done(&s);
                return r;
        }
        if (ratio) {
                char *end;
                long v = strtol(ratio, &end, 10);

                if (end != ratio && *end == '\0' && v >= 0 && v <= INT32_MAX)
                        s.auto_movable_ratio = (int) v;
        }
        *ret = s;
        return 0;
}

static bool str_eq_null(const char *a, const char *b) {
        return a == b || (a && b && streq(a, b));
}

static void diff_add(char *buf, size_t size, const char *name) {
        size_t n = strlen(buf);

        snprintf(buf + n, size - n, "%s%s", n ? "," : "", name);
}

bool host_settings_diff(const HostSettings *a, const HostSettings *b, char *buf, size_t size) {
        if (size == 0)
                return false;
        buf[0] = '\0';
        if (!str_eq_null(a->auto_online_blocks, b->auto_online_blocks))
                diff_add(buf, size, "auto_online_blocks");
        if (!str_eq_null(a->online_policy, b->online_policy))
                diff_add(buf, size, "online_policy");
        if (a->auto_movable_ratio != b->auto_movable_ratio)
                diff_add(buf, size, "auto_movable_ratio");
        if (!str_eq_null(a->memmap_on_memory, b->memmap_on_memory))
                diff_add(buf, size, "memmap_on_memory");
        if (!str_eq_null(a->demotion_enabled, b->demotion_enabled))
                diff_add(buf, size, "demotion_enabled");
        return buf[0] != '\0';
}

bool host_memmap_on_memory_enabled(const HostSettings *s) {
        return s->memmap_on_memory && (streq(s->memmap_on_memory, "Y") || streq(s->memmap_on_memory, "force") ||
                                       streq(s->memmap_on_memory, "1"));
}

bool host_auto_online(const HostSettings *s) {
        return s->auto_online_blocks && !streq(s->auto_online_blocks, "offline");
}

bool host_nodelist_contains(const char *list, int node) {
        const char *p = list;

        while (p && *p) {
                char *end;
                long lo, hi;

                lo = strtol(p, &end, 10);
                if (end == p)
                        return false;
                hi = lo;
                if (*end == '-') {
                        p = end + 1;
                        hi = strtol(p, &end, 10);
                        if (end == p)
                                return false;
                }
                if (node >= lo && node <= hi)
                        return true;
                p = *end == ',' ? end + 1 : NULL;
        }
        return false;
}

int host_node_memory_tier(const char *sysfs_root, int node) {
        _cleanup_free_ char *dir = strjoin_path(sysfs_root, "devices/virtual/memory_tiering");
        struct dirent *de;
        int tier = -1;
        DIR *d;

        if (!dir || node < 0)
                return -1;
        d = opendir(dir);
        if (!d)
                return -1;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *list = NULL;
                const char *num;

                if (strncmp(de->d_name, "memory_tier", 11) != 0)
                        continue;
                num = de->d_name + 11;
                if (!isdigit((unsigned char) *num))
                        continue;
                path = strdup_printf("%s/%s/nodelist", dir, de->d_name);
                if (!path)
                        break;
                if (read_one_line(path, &list) < 0)
                        continue;
                if (host_nodelist_contains(list, node)) {
                        tier = atoi(num);
                        break;
                }
        }
        closedir(d);
        return tier;
}

/* "Node 1 MemTotal:  1048576 kB" (node meminfo) or "MemTotal:  1048576 kB" (/proc/meminfo). */
static bool meminfo_field(const char *line, const char *key, uint64_t *ret) {
        const char *p = strstr(line, key);
        const char *eol = strchr(line, '\n');
        uint64_t v;

        if (!p || (eol && p > eol) || (p != line && p[-1] != ' '))
                return false;
        p += strlen(key);
        if (*p != ':')
                return false;
        if (sscanf(p + 1, "%" SCNu64, &v) != 1)
                return false;
        *ret = v * 1024;
        return true;
}

int host_parse_meminfo(const char *text, HostMemory *ret) {
        const char *line = text;
        bool total = false, free_ = false, avail = false;

        while (line && *line) {
                total |= meminfo_field(line, "MemTotal", &ret->total);
                free_ |= meminfo_field(line, "MemFree", &ret->free);
                avail |= meminfo_field(line, "MemAvailable", &ret->available);
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        if (!total || !free_)
                return -EINVAL;
        if (!avail)
                ret->available = ret->free;
        return 0;
}

int host_parse_zoneinfo(const char *text, uint64_t page_size, HostMemory *ret) {
        const char *line = text;
        bool movable = false, seen = false;

        ret->movable = ret->kernel = 0;
        while (line && *line) {
                char zone[32];
                uint64_t v;

                if (sscanf(line, "Node %*d, zone %31s", zone) == 1) {
                        movable = streq(zone, "Movable");
                        seen = true;
                } else if (seen && sscanf(line, " present %" SCNu64, &v) == 1) {
                        if (movable)
                                ret->movable += v * page_size;
                        else
                                ret->kernel += v * page_size;
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return seen ? 0 : -EINVAL;
}

/* /proc files report size 0: read up to a bound (zoneinfo of a large host is tens of KB). */
#define HOST_TEXT_MAX (256 * 1024)

static int read_text(const char *path, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size = 0, alloc = 4096;  /* a node's meminfo fits: one small allocation, no mmap */

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(alloc);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (size + 1 == alloc) {
                        char *p;

                        if (alloc >= HOST_TEXT_MAX)
                                break;
                        alloc *= 2;
                        p = realloc(buf, alloc);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = read(fd, buf + size, alloc - 1 - size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int host_memory_read(const char *proc_root, bool zones, HostMemory *ret) {
        _cleanup_free_ char *mi = strjoin_path(proc_root, "meminfo"), *zi = strjoin_path(proc_root, "zoneinfo");
        _cleanup_free_ char *text = NULL, *ztext = NULL;
        long ps = sysconf(_SC_PAGESIZE);
        HostMemory m = {};
        int r;

        if (!mi || !zi)
                return -ENOMEM;
        r = read_text(mi, &text);
        if (r < 0)
                return r;
        r = host_parse_meminfo(text, &m);
        if (r < 0)
                return r;
        r = zones ? read_text(zi, &ztext) : -ENODATA;
        if (r >= 0)
                r = host_parse_zoneinfo(ztext, ps > 0 ? (uint64_t) ps : 4096, &m);
        if (r < 0)
                /* Without zone sizes the ratio cannot be checked; meminfo still counts. */
                m.movable = m.kernel = 0;
        *ret = m;
        return 0;
}

int host_node_memory(const char *sysfs_root, int node, uint64_t *ret_total, uint64_t *ret_used) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        HostMemory m = {};
        int r;

        if (node < 0)
                return -ENOENT;
        path = strdup_printf("%s/devices/system/node/node%d/meminfo", sysfs_root, node);
        if (!path)
                return -ENOMEM;
        r = read_text(path, &text);
        if (r < 0)
                return r;
        r = host_parse_meminfo(text, &m);
        if (r < 0)
                return r;
        *ret_total = m.total;
        *ret_used = m.free < m.total ? m.total - m.free : 0;
        return 0;
}
