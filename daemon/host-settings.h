/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the kernel decides about hotplugged memory on its own, read from
 * sysfs and /proc: the default online type of new blocks, the auto-online
 * policy and its movable ratio, memmap_on_memory, demotion, and the memory
 * a safety check weighs (free memory, zone sizes, a node's use). All reads
 * are single small files, cheap enough for the event loop.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef struct HostSettings {
        char *auto_online_blocks;       /* devices/system/memory/auto_online_blocks, NULL unknown */
        char *online_policy;            /* module/memory_hotplug/parameters/online_policy */
        int auto_movable_ratio;         /* ... /auto_movable_ratio, percent, -1 unknown */
        char *memmap_on_memory;         /* ... /memmap_on_memory: "Y", "N", "force" */
        char *demotion_enabled;         /* kernel/mm/numa/demotion_enabled: "true", "false" */
} HostSettings;

/* The kernel's own default when the parameter cannot be read. */
#define HOST_DEFAULT_MOVABLE_RATIO 301

void host_settings_done(HostSettings *s);
/* Never fails but for OOM: a file that cannot be read stays unknown (NULL, -1). */
int host_settings_read(const char *sysfs_root, HostSettings *ret);
/* Names of the settings that differ, comma separated, into buf; true if any differ. */
bool host_settings_diff(const HostSettings *a, const HostSettings *b, char *buf, size_t size);
/* memmap_on_memory is on at module level ("Y" or "force"). */
bool host_memmap_on_memory_enabled(const HostSettings *s);
/* New blocks come online by themselves (auto_online_blocks is known and not "offline"). */
bool host_auto_online(const HostSettings *s);

/* The memory-tier number of a NUMA node (memory_tierN whose nodelist has it), -1 unknown. */
int host_node_memory_tier(const char *sysfs_root, int node);

/* Bytes a node has and uses (node/nodeN/meminfo MemTotal, MemTotal - MemFree). */
int host_node_memory(const char *sysfs_root, int node, uint64_t *ret_total, uint64_t *ret_used);

typedef struct HostMemory {
        uint64_t total, free, available;        /* /proc/meminfo, bytes */
        uint64_t movable, kernel;               /* /proc/zoneinfo present pages in bytes: ZONE_MOVABLE, the rest */
} HostMemory;

/*
 * From <proc_root>/meminfo and, with zones, <proc_root>/zoneinfo (zone sizes
 * 0 without, or when it is unreadable): the kernel builds zoneinfo's many
 * lines afresh on each read, so only the zone-ratio check asks for it.
 */
int host_memory_read(const char *proc_root, bool zones, HostMemory *ret);

/* Parsers, for the unit tests. */
int host_parse_meminfo(const char *text, HostMemory *ret);
int host_parse_zoneinfo(const char *text, uint64_t page_size, HostMemory *ret);
/* Does a kernel node list ("0-2,4") contain node? */
bool host_nodelist_contains(const char *list, int node);
