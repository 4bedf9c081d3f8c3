/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Scalar value parsers of [Policy]: time spans like systemd's, booleans,
 * unsigned integers. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

static const struct {
        const char *suffix;
        uint64_t usec;
} time_units[] = {
        /* longest first where one is a prefix of another */
        { "seconds", USEC_PER_SEC },
        { "second",  USEC_PER_SEC },
        { "sec",     USEC_PER_SEC },
        { "s",       USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "minute",  60 * USEC_PER_SEC },
        { "min",     60 * USEC_PER_SEC },
        { "months",  2629800 * USEC_PER_SEC },
        { "month",   2629800 * USEC_PER_SEC },
        { "msec",    USEC_PER_MSEC },
        { "ms",      USEC_PER_MSEC },
        { "m",       60 * USEC_PER_SEC },
        { "hours",   3600 * USEC_PER_SEC },
        { "hour",    3600 * USEC_PER_SEC },
        { "hr",      3600 * USEC_PER_SEC },
        { "h",       3600 * USEC_PER_SEC },
        { "days",    86400 * USEC_PER_SEC },
        { "day",     86400 * USEC_PER_SEC },
        { "d",       86400 * USEC_PER_SEC },
        { "weeks",   604800 * USEC_PER_SEC },
        { "week",    604800 * USEC_PER_SEC },
        { "w",       604800 * USEC_PER_SEC },
        { "years",   31557600 * USEC_PER_SEC },
        { "year",    31557600 * USEC_PER_SEC },
        { "y",       31557600 * USEC_PER_SEC },
        { "M",       2629800 * USEC_PER_SEC },
        { "usec",    1 },
        { "us",      1 },
        { "\xc2\xb5s", 1 },
};

static int mul_add(uint64_t *acc, uint64_t a, uint64_t b) {
        if (b != 0 && a > (UINT64_MAX - 1) / b)
                return -ERANGE;
        if (*acc > UINT64_MAX - 1 - a * b)
                return -ERANGE;
        *acc += a * b;
        return 0;
}

int parse_timespan(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        while (isspace((unsigned char) *s))
                s++;
        if (streq(s, "infinity")) {
                *ret_usec = POLICY_USEC_INFINITY;
                return 0;
        }

        for (;;) {
                uint64_t whole = 0, frac = 0, frac_div = 1, unit = USEC_PER_SEC;
                bool digits = false;

                while (isspace((unsigned char) *s))
                        s++;
                if (!*s)
                        break;

                for (; isdigit((unsigned char) *s); s++) {
                        if (whole > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        whole = whole * 10 + (uint64_t) (*s - '0');
                        digits = true;
                }
                if (*s == '.') {
                        s++;
                        for (; isdigit((unsigned char) *s); s++) {
                                if (frac_div < UINT64_C(1000000)) {
                                        frac = frac * 10 + (uint64_t) (*s - '0');
                                        frac_div *= 10;
                                }
                                digits = true;
                        }
                }
                if (!digits)
                        return -EINVAL;

                const char *after_number = s;

                while (*s == ' ' || *s == '\t')
                        s++;

                bool found = false;
                for (size_t i = 0; i < ELEMENTSOF(time_units); i++) {
                        size_t l = strlen(time_units[i].suffix);
                        if (strncmp(s, time_units[i].suffix, l) == 0 && !isalpha((unsigned char) s[l])) {
                                unit = time_units[i].usec;
                                s += l;
                                found = true;
                                break;
                        }
                }
                /* As systemd's parse_sec(): a number without a unit is seconds,
                 * anywhere ("1min30" is 90 s). */
                if (!found && isalpha((unsigned char) *s))
                        return -EINVAL;
                /* ... but "12.34.56" is no time span. */
                if (!found && *after_number && !isspace((unsigned char) *after_number))
                        return -EINVAL;

                if (mul_add(&total, whole, unit) < 0)
                        return -ERANGE;
                if (mul_add(&total, frac * (unit / frac_div) + (unit % frac_div) * frac / frac_div, 1) < 0)
                        return -ERANGE;
                any = true;
        }

        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}

int policy_parse_timespan(const char *s, uint64_t *ret_usec) {
        return parse_timespan(s, ret_usec);
}

const char *policy_format_timespan(char *buf, size_t l, uint64_t usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "d",   86400 * USEC_PER_SEC },
                { "h",   3600 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s",   USEC_PER_SEC },
                { "ms",  USEC_PER_MSEC },
                { "us",  1 },
        };
        size_t n = 0;

        if (l == 0)
                return buf;
        buf[0] = '\0';
        if (usec == POLICY_USEC_INFINITY) {
                snprintf(buf, l, "infinity");
                return buf;
        }
        if (usec == 0) {
                snprintf(buf, l, "0");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(units) && usec > 0; i++) {
                uint64_t q = usec / units[i].usec;
                int k;

                if (q == 0)
                        continue;
                usec -= q * units[i].usec;
                k = snprintf(buf + n, l - n, "%s%" PRIu64 "%s", n > 0 ? " " : "", q, units[i].suffix);
                if (k < 0 || (size_t) k >= l - n)
                        break;
                n += k;
        }
        return buf;
}

int parse_boolean(const char *s) {
        static const char * const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char * const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

int parse_unsigned(const char *s, unsigned *ret) {
        unsigned long long v = 0;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                v = v * 10 + (unsigned) (*s - '0');
                if (v > UINT32_MAX)
                        return -ERANGE;
        }
        if (*s)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}
