/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"

struct Job {
        Queue *queue;
        Job *prev, *next;
        char *device;
        JobRequest req;
        void **waiters;
        size_t n_waiters;

        unsigned steps_run;     /* in this attempt */
        unsigned attempts_left;
        bool superseded;        /* a newer job for the device is queued behind */
        bool timed_out;         /* the current step was stopped by the timeout */
        bool waiting;           /* waiting for a retry: not at the head of the queue */
        int last_error;
        bool last_step_ok;      /* the previous step returned success */
        bool direct_refused;    /* this attempt's step from offline to online was refused */
        bool avoid_direct;      /* ...so the next step takes the memory out first */

        usec_t started_usec;
        DaxMode from_mode;
        DaxState from_state;

        /* The step in flight, and the device as it was before it. */
        Step step;
        DaxMode step_mode;
        DaxState step_state;
        usec_t step_started_usec;
        pid_t pid;
        JobTimes times;
        int channel;            /* worker → daemon: log records, timing and the result */
        bool has_result;
        int result;
        sd_event_source *child_source, *channel_source, *timeout_source, *kill_source, *retry_source;
};

struct Queue {
        sd_event *event;
        const QueueOps *ops;
        void *userdata;
        Job *head, *tail;
        Job *running;
        unsigned n_jobs;
        sd_event_source *dispatch_source;
        char *lock_path;
        bool stopping;
};

static const char * const transition_table[_TRANSITION_MAX] = {
        [TRANSITION_IDLE] = "idle",
        [TRANSITION_QUEUED] = "queued",
        [TRANSITION_RUNNING] = "running",
};

static const char * const job_result_table[_JOB_RESULT_MAX] = {
        [JOB_DONE] = "done",
        [JOB_FAILED] = "failed",
        [JOB_TIMEOUT] = "timeout",
        [JOB_SUPERSEDED] = "superseded",
        [JOB_REMOVED] = "removed",
        [JOB_CANCELLED] = "cancelled",
        [JOB_REFUSED] = "refused",
};

const char *transition_to_string(Transition t) {
        return t < _TRANSITION_MAX ? transition_table[t] : NULL;
}

const char *job_result_to_string(JobResult r) {
        return r < _JOB_RESULT_MAX ? job_result_table[r] : NULL;
}

const char *job_device(const Job *j) { return j->device; }
const JobRequest *job_request(const Job *j) { return &j->req; }
size_t job_n_waiters(const Job *j) { return j->n_waiters; }
void *job_waiter(const Job *j, size_t i) { return i < j->n_waiters ? j->waiters[i] : NULL; }
usec_t job_started_usec(const Job *j) { return j->started_usec; }
const JobTimes *job_times(const Job *j) { return &j->times; }
DaxMode job_from_mode(const Job *j) { return j->from_mode; }
DaxState job_from_state(const Job *j) { return j->from_state; }

unsigned queue_length(const Queue *q) {
        return q->n_jobs;
}

Transition queue_device_transition(const Queue *q, const char *device) {
        if (q->running && streq(q->running->device, device))
                return TRANSITION_RUNNING;
        for (Job *j = q->head; j; j = j->next)
                if (j != q->running && streq(j->device, device))
                        return TRANSITION_QUEUED;
        return TRANSITION_IDLE;
}

static void notify_device(Queue *q, const char *device) {
        if (q->ops->device_changed)
                q->ops->device_changed(q->userdata, device);
}

static int job_add_waiter(Job *j, void *waiter) {
        void **n;

        if (!waiter)
                return 0;
        n = realloc(j->waiters, sizeof(void *) * (j->n_waiters + 1));
        if (!n)
                return -ENOMEM;
        n[j->n_waiters++] = waiter;
        j->waiters = n;
        return 0;
}

static void list_unlink(Queue *q, Job *j) {
        if (j->prev)
                j->prev->next = j->next;
        else
                q->head = j->next;
        if (j->next)
                j->next->prev = j->prev;
        else
                q->tail = j->prev;
        j->prev = j->next = NULL;
        q->n_jobs--;
}

