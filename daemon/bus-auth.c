/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The authorization of mutating bus calls: root always; anyone else as
 * polkit decides for org.daxhp1.manage. libsystemd has no polkit helper,
 * so this speaks org.freedesktop.PolicyKit1.Authority.CheckAuthorization
 * itself, asynchronously: polkit may wait for a password for minutes, and
 * the daemon must keep answering everybody else (and root) meanwhile.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-auth.h"
#include "log.h"
#include "manager.h"
#include "util.h"

#define POLKIT_SERVICE "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
/* CheckAuthorizationFlags: polkit may ask the user (an agent shows a dialog). */
#define POLKIT_ALLOW_USER_INTERACTION 1u

struct AuthQuery {
        AuthQuery *next;
        Manager *manager;
        sd_bus_message *request;        /* the held method call, dispatched again once answered */
        sd_bus_slot *slot;              /* CheckAuthorization in flight */
        AuditCaller caller;
        bool answered;
        bool authorized;
        bool challenge;                 /* polkit would have asked for a password */
        sd_bus_error error;             /* polkit could not be asked */
};

/*
 * One bus query per call: with dbus-daemon each query is a round trip
 * (GetConnectionCredentials) whose reply queues behind every message
 * already on its way to us, so under a flood of other callers each extra
 * query would add the whole backlog to a root caller's wait. comm and unit
 * (for the audit record only) are read from /proc and the cgroup tree of
 * the caller's pid, without the bus; where those cannot be read (the caller
 * is gone, a container, umockdev redirecting /sys) they stay empty and the
 * check still works.
 */
static void audit_caller_describe(AuditCaller *caller) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *c = NULL;
        const char *s;

        if (caller->pid <= 0)
                return;
        if (sd_bus_creds_new_from_pid(&c, caller->pid, SD_BUS_CREDS_COMM) >= 0 &&
            sd_bus_creds_get_comm(c, &s) >= 0)
                caller->comm = strdup(s);
        c = sd_bus_creds_unref(c);
        if (sd_bus_creds_new_from_pid(&c, caller->pid, SD_BUS_CREDS_UNIT) >= 0 &&
            sd_bus_creds_get_unit(c, &s) >= 0)
                caller->unit = strdup(s);
}

int bus_get_caller(sd_bus_message *msg, AuditCaller *caller, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_PID |
                                      SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return sd_bus_error_setf(error, DAXHP_ERROR_ACCESS_DENIED, "Cannot determine the caller: %s",
                                         errno_text(r));

        /* The effective uid decides; a bus that only reports the real one gets that. */
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                r = sd_bus_creds_get_uid(creds, &uid);
        if (r < 0)
                return sd_bus_error_set(error, DAXHP_ERROR_ACCESS_DENIED, "Cannot determine the caller's uid.");

        caller->valid = true;
        caller->uid = uid;
        (void) sd_bus_creds_get_pid(creds, &caller->pid);
        audit_caller_describe(caller);
        return 0;
}

static AuthQuery *auth_query_free(AuthQuery *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        audit_caller_done(&q->caller);
        sd_bus_error_free(&q->error);
        free(q);
        return NULL;
}

static void auth_query_unlink(AuthQuery *q) {
        for (AuthQuery **p = &q->manager->auth_queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        break;
                }
        q->next = NULL;
}

static AuthQuery *auth_query_find(Manager *m, sd_bus_message *msg) {
        for (AuthQuery *q = m->auth_queries; q; q = q->next)
                if (q->request == msg)
                        return q;
        return NULL;
}

static int auth_query_answered(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->answered = true;

        if (sd_bus_message_is_method_error(reply, NULL))
                (void) sd_bus_error_copy(&q->error, sd_bus_message_get_error(reply));
        else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        (void) sd_bus_error_setf(&q->error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "unexpected reply from polkit: %s", errno_text(r));
                q->authorized = r >= 0 && authorized;
                q->challenge = r >= 0 && challenge;
        }
        log_debug("polkit: uid %u %s for " DAXHP_POLKIT_ACTION_MANAGE "%s%s.", (unsigned) q->caller.uid,
                  q->authorized ? "authorized" : "not authorized",
                  sd_bus_error_is_set(&q->error) ? ": " : "", strempty(q->error.name));

        /* The handler runs again and finds this answer (bus_verify_manage()). */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                log_warning_errno(r, "Cannot dispatch a call again after polkit answered: %m");
                (void) sd_bus_reply_method_errorf(q->request, DAXHP_ERROR_ACCESS_DENIED,
                                                  "Cannot continue after authorization: %s", errno_text(r));
                auth_query_unlink(q);
                auth_query_free(q);
        }
        return 0;
}

