/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The manager on a fake sysfs tree, without a bus: policy decides the
 * desired state, a transition runs through the queue and the fake tree,
 * drift is acted on per OnDrift=, runtime overrides come back after a
 * restart, reload picks up new policy.
 */

#include <stdlib.h>

#include "fake-sysfs.h"
#include "manager.h"
#include "override-store.h"

static char root[] = "/tmp/test-manager-XXXXXX";
static char polroot[128], statedir[128];

static void write_policy(const char *state, const char *on_drift) {
        char body[256];

        snprintf(body, sizeof(body), "[Match]\nName=dax0.0\n\n[Policy]\nState=%s\nOnDrift=%s\nTimeoutSec=10s\n",
                 state, on_drift);
        fake_write(polroot, "50-test.conf", body);
}

static void settle(sd_event *e, Manager *m) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 20 * USEC_PER_SEC;

        /* Run until the queue is empty and nothing is pending. */
        do {
                CHECK(now_usec(CLOCK_MONOTONIC) < deadline);
                CHECK(sd_event_run(e, 50 * USEC_PER_MSEC) >= 0);
        } while (queue_length(m->queue) > 0);
        while (sd_event_run(e, 0) > 0)
                ;
}

static Manager *start(sd_event *e) {
        char *dirs[] = { polroot, NULL };
        Manager *m = NULL;

        CHECK_EQ_INT(manager_new(e, &(ManagerConfig) {
                                        .sysfs_root = root,
                                        .policy_dirs = dirs,
                                        .state_dir = statedir,
                                }, &m), 0);
        CHECK_EQ_INT(manager_startup(m), 0);
        return m;
}

int main(void) {
        sd_event *e = NULL;
        Manager *m;
        Device *d;
        char cmd[160];

        CHECK(mkdtemp(root));
        snprintf(polroot, sizeof(polroot), "%s/policy", root);
        snprintf(statedir, sizeof(statedir), "%s/state", root);
        CHECK(mkdir(polroot, 0755) == 0);
        fake_tree(root, "hotplug", "online_kernel", "online", "Normal");
        write_policy("online_movable", "reapply");
        CHECK(sd_event_new(&e) >= 0);

        /* Arrival: policy wants online_movable, the device is online_kernel. */
        m = start(e);
        d = manager_get_device(m, "dax0.0");
        CHECK(d);
        CHECK_EQ_INT(device_desired(d), POLICY_STATE_ONLINE_MOVABLE);
        CHECK(strstr(device_policy_source(d), "50-test.conf"));
        CHECK(manager_atomic_hotplug(m));
        CHECK_STREQ(manager_kernel_interface(m), "hotplug");
        CHECK_EQ_INT(queue_length(m->queue), 1);
        settle(e, m);
        CHECK_STREQ(fake_read(root, DEVDIR "/hotplug"), "online_movable");
        CHECK_STREQ(device_state_string(d), "online_movable");
        CHECK_EQ_INT(d->transition, TRANSITION_IDLE);
        CHECK_STREQ(strempty(d->last_error), "");

        /* Someone offlines it behind our back: reapplied. */
        fake_write(root, DEVDIR "/hotplug", "offline");
        manager_device_event(m, d);
        CHECK_EQ_INT(queue_length(m->queue), 1);
        settle(e, m);
        CHECK_STREQ(fake_read(root, DEVDIR "/hotplug"), "online_movable");

        /* OnDrift=report: recorded, not touched. */
        write_policy("online_movable", "report");
        CHECK_EQ_INT(manager_reload(m, NULL, NULL), 0);
        fake_write(root, DEVDIR "/hotplug", "online_kernel");
        manager_device_event(m, d);
        CHECK_EQ_INT(queue_length(m->queue), 0);
        CHECK_STREQ(device_state_string(d), "online_kernel");

        /* A block's uevent re-reads only the device whose ranges hold it. */
        CHECK(!device_covers_block(d, 31));
        CHECK(device_covers_block(d, 32));
        CHECK(device_covers_block(d, 39));
        CHECK(!device_covers_block(d, 40));
        fake_write(root, DEVDIR "/hotplug", "offline");
        manager_memory_event(m, "memory40");            /* someone else's block */
        manager_memory_event(m, "memory3x");
        manager_memory_event(m, "memory");
        CHECK_STREQ(device_state_string(d), "online_kernel");
        manager_memory_event(m, "memory39");
        CHECK_STREQ(device_state_string(d), "offline");
        fake_write(root, DEVDIR "/hotplug", "online_kernel");
        manager_memory_event(m, "memory32");
        CHECK_STREQ(device_state_string(d), "online_kernel");
        CHECK_EQ_INT(queue_length(m->queue), 0);

        /* Reload with a new state re-plans. */
        write_policy("unplugged", "report");
        CHECK_EQ_INT(manager_reload(m, NULL, NULL), 0);
        settle(e, m);
        CHECK_STREQ(fake_read(root, DEVDIR "/hotplug"), "unplugged");

        /* A runtime override wins over policy and survives a restart. */
        {
                char *id = device_identity(d);

                CHECK(id);
                CHECK_STREQ(id, "/" DEVDIR " size=1073741824 start=0x100000000");
                CHECK_EQ_INT(override_store_save(statedir, "dax0.0", id, POLICY_STATE_ONLINE), 0);
                free(id);
        }
        manager_free(m);
        m = start(e);
        d = manager_get_device(m, "dax0.0");
        CHECK_EQ_INT(device_desired(d), POLICY_STATE_ONLINE);
        CHECK_STREQ(device_policy_source(d), "runtime");
        settle(e, m);
        CHECK_STREQ(fake_read(root, DEVDIR "/hotplug"), "online");

        /* A kernel that refuses (write fails): LastError set, state as it really is. */
        {
                char p[256];

                snprintf(p, sizeof(p), "%s/" DEVDIR "/hotplug", root);
                CHECK(unlink(p) == 0);
                CHECK(mkdir(p, 0755) == 0);     /* unreadable and unwritable: EISDIR */
                d->override = POLICY_STATE_UNPLUGGED;
                CHECK_EQ_INT(manager_apply_device(m, d, NULL), 1);
                settle(e, m);
                CHECK(d->last_error && strlen(d->last_error) > 0);
                CHECK(rmdir(p) == 0);
        }

        /* The device goes away. */
        manager_remove_device(m, "dax0.0");
        CHECK(!manager_get_device(m, "dax0.0"));
        manager_free(m);
        sd_event_unref(e);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
        TESTS_DONE("test-manager");
}
