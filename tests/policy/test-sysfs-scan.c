/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* dax_scan_sysfs() over a fixture sysfs tree made at runtime, and the
 * daxhpctl verbs verify/explain/plan run offline against it. */

#include <limits.h>

#include "daxhpctl-policy.h"
#include "policy-internal.h"
#include "sysfs-scan.h"
#include "test-util.h"

#define G(n) (UINT64_C(n) << 30)

static void make_device(const char *root, const char *devpath, const char *size, const char *node,
                        const char *driver) {
        char rel[512], target[512];
        const char *name = path_basename(devpath);
        int depth = 0;

        snprintf(rel, sizeof(rel), "%s/size", devpath + 1);
        free(test_write(root, rel, size));
        if (node) {
                snprintf(rel, sizeof(rel), "%s/target_node", devpath + 1);
                free(test_write(root, rel, node));
        }
        snprintf(rel, sizeof(rel), "%s/uevent", devpath + 1);
        free(test_write(root, rel, "MAJOR=252\nMINOR=0\nDEVNAME=dax\nDEVTYPE=dax_device\n"));

        for (const char *p = devpath; *p; p++)
                depth += *p == '/';
        if (driver) {
                /* <devpath>/driver -> ../../..(depth)/bus/dax/drivers/<driver> */
                size_t n = 0;
                for (int i = 0; i < depth; i++)
                        n += (size_t) snprintf(target + n, sizeof(target) - n, "../");
                snprintf(target + n, sizeof(target) - n, "bus/dax/drivers/%s", driver);
                snprintf(rel, sizeof(rel), "%s/driver", devpath + 1);
                test_symlink(root, rel, target);
        }

        snprintf(rel, sizeof(rel), "bus/dax/devices/%s", name);
        snprintf(target, sizeof(target), "../../..%s", devpath);
        test_symlink(root, rel, target);
}

/* region2 of the CXL device above: interleaved over mem1 (host bridge
 * pci0000:0c) and mem0 (pci0000:de), as QEMU's two pxb-cxl bridges give. */
static void make_cxl_region(const char *root) {
        static const struct {
                const char *decoder, *endpoint, *memdev, *serial;
        } t[] = {
                { "decoder3.0", "port2/endpoint3", "pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem1", "0x1001\n" },
                { "decoder4.0", "port1/endpoint4", "pci0000:de/0000:de:00.0/0000:df:00.0/mem0", "0x1002\n" },
        };
        const char *region = "devices/platform/ACPI0017:00/root0/decoder0.0/region2";
        char rel[512], target[512];

        snprintf(rel, sizeof(rel), "%s/interleave_ways", region);
        free(test_write(root, rel, "2\n"));
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                snprintf(rel, sizeof(rel), "%s/target%zu", region, i);
                snprintf(target, sizeof(target), "%s\n", t[i].decoder);
                free(test_write(root, rel, target));
                /* the endpoint decoder, its port's uport link, the memdev's serial */
                snprintf(rel, sizeof(rel), "devices/platform/ACPI0017:00/root0/%s/%s/devtype", t[i].endpoint,
                         t[i].decoder);
                free(test_write(root, rel, "cxl_decoder_endpoint\n"));
                snprintf(rel, sizeof(rel), "bus/cxl/devices/%s", t[i].decoder);
                snprintf(target, sizeof(target), "../../../devices/platform/ACPI0017:00/root0/%s/%s", t[i].endpoint,
                         t[i].decoder);
                test_symlink(root, rel, target);
                snprintf(rel, sizeof(rel), "devices/platform/ACPI0017:00/root0/%s/uport", t[i].endpoint);
                snprintf(target, sizeof(target), "../../../../../%s", t[i].memdev);
                test_symlink(root, rel, target);
                snprintf(rel, sizeof(rel), "devices/%s/serial", t[i].memdev);
                free(test_write(root, rel, t[i].serial));
        }
}

