/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The glue between the transition queue and the rest of the daemon: how a
 * step reads and changes a device, and how a finished job is reported (audit
 * record, LastError, the D-Bus reply to whoever asked).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "manager.h"

static int ops_read(void *userdata, const char *device, DaxMode *ret_mode, DaxState *ret_state,
                    PlanKernel *ret_kernel) {
        Manager *m = userdata;
        Device *d = manager_get_device(m, device);
        int r;

        if (!d)
                return -ENOENT;
        r = device_refresh(d);
        if (r < 0)
                return r;
        if (r > 0)
                manager_device_changed(m, d);
        manager_note_kernel_attr(m, d->status.attr);

        *ret_mode = d->status.mode;
        *ret_state = d->status.state;
        *ret_kernel = (PlanKernel) {
                .attr = d->status.attr,
                .no_direct_online = d->status.attr == DAX_ATTR_HOTPLUG && m->no_direct_online,
        };
        return 0;
}

/*
 * A series before the revision that onlines a bound device's offline memory
 * in one write refuses that with EBUSY, whichever device it is: after one
 * refusal for a device whose blocks were all offline (nothing in another zone
 * to explain it), arrivals go through unplugged without asking again.
 */
static void ops_direct_refused(void *userdata, Job *job, const Step *step, int error) {
        Manager *m = userdata;
        Device *d = manager_get_device(m, job_device(job));
        uint32_t online = 0, total = 0;
        char buf[64];

        if (!d || d->status.attr != DAX_ATTR_HOTPLUG)
                return;
        device_block_counts(d, &online, &total);
        if (online > 0 || m->no_direct_online)
                return;
        m->no_direct_online = true;
        log_full_errno(LOG_INFO, error, "%s: the kernel refused %s from offline (%m): this hotplug attribute onlines only "
                       "from unplugged, so devices bound offline go through unplugged from now on.",
                       d->name, step_to_string(step, buf, sizeof(buf)));
}

/* Runs in the forked worker: only sysfs, no bus, no event loop. */
static int run_step(Manager *m, const char *device, const Step *step, int memmap_on_memory) {
        switch (step->kind) {
        case STEP_SET_STATE:
                if (step->per_block)
                        return kdax_set_present_blocks(m->sysfs_root, device, step->state);
                return kdax_set_state(m->sysfs_root, device, step->state);
        case STEP_BIND_KMEM:
                return kdax_bind_kmem(m->sysfs_root, device, memmap_on_memory);
        case STEP_BIND_DEVDAX:
                return kdax_bind_devdax(m->sysfs_root, device);
        default:
                return -EINVAL;
        }
}

static int ops_run_step(void *userdata, const char *device, const Step *step, int memmap_on_memory,
                        StepCalls *ret_calls) {
        const KdaxCalls *c;
        int r;

        /* The kernel's share is its writes: the read-back and libdaxctl's scan are ours. */
        kdax_calls_reset();
        r = run_step(userdata, device, step, memmap_on_memory);
        c = kdax_calls();
        *ret_calls = (StepCalls) {
                .first_start = c->first_start,
                .last_end = c->last_end,
                .total = c->total,
                .cpu = c->cpu,
                .n = c->n,
        };
        return r;
}

static int ops_check_step(void *userdata, Job *job, const Step *step, DaxMode mode, DaxState state) {
        Manager *m = userdata;

        return manager_check_step(m, job_device(job), step, mode, state, job_request(job), job_started_usec(job));
}

static void ops_step_started(void *userdata, Job *job, const Step *step) {
        Manager *m = userdata;
        Device *d = manager_get_device(m, job_device(job));
        char buf[64];

        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_TRANSITION_STARTED,
                        .device = job_device(job),
                        .from = d ? device_state_string(d) : NULL,
                        .to = policy_state_to_string(job_request(job)->desired),
                        .policy = d ? device_policy_source(d) : NULL,
                   },
                   "%s: step %s started.", job_device(job), step_to_string(step, buf, sizeof(buf)));
}

static void ops_step_finished(void *userdata, Job *job, const Step *step, int error, usec_t duration) {
        char buf[64];

        if (error < 0)
                log_warning_errno(error, "%s: step %s failed after %" PRIu64 " ms: %m", job_device(job),
                                  step_to_string(step, buf, sizeof(buf)), duration / USEC_PER_MSEC);
        else
                log_debug("%s: step %s done in %" PRIu64 " ms.", job_device(job),
                          step_to_string(step, buf, sizeof(buf)), duration / USEC_PER_MSEC);
}

static void ops_device_changed(void *userdata, const char *device) {
        Manager *m = userdata;
        Device *d = manager_get_device(m, device);

        if (d) {
                Transition t = queue_device_transition(m->queue, device);

                if (t != d->transition) {
                        d->transition = t;
                        manager_device_changed(m, d);
                }
        }
        /* The queue length, if it changed. */
        manager_announce(m);
}

