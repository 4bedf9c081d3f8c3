/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util.h"

usec_t now_usec(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

usec_t cpu_usec(void) {
        struct rusage ru;

        /*
         * Not clock_gettime(CLOCK_PROCESS_CPUTIME_ID): kernels built without
         * CONFIG_POSIX_TIMERS (small guests, this project's test kernel)
         * refuse CPU clocks, while getrusage() works everywhere and is
         * scaled to the scheduler's runtime, not to ticks.
         */
        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return 0;
        return (usec_t) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * USEC_PER_SEC +
               (usec_t) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int read_u64(const char *path, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        int r;

        r = read_one_line(path, &s);
        if (r < 0)
                return r;
        errno = 0;
        /* sysfs prints sizes in decimal and addresses as 0x...: base 0 takes both. */
        unsigned long long v = strtoull(s, &end, 0);
        if (errno != 0 || end == s || *end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int read_int(const char *path, int *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        int r;

        r = read_one_line(path, &s);
        if (r < 0)
                return r;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < INT32_MIN || v > INT32_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int write_one_line(const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        /* One write() call: sysfs store() sees the whole value at once. */
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

char *strjoin_path(const char *a, const char *b) {
        char *s;

        if (asprintf(&s, "%s/%s", a, b) < 0)
                return NULL;
        return s;
}

int read_optional_line(const char *root, const char *rel, char **ret) {
        _cleanup_free_ char *path = strjoin_path(root, rel);
        int r;

        *ret = NULL;
        if (!path)
                return -ENOMEM;
        r = read_one_line(path, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || isempty(*ret)) {
                free(*ret);
                *ret = NULL;
                return 0;
        }
        return 1;
}

const char *arg_for_message(const char *s, char *buf, size_t size) {
        size_t n = strlen(s);
        bool ok = n <= 64;

        for (size_t i = 0; ok && i < n; i++)
                ok = s[i] >= 0x20 && s[i] < 0x7f;
        if (ok)
                return s;
        snprintf(buf, size, "(%zu bytes)", n);
        return buf;
}
