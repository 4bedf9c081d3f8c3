/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * udev events: dax devices come and go and change driver; memory blocks
 * change state. A change to a managed device that the daemon did not make
 * (no transition in flight, the device no longer where it should be) is
 * drift: it is audited and, per OnDrift=, reapplied or only reported.
 *
 * libudev rather than sd-device: umockdev's event injection speaks to it.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"

static void handle_drift(Manager *m, Device *d, const char *before) {
        PolicyState want = device_desired(d);
        bool reapply;

        if (d->transition != TRANSITION_IDLE || want < 0 || want == POLICY_STATE_IGNORE)
                return;
        if (device_is_satisfied(d))
                return;

        /* A runtime override is an explicit order: always put it back. */
        reapply = d->override >= 0 || !d->has_policy || d->policy.on_drift == POLICY_ON_DRIFT_REAPPLY;

        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_DRIFT,
                        .device = d->name,
                        .from = before,
                        .to = device_state_string(d),
                        .result = reapply ? "reapply" : "report",
                        .policy = device_policy_source(d),
                   },
                   "%s changed behind daxhpd's back: %s → %s (wanted %s), %s.", d->name, before,
                   device_state_string(d), policy_state_to_string(want),
                   reapply ? "reapplying" : "reporting only");
        if (reapply)
                (void) manager_apply_device(m, d, NULL);
}

void manager_device_event(Manager *m, Device *d) {
        _cleanup_free_ char *before = NULL;
        int r;

        d->dirty = false;
        if (m->stopping)
                return;
        /*
         * Our own step is changing the device: its attribute and blocks may
         * sleep in the kernel until the step ends (the series' attribute
         * read takes the device lock), and whatever they show now is our
         * doing. The event loop must not wait for that: the device shows
         * its last known state with Transition=running, and the queue reads
         * it again as soon as the worker has exited.
         */
        if (queue_device_transition(m->queue, d->name) == TRANSITION_RUNNING) {
                log_debug("%s: event during its own transition, read after the step.", d->name);
                return;
        }

        before = strdup(device_state_string(d));

        r = device_refresh(d);
        if (r == -ENOENT) {
                manager_remove_device(m, d->name);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "%s: cannot re-read device: %m", d->name);
                return;
        }
        if (r == 0)
                return;
        manager_note_kernel_attr(m, d->status.attr);

        manager_device_changed(m, d);
        if (before && !streq(before, device_state_string(d)))
                handle_drift(m, d, before);
}

/*
 * A dax device's "add" uevent is sent before its driver's probe: kmem may be
 * adding the memory and onlining it per the kernel's auto-online policy right
 * now, and sysfs shows half of that (blocks still offline that the probe is
 * about to online; on the series, no hotplug attribute yet). A plan made from
 * it races the kernel: on the per-block fallback a kmem unbind planned for an
 * "offline" device waits for the probe and then finds the blocks online, and
 * kmem leaks them until reboot. So a new device is taken in when the kernel
 * says its probe is over (the "bind" uevent, sent after the probe), or after
 * MANAGER_ARRIVAL_TIMEOUT_USEC for a device no driver takes.
 */
static ssize_t pending_index(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_pending; i++)
                if (streq(m->pending[i]->name, name))
                        return (ssize_t) i;
        return -1;
}

static void pending_drop(Manager *m, size_t i) {
        PendingArrival *p = m->pending[i];

        memmove(m->pending + i, m->pending + i + 1, sizeof(PendingArrival *) * (m->n_pending - i - 1));
        m->n_pending--;
        sd_event_source_disable_unref(p->timer);
        free(p->name);
        free(p);
}

static void take_in(Manager *m, const char *name, UeventStamp received) {
        Device *d;

        if (manager_add_device(m, name, &d) < 0)
                return;
        /* Where arrival time goes: the transition's audit record starts at the "add" uevent. */
        d->uevent_usec = received.mono;
        d->uevent_cpu_usec = received.cpu;
        (void) manager_apply_device(m, d, NULL);
}