static char *make_fixture(void) {
        char *root = test_mkdtemp();

        free(test_write(root, "bus/dax/drivers/device_dax", NULL));
        free(test_write(root, "bus/dax/drivers/kmem", NULL));

        /* hmem: soft-reserved HBM, node 2, devdax */
        free(test_write(root, "devices/platform/hmem.0/dax_region/id", "0\n"));
        make_device(root, "/devices/platform/hmem.0/dax0.0", "17179869184\n", "2\n", "device_dax");
        /* pmem through an e820 nvdimm bus, onlined as system-ram */
        free(test_write(root, "devices/platform/e820_pmem/ndbus0/region1/dax1.0/dax_region/id", "1\n"));
        make_device(root, "/devices/platform/e820_pmem/ndbus0/region1/dax1.0/dax1.0", "8589934592\n", "1\n", "kmem");
        /* CXL region, unbound */
        free(test_write(root, "devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax_region/id", "2\n"));
        make_device(root, "/devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax2.0",
                    "68719476736\n", "3\n", NULL);
        make_cxl_region(root);
        /* no dax_region/id, no target_node: region from the name */
        make_device(root, "/devices/platform/hmem.10/dax10.0", "1073741824\n", NULL, "device_dax");
        return root;
}

static void test_scan(const char *root) {
        DeviceInfo *devs = NULL;
        size_t n = 0;

        ASSERT_EQ(dax_scan_sysfs(root, &devs, &n), 0);
        ASSERT_EQ(n, 4);

        static const struct {
                const char *name, *path, *region, *provider, *mode;
                int node;
                uint64_t size;
        } expect[] = {
                { "dax0.0", "/devices/platform/hmem.0/dax0.0", "0", "hmem", "devdax", 2, G(16) },
                { "dax1.0", "/devices/platform/e820_pmem/ndbus0/region1/dax1.0/dax1.0", "1", "pmem", "system-ram", 1, G(8) },
                { "dax2.0", "/devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax2.0", "2", "cxl",
                  "unbound", 3, G(64) },
                { "dax10.0", "/devices/platform/hmem.10/dax10.0", "10", "hmem", "devdax", -1, G(1) },
        };
        for (size_t i = 0; i < n; i++) {
                ASSERT_STREQ(devs[i].name, expect[i].name);
                ASSERT_STREQ(devs[i].path, expect[i].path);
                ASSERT_STREQ(devs[i].region, expect[i].region);
                ASSERT_STREQ(devs[i].provider, expect[i].provider);
                ASSERT_STREQ(devs[i].mode, expect[i].mode);
                ASSERT_EQ(devs[i].target_node, expect[i].node);
                ASSERT_EQ(devs[i].size, expect[i].size);
                ASSERT_STREQ(strv_find_prefix_value(devs[i].properties, "DEVTYPE"), "dax_device");
        }
        /* CXL identity: only the CXL device has one */
        for (size_t i = 0; i < n; i++) {
                if (!streq(devs[i].name, "dax2.0")) {
                        ASSERT_TRUE(!devs[i].cxl_region && !devs[i].cxl_root_decoder && !devs[i].cxl_memdevs &&
                                    !devs[i].cxl_serials && !devs[i].cxl_host_bridges);
                        continue;
                }
                ASSERT_STREQ(devs[i].cxl_region, "region2");
                ASSERT_STREQ(devs[i].cxl_root_decoder, "decoder0.0");
                ASSERT_EQ(strv_length(devs[i].cxl_memdevs), 2);
                ASSERT_STREQ(devs[i].cxl_memdevs[0], "mem1");
                ASSERT_STREQ(devs[i].cxl_memdevs[1], "mem0");
                ASSERT_EQ(strv_length(devs[i].cxl_serials), 2);
                ASSERT_STREQ(devs[i].cxl_serials[0], "0x1001");
                ASSERT_STREQ(devs[i].cxl_serials[1], "0x1002");
                ASSERT_EQ(strv_length(devs[i].cxl_host_bridges), 2);
                ASSERT_STREQ(devs[i].cxl_host_bridges[0], "pci0000:0c");
                ASSERT_STREQ(devs[i].cxl_host_bridges[1], "pci0000:de");
        }
        dax_scan_free(devs, n);

        DeviceInfo d;
        ASSERT_EQ(dax_scan_device(root, "/dev/dax2.0", &d), 0);
        ASSERT_STREQ(d.name, "dax2.0");
        dax_device_info_done(&d);
        ASSERT_EQ(dax_scan_device(root, "dax9.9", &d), -ENODEV);
        ASSERT_EQ(dax_scan_device(root, "../x", &d), -EINVAL);

        /* no dax bus at all: zero devices */
        _cleanup_rm_rf_ char *empty = test_mkdtemp();
        ASSERT_EQ(dax_scan_sysfs(empty, &devs, &n), 0);
        ASSERT_EQ(n, 0);
        dax_scan_free(devs, n);
}

