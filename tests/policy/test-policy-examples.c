/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The shipped examples load cleanly and do what their comments say, and the
 * man page documents every key the parser knows.
 *
 *   test-policy-examples EXAMPLES-DIR MAN-PAGE */

#include "policy-internal.h"
#include "test-util.h"

static const DeviceInfo cxl = { .name = "dax1.0", .target_node = 3, .size = UINT64_C(64) << 30,
                                .provider = "cxl", .mode = "unbound", .region = "1" };
static const DeviceInfo hbm = { .name = "dax0.0", .target_node = 2, .size = UINT64_C(16) << 30,
                                .provider = "hmem", .mode = "devdax", .region = "0" };
static const DeviceInfo pmem = { .name = "dax2.0", .target_node = 1, .size = UINT64_C(8) << 30,
                                 .provider = "pmem", .mode = "devdax", .region = "2" };
static const DeviceInfo small_pmem = { .name = "dax4.0", .target_node = 1, .size = UINT64_C(1) << 30,
                                       .provider = "pmem", .mode = "devdax", .region = "4" };
static char *reserve_serials[] = { "0x1002", NULL }, *other_serials[] = { "0x1001", NULL };
/* The same expander as cxl lists it, in decimal: 4098 == 0x1002. */
static const DeviceInfo cxl_reserve = { .name = "dax5.0", .target_node = 4, .size = UINT64_C(1) << 30,
                                        .provider = "cxl", .mode = "system-ram", .region = "5",
                                        .cxl_region = "region5", .cxl_serials = reserve_serials };
static const DeviceInfo cxl_other = { .name = "dax6.0", .target_node = 5, .size = UINT64_C(1) << 30,
                                      .provider = "cxl", .mode = "system-ram", .region = "6",
                                      .cxl_region = "region6", .cxl_serials = other_serials };
static const DeviceInfo dax3 = { .name = "dax3.0", .target_node = 3, .size = UINT64_C(64) << 30,
                                 .provider = "cxl", .mode = "devdax", .region = "3" };

static PolicyState decide(const PolicySet *s, const DeviceInfo *d) {
        PolicyMatch m = {};
        PolicyState st;

        if (policy_set_match(s, d, &m) <= 0)
                return _POLICY_STATE_INVALID;
        st = policy_file_policy(m.file)->state;
        policy_match_done(&m);
        return st;
}

static void test_examples(const char *dir) {
        const char *dirs[] = { dir, NULL };
        PolicySet *s = NULL;

        ASSERT_EQ(policy_set_load(dirs, &s), 0);
        ASSERT_EQ(policy_set_n_diagnostics(s), 0);
        ASSERT_EQ(policy_set_n_files(s), 5);
        ASSERT_EQ(decide(s, &cxl), POLICY_STATE_ONLINE_MOVABLE);
        ASSERT_EQ(decide(s, &cxl_reserve), POLICY_STATE_UNPLUGGED);
        ASSERT_EQ(decide(s, &cxl_other), POLICY_STATE_ONLINE_MOVABLE);
        ASSERT_EQ(decide(s, &hbm), POLICY_STATE_ONLINE_KERNEL);
        ASSERT_EQ(decide(s, &pmem), POLICY_STATE_DEVDAX);
        ASSERT_EQ(decide(s, &small_pmem), _POLICY_STATE_INVALID);
        ASSERT_EQ(decide(s, &dax3), POLICY_STATE_IGNORE);
        policy_set_free(s);
}

static void test_site_override(const char *dir) {
        _cleanup_free_ char *etc = NULL, *usr = NULL;
        PolicySet *s = NULL;

        ASSERT_TRUE(asprintf(&etc, "%s/site-override/etc/daxhp.d", dir) > 0);
        ASSERT_TRUE(asprintf(&usr, "%s/site-override/usr/lib/daxhp.d", dir) > 0);
        const char *dirs[] = { etc, usr, NULL };

        /* The vendor's catch-all alone decides everything... */
        const char *vendor_only[] = { usr, NULL };
        ASSERT_EQ(policy_set_load(vendor_only, &s), 0);
        ASSERT_EQ(decide(s, &pmem), POLICY_STATE_ONLINE_MOVABLE);
        ASSERT_EQ(policy_set_n_diagnostics(s), 1); /* 50-cxl-expanders.conf is shadowed */
        policy_set_free(s);

        /* ...until the site masks it and tunes the CXL file with a drop-in. */
        ASSERT_EQ(policy_set_load(dirs, &s), 0);
        ASSERT_EQ(policy_set_n_diagnostics(s), 0);
        ASSERT_EQ(policy_set_n_files(s), 1);
        const PolicyFile *f = policy_set_file(s, 0);
        ASSERT_STREQ(policy_file_name(f), "50-cxl-expanders.conf");
        ASSERT_EQ(policy_file_n_dropins(f), 1);
        ASSERT_EQ(policy_file_policy(f)->timeout_usec, 300 * USEC_PER_SEC);
        ASSERT_EQ(policy_file_policy(f)->on_drift, POLICY_ON_DRIFT_REPORT);
        ASSERT_EQ(policy_file_policy(f)->retries, 2);
        ASSERT_EQ(decide(s, &pmem), _POLICY_STATE_INVALID);
        ASSERT_EQ(decide(s, &cxl), POLICY_STATE_ONLINE_MOVABLE);
        policy_set_free(s);
}

static void test_man_page(const char *path) {
        static const char * const keys[] = {
                "Name=", "Path=", "Region=", "TargetNode=", "Size=", "Provider=", "Property=", "Mode=",
                "MemdevSerial=", "Memdev=", "HostBridge=", "RootDecoder=",
                "State=", "MemmapOnMemory=", "OnDrift=", "TimeoutSec=", "Retries=", "RetryDelaySec=",
                "MaxMovablePercent=",
        };
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *text = NULL;
        size_t n = 0;

        ASSERT_TRUE(f);
        ASSERT_TRUE(getdelim(&text, &n, '\0', f) > 0);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char needle[64];

                snprintf(needle, sizeof(needle), "\n.B %s\n", keys[i]);
                ASSERT_CONTAINS(text, needle);
        }
        for (PolicyState s = 0; s < _POLICY_STATE_MAX; s++) {
                char needle[64];

                snprintf(needle, sizeof(needle), "\n.B %s\n", policy_state_to_string(s));
                ASSERT_CONTAINS(text, needle);
        }
        free(text);
}

int main(int argc, char *argv[]) {
        ASSERT_EQ(argc, 3);
        test_examples(argv[1]);
        test_site_override(argv[1]);
        test_man_page(argv[2]);
        TEST_DONE("test-policy-examples");
}