static int append_details(sd_bus_message *call, const char *device, const char *state) {
        int r;

        r = sd_bus_message_open_container(call, 'a', "{ss}");
        if (r >= 0 && device)
                r = sd_bus_message_append(call, "{ss}", "device", device);
        if (r >= 0 && state)
                r = sd_bus_message_append(call, "{ss}", "state", state);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        return r;
}

static int auth_query_start(Manager *m, sd_bus_message *msg, const char *device, const char *state,
                            AuditCaller *caller, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus *bus = sd_bus_message_get_bus(msg);
        const char *sender = sd_bus_message_get_sender(msg);
        uint32_t flags = 0;
        AuthQuery *q;
        int r;

        /* The subject is the caller's connection: polkit asks the bus who it is, as for any client. */
        if (!sender)
                return sd_bus_error_set(error, DAXHP_ERROR_ACCESS_DENIED, "Cannot determine the caller's bus name.");
        if (sd_bus_message_get_allow_interactive_authorization(msg) > 0)
                flags |= POLKIT_ALLOW_USER_INTERACTION;

        r = sd_bus_message_new_method_call(bus, &call, POLKIT_SERVICE, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1u, "name", "s", sender,
                                          DAXHP_POLKIT_ACTION_MANAGE);
        if (r >= 0)
                r = append_details(call, device, state);
        if (r >= 0)
                r = sd_bus_message_append(call, "us", flags, "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        /* Long enough for a password typed into an agent; polkit itself gives up sooner. */
        r = sd_bus_call_async(bus, &q->slot, call, auth_query_answered, q,
                              flags ? 5 * 60 * USEC_PER_SEC : 0);
        if (r < 0) {
                free(q);
                return r;
        }
        q->manager = m;
        q->request = sd_bus_message_ref(msg);
        q->error = SD_BUS_ERROR_NULL;
        q->caller = *caller;
        *caller = (AuditCaller) {};
        q->next = m->auth_queries;
        m->auth_queries = q;
        log_debug("Asking polkit whether uid %u (pid %d) may " DAXHP_POLKIT_ACTION_MANAGE ".",
                  (unsigned) q->caller.uid, (int) q->caller.pid);
        return 0;
}

static int auth_query_verdict(AuthQuery *q, sd_bus_error *error) {
        unsigned uid = q->caller.uid;

        if (sd_bus_error_is_set(&q->error)) {
                if (sd_bus_error_has_names(&q->error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                           SD_BUS_ERROR_ACCESS_DENIED))
                        return sd_bus_error_setf(error, DAXHP_ERROR_ACCESS_DENIED,
                                                 "Only root may change dax memory: polkit is not available to "
                                                 "authorize uid %u (%s).", uid, q->error.name);
                return sd_bus_error_setf(error, DAXHP_ERROR_ACCESS_DENIED,
                                         "Cannot ask polkit whether uid %u may change dax memory: %s: %s",
                                         uid, q->error.name, strempty(q->error.message));
        }
        if (q->authorized)
                return 1;
        if (q->challenge)
                return sd_bus_error_setf(error, DAXHP_ERROR_ACCESS_DENIED,
                                         "uid %u needs to authenticate for " DAXHP_POLKIT_ACTION_MANAGE
                                         " (no interactive authorization was allowed).", uid);
        return sd_bus_error_setf(error, DAXHP_ERROR_ACCESS_DENIED,
                                 "uid %u is not authorized for " DAXHP_POLKIT_ACTION_MANAGE ".", uid);
}

int bus_verify_manage(Manager *m, sd_bus_message *msg, const char *device, const char *state,
                      AuditCaller *caller, sd_bus_error *error) {
        AuthQuery *q;
        int r;

        q = auth_query_find(m, msg);
        if (q) {
                /* Dispatched again before polkit answered cannot happen; keep holding it. */
                if (!q->answered)
                        return 0;
                auth_query_unlink(q);
                r = auth_query_verdict(q, error);
                *caller = q->caller;
                q->caller = (AuditCaller) {};
                auth_query_free(q);
                return r;
        }

        r = bus_get_caller(msg, caller, error);
        if (r < 0)
                return r;
        /* Root never needs polkit, which may not even be installed. */
        if (caller->uid == 0)
                return 1;

        r = auth_query_start(m, msg, device, state, caller, error);
        if (r < 0 && !sd_bus_error_is_set(error))
                return sd_bus_error_setf(error, DAXHP_ERROR_ACCESS_DENIED, "Cannot ask polkit: %s",
                                         errno_text(r));
        return r;
}

void bus_auth_queries_free(Manager *m) {
        while (m->auth_queries) {
                AuthQuery *q = m->auth_queries;

                m->auth_queries = q->next;
                (void) sd_bus_reply_method_errorf(q->request, DAXHP_ERROR_CANCELLED,
                                                  "daxhpd is stopping.");
                auth_query_free(q);
        }
}