static void step_cleanup(Job *j) {
        j->child_source = sd_event_source_disable_unref(j->child_source);
        j->channel_source = sd_event_source_disable_unref(j->channel_source);
        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
        j->kill_source = sd_event_source_disable_unref(j->kill_source);
        if (j->channel >= 0)
                close(j->channel);
        j->channel = -EBADF;
        j->pid = 0;
}

static void dispatch_later(Queue *q) {
        if (q->dispatch_source && !q->stopping)
                (void) sd_event_source_set_enabled(q->dispatch_source, SD_EVENT_ONESHOT);
}

static void maybe_stopped(Queue *q) {
        if (q->stopping && !q->head && q->ops->stopped)
                q->ops->stopped(q->userdata);
}

/* Remove the job from the queue, answer its waiters and free it. */
static void job_finish(Job *j, JobResult result, int error) {
        Queue *q = j->queue;
        _cleanup_free_ char *device = NULL;

        if (j->pid > 0) {
                /*
                 * Only reached when the queue is freed with a worker still
                 * running (a stop that outlived its bound): the kernel rolls
                 * the step back; waiting here could block on the kernel.
                 */
                (void) kill(j->pid, SIGKILL);
                (void) waitpid(j->pid, NULL, WNOHANG);
        }
        step_cleanup(j);
        j->retry_source = sd_event_source_disable_unref(j->retry_source);

        list_unlink(q, j);
        if (q->running == j) {
                q->running = NULL;
                dispatch_later(q);
        }

        q->ops->job_finished(q->userdata, j, result, error);
        device = j->device;
        free(j->waiters);
        free(j);
        notify_device(q, device);
}

static int on_kill(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        log_warning("%s: the step did not end within %" PRIu64 " s of being stopped, killing it.",
                    j->device, QUEUE_KILL_GRACE_USEC / USEC_PER_SEC);
        (void) kill(j->pid, SIGKILL);
        return 0;
}

/*
 * SIGTERM first: for a whole-device write it is fatal (the worker keeps the
 * default action), so the kernel rolls back; the per-block loop catches it
 * and puts its blocks back before exiting. SIGKILL only if that hangs.
 */
static void job_stop_worker(Job *j) {
        Queue *q = j->queue;

        if (j->pid <= 0 || j->kill_source)
                return;
        (void) kill(j->pid, SIGTERM);
        if (sd_event_add_time_relative(q->event, &j->kill_source, CLOCK_MONOTONIC, QUEUE_KILL_GRACE_USEC, 0,
                                       on_kill, j) < 0)
                (void) kill(j->pid, SIGKILL);
}

static int on_step_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        log_warning("%s: step timed out after %" PRIu64 " ms, cancelling it.",
                    j->device, j->req.timeout_usec / USEC_PER_MSEC);
        j->timed_out = true;
        job_stop_worker(j);
        return 0;
}

static int job_continue(Job *j, int error);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        Queue *q = j->queue;

        j->retry_source = sd_event_source_disable_unref(j->retry_source);
        j->waiting = false;
        /* Back in line at its old place; it runs as soon as the running step is done. */
        if (!q->running)
                dispatch_later(q);
        return 0;
}

/* A step failed: retry after the delay if attempts are left, else give up. */
static void job_step_failed(Job *j, int error) {
        Queue *q = j->queue;
        int r;

        j->last_error = error;
        if (j->attempts_left == 0) {
                job_finish(j, j->timed_out ? JOB_TIMEOUT : JOB_FAILED, error);
                return;
        }
        j->attempts_left--;
        j->timed_out = false;
        j->steps_run = 0;
        j->direct_refused = j->avoid_direct = false;
        log_info("%s: retrying in %" PRIu64 " ms (%u attempts left).", j->device,
                 j->req.retry_delay_usec / USEC_PER_MSEC, j->attempts_left);
        r = sd_event_add_time_relative(q->event, &j->retry_source, CLOCK_MONOTONIC,
                                       j->req.retry_delay_usec, 0, on_retry, j);
        if (r < 0) {
                job_finish(j, JOB_FAILED, r);
                return;
        }
        /* The delay must not hold up other devices: leave the head of the queue meanwhile. */
        j->waiting = true;
        q->running = NULL;
        dispatch_later(q);
        notify_device(q, j->device);
}

