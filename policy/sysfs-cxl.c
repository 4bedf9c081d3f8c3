/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-util.h"
#include "sysfs-cxl.h"

/* "region12" for prefix "region": the prefix, then a digit, within l bytes. */
static bool is_numbered(const char *name, size_t l, const char *prefix) {
        size_t pl = strlen(prefix);

        return l > pl && strncmp(name, prefix, pl) == 0 && name[pl] >= '0' && name[pl] <= '9';
}

/* One region target: memdev name, serial and host bridge appended to d's lists. */
static int scan_target(const char *root, const char *regiondir, unsigned i, DeviceInfo *d) {
        _cleanup_free_ char *p = NULL, *decoder = NULL, *port = NULL, *uport = NULL, *serial = NULL;
        const char *rel;
        char *slash;
        size_t rl = streq(root, "/") ? 0 : strlen(root);
        int r;

        p = strdup_printf("%s/target%u", regiondir, i);
        if (!p)
                return -ENOMEM;
        r = read_one_line(p, &decoder);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || isempty(decoder))
                return 0; /* not attached (yet, or any more) */

        free(p);
        p = strdup_printf("%s/bus/cxl/devices/%s/..", root, decoder);
        if (!p)
                return -ENOMEM;
        port = realpath(p, NULL);
        if (!port)
                return errno == ENOMEM ? -ENOMEM : 0;
        free(p);
        p = strdup_printf("%s/uport", port);
        if (!p)
                return -ENOMEM;
        uport = realpath(p, NULL);
        if (!uport)
                return errno == ENOMEM ? -ENOMEM : 0;
        if (strncmp(uport, root, rl) != 0)
                return 0;

        if (strv_extend(&d->cxl_memdevs, path_basename(uport)) < 0)
                return -ENOMEM;

        free(p);
        p = strdup_printf("%s/serial", uport);
        if (!p)
                return -ENOMEM;
        r = read_one_line(p, &serial);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && !isempty(serial) && strv_extend(&d->cxl_serials, serial) < 0)
                return -ENOMEM;

        /* "/devices/pci0000:0c/...": the first component below /devices. */
        rel = uport + rl;
        if (strncmp(rel, "/devices/", 9) == 0) {
                _cleanup_free_ char *hb = strdup(rel + 9);

                if (!hb)
                        return -ENOMEM;
                slash = strchr(hb, '/');
                if (slash)
                        *slash = '\0';
                if (strv_extend(&d->cxl_host_bridges, hb) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int dax_scan_cxl(const char *root, const char *devdir, DeviceInfo *d) {
        _cleanup_free_ char *dir = NULL, *p = NULL, *ways = NULL;
        const char *c = devdir, *prev = NULL;
        size_t prev_l = 0;
        unsigned n;
        int r;

        /* The component "regionN" right below "decoderX.Y" (the root decoder). */
        while (*c) {
                size_t l;

                c += strspn(c, "/");
                l = strcspn(c, "/");
                if (l == 0)
                        break;
                if (prev && is_numbered(c, l, "region") && is_numbered(prev, prev_l, "decoder")) {
                        d->cxl_region = strndup(c, l);
                        d->cxl_root_decoder = strndup(prev, prev_l);
                        dir = strndup(devdir, (size_t) (c + l - devdir));
                        if (!d->cxl_region || !d->cxl_root_decoder || !dir)
                                return -ENOMEM;
                        break;
                }
                prev = c;
                prev_l = l;
                c += l;
        }
        if (!dir)
                return 0;

        p = strdup_printf("%s/interleave_ways", dir);
        if (!p)
                return -ENOMEM;
        r = read_one_line(p, &ways);
        if (r == -ENOMEM)
                return r;
        /* Half torn down: the names above are still true, the targets unknown. */
        if (r < 0 || sscanf(ways, "%u", &n) != 1 || n > 16)
                return 0;
        for (unsigned i = 0; i < n; i++) {
                r = scan_target(root, dir, i, d);
                if (r < 0)
                        return r;
        }
        return 0;
}