static char *make_policies(void) {
        char *dir = test_mkdtemp();

        free(test_write(dir, "10-ignore-dax10.conf", "[Match]\nName=dax10.0\n[Policy]\nState=ignore\n"));
        free(test_write(dir, "50-cxl.conf", "[Match]\nProvider=cxl\n[Policy]\nState=online_movable\nTimeoutSec=2min\n"));
        free(test_write(dir, "60-hbm.conf",
                        "[Match]\nProvider=hmem\nTargetNode=2-3\n[Policy]\nState=online_kernel\nOnDrift=report\n"));
        free(test_write(dir, "70-pmem.conf", "[Match]\nProvider=pmem\nSize=4G..\n[Policy]\nState=devdax\n"));
        return dir;
}

typedef int (*verb_t)(int argc, char *argv[], bool json);

static char *run(verb_t verb, int *ret, bool json, char **argv) {
        char *out = NULL;
        int argc = 0;

        while (argv[argc])
                argc++;
        TEST_CAPTURE(out, *ret = verb(argc, argv, json));
        return out;
}

static void test_explain_plan(const char *root, const char *pdir) {
        _cleanup_free_ char *out = NULL, *out2 = NULL, *out3 = NULL, *out4 = NULL, *exp = NULL;
        int r;

        out = run(verb_explain, &r, false,
                  (char *[]) { "explain", "--root", (char *) root, "--policy-dir", (char *) pdir, "dax0.0", NULL });
        ASSERT_EQ(r, 0);
        ASSERT_TRUE(asprintf(&exp,
                             "Device:   dax0.0\n"
                             "  Path:     /devices/platform/hmem.0/dax0.0\n"
                             "  Region:   0\n"
                             "  Provider: hmem\n"
                             "  Node:     2\n"
                             "  Size:     16G (17179869184 bytes)\n"
                             "  Mode:     devdax\n"
                             "Files, in match order:\n"
                             "  skip  %1$s/10-ignore-dax10.conf\n"
                             "    Name=dax10.0 did not match \"dax0.0\"\n"
                             "  skip  %1$s/50-cxl.conf\n"
                             "    Provider=cxl did not match \"hmem\"\n"
                             "  MATCH %1$s/60-hbm.conf\n"
                             "    TargetNode=2-3 matched \"2\", Provider=hmem matched \"hmem\"\n"
                             "Decided by: %1$s/60-hbm.conf\n"
                             "  State=online_kernel\n"
                             "  MemmapOnMemory=(kernel default)\n"
                             "  OnDrift=report\n"
                             "  TimeoutSec=1min\n"
                             "  Retries=0\n"
                             "  RetryDelaySec=1s\n"
                             "Action:   bind kmem, online the memory as online_kernel\n", pdir) > 0);
        ASSERT_STREQ(out, exp);

        out2 = run(verb_explain, &r, true,
                   (char *[]) { "explain", "--root", (char *) root, "--policy-dir", (char *) pdir, "/sys/bus/dax/devices/dax1.0", NULL });
        ASSERT_EQ(r, 0);
        ASSERT_CONTAINS(out2, "{\"Device\":{\"Name\":\"dax1.0\",");
        ASSERT_CONTAINS(out2, "\"Provider\":\"pmem\",\"Mode\":\"system-ram\"}");
        ASSERT_CONTAINS(out2, "70-pmem.conf\",\"Matches\":true,\"Reason\":\"Size=4G.. matched \\\"8G\\\", Provider=pmem matched \\\"pmem\\\"\"}]");
        ASSERT_CONTAINS(out2, "\"Policy\":{\"State\":\"devdax\",\"MemmapOnMemory\":null,\"OnDrift\":\"reapply\",\"TimeoutUSec\":60000000,\"Retries\":0,\"RetryDelayUSec\":1000000}");
        ASSERT_CONTAINS(out2, "\"Action\":\"offline the memory, rebind to device_dax\"}\n");

        /* A CXL region's device: its identity, and a MemdevSerial= match in decimal. */
        _cleanup_rm_rf_ char *cxl_pdir = test_mkdtemp();
        free(test_write(cxl_pdir, "40-cxl-reserve.conf",
                        "[Match]\nProvider=cxl\nMemdevSerial=4098\n[Policy]\nState=unplugged\n"));
        _cleanup_free_ char *out5 = run(verb_explain, &r, false,
                                        (char *[]) { "explain", "--root", (char *) root, "--policy-dir", cxl_pdir,
                                                     "dax2.0", NULL });
        ASSERT_EQ(r, 0);
        ASSERT_CONTAINS(out5, "  Mode:     unbound\n"
                              "  CXL region:       region2 (root decoder decoder0.0)\n"
                              "  CXL memdevs:      mem1 mem0\n"
                              "  CXL serials:      0x1001 0x1002\n"
                              "  CXL host bridges: pci0000:0c pci0000:de\n");
        ASSERT_CONTAINS(out5, "/40-cxl-reserve.conf\n"
                              "    Provider=cxl matched \"cxl\", MemdevSerial=4098 matched \"0x1001, 0x1002\"\n");
        ASSERT_CONTAINS(out5, "  State=unplugged\n");
        _cleanup_free_ char *out6 = run(verb_explain, &r, true,
                                        (char *[]) { "explain", "--root", (char *) root, "--policy-dir", cxl_pdir,
                                                     "dax2.0", NULL });
        ASSERT_EQ(r, 0);
        ASSERT_CONTAINS(out6, "\"Mode\":\"unbound\",\"Cxl\":{\"Region\":\"region2\",\"RootDecoder\":\"decoder0.0\","
                              "\"Memdevs\":[\"mem1\",\"mem0\"],\"Serials\":[\"0x1001\",\"0x1002\"],"
                              "\"HostBridges\":[\"pci0000:0c\",\"pci0000:de\"]}}");

        free(run(verb_explain, &r, false, (char *[]) { "explain", "--root", (char *) root, "dax7.7", NULL }));
        ASSERT_EQ(r, 1);

        out3 = run(verb_plan, &r, false, (char *[]) { "plan", "--root", (char *) root, "--policy-dir", (char *) pdir, NULL });
        ASSERT_EQ(r, 0);
        ASSERT_STREQ(out3,
                     "DEVICE     PROVIDER NODE SIZE    MODE       STATE          FILE                     ACTION\n"
                     "dax0.0     hmem     2    16G     devdax     online_kernel  60-hbm.conf              bind kmem, online the memory as online_kernel\n"
                     "dax1.0     pmem     1    8G      system-ram devdax         70-pmem.conf             offline the memory, rebind to device_dax\n"
                     "dax2.0     cxl      3    64G     unbound    online_movable 50-cxl.conf              bind kmem, online the memory as online_movable\n"
                     "dax10.0    hmem     -    1G      devdax     ignore         10-ignore-dax10.conf     none (ignored)\n");

        out4 = run(verb_plan, &r, true, (char *[]) { "plan", "--json", "--root", (char *) root, "--policy-dir", (char *) pdir, NULL });
        ASSERT_EQ(r, 0);
        ASSERT_TRUE(out4[0] == '[');
        ASSERT_CONTAINS(out4, "\"Action\":\"none (ignored)\"}]\n");
}

