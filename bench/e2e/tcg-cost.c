/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the guest's CPU charges for the operations an arrival is made of,
 * measured inside the guest (bench/e2e/arrival.py copies this in and runs
 * it once): under QEMU TCG every system call and every instruction is
 * emulated, and the arrival bench's "daxhpd's own CPU" is only explained
 * by how many of each daxhpd does times what each one costs there.
 *
 * CPU time is taken with getrusage(), as daxhpd's transition records do
 * (the test kernel has no CONFIG_POSIX_TIMERS: no CPU clocks), around
 * many repetitions of one operation; a forked child's CPU comes from
 * RUSAGE_CHILDREN. Prints one line per operation:
 *   <name> <repetitions> <cpu µs per operation> <wall µs per operation>
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSFS_FILE "/sys/devices/system/memory/block_size_bytes"

static uint64_t timeval_usec(const struct timeval *tv) {
        return (uint64_t) tv->tv_sec * 1000000U + (uint64_t) tv->tv_usec;
}

static uint64_t cpu_usec(int who) {
        struct rusage ru;

        if (getrusage(who, &ru) < 0)
                return 0;
        return timeval_usec(&ru.ru_utime) + timeval_usec(&ru.ru_stime);
}

static uint64_t wall_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

typedef int (*Operation)(void *ctx);

static int op_getppid(void *ctx) {
        (void) ctx;
        return getppid() > 0 ? 0 : -1;
}

/* One small sysfs attribute, the way daxhpd reads one: open, read, close. */
static int op_sysfs_read(void *ctx) {
        char buf[64];
        ssize_t n;
        int fd;

        (void) ctx;
        fd = open(SYSFS_FILE, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof(buf));
        close(fd);
        return n > 0 ? 0 : -1;
}

/* A datagram there and back on a socketpair: a uevent or a worker record. */
static int op_datagram(void *ctx) {
        int *fds = ctx;
        char buf[256] = "ACTION=online";

        if (send(fds[0], buf, 200, 0) != 200)
                return -1;
        return recv(fds[1], buf, sizeof(buf), 0) == 200 ? 0 : -1;
}

/* An event loop wakeup with one ready source. */
static int op_epoll_wait(void *ctx) {
        int *ep = ctx;
        struct epoll_event ev;

        return epoll_wait(*ep, &ev, 1, 0) == 1 ? 0 : -1;
}

/* Plain user-space work: 1,000,000 dependent integer steps (about 4 M instructions). */
static int op_compute(void *ctx) {
        volatile uint64_t *sink = ctx;
        uint64_t x = *sink | 1;

        for (unsigned i = 0; i < 1000000U; i++)
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        *sink = x;
        return 0;
}

/*
 * Ordinary C: format a meminfo-like text of 48 lines with snprintf, then
 * parse it back line by line (strchr, strncmp, strtoull), as daxhpd's
 * readers do. Its instruction count, counted on the host with callgrind,
 * over its CPU time in the guest says how fast the guest runs code like
 * daxhpd's (the arithmetic loop above is TCG's best case).
 */
static int op_libc_text(void *ctx) {
        static const char * const keys[] = { "MemTotal", "MemFree", "MemAvailable", "Buffers",
                                              "Cached", "SwapCached", "Active", "Inactive" };
        volatile uint64_t *sink = ctx;
        char text[4096];
        size_t l = 0;
        uint64_t sum = 0;

        for (unsigned i = 0; i < 48; i++)
                l += (size_t) snprintf(text + l, sizeof(text) - l, "%s_%u:%*llu kB\n", keys[i % 8], i,
                                       12, (unsigned long long) (*sink + i) % 100000000ULL);
        for (const char *p = text; p && *p;) {
                const char *colon = strchr(p, ':'), *nl = strchr(p, '\n');

                if (!colon || !nl)
                        break;
                for (unsigned k = 0; k < 8; k++)
                        if (strncmp(p, keys[k], strlen(keys[k])) == 0) {
                                sum += strtoull(colon + 1, NULL, 10);
                                break;
                        }
                p = nl + 1;
        }
        *sink = sum;
        return 0;
}

