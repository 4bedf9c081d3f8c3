/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Operational logging (not the audit trail, see audit.h): to the journal
 * when running under journald, else plain lines on stderr for running by
 * hand and for tests.
 */

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_STDERR,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

LogTarget log_target_from_string(const char *s);

/* Resolves AUTO: journal if our stderr is the journal stream (JOURNAL_STREAM). */
void log_set_target(LogTarget t);
bool log_to_journal(void);
void log_set_max_level(int level);

/*
 * In a step worker: send every log line over fd (a SOCK_SEQPACKET socket
 * to the daemon, which logs it) instead of to the journal or stderr. The
 * worker closes the daemon's fds, libsystemd's journal socket among them.
 * Record: 'L', int32 level, int32 errno, the text (no NUL).
 */
void log_set_forward_fd(int fd);

/* Returns -abs(error) so callers can "return log_error_errno(r, ...)". %m prints error. */
int log_internal(int level, int error, const char *file, int line, const char *format, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...)   log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)    log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)  log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)   log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, (e), __VA_ARGS__)
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
