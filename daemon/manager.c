/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "manager.h"
#include "override-store.h"

static char **strv_copy(char * const *l) {
        _cleanup_strv_free_ char **c = NULL;

        if (!l)
                return NULL;
        for (char * const *i = l; *i; i++)
                if (strv_extend(&c, *i) < 0)
                        return NULL;
        return TAKE_PTR(c);
}

int manager_new(sd_event *e, const ManagerConfig *c, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(e);
        m->kernel_attr = DAX_ATTR_UNKNOWN;
        m->sysfs_root = strdup(c->sysfs_root ?: "/sys");
        m->state_dir = strdup(c->state_dir ?: "/run/daxhp");
        m->host_root = strdup(c->host_root ?: "/");
        m->host.auto_movable_ratio = -1;
        if (!m->sysfs_root || !m->state_dir || !m->host_root)
                return -ENOMEM;
        if (c->policy_dirs) {
                m->policy_dirs = strv_copy(c->policy_dirs);
                if (!m->policy_dirs)
                        return -ENOMEM;
        }

        r = queue_new(e, &manager_queue_ops, m, &m->queue);
        if (r < 0)
                return r;
        r = fleet_export_new(m, c->metrics_file, c->nfd_file, &m->exports);
        if (r < 0)
                return r;

        /* The state dir also holds the lock that serializes steps across restarts. */
        if (mkdir(m->state_dir, 0755) < 0 && errno != EEXIST)
                log_warning_errno(errno, "Cannot create %s: %m", m->state_dir);
        _cleanup_free_ char *lock = strjoin_path(m->state_dir, "step.lock");
        if (!lock)
                return -ENOMEM;
        r = queue_set_lock_path(m->queue, lock);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        log_warning("The running step did not end in time; leaving it to the kernel's rollback.");
        manager_stopped(m);
        return 0;
}

void manager_stop(Manager *m) {
        int r;

        if (m->stopping)
                return;
        m->stopping = true;
        /* Nothing new starts; queued callers hear Cancelled while the bus is still up. */
        manager_udev_stop(m);
        bus_auth_queries_free(m);
        r = queue_stop(m->queue);
        if (r == 0) {
                manager_stopped(m);
                return;
        }
        log_info("Waiting for the running step to roll back.");
        r = sd_event_add_time_relative(m->event, &m->stop_source, CLOCK_MONOTONIC, MANAGER_STOP_TIMEOUT_USEC, 0,
                                       on_stop_timeout, m);
        if (r < 0)
                manager_stopped(m);
}

void manager_stopped(Manager *m) {
        m->stop_source = sd_event_source_disable_unref(m->stop_source);
        (void) sd_event_exit(m->event, 0);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->stopping = true;
        m->stop_source = sd_event_source_disable_unref(m->stop_source);
        m->host_refresh = sd_event_source_disable_unref(m->host_refresh);
        m->announce = sd_event_source_disable_unref(m->announce);
        /* SIGKILLs a step still running: the kernel rolls it back, so stopping never changes memory. */
        m->queue = queue_free(m->queue);
        bus_auth_queries_free(m);
        manager_udev_stop(m);
        /* The files keep the last state: memory stays as it is when daxhpd stops. */
        m->exports = fleet_export_free(m->exports);
        for (size_t i = 0; i < m->n_devices; i++)
                device_free(m->devices[i]);
        free(m->devices);
        policy_set_free(m->policies);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->sysfs_root);
        free(m->state_dir);
        free(m->host_root);
        host_settings_done(&m->host);
        agent_list_done(&m->agents);
        strv_free(m->policy_dirs);
        free(m);
        return NULL;
}