static void test_verify(const char *pdir) {
        _cleanup_rm_rf_ char *bad = test_mkdtemp();
        _cleanup_free_ char *out = NULL, *out2 = NULL, *exp = NULL, *out3 = NULL;
        int r;

        out = run(verb_verify, &r, false, (char *[]) { "verify", (char *) pdir, NULL });
        ASSERT_EQ(r, 0);
        ASSERT_STREQ(out, "4 files accepted, 0 rejected, 0 errors, 0 warnings.\n");

        free(test_write(bad, "10-all.conf", "[Match]\n[Policy]\nState=devdax\n"));
        free(test_write(bad, "20-bad.conf", "[Match]\nName=dax0.0\nSize=huge\n[Policy]\nState=devdax\n"));
        free(test_write(bad, "30-late.conf", "[Match]\nName=dax1.0\n[Policy]\nState=ignore\n"));
        out2 = run(verb_verify, &r, false, (char *[]) { "verify", bad, NULL });
        ASSERT_EQ(r, 1);
        ASSERT_TRUE(asprintf(&exp,
                             "%1$s/20-bad.conf:3: Invalid Size= value 'huge': expected a size or a range like 4G, 4G..64G or ..1T\n"
                             "%1$s/30-late.conf: warning: Never matches: earlier file %1$s/10-all.conf has an empty [Match] and decides every device\n"
                             "2 files accepted, 1 rejected, 1 error, 1 warning.\n", bad) > 0);
        ASSERT_STREQ(out2, exp);

        out3 = run(verb_verify, &r, true, (char *[]) { "verify", bad, "--json", NULL });
        ASSERT_EQ(r, 1);
        ASSERT_CONTAINS(out3, "\"Rejected\":1,\"Errors\":1,\"Warnings\":1,\"Diagnostics\":[{\"Level\":\"error\",");
        ASSERT_CONTAINS(out3, "\"Line\":3,\"Message\":\"Invalid Size= value 'huge'");
}

