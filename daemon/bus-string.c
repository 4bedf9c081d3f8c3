/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-string.h"
#include "macro.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. */
static size_t utf8_valid_len(const unsigned char *p) {
        size_t n;
        uint32_t c;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                n = 2, c = p[0] & 0x1f;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                n = 3, c = p[0] & 0x0f;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                n = 4, c = p[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
            (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return n;
}

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