/*
 * Log records of the worker: 'L', level, errno, text. Its kernel calls:
 * 'T', a StepCalls. The result: 'R', value.
 */
#define WORKER_RECORD_MAX 2048

static void drain_worker(Job *j) {
        char buf[WORKER_RECORD_MAX + 16];

        for (;;) {
                ssize_t n = recv(j->channel, buf, sizeof(buf) - 1, MSG_DONTWAIT);
                int32_t a, b;

                if (n <= 0)
                        break;
                if (buf[0] == 'T' && n == 1 + (ssize_t) sizeof(StepCalls)) {
                        StepCalls c;

                        memcpy(&c, buf + 1, sizeof(c));
                        if (j->times.kernel_start == 0)
                                j->times.kernel_start = c.first_start;
                        j->times.kernel_end = c.last_end;
                        j->times.kernel_total += c.total;
                        j->times.kernel_calls += c.n;
                } else if (buf[0] == 'R' && n == 1 + (ssize_t) sizeof(int32_t)) {
                        memcpy(&a, buf + 1, sizeof(a));
                        j->result = a;
                        j->has_result = true;
                } else if (buf[0] == 'L' && n > 1 + 2 * (ssize_t) sizeof(int32_t)) {
                        memcpy(&a, buf + 1, sizeof(a));
                        memcpy(&b, buf + 1 + sizeof(a), sizeof(b));
                        buf[n] = '\0';
                        log_full_errno(a, b, "%s: %s", j->device, buf + 1 + 2 * sizeof(int32_t));
                }
        }
}

/* Read as it comes: a worker logging much must not block on a full socket. */
static int on_worker_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Job *j = userdata;

        drain_worker(j);
        if (revents & (EPOLLHUP | EPOLLERR))
                /* Nothing more will come; the child source reports the exit. */
                j->channel_source = sd_event_source_disable_unref(j->channel_source);
        return 0;
}

static int on_step_exited(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Job *j = userdata;
        Queue *q = j->queue;
        int error;

        drain_worker(j);
        /* No result: the worker died mid-step (stopped by us, or a crash). */
        error = j->has_result ? j->result : j->timed_out ? -ETIME : -EINTR;
        if (j->timed_out && error == 0)
                /* The step finished just as the timer fired: it did succeed. */
                j->timed_out = false;
        step_cleanup(j);
        j->last_step_ok = error >= 0;

        if (q->ops->step_finished)
                q->ops->step_finished(q->userdata, j, &j->step, error,
                                      now_usec(CLOCK_MONOTONIC) - j->step_started_usec);

        if (q->stopping) {
                job_finish(j, JOB_CANCELLED, -ECANCELED);
                maybe_stopped(q);
                return 0;
        }
        if (j->superseded) {
                job_finish(j, JOB_SUPERSEDED, 0);
                return 0;
        }
        (void) job_continue(j, error);
        return 0;
}

static void close_other_fds(int keep) {
        if (keep > 3)
                (void) close_range(3, keep - 1, 0);
        (void) close_range(keep + 1, ~0U, 0);
}

/*
 * One step at a time across daemon lifetimes: the lock is held by the worker
 * process until it has fully exited, so a worker killed mid-step (daemon
 * crash, kill -9) keeps the next daemon's steps waiting until the kernel has
 * rolled the old one back. Blocking here blocks only the worker.
 */
static void take_step_lock(const char *path) {
        int fd;

        if (!path)
                return;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
        if (fd < 0)
                return;         /* no lock is better than no step */
        while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
                ;
        /* Held (fd left open) until _exit(). */
}

