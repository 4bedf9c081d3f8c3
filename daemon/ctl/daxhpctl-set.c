/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * daxhpctl set DEVICE STATE / reset DEVICE [--no-block].
 *
 * SetState replies when the device got there, which may take the kernel many
 * seconds; ClearOverride replies at once and the transition policy asks for
 * follows. Both block until the device is done, unless --no-block: then they
 * return once the daemon holds the request. While blocked, a terminal shows
 * progress on stderr (queued behind another device, or the device's memory
 * blocks online/total, which the daemon reads live from the kernel while the
 * write runs). ^C stops only the waiting, and says so: the daemon carries on.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daxhpctl-bus.h"
#include "daxhpctl-output.h"
#include "daxhpctl-set.h"
#include "daxhpctl-wait.h"
#include "macro.h"

#define PROGRESS_USEC 500000ULL

static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int sig) {
        interrupted = 1;
}

typedef struct Pending {
        bool done;
        int r;
        sd_bus_error error;
} Pending;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        p->done = true;
        if (e) {
                p->r = -sd_bus_message_get_errno(m) ?: -EIO;
                (void) sd_bus_error_copy(&p->error, e);
        }
        return 0;
}

/* One line, rewritten in place on a terminal. */
static void progress(bool tty, const DeviceProps *p, const char *target) {
        if (!tty)
                return;
        if (p->transition && streq(p->transition, "queued"))
                fprintf(stderr, "\r%s: queued behind another device's transition\033[K", p->name);
        else if (p->transition && streq(p->transition, "running"))
                fprintf(stderr, "\r%s: %s -> %s, %" PRIu32 "/%" PRIu32 " memory blocks online\033[K",
                        p->name, strempty(p->state), target, p->online_blocks, p->blocks);
        fflush(stderr);
}

static void progress_end(bool tty, bool shown) {
        if (tty && shown)
                fprintf(stderr, "\r\033[K");
}

/* --no-block: the daemon holds the request once the override is in force. */
static bool request_taken(const DeviceProps *p, const char *state) {
        return state && p->policy_file && streq(p->policy_file, "runtime") &&
               p->desired_state && streq(p->desired_state, state);
}

static int run(const char *verb, const char *name, const char *method, const char *state, bool json,
               bool no_block, bool force) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        Pending pending = { .error = SD_BUS_ERROR_NULL };
        bool tty = isatty(STDERR_FILENO) && !arg_quiet, shown = false;
        const char *target = state ?: "its policy state";
        struct sigaction sa = { .sa_handler = on_interrupt }, old_int, old_term;
        char what[256];
        int r;

        snprintf(what, sizeof what, "%s %s", verb, name);
        if (bus_connect(&bus))
                return 1;
        r = device_path(bus, name, &path, &error);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &m, DAXHP_BUS_NAME, path, DAXHP_DEVICE_INTERFACE, method);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, false);
        if (r >= 0 && state)
                r = sd_bus_message_append(m, "s", state);
        /* SetStateWithFlags: flag 1 forces past the zone-ratio and unplug checks. */
        if (r >= 0 && force)
                r = sd_bus_message_append(m, "t", UINT64_C(1));
        /* No timeout: a transition takes as long as the kernel needs. */
        if (r >= 0)
                r = sd_bus_call_async(bus, &slot, m, on_reply, &pending, UINT64_MAX);
        if (r < 0) {
                r = bus_fail(what, &error, r);
                sd_bus_error_free(&error);
                return r;
        }

        /* No SA_RESTART: ^C must wake sd_bus_wait(). */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);

        for (;;) {
                DeviceProps p = { .target_node = -1 };

                while ((r = sd_bus_process(bus, NULL)) > 0 && !pending.done)
                        ;
                if (r < 0 || pending.done)
                        break;
                if (interrupted) {
                        progress_end(tty, shown);
                        fprintf(stderr, "Interrupted: daxhpctl stopped waiting, daxhpd carries on with %s -> %s.\n"
                                "Follow it with: daxhpctl wait %s   (or: daxhpctl monitor)\n",
                                name, target, name);
                        r = 130;
                        goto out;
                }
                if (fetch_device(bus, name, &p, NULL) >= 0) {
                        if (no_block && request_taken(&p, state)) {
                                if (!arg_quiet)
                                        printf("%s: %s -> %s requested; follow with: daxhpctl wait %s\n",
                                               name, strempty(p.transition), state, name);
                                device_props_done(&p);
                                r = 0;
                                goto out;
                        }
                        progress(tty, &p, target);
                        shown = shown || tty;
                }
                device_props_done(&p);
                r = sd_bus_wait(bus, PROGRESS_USEC);
                if (r < 0 && r != -EINTR)
                        break;
        }
        progress_end(tty, shown);
        if (r < 0 || pending.r < 0) {
                r = bus_fail(what, &pending.error, r < 0 ? r : pending.r);
                goto out;
        }
        /* ClearOverride replied at once: wait for what policy now asks (a
         * plain wait: ^C ends it as usual). */
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        if (!state && !no_block) {
                r = wait_for_devices(bus, (char *[]) { (char *) name, NULL }, 1, 0, true);
                if (r != 0)
                        goto out;
        }
        if (json) {
                DeviceProps p = { .target_node = -1 };

                if (fetch_device(bus, name, &p, &error) >= 0)
                        device_props_json(&p, true);
                sd_bus_error_free(&error);
                device_props_done(&p);
        }
        r = 0;
out:
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sd_bus_error_free(&pending.error);
        return r;
}

static int parse(int argc, char *argv[], int want, const char *usage, bool *no_block, bool *force) {
        static const struct option options[] = {
                { "no-block", no_argument, NULL, 'n' },
                { "force",    no_argument, NULL, 'f' },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        *no_block = true;
                        break;
                case 'f':
                        if (!force)
                                return -EINVAL;
                        *force = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (argc - optind != want) {
                fprintf(stderr, "Usage: daxhpctl %s\n", usage);
                return -EINVAL;
        }
        return optind;
}

int verb_set(int argc, char *argv[], bool json) {
        bool no_block = false, force = false;
        int i = parse(argc, argv, 2, "set DEVICE STATE [--no-block] [--force]", &no_block, &force);

        if (i < 0)
                return 2;
        return run("set", argv[i], force ? "SetStateWithFlags" : "SetState", argv[i + 1], json, no_block, force);
}

int verb_reset(int argc, char *argv[], bool json) {
        bool no_block = false;
        int i = parse(argc, argv, 1, "reset DEVICE [--no-block]", &no_block, NULL);

        if (i < 0)
                return 2;
        return run("reset", argv[i], "ClearOverride", NULL, json, no_block, false);
}
