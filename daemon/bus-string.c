/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-string.h"
#include "macro.h"
#include "utf8.h"

int bus_append_string_safe(sd_bus_message *m, const char *s) {
        const unsigned char *p;
        _cleanup_free_ char *copy = NULL;
        char *q;

        s = strempty(s);
        for (p = (const unsigned char *) s; *p; p += utf8_valid_len(p))
                if (utf8_valid_len(p) == 0)
                        break;
        if (!*p)
                return sd_bus_message_append(m, "s", s);

        /* Each invalid byte grows to the 3 bytes of U+FFFD. */
        copy = malloc(strlen(s) * 3 + 1);
        if (!copy)
                return -ENOMEM;
        for (p = (const unsigned char *) s, q = copy; *p;) {
                size_t n = utf8_valid_len(p);

                if (n == 0) {
                        memcpy(q, "\xef\xbf\xbd", 3);
                        q += 3;
                        p++;
                } else {
                        memcpy(q, p, n);
                        q += n;
                        p += n;
                }
        }
        *q = 0;
        return sd_bus_message_append(m, "s", copy);
}
