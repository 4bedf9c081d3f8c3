/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The transition queue with an injected step runner: a fake kernel kept in
 * files (the runner executes in the forked worker, so state must cross the
 * process boundary the same way sysfs does). Checks FIFO order, strict
 * one-step-at-a-time execution, supersede (queued and running), retries
 * and the timeout kill.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "tests.h"

static char dir[] = "/tmp/test-queue-XXXXXX";

typedef struct Finished {
        char device[32];
        JobResult result;
        int error;
        intptr_t waiter;
        size_t n_waiters;
} Finished;

static Finished finished[64];
static unsigned n_finished;
static unsigned n_changed;
static unsigned n_stopped;

static void fake_path(char *buf, size_t size, const char *device, const char *what) {
        snprintf(buf, size, "%s/%s.%s", dir, device, what);
}

static void fake_set(const char *device, DaxMode mode, DaxState state) {
        char p[256];
        FILE *f;

        fake_path(p, sizeof(p), device, "state");
        f = fopen(p, "we");
        CHECK(f);
        fprintf(f, "%d %d\n", (int) mode, (int) state);
        fclose(f);
}

static int fake_get(const char *device, DaxMode *mode, DaxState *state) {
        char p[256];
        int a, b;
        FILE *f;

        fake_path(p, sizeof(p), device, "state");
        f = fopen(p, "re");
        if (!f)
                return -ENOENT;
        if (fscanf(f, "%d %d", &a, &b) != 2) {
                fclose(f);
                return -EIO;
        }
        fclose(f);
        *mode = a;
        *state = b;
        return 0;
}

static void trace(const char *what, const char *device) {
        char p[256], line[64];
        int fd;

        snprintf(p, sizeof(p), "%s/trace", dir);
        fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        snprintf(line, sizeof(line), "%s %s\n", what, device);
        (void) write(fd, line, strlen(line));
        close(fd);
}

/* Count attempts across worker processes in a file. */
static int bump(const char *device) {
        char p[256];
        int n = 0;
        FILE *f;

        fake_path(p, sizeof(p), device, "attempts");
        f = fopen(p, "re");
        if (f) {
                if (fscanf(f, "%d", &n) != 1)
                        n = 0;
                fclose(f);
        }
        f = fopen(p, "we");
        if (f) {
                fprintf(f, "%d\n", n + 1);
                fclose(f);
        }
        return n + 1;
}

static bool no_direct_online;
static unsigned n_direct_refused;

static int ops_read(void *userdata, const char *device, DaxMode *m, DaxState *s, PlanKernel *kernel) {
        *kernel = (PlanKernel) { .attr = DAX_ATTR_HOTPLUG, .no_direct_online = no_direct_online };
        return fake_get(device, m, s);
}

/* What the daemon does: remember that this kernel has no offline → online step. */
static void ops_direct_refused(void *userdata, Job *job, const Step *step, int error) {
        CHECK_EQ_INT(error, -EBUSY);
        CHECK(step_is_direct_online(step, DAX_STATE_OFFLINE));
        n_direct_refused++;
        no_direct_online = true;
}

