// SPDX-License-Identifier: GPL-2.0
/*
 * daxhp-util: tiny static helper for the daxhp guest tests (busybox has no
 * way to report the errno of a failed sysfs write, nor to pin pages).
 *
 *   daxhp-util write PATH VALUE   one write(2); prints OK or the errno name
 *                                 (EINVAL, EBUSY, ...); exit 0 if OK, else 1
 *   daxhp-util now                CLOCK_MONOTONIC in nanoseconds
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

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write"))
		return do_write(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "now"))
		return do_now();
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "pin"))
		return do_pin(strtoul(argv[2], NULL, 0),
			      argc == 4 ? strtoul(argv[3], NULL, 0) : 64);
	fprintf(stderr, "usage: daxhp-util write PATH VALUE | now | pin MB [STRIDE_KB]\n");
	return 2;
}
