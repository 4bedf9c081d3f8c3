/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy-util.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **t;

        if (!s)
                return -ENOMEM;
        t = realloc(*l, sizeof(char *) * (n + 2));
        if (!t) {
                free(s);
                return -ENOMEM;
        }
        t[n] = s;
        t[n + 1] = NULL;
        *l = t;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

char *strv_find_prefix_value(char * const *l, const char *key) {
        size_t k = strlen(key);

        if (!l)
                return NULL;
        for (char * const *i = l; *i; i++)
                if (strncmp(*i, key, k) == 0 && (*i)[k] == '=')
                        return *i + k + 1;
        return NULL;
}

int extract_word(const char **p, char **ret) {
        const char *s = *p;
        _cleanup_free_ char *w = NULL;
        size_t n = 0;
        char quote = 0;

        while (*s && isspace((unsigned char) *s))
                s++;
        if (!*s) {
                *p = s;
                *ret = NULL;
                return 0;
        }

        w = malloc(strlen(s) + 1);
        if (!w)
                return -ENOMEM;

        for (; *s; s++) {
                if (quote) {
                        if (*s == quote)
                                quote = 0;
                        else
                                w[n++] = *s;
                } else if (*s == '"' || *s == '\'')
                        quote = *s;
                else if (isspace((unsigned char) *s))
                        break;
                else
                        w[n++] = *s;
        }
        if (quote)
                return -EINVAL;

        w[n] = '\0';
        *p = s;
        *ret = TAKE_PTR(w);
        return 1;
}

char *strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

bool endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

const char *path_basename(const char *p) {
        const char *s = strrchr(p, '/');

        return s ? s + 1 : p;
}

void strbuf_append(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        int r;

        if (b->oom)
                return;

        for (;;) {
                size_t room = b->allocated - b->len;

                va_start(ap, fmt);
                r = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
                va_end(ap);
                if (r < 0) {
                        b->oom = true;
                        return;
                }
                if ((size_t) r < room) {
                        b->len += r;
                        return;
                }

                size_t na = (b->len + r + 1) * 2;
                char *t = realloc(b->s, na);
                if (!t) {
                        b->oom = true;
                        return;
                }
                b->s = t;
                b->allocated = na;
        }
}

char *strbuf_steal(StrBuf *b) {
        char *s;

        if (b->oom) {
                strbuf_done(b);
                return NULL;
        }
        s = b->s ? TAKE_PTR(b->s) : strdup("");
        *b = (StrBuf) {};
        return s;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf) {};
}

/* The first line of fd, without its newline; read until a newline or the end. */
static int read_line_fd(int fd, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, len = 0;
        char *nl = NULL, *shrunk;

        while (!nl) {
                ssize_t n;

                if (size - len < 2) {
                        /* One page first: a sysfs attribute is at most one, so most files take one read(). */
                        size_t ns = size ? size * 2 : 4096;
                        char *nb = realloc(buf, ns);

                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        size = ns;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                nl = memchr(buf + len, '\n', (size_t) n);
                len += (size_t) n;
        }
        if (nl)
                len = (size_t) (nl - buf);
        while (len > 0 && buf[len - 1] == ' ')
                len--;
        buf[len] = '\0';
        shrunk = realloc(buf, len + 1);
        *ret = shrunk ?: buf;
        buf = NULL;
        return 0;
}

/*
 * open() and read() only: no stdio buffer and no fstat(). Every refresh reads
 * a few dozen sysfs files, and on a slow machine each system call counts.
 */
int read_one_line(const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_line_fd(fd, ret);
}

/* Collapses "//", "." and ".." of an absolute path by name, in place. */
static void path_simplify_by_name(char *path) {
        char *out = path;

        for (const char *p = path; *p;) {
                const char *end = strchrnul(p + 1, '/');
                size_t l = (size_t) (end - p); /* one component with its leading '/' */

                if (l == 1 || (l == 2 && p[1] == '.')) {
                        /* "//" or "/." */
                } else if (l == 3 && p[1] == '.' && p[2] == '.') {
                        while (out > path && *--out != '/')
                                ;
                } else {
                        memmove(out, p, l);
                        out += l;
                }
                p = end;
        }
        if (out == path)
                *out++ = '/';
        *out = '\0';
}

int sysfs_link_target(const char *link, char **ret) {
        char target[PATH_MAX];
        const char *slash;
        char *path;
        ssize_t n;

        if (link[0] != '/')
                return -EINVAL;
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        slash = strrchr(link, '/');
        if (target[0] == '/')
                path = strdup(target);
        else
                path = strdup_printf("%.*s/%s", (int) (slash - link), link, target);
        if (!path)
                return -ENOMEM;
        path_simplify_by_name(path);
        *ret = path;
        return 0;
}
