/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who may change dax memory: root, or a caller polkit authorizes for the
 * action org.daxhp1.manage (dbus/org.daxhp1.policy). Asking polkit is a bus
 * call like any other: the event loop never waits for its answer. The
 * method call is held meanwhile and dispatched again once polkit answered,
 * so every mutating handler starts with bus_verify_manage() and simply
 * returns when it says "pending".
 */

#include <systemd/sd-bus.h>

#include "audit.h"

#define DAXHP_POLKIT_ACTION_MANAGE "org.daxhp1.manage"

typedef struct Manager Manager;
typedef struct AuthQuery AuthQuery;

/*
 * The caller's uid, pid (from the bus), comm and unit (from /proc, for the
 * audit trail only). org.daxhp1.Error.AccessDenied when the bus cannot say.
 */
int bus_get_caller(sd_bus_message *msg, AuditCaller *caller, sd_bus_error *error);

/*
 * 1: go ahead (root, or polkit said yes; caller filled for the audit).
 * 0: polkit was asked; the handler returns 1 (handled) without replying,
 *    and runs again with the same message when the answer is in.
 * <0: refused, error set (org.daxhp1.Error.AccessDenied).
 * device, state: details for polkit rules (action.lookup("device")), or NULL.
 */
int bus_verify_manage(Manager *m, sd_bus_message *msg, const char *device, const char *state,
                      AuditCaller *caller, sd_bus_error *error);

/* Drops every query still waiting for polkit; their callers hear Cancelled. */
void bus_auth_queries_free(Manager *m);
