/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Runtime overrides survive a daemon restart: save, load, remove, bad input. */

#include <errno.h>
#include <stdlib.h>

#include "fake-sysfs.h"
#include "override-store.h"

int main(void) {
        char dir[] = "/tmp/test-override-XXXXXX", cmd[128];
        PolicyState s;

        CHECK(mkdtemp(dir));
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", &s), 0);
        CHECK_EQ_INT(override_store_save(dir, "dax0.0", POLICY_STATE_ONLINE_MOVABLE), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", &s), 1);
        CHECK_EQ_INT(s, POLICY_STATE_ONLINE_MOVABLE);
        CHECK_EQ_INT(override_store_save(dir, "dax0.0", POLICY_STATE_DEVDAX), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", &s), 1);
        CHECK_EQ_INT(s, POLICY_STATE_DEVDAX);
        CHECK_EQ_INT(override_store_remove(dir, "dax0.0"), 1);
        CHECK_EQ_INT(override_store_remove(dir, "dax0.0"), 0);
        CHECK_EQ_INT(override_store_load(dir, "dax0.0", &s), 0);

        CHECK_EQ_INT(override_store_save(dir, "../etc", POLICY_STATE_ONLINE), -EINVAL);
        CHECK_EQ_INT(override_store_save(dir, "dax0.0", _POLICY_STATE_INVALID), -EINVAL);

        /* Garbage is dropped, not obeyed. */
        fake_write(dir, "overrides/dax1.0", "offline");
        CHECK_EQ_INT(override_store_load(dir, "dax1.0", &s), 0);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
        TESTS_DONE("test-override-store");
}
