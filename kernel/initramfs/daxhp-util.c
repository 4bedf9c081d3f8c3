// SPDX-License-Identifier: GPL-2.0
/*
 * daxhp-util: tiny static helper for the daxhp guest tests (busybox has no
 * way to report the errno of a failed sysfs write, nor to pin pages).
 *
 *   daxhp-util write PATH VALUE   one write(2); prints OK or the errno name
 *                                 (EINVAL, EBUSY, ...); exit 0 if OK, else 1
 *   daxhp-util now                CLOCK_MONOTONIC in nanoseconds
 *   daxhp-util pin LO HI MB       fault in MB MiB of anonymous memory, take a
 *                                 reference (vmsplice into a pipe) on every
 *                                 page whose physical address is in [LO, HI)
 *                                 (hex or decimal bytes); prints "PINNED n"
 *                                 then sleeps until killed.  Pages with extra
 *                                 references cannot be migrated, so offlining
 *                                 their memory block retries until a signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
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

static int do_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%llu\n", (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	return 0;
}

static int do_pin(uint64_t lo, uint64_t hi, size_t mb)
{
	size_t len = mb << 20, psz = getpagesize(), i, pinned = 0;
	unsigned char *buf;
	int pm, p[2];

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < len; i += psz)
		buf[i] = (unsigned char)i | 1;
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0 || pipe(p) < 0) {
		perror("pagemap/pipe");
		return 1;
	}
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	for (i = 0; i < len; i += psz) {
		uint64_t ent, phys;
		struct iovec iov;

		if (pread(pm, &ent, sizeof(ent), ((uintptr_t)(buf + i) / psz) * 8) != 8)
			break;
		if (!(ent & (1ULL << 63)))
			continue;
		phys = (ent & ((1ULL << 55) - 1)) * psz;
		if (phys < lo || phys >= hi)
			continue;
		iov.iov_base = buf + i;
		iov.iov_len = psz;
		if (vmsplice(p[1], &iov, 1, 0) != (ssize_t)psz)
			break;	/* pipe full */
		pinned++;
	}
	printf("PINNED %zu\n", pinned);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write"))
		return do_write(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "now"))
		return do_now();
	if (argc == 5 && !strcmp(argv[1], "pin"))
		return do_pin(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
			      strtoul(argv[4], NULL, 0));
	fprintf(stderr, "usage: daxhp-util write PATH VALUE | now | pin LO HI MB\n");
	return 2;
}
