/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "override-store.h"
#include "util.h"

static bool device_name_ok(const char *device) {
        /* Names come from sysfs, but they become file names here: no path tricks. */
        return !isempty(device) && !strchr(device, '/') && device[0] != '.';
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

static char *override_path(const char *state_dir, const char *device, const char *suffix) {
        char *p;

        if (asprintf(&p, "%s/overrides/%s%s", state_dir, device, suffix) < 0)
                return NULL;
        return p;
}

int override_store_save(const char *state_dir, const char *device, PolicyState state) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *s = policy_state_to_string(state);
        int r;

        if (!device_name_ok(device) || !s)
                return -EINVAL;
        dir = strjoin_path(state_dir, "overrides");
        path = override_path(state_dir, device, "");
        tmp = override_path(state_dir, device, ".tmp");
        if (!dir || !path || !tmp)
                return -ENOMEM;

        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (dprintf(fd, "%s\n", s) < 0)
                return -errno;
        if (rename(tmp, path) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int override_store_remove(const char *state_dir, const char *device) {
        _cleanup_free_ char *path = NULL;

        if (!device_name_ok(device))
                return -EINVAL;
        path = override_path(state_dir, device, "");
        if (!path)
                return -ENOMEM;
        if (unlink(path) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}

int override_store_load(const char *state_dir, const char *device, PolicyState *ret) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        PolicyState s;
        int r;

        if (!device_name_ok(device))
                return -EINVAL;
        path = override_path(state_dir, device, "");
        if (!path)
                return -ENOMEM;
        r = read_one_line(path, &line);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        s = policy_state_from_string(line);
        if (s < 0 || s == POLICY_STATE_IGNORE) {
                log_warning("Ignoring unreadable override %s (\"%s\").", path, line);
                (void) unlink(path);
                return 0;
        }
        *ret = s;
        return 1;
}
