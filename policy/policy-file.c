/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One accepted policy file: its object, accessors, and matching it
 * against a device. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

int policy_file_new(const char *path, PolicyFile **ret) {
        _cleanup_(policy_file_freep) PolicyFile *f = NULL;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->path = strdup(path);
        if (!f->path)
                return -ENOMEM;
        f->name = strdup(path_basename(path));
        if (!f->name)
                return -ENOMEM;
        f->policy = (Policy) {
                .state = POLICY_STATE_ONLINE_MOVABLE,
                .memmap_on_memory = -1,
                .on_drift = POLICY_ON_DRIFT_REAPPLY,
                .timeout_usec = POLICY_DEFAULT_TIMEOUT_USEC,
                .retries = POLICY_DEFAULT_RETRIES,
                .retry_delay_usec = POLICY_DEFAULT_RETRY_DELAY_USEC,
                .max_movable_percent = -1,
        };

        *ret = TAKE_PTR(f);
        return 0;
}

PolicyFile *policy_file_free(PolicyFile *f) {
        if (!f)
                return NULL;
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                cond_done(f->match + k);
        strv_free(f->dropins);
        free(f->name);
        free(f->path);
        free(f);
        return NULL;
}

const char *policy_file_path(const PolicyFile *f) {
        return f->path;
}

const char *policy_file_name(const PolicyFile *f) {
        return f->name;
}

const Policy *policy_file_policy(const PolicyFile *f) {
        return &f->policy;
}

size_t policy_file_n_dropins(const PolicyFile *f) {
        return strv_length(f->dropins);
}

const char *policy_file_dropin(const PolicyFile *f, size_t i) {
        return i < policy_file_n_dropins(f) ? f->dropins[i] : NULL;
}

bool policy_file_matches_all_internal(const PolicyFile *f) {
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                if (f->match[k].n > 0)
                        return false;
        return true;
}

bool policy_file_matches_all(const PolicyFile *f) {
        return policy_file_matches_all_internal(f);
}

int policy_file_test(const PolicyFile *f, const DeviceInfo *dev, char **ret_reason) {
        StrBuf b = {};
        StrBuf *reason = ret_reason ? &b : NULL;
        bool first = true;

        if (!ret_reason) {
                /* The hot path of policy_set_match(): no explanation. */
                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                        if (f->match[k].n > 0 && !cond_test(f->match + k, k, dev, NULL))
                                return 0;
                return 1;
        }

        if (policy_file_matches_all_internal(f)) {
                if (ret_reason) {
                        *ret_reason = strdup("empty [Match] matches every device");
                        if (!*ret_reason)
                                return -ENOMEM;
                }
                return 1;
        }

        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                const Cond *c = f->match + k;
                size_t mark = b.len;
                bool ok;

                if (c->n == 0)
                        continue;
                if (reason && !first)
                        strbuf_append(reason, ", ");
                ok = cond_test(c, k, dev, reason);
                if (!ok) {
                        if (reason) {
                                /* Only the key that failed explains a miss. */
                                if (!b.oom && mark > 0) {
                                        size_t skip = mark + 2;
                                        memmove(b.s, b.s + skip, b.len - skip + 1);
                                        b.len -= skip;
                                }
                                *ret_reason = strbuf_steal(&b);
                                if (!*ret_reason)
                                        return -ENOMEM;
                        }
                        return 0;
                }
                first = false;
        }

        if (ret_reason) {
                *ret_reason = strbuf_steal(&b);
                if (!*ret_reason)
                        return -ENOMEM;
        }
        return 1;
}

bool policy_file_shadows(const PolicyFile *earlier, const PolicyFile *later) {
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                const Cond *e = earlier->match + k, *l = later->match + k;

                if (e->n == 0)
                        continue;
                /* Property= items are ANDed: later requiring at least the same
                 * items is enough. Other keys must carry the same list. */
                if (k == MATCH_PROPERTY ? !cond_items_subset(e, l, k) : !cond_equal(e, l, k))
                        return false;
        }
        return true;
}
