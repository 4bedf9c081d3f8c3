/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small string helpers shared by the policy library: NUL-terminated string
 * lists ("strv"), word splitting and formatted allocation. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l);
/* Takes ownership of s, also on failure. */
int strv_consume(char ***l, char *s);
int strv_extend(char ***l, const char *s);
char *strv_find_prefix_value(char * const *l, const char *key);

/* Splits off the next whitespace-separated word of *p; "double" or 'single'
 * quotes group words and are removed. Returns 1 with a word, 0 at the end,
 * -EINVAL on an unterminated quote, -ENOMEM. */
int extract_word(const char **p, char **ret);

static inline char *mfree_str(char *s) {
        free(s);
        return NULL;
}

char *strdup_printf(const char *fmt, ...) _printf_(1, 2);

/*
 * The first line of a (sysfs) file, without trailing newline and blanks; an
 * empty file reads as "". Shared by the sysfs scan and daxhpd.
 */
int read_one_line(const char *path, char **ret);
/*
 * The absolute path a sysfs symlink (a bus's entry for a device) points to,
 * its ".." resolved by name: one readlink() where realpath() makes one per
 * component. Exact for sysfs, whose device directories are directories, not
 * links. link must be absolute. Returns -errno of readlink() (-ENOENT: no
 * such entry, -EINVAL: not a link), -ENOMEM.
 */
int sysfs_link_target(const char *link, char **ret);
bool endswith(const char *s, const char *suffix);
const char *path_basename(const char *p);

/* Growable text buffer for reasons and reports. */
typedef struct StrBuf {
        char *s;
        size_t len, allocated;
        bool oom;
} StrBuf;

void strbuf_append(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
/* Returns the string (possibly "") and resets the buffer, NULL on OOM. */
char *strbuf_steal(StrBuf *b);
void strbuf_done(StrBuf *b);
