/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Runtime overrides survive a daemon restart: save, load, remove, bad input;
 * identity (a reused name is another device); files that are not ours
 * (symlinks, huge files, foreign contents) are dropped unread.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-sysfs.h"
#include "override-store.h"

#define ID "/devices/platform/hmem.0/dax0.0 size=1073741824 start=0x100000000"

static void test_identity(const char *dir) {
        PolicyState s;

        CHECK_EQ_INT(override_store_save(dir, "dax3.0", ID, POLICY_STATE_UNPLUGGED), 0);
        /* Same name, other memory: not obeyed, and gone for good. */
        CHECK_EQ_INT(override_store_load(dir, "dax3.0", ID "0", &s), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax3.0", ID, &s), 0);
        CHECK_EQ_INT(override_store_save(dir, "dax3.0", ID, POLICY_STATE_UNPLUGGED), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax3.0", ID, &s), 1);
        CHECK_EQ_INT(s, POLICY_STATE_UNPLUGGED);
        /* A file without identity (an older daemon's) names no device. */
        fake_write(dir, "overrides/dax4.0", "online");
        CHECK_EQ_INT(override_store_load(dir, "dax4.0", ID, &s), 0);
}

static void test_not_ours(const char *dir) {
        char p[256], q[256];
        PolicyState s;
        int fd;

        /* A symlink planted in the store is neither read nor written through. */
        snprintf(p, sizeof(p), "%s/secret", dir);
        fake_write(dir, "secret", "online_movable\nidentity=" ID);
        snprintf(q, sizeof(q), "%s/overrides/dax5.0", dir);
        CHECK(symlink(p, q) == 0);
        CHECK_EQ_INT(override_store_load(dir, "dax5.0", ID, &s), 0);
        snprintf(q, sizeof(q), "%s/overrides/.dax5.0.tmp", dir);
        CHECK(symlink(p, q) == 0);
        CHECK_EQ_INT(override_store_save(dir, "dax5.0", ID, POLICY_STATE_DEVDAX), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax5.0", ID, &s), 1);
        CHECK_EQ_INT(s, POLICY_STATE_DEVDAX);
        /* the symlink's target is untouched */
        CHECK_STREQ(fake_read(dir, "secret"), "online_movable");

        /* A 200 MiB file is not read (sparse: costs nothing here). */
        snprintf(q, sizeof(q), "%s/overrides/dax6.0", dir);
        fd = open(q, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        CHECK(write(fd, "online\n", 7) == 7);
        CHECK(ftruncate(fd, 200 << 20) == 0);
        close(fd);
        CHECK_EQ_INT(override_store_load(dir, "dax6.0", ID, &s), 0);
        CHECK(access(q, F_OK) < 0);

        /* A directory or fifo where the file should be */
        snprintf(q, sizeof(q), "%s/overrides/dax7.0", dir);
        CHECK(mkfifo(q, 0644) == 0);
        CHECK_EQ_INT(override_store_load(dir, "dax7.0", ID, &s), 0);

        /* Names that would leave the directory, or are absurd. */
        CHECK_EQ_INT(override_store_load(dir, "../x", ID, &s), -EINVAL);
        CHECK_EQ_INT(override_store_save(dir, "dax0.0", "a\nb", POLICY_STATE_ONLINE), -EINVAL);
}

int main(void) {
        char dir[] = "/tmp/test-override-XXXXXX", cmd[128];
        PolicyState s;

        CHECK(mkdtemp(dir));
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", ID, &s), 0);
        CHECK_EQ_INT(override_store_save(dir, "dax0.0", ID, POLICY_STATE_ONLINE_MOVABLE), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", ID, &s), 1);
        CHECK_EQ_INT(s, POLICY_STATE_ONLINE_MOVABLE);
        CHECK_EQ_INT(override_store_save(dir, "dax0.0", ID, POLICY_STATE_DEVDAX), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", ID, &s), 1);
        CHECK_EQ_INT(s, POLICY_STATE_DEVDAX);
        CHECK_EQ_INT(override_store_remove(dir, "dax0.0"), 1);
        CHECK_EQ_INT(override_store_remove(dir, "dax0.0"), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", ID, &s), 0);

        CHECK_EQ_INT(override_store_save(dir, "../etc", ID, POLICY_STATE_ONLINE), -EINVAL);
        CHECK_EQ_INT(override_store_save(dir, "dax0.0", ID, _POLICY_STATE_INVALID), -EINVAL);

        /* Garbage is dropped, not obeyed. */
        fake_write(dir, "overrides/dax1.0", "offline\nidentity=" ID);
        CHECK_EQ_INT(override_store_load(dir, "dax1.0", ID, &s), 0);

        test_identity(dir);
        test_not_ours(dir);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
        TESTS_DONE("test-override-store");
}
