/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one global transition queue. Jobs ("bring device X to state Y") run
 * strictly one at a time in FIFO order; each job runs one planned step at a
 * time, re-reads the device and plans again until the device is where it was
 * asked to be.
 *
 * Steps run in a forked child (the worker) so the event loop (and D-Bus)
 * never waits on the kernel, and so a step that exceeds its timeout can be
 * stopped: the worker gets SIGTERM (fatal for a whole-device write, so the
 * kernel rolls back; the per-block loop catches it, rolls back the blocks
 * it changed and exits), and SIGKILL only after QUEUE_KILL_GRACE_USEC.
 * One worker serves every step while the queue has work (not a fork per
 * step) and exits when it runs dry; a stopped one is never reused. The
 * worker's log lines, timing and results come back over a socket; the
 * device is read again only once the step's result (or the worker's
 * death) has come back.
 *
 * A job that waits for a retry leaves the head of the queue: other devices'
 * jobs run meanwhile, and a newer request for the device replaces it.
 *
 * The queue blocks SIGCHLD (sd-event child sources need that).
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "planner.h"
#include "util.h"

typedef enum Transition {
        TRANSITION_IDLE,
        TRANSITION_QUEUED,
        TRANSITION_RUNNING,
        _TRANSITION_MAX,
} Transition;

const char *transition_to_string(Transition t);

typedef enum JobResult {
        JOB_DONE,
        JOB_FAILED,             /* the kernel refused; error says why */
        JOB_TIMEOUT,            /* the last attempt exceeded TimeoutSec= */
        JOB_SUPERSEDED,         /* a newer request for the device replaced it */
        JOB_REMOVED,            /* the device went away */
        JOB_CANCELLED,          /* the daemon is stopping */
        JOB_REFUSED,            /* a safety check refused the next step (ops->check_step) */
        _JOB_RESULT_MAX,
} JobResult;

const char *job_result_to_string(JobResult r);

typedef struct JobRequest {
        PolicyState desired;
        usec_t timeout_usec;            /* per step; 0 or USEC_INFINITY: none */
        unsigned retries;
        usec_t retry_delay_usec;
        int memmap_on_memory;           /* -1: leave alone */
        int max_movable_percent;        /* zone-ratio limit; -1: the kernel's auto_movable_ratio, 0: none */
        bool force;                     /* skip the safety checks that yield to force */
} JobRequest;

typedef struct Queue Queue;
typedef struct Job Job;

/*
 * The kernel calls of one step (CLOCK_MONOTONIC µs): first started, last
 * returned, their sum; and CPU time (µs) in them and in the whole step.
 */
typedef struct StepCalls {
        usec_t first_start;
        usec_t last_end;
        usec_t total;
        usec_t cpu;             /* the worker's CPU time inside the calls: the kernel's work */
        usec_t worker_cpu;      /* the worker's CPU time for the whole step (set by the queue) */
        unsigned n;
} StepCalls;

typedef struct QueueOps {
        /*
         * Current mode/state of a device and what the kernel offers for it
         * (parent side); -ENOENT when it is gone.
         */
        int (*read)(void *userdata, const char *device, DaxMode *ret_mode, DaxState *ret_state,
                    PlanKernel *ret_kernel);
        /*
         * Runs in the worker child, which may have been forked before
         * earlier steps: use only what cannot change after queue_new()
         * (the sysfs root). Perform one step. ret_calls (zeroed)
         * may say which part of it the kernel took (its sysfs writes); left
         * empty, the whole call counts as one kernel call.
         */
        int (*run_step)(void *userdata, const char *device, const Step *step, int memmap_on_memory,
                        StepCalls *ret_calls);
        /*
         * Optional, parent side: may the step run? A negative errno ends the
         * job with JOB_REFUSED, without retries (the numbers will not change
         * by waiting a second).
         */
        int (*check_step)(void *userdata, Job *job, const Step *step, DaxMode mode, DaxState state);
        /* Optional: a step is about to start / has finished. */
        void (*step_started)(void *userdata, Job *job, const Step *step);
        void (*step_finished)(void *userdata, Job *job, const Step *step, int error, usec_t duration);
        /*
         * Optional: the kernel refused a step from offline straight to an
         * online type (step_is_direct_online()); the job goes the long way
         * (unplugged, or offline per block) and the ops may remember that the
         * kernel has no such step. Called after the device was read again.
         */
        void (*direct_refused)(void *userdata, Job *job, const Step *step, int error);
        /* Optional: the device's Transition or the queue length may have changed. */
        void (*device_changed)(void *userdata, const char *device);
        /* The job ends; its waiters must be answered here. Called exactly once per job. */
        void (*job_finished)(void *userdata, Job *job, JobResult result, int error);
        /* Optional: queue_stop() finished (the last worker has exited). */
        void (*stopped)(void *userdata);
} QueueOps;

