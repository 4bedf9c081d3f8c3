/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
/* An audit record is about a device, not about a line of audit.c. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

#include "audit.h"
#include "log.h"

static const struct {
        const char *name;
        const char *id;
} kinds[_AUDIT_KIND_MAX] = {
        [AUDIT_DEVICE_ADDED]        = { "device-added",        "bd9ae2ede7684e9a820d0a481bcbc4ae" },
        [AUDIT_DEVICE_REMOVED]      = { "device-removed",      "2c217fbcebf3423bb82a29fb40610c64" },
        [AUDIT_POLICY_MATCHED]      = { "policy-matched",      "4c5ae329292045ab951adb26b9a14ce7" },
        [AUDIT_TRANSITION_QUEUED]   = { "transition-queued",   "bd82531121974daab5dda516e93727b2" },
        [AUDIT_TRANSITION_STARTED]  = { "transition-started",  "32d434dfbc4b44aeb3e163a28002da2d" },
        [AUDIT_TRANSITION_FINISHED] = { "transition-finished", "0f3c0d5c5dde4c05bb3716ce434cae74" },
        [AUDIT_OVERRIDE_SET]        = { "override-set",        "54709728a46749cf8a28cef9f1f347b8" },
        [AUDIT_OVERRIDE_CLEARED]    = { "override-cleared",    "0e9006c128264076b87d34330695dcbe" },
        [AUDIT_DRIFT]               = { "drift",               "e732b274006a46a99505b93fe2cc6b31" },
        [AUDIT_RELOAD]              = { "reload",              "efcf19202be64c07b0f7392ed3a82036" },
        [AUDIT_HOST_SETTINGS]       = { "host-settings",       "146c70fd09234b27a621b966aeff0690" },
        [AUDIT_AGENTS]              = { "competing-agents",    "c1b188dbdaa34b1a9124894d8bc518df" },
        [AUDIT_REFUSED]             = { "refused",             "8d034cae1ee74866b67e91c6c64671ca" },
};

const char *audit_message_id(AuditKind k) {
        return k < _AUDIT_KIND_MAX ? kinds[k].id : NULL;
}

const char *audit_kind_to_string(AuditKind k) {
        return k < _AUDIT_KIND_MAX ? kinds[k].name : NULL;
}

static AuditObserver observer;
static void *observer_userdata;

void audit_set_observer(AuditObserver o, void *userdata) {
        observer = o;
        observer_userdata = userdata;
}

void audit_caller_done(AuditCaller *c) {
        free(c->comm);
        free(c->unit);
        *c = (AuditCaller) {};
}

#define FIELDS_MAX 40

typedef struct Fields {
        char *f[FIELDS_MAX];
        size_t n;
} Fields;

static void fields_add(Fields *fl, const char *fmt, ...) _printf_(2, 3);
static void fields_add(Fields *fl, const char *fmt, ...) {
        va_list ap;

        if (fl->n >= FIELDS_MAX)
                return;
        va_start(ap, fmt);
        if (vasprintf(&fl->f[fl->n], fmt, ap) >= 0)
                fl->n++;
        va_end(ap);
}

static void fields_done(Fields *fl) {
        for (size_t i = 0; i < fl->n; i++)
                free(fl->f[i]);
        fl->n = 0;
}

static void collect_fields(const AuditRecord *rec, Fields *fl) {
        int e = rec->error < 0 ? -rec->error : rec->error;

        fields_add(fl, "DAXHP_EVENT=%s", audit_kind_to_string(rec->kind));
        if (rec->device)
                fields_add(fl, "DAXHP_DEVICE=%s", rec->device);
        if (rec->from)
                fields_add(fl, "DAXHP_FROM=%s", rec->from);
        if (rec->to)
                fields_add(fl, "DAXHP_TO=%s", rec->to);
        if (rec->result)
                fields_add(fl, "DAXHP_RESULT=%s", rec->result);
        if (e != 0)
                fields_add(fl, "DAXHP_ERRNO=%d", e);
        if (rec->has_duration)
                fields_add(fl, "DAXHP_DURATION_USEC=%" PRIu64, rec->duration_usec);
        if (rec->policy)
                fields_add(fl, "DAXHP_POLICY=%s", rec->policy);
        if (rec->caller && rec->caller->valid) {
                fields_add(fl, "DAXHP_CALLER_UID=%u", (unsigned) rec->caller->uid);
                fields_add(fl, "DAXHP_CALLER_PID=%d", (int) rec->caller->pid);
                if (rec->caller->comm)
                        fields_add(fl, "DAXHP_CALLER_COMM=%s", rec->caller->comm);
                if (rec->caller->unit)
                        fields_add(fl, "DAXHP_CALLER_UNIT=%s", rec->caller->unit);
        }
        if (rec->times) {
                const AuditTimes *t = rec->times;
                const struct {
                        const char *name;
                        usec_t v;
                } ts[] = {
                        { "DAXHP_T_UEVENT_USEC", t->uevent },
                        { "DAXHP_T_POLICY_USEC", t->policy },
                        { "DAXHP_T_STEP_USEC", t->step },
                        { "DAXHP_T_WRITE_START_USEC", t->write_start },
                        { "DAXHP_T_WRITE_END_USEC", t->write_end },
                        { "DAXHP_T_CONFIRMED_USEC", t->confirmed },
                };

                for (size_t i = 0; i < ELEMENTSOF(ts); i++)
                        if (ts[i].v > 0)
                                fields_add(fl, "%s=%" PRIu64, ts[i].name, ts[i].v);
                if (t->steps > 0) {
                        fields_add(fl, "DAXHP_KERNEL_USEC=%" PRIu64, t->kernel);
                        fields_add(fl, "DAXHP_STEPS=%u", t->steps);
                        fields_add(fl, "DAXHP_KERNEL_CALLS=%u", t->kernel_calls);
                }
                if (t->has_cpu) {
                        usec_t own = t->daemon_cpu + t->worker_cpu;

                        fields_add(fl, "DAXHP_CPU_DAEMON_USEC=%" PRIu64, t->daemon_cpu);
                        if (t->daemon_match_cpu > 0)
                                fields_add(fl, "DAXHP_CPU_DAEMON_MATCH_USEC=%" PRIu64, t->daemon_match_cpu);
                        fields_add(fl, "DAXHP_CPU_DAEMON_QUEUE_USEC=%" PRIu64, t->daemon_queue_cpu);
                        fields_add(fl, "DAXHP_CPU_WORKER_USEC=%" PRIu64, t->worker_cpu);
                        fields_add(fl, "DAXHP_CPU_KERNEL_USEC=%" PRIu64, t->kernel_cpu);
                        fields_add(fl, "DAXHP_CPU_OWN_USEC=%" PRIu64, own > t->kernel_cpu ? own - t->kernel_cpu : 0);
                }
        }
        if (rec->has_files) {
                fields_add(fl, "DAXHP_FILES_LOADED=%u", rec->files_loaded);
                fields_add(fl, "DAXHP_FILES_REJECTED=%u", rec->files_rejected);
        }
        for (char * const *x = rec->extra; x && *x; x++)
                fields_add(fl, "%s", *x);
}

void audit_emit(const AuditRecord *rec, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        Fields fl = {};
        va_list ap;
        int r;

        if (observer)
                observer(rec, observer_userdata);

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return;

        collect_fields(rec, &fl);

        if (log_to_journal()) {
                Fields head = {};
                struct iovec iov[FIELDS_MAX * 2];
                size_t n = 0;

                fields_add(&head, "MESSAGE=%s", msg);
                fields_add(&head, "MESSAGE_ID=%s", rec->message_id ?: audit_message_id(rec->kind));
                fields_add(&head, "PRIORITY=%d",
                           rec->priority ?: rec->error != 0 ? LOG_WARNING : LOG_NOTICE);
                fields_add(&head, "SYSLOG_IDENTIFIER=daxhpd");
                for (size_t i = 0; i < head.n; i++)
                        iov[n++] = (struct iovec) { head.f[i], strlen(head.f[i]) };
                for (size_t i = 0; i < fl.n; i++)
                        iov[n++] = (struct iovec) { fl.f[i], strlen(fl.f[i]) };
                (void) sd_journal_sendv(iov, (int) n);
                fields_done(&head);
        } else {
                /* One line per record: the message, then the fields a script can grep. */
                fprintf(stderr, "daxhpd: %s MESSAGE_ID=%s", msg, rec->message_id ?: audit_message_id(rec->kind));
                for (size_t i = 0; i < fl.n; i++)
                        fprintf(stderr, " %s", fl.f[i]);
                fputc('\n', stderr);
        }
        fields_done(&fl);
}