/* sysfs_link_target() of root/rel: want is its result, or NULL for -errno wanted_errno. */
static void check_link_target(const char *root, const char *rel, const char *want, int wanted_errno) {
        _cleanup_free_ char *p = strdup_printf("%s/%s", root, rel);
        char *link = NULL;

        if (!want) {
                ASSERT_EQ(sysfs_link_target(p, &link), -wanted_errno);
                return;
        }
        ASSERT_EQ(sysfs_link_target(p, &link), 0);
        ASSERT_STREQ(link, want);
        free(link);
}

/* sysfs_link_target() against realpath() where both apply, and its own cases. */
static void test_link_target(void) {
        _cleanup_rm_rf_ char *root = test_mkdtemp();
        _cleanup_free_ char *dev = NULL, *odd = NULL;
        char real_root[PATH_MAX], *link = NULL;

        ASSERT_TRUE(realpath(root, real_root) != NULL);
        free(test_write(real_root, "devices/platform/hmem.0/dax0.0/size", "1\n"));
        test_symlink(real_root, "bus/dax/devices/dax0.0", "../../../devices/platform/hmem.0/dax0.0");
        test_symlink(real_root, "a/b/odd", "..//./devices/../devices/platform/");
        test_symlink(real_root, "a/abs", "/x/y/../z/");
        test_symlink(real_root, "a/above", "/../..");

        link = strdup_printf("%s/bus/dax/devices/dax0.0", real_root);
        dev = realpath(link, NULL);
        link = mfree_str(link);
        ASSERT_TRUE(dev != NULL);
        odd = strdup_printf("%s/a/devices/platform", real_root);
        check_link_target(real_root, "bus/dax/devices/dax0.0", dev, 0);
        check_link_target(real_root, "a/b/odd", odd, 0);
        check_link_target(real_root, "a/abs", "/x/z", 0);
        check_link_target(real_root, "a/above", "/", 0);
        check_link_target(real_root, "devices", NULL, EINVAL);               /* a directory, not a link */
        check_link_target(real_root, "bus/dax/devices/dax9.9", NULL, ENOENT);
        ASSERT_EQ(sysfs_link_target("bus/dax/devices/dax0.0", &link), -EINVAL); /* relative */
}

int main(void) {
        _cleanup_rm_rf_ char *root = make_fixture();
        _cleanup_rm_rf_ char *pdir = make_policies();

        test_link_target();
        test_scan(root);
        test_explain_plan(root, pdir);
        test_verify(pdir);
        TEST_DONE("test-sysfs-scan");
}
