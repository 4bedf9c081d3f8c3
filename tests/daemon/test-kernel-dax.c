/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * kernel-dax against a fake sysfs tree: attribute detection, the O_TRUNC
 * write + read-back, and the per-block fallback including its rollback when
 * one block refuses.
 */

#include <stdlib.h>

#include "fake-sysfs.h"
#include "kernel-dax.h"
#include "util.h"

static char root[64];

static void new_root(void) {
        char cmd[128];

        if (root[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
                CHECK(system(cmd) == 0);
        }
        snprintf(root, sizeof(root), "/tmp/test-kdax-XXXXXX");
        CHECK(mkdtemp(root));
}

/* What the kernel's unplug does to the device's blocks 32..39: remove them. */
static void remove_blocks(void) {
        char cmd[160];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'/devices/system/memory/memory3[2-9]", root);
        CHECK(system(cmd) == 0);
}

static void test_detect_and_read(void) {
        DaxStatus s;
        char **names = NULL;

        new_root();
        fake_tree(root, "hotplug", "online_kernel", "online", "Normal");
        CHECK_EQ_INT(kdax_detect_attr(root, "dax0.0"), DAX_ATTR_HOTPLUG);
        CHECK_EQ_INT(kdax_list(root, &names), 0);
        CHECK_STREQ(names[0], "dax0.0");
        CHECK(!names[1]);
        strv_free(names);

        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.mode, DAX_MODE_SYSTEM_RAM);
        CHECK_EQ_INT(s.state, DAX_STATE_ONLINE_KERNEL);
        CHECK_EQ_INT(s.size, 1073741824ULL);
        CHECK_EQ_INT(s.target_node, 1);
        CHECK_STREQ(s.region, "0");
        CHECK_STREQ(s.provider, "hmem");
        CHECK_STREQ(s.syspath, "/" DEVDIR);
        CHECK_EQ_INT(s.n_blocks, 8);
        CHECK_EQ_INT(s.blocks[0], 32);
        CHECK_EQ_INT(s.blocks[7], 39);
        dax_status_done(&s);

        /*
         * Mainline 7.3's `state` is the last value written: after per-block
         * changes behind kmem's back it is stale, and the blocks decide.
         */
        new_root();
        fake_tree(root, "state", "online_movable", "offline", "Normal");
        CHECK_EQ_INT(kdax_detect_attr(root, "dax0.0"), DAX_ATTR_STATE);
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_OFFLINE);
        dax_status_done(&s);
        new_root();
        fake_tree(root, "state", "online_movable", "online", "Normal");
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_ONLINE_KERNEL);
        dax_status_done(&s);
        /* Only "online" (kernel's zone choice) comes from the attribute: blocks cannot show it. */
        new_root();
        fake_tree(root, "state", "online", "online", "Movable");
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_ONLINE);
        dax_status_done(&s);
        /* No blocks: unplugged, whatever the attribute says. */
        new_root();
        fake_tree(root, "state", "online_movable", "online", "Movable");
        remove_blocks();
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_UNPLUGGED);
        dax_status_done(&s);

        new_root();
        fake_tree(root, NULL, NULL, "online", "Movable");
        CHECK_EQ_INT(kdax_detect_attr(root, "dax0.0"), DAX_ATTR_NONE);
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_ONLINE_MOVABLE);        /* aggregated from blocks */
        dax_status_done(&s);

        CHECK_EQ_INT(kdax_read(root, "dax9.9", &s), -ENOENT);

        /* Bound to device_dax: devdax mode, no state. */
        fake_symlink(root, "../../../../bus/dax/drivers/device_dax", DEVDIR "/driver");
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.mode, DAX_MODE_DEVDAX);
        CHECK_EQ_INT(s.n_blocks, 0);
        dax_status_done(&s);
}

static void test_atomic_write(void) {
        new_root();
        /* A longer old value: without O_TRUNC the file would keep its tail. */
        fake_tree(root, "hotplug", "online_movable", "online", "Movable");
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_UNPLUGGED), 0);
        CHECK_STREQ(fake_read(root, DEVDIR "/hotplug"), "unplugged");
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_ONLINE), 0);
        CHECK_STREQ(fake_read(root, DEVDIR "/hotplug"), "online");
        /* "offline" is not writable through the whole-device ABI. */
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_OFFLINE), -EINVAL);
        /* Blocks are the kernel's business here: untouched. */
        CHECK_STREQ(fake_read(root, "devices/system/memory/memory32/state"), "online");

        /* Read-back disagrees (the write went nowhere): never assume success. */
        char p[256];
        snprintf(p, sizeof(p), "%s/" DEVDIR "/hotplug", root);
        CHECK(unlink(p) == 0);
        CHECK(symlink("/dev/null", p) == 0);
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_UNPLUGGED), -EIO);

        /*
         * The mainline name: the write lands in `state`, but 7.3 echoes what
         * was written, so only the blocks confirm it. Blocks still there: -EIO.
         */
        new_root();
        fake_tree(root, "state", "offline", "offline", "Normal");
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_UNPLUGGED), -EIO);
        CHECK_STREQ(fake_read(root, DEVDIR "/state"), "unplugged");
        /* Blocks gone, as the kernel's unplug leaves them: success. */
        remove_blocks();
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_UNPLUGGED), 0);
}