/* The table is sorted by strverscmp (device_insert): every event and call looks a device up. */
static ssize_t device_index(const Manager *m, const char *name) {
        size_t lo = 0, hi = m->n_devices;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strverscmp(m->devices[mid]->name, name);

                if (c == 0)
                        return (ssize_t) mid;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

Device *manager_get_device(Manager *m, const char *name) {
        ssize_t i = device_index(m, name);

        return i < 0 ? NULL : m->devices[i];
}

/*
 * Only a kmem-bound device shows the attribute or its absence: the kmem
 * driver's attribute group is per device, there is no driver- or module-level
 * file, and the kernel version says nothing about a backport or this series.
 * So until one is seen the kernel interface is unknown, and AtomicHotplug is
 * false: it promises nothing it has not seen.
 */
bool manager_atomic_hotplug(const Manager *m) {
        return m->kernel_attr == DAX_ATTR_HOTPLUG || m->kernel_attr == DAX_ATTR_STATE;
}

const char *manager_kernel_interface(const Manager *m) {
        return m->kernel_attr == DAX_ATTR_NONE ? "per-block" : dax_attr_to_string(m->kernel_attr);
}

void manager_note_kernel_attr(Manager *m, DaxAttr attr) {
        bool before = manager_atomic_hotplug(m);

        /* Only kmem-bound devices show the attribute (or its absence). */
        if (attr == DAX_ATTR_UNKNOWN || attr == m->kernel_attr)
                return;
        m->kernel_attr = attr;
        log_info("Kernel interface: %s (%s whole-device hotplug attribute).", manager_kernel_interface(m),
                 manager_atomic_hotplug(m) ? "a" : "no");
        (void) manager_bus_send_changed(m, "KernelInterface");
        if (before != manager_atomic_hotplug(m))
                (void) manager_bus_send_changed(m, "AtomicHotplug");
}

static void audit_policy(Device *d) {
        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_POLICY_MATCHED,
                        .device = d->name,
                        .to = d->has_policy ? policy_state_to_string(d->policy.state) : NULL,
                        .policy = d->policy_file ?: "",
                   },
                   "%s: %s%s.", d->name, d->policy_file ? "policy " : "no policy matches",
                   strempty(d->policy_file));
}

static int device_insert(Manager *m, Device *d) {
        Device **n;
        size_t at = 0;

        n = realloc(m->devices, sizeof(Device *) * (m->n_devices + 1));
        if (!n)
                return -ENOMEM;
        m->devices = n;
        /* Keep the table sorted the way sysfs lists names: ListDevices reads it in order. */
        while (at < m->n_devices && strverscmp(m->devices[at]->name, d->name) < 0)
                at++;
        memmove(m->devices + at + 1, m->devices + at, sizeof(Device *) * (m->n_devices - at));
        m->devices[at] = d;
        m->n_devices++;
        return 0;
}

int manager_add_device(Manager *m, const char *name, Device **ret) {
        _cleanup_(device_freep) Device *d = NULL;
        PolicyState o;
        int r;

        r = device_new(m, name, &d);
        if (r < 0)
                return r;
        r = device_refresh(d);
        if (r < 0)
                return r;
        d->last_change_usec = now_usec(CLOCK_REALTIME);
        manager_note_kernel_attr(m, d->status.attr);

        _cleanup_free_ char *identity = device_identity(d);
        if (!identity)
                return -ENOMEM;
        r = override_store_load(m->state_dir, name, identity, &o);
        if (r < 0)
                log_warning_errno(r, "%s: cannot read stored override, ignoring: %m", name);
        else if (r > 0) {
                d->override = o;
                log_info("%s: restored runtime override %s.", name, policy_state_to_string(o));
        }

        r = device_match_policy(d, m->policies);
        if (r < 0)
                return r;
        d->matched_usec = now_usec(CLOCK_MONOTONIC);
        d->matched_cpu_usec = cpu_usec();

        r = device_insert(m, d);
        if (r < 0)
                return r;

        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_DEVICE_ADDED,
                        .device = name,
                        .to = device_state_string(d),
                   },
                   "%s appeared (%s, %s, %" PRIu64 " bytes).", name,
                   dax_mode_to_string(d->status.mode) ?: "?", device_state_string(d), d->status.size);
        audit_policy(d);
        (void) device_bus_send_added(d);

        if (ret)
                *ret = d;
        TAKE_PTR(d);
        return 0;
}

void manager_remove_device(Manager *m, const char *name) {
        ssize_t i = device_index(m, name);
        Device *d;

        if (i < 0)
                return;
        d = m->devices[i];
        /* InterfacesRemoved is built from the object itself: send it while it still resolves. */
        (void) device_bus_send_removed(d);
        memmove(m->devices + i, m->devices + i + 1, sizeof(Device *) * (m->n_devices - i - 1));
        m->n_devices--;

        queue_forget_device(m->queue, name);
        audit_emit(&(AuditRecord) { .kind = AUDIT_DEVICE_REMOVED, .device = name },
                   "%s was removed.", name);
        device_free(d);
}

static void log_diagnostics(const PolicySet *set) {
        for (size_t i = 0; i < policy_set_n_diagnostics(set); i++) {
                const PolicyDiagnostic *dg = policy_set_diagnostic(set, i);

                log_full_errno(dg->level == POLICY_DIAGNOSTIC_ERROR ? LOG_ERR : LOG_WARNING, 0,
                               "%s:%u: %s", dg->file, dg->line, dg->message);
        }
}

