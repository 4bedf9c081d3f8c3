/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The safety side without a kernel: the parsers of meminfo/zoneinfo, the
 * checks' arithmetic and refusals, host settings from a fake sysfs, and
 * competing-agent detection in a fake /etc and /usr/lib.
 */

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents.h"
#include "boot-online.h"
#include "host-settings.h"
#include "safety.h"
#include "tests.h"
#include "util.h"

#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)

static void put(const char *root, const char *rel, const char *text) {
        char path[4096], cmd[4200];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        CHECK(system(cmd) == 0);
        f = fopen(path, "we");
        CHECK(f);
        fputs(text, f);
        fclose(f);
}

static void test_parsers(void) {
        HostMemory m = {};

        CHECK_EQ_INT(host_parse_meminfo("MemTotal:        8000000 kB\nMemFree:         4000000 kB\n"
                                        "MemAvailable:    6000000 kB\nHighMemTotal: 5 kB\n", &m), 0);
        CHECK_EQ_INT(m.total, UINT64_C(8000000) * 1024);
        CHECK_EQ_INT(m.free, UINT64_C(4000000) * 1024);
        CHECK_EQ_INT(m.available, UINT64_C(6000000) * 1024);
        /* A node's meminfo has a "Node N " prefix and no MemAvailable. */
        CHECK_EQ_INT(host_parse_meminfo("Node 1 MemTotal:  1048576 kB\nNode 1 MemFree:   524288 kB\n"
                                        "Node 1 MemUsed:   524288 kB\n", &m), 0);
        CHECK_EQ_INT(m.total, GIB);
        CHECK_EQ_INT(m.available, GIB / 2);
        CHECK_EQ_INT(host_parse_meminfo("garbage\n", &m), -EINVAL);

        CHECK_EQ_INT(host_parse_zoneinfo("Node 0, zone      DMA\n  pages free 3\n        present  1000\n"
                                         "        managed  900\n"
                                         "Node 0, zone   Normal\n        present  262144\n"
                                         "Node 1, zone  Movable\n        present  131072\n"
                                         "Node 1, zone   Normal\n        present  0\n", 4096, &m), 0);
        CHECK_EQ_INT(m.kernel, (UINT64_C(1000) + 262144) * 4096);
        CHECK_EQ_INT(m.movable, UINT64_C(131072) * 4096);
        CHECK_EQ_INT(host_parse_zoneinfo("nothing here\n", 4096, &m), -EINVAL);

        CHECK(host_nodelist_contains("0-2,4", 0));
        CHECK(host_nodelist_contains("0-2,4", 2));
        CHECK(!host_nodelist_contains("0-2,4", 3));
        CHECK(host_nodelist_contains("0-2,4", 4));
        CHECK(!host_nodelist_contains("", 0));
        CHECK(!host_nodelist_contains("x", 0));
}

static void test_memmap(void) {
        HostMemory m = { .total = 8 * GIB, .free = 100 * MIB, .available = 200 * MIB };
        SafetyVerdict v;

        /* 1 GiB needs 16 MiB of struct pages + 64 MiB margin: 80 <= 100. */
        CHECK(safety_check_memmap(&m, GIB, false, &v));
        CHECK_EQ_INT(v.check, SAFETY_OK);
        /* 4 GiB needs 64 + 64 > 100: refused, with the numbers and the setting. */
        CHECK(!safety_check_memmap(&m, 4 * GIB, false, &v));
        CHECK_EQ_INT(v.check, SAFETY_MEMMAP);
        CHECK_EQ_INT(v.need, 64 * MIB);
        CHECK_EQ_INT(v.have, 100 * MIB);
        CHECK(strstr(v.text, "64 MiB of struct pages"));
        CHECK(strstr(v.text, "MemmapOnMemory=yes"));
        CHECK_STREQ(safety_error_name(v.check), "org.daxhp1.Error.InsufficientMemmap");
        /* The same with memmap_on_memory: the pages live on the device. */
        CHECK(safety_check_memmap(&m, 4 * GIB, true, &v));
}

