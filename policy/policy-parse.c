/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The policy file parser, built on inih. inih splits sections and
 * KEY=VALUE pairs; a line reader in front of it checks what inih would
 * otherwise accept loosely (':' as delimiter, indented continuation lines,
 * silently truncated long lines) and keeps the line number for diagnostics.
 */

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy-internal.h"

#define POLICY_FILE_SIZE_MAX (4U * 1024U * 1024U)

typedef enum Section {
        SECTION_NONE,
        SECTION_MATCH,
        SECTION_POLICY,
        SECTION_UNKNOWN,
} Section;

typedef enum PolicyKey {
        KEY_STATE,
        KEY_MEMMAP_ON_MEMORY,
        KEY_ON_DRIFT,
        KEY_TIMEOUT_SEC,
        KEY_RETRIES,
        KEY_RETRY_DELAY_SEC,
        KEY_MAX_MOVABLE_PERCENT,
        _KEY_MAX,
} PolicyKey;

static const char * const policy_key_table[_KEY_MAX] = {
        [KEY_STATE]            = "State",
        [KEY_MEMMAP_ON_MEMORY] = "MemmapOnMemory",
        [KEY_ON_DRIFT]         = "OnDrift",
        [KEY_TIMEOUT_SEC]      = "TimeoutSec",
        [KEY_RETRIES]          = "Retries",
        [KEY_RETRY_DELAY_SEC]  = "RetryDelaySec",
        [KEY_MAX_MOVABLE_PERCENT] = "MaxMovablePercent",
};

typedef struct ParseContext {
        PolicyFile *file;
        const char *path;
        Diagnostics *diag;

        const char *p, *end;    /* unread part of the buffer */
        unsigned line;          /* number of the line last handed to inih */
        Section section;
        unsigned seen[_KEY_MAX]; /* line of the first assignment in this file, 0 if none */

        int n_errors;
        bool oom;
} ParseContext;

static void parse_report(ParseContext *c, PolicyDiagnosticLevel level, const char *fmt, va_list ap) {
        if (diagnostics_addv(c->diag, level, c->path, c->line, fmt, ap) < 0)
                c->oom = true;
}

_printf_(2, 3)
static void parse_error(ParseContext *c, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        parse_report(c, POLICY_DIAGNOSTIC_ERROR, fmt, ap);
        va_end(ap);
        c->n_errors++;
}

_printf_(2, 3)
static void parse_warning(ParseContext *c, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        parse_report(c, POLICY_DIAGNOSTIC_WARNING, fmt, ap);
        va_end(ap);
}

/* Mode= and Provider= have a known vocabulary: flag literal typos. */
static void check_vocabulary(ParseContext *c, MatchKey k, size_t first) {
        static const char * const modes[] = { "devdax", "system-ram", "unbound", NULL };
        static const char * const providers[] = { "hmem", "cxl", "pmem", NULL };
        const char * const *known = k == MATCH_MODE ? modes : k == MATCH_PROVIDER ? providers : NULL;
        const Cond *cond = c->file->match + k;

        if (!known)
                return;
        for (size_t i = first; i < cond->n; i++) {
                const CondItem *it = cond->items + i;
                bool found = false;

                if (!it->is_literal)
                        continue;
                for (size_t j = 0; known[j] && !found; j++)
                        found = streq(known[j], it->word);
                if (!found)
                        parse_warning(c, "%s=%s is not a known value (%s%s%s%s%s), it only matches if reported as such",
                                      match_key_to_string(k), it->word, known[0], ", ", known[1], ", ", known[2]);
        }
}

