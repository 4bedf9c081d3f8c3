/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [Match]: every key, globs, negation, reset, node and size ranges, the
 * reason text, shadowing. */

#include "policy-internal.h"
#include "test-util.h"

static char *hmem_props[] = { "DEVTYPE=dax", "ID_VENDOR=acme", "ID_MODEL=big box", NULL };
/* D1: a region interleaved over two memdevs behind two host bridges. */
static char *cxl_memdevs[] = { "mem1", "mem0", NULL };
static char *cxl_serials[] = { "0x1001", "0x1002", NULL };
static char *cxl_bridges[] = { "pci0000:0c", "pci0000:de", NULL };

static const DeviceInfo devices[] = {
        /* D0 */
        { .name = "dax0.0", .path = "/devices/platform/hmem.0/dax0.0", .region = "0", .target_node = 2,
          .size = UINT64_C(16) << 30, .provider = "hmem", .mode = "devdax", .properties = hmem_props },
        /* D1 */
        { .name = "dax1.0", .path = "/devices/platform/ACPI0017:00/root0/decoder0.0/region1/dax_region1/dax1.0",
          .region = "1", .target_node = 3, .size = UINT64_C(64) << 30, .provider = "cxl", .mode = "system-ram",
          .cxl_region = "region1", .cxl_root_decoder = "decoder0.0", .cxl_memdevs = cxl_memdevs,
          .cxl_serials = cxl_serials, .cxl_host_bridges = cxl_bridges },
        /* D2: nothing known */
        { .name = "dax2.0", .target_node = -1, .mode = "unbound" },
};

static PolicyFile *parse_match(const char *match_lines) {
        _cleanup_(policy_file_freep) PolicyFile *f = NULL;
        _cleanup_free_ char *text = NULL;
        Diagnostics d = {};

        ASSERT_TRUE(asprintf(&text, "[Match]\n%s\n[Policy]\nState=devdax\n", match_lines) > 0);
        ASSERT_EQ(policy_file_new("m.conf", &f), 0);
        ASSERT_EQ(policy_file_parse_buffer(f, "m.conf", text, strlen(text), &d), 0);
        ASSERT_EQ(d.n, 0);
        diagnostics_done(&d);
        return TAKE_PTR(f);
}

