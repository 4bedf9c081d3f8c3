/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.daxhp1.Device: one object per dax device, /org/daxhp1/device/<encoded name>. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-string.h"
#include "device-blocks.h"
#include "log.h"
#include "manager.h"
#include "override-store.h"
#include "sysfs-scan.h"

#define DEVICE_INTERFACE "org.daxhp1.Device"

static char **all_properties(void) {
        /* Every property can change with one sysfs re-read: announce them together. */
        static char *props[] = {
                (char *) "Name", (char *) "SysfsPath", (char *) "Size", (char *) "TargetNode",
                (char *) "Region", (char *) "Provider", (char *) "Mode", (char *) "State",
                (char *) "DesiredState", (char *) "PolicyFile", (char *) "Transition",
                (char *) "LastError", (char *) "LastChangeUSec", NULL,
        };
        return props;
}

#define DEFINE_STRING_GETTER(func, expr)                                                        \
        static int func(sd_bus *bus, const char *path, const char *interface,                  \
                        const char *property, sd_bus_message *reply, void *userdata,           \
                        sd_bus_error *error) {                                                  \
                const Device *d = userdata;                                                     \
                return bus_append_string_safe(reply, expr);                                     \
        }

DEFINE_STRING_GETTER(property_get_name, d->name);
DEFINE_STRING_GETTER(property_get_sysfs_path, d->status.syspath);
DEFINE_STRING_GETTER(property_get_region, d->status.region);
DEFINE_STRING_GETTER(property_get_provider, d->status.provider);
DEFINE_STRING_GETTER(property_get_mode, dax_mode_to_string(d->status.mode));
DEFINE_STRING_GETTER(property_get_state, device_state_string(d));
DEFINE_STRING_GETTER(property_get_desired, policy_state_to_string(device_desired(d)));
DEFINE_STRING_GETTER(property_get_policy_file, device_policy_source(d));
DEFINE_STRING_GETTER(property_get_transition, transition_to_string(d->transition));
DEFINE_STRING_GETTER(property_get_last_error, d->last_error);

static int property_get_blocks(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Device *d = userdata;
        uint32_t online, total;

        device_block_counts(d, &online, &total);
        return sd_bus_message_append(reply, "u", streq(property, "Blocks") ? total : online);
}

static int property_get_size(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Device *d = userdata;

        return sd_bus_message_append(reply, "t", d->status.size);
}

static int property_get_target_node(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Device *d = userdata;

        return sd_bus_message_append(reply, "i", (int32_t) d->status.target_node);
}

/* The CXL identity policy can match (daxhp.d(5)), as the last policy match
 * scanned it: it cannot change while the device exists, so these properties
 * are const. Read from sysfs only when no match could scan it. */
static int property_get_cxl(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Device *d = userdata;
        DeviceInfo scanned = {}, *info = &scanned;
        int r;

        if (d->scanned)
                info = (DeviceInfo *) &d->scan;
        else if (dax_scan_device(d->manager->sysfs_root, d->name, &scanned) < 0)
                scanned = (DeviceInfo) { .target_node = -1 };
        if (streq(property, "CxlRegion"))
                r = sd_bus_message_append(reply, "s", strempty(info->cxl_region));
        else if (streq(property, "CxlRootDecoder"))
                r = sd_bus_message_append(reply, "s", strempty(info->cxl_root_decoder));
        else if (streq(property, "CxlMemdevs"))
                r = sd_bus_message_append_strv(reply, info->cxl_memdevs);
        else if (streq(property, "CxlSerials"))
                r = sd_bus_message_append_strv(reply, info->cxl_serials);
        else
                r = sd_bus_message_append_strv(reply, info->cxl_host_bridges);
        if (info == &scanned)
                dax_device_info_done(&scanned);
        return r;
}

static int property_get_last_change(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Device *d = userdata;

        return sd_bus_message_append(reply, "t", d->last_change_usec);
}

/* Reply now if nothing had to move, else the queued job replies when it ends. */
static int apply_and_wait_full(Device *d, sd_bus_message *msg, bool force, sd_bus_error *error) {
        int r;

        r = manager_apply_device_full(d->manager, d, msg, force);
        if (r == -ESHUTDOWN)
                return sd_bus_error_setf(error, DAXHP_ERROR_CANCELLED, "%s: daxhpd is stopping.", d->name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "%s: cannot queue transition: %m", d->name);
        if (r == 0)
                return sd_bus_reply_method_return(msg, NULL);
        return 1;
}

static int apply_and_wait(Device *d, sd_bus_message *msg, sd_bus_error *error) {
        return apply_and_wait_full(d, msg, false, error);
}

/* SetStateWithFlags: bit 0 forces the request past the zone-ratio and unplug checks. */
#define DAXHP_SET_STATE_FORCE UINT64_C(1)

static int set_state(sd_bus_message *msg, Device *d, const char *s, uint64_t flags, sd_bus_error *error) {
        _cleanup_(audit_caller_done) AuditCaller caller = {};
        PolicyState st;
        int r;

        st = policy_state_from_string(s);
        /* "ignore" is policy-only: an override must say where the device goes. */
        if (st < 0 || st == POLICY_STATE_IGNORE) {
                char buf[32];

                return sd_bus_error_setf(error, DAXHP_ERROR_INVALID_STATE,
                                         "Invalid state '%s': expected unplugged, online, online_kernel, "
                                         "online_movable or devdax.", arg_for_message(s, buf, sizeof(buf)));
        }

        /* After the arguments: nobody is asked for a password to hear of a typo. */
        r = bus_verify_manage(d->manager, msg, d->name, s, &caller, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* held: dispatched again once polkit answered */

        _cleanup_free_ char *identity = device_identity(d);
        r = identity ? override_store_save(d->manager->state_dir, d->name, identity, st) : -ENOMEM;
        if (r < 0)
                log_warning_errno(r, "%s: cannot persist the override, it will not survive a restart: %m", d->name);

        d->override = st;
        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_OVERRIDE_SET,
                        .device = d->name,
                        .from = device_state_string(d),
                        .to = s,
                        .caller = &caller,
                        .policy = "runtime",
                   },
                   "%s: runtime override %s set by uid %u (%s).", d->name, s, (unsigned) caller.uid,
                   strempty(caller.comm));
        manager_device_changed(d->manager, d);

        return apply_and_wait_full(d, msg, flags & DAXHP_SET_STATE_FORCE, error);
}

