/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of libdaxhp-policy shared between its source files and tests. */

#include <stdarg.h>

#include "policy.h"
#include "policy-util.h"

/* ---- diagnostics (policy-diag.c) ---- */

typedef struct Diagnostics {
        PolicyDiagnostic *items;
        size_t n, allocated;
        size_t n_errors;
} Diagnostics;

int diagnostics_add(Diagnostics *d, PolicyDiagnosticLevel level, const char *file, unsigned line,
                    const char *fmt, ...) _printf_(5, 6);
int diagnostics_addv(Diagnostics *d, PolicyDiagnosticLevel level, const char *file, unsigned line,
                     const char *fmt, va_list ap) _printf_(5, 0);
void diagnostics_done(Diagnostics *d);

/* ---- [Match] conditions (policy-cond.c, policy-glob.c, policy-size.c, policy-node.c) ---- */

typedef enum MatchKey {
        MATCH_NAME,
        MATCH_PATH,
        MATCH_REGION,
        MATCH_TARGET_NODE,
        MATCH_SIZE,
        MATCH_PROVIDER,
        MATCH_PROPERTY,
        MATCH_MODE,
        MATCH_MEMDEV,
        MATCH_MEMDEV_SERIAL,
        MATCH_HOST_BRIDGE,
        MATCH_ROOT_DECODER,
        _MATCH_KEY_MAX,
} MatchKey;

typedef enum CondKind {
        COND_GLOB,      /* word is an fnmatch() pattern */
        COND_NODE,      /* N or N-M */
        COND_SIZE,      /* SIZE, LO..HI, ..HI, LO.. */
        COND_PROPERTY,  /* KEY=GLOB; items ANDed */
        COND_SERIAL,    /* a number, decimal or 0x-hex (lo == hi) */
} CondKind;

typedef struct CondItem {
        bool invert;
        char *word;             /* as written, without the '!' */
        char *value;            /* COND_PROPERTY: the glob after '=' (word holds "KEY") */
        uint64_t lo, hi;        /* COND_NODE, COND_SIZE: inclusive bounds */
        size_t literal;         /* COND_GLOB: length of the leading part without glob characters */
        bool is_literal;        /* COND_GLOB: no glob characters at all */
} CondItem;

typedef struct Cond {
        CondItem *items;
        size_t n;
        uint64_t hash;          /* order-independent digest of the items, for quick comparisons */
} Cond;

const char *match_key_to_string(MatchKey k);
CondKind match_key_kind(MatchKey k);
void cond_done(Cond *c);
/* Parses one assignment: empty value resets; leading '!' inverts the words of
 * this assignment. Returns 0, -ENOMEM, or -EINVAL with *ret_error set to a
 * message (caller frees). */
int cond_parse(Cond *c, MatchKey k, const char *value, char **ret_error);
bool cond_equal(const Cond *a, const Cond *b, MatchKey k);
/* Every item of a also in b (for property lists, which are ANDed). */
bool cond_items_subset(const Cond *a, const Cond *b, MatchKey k);

/* Tests one condition; appends a human explanation to reason. */
bool cond_test(const Cond *c, MatchKey k, const DeviceInfo *dev, StrBuf *reason);

/* Glob lists: any negative match fails; with positive items one must match. */
bool glob_list_test(const Cond *c, const char *s);
/* A device attribute with several values (a region's memdevs): a positive
 * item must match one of them, a negative item may match none. */
bool glob_list_test_any(const Cond *c, char * const *values);
bool serial_list_test_any(const Cond *c, char * const *values);
bool range_list_test(const Cond *c, uint64_t v);
bool property_list_test(const Cond *c, char * const *properties);
bool property_item_holds(const CondItem *it, char * const *properties);

/* policy-size.c */
int parse_size(const char *s, uint64_t *ret);
int parse_size_range(const char *s, uint64_t *ret_lo, uint64_t *ret_hi);
char *format_size(char *buf, size_t l, uint64_t bytes);

/* policy-serial.c: a CXL memdev serial number, decimal or 0x-hex, all 64 bits */
int parse_serial(const char *s, uint64_t *ret);

/* policy-node.c */
int parse_node_range(const char *s, uint64_t *ret_lo, uint64_t *ret_hi);

/* policy-time.c */
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
int parse_timespan(const char *s, uint64_t *ret_usec);
int parse_boolean(const char *s);
int parse_unsigned(const char *s, unsigned *ret);

/* ---- policy files (policy-file.c, policy-parse.c) ---- */

struct PolicyFile {
        char *path;             /* main file */
        char *name;             /* its file name, the ordering key */
        char **dropins;         /* drop-in paths, in merge order */
        Cond match[_MATCH_KEY_MAX];
        Policy policy;
        bool state_set;
        bool has_match_section;         /* a [Match] header in the file or a drop-in, even empty */
        unsigned first_section_line;    /* of the main file, for the warning when it has none */
};

int policy_file_new(const char *path, PolicyFile **ret);
PolicyFile *policy_file_free(PolicyFile *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyFile *, policy_file_free);

/* Parses one physical file (main or drop-in) into f; diagnostics are
 * attributed to path. Returns the number of errors found (>= 0) or -ENOMEM. */
int policy_file_parse_buffer(PolicyFile *f, const char *path, const char *buf, size_t size, Diagnostics *d);
int policy_file_parse_path(PolicyFile *f, const char *path, Diagnostics *d);
/* Same; an empty file parses nothing and sets *ret_empty (a mask). */
int policy_file_parse_path_full(PolicyFile *f, const char *path, Diagnostics *d, bool *ret_empty);
/* Whole file into a NUL-terminated buffer; -EFBIG above 4 MiB. */
int policy_file_read(const char *path, char **ret, size_t *ret_size);
/* Whole-file checks after the main file and all drop-ins: State= set. */
int policy_file_verify(PolicyFile *f, Diagnostics *d);

bool policy_file_matches_all_internal(const PolicyFile *f);
/* True when every device matching later also matches earlier. */
bool policy_file_shadows(const PolicyFile *earlier, const PolicyFile *later);