/* expect: one char per device, '1' matches, '0' does not. */
static const struct {
        const char *match;
        const char *expect;
} match_table[] = {
        { "", "111" },
        { "Name=", "111" },
        /* Name= globs, lists, negation, reset */
        { "Name=dax0.0", "100" },
        { "Name=dax*", "111" },
        { "Name=dax[01].0", "110" },
        { "Name=dax?.0", "111" },
        { "Name=dax0.0 dax1.0", "110" },
        { "Name=!dax0.0", "011" },
        { "Name=!dax0.0 dax1.0", "001" },
        { "Name=dax*\nName=!dax1.0", "101" },
        { "Name=dax0.0\nName=dax2.0", "101" },
        { "Name=dax1.0\nName=", "111" },
        { "Name=dax1.0\nName=\nName=dax0.0", "100" },
        { "Name=\"dax0.0\"", "100" },
        /* Path= */
        { "Path=/devices/platform/hmem*", "100" },
        { "Path=*/dax_region*/*", "010" },
        { "Path=/devices/platform/ACPI0017:00/*", "010" },
        { "Path=!/devices/platform/hmem*", "010" }, /* unknown never matches */
        /* Region= */
        { "Region=1", "010" },
        { "Region=[01]", "110" },
        { "Region=!0", "010" },
        /* Region= also takes a CXL region's name */
        { "Region=region1", "010" },
        { "Region=region*", "010" },
        { "Region=!region1", "100" },
        { "Region=!region0", "110" },
        { "Region=0 region1", "110" },
        /* Memdev=, HostBridge=: any of the region's targets */
        { "Memdev=mem0", "010" },
        { "Memdev=mem[5-9]", "000" },
        { "Memdev=!mem0", "000" },
        { "Memdev=!mem7", "010" },
        { "HostBridge=pci0000:0c", "010" },
        { "HostBridge=pci0000:*", "010" },
        { "HostBridge=!pci0000:de", "000" },
        { "HostBridge=!pci0000:11", "010" },
        /* MemdevSerial=: numbers, hex or decimal */
        { "MemdevSerial=0x1001", "010" },
        { "MemdevSerial=4098", "010" },
        { "MemdevSerial=0X1002", "010" },
        { "MemdevSerial=0x0000000000001002", "010" },
        { "MemdevSerial=5 0x1002", "010" },
        { "MemdevSerial=5", "000" },
        { "MemdevSerial=!4097", "000" },
        { "MemdevSerial=!7", "010" },
        /* RootDecoder= */
        { "RootDecoder=decoder0.0", "010" },
        { "RootDecoder=decoder0.[12]", "000" },
        { "RootDecoder=!decoder0.1", "010" },
        { "Provider=cxl\nRootDecoder=decoder0.*\nMemdevSerial=4097\nHostBridge=pci0000:0c", "010" },
        /* TargetNode= */
        { "TargetNode=2", "100" },
        { "TargetNode=2-3", "110" },
        { "TargetNode=0 3", "010" },
        { "TargetNode=!2", "010" },
        { "TargetNode=0-100", "110" },
        { "TargetNode=!5", "110" },
        { "TargetNode=0-10\nTargetNode=!3", "100" },
        /* Size= */
        { "Size=16G", "100" },
        { "Size=16GiB", "100" },
        { "Size=16384M", "100" },
        { "Size=17179869184", "100" },
        { "Size=4G..32G", "100" },
        { "Size=..16G", "101" },
        { "Size=17G..", "010" },
        { "Size=16G..64G", "110" },
        { "Size=!16G", "011" },
        { "Size=1G 64G", "010" },
        { "Size=0", "001" },
        /* Provider= */
        { "Provider=hmem", "100" },
        { "Provider=cxl pmem", "010" },
        { "Provider=!cxl", "100" },
        { "Provider=*", "110" },
        /* Property=: items ANDed, several assignments ANDed */
        { "Property=DEVTYPE=dax", "100" },
        { "Property=DEVTYPE=dax ID_VENDOR=ac*", "100" },
        { "Property=DEVTYPE=dax ID_VENDOR=foo", "000" },
        { "Property=DEVTYPE=dax\nProperty=ID_VENDOR=foo", "000" },
        { "Property=!ID_VENDOR=foo", "100" },
        { "Property=!ID_VENDOR=acme", "000" },
        { "Property=MISSING=", "000" },
        { "Property=!MISSING=*", "100" },
        { "Property=\"ID_MODEL=big box\"", "100" },
        { "Property=ID_MODEL=big*", "100" },
        { "Property=DEVTYPE=nope\nProperty=", "111" },
        /* Mode= */
        { "Mode=devdax", "100" },
        { "Mode=system-ram", "010" },
        { "Mode=unbound", "001" },
        { "Mode=!devdax", "011" },
        /* keys are ANDed */
        { "Name=dax*\nProvider=hmem", "100" },
        { "Name=dax1.0\nProvider=hmem", "000" },
        { "Provider=cxl\nTargetNode=3\nSize=32G..\nMode=system-ram\nRegion=1", "010" },
};

static void test_match_table(void) {
        for (size_t i = 0; i < ELEMENTSOF(match_table); i++) {
                _cleanup_(policy_file_freep) PolicyFile *f = parse_match(match_table[i].match);

                for (size_t j = 0; j < ELEMENTSOF(devices); j++) {
                        int r = policy_file_test(f, devices + j, NULL);
                        if (r != match_table[i].expect[j] - '0')
                                fprintf(stderr, "case %zu (%s) device %zu\n", i, match_table[i].match, j);
                        ASSERT_EQ(r, match_table[i].expect[j] - '0');
                }
        }
}

