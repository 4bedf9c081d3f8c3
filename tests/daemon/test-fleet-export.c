/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The fleet files without a bus: label escaping, the histogram and counters
 * fed by audit records, the atomic replace (mode, no temporary file left,
 * a missing directory), and the manager writing both files after a
 * transition on a fake sysfs tree, once per burst and only on change.
 */

#include <sys/stat.h>
#include <unistd.h>

#include "export-file.h"
#include "fake-sysfs.h"
#include "manager.h"
#include "metrics.h"
#include "nfd-features.h"

static char root[] = "/tmp/test-fleet-export-XXXXXX";

/* The whole file (fake_read() gives only its first line). */
static char *slurp(const char *dir, const char *rel) {
        char p[512], *buf = NULL;
        size_t size = 0;
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", dir, rel);
        f = fopen(p, "re");
        CHECK(f);
        CHECK(getdelim(&buf, &size, '\0', f) > 0);
        fclose(f);
        return buf;
}

static void test_escape(void) {
        char *s = metrics_escape_label("a\"b\\c\nd");

        CHECK_STREQ(s, "a\\\"b\\\\c\\nd");
        free(s);
        s = metrics_escape_label(NULL);
        CHECK_STREQ(s, "");
        free(s);
}

static void finished(Metrics *mt, const char *result, bool timed, usec_t usec) {
        metrics_note_audit(mt, &(AuditRecord) {
                .kind = AUDIT_TRANSITION_FINISHED,
                .result = result,
                .has_duration = timed,
                .duration_usec = usec,
        });
}

static void test_counters(void) {
        Metrics mt;

        metrics_init(&mt);
        finished(&mt, "done", true, 5 * USEC_PER_MSEC);
        finished(&mt, "done", true, 10 * USEC_PER_MSEC);         /* le="0.01" is inclusive */
        finished(&mt, "failed", true, 11 * USEC_PER_MSEC);
        finished(&mt, "timeout", true, 700 * USEC_PER_SEC);      /* beyond 600 s: only +Inf */
        finished(&mt, "superseded", false, 0);                   /* never ran: not timed */
        metrics_note_audit(&mt, &(AuditRecord) { .kind = AUDIT_DRIFT });
        metrics_note_audit(&mt, &(AuditRecord) { .kind = AUDIT_DEVICE_ADDED });

        CHECK_EQ_INT(mt.transitions[JOB_DONE], 2);
        CHECK_EQ_INT(mt.transitions[JOB_FAILED], 1);
        CHECK_EQ_INT(mt.transitions[JOB_TIMEOUT], 1);
        CHECK_EQ_INT(mt.transitions[JOB_SUPERSEDED], 1);
        CHECK_EQ_INT(mt.duration_count, 4);
        CHECK_EQ_INT(mt.duration_buckets[0], 2);
        CHECK_EQ_INT(mt.duration_buckets[1], 1);
        for (size_t i = 2; i < METRICS_N_BUCKETS; i++)
                CHECK_EQ_INT(mt.duration_buckets[i], 0);
        CHECK_EQ_INT(mt.duration_sum_usec, 26 * USEC_PER_MSEC + 700 * USEC_PER_SEC);
        CHECK_EQ_INT(mt.drift_events, 1);
}

static void test_replace(void) {
        char dir[256], other[256], path[300], *text;
        struct stat st;
        mode_t old;

        snprintf(dir, sizeof(dir), "%s/prom", root);
        snprintf(other, sizeof(other), "%s/up", root);
        snprintf(path, sizeof(path), "%s/x.prom", dir);
        CHECK_EQ_INT(export_file_replace(path, NULL, "a\n", 2), -ENOENT);
        CHECK(mkdir(dir, 0755) == 0);
        CHECK(mkdir(other, 0755) == 0);

        old = umask(0077);                              /* daxhpd's unit has UMask=0077 */
        CHECK_EQ_INT(export_file_replace(path, NULL, "a 1\n", 4), 0);
        CHECK_EQ_INT(export_file_replace(path, other, "a 2\n", 4), 0);
        umask(old);
        text = slurp(dir, "x.prom");
        CHECK_STREQ(text, "a 2\n");
        free(text);
        CHECK(stat(path, &st) == 0);
        CHECK_EQ_INT(st.st_mode & 0777, 0644);
        /* Nothing else left in either directory. */
        CHECK(rmdir(other) == 0);
        CHECK(unlink(path) == 0);
        CHECK(rmdir(dir) == 0);
}