static void reply(sd_bus_message *call, JobResult result, int error, const char *device, const char *text,
                  const char *refused_name) {
        int r;

        if (!call)
                return;
        switch (result) {
        case JOB_DONE:
                r = sd_bus_reply_method_return(call, NULL);
                break;
        case JOB_SUPERSEDED:
                r = sd_bus_reply_method_errorf(call, DAXHP_ERROR_SUPERSEDED,
                                               "%s: a newer request replaced this one.", device);
                break;
        case JOB_TIMEOUT:
                r = sd_bus_reply_method_errorf(call, DAXHP_ERROR_TIMEOUT, "%s: %s", device, text);
                break;
        case JOB_REMOVED:
                r = sd_bus_reply_method_errorf(call, DAXHP_ERROR_NO_SUCH_DEVICE, "%s went away.", device);
                break;
        case JOB_CANCELLED:
                r = sd_bus_reply_method_errorf(call, DAXHP_ERROR_CANCELLED, "%s: daxhpd is stopping.", device);
                break;
        case JOB_REFUSED:
                r = sd_bus_reply_method_errorf(call, refused_name ?: DAXHP_ERROR_FAILED, "%s: %s", device, text);
                break;
        default:
                r = sd_bus_reply_method_errorf(call, DAXHP_ERROR_KERNEL_REFUSED, "%s: %s", device, text);
        }
        if (r < 0)
                log_debug_errno(r, "Cannot reply to the caller of %s: %m", device);
}

static void ops_job_finished(void *userdata, Job *job, JobResult result, int error) {
        Manager *m = userdata;
        const char *device = job_device(job);
        Device *d = manager_get_device(m, device);
        char text[512] = "";
        usec_t started = job_started_usec(job);
        const JobTimes *jt = job_times(job);
        bool arrival = d && d->uevent_cpu_usec > 0;
        usec_t start_cpu = arrival ? d->uevent_cpu_usec : jt->submit_cpu;
        usec_t matched_cpu = arrival && d->matched_cpu_usec > 0 ? d->matched_cpu_usec : start_cpu;
        AuditTimes times = {
                .uevent = d ? d->uevent_usec : 0,
                .policy = d ? d->matched_usec : 0,
                .step = jt->first_step,
                .write_start = jt->kernel_start,
                .write_end = jt->kernel_end,
                .kernel = jt->kernel_total,
                .steps = jt->steps,
                .kernel_calls = jt->kernel_calls,
                .confirmed = result == JOB_DONE ? now_usec(CLOCK_MONOTONIC) : 0,
                .has_cpu = true,
                .daemon_cpu = cpu_usec() - start_cpu,
                .daemon_match_cpu = arrival && matched_cpu > start_cpu ? matched_cpu - start_cpu : 0,
                .daemon_queue_cpu = jt->first_step_cpu > matched_cpu ? jt->first_step_cpu - matched_cpu : 0,
                .worker_cpu = jt->worker_cpu,
                .kernel_cpu = jt->kernel_cpu,
        };

        if (result == JOB_REFUSED)
                snprintf(text, sizeof(text), "refused: %s", m->refusal.text);
        else if (result == JOB_FAILED || result == JOB_TIMEOUT)
                snprintf(text, sizeof(text), "%s%s", result == JOB_TIMEOUT ? "timed out: " : "",
                         error == -ELOOP ? "state did not converge" : errno_text(error));

        /* Superseded and cancelled jobs say nothing about the device itself. */
        if (d && result != JOB_SUPERSEDED && result != JOB_CANCELLED) {
                if (device_set_last_error(d, text) > 0)
                        manager_device_changed(m, d);
        }

        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_TRANSITION_FINISHED,
                        .device = device,
                        .from = job_from_mode(job) == DAX_MODE_SYSTEM_RAM ? dax_state_to_string(job_from_state(job))
                                                                           : dax_mode_to_string(job_from_mode(job)),
                        .to = policy_state_to_string(job_request(job)->desired),
                        .result = job_result_to_string(result),
                        .error = result == JOB_FAILED || result == JOB_TIMEOUT ? error : 0,
                        .has_duration = started > 0,
                        .duration_usec = started > 0 ? now_usec(CLOCK_MONOTONIC) - started : 0,
                        .policy = d ? device_policy_source(d) : NULL,
                        .times = &times,
                   },
                   "%s: transition to %s %s%s%s.", device, policy_state_to_string(job_request(job)->desired),
                   job_result_to_string(result), text[0] ? ": " : "", text);

        if (d)
                /* The arrival stamps belong to the first transition only. */
                d->uevent_usec = d->matched_usec = d->uevent_cpu_usec = d->matched_cpu_usec = 0;

        for (size_t i = 0; i < job_n_waiters(job); i++) {
                sd_bus_message *call = job_waiter(job, i);

                reply(call, result, error, device, text, safety_error_name(m->refusal.check));
                sd_bus_message_unref(call);
        }
}

static void ops_stopped(void *userdata) {
        Manager *m = userdata;

        manager_stopped(m);
}

const QueueOps manager_queue_ops = {
        .read = ops_read,
        .run_step = ops_run_step,
        .check_step = ops_check_step,
        .direct_refused = ops_direct_refused,
        .step_started = ops_step_started,
        .step_finished = ops_step_finished,
        .device_changed = ops_device_changed,
        .job_finished = ops_job_finished,
        .stopped = ops_stopped,
};
