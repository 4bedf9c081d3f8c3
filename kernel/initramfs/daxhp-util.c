// SPDX-License-Identifier: GPL-2.0
/*
 * daxhp-util: tiny static helper for the daxhp guest tests (busybox has no
 * way to report the errno of a failed sysfs write, nor to pin pages).
 *
 *   daxhp-util write PATH VALUE   one write(2); prints OK or the errno name
 *                                 (EINVAL, EBUSY, ...); exit 0 if OK, else 1
 *   daxhp-util read PATH [N]      N (default 1) back-to-back open+read+close,
 *                                 each timed; prints the values read (first
 *                                 line of each, comma separated) and the
 *                                 fastest and slowest in microseconds
 *                                 ("online_movable,offline 412 980"); exit 1
 *                                 (errno name as the value) if a read failed
 *   daxhp-util now                CLOCK_MONOTONIC in nanoseconds
 *   daxhp-util bench DEV PAIRS FILL_MB NODE BLOCK...
 *                                 one long-lived process times the unplug of
 *                                 dax device DEV (bound to kmem, unplugged)
 *                                 by the hotplug attribute and by a per-block
 *                                 loop (memoryN/state offline for each BLOCK,
 *                                 then kmem unbind), PAIRS pairs interleaved
 *                                 A B B A ... after one warm-up pair
 *                                 ("WARMUP" lines); before each unplug the method
 *                                 itself brings the device online_movable and
 *                                 a child fills FILL_MB MiB (bound to NUMA
 *                                 node NODE, -1: no binding) and holds it
 *                                 during the unplug.  Only the write() calls
 *                                 are timed.  One line per run:
 *                                 "RUN method pair online_us unplug_us
 *                                 pgmigrate_success pgmigrate_fail in_use";
 *                                 in_use: pages in use in the device's
 *                                 node's ZONE_MOVABLE (= the device) once
 *                                 the fill is in, before the unplug
 *   daxhp-util arrival DEV PAIRS  one long-lived process times bringing dax
 *                                 device DEV (bound to kmem or unbound) to
 *                                 online_movable by three methods, rotated
 *                                 A B C, B C A, C A B ... for PAIRS rounds:
 *                                   bind-attr:   kmem bind, then hotplug
 *                                                offline -> online_movable
 *                                   replug:      hotplug unplugged ->
 *                                                online_movable (bound)
 *                                   bind-replug: kmem bind, hotplug
 *                                                unplugged, online_movable
 *                                                (the path before offline ->
 *                                                online* was accepted)
 *                                 Only the write() calls are timed; the
 *                                 set-up (unplug, unbind) is not.  One line
 *                                 per run: "ARR method round us"; us is
 *                                 -errno of the failed write.  Needs the
 *                                 offline policy (bind leaves blocks offline)
 *   daxhp-util pin MB [STRIDE_KB] fault in MB MiB of anonymous memory and take
 *                                 a reference (vmsplice into pipes) on one
 *                                 page every STRIDE_KB (default 64); prints
 *                                 "PINNED n" then sleeps until killed.  Pages
 *                                 with extra references cannot be migrated,
 *                                 so offlining their memory block retries
 *                                 until the writer gets a signal.  (No
 *                                 /proc/self/pagemap in the test kernel: the
 *                                 caller steers the allocation by offlining
 *                                 the blocks it wants left free; user pages
 *                                 fill ZONE_MOVABLE first.)
 *   daxhp-util pgtables N NODE    bound to NUMA node NODE, map the zero page
 *                                 once every 2 MiB of a fresh mapping (no
 *                                 THP) N times: N page-table pages, which are
 *                                 unmovable kernel memory, from the node's
 *                                 kernel zones only; prints "PGTABLES N"
 *                                 then sleeps until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EAGAIN: return "EAGAIN";
	case EEXIST: return "EEXIST";
	case ENOSPC: return "ENOSPC";
	case EIO: return "EIO";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHWPOISON: return "EHWPOISON";
	default: return NULL;
	}
}

static int do_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	const char *name;

	if (fd < 0) {
		name = errname(errno);
		if (name)
			printf("open:%s\n", name);
		else
			printf("open:E%d\n", errno);
		return 1;
	}
	n = write(fd, val, strlen(val));
	if (n < 0) {
		int e = errno;

		name = errname(e);
		if (name)
			printf("%s\n", name);
		else
			printf("E%d\n", e);
		close(fd);
		return 1;
	}
	if (close(fd) < 0) {
		name = errname(errno);
		printf("close:%s\n", name ? name : "?");
		return 1;
	}
	printf("OK\n");
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int read_once(const char *path, char *buf, size_t len, uint64_t *us)
{
	uint64_t t0 = mono_ns();
	ssize_t n = -1;
	int fd, e = 0;

	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		if (n < 0)
			e = errno;
		close(fd);
	} else {
		e = errno;
	}
	*us = (mono_ns() - t0) / 1000;
	if (n < 0) {
		const char *name = errname(e);

		snprintf(buf, len, "%s", name ? name : "E?");
		return 1;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!buf[0])
		snprintf(buf, len, "<empty>");
	return 0;
}

static int do_read(const char *path, int count)
{
	uint64_t us, min = UINT64_MAX, max = 0;
	char buf[256], vals[1024] = "";
	int i, rc = 0;

	for (i = 0; i < count; i++) {
		rc |= read_once(path, buf, sizeof(buf), &us);
		if (us < min)
			min = us;
		if (us > max)
			max = us;
		if (strlen(vals) + strlen(buf) + 2 < sizeof(vals)) {
			if (i)
				strcat(vals, ",");
			strcat(vals, buf);
		}
	}
	printf("%s %llu %llu\n", vals, (unsigned long long)min, (unsigned long long)max);
	return rc;
}

/* One write(2) of VAL to PATH: 0 or -errno. */
static int wr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int rd(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static long long vmstat(const char *name)
{
	char line[128];
	long long v = -1;
	size_t l = strlen(name);
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, l) && line[l] == ' ') {
			v = atoll(line + l + 1);
			break;
		}
	fclose(f);
	return v;
}