/* How long a stopped worker (timeout, daemon stop) may take to roll back before SIGKILL. */
#define QUEUE_KILL_GRACE_USEC (10 * USEC_PER_SEC)

int queue_new(sd_event *e, const QueueOps *ops, void *userdata, Queue **ret);
/*
 * Cancels every job; a queue still stopping its worker SIGKILLs it (the
 * kernel rolls the step back) without waiting for it.
 */
Queue *queue_free(Queue *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(Queue *, queue_free);

/*
 * Queue a job. A request for the state a queued or running job of the
 * device already heads for joins that job (its waiter is answered with
 * it). Otherwise a job queued (or waiting for a retry) for the device is
 * replaced in place and finishes with JOB_SUPERSEDED; a running one
 * finishes so after its current step. waiter is opaque (the D-Bus call to
 * answer), may be NULL. Returns 0 for a new job, 1 when it joined one,
 * -ESHUTDOWN once queue_stop() was called.
 */
int queue_submit(Queue *q, const char *device, const JobRequest *req, void *waiter, Job **ret);

/* The device went away: its queued jobs end with JOB_REMOVED. */
void queue_forget_device(Queue *q, const char *device);

/*
 * Nothing is wanted of the device any more (override cleared, policy says
 * ignore): its queued job ends with JOB_SUPERSEDED, a running one after its
 * current step.
 */
void queue_cancel_device(Queue *q, const char *device);

/*
 * Stop: every queued job ends with JOB_CANCELLED at once; a running step is
 * stopped (SIGTERM, SIGKILL after the grace period) and its job cancelled
 * when the worker has exited. Returns 0 when nothing is left, 1 when
 * ops->stopped will be called later.
 */
int queue_stop(Queue *q);

/*
 * A file every worker holds an exclusive flock on while it runs its step,
 * so steps stay serialized even across a daemon crash and restart.
 */
int queue_set_lock_path(Queue *q, const char *path);

unsigned queue_length(const Queue *q);
/* Worker processes started so far: one serves every step while the queue has work. */
unsigned queue_workers_spawned(const Queue *q);
Transition queue_device_transition(const Queue *q, const char *device);
/* A job is running, or a stopped worker has not exited yet: the kernel may be mid-step. */
bool queue_step_running(const Queue *q);

const char *job_device(const Job *j);
const JobRequest *job_request(const Job *j);
size_t job_n_waiters(const Job *j);
void *job_waiter(const Job *j, size_t i);
usec_t job_started_usec(const Job *j);
/*
 * Where the job's time went (CLOCK_MONOTONIC µs, 0 unknown): first step
 * started (worker forked), first kernel call started and last returned (as
 * the worker timed its sysfs writes), and the sum of the kernel calls'
 * durations over `steps` steps.
 */
typedef struct JobTimes {
        usec_t first_step;
        usec_t kernel_start;
        usec_t kernel_end;
        usec_t kernel_total;
        unsigned steps;
        unsigned kernel_calls;          /* sysfs writes (and libdaxctl driver calls) */
        usec_t submit_cpu;              /* the daemon's CPU clock (cpu_usec()) when the job was submitted */
        usec_t first_step_cpu;          /* and when its first step started (before a worker is forked for it) */
        usec_t worker_cpu;              /* CPU time of the worker for the job's steps */
        usec_t kernel_cpu;              /* of which inside the kernel calls */
} JobTimes;

const JobTimes *job_times(const Job *j);

/* What the device was when the job started running, for the audit record. */
DaxMode job_from_mode(const Job *j);
DaxState job_from_state(const Job *j);

/*
 * Upper bound of steps one attempt of a job may take before it is declared
 * stuck (a plan has at most 3 steps; each retry starts counting again).
 */
#define JOB_STEPS_MAX 8