/* The series' rules, enough for these tests. */
static int ops_run_step(void *userdata, const char *device, const Step *step, int memmap, StepCalls *calls) {
        DaxMode mode;
        DaxState state;
        int r = 0;

        trace("S", device);
        usleep(20 * 1000);      /* long enough that overlapping steps would interleave */
        if (strncmp(device, "slow", 4) == 0)
                sleep(30);      /* killed by the timeout long before */
        if (strncmp(device, "busy", 4) == 0)
                r = -EBUSY;
        if (strncmp(device, "stuck", 5) == 0) {
                trace("E", device);
                return 0;       /* accepted, but the device never changes */
        }
        if (strncmp(device, "flaky", 5) == 0 && bump(device) < 3)
                r = -EBUSY;
        if (strncmp(device, "count", 5) == 0) {
                bump(device);
                r = -EBUSY;
        }
        if (strncmp(device, "chatty", 6) == 0) {
                /* 2 MB of log lines, far more than a socket buffer: the daemon must read as they come. */
                char line[1001];

                memset(line, 'x', sizeof(line) - 1);
                line[sizeof(line) - 1] = '\0';
                log_set_max_level(LOG_DEBUG);   /* this worker only: the daemon drops them unprinted */
                for (unsigned i = 0; i < 2000; i++)
                        log_debug("%u %s", i, line);
        }
        if (strncmp(device, "late", 4) == 0) {
                /* The kernel gets there, but only after the timeout fired. */
                fake_set(device, DAX_MODE_SYSTEM_RAM, step->state);
                sleep(30);
        }
        if (r == 0 && fake_get(device, &mode, &state) < 0)
                r = -ENOENT;
        if (r == 0) {
                if (step->kind == STEP_BIND_KMEM)
                        fake_set(device, DAX_MODE_SYSTEM_RAM, DAX_STATE_OFFLINE);
                else if (step->kind == STEP_BIND_DEVDAX)
                        fake_set(device, DAX_MODE_DEVDAX, _DAX_STATE_INVALID);
                else if (state == DAX_STATE_UNPLUGGED || step->state == DAX_STATE_UNPLUGGED ||
                         (state == DAX_STATE_OFFLINE && strncmp(device, "direct", 6) == 0))
                        /* "direct*": the revised series, which also onlines from offline. */
                        fake_set(device, DAX_MODE_SYSTEM_RAM, step->state);
                else if (state != step->state)
                        r = -EBUSY;
        }
        trace("E", device);
        return r;
}

static void ops_device_changed(void *userdata, const char *device) {
        n_changed++;
}

static void ops_job_finished(void *userdata, Job *job, JobResult result, int error) {
        Finished *f = &finished[n_finished++];

        snprintf(f->device, sizeof(f->device), "%s", job_device(job));
        f->result = result;
        f->error = error;
        f->waiter = (intptr_t) job_waiter(job, 0);
        f->n_waiters = job_n_waiters(job);
}

static void ops_stopped(void *userdata) {
        n_stopped++;
}

static int attempts(const char *device) {
        char p[256];
        int n = 0;
        FILE *f;

        fake_path(p, sizeof(p), device, "attempts");
        f = fopen(p, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%d", &n) != 1)
                n = 0;
        fclose(f);
        return n;
}

static const Finished *finished_of(const char *device) {
        for (unsigned i = 0; i < n_finished; i++)
                if (streq(finished[i].device, device))
                        return &finished[i];
        return NULL;
}

static const QueueOps ops = {
        .read = ops_read,
        .run_step = ops_run_step,
        .direct_refused = ops_direct_refused,
        .device_changed = ops_device_changed,
        .job_finished = ops_job_finished,
        .stopped = ops_stopped,
};

static void run_until(sd_event *e, unsigned n) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 30 * USEC_PER_SEC;

        while (n_finished < n) {
                CHECK(now_usec(CLOCK_MONOTONIC) < deadline);
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        }
}

static void reset(void) {
        char p[256];

        n_finished = 0;
        snprintf(p, sizeof(p), "%s/trace", dir);
        (void) unlink(p);
}

/* Steps never overlap: every S is followed by the E of the same device. */
static unsigned check_trace_serial(void) {
        char p[256], what[4], dev[32], open_dev[32] = "";
        unsigned steps = 0;
        FILE *f;

        snprintf(p, sizeof(p), "%s/trace", dir);
        f = fopen(p, "re");
        CHECK(f);
        while (fscanf(f, "%3s %31s", what, dev) == 2) {
                if (streq(what, "S")) {
                        CHECK_STREQ(open_dev, "");
                        snprintf(open_dev, sizeof(open_dev), "%s", dev);
                        steps++;
                } else {
                        CHECK_STREQ(open_dev, dev);
                        open_dev[0] = '\0';
                }
        }
        fclose(f);
        return steps;
}

#define REQ(s) (&(JobRequest) { .desired = (s), .timeout_usec = 5 * USEC_PER_SEC, .memmap_on_memory = -1 })

static JobRequest req(PolicyState s) {
        return (JobRequest) { .desired = s, .timeout_usec = 5 * USEC_PER_SEC, .memmap_on_memory = -1 };
}

