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

/* The list semantics above, for any kind of item and device value. */
static bool list_holds(const Cond *c, bool (*item_matches)(const CondItem *it, const void *value),
                       const void *value) {
        bool has_positive = false, match = false;

        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                bool m = item_matches(it, value);

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

static bool glob_item_matches_string(const CondItem *it, const void *s) {
        return glob_item_matches(it, s);
}

bool glob_list_test(const Cond *c, const char *s) {
        if (c->n == 0)
                return true;
        if (!s)
                return false;
        return list_holds(c, glob_item_matches_string, s);
}

static bool range_item_matches(const CondItem *it, const void *value) {
        uint64_t v = *(const uint64_t *) value;

        return v >= it->lo && v <= it->hi;
}

bool range_list_test(const Cond *c, uint64_t v) {
        return list_holds(c, range_item_matches, &v);
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

static bool glob_item_matches_any(const CondItem *it, const void *values) {
        for (char * const *v = values; *v; v++)
                if (glob_item_matches(it, *v))
                        return true;
        return false;
}

bool glob_list_test_any(const Cond *c, char * const *values) {
        if (c->n == 0)
                return true;
        if (!values || !values[0])
                return false;
        return list_holds(c, glob_item_matches_any, values);
}

/* A serial the kernel printed oddly is unknown, not a match. */
static bool serial_item_matches_any(const CondItem *it, const void *values) {
        for (char * const *v = values; v && *v; v++) {
                uint64_t s;

                if (parse_serial(*v, &s) >= 0 && s == it->lo)
                        return true;
        }
        return false;
}

static bool serials_known(char * const *values) {
        for (char * const *v = values; v && *v; v++) {
                uint64_t s;

                if (parse_serial(*v, &s) >= 0)
                        return true;
        }
        return false;
}

bool serial_list_test_any(const Cond *c, char * const *values) {
        if (c->n == 0)
                return true;
        return serials_known(values) && list_holds(c, serial_item_matches_any, values);
}
