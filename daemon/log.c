/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
/* Our records name the caller's file and line (log.h): not sd-journal's own,
 * which would add a second CODE_FILE= pointing here. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

#include "log.h"

static LogTarget log_target = LOG_TARGET_STDERR;
static int log_max_level = LOG_INFO;
static int log_forward_fd = -1;

LogTarget log_target_from_string(const char *s) {
        if (streq(s, "auto"))
                return LOG_TARGET_AUTO;
        if (streq(s, "journal"))
                return LOG_TARGET_JOURNAL;
        if (streq(s, "stderr"))
                return LOG_TARGET_STDERR;
        return _LOG_TARGET_INVALID;
}

/* Same test systemd uses: JOURNAL_STREAM names the device:inode of our stderr. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_set_target(LogTarget t) {
        if (t == LOG_TARGET_AUTO)
                t = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
        log_target = t;
}

bool log_to_journal(void) {
        return log_target == LOG_TARGET_JOURNAL;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

void log_set_forward_fd(int fd) {
        log_forward_fd = fd;
}

static void log_forward(int level, int error, const char *msg) {
        /* Long lines are cut: one datagram per line, small enough for any socket buffer. */
        char buf[1 + 2 * sizeof(int32_t) + 2048];
        int32_t l = level, e = error;
        size_t n = strnlen(msg, 2048);

        buf[0] = 'L';
        memcpy(buf + 1, &l, sizeof(l));
        memcpy(buf + 1 + sizeof(l), &e, sizeof(e));
        memcpy(buf + 1 + 2 * sizeof(int32_t), msg, n);
        (void) send(log_forward_fd, buf, 1 + 2 * sizeof(int32_t) + n, MSG_NOSIGNAL);
}

int log_internal(int level, int error, const char *file, int line, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (error < 0)
                error = -error;
        if (level > log_max_level)
                return -error;

        /* Let %m print the error we were given, not whatever errno is now. */
        errno = error;
        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -error;

        if (log_forward_fd >= 0)
                log_forward(level, error, msg);
        else if (log_target == LOG_TARGET_JOURNAL && error > 0)
                sd_journal_send("MESSAGE=%s", msg,
                                "PRIORITY=%i", level,
                                "ERRNO=%i", error,
                                "CODE_FILE=%s", file,
                                "CODE_LINE=%i", line,
                                NULL);
        else if (log_target == LOG_TARGET_JOURNAL)
                /* No ERRNO=0: journalctl would show "errno 0" for every ordinary line. */
                sd_journal_send("MESSAGE=%s", msg,
                                "PRIORITY=%i", level,
                                "CODE_FILE=%s", file,
                                "CODE_LINE=%i", line,
                                NULL);
        else
                fprintf(stderr, "daxhpd: %s\n", msg);

        return -error;
}
