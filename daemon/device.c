/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "device.h"
#include "log.h"
#include "manager.h"
#include "sysfs-scan.h"

/* Defaults for a runtime override on a device no policy file matches. */
#define DEFAULT_TIMEOUT_USEC (120 * USEC_PER_SEC)

int device_new(Manager *m, const char *name, Device **ret) {
        _cleanup_(device_freep) Device *d = NULL;
        int r;

        d = calloc(1, sizeof(Device));
        if (!d)
                return -ENOMEM;
        d->manager = m;
        d->override = _POLICY_STATE_INVALID;
        d->memory_tier = -1;
        d->status = (DaxStatus) { .target_node = -1, .mode = _DAX_MODE_INVALID, .state = _DAX_STATE_INVALID };
        d->name = strdup(name);
        if (!d->name)
                return -ENOMEM;
        r = sd_bus_path_encode("/org/daxhp1/device", name, &d->object_path);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(d);
        return 0;
}

Device *device_free(Device *d) {
        if (!d)
                return NULL;
        dax_status_done(&d->status);
        if (d->scanned)
                dax_device_info_done(&d->scan);
        block_census_done(&d->blocks);
        free(d->name);
        free(d->object_path);
        free(d->policy_file);
        free(d->last_error);
        free(d);
        return NULL;
}

static bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

int device_refresh(Device *d) {
        DaxStatus n;
        bool changed, moved;
        int r;

        r = kdax_read_again(d->manager->sysfs_root, d->name, &d->status, &n);
        if (r < 0)
                return r;

        moved = n.mode != d->status.mode || n.state != d->status.state;
        changed = moved ||
                n.size != d->status.size ||
                n.target_node != d->status.target_node ||
                !streq_ptr(n.syspath, d->status.syspath) ||
                !streq_ptr(n.region, d->status.region) ||
                !streq_ptr(n.provider, d->status.provider);
        if (moved)
                d->last_change_usec = now_usec(CLOCK_REALTIME);

        dax_status_done(&d->status);
        d->status = n;
        r = device_blocks_rebuild(d);
        if (r < 0)
                return r;
        return changed;
}

static void device_info(const Device *d, DeviceInfo *ret) {
        *ret = (DeviceInfo) {
                .name = d->name,
                .path = d->status.syspath,
                .region = d->status.region,
                .target_node = d->status.target_node,
                .size = d->status.size,
                .provider = d->status.provider,
                .mode = dax_mode_to_string(d->status.mode),
        };
}

int device_match_policy(Device *d, const PolicySet *set) {
        PolicyMatch match = {};
        DeviceInfo info;
        const char *path = NULL;
        bool changed, scanned;
        int r;

        /* The shared reader gives [Match] the same view daxhpctl explain has (uevent properties too). */
        scanned = dax_scan_device(d->manager->sysfs_root, d->name, &info) >= 0;
        if (!scanned)
                device_info(d, &info);
        r = set ? policy_set_match(set, &info, &match) : 0;
        if (scanned) {
                /* Kept: the CXL identity properties show this scan. */
                if (d->scanned)
                        dax_device_info_done(&d->scan);
                d->scan = info;
                d->scanned = true;
        }
        if (r < 0)
                return r;

        if (r > 0 && match.file)
                path = policy_file_path(match.file);

        changed = !streq_ptr(path, d->policy_file);
        if (path) {
                const Policy *p = policy_file_policy(match.file);

                changed = changed || !d->has_policy || p->state != d->policy.state;
                d->policy = *p;
                d->has_policy = true;
        } else {
                changed = changed || d->has_policy;
                d->has_policy = false;
        }
        if (!streq_ptr(path, d->policy_file)) {
                char *c = path ? strdup(path) : NULL;

                if (path && !c) {
                        policy_match_done(&match);
                        return -ENOMEM;
                }
                free(d->policy_file);
                d->policy_file = c;
        }
        policy_match_done(&match);
        return changed;
}

PolicyState device_desired(const Device *d) {
        if (d->override >= 0)
                return d->override;
        if (d->has_policy)
                return d->policy.state;
        return _POLICY_STATE_INVALID;
}

const char *device_policy_source(const Device *d) {
        if (d->override >= 0)
                return "runtime";
        return strempty(d->policy_file);
}

const char *device_state_string(const Device *d) {
        switch (d->status.mode) {
        case DAX_MODE_SYSTEM_RAM:
                return dax_state_to_string(d->status.state) ?: "unknown";
        case DAX_MODE_UNBOUND:
                /*
                 * No driver, no memory in the system: that is what "unplugged"
                 * means, and where the per-block fallback's unplug ends (Mode
                 * still says "unbound").
                 */
                return dax_state_to_string(DAX_STATE_UNPLUGGED);
        default:
                return dax_mode_to_string(d->status.mode) ?: "unknown";
        }
}

void device_job_request(const Device *d, PolicyState desired, JobRequest *ret) {
        *ret = (JobRequest) {
                .desired = desired,
                .timeout_usec = DEFAULT_TIMEOUT_USEC,
                .memmap_on_memory = -1,
                .max_movable_percent = -1,
        };
        if (!d->has_policy)
                return;
        ret->timeout_usec = d->policy.timeout_usec;
        ret->retries = d->policy.retries;
        ret->retry_delay_usec = d->policy.retry_delay_usec;
        ret->memmap_on_memory = d->policy.memmap_on_memory;
        ret->max_movable_percent = d->policy.max_movable_percent;
}

bool device_is_satisfied(const Device *d) {
        PolicyState want = device_desired(d);

        if (want < 0)
                return true;
        return plan_satisfied(d->status.mode, d->status.state, d->status.attr != DAX_ATTR_NONE, want);
}

int device_set_last_error(Device *d, const char *error) {
        char *c = NULL;

        if (streq_ptr(strempty(error), strempty(d->last_error)))
                return 0;
        if (!isempty(error)) {
                c = strdup(error);
                if (!c)
                        return -ENOMEM;
        }
        free(d->last_error);
        d->last_error = c;
        return 1;
}

bool device_covers_block(const Device *d, uint64_t block) {
        for (size_t i = 0; i < d->status.n_spans; i++)
                if (block >= d->status.spans[i].first && block < d->status.spans[i].end)
                        return true;
        return false;
}

char *device_identity(const Device *d) {
        char *s;

        if (asprintf(&s, "%s size=%" PRIu64 " start=0x%" PRIx64, strempty(d->status.syspath), d->status.size,
                     d->status.phys_start) < 0)
                return NULL;
        return s;
}
