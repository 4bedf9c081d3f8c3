/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One [Match] key: parsing an assignment into a Cond, testing it against a
 * device with an explanation, comparing two Conds. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

static const char * const match_key_table[_MATCH_KEY_MAX] = {
        [MATCH_NAME]        = "Name",
        [MATCH_PATH]        = "Path",
        [MATCH_REGION]      = "Region",
        [MATCH_TARGET_NODE] = "TargetNode",
        [MATCH_SIZE]        = "Size",
        [MATCH_PROVIDER]    = "Provider",
        [MATCH_PROPERTY]    = "Property",
        [MATCH_MODE]        = "Mode",
        [MATCH_MEMDEV]      = "Memdev",
        [MATCH_MEMDEV_SERIAL] = "MemdevSerial",
        [MATCH_HOST_BRIDGE] = "HostBridge",
        [MATCH_ROOT_DECODER] = "RootDecoder",
};

const char *match_key_to_string(MatchKey k) {
        return k >= 0 && k < _MATCH_KEY_MAX ? match_key_table[k] : NULL;
}

CondKind match_key_kind(MatchKey k) {
        switch (k) {
        case MATCH_TARGET_NODE:
                return COND_NODE;
        case MATCH_SIZE:
                return COND_SIZE;
        case MATCH_PROPERTY:
                return COND_PROPERTY;
        case MATCH_MEMDEV_SERIAL:
                return COND_SERIAL;
        default:
                return COND_GLOB;
        }
}

static void cond_item_done(CondItem *it) {
        free(it->word);
        free(it->value);
}

void cond_done(Cond *c) {
        for (size_t i = 0; i < c->n; i++)
                cond_item_done(c->items + i);
        free(c->items);
        *c = (Cond) {};
}

