/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "device-blocks.h"
#include "kernel-dax.h"
#include "manager.h"
#include "policy-util.h"

int device_block_counts(const Device *d, uint32_t *ret_online, uint32_t *ret_total) {
        uint32_t online = 0, total = 0;

        for (size_t i = 0; i < d->status.n_spans; i++)
                for (uint64_t b = d->status.spans[i].first; b < d->status.spans[i].end; b++) {
                        _cleanup_free_ char *p = pathf("%s/devices/system/memory/memory%" PRIu64 "/state",
                                                       d->manager->sysfs_root, b);
                        _cleanup_free_ char *v = NULL;

                        if (!p)
                                return -ENOMEM;
                        total++;
                        /* A missing block is unplugged, not an error. */
                        if (read_one_line(p, &v) >= 0 && streq(v, "online"))
                                online++;
                }
        *ret_online = online;
        *ret_total = total;
        return 0;
}
