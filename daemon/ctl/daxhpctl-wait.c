/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * daxhpctl wait [DEVICE...] [--timeout SEC]: block until daxhpd has carried
 * out what policy and overrides ask of the given devices (all it manages if
 * none is named), as systemd-networkd-wait-online does for links. READY=1
 * comes before the initial transitions finish, so this is what
 * daxhp-wait-online.service runs for services that need the memory in place.
 *
 * A device is done when its Transition is idle: the daemon queues every
 * transition it wants synchronously (on arrival, reload, drift, SetState),
 * so idle means nothing is pending. It failed if LastError is set then.
 * Until then the daemon may not run yet, or a named device may not exist
 * yet (udev may still be announcing it): both are waited for.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daxhpctl-bus.h"
#include "daxhpctl-output.h"
#include "daxhpctl-wait.h"
#include "macro.h"

#define USEC_PER_SEC 1000000ULL
/* Changes wake us through PropertiesChanged; this re-checks in case the
 * daemon restarted between our calls and a signal was lost. */
#define RECHECK_USEC (1 * USEC_PER_SEC)

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static const DeviceProps *find(const DeviceList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].name && streq(l->items[i].name, name))
                        return &l->items[i];
        return NULL;
}

static bool settled(const DeviceProps *p) {
        return p->transition && streq(p->transition, "idle");
}

/*
 * 1: every wanted device settled without error; -EIO: one settled with an
 * error (printed); 0: keep waiting (*why says for what, for the timeout message).
 */
static int evaluate(const DeviceList *l, char **names, size_t n_names, bool quiet, char *why, size_t why_len) {
        bool failed = false;

        if (n_names > 0) {
                for (size_t i = 0; i < n_names; i++) {
                        const DeviceProps *p = find(l, names[i]);

                        if (!p) {
                                snprintf(why, why_len, "%s does not exist", names[i]);
                                return 0;
                        }
                        if (!settled(p)) {
                                snprintf(why, why_len, "%s is %s", names[i], strempty(p->transition));
                                return 0;
                        }
                }
        } else
                for (size_t i = 0; i < l->n; i++)
                        if (!settled(&l->items[i])) {
                                snprintf(why, why_len, "%s is %s", strempty(l->items[i].name),
                                         strempty(l->items[i].transition));
                                return 0;
                        }

        for (size_t i = 0; i < l->n; i++) {
                const DeviceProps *p = &l->items[i];
                bool wanted = n_names == 0;

                for (size_t k = 0; k < n_names && !wanted; k++)
                        wanted = streq(names[k], strempty(p->name));
                if (!wanted || isempty(p->last_error))
                        continue;
                fprintf(stderr, "%s: %s (state %s, desired %s)\n", strempty(p->name), p->last_error,
                        strempty(p->state), strempty(p->desired_state));
                failed = true;
        }
        if (failed)
                return -EIO;
        for (size_t i = 0; i < l->n && !quiet; i++) {
                const DeviceProps *p = &l->items[i];
                bool wanted = n_names == 0;

                for (size_t k = 0; k < n_names && !wanted; k++)
                        wanted = streq(names[k], strempty(p->name));
                if (!wanted)
                        continue;
                if (arg_json != JSON_OFF)
                        device_props_json(p, true);
                else
                        printf("%s: %s\n", strempty(p->name), strempty(p->state));
        }
        return 1;
}

static int on_change(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        *(bool *) userdata = true;
        return 0;
}

static int add_matches(sd_bus *bus, bool *dirty) {
        int r;

        r = sd_bus_match_signal(bus, NULL, DAXHP_BUS_NAME, NULL, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_change, dirty);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, DAXHP_BUS_NAME, DAXHP_MANAGER_PATH,
                                        "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", on_change, dirty);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_change, dirty);
        return r;
}

int wait_for_devices(sd_bus *bus, char **names, size_t n_names, uint64_t timeout_usec, bool quiet) {
        uint64_t deadline = timeout_usec == 0 ? UINT64_MAX : now_usec() + timeout_usec;
        bool dirty = true;
        char why[256] = "daxhpd is not running";
        int r;

        r = add_matches(bus, &dirty);
        if (r < 0) {
                fprintf(stderr, "Failed to watch daxhpd: %s\n", strerror(-r));
                return 1;
        }
        for (;;) {
                uint64_t now, wait;

                if (dirty) {
                        sd_bus_error error = SD_BUS_ERROR_NULL;
                        DeviceList l = {};

                        dirty = false;
                        /* Signals that arrive from here on set dirty again. */
                        r = fetch_devices(bus, &l, &error);
                        if (r >= 0) {
                                r = evaluate(&l, names, n_names, quiet, why, sizeof why);
                                device_list_done(&l);
                                if (r != 0)
                                        return r > 0 ? 0 : 1;
                        } else if (sd_bus_error_has_names(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                                          SD_BUS_ERROR_SERVICE_UNKNOWN))
                                snprintf(why, sizeof why, "daxhpd is not running");
                        else {
                                r = bus_fail("wait for devices", &error, r);
                                sd_bus_error_free(&error);
                                return r;
                        }
                        sd_bus_error_free(&error);
                }

                now = now_usec();
                if (now >= deadline) {
                        fprintf(stderr, "Timeout waiting for dax devices: %s.\n", why);
                        return 1;
                }
                wait = deadline - now < RECHECK_USEC ? deadline - now : RECHECK_USEC;
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "Failed to process bus messages: %s\n", strerror(-r));
                        return 1;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, wait);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "Failed to wait on the bus: %s\n", strerror(-r));
                        return 1;
                }
                if (r == 0)
                        dirty = true; /* the periodic re-check */
        }
}

int verb_wait(int argc, char *argv[], bool json) {
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                { "help",    no_argument,       NULL, 'h' },
                { "quiet",   no_argument,       NULL, 'q' },
                {}
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        uint64_t timeout_usec = 120 * USEC_PER_SEC;
        bool quiet = false;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hq", options, NULL)) >= 0)
                switch (c) {
                case 't': {
                        char *end;
                        double s;

                        errno = 0;
                        s = strtod(optarg, &end);
                        if (errno || end == optarg || *end || s < 0 || s > 1e9) {
                                fprintf(stderr, "wait: invalid --timeout '%s' (seconds; 0 = forever)\n", optarg);
                                return 2;
                        }
                        timeout_usec = (uint64_t) (s * USEC_PER_SEC);
                        break;
                }
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        printf("daxhpctl wait [DEVICE...] [--timeout SEC] [-q]\n\n"
                               "Wait until daxhpd has carried out policy and overrides for DEVICE (every\n"
                               "device it manages if none is named). --timeout: seconds, default 120, 0 waits\n"
                               "forever. Exit 0 when done, 1 on a transition error or at the timeout.\n");
                        return 0;
                default:
                        return 2;
                }
        if (bus_connect(&bus))
                return 1;
        return wait_for_devices(bus, argv + optind, (size_t) (argc - optind), timeout_usec, quiet || arg_quiet);
}
