/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's context: configuration, the device table, the policy set,
 * the transition queue, udev monitoring and the bus connection.
 */

#include <libudev.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "agents.h"
#include "audit.h"
#include "bus-auth.h"
#include "device.h"
#include "fleet-export.h"
#include "host-settings.h"
#include "policy.h"
#include "queue.h"
#include "safety.h"

typedef struct Manager Manager;

/* When a uevent was received: CLOCK_MONOTONIC, and the daemon's CPU clock then (cpu_usec()). */
typedef struct UeventStamp {
        usec_t mono;
        usec_t cpu;
} UeventStamp;

/* A dax device whose "add" uevent came, waiting for its driver's probe to end (manager-udev.c). */
typedef struct PendingArrival {
        Manager *manager;
        char *name;
        UeventStamp received;           /* the "add" uevent */
        sd_event_source *timer;
} PendingArrival;

typedef struct ManagerConfig {
        const char *sysfs_root;         /* "/sys" */
        char **policy_dirs;             /* NULL: the policy library's defaults */
        const char *state_dir;          /* "/run/daxhp" */
        const char *host_root;          /* "/": udev rules, daxctl.conf.d, /proc below it */
        const char *metrics_file;       /* node-exporter textfile; NULL or "": none */
        const char *nfd_file;           /* NFD features.d file; NULL or "": none */
} ManagerConfig;

struct Manager {
        sd_event *event;
        sd_bus *bus;
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *monitor_source;

        char *sysfs_root;
        char **policy_dirs;
        char *state_dir;
        char *host_root;

        HostSettings host;              /* the kernel's hotplug settings, as read last */
        uint64_t host_read_usec;        /* CLOCK_MONOTONIC of that read */
        sd_event_source *host_refresh;  /* a read of them, due after a burst of uevents */
        AgentList agents;               /* other agents that change memory state */
        SafetyVerdict refusal;          /* why the last step was refused (manager-safety.c) */

        PolicySet *policies;
        usec_t policy_loaded_usec;      /* CLOCK_REALTIME when the policy was (re)loaded */
        Device **devices;               /* sorted by name */
        size_t n_devices;
        size_t last_block_owner;        /* index of the device the last block event belonged to */
        PendingArrival **pending;       /* added, not yet bound (manager-udev.c) */
        size_t n_pending;
        Queue *queue;
        FleetExport *exports;           /* metrics and NFD files (fleet-export.h) */

        DaxAttr kernel_attr;            /* what kmem-bound devices showed last */
        bool no_direct_online;          /* `hotplug` refused offline → online type in one write */
        unsigned queue_length_announced;
        sd_event_source *announce;      /* the PropertiesChanged due once this burst of work is done */
        bool stopping;
        sd_event_source *stop_source;
        AuthQuery *auth_queries;        /* calls held while polkit decides (bus-auth.c) */
};

/*
 * How long a stop waits for the running step to roll back (the queue sends
 * SIGKILL after QUEUE_KILL_GRACE_USEC): below the unit's TimeoutStopSec=30s.
 */
#define MANAGER_STOP_TIMEOUT_USEC (QUEUE_KILL_GRACE_USEC + 5 * USEC_PER_SEC)

/*
 * How long a new device waits for its "bind" uevent before daxhpd takes it in
 * anyway (a device no driver takes never sends one). Long enough for kmem to
 * add and online a large device, short enough for an unbound one to show up.
 */
#define MANAGER_ARRIVAL_TIMEOUT_USEC (30 * USEC_PER_SEC)

/* How late a hotplug settings change is noticed after the uevent that prompts the read. */
#define MANAGER_HOST_REFRESH_DELAY_USEC (1 * USEC_PER_SEC)

