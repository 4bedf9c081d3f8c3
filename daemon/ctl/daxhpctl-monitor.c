/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * daxhpctl monitor: one line per change the daemon announces
 * (PropertiesChanged, InterfacesAdded, InterfacesRemoved) until SIGINT.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "daxhpctl-bus.h"
#include "daxhpctl-output.h"
#include "macro.h"

typedef struct Monitor {
        bool json;
} Monitor;

/* "dax0.0" for a device object, "manager" for /org/daxhp1; caller frees. */
static char *object_label(const char *path) {
        char *name = NULL;

        if (sd_bus_path_decode(path, DAXHP_DEVICE_PREFIX, &name) > 0 && name)
                return name;
        return strdup(streq(path, DAXHP_MANAGER_PATH) ? "manager" : path);
}

/* Prints one variant as text or JSON; unknown types print as their signature. */
static int print_variant(sd_bus_message *m, JsonWriter *w) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        if (streq(contents, "s") || streq(contents, "o")) {
                const char *s;
                r = sd_bus_message_read_basic(m, contents[0], &s);
                if (r < 0)
                        return r;
                if (w)
                        json_string(w, s);
                else
                        printf("%s", s);
        } else if (streq(contents, "t") || streq(contents, "u")) {
                uint64_t t = 0;
                uint32_t u = 0;
                r = contents[0] == 't' ? sd_bus_message_read_basic(m, 't', &t)
                                       : sd_bus_message_read_basic(m, 'u', &u);
                if (r < 0)
                        return r;
                if (contents[0] == 'u')
                        t = u;
                if (w)
                        json_u64(w, t);
                else
                        printf("%" PRIu64, t);
        } else if (streq(contents, "i")) {
                int32_t i;
                r = sd_bus_message_read_basic(m, 'i', &i);
                if (r < 0)
                        return r;
                if (w)
                        json_i64(w, i);
                else
                        printf("%" PRIi32, i);
        } else if (streq(contents, "b")) {
                int b;
                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r < 0)
                        return r;
                if (w)
                        json_bool(w, b);
                else
                        printf("%s", b ? "yes" : "no");
        } else if (streq(contents, "as")) {
                char **l = NULL;
                r = sd_bus_message_read_strv(m, &l);
                if (r < 0)
                        return r;
                if (w)
                        json_array_open(w);
                for (size_t i = 0; l && l[i]; i++) {
                        if (w)
                                json_string(w, l[i]);
                        else
                                printf("%s%s", i ? "," : "", l[i]);
                        free(l[i]);
                }
                free(l);
                if (w)
                        json_array_close(w);
        } else {
                r = sd_bus_message_skip(m, contents);
                if (r < 0)
                        return r;
                if (w)
                        json_string(w, contents);
                else
                        printf("<%s>", contents);
        }
        return sd_bus_message_exit_container(m);
}

/* a{sv}: " Key=value Key=value" or JSON object members. */
static int print_props(sd_bus_message *m, JsonWriter *w) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (w)
                        json_key(w, key);
                else
                        printf(" %s=", key);
                r = print_variant(m, w);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static void begin_event(Monitor *mon, JsonWriter *w, const char *event, const char *label, const char *path) {
        if (mon->json) {
                json_begin(w, stdout);
                json_object_open(w);
                json_key(w, "Event");  json_string(w, event);
                json_key(w, "Object"); json_string(w, label);
                json_key(w, "Path");   json_string(w, path);
        } else
                printf("%s %s", label, event);
}

static void end_event(Monitor *mon, JsonWriter *w) {
        if (mon->json) {
                json_object_close(w);
                json_end(w);
        } else {
                printf("\n");
                fflush(stdout);
        }
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        _cleanup_free_ char *label = object_label(sd_bus_message_get_path(m));
        const char *iface;
        JsonWriter w;
        int r;

        if (!label)
                return -ENOMEM;
        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return 0;
        begin_event(mon, &w, "changed", label, sd_bus_message_get_path(m));
        if (mon->json) {
                json_key(&w, "Interface");  json_string(&w, iface);
                json_key(&w, "Properties"); json_object_open(&w);
        }
        r = print_props(m, mon->json ? &w : NULL);
        if (mon->json) {
                json_object_close(&w);
                json_key(&w, "Invalidated");
                json_array_open(&w);
        }
        if (r >= 0) {
                char **inval = NULL;

                if (sd_bus_message_read_strv(m, &inval) >= 0)
                        for (size_t i = 0; inval && inval[i]; i++) {
                                if (mon->json)
                                        json_string(&w, inval[i]);
                                else
                                        printf(" %s=?", inval[i]);
                                free(inval[i]);
                        }
                free(inval);
        }
        if (mon->json)
                json_array_close(&w);
        end_event(mon, &w);
        return 0;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        _cleanup_free_ char *label = NULL;
        const char *path;
        JsonWriter w;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return 0;
        label = object_label(path);
        if (!label)
                return -ENOMEM;
        begin_event(mon, &w, "added", label, path);
        if (mon->json) {
                json_key(&w, "Properties");
                json_object_open(&w);
        }
        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *iface;

                r = sd_bus_message_read(m, "s", &iface);
                if (r < 0)
                        break;
                if (streq(iface, DAXHP_DEVICE_INTERFACE) || streq(iface, DAXHP_MANAGER_INTERFACE))
                        r = print_props(m, mon->json ? &w : NULL);
                else
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (mon->json)
                json_object_close(&w);
        end_event(mon, &w);
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        _cleanup_free_ char *label = NULL;
        const char *path;
        JsonWriter w;

        if (sd_bus_message_read(m, "o", &path) < 0)
                return 0;
        label = object_label(path);
        if (!label)
                return -ENOMEM;
        begin_event(mon, &w, "removed", label, path);
        end_event(mon, &w);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        const char *name, *old, *new;
        JsonWriter w;

        if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || !streq(name, DAXHP_BUS_NAME))
                return 0;
        begin_event(mon, &w, isempty(new) ? "daemon-stopped" : "daemon-started", "manager",
                    DAXHP_MANAGER_PATH);
        end_event(mon, &w);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int verb_monitor(int argc, char *argv[], bool json) {
        sd_bus *bus = NULL;
        sd_event *e = NULL;
        Monitor mon = { .json = json };
        sigset_t ss;
        int r;

        if (argc > 1) {
                fprintf(stderr, "monitor takes no arguments.\n");
                return 2;
        }
        if (bus_connect(&bus))
                return 1;
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        r = sigprocmask(SIG_BLOCK, &ss, NULL) < 0 ? -errno : 0;
        if (r >= 0)
                r = sd_event_default(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, 0);
        /* Synchronous AddMatch: once this returns nothing the daemon says is missed. */
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, DAXHP_BUS_NAME, NULL, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_properties_changed, &mon);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, DAXHP_BUS_NAME, DAXHP_MANAGER_PATH,
                                        "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                        on_interfaces_added, &mon);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, DAXHP_BUS_NAME, DAXHP_MANAGER_PATH,
                                        "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
                                        on_interfaces_removed, &mon);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged",
                                        on_name_owner_changed, &mon);
        if (r < 0) {
                fprintf(stderr, "Failed to set up monitoring: %s\n", strerror(-r));
                r = 1;
                goto out;
        }
        fprintf(stderr, "Monitoring %s, press ^C to stop.\n", DAXHP_BUS_NAME);
        r = sd_event_loop(e);
        r = r < 0 ? 1 : 0;
out:
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        return r;
}