static void test_zone_ratio(void) {
        HostMemory m = { .kernel = 2 * GIB, .movable = 4 * GIB };
        SafetyVerdict v;

        /* 301 % of 2 GiB = 6.02 GiB: 4 + 2 fits, 4 + 3 does not. */
        CHECK(safety_check_zone_ratio(&m, 2 * GIB, 301, &v));
        CHECK(!safety_check_zone_ratio(&m, 3 * GIB, 301, &v));
        CHECK_EQ_INT(v.check, SAFETY_ZONE_RATIO);
        CHECK_EQ_INT(v.need, 7 * GIB);
        CHECK(strstr(v.text, "over the limit of 301 %"));
        CHECK_STREQ(safety_error_name(v.check), "org.daxhp1.Error.ZoneRatioExceeded");
        /* 0: no limit; unknown zones (no zoneinfo): no check. */
        CHECK(safety_check_zone_ratio(&m, 100 * GIB, 0, &v));
        m.kernel = 0;
        CHECK(safety_check_zone_ratio(&m, 100 * GIB, 301, &v));
}

static void test_unplug(void) {
        HostMemory m = { .available = 3 * GIB };
        SafetyVerdict v;

        /* Nothing in use: always fine. */
        CHECK(safety_check_unplug(&m, 0, GIB, &v));
        /* 1 GiB free of it on the device does not count: 2 GiB elsewhere; 1.5 GiB used fits. */
        CHECK(safety_check_unplug(&m, GIB + GIB / 2, GIB, &v));
        CHECK(!safety_check_unplug(&m, 2 * GIB, GIB, &v));
        CHECK_EQ_INT(v.check, SAFETY_UNPLUG);
        CHECK_EQ_INT(v.need, 2 * GIB);
        CHECK_EQ_INT(v.have, 2 * GIB);
        CHECK(strstr(v.text, "2048 MiB in use"));
        CHECK_STREQ(safety_error_name(v.check), "org.daxhp1.Error.MemoryInUse");
}

static void test_host_settings(void) {
        char root[] = "/tmp/test-safety-XXXXXX";
        HostSettings a = {}, b = {};
        char diff[128];

        CHECK(mkdtemp(root));
        /* Nothing there: all unknown, no error. */
        CHECK_EQ_INT(host_settings_read(root, &a), 0);
        CHECK(!a.auto_online_blocks && !a.online_policy && a.auto_movable_ratio == -1);
        CHECK(!host_auto_online(&a));
        CHECK(!host_memmap_on_memory_enabled(&a));

        put(root, "devices/system/memory/auto_online_blocks", "online_kernel\n");
        put(root, "module/memory_hotplug/parameters/online_policy", "contig-zones\n");
        put(root, "module/memory_hotplug/parameters/auto_movable_ratio", "301\n");
        put(root, "module/memory_hotplug/parameters/memmap_on_memory", "Y\n");
        put(root, "kernel/mm/numa/demotion_enabled", "false\n");
        put(root, "devices/virtual/memory_tiering/memory_tier4/nodelist", "0\n");
        put(root, "devices/virtual/memory_tiering/memory_tier22/nodelist", "1-2\n");
        put(root, "devices/system/node/node1/meminfo", "Node 1 MemTotal: 1048576 kB\nNode 1 MemFree: 786432 kB\n");
        CHECK_EQ_INT(host_settings_read(root, &b), 0);
        CHECK_STREQ(b.auto_online_blocks, "online_kernel");
        CHECK_STREQ(b.online_policy, "contig-zones");
        CHECK_EQ_INT(b.auto_movable_ratio, 301);
        CHECK(host_auto_online(&b));
        CHECK(host_memmap_on_memory_enabled(&b));
        CHECK_STREQ(b.demotion_enabled, "false");
        CHECK(host_settings_diff(&a, &b, diff, sizeof(diff)));
        CHECK_STREQ(diff, "auto_online_blocks,online_policy,auto_movable_ratio,memmap_on_memory,demotion_enabled");
        CHECK(!host_settings_diff(&b, &b, diff, sizeof(diff)));

        CHECK_EQ_INT(host_node_memory_tier(root, 0), 4);
        CHECK_EQ_INT(host_node_memory_tier(root, 2), 22);
        CHECK_EQ_INT(host_node_memory_tier(root, 3), -1);
        CHECK_EQ_INT(host_node_memory_tier(root, -1), -1);

        uint64_t total, used;
        CHECK_EQ_INT(host_node_memory(root, 1, &total, &used), 0);
        CHECK_EQ_INT(total, GIB);
        CHECK_EQ_INT(used, GIB / 4);
        CHECK(host_node_memory(root, 7, &total, &used) < 0);

        host_settings_done(&a);
        host_settings_done(&b);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
}