static int cond_item_parse(CondItem *it, MatchKey k, char *word, char **ret_error) {
        const char *key = match_key_to_string(k);
        int r;

        switch (match_key_kind(k)) {
        case COND_GLOB:
                /* fnmatch() without flags: only these characters are special. */
                it->literal = strcspn(word, "*?[\\");
                it->is_literal = word[it->literal] == '\0';
                break;

        case COND_NODE:
                r = parse_node_range(word, &it->lo, &it->hi);
                if (r < 0) {
                        *ret_error = strdup_printf(
                                r == -ERANGE ? "Invalid %s= value '%s': node out of range or range start above its end"
                                             : "Invalid %s= value '%s': expected a node number or a range like 2-3",
                                key, word);
                        return -EINVAL;
                }
                break;

        case COND_SIZE:
                r = parse_size_range(word, &it->lo, &it->hi);
                if (r < 0) {
                        *ret_error = strdup_printf(
                                r == -ERANGE ? "Invalid %s= value '%s': size too large or range start above its end"
                                             : "Invalid %s= value '%s': expected a size or a range like 4G, 4G..64G or ..1T",
                                key, word);
                        return -EINVAL;
                }
                break;

        case COND_SERIAL:
                r = parse_serial(word, &it->lo);
                if (r < 0) {
                        *ret_error = strdup_printf(
                                r == -ERANGE ? "Invalid %s= value '%s': serial number above 64 bits"
                                             : "Invalid %s= value '%s': expected a serial number, decimal or 0x-hex (as cxl list or the memdev's serial attribute print it)",
                                key, word);
                        return -EINVAL;
                }
                it->hi = it->lo;
                break;

        case COND_PROPERTY: {
                char *eq = strchr(word, '=');

                if (!eq || eq == word) {
                        *ret_error = strdup_printf("Invalid %s= value '%s': expected KEY=GLOB", key, word);
                        return -EINVAL;
                }
                it->value = strdup(eq + 1);
                if (!it->value)
                        return -ENOMEM;
                *eq = '\0';
                break;
        }
        }

        it->word = word;
        return 0;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
        const unsigned char *b = p;

        for (size_t i = 0; i < n; i++) {
                h ^= b[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static void cond_rehash(Cond *c, MatchKey k) {
        CondKind kind = match_key_kind(k);

        c->hash = 0;
        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                uint64_t h = UINT64_C(0xcbf29ce484222325);

                h = hash_bytes(h, &it->invert, sizeof(it->invert));
                if (kind == COND_NODE || kind == COND_SIZE || kind == COND_SERIAL) {
                        h = hash_bytes(h, &it->lo, sizeof(it->lo));
                        h = hash_bytes(h, &it->hi, sizeof(it->hi));
                } else {
                        h = hash_bytes(h, it->word, strlen(it->word) + 1);
                        if (it->value)
                                h = hash_bytes(h, it->value, strlen(it->value));
                }
                c->hash += h; /* a sum does not depend on the order of the items */
        }
}

int cond_parse(Cond *c, MatchKey k, const char *value, char **ret_error) {
        const char *p = value;
        bool invert;
        size_t n0 = c->n;
        int r;

        *ret_error = NULL;

        if (isempty(value)) {
                cond_done(c);
                return 0;
        }

        invert = *p == '!';
        p += invert;

        for (;;) {
                _cleanup_free_ char *word = NULL;
                CondItem *t;

                r = extract_word(&p, &word);
                if (r == -EINVAL) {
                        *ret_error = strdup_printf("Invalid %s= value: unterminated quote", match_key_to_string(k));
                        goto fail;
                }
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;

                t = realloc(c->items, (c->n + 1) * sizeof(CondItem));
                if (!t) {
                        r = -ENOMEM;
                        goto fail;
                }
                c->items = t;
                t[c->n] = (CondItem) { .invert = invert };
                r = cond_item_parse(t + c->n, k, word, ret_error);
                if (r < 0) {
                        cond_item_done(t + c->n);
                        goto fail;
                }
                TAKE_PTR(word);
                c->n++;
        }

        if (c->n == n0) {
                *ret_error = strdup_printf("Invalid %s= value '%s': no pattern after '!'", match_key_to_string(k), value);
                return -EINVAL;
        }
        cond_rehash(c, k);
        return 0;

fail:
        /* Leave the list as it was before this assignment. */
        while (c->n > n0)
                cond_item_done(c->items + --c->n);
        if (r == -EINVAL && !*ret_error)
                return -ENOMEM;
        return r;
}

static bool cond_item_equal(const CondItem *a, const CondItem *b, CondKind kind) {
        if (a->invert != b->invert)
                return false;
        switch (kind) {
        case COND_NODE:
        case COND_SIZE:
        case COND_SERIAL:
                return a->lo == b->lo && a->hi == b->hi;
        case COND_PROPERTY:
                return streq(a->word, b->word) && streq(a->value, b->value);
        default:
                return streq(a->word, b->word);
        }
}

static bool cond_has_item(const Cond *c, const CondItem *it, CondKind kind) {
        for (size_t i = 0; i < c->n; i++)
                if (cond_item_equal(c->items + i, it, kind))
                        return true;
        return false;
}

bool cond_items_subset(const Cond *a, const Cond *b, MatchKey k) {
        for (size_t i = 0; i < a->n; i++)
                if (!cond_has_item(b, a->items + i, match_key_kind(k)))
                        return false;
        return true;
}

bool cond_equal(const Cond *a, const Cond *b, MatchKey k) {
        if (a->n != b->n || a->hash != b->hash)
                return false;
        return cond_items_subset(a, b, k) && cond_items_subset(b, a, k);
}

/* "dax0.* !dax0.1" for the positive or negative items of one key. */
static void append_items(StrBuf *b, const Cond *c, MatchKey k, bool invert) {
        bool first = true;

        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;

                if (it->invert != invert)
                        continue;
                strbuf_append(b, "%s%s%s", first ? (invert ? "!" : "") : " ", it->word,
                              k == MATCH_PROPERTY ? "=" : "");
                if (k == MATCH_PROPERTY)
                        strbuf_append(b, "%s", it->value);
                first = false;
        }
}

static void append_cond(StrBuf *b, const Cond *c, MatchKey k) {
        bool pos = false, neg = false;

        for (size_t i = 0; i < c->n; i++) {
                if (c->items[i].invert)
                        neg = true;
                else
                        pos = true;
        }
        strbuf_append(b, "%s=", match_key_to_string(k));
        if (pos)
                append_items(b, c, k, false);
        if (neg) {
                if (pos)
                        strbuf_append(b, " ");
                append_items(b, c, k, true);
        }
}

int policy_file_format_match(const PolicyFile *f, char **ret) {
        StrBuf b = {};

        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                const Cond *c = f->match + k;
                bool pos = false, neg = false;

                for (size_t i = 0; i < c->n; i++) {
                        if (c->items[i].invert)
                                neg = true;
                        else
                                pos = true;
                }
                /* One line per sign, so that each line parses back to the same items. */
                if (pos) {
                        strbuf_append(&b, "%s=", match_key_to_string(k));
                        append_items(&b, c, k, false);
                        strbuf_append(&b, "\n");
                }
                if (neg) {
                        strbuf_append(&b, "%s=", match_key_to_string(k));
                        append_items(&b, c, k, true);
                        strbuf_append(&b, "\n");
                }
        }

        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

static const char *device_string(MatchKey k, const DeviceInfo *dev) {
        switch (k) {
        case MATCH_NAME:
                return dev->name;
        case MATCH_PATH:
                return dev->path;
        case MATCH_REGION:
                return dev->region;
        case MATCH_PROVIDER:
                return dev->provider;
        case MATCH_MODE:
                return dev->mode;
        case MATCH_ROOT_DECODER:
                return dev->cxl_root_decoder;
        default:
                return NULL;
        }
}

/* Keys with several device values: any of them may match (policy-glob.c). */
static char * const *device_strv(MatchKey k, const DeviceInfo *dev) {
        switch (k) {
        case MATCH_MEMDEV:
                return dev->cxl_memdevs;
        case MATCH_MEMDEV_SERIAL:
                return dev->cxl_serials;
        case MATCH_HOST_BRIDGE:
                return dev->cxl_host_bridges;
        default:
                return NULL;
        }
}

/* "a, b" of a value list, NULL for none. */
static const char *join_values(char *buf, size_t l, char * const *v) {
        size_t n = 0;

        if (!v || !v[0])
                return NULL;
        buf[0] = '\0';
        for (; *v && n < l; v++)
                n += (size_t) snprintf(buf + n, l - n, "%s%s", n ? ", " : "", *v);
        return buf;
}

static void explain_property(const Cond *c, const DeviceInfo *dev, bool ok, StrBuf *reason) {
        if (!dev->properties) {
                strbuf_append(reason, " did not match: properties unknown");
                return;
        }
        if (ok) {
                strbuf_append(reason, " matched");
                return;
        }
        for (size_t i = 0; i < c->n; i++) {
                const CondItem *it = c->items + i;
                const char *v = strv_find_prefix_value(dev->properties, it->word);

                if (property_item_holds(it, dev->properties) != it->invert)
                        continue;
                if (v)
                        strbuf_append(reason, " did not match: %s=\"%s\"", it->word, v);
                else
                        strbuf_append(reason, " did not match: %s unset", it->word);
                return;
        }
}

bool cond_test(const Cond *c, MatchKey k, const DeviceInfo *dev, StrBuf *reason) {
        /* A CXL region's device: Region= also takes the region's name ("region0"). */
        char *regions[] = { (char *) dev->region, (char *) dev->cxl_region, NULL };
        char buf[256];
        const char *s;
        bool ok;

        if (!regions[0]) {
                regions[0] = regions[1];
                regions[1] = NULL;
        }

        switch (k) {
        case MATCH_TARGET_NODE:
                ok = dev->target_node >= 0 && range_list_test(c, (uint64_t) dev->target_node);
                break;
        case MATCH_SIZE:
                ok = range_list_test(c, dev->size);
                break;
        case MATCH_PROPERTY:
                ok = property_list_test(c, dev->properties);
                break;
        case MATCH_REGION:
                ok = glob_list_test_any(c, regions);
                break;
        case MATCH_MEMDEV:
        case MATCH_HOST_BRIDGE:
                ok = glob_list_test_any(c, device_strv(k, dev));
                break;
        case MATCH_MEMDEV_SERIAL:
                ok = serial_list_test_any(c, device_strv(k, dev));
                break;
        default:
                ok = glob_list_test(c, device_string(k, dev));
        }

        if (!reason)
                return ok;

        append_cond(reason, c, k);
        switch (k) {
        case MATCH_PROPERTY:
                explain_property(c, dev, ok, reason);
                return ok;
        case MATCH_TARGET_NODE:
                snprintf(buf, sizeof(buf), "%d", dev->target_node);
                s = dev->target_node >= 0 ? buf : NULL;
                break;
        case MATCH_SIZE:
                s = format_size(buf, sizeof(buf), dev->size);
                break;
        case MATCH_REGION:
                s = join_values(buf, sizeof(buf), regions);
                break;
        case MATCH_MEMDEV:
        case MATCH_MEMDEV_SERIAL:
        case MATCH_HOST_BRIDGE:
                s = join_values(buf, sizeof(buf), device_strv(k, dev));
                break;
        default:
                s = device_string(k, dev);
        }
        if (!s)
                strbuf_append(reason, " did not match: %s unknown", match_key_to_string(k));
        else
                strbuf_append(reason, " %s \"%s\"", ok ? "matched" : "did not match", s);
        return ok;
}
