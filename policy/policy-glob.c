/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * List semantics of [Match] values, as in systemd's net-condition.c:
 * a negative ("!") item that matches fails the list; when the list has
 * positive items, at least one of them must match. An unknown value
 * (NULL string, -1 node) never satisfies a non-empty list.
 */

#include <fnmatch.h>
#include <string.h>

#include "policy-internal.h"

/* Most patterns fail on their literal prefix: skip fnmatch() then. */
static bool glob_item_matches(const CondItem *it, const char *s) {
        if (it->is_literal)
                return streq(it->word, s);
        return strncmp(it->word, s, it->literal) == 0 && fnmatch(it->word, s, 0) == 0;
}

bool glob_list_test(const Cond *c, const char *s) {
        bool has_positive = false, match = false;

        if (c->n == 0)
                return true;
        if (!s)
                return false;

        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                bool m = glob_item_matches(it, s);

                if (it->invert) {
                        if (m)
                                return false;
                } else {
                        has_positive = true;
                        match = match || m;
                }
        }
        return has_positive ? match : true;
}

bool range_list_test(const Cond *c, uint64_t v) {
        bool has_positive = false, match = false;

        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                bool m = v >= it->lo && v <= it->hi;

                if (it->invert) {
                        if (m)
                                return false;
                } else {
                        has_positive = true;
                        match = match || m;
                }
        }
        return has_positive ? match : true;
}

/* One property item: KEY present and its value matches the glob. */
bool property_item_holds(const CondItem *it, char * const *properties) {
        const char *v = strv_find_prefix_value(properties, it->word);

        return v && fnmatch(it->value, v, 0) == 0;
}

bool property_list_test(const Cond *c, char * const *properties) {
        if (c->n == 0)
                return true;
        if (!properties)
                return false;

        /* Property= items are ANDed: each must hold (or, inverted, must not). */
        for (size_t i = 0; i < c->n; i++)
                if (property_item_holds(c->items + i, properties) == c->items[i].invert)
                        return false;
        return true;
}


bool glob_list_test_any(const Cond *c, char * const *values) {
        bool has_positive = false, match = false;

        if (c->n == 0)
                return true;
        if (!values || !values[0])
                return false;

        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                bool m = false;

                for (char * const *v = values; *v && !m; v++)
                        m = glob_item_matches(it, *v);
                if (it->invert) {
                        if (m)
                                return false;
                } else {
                        has_positive = true;
                        match = match || m;
                }
        }
        return has_positive ? match : true;
}

bool serial_list_test_any(const Cond *c, char * const *values) {
        bool has_positive = false, match = false, known = false;

        if (c->n == 0)
                return true;

        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                bool m = false;

                for (char * const *v = values; v && *v; v++) {
                        uint64_t s;

                        /* A serial the kernel printed oddly is unknown, not a match. */
                        if (parse_serial(*v, &s) < 0)
                                continue;
                        known = true;
                        m = m || s == it->lo;
                }
                if (it->invert) {
                        if (m)
                                return false;
                } else {
                        has_positive = true;
                        match = match || m;
                }
        }
        return known && (has_positive ? match : true);
}