/*
 * Pages in use in node NODE's ZONE_MOVABLE (managed - free, /proc/zoneinfo),
 * -1 if not found.  In the bench that zone is exactly the device under test
 * (online_movable, no movablecore=), so this is the device's pages in use.
 */
static long long movable_in_use(int node)
{
	long long managed = -1, free_pages = -1, v;
	char line[256], zone[32];
	int n, here = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %31s", &n, zone) == 2) {
			here = n == node && !strcmp(zone, "Movable");
			continue;
		}
		if (!here)
			continue;
		if (sscanf(line, " pages free %lld", &v) == 1)
			free_pages = v;
		else if (sscanf(line, " managed %lld", &v) == 1)
			managed = v;
	}
	fclose(f);
	return managed < 0 || free_pages < 0 ? -1 : managed - free_pages;
}

/* The dax device's target_node, 0 if unreadable or negative. */
static int read_node(const char *dev)
{
	char path[256];
	int node = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/target_node", dev);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &node) != 1 || node < 0)
			node = 0;
		fclose(f);
	}
	return node;
}

struct bench {
	const char *dev;
	char attr[256], drv[256];
	char **blocks;
	int nblocks;
	int node;	/* the device's NUMA node (its target_node) */
};

static int bound_to_kmem(const struct bench *b)
{
	char buf[256];
	ssize_t n = readlink(b->drv, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, "/kmem") != NULL;
}

static int blocks_write(const struct bench *b, const char *val)
{
	char path[128];
	int i, rc;

	for (i = 0; i < b->nblocks; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%s/state", b->blocks[i]);
		rc = wr(path, val);
		if (rc)
			return rc;
	}
	return 0;
}

/* Bring the device online_movable by METHOD; returns the timed part in us. */
static long long bench_online(const struct bench *b, int per_block)
{
	char st[64];
	uint64_t t0, t1;
	int rc;

	if (per_block) {
		if (bound_to_kmem(b)) {
			if (!rd(b->attr, st, sizeof(st)) && strcmp(st, "unplugged"))
				wr(b->attr, "unplugged");
			wr("/sys/bus/dax/drivers/kmem/unbind", b->dev);
		}
		t0 = mono_ns();
		rc = wr("/sys/bus/dax/drivers/kmem/bind", b->dev);
		if (!rc)
			rc = blocks_write(b, "online_movable");
		t1 = mono_ns();
	} else {
		if (!bound_to_kmem(b))
			wr("/sys/bus/dax/drivers/kmem/bind", b->dev);
		if (!rd(b->attr, st, sizeof(st)) && strcmp(st, "unplugged"))
			wr(b->attr, "unplugged");
		t0 = mono_ns();
		rc = wr(b->attr, "online_movable");
		t1 = mono_ns();
	}
	return rc ? rc : (long long)(t1 - t0) / 1000;
}