/*
 * A round trip to another process (a byte there and back on a socketpair):
 * two context switches, as a D-Bus call or a uevent brings. The partner
 * answers from a loop; only this side's CPU is counted.
 */
typedef struct Partner {
        int fd;
        pid_t pid;
} Partner;

/*
 * What the processes around an arrival do between two of daxhpd's wakeups,
 * in small: other files read, other code run (about 0.5 M instructions).
 */
static void partner_busy(void) {
        static const char * const files[] = { "/proc/meminfo", "/proc/self/status",
                                              "/sys/devices/system/memory/auto_online_blocks" };
        uint64_t sink = 7;
        char buf[4096];

        for (unsigned i = 0; i < 3; i++) {
                int fd = open(files[i], O_RDONLY | O_CLOEXEC);

                if (fd >= 0) {
                        (void) read(fd, buf, sizeof(buf));
                        close(fd);
                }
        }
        for (unsigned i = 0; i < 5; i++)
                (void) op_libc_text(&sink);
}

static int partner_start(Partner *p) {
        int fds[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
                return -1;
        p->pid = fork();
        if (p->pid < 0)
                return -1;
        if (p->pid == 0) {
                char c;

                close(fds[0]);
                while (recv(fds[1], &c, 1, 0) == 1) {
                        if (c == 'b')
                                partner_busy();
                        if (send(fds[1], &c, 1, 0) != 1)
                                break;
                }
                _exit(0);
        }
        close(fds[1]);
        p->fd = fds[0];
        return 0;
}

static void partner_stop(Partner *p) {
        close(p->fd);
        (void) waitpid(p->pid, NULL, 0);
}

static int op_round_trip(void *ctx) {
        Partner *p = ctx;
        char c = 'x';

        if (send(p->fd, &c, 1, 0) != 1)
                return -1;
        return recv(p->fd, &c, 1, 0) == 1 ? 0 : -1;
}

/*
 * The same text work as libc_text, each time right after a round trip: what
 * code costs under TCG when it runs after a context switch (QEMU drops its
 * soft TLB and its jump cache at every address space switch), as daxhpd's
 * code runs after every wakeup. Minus round_trip, against libc_text.
 */
static uint64_t text_sink = 1;

static int op_text_after_switch(void *ctx) {
        if (op_round_trip(ctx) < 0)
                return -1;
        return op_libc_text((void *) &text_sink);
}

/*
 * One load from each of 256 pages (1 MiB): a working set as large as what a
 * daemon's wakeup touches (its stack, heap, the libraries' data). Hot, the
 * pages are in QEMU's soft TLB; right after a round trip they are not, and
 * each costs a guest page table walk in QEMU. Minus round_trip, against
 * pages_hot: what a wakeup pays per page it touches.
 */
#define WORKING_SET_PAGES 256U
static volatile uint8_t *working_set;

static int op_pages_hot(void *ctx) {
        unsigned sum = 0;

        (void) ctx;
        for (unsigned i = 0; i < WORKING_SET_PAGES; i++)
                sum += working_set[(size_t) i * 4096U];
        text_sink += sum;
        return 0;
}

static int op_pages_after_switch(void *ctx) {
        if (op_round_trip(ctx) < 0)
                return -1;
        return op_pages_hot(NULL);
}

/*
 * A small sysfs read right after a round trip: the kernel's open/read/close
 * path run cold, as every one of a daemon's reads between two wakeups is
 * (after a switch QEMU looks every block of guest code up again). Minus
 * round_trip, against sysfs_read.
 */
static int op_sysfs_after_switch(void *ctx) {
        if (op_round_trip(ctx) < 0)
                return -1;
        return op_sysfs_read(NULL);
}

/* The same read after the other process ran partner_busy() (not counted here). */
static int op_sysfs_after_busy_switch(void *ctx) {
        Partner *p = ctx;
        char c = 'b';

        if (send(p->fd, &c, 1, 0) != 1 || recv(p->fd, &c, 1, 0) != 1)
                return -1;
        return op_sysfs_read(NULL);
}

/* fork, the child exits at once, wait: the cost of a process, both sides. */
static int op_fork(void *ctx) {
        pid_t pid;
        int status;

        (void) ctx;
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0)
                _exit(0);
        return waitpid(pid, &status, 0) == pid ? 0 : -1;
}

