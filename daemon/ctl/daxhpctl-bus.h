/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* daxhpctl verbs that talk to daxhpd over the system bus (org.daxhp1). */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#define DAXHP_BUS_NAME          "org.daxhp1"
#define DAXHP_MANAGER_PATH      "/org/daxhp1"
#define DAXHP_DEVICE_PREFIX     "/org/daxhp1/device"
#define DAXHP_MANAGER_INTERFACE "org.daxhp1.Manager"
#define DAXHP_DEVICE_INTERFACE  "org.daxhp1.Device"

typedef struct DeviceProps {
        char *path;
        char *name;
        char *sysfs_path;
        uint64_t size;
        int32_t target_node;
        char *region;
        char *provider;
        char *mode;
        char *state;
        char *desired_state;
        char *policy_file;
        char *transition;
        char *last_error;
        uint64_t last_change_usec;
} DeviceProps;

void device_props_done(DeviceProps *p);

/* Reads one a{sv} of org.daxhp1.Device properties into p (unknown ones skipped). */
int device_props_read(sd_bus_message *m, DeviceProps *p);

void device_props_json(const DeviceProps *p, bool json_newline);

int bus_connect(sd_bus **ret);
/* Prints "Failed to VERB: NAME: MESSAGE" and returns 1 (the exit status). */
int bus_fail(const char *what, const sd_bus_error *e, int r);

int verb_list(int argc, char *argv[], bool json);
int verb_status(int argc, char *argv[], bool json);
int verb_set(int argc, char *argv[], bool json);
int verb_reset(int argc, char *argv[], bool json);
int verb_reload(int argc, char *argv[], bool json);
int verb_monitor(int argc, char *argv[], bool json);
