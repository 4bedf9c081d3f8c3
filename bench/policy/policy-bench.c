/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Benchmark (not a test): writes 1,000 policy files (plus 100 drop-ins)
 * into four search directories, loads them and matches 256 devices, most
 * of which are decided by a file near the end of the order (worst case for
 * first-match). Prints min/median per phase. Goal: load + match <= 50 ms.
 *
 *   policy-bench [ROUNDS]
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ftw.h>

#include "macro.h"
#include "policy.h"

#define N_FILES 1000
#define N_DROPINS 100
#define N_DEVICES 256

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f) {
                fprintf(stderr, "%s: %m\n", path);
                exit(EXIT_FAILURE);
        }
        fputs(text, f);
        fclose(f);
}

static double cpu_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        return remove(p);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char *argv[]) {
        static const char * const sub[] = { "etc", "run", "usr-local-lib", "usr-lib" };
        static const char * const providers[] = { "hmem", "cxl", "pmem" };
        char root[] = "/tmp/daxhp-bench-XXXXXX", dirs[4][64], path[256], text[1024];
        const char *dirv[5];
        int rounds = argc > 1 ? atoi(argv[1]) : 20;
        double *t_load, *t_match, *t_total, *t_cpu;
        DeviceInfo devs[N_DEVICES];
        char names[N_DEVICES][16], regions[N_DEVICES][8];
        size_t matched = 0;

        if (rounds < 1)
                rounds = 1;
        if (!mkdtemp(root))
                return EXIT_FAILURE;
        for (int i = 0; i < 4; i++) {
                snprintf(dirs[i], sizeof(dirs[i]), "%s/%s", root, sub[i]);
                mkdir(dirs[i], 0755);
                dirv[i] = dirs[i];
        }
        dirv[4] = NULL;

        /* File i decides device 999-i: devices 0..255 are decided by the
         * last quarter of the order. Every file uses several keys. */
        for (int i = 0; i < N_FILES; i++) {
                int dev = N_FILES - 1 - i;

                snprintf(path, sizeof(path), "%s/%04d-bench.conf", dirs[i % 4], i);
                snprintf(text, sizeof(text),
                         "# generated\n[Match]\nName=dax%d.* !dax%d.9\nProvider=hmem cxl pmem\nTargetNode=0-%d\n"
                         "Size=1G..1T\nMode=devdax system-ram unbound\nProperty=DEVTYPE=dax*\n"
                         "[Policy]\nState=%s\nTimeoutSec=%ds\nRetries=%d\n",
                         dev, dev, 7 + i % 8, i % 3 ? "online_movable" : "devdax", 10 + i % 50, i % 4);
                write_file(path, text);
        }
        for (int i = 0; i < N_DROPINS; i++) {
                int f = i * (N_FILES / N_DROPINS);

                snprintf(path, sizeof(path), "%s/%04d-bench.conf.d", dirs[(f + 1) % 4], f);
                mkdir(path, 0755);
                snprintf(path, sizeof(path), "%s/%04d-bench.conf.d/50-site.conf", dirs[(f + 1) % 4], f);
                write_file(path, "[Policy]\nOnDrift=report\n");
        }

        static char *props[] = { "DEVTYPE=dax_device", "MAJOR=252", NULL };
        for (int i = 0; i < N_DEVICES; i++) {
                snprintf(names[i], sizeof(names[i]), "dax%d.0", i);
                snprintf(regions[i], sizeof(regions[i]), "%d", i);
                devs[i] = (DeviceInfo) {
                        .name = names[i],
                        .path = "/devices/platform/hmem.0/dax",
                        .region = regions[i],
                        .target_node = i % 8,
                        .size = (UINT64_C(1) << 30) * (uint64_t) (1 + i % 64),
                        .provider = providers[i % 3],
                        .mode = "devdax",
                        .properties = props,
                };
        }

        t_load = calloc(rounds, sizeof(double));
        t_match = calloc(rounds, sizeof(double));
        t_total = calloc(rounds, sizeof(double));
        t_cpu = calloc(rounds, sizeof(double));
        if (!t_load || !t_match || !t_total || !t_cpu)
                return EXIT_FAILURE;

        for (int r = 0; r < rounds; r++) {
                PolicySet *set = NULL;
                double a, b, c, cpu;

                cpu = cpu_ms();
                a = now_ms();
                if (policy_set_load(dirv, &set) < 0 || policy_set_n_files(set) != N_FILES ||
                    policy_set_n_errors(set) != 0) {
                        fprintf(stderr, "load failed\n");
                        return EXIT_FAILURE;
                }
                b = now_ms();
                matched = 0;
                for (int i = 0; i < N_DEVICES; i++) {
                        PolicyMatch m = {};
                        if (policy_set_match(set, devs + i, &m) > 0)
                                matched++;
                        policy_match_done(&m);
                }
                c = now_ms();
                t_cpu[r] = cpu_ms() - cpu;
                policy_set_free(set);

                t_load[r] = b - a;
                t_match[r] = c - b;
                t_total[r] = c - a;
        }

        qsort(t_load, rounds, sizeof(double), cmp_double);
        qsort(t_match, rounds, sizeof(double), cmp_double);
        qsort(t_total, rounds, sizeof(double), cmp_double);
        qsort(t_cpu, rounds, sizeof(double), cmp_double);

        printf("policy-bench: %d files (+%d drop-ins) in 4 dirs, %d devices (%zu matched), %d rounds\n",
               N_FILES, N_DROPINS, N_DEVICES, matched, rounds);
        printf("%-28s %10s %10s %10s\n", "phase", "min ms", "median ms", "max ms");
        printf("%-28s %10.2f %10.2f %10.2f\n", "load 1000 files", t_load[0], t_load[rounds / 2], t_load[rounds - 1]);
        printf("%-28s %10.2f %10.2f %10.2f\n", "match 256 devices", t_match[0], t_match[rounds / 2], t_match[rounds - 1]);
        printf("%-28s %10.2f %10.2f %10.2f\n", "load + match", t_total[0], t_total[rounds / 2], t_total[rounds - 1]);
        printf("%-28s %10.2f %10.2f %10.2f\n", "load + match, CPU time", t_cpu[0], t_cpu[rounds / 2], t_cpu[rounds - 1]);
        printf("goal <= 50 ms (median load + match): %s\n", t_total[rounds / 2] <= 50.0 ? "met" : "NOT met");

        free(t_load);
        free(t_match);
        free(t_total);
        free(t_cpu);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return EXIT_SUCCESS;
}