static void test_classify(void) {
        /* RHEL's 40-redhat.rules */
        CHECK_EQ_INT(agents_classify_rule("SUBSYSTEM==\"memory\", ACTION==\"add\", PROGRAM=\"/bin/uname -p\", "
                                          "RESULT!=\"s390*\", ATTR{state}==\"offline\", ATTR{state}=\"online\""),
                     AGENT_UDEV_MEMORY);
        CHECK_EQ_INT(agents_classify_rule("SUBSYSTEM==\"memory\", ACTION==\"add\", ATTR{online}=\"1\""),
                     AGENT_UDEV_MEMORY);
        CHECK_EQ_INT(agents_classify_rule("SUBSYSTEM==\"memory\", ACTION==\"add\", "
                                          "RUN+=\"/bin/sh -c 'echo online > /sys$devpath/state'\""),
                     AGENT_UDEV_MEMORY);
        /* ndctl's 90-daxctl-device.rules */
        CHECK_EQ_INT(agents_classify_rule("ACTION==\"add\", SUBSYSTEM==\"dax\", TAG+=\"systemd\", "
                                          "ENV{SYSTEMD_WANTS}=\"daxdev-reconfigure@$env{DEVNAME}.service\""),
                     AGENT_UDEV_DAXCTL);
        /* Only matching on a state, comments, other subsystems: harmless. */
        CHECK_EQ_INT(agents_classify_rule("SUBSYSTEM==\"memory\", ATTR{state}==\"online\", GOTO=\"end\""), -1);
        CHECK_EQ_INT(agents_classify_rule("# SUBSYSTEM==\"memory\", ATTR{state}=\"online\""), -1);
        CHECK_EQ_INT(agents_classify_rule("SUBSYSTEM==\"cpu\", ATTR{online}=\"1\""), -1);
        CHECK_EQ_INT(agents_classify_rule(""), -1);
}

static void test_scan(void) {
        char root[] = "/tmp/test-safety-XXXXXX", path[256], cmd[1024];
        AgentList l = {};

        CHECK(mkdtemp(root));
        CHECK_EQ_INT(agents_scan(root, &l), 0);
        CHECK_EQ_INT(l.n, 0);

        put(root, "usr/lib/udev/rules.d/40-redhat.rules",
            "# Memory hotadd request\n"
            "SUBSYSTEM!=\"memory\", GOTO=\"memory_hotplug_end\"\n"
            "ACTION!=\"add\", GOTO=\"memory_hotplug_end\"\n"
            "PROGRAM=\"/bin/uname -p\", RESULT==\"s390*\", GOTO=\"memory_hotplug_end\"\n"
            "\n"
            "SUBSYSTEM==\"memory\", \\\n  ATTR{state}==\"offline\", ATTR{state}=\"online\"\n"
            "LABEL=\"memory_hotplug_end\"\n");
        put(root, "usr/lib/udev/rules.d/90-daxctl-device.rules",
            "ACTION==\"add\", SUBSYSTEM==\"dax\", TAG+=\"systemd\", "
            "ENV{SYSTEMD_WANTS}=\"daxdev-reconfigure@$env{DEVNAME}.service\"\n");
        put(root, "usr/lib/udev/rules.d/50-harmless.rules", "SUBSYSTEM==\"memory\", GOTO=\"x\"\n");
        put(root, "etc/daxctl.conf.d/dax.conf", "# comment\n[reconfigure-device unique]\nnvdimm.uuid = x\n");
        put(root, "etc/daxctl.conf.d/empty.conf", "# nothing\n");
        CHECK_EQ_INT(agents_scan(root, &l), 0);
        CHECK_EQ_INT(l.n, 3);
        CHECK_STREQ(l.agents[0].path, "/usr/lib/udev/rules.d/40-redhat.rules");
        CHECK_EQ_INT(l.agents[0].line, 6);
        CHECK_EQ_INT(l.agents[0].kind, AGENT_UDEV_MEMORY);
        CHECK_STREQ(l.agents[1].path, "/usr/lib/udev/rules.d/90-daxctl-device.rules");
        CHECK_EQ_INT(l.agents[1].kind, AGENT_UDEV_DAXCTL);
        CHECK_STREQ(l.agents[2].path, "/etc/daxctl.conf.d/dax.conf");
        CHECK_EQ_INT(l.agents[2].line, 2);
        CHECK_EQ_INT(l.agents[2].kind, AGENT_DAXCTL_CONF);
        CHECK(agent_kind_remedy(AGENT_UDEV_MEMORY));
        agent_list_done(&l);

        /* Masked in /etc (symlink to /dev/null) or replaced by a harmless copy: gone. */
        snprintf(path, sizeof(path), "%s/etc/udev/rules.d", root);
        snprintf(cmd, sizeof(cmd), "mkdir -p %s && ln -s /dev/null %s/40-redhat.rules", path, path);
        CHECK(system(cmd) == 0);
        put(root, "run/udev/rules.d/90-daxctl-device.rules", "# disabled\n");
        CHECK_EQ_INT(agents_scan(root, &l), 0);
        CHECK_EQ_INT(l.n, 1);
        CHECK_EQ_INT(l.agents[0].kind, AGENT_DAXCTL_CONF);
        agent_list_done(&l);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
}

