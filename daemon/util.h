/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small helpers the daemon needs that common/macro.h does not carry:
 * sysfs-style single-line files and time. Every function returns a
 * negative errno on failure.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "policy-util.h"

typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)

usec_t now_usec(clockid_t clock);
/*
 * CPU time this process has used (user + system, its own threads, not its
 * children's): what "daxhpd's own share" of a transition is measured in.
 */
usec_t cpu_usec(void);

/* read_one_line() comes from the policy library (policy-util.h). */
int read_u64(const char *path, uint64_t *ret);
int read_int(const char *path, int *ret);

/*
 * Write a sysfs attribute the way the kernel expects it: one write() on a
 * file opened with O_TRUNC (so plain files in a fake or umockdev tree end up
 * holding exactly the value, too). The kernel's errno is passed through.
 */
int write_one_line(const char *path, const char *value);

/*
 * A caller's argument as an error message may quote it: itself when short
 * and printable, else "(N bytes)". Clients send anything; replies and logs
 * must not echo 100 KB or control characters back.
 */
const char *arg_for_message(const char *s, char *buf, size_t size);

/* asprintf() into a fresh string; NULL on OOM. */
char *strjoin_path(const char *a, const char *b);

/*
 * The first line of root/rel into *ret: 1 if read and not empty; 0 with *ret
 * NULL when the file is missing, unreadable or empty (an older kernel, a
 * module not loaded: "unknown", not an error); -ENOMEM.
 */
int read_optional_line(const char *root, const char *rel, char **ret);

/* strv_*() and _cleanup_strv_free_ come from the policy library. */


static inline const char *errno_text(int r) {
        /* strerror() is fine here: the daemon is single threaded. */
        return strerror(r < 0 ? -r : r);
}
