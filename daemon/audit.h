/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The audit trail: one structured journal record per event, each kind with
 * its own MESSAGE_ID (documented in units/daxhpd.catalog) and DAXHP_* fields
 * that operators filter on. With --log-target=stderr the same records are
 * printed as one plain line each.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"
#include "util.h"

typedef enum AuditKind {
        AUDIT_DEVICE_ADDED,
        AUDIT_DEVICE_REMOVED,
        AUDIT_POLICY_MATCHED,
        AUDIT_TRANSITION_QUEUED,
        AUDIT_TRANSITION_STARTED,
        AUDIT_TRANSITION_FINISHED,
        AUDIT_OVERRIDE_SET,
        AUDIT_OVERRIDE_CLEARED,
        AUDIT_DRIFT,
        AUDIT_RELOAD,
        AUDIT_HOST_SETTINGS,            /* the kernel's hotplug settings changed under us */
        AUDIT_AGENTS,                   /* other agents that online/offline memory were found */
        AUDIT_REFUSED,                  /* a safety check refused a step (safety.h) */
        _AUDIT_KIND_MAX,
} AuditKind;

/* The MESSAGE_ID of each kind, 32 hex digits. */
const char *audit_message_id(AuditKind k);
const char *audit_kind_to_string(AuditKind k);

/* Who asked, from the D-Bus sender's credentials. */
typedef struct AuditCaller {
        bool valid;
        uid_t uid;
        pid_t pid;
        char *comm;
        char *unit;
} AuditCaller;

void audit_caller_done(AuditCaller *c);

/*
 * Where a transition's time went, CLOCK_MONOTONIC µs (the clock of the
 * journal's monotonic timestamps, the same in the daemon and its workers);
 * 0 when unknown (no uevent: a device seen at start or a D-Bus call).
 */
typedef struct AuditTimes {
        usec_t uevent;                  /* the device's "add" uevent received */
        usec_t policy;                  /* policy matched */
        usec_t step;                    /* first step started (worker forked) */
        usec_t write_start;             /* first kernel call of a step started (in the worker) */
        usec_t write_end;               /* last kernel call returned */
        usec_t kernel;                  /* sum of the kernel calls' durations */
        unsigned steps;
        unsigned kernel_calls;          /* sysfs writes the steps made */
        usec_t confirmed;               /* re-read shows the device where it should be */
        /*
         * CPU time (µs) of the daemon from the uevent (or the request) to the
         * end, of its step worker, and of the worker inside the kernel calls:
         * daxhpd's own share is daemon + worker - kernel.
         */
        bool has_cpu;
        usec_t daemon_cpu;
        usec_t daemon_match_cpu;        /* of daemon_cpu: uevent -> policy matched (arrivals only) */
        usec_t daemon_queue_cpu;        /* policy matched (or request) -> first step started */
        usec_t worker_cpu;
        usec_t kernel_cpu;
} AuditTimes;

typedef struct AuditRecord {
        AuditKind kind;
        const char *device;
        const char *from;
        const char *to;
        const char *result;
        const char *policy;
        int error;                      /* errno, either sign; 0: none */
        bool has_duration;
        usec_t duration_usec;
        const AuditCaller *caller;
        const AuditTimes *times;
        bool has_files;
        unsigned files_loaded, files_rejected;
        char * const *extra;            /* more "DAXHP_KEY=value" fields, NULL-terminated; may be NULL */
        int priority;                   /* 0: NOTICE, or WARNING with an error */
        const char *message_id;         /* NULL: the kind's; else a catalog entry of its own */
} AuditRecord;

/*
 * One observer sees every record before it is sent (the fleet exports
 * count transitions and drift from them, so metrics and journal agree).
 * NULL removes it.
 */
typedef void (*AuditObserver)(const AuditRecord *rec, void *userdata);
void audit_set_observer(AuditObserver observer, void *userdata);

/* MESSAGE= is formatted from format. Never fails: auditing must not stop the daemon. */
void audit_emit(const AuditRecord *rec, const char *format, ...) _printf_(2, 3);
