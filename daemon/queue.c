/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
        bool in_step;           /* the worker runs this job's step */
        JobTimes times;
        sd_event_source *timeout_source, *kill_source, *retry_source;
};

/*
 * The step worker: one child process runs the steps, one at a time, for as
 * long as the queue has work, and exits when the queue runs dry (idle, the
 * daemon is one process). A process per step cost a fork and an exit per
 * step on the arrival path (a bind and a write: two), which under QEMU TCG
 * is a large part of the daemon's own time. A worker that was told to stop
 * (SIGTERM: a timeout, the daemon stopping) is never given another step.
 */
typedef struct Worker Worker;
struct Worker {
        Queue *queue;
        Worker *next;           /* retired, until it has exited */
        pid_t pid;
        int fd;                 /* daemon → worker: steps; worker → daemon: log records, timing, results */
        bool busy;              /* a step is in flight */
        bool stopped;           /* SIGTERM sent */
        sd_event_source *io_source, *child_source;
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
        Worker *worker;         /* the one that gets the next step, if any */
        Worker *retired;        /* closed or stopped, not yet exited */
        unsigned workers_spawned;
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

unsigned queue_workers_spawned(const Queue *q) {
        return q->workers_spawned;
}

bool queue_step_running(const Queue *q) {
        return q->running || q->retired;
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
        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
        j->kill_source = sd_event_source_disable_unref(j->kill_source);
        j->in_step = false;
}

static Worker *worker_free(Worker *w) {
        if (!w)
                return NULL;
        w->io_source = sd_event_source_disable_unref(w->io_source);
        w->child_source = sd_event_source_disable_unref(w->child_source);
        if (w->fd >= 0)
                close(w->fd);
        free(w);
        return NULL;
}

/*
 * No more steps for this worker: closing its socket ends an idle worker
 * (end of file); one that was stopped ends with its step. It is reaped
 * (on_worker_exited) from the retired list.
 */
static void worker_retire(Worker *w) {
        Queue *q = w->queue;

        if (q->worker != w)
                return;
        q->worker = NULL;
        w->io_source = sd_event_source_disable_unref(w->io_source);
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -EBADF;
        w->next = q->retired;
        q->retired = w;
}

static void worker_unlink(Worker *w) {
        Queue *q = w->queue;

        if (q->worker == w) {
                q->worker = NULL;
                return;
        }
        for (Worker **p = &q->retired; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        return;
                }
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

        if (j->in_step && q->worker && q->worker->busy) {
                /*
                 * Only reached when the queue is freed with a step still
                 * running (a stop that outlived its bound): the kernel rolls
                 * the step back; waiting here could block on the kernel.
                 */
                (void) kill(q->worker->pid, SIGKILL);
                q->worker->busy = false;
                q->worker->stopped = true;
                worker_retire(q->worker);
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
        Worker *w = j->queue->worker;

        log_warning("%s: the step did not end within %" PRIu64 " s of being stopped, killing it.",
                    j->device, QUEUE_KILL_GRACE_USEC / USEC_PER_SEC);
        if (w && w->busy)
                (void) kill(w->pid, SIGKILL);
        return 0;
}

/*
 * SIGTERM first: for a whole-device write it is fatal (the worker keeps the
 * default action), so the kernel rolls back; the per-block loop catches it
 * and puts its blocks back before exiting. SIGKILL only if that hangs.
 */
static void job_stop_worker(Job *j) {
        Queue *q = j->queue;
        Worker *w = q->worker;

        if (!j->in_step || !w || !w->busy || j->kill_source)
                return;
        w->stopped = true;
        (void) kill(w->pid, SIGTERM);
        if (sd_event_add_time_relative(q->event, &j->kill_source, CLOCK_MONOTONIC, QUEUE_KILL_GRACE_USEC, 0,
                                       on_kill, j) < 0)
                (void) kill(w->pid, SIGKILL);
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
 * 'T', a StepCalls. The result of a step: 'R', value.
 */
#define WORKER_RECORD_MAX 2048

static void step_ended(Job *j, bool has_result, int result);

static void drain_worker(Worker *w) {
        Queue *q = w->queue;
        char buf[WORKER_RECORD_MAX + 16];

        while (w->fd >= 0) {
                ssize_t n = recv(w->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
                Job *j = w->busy ? q->running : NULL;
                int32_t a, b;

                if (n <= 0)
                        break;
                if (buf[0] == 'T' && n == 1 + (ssize_t) sizeof(StepCalls)) {
                        StepCalls c;

                        if (!j)
                                continue;
                        memcpy(&c, buf + 1, sizeof(c));
                        if (j->times.kernel_start == 0)
                                j->times.kernel_start = c.first_start;
                        j->times.kernel_end = c.last_end;
                        j->times.kernel_total += c.total;
                        j->times.kernel_calls += c.n;
                        j->times.kernel_cpu += c.cpu;
                        j->times.worker_cpu += c.worker_cpu;
                } else if (buf[0] == 'R' && n == 1 + (ssize_t) sizeof(int32_t)) {
                        memcpy(&a, buf + 1, sizeof(a));
                        w->busy = false;
                        if (w->stopped)
                                /* Told to stop: it may die any moment now, never give it another step. */
                                worker_retire(w);
                        if (j)
                                /* May hand this worker the next step, or retire it. */
                                step_ended(j, true, a);
                } else if (buf[0] == 'L' && n > 1 + 2 * (ssize_t) sizeof(int32_t)) {
                        memcpy(&a, buf + 1, sizeof(a));
                        memcpy(&b, buf + 1 + sizeof(a), sizeof(b));
                        buf[n] = '\0';
                        log_full_errno(a, b, "%s: %s", j ? j->device : "step worker",
                                       buf + 1 + 2 * sizeof(int32_t));
                }
        }
}

/* Read as it comes: a worker logging much must not block on a full socket. */
static int on_worker_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Worker *w = userdata;

        drain_worker(w);
        if (w->io_source && (revents & (EPOLLHUP | EPOLLERR)))
                /* Nothing more will come; the child source reports the exit. */
                w->io_source = sd_event_source_disable_unref(w->io_source);
        return 0;
}

static int on_worker_exited(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Worker *w = userdata;
        Queue *q = w->queue;
        bool busy;

        /* What it said before it died counts: a result sent just before a stop is a result. */
        drain_worker(w);
        busy = w->busy;
        worker_unlink(w);
        worker_free(w);
        if (busy && q->running && q->running->in_step)
                /* No result: the worker died mid-step (stopped by us, or a crash). */
                step_ended(q->running, false, 0);
        return 0;
}

static void step_ended(Job *j, bool has_result, int result) {
        Queue *q = j->queue;
        int error;

        error = has_result ? result : j->timed_out ? -ETIME : -EINTR;
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
                return;
        }
        if (j->superseded) {
                job_finish(j, JOB_SUPERSEDED, 0);
                return;
        }
        (void) job_continue(j, error);
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

/* A step, as the daemon sends it to the worker: 'S', this, then the device name. */
typedef struct StepRequest {
        Step step;
        int32_t memmap_on_memory;
} StepRequest;

#define STEP_REQUEST_MAX (1 + sizeof(StepRequest) + NAME_MAX)

static void worker_run(Queue *q, int fd, const StepRequest *req, const char *device) {
        /*
         * The worker's CPU clock started at the fork: what it used since the
         * last step (or its start-up, for the first) belongs to this step.
         */
        static usec_t cpu_reported;
        char rec[1 + sizeof(int32_t)] = { 'R' }, trec[1 + sizeof(StepCalls)] = { 'T' };
        StepCalls calls = {};
        usec_t t[2], c[2];
        int32_t r;

        /*
         * Default dispositions: SIGTERM (a timeout or stop) is fatal unless
         * the step installs its own handler to roll back (a previous step's
         * handler does not stay: a stopped worker never gets another step).
         */
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGINT, SIG_DFL);

        c[0] = cpu_usec();
        t[0] = now_usec(CLOCK_MONOTONIC);
        r = q->ops->run_step(q->userdata, device, &req->step, req->memmap_on_memory, &calls);
        t[1] = now_usec(CLOCK_MONOTONIC);
        c[1] = cpu_usec();
        if (calls.n == 0)
                calls = (StepCalls) {
                        .first_start = t[0],
                        .last_end = t[1],
                        .total = t[1] - t[0],
                        .cpu = c[1] - c[0],
                        .n = 1,
                };
        calls.worker_cpu = c[1] - cpu_reported;
        cpu_reported = c[1];
        memcpy(trec + 1, &calls, sizeof(calls));
        (void) send(fd, trec, sizeof(trec), MSG_NOSIGNAL);
        memcpy(rec + 1, &r, sizeof(r));
        (void) send(fd, rec, sizeof(rec), MSG_NOSIGNAL);
}

_noreturn_ static void worker_main(Queue *q, int fd, pid_t parent) {
        sigset_t ss;

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
        take_step_lock(q->lock_path);

        sigemptyset(&ss);
        (void) sigprocmask(SIG_SETMASK, &ss, NULL);

        /*
         * Only what cannot change after the queue was created may be used
         * here (ops and userdata as they were at the fork): the step comes
         * with everything it needs.
         */
        for (;;) {
                char buf[STEP_REQUEST_MAX + 1];
                StepRequest req;
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        /* End of file: the queue has no more work for this worker. */
                        _exit(0);
                if (buf[0] != 'S' || n <= 1 + (ssize_t) sizeof(req))
                        _exit(EXIT_FAILURE);
                memcpy(&req, buf + 1, sizeof(req));
                buf[n] = '\0';
                worker_run(q, fd, &req, buf + 1 + sizeof(req));
        }
}

static int worker_spawn(Queue *q) {
        _cleanup_free_ Worker *w = NULL;
        int fds[2], r;
        pid_t pid, parent;

        w = calloc(1, sizeof(Worker));
        if (!w)
                return -ENOMEM;
        w->queue = q;
        w->fd = -EBADF;

        /* Datagrams keep the records apart. */
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
                /* The parent's bookkeeping, not the worker's. */
                free(TAKE_PTR(w));
                close(fds[0]);
                worker_main(q, fds[1], parent);
        }
        close(fds[1]);
        w->pid = pid;
        w->fd = fds[0];
        q->workers_spawned++;

        r = sd_event_add_io(q->event, &w->io_source, w->fd, EPOLLIN, on_worker_output, w);
        if (r >= 0)
                r = sd_event_add_child(q->event, &w->child_source, pid, WEXITED, on_worker_exited, w);
        if (r < 0) {
                /* Cannot be watched: it must not run anything. */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                worker_free(TAKE_PTR(w));
                return r;
        }
        q->worker = TAKE_PTR(w);
        return 0;
}

/* Hand the step to the worker, starting one if there is none (or it cannot take it). */
static int worker_send(Queue *q, const char *device, const Step *step, int memmap_on_memory) {
        char buf[STEP_REQUEST_MAX];
        StepRequest req = { .step = *step, .memmap_on_memory = memmap_on_memory };
        size_t l = strlen(device);
        int r;

        if (l == 0 || l > NAME_MAX)
                return -EINVAL;
        buf[0] = 'S';
        memcpy(buf + 1, &req, sizeof(req));
        memcpy(buf + 1 + sizeof(req), device, l);

        for (unsigned attempt = 0;; attempt++) {
                if (q->worker && (q->worker->stopped || q->worker->busy))
                        worker_retire(q->worker);
                if (!q->worker) {
                        r = worker_spawn(q);
                        if (r < 0)
                                return r;
                }
                /* An idle worker's socket is empty: this never waits. */
                if (send(q->worker->fd, buf, 1 + sizeof(req) + l, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
                        break;
                r = -errno;
                /* It died while idle (its exit not seen yet): a fresh one, once. */
                q->worker->stopped = true;
                if (attempt > 0)
                        return r;
        }
        q->worker->busy = true;
        return 0;
}

static int job_spawn_step(Job *j, const Step *step) {
        Queue *q = j->queue;
        int r;

        j->step = *step;
        j->steps_run++;
        if (q->ops->step_started)
                q->ops->step_started(q->userdata, j, step);

        /* Before the step is sent: the worker's own timestamps must come after it. */
        j->step_started_usec = now_usec(CLOCK_MONOTONIC);
        if (j->times.first_step == 0) {
                j->times.first_step = j->step_started_usec;
                j->times.first_step_cpu = cpu_usec();
        }
        j->times.steps++;

        if (j->req.timeout_usec > 0 && j->req.timeout_usec != USEC_INFINITY) {
                r = sd_event_add_time_relative(q->event, &j->timeout_source, CLOCK_MONOTONIC,
                                               j->req.timeout_usec, 0, on_step_timeout, j);
                if (r < 0)
                        return r;
        }
        r = worker_send(q, j->device, step, j->req.memmap_on_memory);
        if (r < 0)
                return r;
        j->in_step = true;
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
        if (!j) {
                /* Nothing to run: the worker goes (an idle daemon is one process). */
                if (q->worker && !q->worker->busy)
                        worker_retire(q->worker);
                return 0;
        }

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
        /* An idle worker ends at end of file; none is waited for. */
        q->worker = worker_free(q->worker);
        while (q->retired) {
                Worker *w = q->retired;

                q->retired = w->next;
                worker_free(w);
        }
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
        if (!q->running) {
                if (q->worker)
                        worker_retire(q->worker);
                return 0;
        }
        /* The running job ends when its step does (its result, or the worker's exit). */
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
        j->from_mode = _DAX_MODE_INVALID;
        j->from_state = _DAX_STATE_INVALID;
        j->times.submit_cpu = cpu_usec();

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