static void test_fifo_and_serial(sd_event *e, Queue *q) {
        const char *devs[] = { "a", "b", "c", "d" };

        reset();
        for (unsigned i = 0; i < 4; i++) {
                fake_set(devs[i], DAX_MODE_SYSTEM_RAM, DAX_STATE_ONLINE_KERNEL);
                CHECK_EQ_INT(queue_submit(q, devs[i], REQ(POLICY_STATE_ONLINE_MOVABLE),
                                          (void *) (intptr_t) (i + 1), NULL), 0);
        }
        CHECK_EQ_INT(queue_length(q), 4);
        CHECK_EQ_INT(queue_device_transition(q, "b"), TRANSITION_QUEUED);
        CHECK_EQ_INT(queue_device_transition(q, "zzz"), TRANSITION_IDLE);

        run_until(e, 4);
        for (unsigned i = 0; i < 4; i++) {
                DaxMode m;
                DaxState s;

                CHECK_STREQ(finished[i].device, devs[i]);
                CHECK_EQ_INT(finished[i].result, JOB_DONE);
                CHECK_EQ_INT(finished[i].waiter, i + 1);
                CHECK_EQ_INT(fake_get(devs[i], &m, &s), 0);
                CHECK_EQ_INT(s, DAX_STATE_ONLINE_MOVABLE);
        }
        /* online_kernel → unplugged → online_movable: two steps each, never overlapping. */
        CHECK_EQ_INT(check_trace_serial(), 8);
        CHECK_EQ_INT(queue_length(q), 0);
}

