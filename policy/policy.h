/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libdaxhp-policy: the daxhp.d policy language.
 *
 * Pure library: no daemon, no D-Bus, no sysfs access here. The daemon and
 * daxhpctl fill a DeviceInfo from sysfs/udev (sysfs-scan.h in the same
 * library reads a sysfs tree offline) and ask which policy file decides it.
 * Every function returns a negative errno on failure.
 * The file format is documented in daxhp.d(5); design notes in FORMAT.md.
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

/* Defaults of the [Policy] keys (see daxhp.d(5)). */
#define POLICY_USEC_INFINITY UINT64_MAX           /* TimeoutSec=infinity or 0: no timeout */
#define POLICY_DEFAULT_TIMEOUT_USEC (UINT64_C(60) * UINT64_C(1000000))
#define POLICY_DEFAULT_RETRIES 0U
#define POLICY_DEFAULT_RETRY_DELAY_USEC UINT64_C(1000000)

/* What a [Policy] section says, with defaults filled in. */
typedef struct Policy {
        PolicyState state;
        int memmap_on_memory;           /* -1: not set (leave the kernel/daxctl default), 0, 1 */
        PolicyOnDrift on_drift;
        uint64_t timeout_usec;          /* one transition step; POLICY_USEC_INFINITY: none */
        unsigned retries;
        uint64_t retry_delay_usec;
        int max_movable_percent;        /* -1: the kernel's auto_movable_ratio; 0: no limit */
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
        /* CXL identity of a device made from a CXL region (dax_cxl); all NULL otherwise.
         * The lists are NULL-terminated, one entry per region target, in interleave order. */
        const char *cxl_region;         /* "region0" */
        const char *cxl_root_decoder;   /* "decoder0.1": the CXL window (CFMWS) the region lives in */
        char **cxl_memdevs;             /* "mem0", ... */
        char **cxl_serials;             /* memdev serial numbers as the kernel prints them, "0x1001" */
        char **cxl_host_bridges;        /* "pci0000:0c", ...: the host bridge above each memdev */
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

/*
 * Load exactly these files/directories (NULL-terminated), for `daxhpctl
 * verify`. Directories act like search directories, earlier ones first; a
 * FILE also picks up FILE.d/ drop-ins. A missing path is an error diagnostic.
 */
int policy_set_load_paths(char * const *paths, PolicySet **ret);

PolicySet *policy_set_free(PolicySet *set);
static inline void policy_set_freep(PolicySet **s) {
        if (*s)
                policy_set_free(*s);
}

/* Accepted files, in match order. */
size_t policy_set_n_files(const PolicySet *set);
const PolicyFile *policy_set_file(const PolicySet *set, size_t i);
const char *policy_file_path(const PolicyFile *f);
const Policy *policy_file_policy(const PolicyFile *f);

/* File name (the ordering key) and the drop-ins merged into it, in merge order. */
const char *policy_file_name(const PolicyFile *f);
size_t policy_file_n_dropins(const PolicyFile *f);
const char *policy_file_dropin(const PolicyFile *f, size_t i);
/* True when [Match] is missing or empty: the file decides every device. */
bool policy_file_matches_all(const PolicyFile *f);
/* The [Match] section as normalized "Key=value" lines, "" when empty. Caller frees. */
int policy_file_format_match(const PolicyFile *f, char **ret);

/*
 * Tests one file against a device. Returns 1 (matches) or 0; *ret_reason
 * (optional, caller frees) names the keys that matched, or the first key
 * that did not.
 */
int policy_file_test(const PolicyFile *f, const DeviceInfo *dev, char **ret_reason);

/* Errors (rejected files) and warnings, in load order. */
size_t policy_set_n_diagnostics(const PolicySet *set);
const PolicyDiagnostic *policy_set_diagnostic(const PolicySet *set, size_t i);
size_t policy_set_n_rejected(const PolicySet *set);
size_t policy_set_n_errors(const PolicySet *set);

const char *policy_diagnostic_level_to_string(PolicyDiagnosticLevel l); /* "error", "warning" */
/* "file:line: message" ("file: message" when line is 0). Caller frees. */
int policy_diagnostic_format(const PolicyDiagnostic *d, char **ret);

/* "30s", "2min 30s", "500ms", "infinity" into buf (>= 64 bytes recommended). */
const char *policy_format_timespan(char *buf, size_t l, uint64_t usec);
/* Parses a time span as TimeoutSec= does: "30" (seconds), "30s", "2min", "500ms". */
int policy_parse_timespan(const char *s, uint64_t *ret_usec);

typedef struct PolicyMatch {
        const PolicyFile *file;         /* NULL: no file matched */
        char *reason;                   /* human text naming the [Match] keys that matched; caller frees */
} PolicyMatch;

/* First matching file decides. Returns 1 on match, 0 on none. */
int policy_set_match(const PolicySet *set, const DeviceInfo *dev, PolicyMatch *ret);
void policy_match_done(PolicyMatch *m);
