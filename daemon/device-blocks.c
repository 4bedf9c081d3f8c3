/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "device-blocks.h"
#include "device.h"
#include "manager.h"
#include "policy-util.h"

void block_census_done(BlockCensus *c) {
        free(c->online);
        *c = (BlockCensus) {};
}

/* Position of `block` in the census, or -1 when the device does not cover it. */
static int64_t census_index(const Device *d, uint64_t block) {
        uint64_t base = 0;

        for (size_t i = 0; i < d->status.n_spans; i++) {
                const DaxBlockSpan *s = &d->status.spans[i];

                if (block >= s->first && block < s->end)
                        return (int64_t) (base + (block - s->first));
                base += s->end - s->first;
        }
        return -1;
}

/* No file is read: kdax_read() saw each present block's state. */
int device_blocks_rebuild(Device *d) {
        BlockCensus c = {};
        uint64_t total = 0;

        for (size_t i = 0; i < d->status.n_spans; i++)
                total += d->status.spans[i].end - d->status.spans[i].first;
        if (total > UINT32_MAX)
                return -E2BIG;
        c.online = calloc(total ?: 1, 1);
        if (!c.online)
                return -ENOMEM;
        c.n_total = (uint32_t) total;
        for (size_t i = 0; i < d->status.n_blocks; i++) {
                int64_t k = census_index(d, d->status.blocks[i]);

                if (k >= 0 && d->status.online[i] && !c.online[k]) {
                        c.online[k] = 1;
                        c.n_online++;
                }
        }
        block_census_done(&d->blocks);
        d->blocks = c;
        return 0;
}

bool device_blocks_event(Device *d, uint64_t block, const char *action) {
        int64_t i = census_index(d, block);
        uint8_t now;

        if (i < 0 || (uint64_t) i >= d->blocks.n_total)
                return false;
        /* "add" makes an offline block; "change" and others say nothing about the state. */
        if (streq(action, "online"))
                now = 1;
        else if (streq(action, "offline") || streq(action, "remove") || streq(action, "add"))
                now = 0;
        else
                return false;
        if (d->blocks.online[i] == now)
                return false;
        d->blocks.online[i] = now;
        if (now)
                d->blocks.n_online++;
        else
                d->blocks.n_online--;
        return true;
}

void device_block_counts(const Device *d, uint32_t *ret_online, uint32_t *ret_total) {
        *ret_online = d->blocks.n_online;
        *ret_total = d->blocks.n_total;
}