static void test_supersede_queued(sd_event *e, Queue *q) {
        DaxMode m;
        DaxState s;

        reset();
        fake_set("x", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        fake_set("y", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(queue_submit(q, "x", REQ(POLICY_STATE_ONLINE_KERNEL), (void *) 1, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "y", REQ(POLICY_STATE_ONLINE), (void *) 2, NULL), 0);
        /* Replaces x's job at once; the older waiter hears Superseded right away. */
        CHECK_EQ_INT(queue_submit(q, "x", REQ(POLICY_STATE_ONLINE_MOVABLE), (void *) 3, NULL), 0);
        CHECK_EQ_INT(n_finished, 1);
        CHECK_EQ_INT(finished[0].result, JOB_SUPERSEDED);
        CHECK_EQ_INT(finished[0].waiter, 1);
        CHECK_EQ_INT(queue_length(q), 2);

        run_until(e, 3);
        /* The replacement kept x's place in line. */
        CHECK_STREQ(finished[1].device, "x");
        CHECK_EQ_INT(finished[1].waiter, 3);
        CHECK_EQ_INT(finished[1].result, JOB_DONE);
        CHECK_STREQ(finished[2].device, "y");
        CHECK_EQ_INT(fake_get("x", &m, &s), 0);
        CHECK_EQ_INT(s, DAX_STATE_ONLINE_MOVABLE);
}

static void test_supersede_running(sd_event *e, Queue *q) {
        DaxMode m;
        DaxState s;

        reset();
        fake_set("r", DAX_MODE_SYSTEM_RAM, DAX_STATE_ONLINE_KERNEL);
        CHECK_EQ_INT(queue_submit(q, "r", REQ(POLICY_STATE_ONLINE_MOVABLE), (void *) 1, NULL), 0);
        while (queue_device_transition(q, "r") != TRANSITION_RUNNING)
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        CHECK_EQ_INT(queue_submit(q, "r", REQ(POLICY_STATE_UNPLUGGED), (void *) 2, NULL), 0);

        run_until(e, 2);
        CHECK_EQ_INT(finished[0].waiter, 1);
        CHECK_EQ_INT(finished[0].result, JOB_SUPERSEDED);
        CHECK_EQ_INT(finished[1].waiter, 2);
        CHECK_EQ_INT(finished[1].result, JOB_DONE);
        CHECK_EQ_INT(fake_get("r", &m, &s), 0);
        CHECK_EQ_INT(s, DAX_STATE_UNPLUGGED);
        check_trace_serial();
}

static void test_retries(sd_event *e, Queue *q) {
        JobRequest r = req(POLICY_STATE_ONLINE);

        reset();
        fake_set("flaky", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        fake_set("busy", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        r.retries = 3;
        r.retry_delay_usec = 10 * USEC_PER_MSEC;
        CHECK_EQ_INT(queue_submit(q, "flaky", &r, NULL, NULL), 0);
        r.retries = 1;
        CHECK_EQ_INT(queue_submit(q, "busy", &r, NULL, NULL), 0);

        run_until(e, 2);
        CHECK_EQ_INT(finished_of("flaky")->result, JOB_DONE);     /* third attempt works */
        CHECK_EQ_INT(finished_of("busy")->result, JOB_FAILED);
        CHECK_EQ_INT(finished_of("busy")->error, -EBUSY);
        CHECK_EQ_INT(check_trace_serial(), 3 + 2);
}

/* Review finding 6: a retry delay must not hold up another device's job. */
static void test_retry_releases_head(sd_event *e, Queue *q) {
        JobRequest r = req(POLICY_STATE_ONLINE);

        reset();
        fake_set("count1", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        fake_set("idle1", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        r.retries = 1;
        r.retry_delay_usec = 3 * USEC_PER_SEC;
        CHECK_EQ_INT(queue_submit(q, "count1", &r, NULL, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "idle1", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        run_until(e, 1);
        /* idle1 ran during count1's 3 s delay; count1 is still waiting, shown as queued. */
        CHECK_STREQ(finished[0].device, "idle1");
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
        CHECK_EQ_INT(attempts("count1"), 1);
        CHECK_EQ_INT(queue_device_transition(q, "count1"), TRANSITION_QUEUED);
        run_until(e, 2);
        CHECK_EQ_INT(finished[1].result, JOB_FAILED);
        CHECK_EQ_INT(attempts("count1"), 2);
}

/* Review finding 3: a newer request during the retry delay replaces the job; it never runs again. */
static void test_supersede_during_retry(sd_event *e, Queue *q) {
        JobRequest r = req(POLICY_STATE_ONLINE);

        reset();
        fake_set("count2", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        r.retries = 5;
        r.retry_delay_usec = 500 * USEC_PER_MSEC;
        CHECK_EQ_INT(queue_submit(q, "count2", &r, (void *) 1, NULL), 0);
        while (attempts("count2") < 1 || queue_device_transition(q, "count2") != TRANSITION_QUEUED)
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        /* Back to where it is: nothing to do, and the old order is gone. */
        CHECK_EQ_INT(queue_submit(q, "count2", REQ(POLICY_STATE_UNPLUGGED), (void *) 2, NULL), 0);
        CHECK_EQ_INT(finished[0].result, JOB_SUPERSEDED);
        CHECK_EQ_INT(finished[0].waiter, 1);
        run_until(e, 2);
        CHECK_EQ_INT(finished[1].result, JOB_DONE);
        CHECK_EQ_INT(finished[1].waiter, 2);
        /* Wait past the old delay: no further attempt. */
        for (usec_t t = now_usec(CLOCK_MONOTONIC) + USEC_PER_SEC; now_usec(CLOCK_MONOTONIC) < t; )
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        CHECK_EQ_INT(attempts("count2"), 1);
}

/* Review finding 7: the same order again joins the job doing it, and is answered with it. */
static void test_same_request_joins(sd_event *e, Queue *q) {
        reset();
        fake_set("j", DAX_MODE_SYSTEM_RAM, DAX_STATE_ONLINE_KERNEL);
        CHECK_EQ_INT(queue_submit(q, "j", REQ(POLICY_STATE_ONLINE_MOVABLE), (void *) 1, NULL), 0);
        while (queue_device_transition(q, "j") != TRANSITION_RUNNING)
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        CHECK_EQ_INT(queue_submit(q, "j", REQ(POLICY_STATE_ONLINE_MOVABLE), (void *) 2, NULL), 1);
        CHECK_EQ_INT(queue_submit(q, "j", REQ(POLICY_STATE_ONLINE_MOVABLE), NULL, NULL), 1);
        CHECK_EQ_INT(queue_length(q), 1);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
        CHECK_EQ_INT(finished[0].n_waiters, 2);
}

/* Review finding 4: nothing wanted any more (reset, State=ignore) ends the queued job. */
static void test_cancel_device(sd_event *e, Queue *q) {
        reset();
        fake_set("c1", DAX_MODE_SYSTEM_RAM, DAX_STATE_ONLINE_KERNEL);
        fake_set("c2", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(queue_submit(q, "c1", REQ(POLICY_STATE_ONLINE_MOVABLE), (void *) 1, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "c2", REQ(POLICY_STATE_ONLINE), (void *) 2, NULL), 0);
        queue_cancel_device(q, "c2");
        CHECK_EQ_INT(finished[0].result, JOB_SUPERSEDED);
        CHECK_EQ_INT(finished[0].waiter, 2);
        run_until(e, 2);
        CHECK_EQ_INT(finished[1].result, JOB_DONE);
        CHECK_EQ_INT(check_trace_serial(), 2);     /* c1's two steps; nothing for c2 */
}

/* Review finding 8: Retries= is not capped by the per-attempt step bound. */
static void test_many_retries(sd_event *e, Queue *q) {
        JobRequest r = req(POLICY_STATE_ONLINE);

        reset();
        fake_set("count3", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        r.retries = JOB_STEPS_MAX + 4;
        r.retry_delay_usec = 1;
        CHECK_EQ_INT(queue_submit(q, "count3", &r, NULL, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_FAILED);
        CHECK_EQ_INT(attempts("count3"), JOB_STEPS_MAX + 5);
}

/* Review finding 9: the kernel completed the step although it timed out: done, not a timeout. */
static void test_timeout_but_done(sd_event *e, Queue *q) {
        JobRequest r = req(POLICY_STATE_ONLINE);

        reset();
        fake_set("late", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        r.timeout_usec = 300 * USEC_PER_MSEC;
        CHECK_EQ_INT(queue_submit(q, "late", &r, NULL, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
}

/* A worker that logs much does not block on its log socket. */
static void test_chatty_worker(sd_event *e, Queue *q) {
        reset();
        fake_set("chatty", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(queue_submit(q, "chatty", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
}

/* Stopping: queued callers hear Cancelled at once, the running step is stopped, then stopped(). */
static void test_stop(sd_event *e) {
        Queue *q = NULL;

        reset();
        n_stopped = 0;
        CHECK_EQ_INT(queue_new(e, &ops, NULL, &q), 0);
        fake_set("slow2", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        fake_set("s2", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(queue_submit(q, "slow2", REQ(POLICY_STATE_ONLINE), (void *) 1, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "s2", REQ(POLICY_STATE_ONLINE), (void *) 2, NULL), 0);
        while (queue_device_transition(q, "slow2") != TRANSITION_RUNNING)
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        CHECK_EQ_INT(queue_stop(q), 1);
        CHECK_EQ_INT(n_finished, 1);
        CHECK_EQ_INT(finished[0].waiter, 2);
        CHECK_EQ_INT(finished[0].result, JOB_CANCELLED);
        CHECK_EQ_INT(queue_submit(q, "s2", REQ(POLICY_STATE_ONLINE), NULL, NULL), -ESHUTDOWN);
        run_until(e, 2);
        CHECK_EQ_INT(finished[1].waiter, 1);
        CHECK_EQ_INT(finished[1].result, JOB_CANCELLED);
        CHECK_EQ_INT(n_stopped, 1);
        queue_free(q);
}

static void test_timeout(sd_event *e, Queue *q) {
        JobRequest r = req(POLICY_STATE_ONLINE);
        usec_t t0 = now_usec(CLOCK_MONOTONIC);

        reset();
        fake_set("slow", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        fake_set("after", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        r.timeout_usec = 200 * USEC_PER_MSEC;
        CHECK_EQ_INT(queue_submit(q, "slow", &r, NULL, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "after", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);

        run_until(e, 2);
        CHECK_EQ_INT(finished[0].result, JOB_TIMEOUT);
        CHECK_EQ_INT(finished[1].result, JOB_DONE);     /* the queue moves on */
        CHECK(now_usec(CLOCK_MONOTONIC) - t0 < 10 * USEC_PER_SEC);
}

static void test_stuck(sd_event *e, Queue *q) {
        reset();
        fake_set("stuck", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(queue_submit(q, "stuck", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_FAILED);
        CHECK_EQ_INT(finished[0].error, -ELOOP);
        /* Given up after the first step that changed nothing, not after JOB_STEPS_MAX. */
        CHECK_EQ_INT(check_trace_serial(), 1);
}

static void test_removed(sd_event *e, Queue *q) {
        reset();
        CHECK_EQ_INT(queue_submit(q, "ghost", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_REMOVED);

        reset();
        fake_set("gone", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        fake_set("first", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(queue_submit(q, "first", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "gone", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        queue_forget_device(q, "gone");
        CHECK_EQ_INT(finished[0].result, JOB_REMOVED);
        run_until(e, 2);
        CHECK_EQ_INT(finished[1].result, JOB_DONE);
}

/*
 * A device bound offline: the revised series onlines it in one step; the
 * series before refuses that (EBUSY), which is no failure: once, then
 * through unplugged, and the daemon remembers not to ask again.
 */
static void test_direct_online(sd_event *e, Queue *q) {
        DaxMode m;
        DaxState s;

        reset();
        fake_set("direct1", DAX_MODE_SYSTEM_RAM, DAX_STATE_OFFLINE);
        CHECK_EQ_INT(queue_submit(q, "direct1", REQ(POLICY_STATE_ONLINE_MOVABLE), (void *) 1, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
        CHECK_EQ_INT(check_trace_serial(), 1);
        CHECK_EQ_INT(n_direct_refused, 0);

        reset();
        fake_set("v5a", DAX_MODE_SYSTEM_RAM, DAX_STATE_OFFLINE);
        CHECK_EQ_INT(queue_submit(q, "v5a", REQ(POLICY_STATE_ONLINE_MOVABLE), (void *) 2, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
        CHECK_EQ_INT(fake_get("v5a", &m, &s), 0);
        CHECK_EQ_INT(s, DAX_STATE_ONLINE_MOVABLE);
        /* refused, unplugged, online_movable */
        CHECK_EQ_INT(check_trace_serial(), 3);
        CHECK_EQ_INT(n_direct_refused, 1);

        /* Known now: the next arrival goes through unplugged at once. */
        reset();
        fake_set("v5b", DAX_MODE_SYSTEM_RAM, DAX_STATE_OFFLINE);
        CHECK_EQ_INT(queue_submit(q, "v5b", REQ(POLICY_STATE_ONLINE_KERNEL), (void *) 3, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
        CHECK_EQ_INT(check_trace_serial(), 2);
        CHECK_EQ_INT(n_direct_refused, 1);
        no_direct_online = false;
}

/* Whether process pid still runs (exited but not reaped does not count). */
static bool running(int pid) {
        char p[64], state = 'Z';
        FILE *f;

        snprintf(p, sizeof(p), "/proc/%d/stat", pid);
        f = fopen(p, "re");
        if (!f)
                return false;
        /* pid (comm) state: comm is "test-queue", no blanks or parentheses */
        if (fscanf(f, "%*d %*s %c", &state) != 1)
                state = 'Z';
        fclose(f);
        return state != 'Z' && state != 'X';
}

/* The test's running children (the step worker, while there is one), from /proc. */
static unsigned n_children(void) {
        char p[64];
        unsigned n = 0;
        int pid;
        FILE *f;

        snprintf(p, sizeof(p), "/proc/self/task/%d/children", (int) getpid());
        f = fopen(p, "re");
        CHECK(f);
        while (fscanf(f, "%d", &pid) == 1)
                if (running(pid))
                        n++;
        fclose(f);
        return n;
}

static void run_until_no_children(sd_event *e) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 30 * USEC_PER_SEC;

        while (n_children() > 0) {
                CHECK(now_usec(CLOCK_MONOTONIC) < deadline);
                CHECK(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        }
}

/*
 * Where arrival time goes (must-hold 4): one worker process serves every
 * step while the queue has work, not a fork per step; it exits when the
 * queue runs dry; a worker stopped by a timeout is never given another step.
 */
static void test_one_worker(sd_event *e) {
        const char *devs[] = { "directw1", "directw2", "directw3" };
        JobRequest r = req(POLICY_STATE_ONLINE);
        Queue *q = NULL;

        reset();
        CHECK_EQ_INT(queue_new(e, &ops, NULL, &q), 0);
        CHECK_EQ_INT(queue_workers_spawned(q), 0);
        /* An arrival: bind kmem, then online in place. Two steps, one worker. */
        fake_set("directw0", DAX_MODE_DEVDAX, _DAX_STATE_INVALID);
        CHECK_EQ_INT(queue_submit(q, "directw0", REQ(POLICY_STATE_ONLINE_MOVABLE), NULL, NULL), 0);
        run_until(e, 1);
        CHECK_EQ_INT(finished[0].result, JOB_DONE);
        CHECK_EQ_INT(check_trace_serial(), 2);
        CHECK_EQ_INT(queue_workers_spawned(q), 1);
        /* Idle: the worker is gone. */
        run_until_no_children(e);

        /* A burst: six steps, one more worker. */
        reset();
        for (unsigned i = 0; i < 3; i++) {
                fake_set(devs[i], DAX_MODE_DEVDAX, _DAX_STATE_INVALID);
                CHECK_EQ_INT(queue_submit(q, devs[i], REQ(POLICY_STATE_ONLINE_MOVABLE), NULL, NULL), 0);
        }
        run_until(e, 3);
        for (unsigned i = 0; i < 3; i++)
                CHECK_EQ_INT(finished[i].result, JOB_DONE);
        CHECK_EQ_INT(check_trace_serial(), 6);
        CHECK_EQ_INT(queue_workers_spawned(q), 2);
        run_until_no_children(e);

        /* A step stopped by its timeout takes its worker with it: the next job gets a new one. */
        reset();
        fake_set("sloww", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        fake_set("afterw", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        r.timeout_usec = 200 * USEC_PER_MSEC;
        CHECK_EQ_INT(queue_submit(q, "sloww", &r, NULL, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "afterw", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        run_until(e, 2);
        CHECK_EQ_INT(finished[0].result, JOB_TIMEOUT);
        CHECK_EQ_INT(finished[1].result, JOB_DONE);
        CHECK_EQ_INT(queue_workers_spawned(q), 4);
        run_until_no_children(e);
        queue_free(q);
}

static void test_free_cancels(sd_event *e) {
        Queue *q = NULL;

        reset();
        CHECK_EQ_INT(queue_new(e, &ops, NULL, &q), 0);
        fake_set("p", DAX_MODE_SYSTEM_RAM, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(queue_submit(q, "p", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        CHECK_EQ_INT(queue_submit(q, "p2", REQ(POLICY_STATE_ONLINE), NULL, NULL), 0);
        queue_free(q);
        CHECK_EQ_INT(n_finished, 2);
        CHECK_EQ_INT(finished[0].result, JOB_CANCELLED);
}

int main(void) {
        sd_event *e = NULL;
        Queue *q = NULL;
        char cmd[300];

        CHECK(mkdtemp(dir));
        CHECK(sd_event_new(&e) >= 0);
        CHECK_EQ_INT(queue_new(e, &ops, NULL, &q), 0);

        test_fifo_and_serial(e, q);
        test_supersede_queued(e, q);
        test_supersede_running(e, q);
        test_retries(e, q);
        test_timeout(e, q);
        test_stuck(e, q);
        test_removed(e, q);
        test_retry_releases_head(e, q);
        test_supersede_during_retry(e, q);
        test_same_request_joins(e, q);
        test_cancel_device(e, q);
        test_many_retries(e, q);
        test_timeout_but_done(e, q);
        test_chatty_worker(e, q);
        test_direct_online(e, q);
        CHECK(n_changed > 0);
        queue_free(q);
        test_free_cancels(e);
        test_stop(e);
        test_one_worker(e);

        sd_event_unref(e);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
        TESTS_DONE("test-queue");
}