static int measure(const char *name, Operation op, void *ctx, unsigned reps) {
        uint64_t c0, cc0, w0, c1, cc1, w1;

        c0 = cpu_usec(RUSAGE_SELF);
        cc0 = cpu_usec(RUSAGE_CHILDREN);
        w0 = wall_usec();
        for (unsigned i = 0; i < reps; i++)
                if (op(ctx) < 0) {
                        fprintf(stderr, "%s: failed: %s\n", name, strerror(errno));
                        return -1;
                }
        w1 = wall_usec();
        c1 = cpu_usec(RUSAGE_SELF);
        cc1 = cpu_usec(RUSAGE_CHILDREN);
        printf("%s %u %.2f %.2f\n", name, reps, (double) ((c1 - c0) + (cc1 - cc0)) / reps,
               (double) (w1 - w0) / reps);
        return 0;
}

int main(int argc, char **argv) {
        unsigned scale = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 10) : 1;
        struct epoll_event ev = { .events = EPOLLIN };
        volatile uint64_t sink = 1;
        int fds[2], ep, r = 0;

        if (scale == 0)
                scale = 1;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
                return EXIT_FAILURE;
        ep = epoll_create1(EPOLL_CLOEXEC);
        /* fds[1] made readable once, never drained: every wait finds it ready. */
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fds[1], &ev) < 0 || send(fds[0], "x", 1, 0) != 1)
                return EXIT_FAILURE;

        r |= measure("getppid", op_getppid, NULL, 20000 * scale);
        r |= measure("epoll_wait", op_epoll_wait, &ep, 20000 * scale);
        r |= measure("sysfs_read", op_sysfs_read, NULL, 5000 * scale);
        {
                char drain[8];

                /* The datagrams need an empty queue to read back their own. */
                if (recv(fds[1], drain, sizeof(drain), 0) != 1)
                        return EXIT_FAILURE;
        }
        r |= measure("datagram", op_datagram, fds, 10000 * scale);
        r |= measure("compute_1M", op_compute, (void *) &sink, 20 * scale);
        r |= measure("libc_text", op_libc_text, (void *) &sink, 2000 * scale);
        {
                Partner p;

                if (partner_start(&p) < 0)
                        return EXIT_FAILURE;
                r |= measure("round_trip", op_round_trip, &p, 2000 * scale);
                r |= measure("text_after_switch", op_text_after_switch, &p, 2000 * scale);
                working_set = calloc(WORKING_SET_PAGES, 4096U);
                if (!working_set)
                        return EXIT_FAILURE;
                for (unsigned i = 0; i < WORKING_SET_PAGES; i++)
                        working_set[(size_t) i * 4096U] = (uint8_t) i;
                r |= measure("pages_hot", op_pages_hot, NULL, 2000 * scale);
                r |= measure("pages_after_switch", op_pages_after_switch, &p, 2000 * scale);
                r |= measure("sysfs_after_switch", op_sysfs_after_switch, &p, 2000 * scale);
                r |= measure("sysfs_after_busy_switch", op_sysfs_after_busy_switch, &p, 1000 * scale);
                partner_stop(&p);
        }
        r |= measure("fork_exit_wait", op_fork, NULL, 200 * scale);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
