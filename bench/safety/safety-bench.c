/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The reads daxhpd's safety side does on the event loop, timed: the
 * kernel's hotplug settings (every uevent burst), meminfo + zoneinfo (before
 * each step and in Check()), and the competing-agent scan (at start).
 * Interleaved, 15 rounds of 100 calls each; median, min and max per call.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agents.h"
#include "host-settings.h"
#include "util.h"

#define ROUNDS 15
#define CALLS 100

static const char *sysfs_root = "/sys", *host_root = "/";

static double now_us(void) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e6 + (double) t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static void settings(void) {
        HostSettings h;

        if (host_settings_read(sysfs_root, &h) >= 0)
                host_settings_done(&h);
}

static void memory(void) {
        _cleanup_free_ char *proc = strjoin_path(host_root, "proc");
        HostMemory m;

        if (proc)
                (void) host_memory_read(proc, true, &m);
}

static void agents(void) {
        AgentList l;

        if (agents_scan(host_root, &l) >= 0)
                agent_list_done(&l);
}

int main(int argc, char *argv[]) {
        static const struct {
                const char *name;
                void (*fn)(void);
        } ops[] = {
                { "host_settings_read: 5 sysfs files (each uevent burst)", settings },
                { "host_memory_read: meminfo + zoneinfo (each step, Check)", memory },
                { "agents_scan: udev rules dirs + daxctl.conf.d (start)", agents },
        };
        double t[ELEMENTSOF(ops)][ROUNDS];
        AgentList l;

        if (argc > 1)
                sysfs_root = argv[1];
        if (argc > 2)
                host_root = argv[2];

        for (unsigned r = 0; r < ROUNDS; r++)
                for (size_t k = 0; k < ELEMENTSOF(ops); k++) {
                        double start = now_us();

                        for (unsigned i = 0; i < CALLS; i++)
                                ops[k].fn();
                        t[k][r] = (now_us() - start) / CALLS;
                }

        printf("| operation | median µs | min | max | rounds × calls |\n|---|---:|---:|---:|---:|\n");
        for (size_t k = 0; k < ELEMENTSOF(ops); k++) {
                qsort(t[k], ROUNDS, sizeof(double), cmp_double);
                printf("| %s | %.1f | %.1f | %.1f | %u × %u |\n", ops[k].name, t[k][ROUNDS / 2], t[k][0],
                       t[k][ROUNDS - 1], ROUNDS, CALLS);
        }
        if (agents_scan(host_root, &l) >= 0) {
                printf("\ncompeting agents on this host: %zu\n", l.n);
                for (size_t i = 0; i < l.n; i++)
                        printf("  %s:%u (%s)\n", l.agents[i].path, l.agents[i].line,
                               agent_kind_to_string(l.agents[i].kind));
                agent_list_done(&l);
        }
        return 0;
}