static long long bench_unplug(const struct bench *b, int per_block)
{
	uint64_t t0, t1;
	int rc;

	t0 = mono_ns();
	if (per_block) {
		rc = blocks_write(b, "offline");
		if (!rc)
			rc = wr("/sys/bus/dax/drivers/kmem/unbind", b->dev);
	} else {
		rc = wr(b->attr, "unplugged");
	}
	t1 = mono_ns();
	return rc ? rc : (long long)(t1 - t0) / 1000;
}

/* MPOL_BIND the calling task to one NUMA node (-1: leave the policy). */
static int bind_to_node(int node)
{
	unsigned long mask;

	if (node < 0)
		return 0;
	if (node >= (int)(sizeof(mask) * 8)) {
		errno = EINVAL;
		return -1;
	}
	mask = 1UL << node;
	/* MPOL_BIND = 2; no libnuma in the initramfs */
	return (int)syscall(SYS_set_mempolicy, 2, &mask, sizeof(mask) * 8);
}

/* Child: fill MB MiB of anonymous memory on NODE, then hold it. */
static pid_t filler(size_t mb, int node)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t len = mb << 20, i;
		unsigned char *buf;

		bind_to_node(node);
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			_exit(1);
		for (i = 0; i < len; i += 4096)
			buf[i] = (unsigned char)i | 1;
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(p[0]);
	return pid;
}

static int do_bench(int argc, char **argv)
{
	struct bench b = { .dev = argv[2] };
	int pairs = atoi(argv[3]), node = atoi(argv[5]), pair, k, fails = 0;
	size_t fill = strtoul(argv[4], NULL, 0);
	static const char *const names[] = { "attribute", "per-block" };

	snprintf(b.attr, sizeof(b.attr), "/sys/bus/dax/devices/%s/hotplug", b.dev);
	snprintf(b.drv, sizeof(b.drv), "/sys/bus/dax/devices/%s/driver", b.dev);
	b.blocks = argv + 6;
	b.nblocks = argc - 6;
	b.node = read_node(b.dev);
	/*
	 * Pair 0 is a warm-up, not printed: under TCG the first unplug of a
	 * boot writes migration targets into guest RAM that QEMU has not
	 * touched yet (host page faults), which made whichever method ran
	 * first look 3-5x slower.
	 */
	for (pair = 0; pair <= pairs; pair++) {
		for (k = 0; k < 2; k++) {
			/* A B, then B A: neither method always runs first */
			int per_block = (pair & 1) ? k : !k;
			long long on, off, ms0, mf0, used;
			pid_t child;

			on = bench_online(&b, per_block);
			child = filler(fill, node);
			used = movable_in_use(b.node);
			ms0 = vmstat("pgmigrate_success");
			mf0 = vmstat("pgmigrate_fail");
			off = bench_unplug(&b, per_block);
			printf("%s %s %d %lld %lld %lld %lld %lld\n", pair ? "RUN" : "WARMUP",
			       names[per_block], pair, on, off,
			       vmstat("pgmigrate_success") - ms0, vmstat("pgmigrate_fail") - mf0,
			       used);
			fflush(stdout);
			if (child > 0) {
				kill(child, SIGKILL);
				waitpid(child, NULL, 0);
			}
			if (on < 0 || off < 0 || child < 0)
				fails++;
		}
	}
	/* leave the device bound to kmem and unplugged */
	if (!bound_to_kmem(&b))
		wr("/sys/bus/dax/drivers/kmem/bind", b.dev);
	wr(b.attr, "unplugged");
	return fails ? 1 : 0;
}

/* Set-up for an arrival run: unbound (BIND) or bound and unplugged. */
static void arrival_setup(const struct bench *b, int bind)
{
	char st[64];

	if (!bound_to_kmem(b))
		wr("/sys/bus/dax/drivers/kmem/bind", b->dev);
	if (!rd(b->attr, st, sizeof(st)) && strcmp(st, "unplugged"))
		wr(b->attr, "unplugged");
	if (bind)
		wr("/sys/bus/dax/drivers/kmem/unbind", b->dev);
}

