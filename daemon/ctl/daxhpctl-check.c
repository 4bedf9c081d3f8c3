/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * daxhpctl check: asks the daemon (Manager.Check), which holds the kernel's
 * settings, the competing agents and every device's policy, and runs the
 * same safety checks a transition would meet. Exit 1 when any hazard is an
 * error, i.e. would make policy fail or race daxhpd.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daxhpctl-bus.h"
#include "daxhpctl-check.h"
#include "daxhpctl-output.h"
#include "macro.h"

typedef struct Hazard {
        const char *subject, *check, *severity, *message;
} Hazard;

static void print_hazard(const Hazard *h, JsonWriter *w) {
        if (w) {
                json_object_open(w);
                json_key(w, "Subject");  json_string(w, h->subject);
                json_key(w, "Check");    json_string(w, h->check);
                json_key(w, "Severity"); json_string(w, h->severity);
                json_key(w, "Message");  json_string(w, h->message);
                json_object_close(w);
        } else
                printf("%-7s %-18s %s\n        %s\n", h->severity, h->check, h->subject, h->message);
}

int verb_check(int argc, char *argv[], bool json) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        unsigned errors = 0, warnings = 0;
        JsonWriter w;
        Hazard h;
        int r;

        if (argc > 1) {
                fprintf(stderr, "check: takes no arguments.\n");
                return 2;
        }
        r = bus_open_daemon(&bus);
        if (r < 0) {
                fprintf(stderr, "check: %s\n", strerror(-r));
                return 1;
        }
        if (r == 0) {
                fprintf(stderr, "daxhpd is not running: nothing was checked (systemctl start daxhpd).\n");
                return 1;
        }
        r = bus_call_look(bus, DAXHP_MANAGER_PATH, DAXHP_MANAGER_INTERFACE, "Check", &error, &reply, NULL);
        if (r < 0) {
                r = bus_fail("check the host", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        if (json) {
                json_begin(&w, stdout);
                json_array_open(&w);
        } else if (arg_legend)
                printf("%-7s %-18s %s\n", "LEVEL", "CHECK", "SUBJECT");

        r = sd_bus_message_enter_container(reply, 'a', "(ssss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssss)", &h.subject, &h.check, &h.severity,
                                                   &h.message)) > 0) {
                if (streq(h.severity, "error"))
                        errors++;
                else
                        warnings++;
                print_hazard(&h, json ? &w : NULL);
        }
        if (r < 0) {
                fprintf(stderr, "check: bad reply: %s\n", strerror(-r));
                return 1;
        }
        if (json) {
                json_array_close(&w);
                json_end(&w);
        } else if (arg_legend) {
                if (errors + warnings == 0)
                        printf("No hazards found.\n");
                else
                        printf("\n%u error%s, %u warning%s.\n", errors, errors == 1 ? "" : "s", warnings,
                               warnings == 1 ? "" : "s");
        }
        return errors > 0 ? 1 : 0;
}
