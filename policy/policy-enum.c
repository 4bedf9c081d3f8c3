/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "policy-internal.h"

static const char * const state_table[_POLICY_STATE_MAX] = {
        [POLICY_STATE_ONLINE_MOVABLE] = "online_movable",
        [POLICY_STATE_ONLINE_KERNEL]  = "online_kernel",
        [POLICY_STATE_ONLINE]         = "online",
        [POLICY_STATE_UNPLUGGED]      = "unplugged",
        [POLICY_STATE_DEVDAX]         = "devdax",
        [POLICY_STATE_IGNORE]         = "ignore",
};

static const char * const on_drift_table[_POLICY_ON_DRIFT_MAX] = {
        [POLICY_ON_DRIFT_REAPPLY] = "reapply",
        [POLICY_ON_DRIFT_REPORT]  = "report",
};

static int lookup(const char * const *table, size_t n, const char *s) {
        if (!s)
                return -22;
        for (size_t i = 0; i < n; i++)
                if (streq(table[i], s))
                        return (int) i;
        return -22;
}

const char *policy_state_to_string(PolicyState s) {
        return s >= 0 && s < _POLICY_STATE_MAX ? state_table[s] : NULL;
}

PolicyState policy_state_from_string(const char *s) {
        return (PolicyState) lookup(state_table, _POLICY_STATE_MAX, s);
}

const char *policy_on_drift_to_string(PolicyOnDrift d) {
        return d >= 0 && d < _POLICY_ON_DRIFT_MAX ? on_drift_table[d] : NULL;
}

PolicyOnDrift policy_on_drift_from_string(const char *s) {
        return (PolicyOnDrift) lookup(on_drift_table, _POLICY_ON_DRIFT_MAX, s);
}
