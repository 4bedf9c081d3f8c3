/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The device model: what the kernel says about one dax device, what policy
 * (or a runtime override) wants of it, and where its transition stands.
 * Everything the org.daxhp1.Device properties show is read from here.
 */

#include <stdbool.h>

#include "device-blocks.h"
#include "kernel-dax.h"
#include "policy.h"
#include "queue.h"
#include "util.h"

typedef struct Manager Manager;

typedef struct Device {
        Manager *manager;
        char *name;                     /* "dax0.0" */
        char *object_path;              /* /org/daxhp1/device/dax0_2e0 */

        DaxStatus status;               /* last read from sysfs */
        /*
         * The device as the policy [Match] saw it at the last match
         * (sysfs-scan.h): the CXL identity properties show it, as it cannot
         * change while the device exists. A scan resolves the whole sysfs
         * path and reads the uevent and udev database: once per match, not
         * once per property read (InterfacesAdded, GetManagedObjects).
         */
        DeviceInfo scan;
        bool scanned;
        BlockCensus blocks;             /* online blocks: read with status, then kept by uevents */

        PolicyState override;           /* runtime override, _POLICY_STATE_INVALID if none */
        bool has_policy;                /* a policy file matched */
        Policy policy;                  /* a copy: the PolicySet may be reloaded under us */
        char *policy_file;              /* path of the matching file, NULL if none */

        Transition transition;
        bool dirty;                     /* block events arrived; re-read after the burst */
        bool announce;                  /* changed since its last PropertiesChanged (manager_announce) */
        usec_t uevent_usec;             /* CLOCK_MONOTONIC: "add" uevent received, 0 if none */
        usec_t matched_usec;            /* CLOCK_MONOTONIC: policy matched on arrival */
        usec_t uevent_cpu_usec;         /* the daemon's CPU clock (cpu_usec()) at that uevent */
        usec_t matched_cpu_usec;        /* and when policy was matched */
        char *last_error;
        usec_t last_change_usec;        /* CLOCK_REALTIME of the last mode/state change */
        int memory_tier;                /* the target node's tier when last read (-1: none), see manager-safety.c */
} Device;

int device_new(Manager *m, const char *name, Device **ret);
Device *device_free(Device *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Device *, device_free);

/*
 * Re-read sysfs. Returns 1 if anything a property shows changed, 0 if not,
 * -ENOENT if the device is gone.
 */
int device_refresh(Device *d);

/* Match the device against the policy set. Returns 1 if the outcome changed. */
int device_match_policy(Device *d, const PolicySet *set);

/* Override first, then policy; _POLICY_STATE_INVALID when nothing decides. */
PolicyState device_desired(const Device *d);

/* "" / policy path / "runtime", as the PolicyFile property shows it. */
const char *device_policy_source(const Device *d);

/* The State property: kernel state in system-ram mode, "unplugged" without a driver, else "devdax". */
const char *device_state_string(const Device *d);

/* Timeouts and retries for a job: the matching policy's, else defaults. */
void device_job_request(const Device *d, PolicyState desired, JobRequest *ret);

/* Is the device where it should be? True when nothing is desired. */
bool device_is_satisfied(const Device *d);
/* Whether memory block `block` (memoryN) lies in the device's ranges, present or not. */
bool device_covers_block(const Device *d, uint64_t block);

int device_set_last_error(Device *d, const char *error);

/*
 * What makes a device the same device across removal and re-creation under
 * the same name: its sysfs path, size and physical start ("the same memory
 * at the same place"). Runtime overrides are kept with it. NULL on OOM.
 */
char *device_identity(const Device *d);