int manager_new(sd_event *e, const ManagerConfig *c, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Load policy, enumerate devices, start following udev, queue what policy asks. */
int manager_startup(Manager *m);
/*
 * SIGTERM: cancel queued jobs (their callers get Cancelled), stop a running
 * step (the kernel, or the per-block loop, rolls it back) and leave the
 * event loop once it has ended, or after MANAGER_STOP_TIMEOUT_USEC.
 */
void manager_stop(Manager *m);
/* The queue is empty: leave the event loop. */
void manager_stopped(Manager *m);
/* Re-read policy and re-plan every device. Reports files loaded/rejected. */
int manager_reload(Manager *m, unsigned *ret_loaded, unsigned *ret_rejected);

Device *manager_get_device(Manager *m, const char *name);
bool manager_atomic_hotplug(const Manager *m);
/* "hotplug", "state", "per-block", or "unknown" until a kmem-bound device was seen. */
const char *manager_kernel_interface(const Manager *m);
/* A kmem-bound device showed which attribute the kernel has; announces AtomicHotplug changes. */
void manager_note_kernel_attr(Manager *m, DaxAttr attr);

/*
 * Queue a job bringing d to what it should be. waiter: a D-Bus call to answer
 * when done (may be NULL). Returns 0 if nothing needed doing (waiter not
 * taken), 1 if queued.
 */
int manager_apply_device(Manager *m, Device *d, sd_bus_message *waiter);
/* The same; force: the job skips the safety checks that yield to force (SetStateWithFlags). */
int manager_apply_device_full(Manager *m, Device *d, sd_bus_message *waiter, bool force);

/* A device property changed: emit PropertiesChanged. */
void manager_device_changed(Manager *m, Device *d);

/* Audit helpers shared by the bus code. */
void manager_audit_caller(sd_bus_message *msg, AuditCaller *ret);

/* manager.c: the device table. */
int manager_add_device(Manager *m, const char *name, Device **ret);
void manager_remove_device(Manager *m, const char *name);

/* manager-jobs.c: what the queue calls back into. */
extern const QueueOps manager_queue_ops;

/* manager-udev.c: follow add/change/remove of dax devices and memory blocks. */
int manager_udev_start(Manager *m);
/* Stops following udev and forgets devices still waiting for their bind. */
void manager_udev_stop(Manager *m);
/* Re-read a device after an outside event; audits and acts on drift. */
void manager_device_event(Manager *m, Device *d);
/* A uevent of memory block `sysname` ("memory42"): re-reads only the device owning it. */
void manager_memory_event(Manager *m, const char *sysname);

/* manager-safety.c: the kernel's settings, competing agents, the checks before a step. */
int manager_safety_start(Manager *m);
/* Re-read the kernel's settings (cheap); audit and announce what changed. */
void manager_host_refresh(Manager *m);
/*
 * Before a step: 0 to go ahead, -EPERM when a safety check refuses it
 * (m->refusal says why, audited). force skips the checks that yield to it.
 * Reads only what the checks for this step need; the settings once per job
 * (unless read since job_started).
 */
int manager_check_step(Manager *m, const char *device, const Step *step, DaxMode mode, DaxState state,
                       const JobRequest *req, usec_t job_started);
/* The device's pages in use (0 when not online), and its node's memory tier (-1 unknown). */
uint64_t manager_device_pages_in_use(Manager *m, const Device *d);
int manager_device_memory_tier(Manager *m, Device *d);
/* A device's bytes in use and free, from its node's meminfo: exact on a node of its own, upper
 * bounds of both (each at most the device's online size) on a node shared with other memory. */
void manager_device_usage(Manager *m, const Device *d, uint64_t *ret_used, uint64_t *ret_free);
extern const sd_bus_vtable manager_safety_vtable[];
extern const sd_bus_vtable device_safety_vtable[];

/* manager-bus.c / device-bus.c */
int manager_bus_connect(Manager *m);
/* The objects and vtables on m->bus, however it was connected (tests use a socketpair). */
int manager_bus_register(Manager *m);
int manager_bus_request_name(Manager *m);
int manager_bus_send_changed(Manager *m, const char *property);
/*
 * Announce changed devices and the queue length once the event loop has no
 * other work: one PropertiesChanged per device for a whole step's changes.
 */
void manager_announce(Manager *m);
int device_bus_send_changed(Device *d);
int device_bus_send_added(Device *d);
int device_bus_send_removed(Device *d);
extern const sd_bus_vtable manager_vtable[];
extern const sd_bus_vtable device_vtable[];
int device_bus_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found, sd_bus_error *error);
int device_bus_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);

#define DAXHP_ERROR_NO_SUCH_DEVICE "org.daxhp1.Error.NoSuchDevice"
#define DAXHP_ERROR_INVALID_STATE  "org.daxhp1.Error.InvalidState"
#define DAXHP_ERROR_SUPERSEDED     "org.daxhp1.Error.Superseded"
#define DAXHP_ERROR_TIMEOUT        "org.daxhp1.Error.Timeout"
#define DAXHP_ERROR_KERNEL_REFUSED "org.daxhp1.Error.KernelRefused"
#define DAXHP_ERROR_ACCESS_DENIED  "org.daxhp1.Error.AccessDenied"
#define DAXHP_ERROR_BUSY           "org.daxhp1.Error.Busy"
#define DAXHP_ERROR_CANCELLED      "org.daxhp1.Error.Cancelled"
#define DAXHP_ERROR_FAILED         "org.daxhp1.Error.Failed"
#define DAXHP_ERROR_INVALID_ARGS   "org.daxhp1.Error.InvalidArguments"