_noreturn_ static void run_in_child(Job *j, int fd, pid_t parent) {
        sigset_t ss;
        char rec[1 + sizeof(int32_t)] = { 'R' }, trec[1 + sizeof(StepCalls)] = { 'T' };
        StepCalls calls = {};
        usec_t t[2];
        int32_t r;

        /*
         * If the daemon dies (kill -9, crash), the step dies with it: the kernel
         * rolls back, and the restarted daemon finds the device as it was
         * instead of racing a stray worker.
         */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);

        /*
         * Keep nothing of the daemon's: a worker still unwinding in the kernel
         * after the daemon died must not hold its bus connection (and with it
         * the bus name the restarted daemon needs). That closes libsystemd's
         * journal socket too, so log lines go to the daemon over fd.
         */
        close_other_fds(fd);
        log_set_forward_fd(fd);
        take_step_lock(j->queue->lock_path);

        /*
         * Default dispositions, nothing blocked: SIGTERM (a timeout or stop)
         * is fatal unless the step installs its own handler to roll back.
         */
        sigemptyset(&ss);
        (void) sigprocmask(SIG_SETMASK, &ss, NULL);
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGINT, SIG_DFL);

        t[0] = now_usec(CLOCK_MONOTONIC);
        r = j->queue->ops->run_step(j->queue->userdata, j->device, &j->step, j->req.memmap_on_memory, &calls);
        t[1] = now_usec(CLOCK_MONOTONIC);
        if (calls.n == 0)
                calls = (StepCalls) { .first_start = t[0], .last_end = t[1], .total = t[1] - t[0], .n = 1 };
        memcpy(trec + 1, &calls, sizeof(calls));
        (void) send(fd, trec, sizeof(trec), MSG_NOSIGNAL);
        memcpy(rec + 1, &r, sizeof(r));
        (void) send(fd, rec, sizeof(rec), MSG_NOSIGNAL);
        _exit(0);
}