static int method_set_state(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read(msg, "s", &s);
        if (r < 0)
                return r;
        return set_state(msg, userdata, s, 0, error);
}

static int method_set_state_with_flags(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *s;
        uint64_t flags;
        int r;

        r = sd_bus_message_read(msg, "st", &s, &flags);
        if (r < 0)
                return r;
        if (flags & ~DAXHP_SET_STATE_FORCE)
                return sd_bus_error_setf(error, DAXHP_ERROR_INVALID_ARGS,
                                         "Unknown flags 0x%" PRIx64 ": only 1 (force) is defined.",
                                         flags & ~DAXHP_SET_STATE_FORCE);
        return set_state(msg, userdata, s, flags, error);
}

static int method_clear_override(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(audit_caller_done) AuditCaller caller = {};
        Device *d = userdata;
        int r;

        r = bus_verify_manage(d->manager, msg, d->name, NULL, &caller, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* held: dispatched again once polkit answered */

        r = override_store_remove(d->manager->state_dir, d->name);
        if (r < 0)
                log_warning_errno(r, "%s: cannot remove the stored override: %m", d->name);
        if (d->override >= 0) {
                audit_emit(&(AuditRecord) {
                                .kind = AUDIT_OVERRIDE_CLEARED,
                                .device = d->name,
                                .from = policy_state_to_string(d->override),
                                .caller = &caller,
                                .policy = strempty(d->policy_file),
                           },
                           "%s: runtime override cleared by uid %u (%s).", d->name, (unsigned) caller.uid,
                           strempty(caller.comm));
                d->override = _POLICY_STATE_INVALID;
                manager_device_changed(d->manager, d);
        }

        /* Policy takes over again; the caller does not wait for it. */
        (void) manager_apply_device(d->manager, d, NULL);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(audit_caller_done) AuditCaller caller = {};
        Device *d = userdata;
        int r;

        r = bus_verify_manage(d->manager, msg, d->name, NULL, &caller, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* held: dispatched again once polkit answered */

        r = device_match_policy(d, d->manager->policies);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "%s: policy match failed: %m", d->name);
        if (r > 0)
                manager_device_changed(d->manager, d);
        return apply_and_wait(d, msg, error);
}

const sd_bus_vtable device_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SysfsPath", "s", property_get_sysfs_path, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Size", "t", property_get_size, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TargetNode", "i", property_get_target_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Region", "s", property_get_region, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Provider", "s", property_get_provider, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Mode", "s", property_get_mode, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DesiredState", "s", property_get_desired, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyFile", "s", property_get_policy_file, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Transition", "s", property_get_transition, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastError", "s", property_get_last_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastChangeUSec", "t", property_get_last_change, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Counted from block uevents, also during a step: polled, no PropertiesChanged. */
        SD_BUS_PROPERTY("Blocks", "u", property_get_blocks, 0, 0),
        SD_BUS_PROPERTY("OnlineBlocks", "u", property_get_blocks, 0, 0),
        SD_BUS_PROPERTY("CxlRegion", "s", property_get_cxl, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CxlRootDecoder", "s", property_get_cxl, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CxlMemdevs", "as", property_get_cxl, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CxlSerials", "as", property_get_cxl, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CxlHostBridges", "as", property_get_cxl, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        /* Unprivileged for sd-bus: bus_verify_manage() decides (root, or polkit). */
        SD_BUS_METHOD_WITH_ARGS("SetState",
                                SD_BUS_ARGS("s", state),
                                SD_BUS_NO_RESULT,
                                method_set_state,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetStateWithFlags",
                                SD_BUS_ARGS("s", state, "t", flags),
                                SD_BUS_NO_RESULT,
                                method_set_state_with_flags,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ClearOverride",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_clear_override,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Apply",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_apply,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int device_bus_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        Device *d;
        int r;

        r = sd_bus_path_decode(path, "/org/daxhp1/device", &name);
        if (r <= 0)
                return r;
        d = manager_get_device(m, name);
        if (!d)
                return 0;
        *found = d;
        return 1;
}

int device_bus_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        Manager *m = userdata;
        int r;

        for (size_t i = 0; i < m->n_devices; i++) {
                r = strv_extend(&l, m->devices[i]->object_path);
                if (r < 0)
                        return r;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 0;
}

int device_bus_send_changed(Device *d) {
        if (!d->manager->bus)
                return 0;
        return sd_bus_emit_properties_changed_strv(d->manager->bus, d->object_path, DEVICE_INTERFACE,
                                                   all_properties());
}

int device_bus_send_added(Device *d) {
        if (!d->manager->bus)
                return 0;
        return sd_bus_emit_object_added(d->manager->bus, d->object_path);
}

int device_bus_send_removed(Device *d) {
        if (!d->manager->bus)
                return 0;
        return sd_bus_emit_object_removed(d->manager->bus, d->object_path);
}