static void test_per_block(void) {
        char rel[128];

        new_root();
        fake_tree(root, NULL, NULL, "offline", "Normal");
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_ONLINE_MOVABLE), 0);
        for (unsigned b = 32; b < 40; b++) {
                snprintf(rel, sizeof(rel), "devices/system/memory/memory%u/state", b);
                CHECK_STREQ(fake_read(root, rel), "online_movable");
        }
        CHECK_STREQ(fake_read(root, "devices/system/memory/memory40/state"), "online");

        /* Unplug without the attribute: offline every block, then unbind kmem. */
        new_root();
        fake_tree(root, NULL, NULL, "online", "Normal");
        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_UNPLUGGED), 0);
        for (unsigned b = 32; b < 40; b++) {
                snprintf(rel, sizeof(rel), "devices/system/memory/memory%u/state", b);
                CHECK_STREQ(fake_read(root, rel), "offline");
        }
        CHECK_STREQ(fake_read(root, "bus/dax/drivers/kmem/unbind"), "dax0.0");
        CHECK_STREQ(fake_read(root, "devices/system/memory/memory40/state"), "online");
}

static void test_per_block_rollback(void) {
        char rel[128], p[256];

        new_root();
        fake_tree(root, NULL, NULL, "online", "Normal");
        /* memory36 refuses: a directory cannot be written (EISDIR), like a busy block's EBUSY. */
        snprintf(p, sizeof(p), "%s/devices/system/memory/memory36/state", root);
        CHECK(unlink(p) == 0);
        CHECK(mkdir(p, 0755) == 0);

        CHECK_EQ_INT(kdax_set_state(root, "dax0.0", DAX_STATE_UNPLUGGED), -EISDIR);
        /* The four it offlined are back online in their zone; later ones never touched. */
        for (unsigned b = 32; b < 36; b++) {
                snprintf(rel, sizeof(rel), "devices/system/memory/memory%u/state", b);
                CHECK_STREQ(fake_read(root, rel), "online_kernel");
        }
        for (unsigned b = 37; b < 40; b++) {
                snprintf(rel, sizeof(rel), "devices/system/memory/memory%u/state", b);
                CHECK_STREQ(fake_read(root, rel), "online");
        }
        /* Nothing unbound: all or nothing. */
        CHECK_STREQ(fake_read(root, "bus/dax/drivers/kmem/unbind"), "");
}

static void test_bind(void) {
        new_root();
        fake_tree(root, "hotplug", "unplugged", "online", "Normal");
        fake_write(root, DEVDIR "/memmap_on_memory", "0");
        CHECK_EQ_INT(kdax_bind_devdax(root, "dax0.0"), 0);
        CHECK_STREQ(fake_read(root, "bus/dax/drivers/kmem/unbind"), "dax0.0");
        CHECK_STREQ(fake_read(root, "bus/dax/drivers/device_dax/new_id"), "dax0.0");

        fake_symlink(root, "../../../../bus/dax/drivers/device_dax", DEVDIR "/driver");
        CHECK_EQ_INT(kdax_bind_kmem(root, "dax0.0", 1), 0);
        CHECK_STREQ(fake_read(root, DEVDIR "/memmap_on_memory"), "1");
        CHECK_STREQ(fake_read(root, "bus/dax/drivers/device_dax/unbind"), "dax0.0");
        CHECK_STREQ(fake_read(root, "bus/dax/drivers/kmem/new_id"), "dax0.0");
}

/*
 * `hotplug` reading unplugged or an online state speaks for every block: the
 * block files are not read (here they say otherwise, and are ignored). Only
 * "offline" (some block offline) needs them.
 */
static void test_hotplug_read_skips_block_files(void) {
        DaxStatus s;

        new_root();
        fake_tree(root, "hotplug", "online_movable", "offline", "Normal");
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_ONLINE_MOVABLE);
        CHECK_EQ_INT(s.n_blocks, 8);
        for (size_t i = 0; i < s.n_blocks; i++)
                CHECK_EQ_INT(s.online[i], 1);
        dax_status_done(&s);

        /* unplugged: no block, even if a stale directory lingers */
        fake_write(root, DEVDIR "/hotplug", "unplugged");
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_UNPLUGGED);
        CHECK_EQ_INT(s.n_blocks, 0);
        dax_status_done(&s);

        /* offline: each block tells whether it is online */
        fake_write(root, DEVDIR "/hotplug", "offline");
        fake_write(root, "devices/system/memory/memory33/state", "online");
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.state, DAX_STATE_OFFLINE);
        CHECK_EQ_INT(s.n_blocks, 8);
        CHECK_EQ_INT(s.online[0], 0);
        CHECK_EQ_INT(s.online[1], 1);
        CHECK_EQ_INT(s.online[2], 0);
        dax_status_done(&s);
}

/* kmem aligns a range inwards to whole blocks: a partial block at either end is never memory of the device. */
static void test_unaligned_range(void) {
        DaxStatus s;

        new_root();
        fake_tree(root, NULL, NULL, "online", "Movable");
        /* 0x100000000 + 64 MiB .. + 1 GiB + 64 MiB: blocks 33..39 whole, halves of 32 and 40 */
        fake_write(root, DEVDIR "/resource", "0x104000000");
        CHECK_EQ_INT(kdax_read(root, "dax0.0", &s), 0);
        CHECK_EQ_INT(s.n_spans, 1);
        CHECK_EQ_INT(s.spans[0].first, 33);
        CHECK_EQ_INT(s.spans[0].end, 40);
        CHECK_EQ_INT(s.n_blocks, 7);
        CHECK_EQ_INT(s.blocks[0], 33);
        CHECK_EQ_INT(s.blocks[6], 39);
        dax_status_done(&s);
}

int main(void) {
        char cmd[128];

        test_detect_and_read();
        test_hotplug_read_skips_block_files();
        test_unaligned_range();
        test_atomic_write();
        test_per_block();
        test_per_block_rollback();
        test_bind();

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
        TESTS_DONE("test-kernel-dax");
}