static int job_spawn_step(Job *j, const Step *step) {
        Queue *q = j->queue;
        int fds[2], r;
        pid_t pid, parent;

        j->step = *step;
        j->steps_run++;
        if (q->ops->step_started)
                q->ops->step_started(q->userdata, j, step);

        /* Before the fork: the worker's own timestamps must come after it. */
        j->step_started_usec = now_usec(CLOCK_MONOTONIC);
        if (j->times.first_step == 0)
                j->times.first_step = j->step_started_usec;
        j->times.steps++;

        /* Datagrams keep the worker's records apart. */
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
                return -errno;
        parent = getpid();
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                close(fds[0]);
                run_in_child(j, fds[1], parent);
        }
        close(fds[1]);
        j->pid = pid;
        j->channel = fds[0];
        j->has_result = false;

        r = sd_event_add_io(q->event, &j->channel_source, j->channel, EPOLLIN, on_worker_output, j);
        if (r < 0)
                return r;

        r = sd_event_add_child(q->event, &j->child_source, pid, WEXITED, on_step_exited, j);
        if (r < 0)
                return r;
        if (j->req.timeout_usec > 0 && j->req.timeout_usec != USEC_INFINITY) {
                r = sd_event_add_time_relative(q->event, &j->timeout_source, CLOCK_MONOTONIC,
                                               j->req.timeout_usec, 0, on_step_timeout, j);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * Re-read the device and plan. A device already where it should be is done,
 * whatever the last step returned (a timeout the kernel completed anyway is
 * no failure); a gone one is removed; otherwise a failed step is retried
 * or fails the job, a successful one leads to the next step.
 */
/*
 * A kernel without a step from offline straight to an online type refuses
 * it with EBUSY (the series before its revision), blocks in another zone
 * with EINVAL: not a failure, once per attempt, but a reason to take the
 * memory out first. Returns true when the job goes on that way.
 */
static bool job_direct_refused(Job *j, int error) {
        Queue *q = j->queue;

        if (error >= 0) {
                /* The detour's first step went through: from there the direct way is fine again. */
                if (j->last_step_ok && !step_is_direct_online(&j->step, j->step_state))
                        j->avoid_direct = false;
                return false;
        }
        if (j->direct_refused || (error != -EBUSY && error != -EINVAL) ||
            !step_is_direct_online(&j->step, j->step_state))
                return false;
        j->direct_refused = j->avoid_direct = true;
        if (q->ops->direct_refused)
                q->ops->direct_refused(q->userdata, j, &j->step, error);
        return true;
}

static int job_continue(Job *j, int error) {
        Queue *q = j->queue;
        PlanKernel kernel = {};
        DaxMode mode;
        DaxState state;
        Plan plan;
        int r;

        r = q->ops->read(q->userdata, j->device, &mode, &state, &kernel);
        if (r >= 0 && j->steps_run == 0 && j->from_mode == _DAX_MODE_INVALID) {
                j->from_mode = mode;
                j->from_state = state;
        }
        if (r == -ENOENT) {
                job_finish(j, JOB_REMOVED, r);
                return 0;
        }
        if (r >= 0 && job_direct_refused(j, error))
                error = 0;
        kernel.no_direct_online = kernel.no_direct_online || j->avoid_direct;
        if (r >= 0)
                r = plan_transition(mode, state, &kernel, j->req.desired, &plan);
        if (r < 0) {
                job_finish(j, JOB_FAILED, r);
                return 0;
        }
        if (plan.n_steps == 0) {
                job_finish(j, JOB_DONE, 0);
                return 0;
        }
        if (error < 0) {
                job_step_failed(j, error);
                return 0;
        }
        if (j->last_step_ok && mode == j->step_mode && state == j->step_state &&
            step_equal(&plan.steps[0], &j->step)) {
                /* The kernel took the step but nothing moved: repeating it will not help. */
                job_finish(j, JOB_FAILED, -ELOOP);
                return 0;
        }
        if (j->steps_run >= JOB_STEPS_MAX) {
                /* The kernel keeps accepting steps without getting there: stop looping. */
                job_finish(j, JOB_FAILED, j->last_error ?: -ELOOP);
                return 0;
        }

        if (q->ops->check_step) {
                r = q->ops->check_step(q->userdata, j, &plan.steps[0], mode, state);
                if (r < 0) {
                        job_finish(j, JOB_REFUSED, r);
                        return 0;
                }
        }

        j->step_mode = mode;
        j->step_state = state;
        r = job_spawn_step(j, &plan.steps[0]);
        if (r < 0) {
                if (j->pid > 0) {
                        /* Forked, but cannot be watched: stop it and give up the job. */
                        (void) kill(j->pid, SIGKILL);
                        (void) waitpid(j->pid, NULL, 0);
                        j->pid = 0;
                }
                step_cleanup(j);
                job_finish(j, JOB_FAILED, r);
        }
        return 0;
}

static int on_dispatch(sd_event_source *s, void *userdata) {
        Queue *q = userdata;
        Job *j;

        if (q->running || q->stopping)
                return 0;
        for (j = q->head; j && j->waiting; j = j->next)
                ;
        if (!j)
                return 0;

        q->running = j;
        j->last_step_ok = false;
        if (j->started_usec == 0)
                /* job_continue() records where the device was (from_*) with its first read. */
                j->started_usec = now_usec(CLOCK_MONOTONIC);
        notify_device(q, j->device);
        return job_continue(j, 0);
}

int queue_new(sd_event *e, const QueueOps *ops, void *userdata, Queue **ret) {
        _cleanup_(queue_freep) Queue *q = NULL;
        sigset_t ss;
        int r;

        /* sd-event child sources require SIGCHLD to be blocked. */
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return -errno;

        q = calloc(1, sizeof(Queue));
        if (!q)
                return -ENOMEM;
        q->event = sd_event_ref(e);
        q->ops = ops;
        q->userdata = userdata;

        r = sd_event_add_defer(e, &q->dispatch_source, on_dispatch, q);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(q->dispatch_source, SD_EVENT_OFF);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(q);
        return 0;
}

Queue *queue_free(Queue *q) {
        if (!q)
                return NULL;
        q->stopping = true;
        q->dispatch_source = sd_event_source_disable_unref(q->dispatch_source);
        while (q->head)
                job_finish(q->head, JOB_CANCELLED, -ECANCELED);
        sd_event_unref(q->event);
        free(q->lock_path);
        free(q);
        return NULL;
}

int queue_stop(Queue *q) {
        Job *j, *next;

        q->stopping = true;
        for (j = q->head; j; j = next) {
                next = j->next;
                if (j != q->running)
                        job_finish(j, JOB_CANCELLED, -ECANCELED);
        }
        if (!q->running)
                return 0;
        /* The running job ends when its worker has exited (on_step_exited). */
        job_stop_worker(q->running);
        return 1;
}

int queue_set_lock_path(Queue *q, const char *path) {
        char *c = NULL;

        if (path) {
                c = strdup(path);
                if (!c)
                        return -ENOMEM;
        }
        free(q->lock_path);
        q->lock_path = c;
        return 0;
}

static Job *find_queued(Queue *q, const char *device) {
        for (Job *j = q->head; j; j = j->next)
                if (j != q->running && streq(j->device, device))
                        return j;
        return NULL;
}

static Job *find_running(Queue *q, const char *device) {
        if (q->running && streq(q->running->device, device) && !q->running->superseded)
                return q->running;
        return NULL;
}

int queue_submit(Queue *q, const char *device, const JobRequest *req, void *waiter, Job **ret) {
        Job *j, *old;
        int r;

        if (q->stopping)
                return -ESHUTDOWN;

        /* The same order again (a reload, Apply, a repeated SetState): answer it with the job doing it. */
        old = find_queued(q, device) ?: find_running(q, device);
        if (old && old->req.desired == req->desired) {
                /* A forced request joining an unforced one forces it: its caller asked for exactly this. */
                old->req.force = old->req.force || req->force;
                r = job_add_waiter(old, waiter);
                if (r < 0)
                        return r;
                if (ret)
                        *ret = old;
                return 1;
        }

        j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        j->device = strdup(device);
        if (!j->device || job_add_waiter(j, waiter) < 0) {
                free(j->device);
                free(j);
                return -ENOMEM;
        }
        j->queue = q;
        j->req = *req;
        j->attempts_left = req->retries;
        j->channel = -EBADF;
        j->from_mode = _DAX_MODE_INVALID;
        j->from_state = _DAX_STATE_INVALID;

        old = find_queued(q, device);
        if (old) {
                /* Take the older request's place in line; its callers learn it was superseded. */
                j->prev = old->prev;
                j->next = old;
                if (old->prev)
                        old->prev->next = j;
                else
                        q->head = j;
                old->prev = j;
                q->n_jobs++;
                job_finish(old, JOB_SUPERSEDED, 0);
        } else {
                j->prev = q->tail;
                if (q->tail)
                        q->tail->next = j;
                else
                        q->head = j;
                q->tail = j;
                q->n_jobs++;
                if (q->running && streq(q->running->device, device))
                        /* The running one ends after its current step; this one continues. */
                        q->running->superseded = true;
        }

        if (!q->running)
                dispatch_later(q);
        notify_device(q, device);
        if (ret)
                *ret = j;
        return 0;
}

void queue_forget_device(Queue *q, const char *device) {
        Job *j;

        /* The running job notices at its next re-read (-ENOENT). */
        while ((j = find_queued(q, device)))
                job_finish(j, JOB_REMOVED, -ENODEV);
}

void queue_cancel_device(Queue *q, const char *device) {
        Job *j;

        while ((j = find_queued(q, device)))
                job_finish(j, JOB_SUPERSEDED, 0);
        if (q->running && streq(q->running->device, device))
                q->running->superseded = true;
}