static const struct {
        const char *match;
        size_t device;
        int r;
        const char *reason;
} reason_table[] = {
        { "", 0, 1, "empty [Match] matches every device" },
        { "Name=dax0.*\nProvider=hmem", 0, 1, "Name=dax0.* matched \"dax0.0\", Provider=hmem matched \"hmem\"" },
        { "Name=dax0.*\nProvider=hmem", 1, 0, "Name=dax0.* did not match \"dax1.0\"" },
        { "Name=dax*\nProvider=hmem", 1, 0, "Provider=hmem did not match \"cxl\"" },
        { "Name=dax*\nName=!dax1.0", 1, 0, "Name=dax* !dax1.0 did not match \"dax1.0\"" },
        { "Size=4G..32G", 1, 0, "Size=4G..32G did not match \"64G\"" },
        { "Size=4G..32G", 0, 1, "Size=4G..32G matched \"16G\"" },
        { "TargetNode=2-3", 1, 1, "TargetNode=2-3 matched \"3\"" },
        { "TargetNode=2", 2, 0, "TargetNode=2 did not match: TargetNode unknown" },
        { "Path=/devices/*", 2, 0, "Path=/devices/* did not match: Path unknown" },
        { "Property=ID_VENDOR=foo", 0, 0, "Property=ID_VENDOR=foo did not match: ID_VENDOR=\"acme\"" },
        { "Property=ID_X=foo", 0, 0, "Property=ID_X=foo did not match: ID_X unset" },
        { "Property=!ID_VENDOR=acme", 0, 0, "Property=!ID_VENDOR=acme did not match: ID_VENDOR=\"acme\"" },
        { "Property=DEVTYPE=dax", 0, 1, "Property=DEVTYPE=dax matched" },
        { "Property=DEVTYPE=dax", 1, 0, "Property=DEVTYPE=dax did not match: properties unknown" },
        { "Mode=devdax", 2, 0, "Mode=devdax did not match \"unbound\"" },
        { "Region=region1", 1, 1, "Region=region1 matched \"1, region1\"" },
        { "Region=region1", 0, 0, "Region=region1 did not match \"0\"" },
        { "MemdevSerial=4097", 1, 1, "MemdevSerial=4097 matched \"0x1001, 0x1002\"" },
        { "MemdevSerial=4097", 0, 0, "MemdevSerial=4097 did not match: MemdevSerial unknown" },
        { "HostBridge=pci0000:de", 1, 1, "HostBridge=pci0000:de matched \"pci0000:0c, pci0000:de\"" },
        { "Memdev=mem9", 1, 0, "Memdev=mem9 did not match \"mem1, mem0\"" },
        { "RootDecoder=decoder0.1", 1, 0, "RootDecoder=decoder0.1 did not match \"decoder0.0\"" },
};

static void test_reasons(void) {
        for (size_t i = 0; i < ELEMENTSOF(reason_table); i++) {
                _cleanup_(policy_file_freep) PolicyFile *f = parse_match(reason_table[i].match);
                _cleanup_free_ char *reason = NULL;

                ASSERT_EQ(policy_file_test(f, devices + reason_table[i].device, &reason), reason_table[i].r);
                ASSERT_STREQ(reason, reason_table[i].reason);
        }
}

static void test_format_match(void) {
        static const struct {
                const char *match, *formatted;
        } table[] = {
                { "", "" },
                { "Name=a b\nName=!c", "Name=a b\nName=!c\n" },
                { "Name=!c\nName=a", "Name=a\nName=!c\n" },
                { "Size=4G..\nTargetNode=1-2 4", "TargetNode=1-2 4\nSize=4G..\n" },
                { "Property=A=1 B=2\nProperty=!C=3\nMode=devdax", "Property=A=1 B=2\nProperty=!C=3\nMode=devdax\n" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                _cleanup_(policy_file_freep) PolicyFile *f = parse_match(table[i].match);
                _cleanup_free_ char *s = NULL;

                ASSERT_EQ(policy_file_format_match(f, &s), 0);
                ASSERT_STREQ(s, table[i].formatted);
                ASSERT_EQ(policy_file_matches_all(f), isempty(table[i].match));
        }
}

static const struct {
        const char *earlier, *later;
        bool shadows;
} shadow_table[] = {
        { "", "Name=dax0.0", true },
        { "", "", true },
        { "Name=dax0.0", "", false },
        { "Name=dax0.0", "Name=dax0.0", true },
        { "Name=dax0.0", "Name=dax0.0\nProvider=cxl", true },
        { "Name=dax0.0 dax1.0", "Name=dax1.0 dax0.0", true },
        { "Name=dax0.0", "Name=dax1.0", false },
        { "Name=dax0.0\nProvider=cxl", "Name=dax0.0", false },
        { "Size=4G", "Size=4096M", true },
        { "Size=4G..", "Size=4G", false },
        { "Property=A=1", "Property=A=1 B=2", true },
        { "Property=A=1 B=2", "Property=A=1", false },
        { "Name=!dax0.0", "Name=dax0.0", false },
};

static void test_shadows(void) {
        for (size_t i = 0; i < ELEMENTSOF(shadow_table); i++) {
                _cleanup_(policy_file_freep) PolicyFile *e = parse_match(shadow_table[i].earlier);
                _cleanup_(policy_file_freep) PolicyFile *l = parse_match(shadow_table[i].later);

                ASSERT_EQ(policy_file_shadows(e, l), shadow_table[i].shadows);
        }
}

int main(void) {
        test_match_table();
        test_reasons();
        test_format_match();
        test_shadows();
        TEST_DONE("test-policy-match");
}