static int load_policies(Manager *m, unsigned *ret_loaded, unsigned *ret_rejected) {
        /* Taken before reading: a file written while we read counts as newer (explain says so). */
        usec_t started = now_usec(CLOCK_REALTIME);
        PolicySet *set = NULL;
        int r;

        r = policy_set_load((const char * const *) m->policy_dirs, &set);
        if (r < 0)
                return log_error_errno(r, "Failed to load policy: %m");
        log_diagnostics(set);

        policy_set_free(m->policies);
        m->policies = set;
        m->policy_loaded_usec = started;
        *ret_loaded = (unsigned) policy_set_n_files(set);
        *ret_rejected = (unsigned) policy_set_n_rejected(set);

        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_RELOAD,
                        .has_files = true,
                        .files_loaded = *ret_loaded,
                        .files_rejected = *ret_rejected,
                        .result = *ret_rejected > 0 ? "partial" : "ok",
                   },
                   "Policy loaded: %u files, %u rejected.", *ret_loaded, *ret_rejected);
        return 0;
}

int manager_startup(Manager *m) {
        _cleanup_strv_free_ char **names = NULL;
        unsigned loaded, rejected;
        int r;

        r = load_policies(m, &loaded, &rejected);
        if (r < 0)
                return r;
        r = manager_safety_start(m);
        if (r < 0)
                return r;

        /* Follow udev before enumerating, so nothing added in between is missed. */
        r = manager_udev_start(m);
        if (r < 0)
                log_warning_errno(r, "Cannot follow udev events, continuing without: %m");

        r = kdax_list(m->sysfs_root, &names);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate dax devices under %s: %m", m->sysfs_root);
        for (char **n = names; *n; n++) {
                r = manager_add_device(m, *n, NULL);
                if (r < 0)
                        log_warning_errno(r, "%s: cannot read device, skipping: %m", *n);
        }

        /* Reconcile: after a crash or restart this finishes what was left half done. */
        for (size_t i = 0; i < m->n_devices; i++)
                (void) manager_apply_device(m, m->devices[i], NULL);
        return 0;
}

int manager_reload(Manager *m, unsigned *ret_loaded, unsigned *ret_rejected) {
        unsigned loaded = 0, rejected = 0;
        int r;

        r = load_policies(m, &loaded, &rejected);
        if (r < 0)
                return r;
        (void) manager_bus_send_changed(m, "PolicyFiles");
        (void) manager_bus_send_changed(m, "PolicyErrors");
        (void) manager_bus_send_changed(m, "PolicyLoadedUSec");

        for (size_t i = 0; i < m->n_devices; i++) {
                Device *d = m->devices[i];

                r = device_match_policy(d, m->policies);
                if (r < 0)
                        return r;
                if (r > 0) {
                        audit_policy(d);
                        manager_device_changed(m, d);
                }
                (void) manager_apply_device(m, d, NULL);
        }
        if (ret_loaded)
                *ret_loaded = loaded;
        if (ret_rejected)
                *ret_rejected = rejected;
        return 0;
}

int manager_apply_device(Manager *m, Device *d, sd_bus_message *waiter) {
        return manager_apply_device_full(m, d, waiter, false);
}

int manager_apply_device_full(Manager *m, Device *d, sd_bus_message *waiter, bool force) {
        PolicyState want = device_desired(d);
        JobRequest req;
        Job *job;
        int r;

        if (m->stopping)
                return -ESHUTDOWN;
        if (want < 0 || want == POLICY_STATE_IGNORE) {
                /* Nothing is wanted of it any more: a job still queued for it has no reason left. */
                queue_cancel_device(m->queue, d->name);
                return 0;
        }
        /* Already there and nothing in flight that would move it elsewhere. */
        if (device_is_satisfied(d) && queue_device_transition(m->queue, d->name) == TRANSITION_IDLE)
                return 0;

        device_job_request(d, want, &req);
        req.force = force;
        r = queue_submit(m->queue, d->name, &req, waiter ? sd_bus_message_ref(waiter) : NULL, &job);
        if (r < 0) {
                sd_bus_message_unref(waiter);
                if (r == -ESHUTDOWN)
                        return r;
                return log_error_errno(r, "%s: cannot queue transition: %m", d->name);
        }
        if (r > 0)
                /* The job already under way heads there: it answers this caller too. */
                return 1;

        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_TRANSITION_QUEUED,
                        .device = d->name,
                        .from = device_state_string(d),
                        .to = policy_state_to_string(want),
                        .policy = device_policy_source(d),
                   },
                   "%s: transition %s → %s queued (%u in queue).", d->name, device_state_string(d),
                   policy_state_to_string(want), queue_length(m->queue));
        return 1;
}

void manager_device_changed(Manager *m, Device *d) {
        d->announce = true;
        manager_announce(m);
        fleet_export_changed(m->exports);
}