static int on_arrival_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        PendingArrival *p = userdata;
        Manager *m = p->manager;
        _cleanup_free_ char *name = strdup(p->name);
        UeventStamp received = p->received;
        ssize_t i = pending_index(m, p->name);

        if (i >= 0)
                pending_drop(m, (size_t) i);
        if (!name)
                return log_oom();
        log_info("%s: no driver bound it within %" PRIu64 " s of its arrival, taking it in as it is.", name,
                 MANAGER_ARRIVAL_TIMEOUT_USEC / USEC_PER_SEC);
        take_in(m, name, received);
        return 0;
}

static int pending_add(Manager *m, const char *name, UeventStamp received) {
        _cleanup_free_ PendingArrival *p = NULL;
        PendingArrival **n;
        int r;

        p = calloc(1, sizeof(PendingArrival));
        if (!p)
                return -ENOMEM;
        p->manager = m;
        p->received = received;
        p->name = strdup(name);
        if (!p->name)
                return -ENOMEM;
        n = realloc(m->pending, sizeof(PendingArrival *) * (m->n_pending + 1));
        if (!n) {
                free(p->name);
                return -ENOMEM;
        }
        m->pending = n;
        r = sd_event_add_time_relative(m->event, &p->timer, CLOCK_MONOTONIC, MANAGER_ARRIVAL_TIMEOUT_USEC, 0,
                                       on_arrival_timeout, p);
        if (r < 0) {
                free(p->name);
                return r;
        }
        m->pending[m->n_pending++] = TAKE_PTR(p);
        log_debug("%s added, waiting for its driver's probe to end (bind).", name);
        return 0;
}

static void handle_dax_event(Manager *m, const char *action, const char *name, UeventStamp received) {
        Device *d = manager_get_device(m, name);
        ssize_t i = pending_index(m, name);

        if (streq(action, "remove")) {
                if (i >= 0)
                        pending_drop(m, (size_t) i);
                manager_remove_device(m, name);
                return;
        }
        if (d) {
                manager_device_event(m, d);
                return;
        }
        if (i >= 0) {
                /* Until the bind, what the probe does is the kernel's, not drift. */
                if (!streq(action, "bind"))
                        return;
                received = m->pending[i]->received;
                pending_drop(m, (size_t) i);
        } else if (streq(action, "add") && pending_add(m, name, received) >= 0)
                return;
        /* A bind, or any event for a device we have not seen yet (or no memory to wait). */
        take_in(m, name, received);
}

/* The device whose ranges hold memory block `name`, if any, and the block's number. */
static Device *memory_block_owner(Manager *m, const char *name, uint64_t *ret_block) {
        uint64_t block;
        char *end;

        if (!name || strncmp(name, "memory", 6) != 0)
                return NULL;
        errno = 0;
        block = strtoull(name + 6, &end, 10);
        if (errno != 0 || end == name + 6 || *end != '\0')
                return NULL;
        *ret_block = block;
        /* Block events come in runs of one device: try the last owner before scanning all. */
        if (m->last_block_owner < m->n_devices && device_covers_block(m->devices[m->last_block_owner], block))
                return m->devices[m->last_block_owner];
        for (size_t i = 0; i < m->n_devices; i++)
                if (device_covers_block(m->devices[i], block)) {
                        m->last_block_owner = i;
                        return m->devices[i];
                }
        return NULL;
}

/* A memoryN event concerns the one device whose ranges hold block N, if any. */
void manager_memory_event(Manager *m, const char *name) {
        uint64_t block;
        Device *d = memory_block_owner(m, name, &block);

        if (d)
                manager_device_event(m, d);
        else
                log_debug("%s belongs to no dax device, ignored.", name);
}

/* Re-read, once, every device a burst of block events touched. */
static void flush_dirty(Manager *m) {
        for (size_t i = 0; i < m->n_devices; i++)
                if (m->devices[i]->dirty)
                        manager_device_event(m, m->devices[i]);
}

