/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

int diagnostics_addv(Diagnostics *d, PolicyDiagnosticLevel level, const char *file, unsigned line,
                     const char *fmt, va_list ap) {
        _cleanup_free_ char *f = NULL, *m = NULL;
        int r;

        if (d->n >= d->allocated) {
                size_t na = d->allocated ? d->allocated * 2 : 8;
                PolicyDiagnostic *t = realloc(d->items, na * sizeof(*t));
                if (!t)
                        return -ENOMEM;
                d->items = t;
                d->allocated = na;
        }

        r = vasprintf(&m, fmt, ap);
        if (r < 0) {
                m = NULL;
                return -ENOMEM;
        }
        f = strdup(file);
        if (!f)
                return -ENOMEM;

        d->items[d->n++] = (PolicyDiagnostic) {
                .level = level,
                .file = TAKE_PTR(f),
                .line = line,
                .message = TAKE_PTR(m),
        };
        if (level == POLICY_DIAGNOSTIC_ERROR)
                d->n_errors++;
        return 0;
}

int diagnostics_add(Diagnostics *d, PolicyDiagnosticLevel level, const char *file, unsigned line,
                    const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diagnostics_addv(d, level, file, line, fmt, ap);
        va_end(ap);
        return r;
}

void diagnostics_done(Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++) {
                free((char *) d->items[i].file);
                free((char *) d->items[i].message);
        }
        free(d->items);
        *d = (Diagnostics) {};
}

const char *policy_diagnostic_level_to_string(PolicyDiagnosticLevel l) {
        switch (l) {
        case POLICY_DIAGNOSTIC_ERROR:
                return "error";
        case POLICY_DIAGNOSTIC_WARNING:
                return "warning";
        }
        return NULL;
}

int policy_diagnostic_format(const PolicyDiagnostic *d, char **ret) {
        char *s;

        if (d->line > 0)
                s = strdup_printf("%s:%u: %s", d->file, d->line, d->message);
        else
                s = strdup_printf("%s: %s", d->file, d->message);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
