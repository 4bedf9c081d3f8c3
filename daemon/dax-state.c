/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "dax-state.h"
#include "macro.h"

static const char * const mode_table[_DAX_MODE_MAX] = {
        [DAX_MODE_DEVDAX] = "devdax",
        [DAX_MODE_SYSTEM_RAM] = "system-ram",
        [DAX_MODE_UNBOUND] = "unbound",
};

static const char * const state_table[_DAX_STATE_MAX] = {
        [DAX_STATE_UNPLUGGED] = "unplugged",
        [DAX_STATE_OFFLINE] = "offline",
        [DAX_STATE_ONLINE] = "online",
        [DAX_STATE_ONLINE_KERNEL] = "online_kernel",
        [DAX_STATE_ONLINE_MOVABLE] = "online_movable",
};

static const char * const attr_table[_DAX_ATTR_MAX] = {
        [DAX_ATTR_UNKNOWN] = "unknown",
        [DAX_ATTR_NONE] = "none",
        [DAX_ATTR_HOTPLUG] = "hotplug",
        [DAX_ATTR_STATE] = "state",
};

static int lookup(const char * const *table, int n, const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return i;
        return -EINVAL;
}

const char *dax_mode_to_string(DaxMode m) {
        return m >= 0 && m < _DAX_MODE_MAX ? mode_table[m] : NULL;
}

DaxMode dax_mode_from_string(const char *s) {
        return lookup(mode_table, _DAX_MODE_MAX, s);
}

const char *dax_state_to_string(DaxState s) {
        return s >= 0 && s < _DAX_STATE_MAX ? state_table[s] : NULL;
}

DaxState dax_state_from_string(const char *s) {
        return lookup(state_table, _DAX_STATE_MAX, s);
}

const char *dax_attr_to_string(DaxAttr a) {
        return a < _DAX_ATTR_MAX ? attr_table[a] : NULL;
}
