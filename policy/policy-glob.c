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

bool glob_list_test(const Cond *c, const char *s) {
        bool has_positive = false, match = false;

        if (c->n == 0)
                return true;
        if (!s)
                return false;

        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                bool m;

                /* Most patterns fail on their literal prefix: skip fnmatch() then. */
                if (it->is_literal)
                        m = streq(it->word, s);
                else
                        m = strncmp(it->word, s, it->literal) == 0 && fnmatch(it->word, s, 0) == 0;

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