static void test_boot_online(void) {
        char root[] = "/tmp/test-boot-online.XXXXXX", sys[100], host[100], path[200];
        BootOnline b;
        char *v;

        CHECK_EQ_INT(boot_online_parse_cmdline("ro quiet", &v), 0);
        CHECK(!v);
        CHECK_EQ_INT(boot_online_parse_cmdline("memhp_default_state=online ro "
                                               "memhp_default_state=online_movable\n", &v), 1);
        CHECK_STREQ(v, "online_movable");
        free(v);
        CHECK_EQ_INT(boot_online_parse_cmdline("xmemhp_default_state=online memhp_default_state=", &v), 0);
        CHECK(!v);

        CHECK(mkdtemp(root));
        snprintf(sys, sizeof(sys), "%s/sys", root);
        snprintf(host, sizeof(host), "%s/host", root);
        /* A modular kmem, loaded: not built in. */
        put(root, "sys/bus/dax/drivers/kmem/bind", "");
        put(root, "sys/module/kmem/initstate", "live\n");
        put(root, "host/proc/cmdline", "root=/dev/vda memhp_default_state=online\n");
        CHECK_EQ_INT(boot_online_read(sys, host, "offline", &b), 0);
        CHECK(!b.kmem_builtin);
        CHECK_STREQ(b.default_state, "online");
        CHECK_EQ_INT(b.source, BOOT_ONLINE_CMDLINE);
        CHECK(!boot_online_hazard(&b));
        boot_online_done(&b);

        /* Built in; the early unit's record when the command line says nothing. */
        snprintf(path, sizeof(path), "%s/module/kmem/initstate", sys);
        CHECK(unlink(path) == 0);
        put(root, "host/proc/cmdline", "root=/dev/vda\n");
        put(root, "host/" BOOT_ONLINE_EARLY_RECORD, "online_kernel\n");
        CHECK_EQ_INT(boot_online_read(sys, host, "offline", &b), 0);
        CHECK(b.kmem_builtin);
        CHECK_STREQ(b.default_state, "online_kernel");
        CHECK_EQ_INT(b.source, BOOT_ONLINE_EARLY_UNIT);
        CHECK(boot_online_hazard(&b));
        boot_online_done(&b);

        /* Neither: auto_online_blocks as it is. */
        put(root, "host/" BOOT_ONLINE_EARLY_RECORD, "");
        CHECK_EQ_INT(boot_online_read(sys, host, "offline", &b), 0);
        CHECK_EQ_INT(b.source, BOOT_ONLINE_CURRENT);
        CHECK(!boot_online_hazard(&b));
        boot_online_done(&b);

        snprintf(path, sizeof(path), "rm -rf '%s'", root);
        CHECK(system(path) == 0);
}

int main(void) {
        test_parsers();
        test_memmap();
        test_zone_ratio();
        test_unplug();
        test_host_settings();
        test_classify();
        test_scan();
        test_boot_online();
        printf("test-safety: %u checks passed\n", tests_checks);
        return 0;
}
