/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal assertions for the daemon unit tests: fail loudly with file:line. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned tests_checks;

#define CHECK(expr)                                                                     \
        do {                                                                            \
                tests_checks++;                                                         \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

#define CHECK_EQ_INT(a, b)                                                              \
        do {                                                                            \
                long long _a = (long long) (a), _b = (long long) (b);                   \
                tests_checks++;                                                         \
                if (_a != _b) {                                                         \
                        fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",     \
                                __FILE__, __LINE__, #a, _a, #b, _b);                    \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

#define CHECK_STREQ(a, b)                                                               \
        do {                                                                            \
                const char *_a = (a), *_b = (b);                                        \
                tests_checks++;                                                         \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                \
                        fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",       \
                                __FILE__, __LINE__, #a, _a ?: "(null)", _b ?: "(null)"); \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

#define TESTS_DONE(name)                                                                \
        do {                                                                            \
                printf("%s: %u checks passed\n", name, tests_checks);                  \
                return EXIT_SUCCESS;                                                    \
        } while (0)