static bool is_blank(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

static bool is_key_char(char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Checks one stripped line; returns false when inih must not see it. */
static bool check_line(ParseContext *c, const char *s, size_t len) {
        if (len == 0 || s[0] == '#' || s[0] == ';')
                return true;

        if (s[0] == '[') {
                const char *close = memchr(s, ']', len);
                const char *rest;

                if (!close) {
                        parse_error(c, "Invalid section header, missing ']'");
                        c->section = SECTION_UNKNOWN;
                        return false;
                }
                for (rest = close + 1; rest < s + len && is_blank(*rest); rest++)
                        ;
                if (rest < s + len && *rest != ';' && *rest != '#') {
                        parse_error(c, "Invalid section header, text after ']'");
                        c->section = SECTION_UNKNOWN;
                        return false;
                }

                size_t n = (size_t) (close - s - 1);
                if (c->file->first_section_line == 0)
                        c->file->first_section_line = c->line;
                if (n == 5 && memcmp(s + 1, "Match", 5) == 0) {
                        c->section = SECTION_MATCH;
                        c->file->has_match_section = true;
                } else if (n == 6 && memcmp(s + 1, "Policy", 6) == 0)
                        c->section = SECTION_POLICY;
                else {
                        parse_error(c, "Unknown section [%.*s]", (int) n, s + 1);
                        c->section = SECTION_UNKNOWN;
                        return false;
                }
                return true;
        }

        const char *eq = memchr(s, '=', len), *k;
        if (!eq) {
                parse_error(c, "Missing '=', expected KEY=VALUE");
                return false;
        }
        for (k = eq; k > s && is_blank(k[-1]); k--)
                ;
        if (k == s) {
                parse_error(c, "Missing key name before '='");
                return false;
        }
        for (const char *i = s; i < k; i++)
                if (!is_key_char(*i)) {
                        parse_error(c, "Invalid key name '%.*s'", (int) (k - s), s);
                        return false;
                }

        switch (c->section) {
        case SECTION_NONE:
                parse_error(c, "Assignment outside of any section");
                return false;
        case SECTION_UNKNOWN:
                return false; /* the section header was reported */
        default:
                return true;
        }
}

/* The ini_reader: hands inih one line at a time, after check_line(). */
static char *policy_reader(char *str, int num, void *stream) {
        ParseContext *c = stream;
        const char *nl, *s, *e;
        size_t len;

        if (c->p >= c->end)
                return NULL;

        nl = memchr(c->p, '\n', (size_t) (c->end - c->p));
        s = c->p;
        e = nl ?: c->end;
        c->p = nl ? nl + 1 : c->end;
        c->line++;

        /* A UTF-8 byte order mark may open the file. */
        if (c->line == 1 && e - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
                s += 3;
        /* Leading whitespace is insignificant (no inih continuation lines). */
        while (s < e && is_blank(*s))
                s++;
        while (e > s && is_blank(e[-1]))
                e--;
        len = (size_t) (e - s);

        str[0] = '\0';
        if (memchr(s, '\0', len)) {
                parse_error(c, "Line contains a NUL byte");
                return str;
        }
        if (num < 2 || len > (size_t) num - 2) {
                parse_error(c, "Line too long (more than %d bytes)", num - 2);
                return str;
        }
        if (!check_line(c, s, len))
                return str;

        memcpy(str, s, len);
        str[len] = '\n';
        str[len + 1] = '\0';
        return str;
}

static void parse_policy_key(ParseContext *c, PolicyKey key, const char *value) {
        Policy *p = &c->file->policy;
        const char *name = policy_key_table[key];
        int r;

        if (c->seen[key] > 0) {
                parse_error(c, "Duplicate %s=, already set on line %u", name, c->seen[key]);
                return;
        }
        c->seen[key] = c->line;

        switch (key) {
        case KEY_STATE:
                if (isempty(value)) {
                        c->file->state_set = false;
                        p->state = POLICY_STATE_ONLINE_MOVABLE;
                        return;
                }
                r = policy_state_from_string(value);
                if (r < 0) {
                        parse_error(c, "Invalid State= value '%s', expected online_movable, online_kernel, "
                                    "online, unplugged, devdax or ignore", value);
                        return;
                }
                p->state = r;
                c->file->state_set = true;
                return;

        case KEY_MEMMAP_ON_MEMORY:
                if (isempty(value)) {
                        p->memmap_on_memory = -1;
                        return;
                }
                r = parse_boolean(value);
                if (r < 0) {
                        parse_error(c, "Invalid MemmapOnMemory= value '%s', expected a boolean", value);
                        return;
                }
                p->memmap_on_memory = r;
                return;

        case KEY_ON_DRIFT:
                if (isempty(value)) {
                        p->on_drift = POLICY_ON_DRIFT_REAPPLY;
                        return;
                }
                r = policy_on_drift_from_string(value);
                if (r < 0) {
                        parse_error(c, "Invalid OnDrift= value '%s', expected reapply or report", value);
                        return;
                }
                p->on_drift = r;
                return;

        case KEY_TIMEOUT_SEC: {
                uint64_t t;

                if (isempty(value)) {
                        p->timeout_usec = POLICY_DEFAULT_TIMEOUT_USEC;
                        return;
                }
                if (parse_timespan(value, &t) < 0) {
                        parse_error(c, "Invalid TimeoutSec= value '%s', expected a time span such as 30s, "
                                    "2min, 500ms or infinity", value);
                        return;
                }
                p->timeout_usec = t == 0 ? POLICY_USEC_INFINITY : t;
                return;
        }

        case KEY_RETRIES: {
                unsigned u;

                if (isempty(value)) {
                        p->retries = POLICY_DEFAULT_RETRIES;
                        return;
                }
                if (parse_unsigned(value, &u) < 0) {
                        parse_error(c, "Invalid Retries= value '%s', expected a non-negative integer", value);
                        return;
                }
                p->retries = u;
                return;
        }

        case KEY_RETRY_DELAY_SEC: {
                uint64_t t;

                if (isempty(value)) {
                        p->retry_delay_usec = POLICY_DEFAULT_RETRY_DELAY_USEC;
                        return;
                }
                if (parse_timespan(value, &t) < 0 || t == POLICY_USEC_INFINITY) {
                        parse_error(c, "Invalid RetryDelaySec= value '%s', expected a time span such as 1s "
                                    "or 500ms", value);
                        return;
                }
                p->retry_delay_usec = t;
                return;
        }

        case KEY_MAX_MOVABLE_PERCENT: {
                const char *v = value;
                _cleanup_free_ char *num = NULL;
                unsigned u;

                if (isempty(value)) {
                        p->max_movable_percent = -1;
                        return;
                }
                /* "301%", "301" and "0" (no limit) */
                if (endswith(v, "%")) {
                        num = strndup(v, strlen(v) - 1);
                        if (!num) {
                                c->oom = true;
                                return;
                        }
                        v = num;
                }
                if (parse_unsigned(v, &u) < 0 || u > 100000) {
                        parse_error(c, "Invalid MaxMovablePercent= value '%s', expected a percentage such as "
                                    "301%% (0: no limit)", value);
                        return;
                }
                p->max_movable_percent = (int) u;
                return;
        }

        default:
                return;
        }
}

static int policy_handler(void *user, const char *section, const char *name, const char *value) {
        ParseContext *c = user;

        if (c->section == SECTION_MATCH) {
                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                        if (streq(name, match_key_to_string(k))) {
                                _cleanup_free_ char *error = NULL;
                                size_t first = c->file->match[k].n;
                                int r = cond_parse(c->file->match + k, k, value, &error);

                                if (r == -ENOMEM)
                                        c->oom = true;
                                else if (r < 0)
                                        parse_error(c, "%s", error);
                                else if (!isempty(value))
                                        check_vocabulary(c, k, first);
                                return 1;
                        }
                parse_error(c, "Unknown key '%s' in section [Match]", name);
                return 1;
        }

        if (c->section == SECTION_POLICY) {
                for (PolicyKey k = 0; k < _KEY_MAX; k++)
                        if (streq(name, policy_key_table[k])) {
                                parse_policy_key(c, k, value);
                                return 1;
                        }
                parse_error(c, "Unknown key '%s' in section [Policy]", name);
                return 1;
        }

        return 1; /* not reached: the reader drops lines outside known sections */
}

int policy_file_parse_buffer(PolicyFile *f, const char *path, const char *buf, size_t size, Diagnostics *d) {
        ParseContext c = {
                .file = f,
                .path = path,
                .diag = d,
                .p = buf,
                .end = buf + size,
        };
        int r;

        r = ini_parse_stream(policy_reader, &c, policy_handler, &c);
        if (r == -2 || c.oom)
                return -ENOMEM;
        if (r != 0 && c.n_errors == 0) {
                /* Something inih refused that the reader let through. */
                c.line = r > 0 ? (unsigned) r : 0;
                parse_error(&c, "Syntax error");
                if (c.oom)
                        return -ENOMEM;
        }
        return c.n_errors;
}

int policy_file_read(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t k;

                if (n + 1 >= allocated) {
                        if (allocated >= POLICY_FILE_SIZE_MAX)
                                return -EFBIG;
                        size_t na = allocated ? allocated * 2 : 4096;
                        char *t = realloc(buf, na);
                        if (!t)
                                return -ENOMEM;
                        buf = t;
                        allocated = na;
                }
                k = read(fd, buf + n, allocated - n - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }

        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

int policy_file_parse_path_full(PolicyFile *f, const char *path, Diagnostics *d, bool *ret_empty) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r;

        if (ret_empty)
                *ret_empty = false;

        r = policy_file_read(path, &buf, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = diagnostics_add(d, POLICY_DIAGNOSTIC_ERROR, path, 0, "Failed to read file: %s",
                                    r == -EFBIG ? "file too large" : strerror(-r));
                return r < 0 ? r : 1;
        }
        if (size == 0 && ret_empty) {
                *ret_empty = true; /* a mask: the caller decides */
                return 0;
        }

        return policy_file_parse_buffer(f, path, buf, size, d);
}

int policy_file_parse_path(PolicyFile *f, const char *path, Diagnostics *d) {
        return policy_file_parse_path_full(f, path, d, NULL);
}

int policy_file_verify(PolicyFile *f, Diagnostics *d) {
        int r;

        if (f->state_set)
                return 0;
        r = diagnostics_add(d, POLICY_DIAGNOSTIC_ERROR, f->path, 0,
                            "No State= in [Policy]: every policy file must set it");
        return r < 0 ? r : 1;
}
