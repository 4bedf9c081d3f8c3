/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "override-store.h"
#include "util.h"

static bool device_name_ok(const char *device) {
        /* Names come from sysfs, but they become file names here: no path tricks. */
        return !isempty(device) && !strchr(device, '/') && device[0] != '.' &&
                strlen(device) < OVERRIDE_NAME_MAX;
}

static bool identity_ok(const char *identity) {
        return identity && strlen(identity) < OVERRIDE_FILE_MAX / 2 && !strchr(identity, '\n');
}

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* The overrides directory itself, never through a symlink. */
static int open_dir(const char *state_dir, bool create) {
        _cleanup_free_ char *dir = strjoin_path(state_dir, "overrides");
        int fd, r;

        if (!dir)
                return -ENOMEM;
        if (create) {
                r = mkdir_p(dir, 0755);
                if (r < 0)
                        return r;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int override_store_save(const char *state_dir, const char *device, const char *identity, PolicyState state) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        const char *s = policy_state_to_string(state);
        int r;

        if (!device_name_ok(device) || !identity_ok(identity) || !s)
                return -EINVAL;
        if (asprintf(&tmp, ".%s.tmp", device) < 0)
                return -ENOMEM;
        dfd = open_dir(state_dir, true);
        if (dfd < 0)
                return dfd;

        /* A fresh file of ours: no symlink or leftover someone else planted is written through. */
        (void) unlinkat(dfd, tmp, 0);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (dprintf(fd, "%s\nidentity=%s\n", s, identity) < 0) {
                r = -errno;
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        if (renameat(dfd, tmp, dfd, device) < 0) {
                r = -errno;
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        return 0;
}

int override_store_remove(const char *state_dir, const char *device) {
        _cleanup_close_ int dfd = -EBADF;

        if (!device_name_ok(device))
                return -EINVAL;
        dfd = open_dir(state_dir, false);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        if (unlinkat(dfd, device, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}

/* The whole file, if it is a small regular file of ours. */
static int read_small(int dfd, const char *device, char *buf, size_t size) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;

        fd = openat(dfd, device, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EPERM;
        if (st.st_size >= (off_t) size)
                return -EFBIG;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

int override_store_load(const char *state_dir, const char *device, const char *identity, PolicyState *ret) {
        _cleanup_close_ int dfd = -EBADF;
        char buf[OVERRIDE_FILE_MAX], *nl, *id;
        PolicyState s;
        int r;

        if (!device_name_ok(device) || !identity_ok(identity))
                return -EINVAL;
        dfd = open_dir(state_dir, false);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;

        r = read_small(dfd, device, buf, sizeof(buf));
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                /* Never obey, and never echo, a file that is not ours. */
                log_warning_errno(r, "Ignoring and removing the stored override of %s: %m", device);
                (void) unlinkat(dfd, device, 0);
                return 0;
        }

        nl = strchr(buf, '\n');
        if (nl)
                *nl = '\0';
        s = policy_state_from_string(buf);
        id = nl ? nl + 1 : NULL;
        if (id && strncmp(id, "identity=", 9) == 0) {
                id += 9;
                id[strcspn(id, "\n")] = '\0';
        } else
                id = NULL;

        if (s < 0 || s == POLICY_STATE_IGNORE || !id) {
                log_warning("Ignoring and removing the malformed stored override of %s.", device);
                (void) unlinkat(dfd, device, 0);
                return 0;
        }
        if (!streq(id, identity)) {
                /* The name was reused: the order was given for other memory. */
                log_info("Dropping the stored override of %s: it was given for a different device "
                         "of that name.", device);
                (void) unlinkat(dfd, device, 0);
                return 0;
        }
        *ret = s;
        return 1;
}
