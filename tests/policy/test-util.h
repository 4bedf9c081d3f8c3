/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tiny test helpers: assertions, temporary trees, stdout capture. */

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

static unsigned test_checks;

#define ASSERT_TRUE(expr)                                                               \
        do {                                                                            \
                test_checks++;                                                          \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,      \
                                __LINE__, #expr);                                       \
                        abort();                                                        \
                }                                                                       \
        } while (0)

#define ASSERT_EQ(a, b)                                                                 \
        do {                                                                            \
                long long _a = (long long) (a), _b = (long long) (b);                   \
                test_checks++;                                                          \
                if (_a != _b) {                                                         \
                        fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n",       \
                                __FILE__, __LINE__, #a, #b, _a, _b);                    \
                        abort();                                                        \
                }                                                                       \
        } while (0)

#define ASSERT_STREQ(a, b)                                                              \
        do {                                                                            \
                const char *_a = (a), *_b = (b);                                        \
                test_checks++;                                                          \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                \
                        fprintf(stderr, "%s:%d: %s == %s failed:\n  got:      \"%s\"\n" \
                                "  expected: \"%s\"\n", __FILE__, __LINE__, #a, #b,     \
                                _a ?: "(null)", _b ?: "(null)");                        \
                        abort();                                                        \
                }                                                                       \
        } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                    \
        do {                                                                            \
                const char *_h = (hay), *_n = (needle);                                 \
                test_checks++;                                                          \
                if (!_h || !strstr(_h, _n)) {                                           \
                        fprintf(stderr, "%s:%d: \"%s\" not found in:\n%s\n", __FILE__,  \
                                __LINE__, _n, _h ?: "(null)");                          \
                        abort();                                                        \
                }                                                                       \
        } while (0)

static inline char *test_mkdtemp(void) {
        const char *t = getenv("TMPDIR");
        char *p;

        if (asprintf(&p, "%s/daxhp-test-XXXXXX", t ?: "/tmp") < 0)
                abort();
        if (!mkdtemp(p))
                abort();
        return p;
}

static inline void test_mkdir_parents(const char *path) {
        char *p = strdup(path);

        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        (void) mkdir(p, 0755);
                        *s = '/';
                }
        free(p);
}

/* Writes root/rel (creating parents); contents NULL makes a directory. */
static inline char *test_write(const char *root, const char *rel, const char *contents) {
        char *p;
        FILE *f;

        if (asprintf(&p, "%s/%s", root, rel) < 0)
                abort();
        test_mkdir_parents(p);
        if (!contents) {
                (void) mkdir(p, 0755);
                return p;
        }
        f = fopen(p, "we");
        if (!f)
                abort();
        fputs(contents, f);
        fclose(f);
        return p;
}

static inline void test_symlink(const char *root, const char *rel, const char *target) {
        char *p;

        if (asprintf(&p, "%s/%s", root, rel) < 0)
                abort();
        test_mkdir_parents(p);
        if (symlink(target, p) < 0)
                abort();
        free(p);
}

static inline int test_rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        return remove(p) < 0 ? -1 : 0;
}

static inline void test_rm_rf(char *p) {
        if (p)
                (void) nftw(p, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(p);
}

static inline void test_rm_rfp(char **p) {
        test_rm_rf(*p);
}
#define _cleanup_rm_rf_ _cleanup_(test_rm_rfp)

/* Runs fn with stdout redirected; returns what it printed. */
#define TEST_CAPTURE(ret_output, call)                                  \
        do {                                                            \
                FILE *_t = tmpfile();                                   \
                int _saved;                                             \
                long _n;                                                \
                fflush(stdout);                                         \
                _saved = dup(STDOUT_FILENO);                            \
                dup2(fileno(_t), STDOUT_FILENO);                        \
                call;                                                   \
                fflush(stdout);                                         \
                dup2(_saved, STDOUT_FILENO);                            \
                close(_saved);                                          \
                _n = lseek(fileno(_t), 0, SEEK_END);                    \
                (ret_output) = calloc(1, (size_t) _n + 1);              \
                (void) pread(fileno(_t), (ret_output), (size_t) _n, 0); \
                fclose(_t);                                             \
        } while (0)

#define TEST_DONE(name)                                                         \
        do {                                                                    \
                printf("%s: %u checks passed\n", (name), test_checks);          \
                return 0;                                                       \
        } while (0)
