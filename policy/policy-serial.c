/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* MemdevSerial= values and the kernel's memdev "serial" attribute: one number,
 * decimal ("4097", as cxl list prints it) or hex with 0x ("0x1001", as sysfs
 * does), so that either spelling matches the same device. */

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "policy-internal.h"

int parse_serial(const char *s, uint64_t *ret) {
        unsigned long long v;
        const char *digits;
        bool hex;
        char *end;

        if (!s)
                return -EINVAL;
        hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        digits = hex ? s + 2 : s;
        /* strtoull() would take a sign or blanks first, and a leading 0 as octal. */
        if (hex ? !isxdigit((unsigned char) digits[0]) : !isdigit((unsigned char) digits[0]))
                return -EINVAL;
        if (!hex && s[0] == '0' && s[1] != '\0')
                return -EINVAL;
        errno = 0;
        v = strtoull(digits, &end, hex ? 16 : 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}