/*
 * Drains what the monitor holds (up to a bound, so the bus gets its turn):
 * a transition of a device with n blocks sends about 2n block events, and
 * re-reading the device (n blocks) for each would be quadratic. Block
 * events only mark their device; it is read once after the burst. Device
 * events are handled in order, as they come (add, remove, bind).
 */
#define UDEV_EVENTS_PER_WAKEUP 1024U

static int on_host_refresh(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->host_refresh = sd_event_source_disable_unref(m->host_refresh);
        manager_host_refresh(m);
        return 0;
}

/*
 * One read of the settings per burst, not per wakeup: an arrival's block
 * events come in a dozen or more wakeups, five sysfs reads each. A step's
 * safety check reads them again anyway, so nothing is decided on settings
 * older than the step.
 */
static void schedule_host_refresh(Manager *m) {
        int r;

        if (m->host_refresh)
                return;
        r = sd_event_add_time_relative(m->event, &m->host_refresh, CLOCK_MONOTONIC, MANAGER_HOST_REFRESH_DELAY_USEC,
                                       100 * USEC_PER_MSEC, on_host_refresh, m);
        if (r < 0)
                manager_host_refresh(m);
}

static int on_udev_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        for (unsigned i = 0; i < UDEV_EVENTS_PER_WAKEUP && m->monitor; i++) {
                struct udev_device *dev = udev_monitor_receive_device(m->monitor);
                usec_t received = now_usec(CLOCK_MONOTONIC);
                const char *subsystem, *action, *name;

                if (!dev)
                        break;
                subsystem = udev_device_get_subsystem(dev);
                action = udev_device_get_action(dev) ?: "change";
                name = udev_device_get_sysname(dev);
                log_debug("uevent %s %s %s", strempty(subsystem), action, strempty(name));

                if (subsystem && name && streq(subsystem, "dax") && strncmp(name, "dax", 3) == 0) {
                        /* Block events queued before this one are older: settle them first. */
                        flush_dirty(m);
                        /* The CPU stamp is a system call: only for dax events, not every block event. */
                        handle_dax_event(m, action, name, (UeventStamp) { received, cpu_usec() });
                } else if (subsystem && streq(subsystem, "memory")) {
                        uint64_t block;
                        Device *d = memory_block_owner(m, name, &block);

                        if (d) {
                                /* Counted now, even while a step runs: that is its progress. */
                                (void) device_blocks_event(d, block, action);
                                d->dirty = true;
                        }
                }
                udev_device_unref(dev);
        }
        flush_dirty(m);
        /* Online block counts move with block events, without a property change. */
        fleet_export_changed(m->exports);
        /* Memory came or went: a good moment to notice changed hotplug settings. */
        schedule_host_refresh(m);
        return 0;
}

int manager_udev_start(Manager *m) {
        int r;

        m->udev = udev_new();
        if (!m->udev)
                return -ENOMEM;
        m->monitor = udev_monitor_new_from_netlink(m->udev, "udev");
        if (!m->monitor)
                return -errno ?: -EIO;

        r = udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "dax", NULL);
        if (r >= 0)
                r = udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "memory", NULL);
        if (r >= 0)
                r = udev_monitor_enable_receiving(m->monitor);
        if (r < 0)
                return r;

        return sd_event_add_io(m->event, &m->monitor_source, udev_monitor_get_fd(m->monitor),
                               EPOLLIN, on_udev_event, m);
}

void manager_udev_stop(Manager *m) {
        while (m->n_pending > 0)
                pending_drop(m, m->n_pending - 1);
        free(m->pending);
        m->pending = NULL;
        m->monitor_source = sd_event_source_disable_unref(m->monitor_source);
        m->monitor = udev_monitor_unref(m->monitor);
        m->udev = udev_unref(m->udev);
}