static void run_for(sd_event *e, usec_t usec) {
        usec_t until = now_usec(CLOCK_MONOTONIC) + usec;

        while (now_usec(CLOCK_MONOTONIC) < until)
                CHECK(sd_event_run(e, 50 * USEC_PER_MSEC) >= 0);
}

/* No device at all (the last one removed): both files still render. */
static void test_render_empty(void) {
        char empty[256], *text;
        sd_event *e = NULL;
        Manager *m = NULL;
        Metrics mt;

        snprintf(empty, sizeof(empty), "%s/empty", root);
        fake_mkdirs(root, "empty");
        CHECK(sd_event_new(&e) >= 0);
        CHECK_EQ_INT(manager_new(e, &(ManagerConfig) { .sysfs_root = empty, .state_dir = empty }, &m), 0);
        metrics_init(&mt);
        text = metrics_render(&mt, m);
        CHECK(text && strstr(text, "daxhp_queue_length 0\n") && !strstr(text, "device=\""));
        free(text);
        text = nfd_features_render(m);
        CHECK_STREQ(text, "daxhp-devices=0\ndaxhp-cxl-present=false\ndaxhp-atomic-hotplug=false\n"
                    "daxhp-dax-bytes=0\ndaxhp-online-movable-bytes=0\n");
        free(text);
        manager_free(m);
        sd_event_unref(e);
}

static void test_manager_writes(void) {
        char polroot[256], prom[256], nfd[256], *text;
        char *dirs[] = { polroot, NULL };
        sd_event *e = NULL;
        Manager *m = NULL;
        struct stat st1, st2;

        snprintf(polroot, sizeof(polroot), "%s/policy", root);
        snprintf(prom, sizeof(prom), "%s/ne/daxhp.prom", root);
        snprintf(nfd, sizeof(nfd), "%s/nfd/features.d/daxhp", root);
        fake_mkdirs(root, "policy");
        fake_mkdirs(root, "ne");
        fake_mkdirs(root, "nfd/features.d");
        fake_write(polroot, "50-test.conf", "[Match]\nName=dax0.0\n\n[Policy]\nState=online_movable\n");
        fake_tree(root, "hotplug", "online_kernel", "online", "Normal");

        CHECK(sd_event_new(&e) >= 0);
        CHECK_EQ_INT(manager_new(e, &(ManagerConfig) {
                                        .sysfs_root = root,
                                        .policy_dirs = dirs,
                                        .state_dir = root,
                                        .metrics_file = prom,
                                        .nfd_file = nfd,
                                }, &m), 0);
        CHECK_EQ_INT(manager_startup(m), 0);
        while (queue_length(m->queue) > 0)
                CHECK(sd_event_run(e, 50 * USEC_PER_MSEC) >= 0);
        run_for(e, FLEET_EXPORT_DELAY_USEC + 200 * USEC_PER_MSEC);

        text = slurp(root, "ne/daxhp.prom");
        CHECK(strstr(text, "daxhp_device_state{device=\"dax0.0\",state=\"online_movable\"} 1\n"));
        CHECK(strstr(text, "daxhp_device_state{device=\"dax0.0\",state=\"online_kernel\"} 0\n"));
        CHECK(strstr(text, "daxhp_device_size_bytes{device=\"dax0.0\"} 1073741824\n"));
        CHECK(strstr(text, "daxhp_device_node{device=\"dax0.0\"} 1\n"));
        CHECK(strstr(text, "daxhp_transitions_total{result=\"done\"} 1\n"));
        CHECK(strstr(text, "daxhp_transition_duration_seconds_count 1\n"));
        CHECK(strstr(text, "# TYPE daxhp_transition_duration_seconds histogram\n"));
        CHECK(strstr(text, "daxhp_queue_length 0\n"));
        free(text);
        text = slurp(root, "nfd/features.d/daxhp");
        CHECK(strstr(text, "daxhp-online-movable-bytes.hmem.node1=1073741824"));
        free(text);

        /* Nothing changes: another look at the device rewrites nothing. */
        CHECK(stat(prom, &st1) == 0);
        manager_device_changed(m, manager_get_device(m, "dax0.0"));
        run_for(e, FLEET_EXPORT_DELAY_USEC + 200 * USEC_PER_MSEC);
        CHECK(stat(prom, &st2) == 0);
        CHECK_EQ_INT(st1.st_ino, st2.st_ino);

        manager_free(m);
        sd_event_unref(e);
}

int main(void) {
        char cmd[128];

        CHECK(mkdtemp(root));
        test_escape();
        test_counters();
        test_replace();
        test_render_empty();
        test_manager_writes();
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        CHECK(system(cmd) == 0);
        printf("%u checks passed\n", tests_checks);
        return 0;
}
