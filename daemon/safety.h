/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The checks before a step that changes how much memory the kernel has:
 * pure functions of numbers read beforehand (host-settings.h), so each
 * refusal is unit-tested. A refusal names the typed D-Bus error, carries
 * the numbers and says what would make it fit.
 *
 *   memmap budget  plugging N bytes takes N/64 of struct pages from memory
 *                  already online, unless the device uses memmap_on_memory;
 *                  refused when that would not leave SAFETY_MARGIN_BYTES free.
 *   zone ratio     online_movable must keep ZONE_MOVABLE <= ratio % of the
 *                  kernel zones (the kernel's auto_movable_ratio, 301 %).
 *   unplug         the memory in use on the device must fit into what the
 *                  rest of the system has available, with the margin.
 * Zone ratio and unplug yield to a forced request; the memmap budget never
 * does (the kernel would take that memory from its own allocations).
 */

#include <stdbool.h>
#include <stdint.h>

#include "host-settings.h"

#define SAFETY_MARGIN_BYTES (UINT64_C(64) << 20)

#define DAXHP_ERROR_INSUFFICIENT_MEMMAP "org.daxhp1.Error.InsufficientMemmap"
#define DAXHP_ERROR_ZONE_RATIO          "org.daxhp1.Error.ZoneRatioExceeded"
#define DAXHP_ERROR_MEMORY_IN_USE       "org.daxhp1.Error.MemoryInUse"

/* The journal catalog entry of each refusal (units/daxhpd.catalog). */
#define DAXHP_MESSAGE_REFUSED_MEMMAP     "bff1baf522264aef8cd49d8012c7dbf2"
#define DAXHP_MESSAGE_REFUSED_ZONE_RATIO "e84702d3ed994de2ba7b2e6a82db8eec"
#define DAXHP_MESSAGE_REFUSED_UNPLUG     "9d49e886526b4c0688fe721362b2c01f"

typedef enum SafetyCheck {
        SAFETY_OK,
        SAFETY_MEMMAP,
        SAFETY_ZONE_RATIO,
        SAFETY_UNPLUG,
} SafetyCheck;

typedef struct SafetyVerdict {
        SafetyCheck check;
        uint64_t need, have;            /* bytes: what it takes, what there is */
        char text[384];                 /* numbers and the setting that would make it fit */
} SafetyVerdict;

/* The D-Bus error name of a refusal, NULL for SAFETY_OK. */
const char *safety_error_name(SafetyCheck c);
/* The MESSAGE_ID of a refusal's journal record, NULL for SAFETY_OK. */
const char *safety_message_id(SafetyCheck c);
/* "memmap", "zone-ratio", "unplug". */
const char *safety_check_to_string(SafetyCheck c);

/* Plugging bytes of memory: memmap_on_memory says the struct pages live on the device itself. */
bool safety_check_memmap(const HostMemory *m, uint64_t bytes, bool memmap_on_memory, SafetyVerdict *ret);
/* Onlining bytes into ZONE_MOVABLE under a limit of ratio_percent (0: none). */
bool safety_check_zone_ratio(const HostMemory *m, uint64_t bytes, unsigned ratio_percent, SafetyVerdict *ret);
/* Unplugging a device with used bytes in use and free_on_device bytes free on it. */
bool safety_check_unplug(const HostMemory *m, uint64_t used, uint64_t free_on_device, SafetyVerdict *ret);
