/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "manager.h"
#include "nfd-features.h"

/* A provider name as a label name part: at most 16 of [a-z0-9-], alphanumeric at both ends. */
#define PROVIDER_MAX 16

typedef struct Sum {
        char key[PROVIDER_MAX + 1 + 16];        /* "hmem", "node2" or "hmem.node2" */
        uint64_t bytes;
} Sum;

typedef struct Sums {
        Sum *s;
        size_t n;
        bool oom;
} Sums;

static void label_part(const char *in, char out[static PROVIDER_MAX + 1]) {
        size_t n = 0;

        for (const char *p = strempty(in); *p && n < PROVIDER_MAX; p++)
                out[n++] = isalnum((unsigned char) *p) ? (char) tolower((unsigned char) *p) : '-';
        while (n > 0 && out[n - 1] == '-')
                n--;
        out[n] = '\0';
        if (out[0] == '-' || n == 0)
                strcpy(out, "unknown");
}

/* Adds bytes under key, creating it at 0 first: a provider without movable memory still shows. */
static void sums_add(Sums *ss, const char *key, uint64_t bytes) {
        Sum *n;

        for (size_t i = 0; i < ss->n; i++)
                if (streq(ss->s[i].key, key)) {
                        ss->s[i].bytes += bytes;
                        return;
                }
        n = realloc(ss->s, sizeof(Sum) * (ss->n + 1));
        if (!n) {
                ss->oom = true;
                return;
        }
        ss->s = n;
        snprintf(ss->s[ss->n].key, sizeof(ss->s[ss->n].key), "%s", key);
        ss->s[ss->n++].bytes = bytes;
}

static int sum_compare(const void *a, const void *b) {
        return strverscmp(((const Sum *) a)->key, ((const Sum *) b)->key);
}

static void emit_sums(StrBuf *b, const char *name, Sums *ss) {
        if (ss->n > 1)          /* qsort() must not be given NULL, which ss->s is without devices */
                qsort(ss->s, ss->n, sizeof(Sum), sum_compare);
        for (size_t i = 0; i < ss->n; i++)
                strbuf_append(b, "%s.%s=%" PRIu64 "\n", name, ss->s[i].key, ss->s[i].bytes);
}

char *nfd_features_render(Manager *m) {
        Sums by_provider = {}, by_node = {}, by_both = {};
        uint64_t dax_bytes = 0, movable_bytes = 0;
        bool cxl = false;
        StrBuf b = {};

        for (size_t i = 0; i < m->n_devices; i++) {
                const Device *d = m->devices[i];
                bool movable = streq(device_state_string(d), "online_movable");
                uint64_t bytes = movable ? d->status.size : 0;
                char prov[PROVIDER_MAX + 1], node[16], both[sizeof(((Sum *) NULL)->key)];

                label_part(d->status.provider, prov);
                cxl = cxl || streq(prov, "cxl");
                dax_bytes += d->status.size;
                movable_bytes += bytes;
                sums_add(&by_provider, prov, bytes);
                if (d->status.target_node >= 0) {
                        snprintf(node, sizeof(node), "node%d", d->status.target_node);
                        snprintf(both, sizeof(both), "%s.%s", prov, node);
                        sums_add(&by_node, node, bytes);
                        sums_add(&by_both, both, bytes);
                }
        }

        /* No comment lines: NFD releases before 0.14 take every line for a feature. */
        strbuf_append(&b, "daxhp-devices=%zu\n", m->n_devices);
        strbuf_append(&b, "daxhp-cxl-present=%s\n", cxl ? "true" : "false");
        strbuf_append(&b, "daxhp-atomic-hotplug=%s\n", manager_atomic_hotplug(m) ? "true" : "false");
        strbuf_append(&b, "daxhp-dax-bytes=%" PRIu64 "\n", dax_bytes);
        strbuf_append(&b, "daxhp-online-movable-bytes=%" PRIu64 "\n", movable_bytes);
        emit_sums(&b, "daxhp-online-movable-bytes", &by_provider);
        emit_sums(&b, "daxhp-online-movable-bytes", &by_node);
        emit_sums(&b, "daxhp-online-movable-bytes", &by_both);
        if (by_provider.oom || by_node.oom || by_both.oom)
                b.oom = true;
        free(by_provider.s);
        free(by_node.s);
        free(by_both.s);
        return strbuf_steal(&b);
}
