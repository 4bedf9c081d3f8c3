/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* daxhpctl verbs that talk to daxhpd over the system bus (org.daxhp1). */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#define DAXHP_BUS_NAME          "org.daxhp1"
#define DAXHP_POLKIT_ACTION     "org.daxhp1.manage"
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
        uint32_t blocks;        /* memory blocks the device covers */
        uint32_t online_blocks; /* of those, online now (counted by the daemon from block uevents) */
        char *memmap_on_memory; /* the device's attribute, "" if none (safety) */
        int32_t memory_tier;    /* its node's memory tier, -1 unknown */
        uint64_t pages_in_use;
} DeviceProps;

void device_props_done(DeviceProps *p);

/* Reads one a{sv} of org.daxhp1.Device properties into p (unknown ones skipped). */
int device_props_read(sd_bus_message *m, DeviceProps *p);

void device_props_json(const DeviceProps *p, bool json_newline);

typedef struct DeviceList {
        DeviceProps *items;
        size_t n;
} DeviceList;

void device_list_done(DeviceList *l);

int bus_connect(sd_bus **ret);
/* 1 and the bus if org.daxhp1 has an owner on the system bus; 0 if it has
 * none or there is no bus (never activates the daemon); -ENOMEM. */
int bus_open_daemon(sd_bus **ret);
/* GetDevice(name) and its properties; all devices sorted by name. */
int fetch_device(sd_bus *bus, const char *name, DeviceProps *ret, sd_bus_error *error);
/* GetDevice(name): its object path (NoSuchDevice comes from the daemon). */
int device_path(sd_bus *bus, const char *name, char **ret, sd_bus_error *error);
int fetch_devices(sd_bus *bus, DeviceList *ret, sd_bus_error *error);
/* A method call to org.daxhp1 (default timeout) that never bus-activates it;
 * arg: one "s" argument or NULL. */
int bus_call_look(sd_bus *bus, const char *path, const char *interface, const char *member,
                  sd_bus_error *error, sd_bus_message **reply, const char *arg);
/* Prints "Failed to VERB: NAME: MESSAGE" and returns 1 (the exit status). */
int bus_fail(const char *what, const sd_bus_error *e, int r);

int verb_list(int argc, char *argv[], bool json);
int verb_status(int argc, char *argv[], bool json);
int verb_reload(int argc, char *argv[], bool json);
int verb_monitor(int argc, char *argv[], bool json);
