/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Size= values: "4G", "1.5G", "4G..64G", "..1T", "512M..". Suffixes are powers of
 * 1024 (K, M, G, T, P, E, optionally followed by "iB" or "B"; a bare "B" is
 * bytes), as systemd parses sizes. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "policy-internal.h"

int parse_size(const char *s, uint64_t *ret) {
        static const char suffixes[] = "KMGTPE";
        uint64_t v = 0, frac = 0, frac_div = 1, mult = 1;
        unsigned __int128 total;
        const char *p;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        /* "1.5G", as systemd: the fraction of the unit, rounded down to a byte. */
        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                for (; isdigit((unsigned char) *s); s++)
                        if (frac_div < UINT64_C(1000000000000000000)) {
                                frac = frac * 10 + (uint64_t) (*s - '0');
                                frac_div *= 10;
                        }
        }
        if (*s && (p = strchr(suffixes, *s))) {
                for (const char *q = suffixes; q <= p; q++)
                        mult *= 1024;
                s++;
                /* "G", "GiB" and "GB" all mean 1024^3, as in systemd's MemoryMax= */
                if (strncmp(s, "iB", 2) == 0)
                        s += 2;
                else if (*s == 'B')
                        s++;
        } else if (*s == 'B')
                s++;
        if (*s)
                return -EINVAL;
        total = (unsigned __int128) v * mult + (unsigned __int128) frac * mult / frac_div;
        if (total > UINT64_MAX)
                return -ERANGE;
        *ret = (uint64_t) total;
        return 0;
}

int parse_size_range(const char *s, uint64_t *ret_lo, uint64_t *ret_hi) {
        const char *dots = strstr(s, "..");
        uint64_t lo = 0, hi = UINT64_MAX;
        int r;

        if (!dots) {
                r = parse_size(s, &lo);
                if (r < 0)
                        return r;
                *ret_lo = *ret_hi = lo;
                return 0;
        }

        if (dots == s && dots[2] == '\0')
                return -EINVAL; /* ".." alone says nothing */

        if (dots > s) {
                char buf[64];
                size_t l = (size_t) (dots - s);

                if (l >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, s, l);
                buf[l] = '\0';
                r = parse_size(buf, &lo);
                if (r < 0)
                        return r;
        }
        if (dots[2] != '\0') {
                r = parse_size(dots + 2, &hi);
                if (r < 0)
                        return r;
        }
        if (lo > hi)
                return -ERANGE;

        *ret_lo = lo;
        *ret_hi = hi;
        return 0;
}

char *format_size(char *buf, size_t l, uint64_t bytes) {
        static const char suffixes[] = "KMGTPE";
        int i = -1;
        uint64_t v = bytes;

        /* Exact values only, so that the text can be pasted back into Size=. */
        while (v >= 1024 && v % 1024 == 0 && i < 5) {
                v /= 1024;
                i++;
        }
        if (i < 0)
                snprintf(buf, l, "%" PRIu64, bytes);
        else
                snprintf(buf, l, "%" PRIu64 "%c", v, suffixes[i]);
        return buf;
}
