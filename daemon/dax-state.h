/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The vocabulary shared by the kernel access layer, the planner and the
 * D-Bus objects: which driver a dax device is bound to, and the whole-device
 * hotplug state the kernel reports while it is bound to kmem.
 */

#include <errno.h>

typedef enum DaxMode {
        DAX_MODE_DEVDAX,                /* bound to device_dax: a character device */
        DAX_MODE_SYSTEM_RAM,            /* bound to kmem: memory managed by the kernel */
        DAX_MODE_UNBOUND,               /* no driver */
        _DAX_MODE_MAX,
        _DAX_MODE_INVALID = -EINVAL,
} DaxMode;

/* Same order and spelling as the kernel's hotplug/state attribute. */
typedef enum DaxState {
        DAX_STATE_UNPLUGGED,
        DAX_STATE_OFFLINE,
        DAX_STATE_ONLINE,
        DAX_STATE_ONLINE_KERNEL,
        DAX_STATE_ONLINE_MOVABLE,
        _DAX_STATE_MAX,
        _DAX_STATE_INVALID = -EINVAL,
} DaxState;

/* Which whole-device attribute the running kernel offers. */
typedef enum DaxAttr {
        DAX_ATTR_UNKNOWN,               /* not bound to kmem, cannot tell yet */
        DAX_ATTR_NONE,                  /* neither: per-block fallback */
        DAX_ATTR_HOTPLUG,               /* this project's series */
        DAX_ATTR_STATE,                 /* mainline 7.3 name of the same ABI */
        _DAX_ATTR_MAX,
} DaxAttr;

const char *dax_mode_to_string(DaxMode m);
DaxMode dax_mode_from_string(const char *s);
const char *dax_state_to_string(DaxState s);
DaxState dax_state_from_string(const char *s);
const char *dax_attr_to_string(DaxAttr a);

static inline int dax_state_is_online(DaxState s) {
        return s == DAX_STATE_ONLINE || s == DAX_STATE_ONLINE_KERNEL || s == DAX_STATE_ONLINE_MOVABLE;
}
