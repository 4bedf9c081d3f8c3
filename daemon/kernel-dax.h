/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Everything that touches sysfs for a dax device. All paths are built from a
 * sysfs root ("/sys" normally, a temporary tree in tests) so the same code
 * runs against the kernel, umockdev and a fake tree.
 *
 * State changes use the whole-device attribute when the kernel has one
 * (`hotplug` from this series, `state` on Linux >= 7.3): written with
 * O_TRUNC, then read back, because only the read-back says what happened.
 * Without one, memory blocks are changed one by one and undone on failure.
 *
 * Reading: `hotplug` is computed from the memory blocks, so when it reads
 * "unplugged" or an online state no block file is read; 7.3's `state` is
 * only the last value written, stale after per-block changes, so there the
 * blocks decide (DaxStatus.state) and `state` only tells "online" apart.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dax-state.h"
#include "macro.h"

/* memory blocks [first, end) of one physical range of a device. */
typedef struct DaxBlockSpan {
        uint64_t first, end;
} DaxBlockSpan;

typedef struct DaxStatus {
        char *syspath;                  /* "/devices/.../dax0.0", relative to the sysfs root */
        char *region;                   /* region id, "0" */
        char *provider;                 /* "hmem", "cxl", "pmem" or NULL */
        uint64_t size;
        uint64_t phys_start;            /* first physical address (resource or mapping0), 0 unknown */
        int target_node;                /* -1 when unknown */
        DaxMode mode;
        DaxState state;                 /* valid only in system-ram mode; see above for 7.3 */
        DaxAttr attr;
        unsigned *blocks;               /* memoryN numbers of the device present, system-ram only */
        uint8_t *online;                /* per entry of blocks: 1 when that block is online */
        size_t n_blocks;
        DaxBlockSpan *spans;            /* blocks kmem adds for its ranges, present or not */
        size_t n_spans;
} DaxStatus;

void dax_status_done(DaxStatus *s);

/* Names under <root>/bus/dax/devices, sorted. */
int kdax_list(const char *root, char ***ret);

/* Returns -ENOENT when the device does not exist (any more). */
int kdax_read(const char *root, const char *name, DaxStatus *ret);
/*
 * The same, for a device read before as prev: its sysfs path, region and
 * provider cannot change while it exists (a device that goes and comes back
 * is a new Device), so they are copied instead of resolved again.
 */
int kdax_read_again(const char *root, const char *name, const DaxStatus *prev, DaxStatus *ret);

/* Which whole-device attribute exists for a kmem-bound device. */
DaxAttr kdax_detect_attr(const char *root, const char *name);

/*
 * Bring a system-ram device to target. With an attribute: write, re-read,
 * -EIO if the kernel reports something else. Without: per block, rolling
 * back the blocks it changed when one refuses; "unplugged" then also
 * unbinds kmem, which removes the memory.
 */
int kdax_set_state(const char *root, const char *name, DaxState target);

/*
 * The device's present memory blocks to target one by one, all or nothing,
 * although a whole-device attribute exists: Linux 7.3's `state` onlines only
 * from unplugged, and onlining blocks that are already there is cheaper than
 * removing and adding them (planner.h). Not for "unplugged".
 */
int kdax_set_present_blocks(const char *root, const char *name, DaxState target);

/*
 * Per-block change of the given blocks, all or nothing. Exposed for the
 * tests; blocks are changed in order and restored in reverse.
 */
int kdax_set_blocks(const char *root, const unsigned *blocks, size_t n, DaxState target);

/*
 * For the step worker: from now on SIGTERM asks the per-block loop to stop
 * before its next block and roll back (instead of killing the process with
 * some blocks changed). kdax_stop_requested() tells whether it came.
 */
void kdax_catch_stop(void);
bool kdax_stop_requested(void);

/*
 * Driver changes. memmap_on_memory (-1 leave alone, 0, 1) is set before
 * kmem binds, which is the only time the kernel takes it. Through libdaxctl
 * when root is "/sys" (it has the quirks of each kernel covered), by direct
 * sysfs writes otherwise.
 */
int kdax_bind_kmem(const char *root, const char *name, int memmap_on_memory);
int kdax_bind_devdax(const char *root, const char *name);

/*
 * The kernel calls this process made (sysfs writes that change state, and
 * libdaxctl's driver calls), for the step's audit record: the first one's
 * start, the last one's end, their summed duration (CLOCK_MONOTONIC µs).
 * kdax_calls_reset() starts counting again (the step worker, for its step).
 */
typedef struct KdaxCalls {
        uint64_t first_start, last_end, total;
        uint64_t cpu;           /* CPU time this process spent in them (the kernel's work in our syscalls) */
        unsigned n;
} KdaxCalls;

const KdaxCalls *kdax_calls(void);
void kdax_calls_reset(void);

/* Internal to kernel-dax*.c. */
uint64_t kdax_call_begin(void);
void kdax_call_end(uint64_t started);
/* write_one_line(), counted as a kernel call. */
int kdax_write(const char *path, const char *value);
char *pathf(const char *fmt, ...) _printf_(1, 2);
bool path_exists(const char *p);
int driver_write(const char *root, const char *driver, const char *file, const char *name);
