/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot-online.h"
#include "util.h"

void boot_online_done(BootOnline *b) {
        free(b->default_state);
        *b = (BootOnline) {};
}

int boot_online_parse_cmdline(const char *cmdline, char **ret) {
        static const char key[] = "memhp_default_state=";
        const char *last = NULL;
        size_t n = 0;

        *ret = NULL;
        for (const char *p = cmdline; p && *p;) {
                size_t len;

                p += strspn(p, " \t\n");
                len = strcspn(p, " \t\n");
                if (len > strlen(key) && strncmp(p, key, strlen(key)) == 0) {
                        last = p + strlen(key);
                        n = len - strlen(key);
                }
                p += len;
        }
        if (!last)
                return 0;
        *ret = strndup(last, n);
        return *ret ? 1 : -ENOMEM;
}

static bool path_in(const char *root, const char *rel) {
        _cleanup_free_ char *p = strjoin_path(root, rel);

        return p && access(p, F_OK) == 0;
}

int boot_online_read(const char *sysfs_root, const char *host_root, const char *current_auto_online,
                     BootOnline *ret) {
        _cleanup_free_ char *cmdline = NULL;
        BootOnline b = {};
        int r;

        b.kmem_builtin = path_in(sysfs_root, "bus/dax/drivers/kmem") &&
                !path_in(sysfs_root, "module/kmem/initstate");

        r = read_optional_line(host_root, "proc/cmdline", &cmdline);
        if (r > 0)
                r = boot_online_parse_cmdline(cmdline, &b.default_state);
        if (r > 0)
                b.source = BOOT_ONLINE_CMDLINE;
        if (r == 0) {
                r = read_optional_line(host_root, BOOT_ONLINE_EARLY_RECORD, &b.default_state);
                if (r > 0)
                        b.source = BOOT_ONLINE_EARLY_UNIT;
        }
        if (r == 0 && current_auto_online) {
                b.default_state = strdup(current_auto_online);
                r = b.default_state ? 1 : -ENOMEM;
                b.source = BOOT_ONLINE_CURRENT;
        }
        if (r < 0) {
                boot_online_done(&b);
                return r;
        }
        *ret = b;
        return 0;
}

bool boot_online_hazard(const BootOnline *b) {
        return b->kmem_builtin && b->default_state && !streq(b->default_state, "offline");
}

const char *boot_online_source_to_string(BootOnlineSource s) {
        switch (s) {
        case BOOT_ONLINE_CMDLINE:
                return "memhp_default_state= on the kernel command line";
        case BOOT_ONLINE_EARLY_UNIT:
                return "auto_online_blocks at boot, as daxhp-early.service found it";
        case BOOT_ONLINE_CURRENT:
                return "auto_online_blocks";
        default:
                return "unknown";
        }
}
