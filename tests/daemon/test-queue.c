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

#include "queue.h"
#include "tests.h"

static char dir[] = "/tmp/test-queue-XXXXXX";

typedef struct Finished {
        char device[32];
        JobResult result;
        int error;
        intptr_t waiter;
} Finished;

static Finished finished[64];
static unsigned n_finished;
static unsigned n_changed;

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

static int ops_read(void *userdata, const char *device, DaxMode *m, DaxState *s, bool *atomic) {
        *atomic = true;
        return fake_get(device, m, s);
}

/* The series' rules, enough for these tests. */
static int ops_run_step(void *userdata, const char *device, const Step *step, int memmap) {
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
        if (r == 0 && fake_get(device, &mode, &state) < 0)
                r = -ENOENT;
        if (r == 0) {
                if (step->kind == STEP_BIND_KMEM)
                        fake_set(device, DAX_MODE_SYSTEM_RAM, DAX_STATE_OFFLINE);
                else if (step->kind == STEP_BIND_DEVDAX)
                        fake_set(device, DAX_MODE_DEVDAX, _DAX_STATE_INVALID);
                else if (state == DAX_STATE_UNPLUGGED || step->state == DAX_STATE_UNPLUGGED)
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
        f->waiter = (intptr_t) job_waiter(job);
}

static const QueueOps ops = {
        .read = ops_read,
        .run_step = ops_run_step,
        .device_changed = ops_device_changed,
        .job_finished = ops_job_finished,
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
        CHECK_EQ_INT(finished[0].result, JOB_DONE);     /* third attempt works */
        CHECK_EQ_INT(finished[1].result, JOB_FAILED);
        CHECK_EQ_INT(finished[1].error, -EBUSY);
        CHECK_EQ_INT(check_trace_serial(), 3 + 2);
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
        CHECK(n_changed > 0);
        queue_free(q);
        test_free_cancels(e);

        sd_event_unref(e);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
        TESTS_DONE("test-queue");
}
