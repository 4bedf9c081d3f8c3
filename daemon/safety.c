/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>

#include "safety.h"

#define MIB(x) ((x) >> 20)

const char *safety_error_name(SafetyCheck c) {
        switch (c) {
        case SAFETY_MEMMAP:
                return DAXHP_ERROR_INSUFFICIENT_MEMMAP;
        case SAFETY_ZONE_RATIO:
                return DAXHP_ERROR_ZONE_RATIO;
        case SAFETY_UNPLUG:
                return DAXHP_ERROR_MEMORY_IN_USE;
        default:
                return NULL;
        }
}

const char *safety_message_id(SafetyCheck c) {
        switch (c) {
        case SAFETY_MEMMAP:
                return DAXHP_MESSAGE_REFUSED_MEMMAP;
        case SAFETY_ZONE_RATIO:
                return DAXHP_MESSAGE_REFUSED_ZONE_RATIO;
        case SAFETY_UNPLUG:
                return DAXHP_MESSAGE_REFUSED_UNPLUG;
        default:
                return NULL;
        }
}

const char *safety_check_to_string(SafetyCheck c) {
        switch (c) {
        case SAFETY_MEMMAP:
                return "memmap";
        case SAFETY_ZONE_RATIO:
                return "zone-ratio";
        case SAFETY_UNPLUG:
                return "unplug";
        default:
                return "ok";
        }
}

static bool ok(SafetyVerdict *v) {
        *v = (SafetyVerdict) { .check = SAFETY_OK };
        return true;
}

bool safety_check_memmap(const HostMemory *m, uint64_t bytes, bool memmap_on_memory, SafetyVerdict *v) {
        /* 64 bytes of struct page per 4 KiB page. */
        uint64_t need = bytes / 64;

        if (memmap_on_memory || m->free >= need + SAFETY_MARGIN_BYTES)
                return ok(v);
        *v = (SafetyVerdict) { .check = SAFETY_MEMMAP, .need = need, .have = m->free };
        snprintf(v->text, sizeof(v->text),
                 "plugging %" PRIu64 " MiB needs %" PRIu64 " MiB of struct pages plus a %" PRIu64
                 " MiB margin, but only %" PRIu64 " MiB are free; set MemmapOnMemory=yes in its policy "
                 "(with memory_hotplug.memmap_on_memory=1) to place them on the device itself",
                 MIB(bytes), MIB(need), MIB(SAFETY_MARGIN_BYTES), MIB(m->free));
        return false;
}

bool safety_check_zone_ratio(const HostMemory *m, uint64_t bytes, unsigned ratio_percent, SafetyVerdict *v) {
        uint64_t limit, after;

        /* No limit, or the kernel did not say how large its zones are. */
        if (ratio_percent == 0 || m->kernel == 0)
                return ok(v);
        limit = m->kernel / 100 * ratio_percent;
        after = m->movable + bytes;
        if (after <= limit)
                return ok(v);
        *v = (SafetyVerdict) { .check = SAFETY_ZONE_RATIO, .need = after, .have = limit };
        snprintf(v->text, sizeof(v->text),
                 "ZONE_MOVABLE would hold %" PRIu64 " MiB, %" PRIu64 " %% of the %" PRIu64
                 " MiB of kernel zones, over the limit of %u %%; use online_kernel, raise "
                 "MaxMovablePercent= in its policy, or force the request",
                 MIB(after), after / (m->kernel / 100 ?: 1), MIB(m->kernel), ratio_percent);
        return false;
}

bool safety_check_unplug(const HostMemory *m, uint64_t used, uint64_t free_on_device, SafetyVerdict *v) {
        /* What the rest of the system can take: available memory not on the device itself. */
        uint64_t rest = m->available > free_on_device ? m->available - free_on_device : 0;

        if (used == 0 || used + SAFETY_MARGIN_BYTES <= rest)
                return ok(v);
        *v = (SafetyVerdict) { .check = SAFETY_UNPLUG, .need = used, .have = rest };
        snprintf(v->text, sizeof(v->text),
                 "%" PRIu64 " MiB in use on the device must move, but the rest of the system has only %"
                 PRIu64 " MiB available (margin %" PRIu64 " MiB); drain the device's users first, "
                 "or force the request",
                 MIB(used), MIB(rest), MIB(SAFETY_MARGIN_BYTES));
        return false;
}
