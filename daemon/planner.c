/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "planner.h"

/* The online types a policy may ask for, as kernel states. */
static DaxState desired_to_dax_state(PolicyState desired) {
        switch (desired) {
        case POLICY_STATE_ONLINE_MOVABLE:
                return DAX_STATE_ONLINE_MOVABLE;
        case POLICY_STATE_ONLINE_KERNEL:
                return DAX_STATE_ONLINE_KERNEL;
        case POLICY_STATE_ONLINE:
                return DAX_STATE_ONLINE;
        case POLICY_STATE_UNPLUGGED:
                return DAX_STATE_UNPLUGGED;
        default:
                return _DAX_STATE_INVALID;
        }
}

bool plan_satisfied(DaxMode mode, DaxState state, bool atomic, PolicyState desired) {
        DaxState want;

        switch (desired) {
        case POLICY_STATE_IGNORE:
                return true;
        case POLICY_STATE_DEVDAX:
                return mode == DAX_MODE_DEVDAX;
        case POLICY_STATE_UNPLUGGED:
                /* Without a driver no memory is plugged either (the fallback's unplug ends there). */
                return mode == DAX_MODE_UNBOUND ||
                        (mode == DAX_MODE_SYSTEM_RAM && state == DAX_STATE_UNPLUGGED);
        default:
                break;
        }

        want = desired_to_dax_state(desired);
        if (want < 0 || mode != DAX_MODE_SYSTEM_RAM)
                return false;
        if (want == DAX_STATE_ONLINE && !atomic)
                /* Blocks only report their zone: any online zone is what was asked. */
                return dax_state_is_online(state);
        return state == want;
}

static void push_set(Plan *p, DaxState s) {
        p->steps[p->n_steps++] = (Step) { .kind = STEP_SET_STATE, .state = s };
}

static void push(Plan *p, StepKind k) {
        p->steps[p->n_steps++] = (Step) { .kind = k, .state = _DAX_STATE_INVALID };
}

/* Within system-ram: from state to an online type or unplugged. */
static void plan_system_ram(DaxState state, bool atomic, DaxState want, Plan *p) {
        if (want == DAX_STATE_UNPLUGGED) {
                push_set(p, DAX_STATE_UNPLUGGED);
                return;
        }

        if (state == DAX_STATE_UNPLUGGED) {
                push_set(p, want);
                return;
        }

        if (atomic)
                /*
                 * The series refuses online type changes and offline → online with
                 * EBUSY: everything passes through unplugged.
                 */
                push_set(p, DAX_STATE_UNPLUGGED);
        else if (state != DAX_STATE_OFFLINE)
                /* Per block, a block changes zone only while offline. */
                push_set(p, DAX_STATE_OFFLINE);
        push_set(p, want);
}

int plan_transition(DaxMode mode, DaxState state, bool atomic, PolicyState desired, Plan *ret) {
        Plan p = {};

        if (mode < 0 || mode >= _DAX_MODE_MAX)
                return -EINVAL;
        if (mode == DAX_MODE_SYSTEM_RAM && (state < 0 || state >= _DAX_STATE_MAX))
                return -EINVAL;
        if (desired < 0 || desired >= _POLICY_STATE_MAX)
                return -EINVAL;

        if (!plan_satisfied(mode, state, atomic, desired)) {
                if (desired == POLICY_STATE_DEVDAX) {
                        if (mode == DAX_MODE_SYSTEM_RAM && state != DAX_STATE_UNPLUGGED)
                                /* kmem only lets go of memory that is not in use. */
                                push_set(&p, DAX_STATE_UNPLUGGED);
                        push(&p, STEP_BIND_DEVDAX);
                } else if (mode != DAX_MODE_SYSTEM_RAM)
                        /* What the bind leaves behind depends on the kernel: replan after it. */
                        push(&p, STEP_BIND_KMEM);
                else
                        plan_system_ram(state, atomic, desired_to_dax_state(desired), &p);
        }

        *ret = p;
        return 0;
}

const char *step_to_string(const Step *s, char *buf, size_t size) {
        switch (s->kind) {
        case STEP_SET_STATE:
                snprintf(buf, size, "set:%s", dax_state_to_string(s->state) ?: "?");
                break;
        case STEP_BIND_KMEM:
                snprintf(buf, size, "bind:kmem");
                break;
        case STEP_BIND_DEVDAX:
                snprintf(buf, size, "bind:device_dax");
                break;
        default:
                snprintf(buf, size, "?");
        }
        return buf;
}