/* One arrival by METHOD (0 bind-attr, 1 replug, 2 bind-replug): us or -errno. */
static long long arrival_run(const struct bench *b, int method)
{
	uint64_t t0, t1;
	int rc = 0;

	arrival_setup(b, method != 1);
	t0 = mono_ns();
	if (method != 1)
		rc = wr("/sys/bus/dax/drivers/kmem/bind", b->dev);
	if (!rc && method == 2)
		rc = wr(b->attr, "unplugged");
	if (!rc)
		rc = wr(b->attr, "online_movable");
	t1 = mono_ns();
	return rc ? rc : (long long)(t1 - t0) / 1000;
}

static int do_arrival(const char *dev, int rounds)
{
	static const char *const names[] = { "bind-attr", "replug", "bind-replug" };
	struct bench b = { .dev = dev };
	int round, k, fails = 0;

	snprintf(b.attr, sizeof(b.attr), "/sys/bus/dax/devices/%s/hotplug", b.dev);
	snprintf(b.drv, sizeof(b.drv), "/sys/bus/dax/devices/%s/driver", b.dev);
	for (round = 0; round < rounds; round++) {
		for (k = 0; k < 3; k++) {
			/* rotate the order: no method always runs first */
			int m = (round + k) % 3;
			long long us = arrival_run(&b, m);

			printf("ARR %s %d %lld\n", names[m], round + 1, us);
			fflush(stdout);
			if (us < 0)
				fails++;
		}
	}
	arrival_setup(&b, 0);
	return fails ? 1 : 0;
}

static int do_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%llu\n", (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	return 0;
}

static int do_pin(size_t mb, size_t stride_kb)
{
	size_t len = mb << 20, psz = getpagesize(), stride, i, pinned = 0;
	unsigned char *buf;
	int p[2] = { -1, -1 }, room = 0;

	stride = stride_kb ? stride_kb << 10 : psz;
	if (stride < psz)
		stride = psz;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < len; i += psz)
		buf[i] = (unsigned char)i | 1;
	for (i = 0; i < len; i += stride) {
		struct iovec iov = { .iov_base = buf + i, .iov_len = psz };

		if (!room) {
			/* a fresh pipe; the old one stays open, holding its pages */
			if (pipe(p) < 0) {
				perror("pipe");
				break;
			}
			fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
			fcntl(p[1], F_SETFL, O_NONBLOCK);
			room = fcntl(p[1], F_GETPIPE_SZ) / (int)psz;
		}
		if (vmsplice(p[1], &iov, 1, 0) != (ssize_t)psz) {
			room = 0;
			i -= stride;	/* retry this page on a new pipe */
			continue;
		}
		room--;
		pinned++;
	}
	printf("PINNED %zu\n", pinned);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

/*
 * A read fault on private anonymous memory maps the shared zero page, so
 * each 2 MiB stride costs one page-table page and no data page.  THP is
 * off: a huge zero page would need no page table.
 */
static int do_pgtables(size_t n, int node)
{
	const size_t stride = 2UL << 20;
	volatile unsigned char *buf;
	size_t i;

	if (bind_to_node(node) < 0) {
		perror("set_mempolicy");
		return 1;
	}
	buf = mmap(NULL, n * stride, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/*
	 * The test kernels have no madvise(2) (CONFIG_ADVISE_SYSCALLS=n);
	 * prctl turns THP off for the whole process.  EINVAL: no THP at all.
	 */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0 && errno != EINVAL) {
		perror("prctl(PR_SET_THP_DISABLE)");
		return 1;
	}
	for (i = 0; i < n; i++)
		(void)buf[i * stride];
	printf("PGTABLES %zu\n", n);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write"))
		return do_write(argv[2], argv[3]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "read"))
		return do_read(argv[2], argc == 4 ? atoi(argv[3]) : 1);
	if (argc >= 7 && !strcmp(argv[1], "bench"))
		return do_bench(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "arrival"))
		return do_arrival(argv[2], atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "now"))
		return do_now();
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "pin"))
		return do_pin(strtoul(argv[2], NULL, 0),
			      argc == 4 ? strtoul(argv[3], NULL, 0) : 64);
	if (argc == 4 && !strcmp(argv[1], "pgtables"))
		return do_pgtables(strtoul(argv[2], NULL, 0), atoi(argv[3]));
	fprintf(stderr, "usage: daxhp-util write PATH VALUE | read PATH [N] | now | bench DEV PAIRS FILL_MB NODE BLOCK... | arrival DEV PAIRS | pin MB [STRIDE_KB] | pgtables N NODE\n");
	return 2;
}
