/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daxhpctl-bus.h"
#include "daxhpctl-safety.h"
#include "macro.h"

void safety_props_done(SafetyProps *p) {
        free(p->auto_online_blocks);
        free(p->online_policy);
        free(p->memmap_on_memory);
        free(p->demotion_enabled);
        file_notes_done(&p->agents);
        *p = (SafetyProps) {};
}

static char **string_slot(SafetyProps *p, const char *key) {
        if (streq(key, "AutoOnlineBlocks"))
                return &p->auto_online_blocks;
        if (streq(key, "OnlinePolicy"))
                return &p->online_policy;
        if (streq(key, "MemmapOnMemory"))
                return &p->memmap_on_memory;
        if (streq(key, "DemotionEnabled"))
                return &p->demotion_enabled;
        return NULL;
}

bool safety_props_wants(const char *key) {
        SafetyProps dummy = {};

        return string_slot(&dummy, key) || streq(key, "AutoMovableRatio") || streq(key, "CompetingAgents");
}

int safety_props_read(sd_bus_message *m, const char *key, SafetyProps *p) {
        char **slot = string_slot(p, key);
        const char *s;
        int r;

        if (slot) {
                r = sd_bus_message_read(m, "v", "s", &s);
                if (r < 0)
                        return r;
                free(*slot);
                *slot = strdup(s);
                return *slot ? 0 : -ENOMEM;
        }
        if (streq(key, "AutoMovableRatio")) {
                r = sd_bus_message_read(m, "v", "i", &p->auto_movable_ratio);
                p->has_ratio = r >= 0;
                return r;
        }
        return file_notes_read(m, &p->agents);
}

int safety_props_fetch(sd_bus *bus, SafetyProps *p, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        *p = (SafetyProps) {};
        r = bus_call_look(bus, DAXHP_MANAGER_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                          error, &reply, DAXHP_MANAGER_INTERFACE);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        break;
                r = safety_props_wants(key) ? safety_props_read(reply, key, p) : sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                safety_props_done(p);
                return r;
        }
        return 0;
}

void safety_manager_json(JsonWriter *w, const SafetyProps *p) {
        json_key(w, "AutoOnlineBlocks"); json_string(w, p->auto_online_blocks);
        json_key(w, "OnlinePolicy");     json_string(w, p->online_policy);
        json_key(w, "AutoMovableRatio"); json_i64(w, p->has_ratio ? p->auto_movable_ratio : -1);
        json_key(w, "MemmapOnMemory");   json_string(w, p->memmap_on_memory);
        json_key(w, "DemotionEnabled");  json_string(w, p->demotion_enabled);
        json_key(w, "CompetingAgents");
        json_array_open(w);
        for (size_t i = 0; i < p->agents.n; i++) {
                json_object_open(w);
                json_key(w, "File"); json_string(w, p->agents.items[i].file);
                json_key(w, "Line"); json_u64(w, p->agents.items[i].line);
                json_key(w, "Kind"); json_string(w, p->agents.items[i].text);
                json_object_close(w);
        }
        json_array_close(w);
}

static const char *or_dash(const char *s) {
        return s && *s ? s : "-";
}

void safety_manager_print(const SafetyProps *p) {
        printf("AutoOnlineBlocks: %s\n", or_dash(p->auto_online_blocks));
        printf("    OnlinePolicy: %s\n", or_dash(p->online_policy));
        if (p->has_ratio && p->auto_movable_ratio >= 0)
                printf("AutoMovableRatio: %" PRIi32 " %%\n", p->auto_movable_ratio);
        else
                printf("AutoMovableRatio: -\n");
        printf("  MemmapOnMemory: %s\n", or_dash(p->memmap_on_memory));
        printf(" DemotionEnabled: %s\n", or_dash(p->demotion_enabled));
        printf(" CompetingAgents: %s\n", p->agents.n ? "" : "-");
        for (size_t i = 0; i < p->agents.n; i++)
                printf("                  %s:%" PRIu32 " (%s)\n", p->agents.items[i].file, p->agents.items[i].line,
                       p->agents.items[i].text);
}
