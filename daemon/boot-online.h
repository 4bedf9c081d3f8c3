/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Memory onlined during kernel init. With kmem built into the kernel
 * (CONFIG_DEV_DAX_KMEM=y), dax and CXL memory present at boot is added, and
 * onlined under the boot's default online type, before PID 1 starts: no unit
 * (daxhp-early.service included) can make the kernel leave it offline. Only
 * memhp_default_state=offline on the kernel command line (or a kernel built
 * with CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE) does. daxhpd then finds that
 * memory online, maybe in ZONE_NORMAL, and can move it to policy only while
 * the kernel has put no data of its own there.
 */

#include <stdbool.h>

typedef enum BootOnlineSource {
        BOOT_ONLINE_UNKNOWN,
        BOOT_ONLINE_CMDLINE,            /* memhp_default_state= on /proc/cmdline */
        BOOT_ONLINE_EARLY_UNIT,         /* what daxhp-early.service found at boot */
        BOOT_ONLINE_CURRENT,            /* auto_online_blocks now (nothing changed it since boot) */
} BootOnlineSource;

typedef struct BootOnline {
        bool kmem_builtin;
        char *default_state;            /* the boot's default online type, NULL unknown */
        BootOnlineSource source;
} BootOnline;

/* Where daxhp-early.service records auto_online_blocks as the kernel booted with it. */
#define BOOT_ONLINE_EARLY_RECORD "run/daxhp-early/auto_online_blocks"

void boot_online_done(BootOnline *b);
/*
 * kmem is built in when its driver is registered on the dax bus and no
 * loadable module of that name is (no module/kmem/initstate). The default
 * comes from host_root's proc/cmdline, else the early unit's record, else
 * current_auto_online. Fails only on OOM.
 */
int boot_online_read(const char *sysfs_root, const char *host_root, const char *current_auto_online,
                     BootOnline *ret);
/* The value of memhp_default_state= (the last one wins, as in the kernel), NULL if absent. */
int boot_online_parse_cmdline(const char *cmdline, char **ret);
/* Memory present at boot comes online before any unit runs. */
bool boot_online_hazard(const BootOnline *b);
const char *boot_online_source_to_string(BootOnlineSource s);
