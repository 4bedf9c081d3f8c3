/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The Manager's safety properties (the kernel's hotplug settings, competing
 * agents) as `daxhpctl status` shows them, and what `daxhpctl check` reads.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "daxhpctl-file-notes.h"
#include "daxhpctl-output.h"

typedef struct SafetyProps {
        char *auto_online_blocks;
        char *online_policy;
        bool has_ratio;
        int32_t auto_movable_ratio;
        char *memmap_on_memory;
        char *demotion_enabled;
        FileNotes agents; /* file, line, kind */
} SafetyProps;

void safety_props_done(SafetyProps *p);
/* Is key one of the properties read here? */
bool safety_props_wants(const char *key);
/* Read the variant of property key (positioned at its "v"). */
int safety_props_read(sd_bus_message *m, const char *key, SafetyProps *p);
/* GetAll of the Manager: only the safety properties. */
int safety_props_fetch(sd_bus *bus, SafetyProps *p, sd_bus_error *error);

void safety_manager_json(JsonWriter *w, const SafetyProps *p);
void safety_manager_print(const SafetyProps *p);
