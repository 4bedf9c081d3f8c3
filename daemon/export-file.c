/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export-file.h"
#include "macro.h"
#include "policy-util.h"

static int write_all(int fd, const char *text, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, text, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                text += n;
                len -= (size_t) n;
        }
        return 0;
}

int export_file_replace(const char *path, const char *tmp_dir, const char *text, size_t len) {
        _cleanup_free_ char *dir = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *base = path_basename(path);
        int r;

        if (isempty(base))
                return -EINVAL;
        dir = tmp_dir ? strdup_printf("%s/", tmp_dir) : strndup(path, (size_t) (base - path));
        if (!dir)
                return -ENOMEM;
        tmp = strdup_printf("%s.%s.XXXXXX", dir, base);
        if (!tmp)
                return -ENOMEM;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = write_all(fd, text, len);
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}
