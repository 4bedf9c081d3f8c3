/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libdaxhp-policy: the daxhp.d policy language.
 *
 * Pure library: no daemon, no D-Bus, no sysfs access. The daemon and daxhpctl
 * fill a DeviceInfo from sysfs/udev and ask which policy file decides it.
 * Every function returns a negative errno on failure.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PolicyState {
        POLICY_STATE_ONLINE_MOVABLE,
        POLICY_STATE_ONLINE_KERNEL,
        POLICY_STATE_ONLINE,
        POLICY_STATE_UNPLUGGED,
        POLICY_STATE_DEVDAX,
        POLICY_STATE_IGNORE,
        _POLICY_STATE_MAX,
        _POLICY_STATE_INVALID = -22, /* -EINVAL */
} PolicyState;

typedef enum PolicyOnDrift {
        POLICY_ON_DRIFT_REAPPLY,
        POLICY_ON_DRIFT_REPORT,
        _POLICY_ON_DRIFT_MAX,
        _POLICY_ON_DRIFT_INVALID = -22,
} PolicyOnDrift;

/* "online_movable", ... ; NULL for out-of-range values. */
const char *policy_state_to_string(PolicyState s);
PolicyState policy_state_from_string(const char *s);
const char *policy_on_drift_to_string(PolicyOnDrift d);
PolicyOnDrift policy_on_drift_from_string(const char *s);

/* What a [Policy] section says, with defaults filled in. */
typedef struct Policy {
        PolicyState state;
        int memmap_on_memory;           /* -1: not set (leave the kernel/daxctl default), 0, 1 */
        PolicyOnDrift on_drift;
        uint64_t timeout_usec;          /* one transition step */
        unsigned retries;
        uint64_t retry_delay_usec;
} Policy;

/*
 * What the daemon knows about one dax device. Strings may be NULL when
 * unknown; a NULL string never matches a non-empty [Match] pattern.
 */
typedef struct DeviceInfo {
        const char *name;               /* "dax0.0" */
        const char *path;               /* sysfs devpath, "/devices/platform/.../dax0.0" */
        const char *region;             /* region id, "0" */
        int target_node;                /* -1 when unknown */
        uint64_t size;                  /* bytes */
        const char *provider;           /* "hmem", "cxl", "pmem", or NULL */
        const char *mode;               /* "devdax", "system-ram", "unbound" */
        char **properties;              /* udev properties, NULL-terminated "KEY=VALUE" list, may be NULL */
} DeviceInfo;

typedef enum PolicyDiagnosticLevel {
        POLICY_DIAGNOSTIC_ERROR,
        POLICY_DIAGNOSTIC_WARNING,
} PolicyDiagnosticLevel;

typedef struct PolicyDiagnostic {
        PolicyDiagnosticLevel level;
        const char *file;               /* full path */
        unsigned line;                  /* 0 when about the whole file */
        const char *message;            /* without the "file:line: " prefix */
} PolicyDiagnostic;

typedef struct PolicySet PolicySet;
typedef struct PolicyFile PolicyFile;

/* The four search directories, earliest (highest priority) first. */
extern const char * const policy_default_dirs[];

/*
 * Load every *.conf (with NAME.conf.d/ drop-ins) from dirs (NULL-terminated;
 * NULL means policy_default_dirs). Files with errors are rejected whole and
 * recorded as diagnostics; only allocation failure makes this fail.
 */
int policy_set_load(const char * const *dirs, PolicySet **ret);

/* Load exactly these files/directories, for `daxhpctl verify`. */
int policy_set_load_paths(char * const *paths, PolicySet **ret);

PolicySet *policy_set_free(PolicySet *set);

/* Accepted files, in match order. */
size_t policy_set_n_files(const PolicySet *set);
const PolicyFile *policy_set_file(const PolicySet *set, size_t i);
const char *policy_file_path(const PolicyFile *f);
const Policy *policy_file_policy(const PolicyFile *f);

/* Errors (rejected files) and warnings, in load order. */
size_t policy_set_n_diagnostics(const PolicySet *set);
const PolicyDiagnostic *policy_set_diagnostic(const PolicySet *set, size_t i);
size_t policy_set_n_rejected(const PolicySet *set);

typedef struct PolicyMatch {
        const PolicyFile *file;         /* NULL: no file matched */
        char *reason;                   /* human text naming the [Match] keys that matched; caller frees */
} PolicyMatch;

/* First matching file decides. Returns 1 on match, 0 on none. */
int policy_set_match(const PolicySet *set, const DeviceInfo *dev, PolicyMatch *ret);
void policy_match_done(PolicyMatch *m);
