/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.daxhp1.Manager at /org/daxhp1, and the bus connection itself. */

#include <errno.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "bus-auth.h"
#include "bus-string.h"
#include "log.h"
#include "manager.h"

#define MANAGER_PATH "/org/daxhp1"
#define MANAGER_INTERFACE "org.daxhp1.Manager"

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", DAXHP_VERSION);
}

static int property_get_atomic(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "b", manager_atomic_hotplug(m));
}

static int property_get_kernel_interface(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply, void *userdata,
                                         sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", manager_kernel_interface(m));
}

static int property_get_queue_length(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "u", queue_length(m->queue));
}

static int property_get_policy_files(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n = m->policies ? policy_set_n_files(m->policies) : 0;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = bus_append_string_safe(reply, policy_file_path(policy_set_file(m->policies, i)));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* Every error of the loaded policy set as (file, line, message): the files
 * it rejected, and why. Warnings stay in the journal and `daxhpctl verify`. */
static int property_get_policy_errors(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        size_t n = m->policies ? policy_set_n_diagnostics(m->policies) : 0;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sus)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const PolicyDiagnostic *d = policy_set_diagnostic(m->policies, i);

                if (d->level != POLICY_DIAGNOSTIC_ERROR)
                        continue;
                r = sd_bus_message_open_container(reply, 'r', "sus");
                if (r >= 0)
                        r = bus_append_string_safe(reply, d->file);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "u", d->line);
                if (r >= 0)
                        r = bus_append_string_safe(reply, d->message);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_policy_loaded(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "t", (uint64_t) m->policy_loaded_usec);
}

static int method_list_devices(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_devices; i++) {
                r = sd_bus_message_append(reply, "(so)", m->devices[i]->name, m->devices[i]->object_path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_device(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        Device *d;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        d = manager_get_device(m, name);
        if (!d) {
                char buf[32];

                return sd_bus_error_setf(error, DAXHP_ERROR_NO_SUCH_DEVICE, "No dax device '%s'.",
                                         arg_for_message(name, buf, sizeof(buf)));
        }
        return sd_bus_reply_method_return(msg, "o", d->object_path);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(audit_caller_done) AuditCaller caller = {};
        Manager *m = userdata;
        int r;

        r = bus_verify_manage(m, msg, NULL, NULL, &caller, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* held: dispatched again once polkit answered */

        log_info("Reload requested by uid %u (pid %d).", (unsigned) caller.uid, (int) caller.pid);
        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading policy...");
        r = manager_reload(m, NULL, NULL);
        (void) sd_notify(false, "READY=1\nSTATUS=Running.");
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Reload failed: %m");
        return sd_bus_reply_method_return(msg, NULL);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("AtomicHotplug", "b", property_get_atomic, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("KernelInterface", "s", property_get_kernel_interface, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("QueueLength", "u", property_get_queue_length, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyFiles", "as", property_get_policy_files, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyErrors", "a(sus)", property_get_policy_errors, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyLoadedUSec", "t", property_get_policy_loaded, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListDevices",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(so)", devices),
                                method_list_devices,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDevice",
                                SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("o", device),
                                method_get_device,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        /* Unprivileged for sd-bus: bus_verify_manage() decides (root, or polkit). */
        SD_BUS_METHOD_WITH_ARGS("Reload",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_reload,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int manager_bus_send_changed(Manager *m, const char *property) {
        if (!m->bus)
                return 0;
        return sd_bus_emit_properties_changed(m->bus, MANAGER_PATH, MANAGER_INTERFACE, property, NULL);
}

static int on_announce(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        unsigned n = queue_length(m->queue);

        m->announce = sd_event_source_disable_unref(m->announce);
        for (size_t i = 0; i < m->n_devices; i++)
                if (m->devices[i]->announce) {
                        m->devices[i]->announce = false;
                        (void) device_bus_send_changed(m->devices[i]);
                }
        if (n != m->queue_length_announced) {
                m->queue_length_announced = n;
                (void) manager_bus_send_changed(m, "QueueLength");
                (void) sd_notifyf(false, "STATUS=Managing %zu dax devices, %u transitions queued.",
                                  m->n_devices, n);
        }
        return 0;
}

void manager_announce(Manager *m) {
        int r;

        if (m->announce)
                return;
        r = sd_event_add_defer(m->event, &m->announce, on_announce, m);
        if (r >= 0)
                r = sd_event_source_set_priority(m->announce, SD_EVENT_PRIORITY_IDLE);
        if (r < 0) {
                /* Late is fine, lost is not: announce now. */
                m->announce = sd_event_source_disable_unref(m->announce);
                (void) on_announce(NULL, m);
        }
}

int manager_bus_connect(Manager *m) {
        int r;

        /* Honours DBUS_SYSTEM_BUS_ADDRESS, which is how tests point us at a private bus. */
        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        (void) sd_bus_set_description(m->bus, "daxhpd");

        r = manager_bus_register(m);
        if (r < 0)
                return r;

        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        return 0;
}

int manager_bus_register(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, MANAGER_PATH, MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the manager object: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, MANAGER_PATH, MANAGER_INTERFACE, manager_safety_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the manager's safety properties: %m");
        r = sd_bus_add_fallback_vtable(m->bus, NULL, "/org/daxhp1/device", "org.daxhp1.Device",
                                       device_vtable, device_bus_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register device objects: %m");
        r = sd_bus_add_fallback_vtable(m->bus, NULL, "/org/daxhp1/device", "org.daxhp1.Device",
                                       device_safety_vtable, device_bus_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register device safety properties: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, "/org/daxhp1/device", device_bus_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the device enumerator: %m");
        r = sd_bus_add_object_manager(m->bus, NULL, MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object manager: %m");
        return 0;
}

int manager_bus_request_name(Manager *m) {
        int r;

        /* Last, once devices are known: activation waits for the name, clients then see everything. */
        r = sd_bus_request_name(m->bus, "org.daxhp1", 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire org.daxhp1: %m");
        return 0;
}
