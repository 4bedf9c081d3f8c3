/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* TargetNode= values: a NUMA node number "2" or an inclusive range "2-3". */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "policy-internal.h"

#define NODE_MAX 65535 /* far above any MAX_NUMNODES */

static int parse_node(const char *s, const char *end, uint64_t *ret) {
        uint64_t v = 0;

        if (s == end)
                return -EINVAL;
        for (; s < end; s++) {
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*s - '0');
                if (v > NODE_MAX)
                        return -ERANGE;
        }
        *ret = v;
        return 0;
}

int parse_node_range(const char *s, uint64_t *ret_lo, uint64_t *ret_hi) {
        const char *dash = strchr(s, '-'), *end = s + strlen(s);
        uint64_t lo, hi;
        int r;

        r = parse_node(s, dash ?: end, &lo);
        if (r < 0)
                return r;
        if (dash) {
                r = parse_node(dash + 1, end, &hi);
                if (r < 0)
                        return r;
                if (lo > hi)
                        return -ERANGE;
        } else
                hi = lo;

        *ret_lo = lo;
        *ret_hi = hi;
        return 0;
}
