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

/* From offline to an online type without removing the memory (planner.h); false if there is no such step. */
static bool push_online_present(const PlanKernel *k, DaxState want, Plan *p) {
        if (k->no_direct_online)
                return false;
        switch (k->attr) {
        case DAX_ATTR_STATE:
                if (want == DAX_STATE_ONLINE)
                        return false;
                p->steps[p->n_steps++] = (Step) { .kind = STEP_SET_STATE, .state = want, .per_block = true };
                return true;
        default:
                push_set(p, want);
                return true;
        }
}

/* Within system-ram: from state to an online type or unplugged. */
static void plan_system_ram(DaxState state, const PlanKernel *k, DaxState want, Plan *p) {
        bool atomic = k->attr != DAX_ATTR_NONE;

        if (want == DAX_STATE_UNPLUGGED) {
                push_set(p, DAX_STATE_UNPLUGGED);
                return;
        }

        if (state == DAX_STATE_UNPLUGGED) {
                push_set(p, want);
                return;
        }

        if (state == DAX_STATE_OFFLINE && push_online_present(k, want, p))
                return;

        if (atomic)
                /* The whole-device ABI refuses online type changes with EBUSY: through unplugged. */
                push_set(p, DAX_STATE_UNPLUGGED);
        else
                /* Per block, a block changes zone only while offline. */
                push_set(p, DAX_STATE_OFFLINE);
        push_set(p, want);
}

int plan_transition(DaxMode mode, DaxState state, const PlanKernel *kernel, PolicyState desired, Plan *ret) {
        bool atomic = kernel->attr != DAX_ATTR_NONE;
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
                        plan_system_ram(state, kernel, desired_to_dax_state(desired), &p);
        }

        *ret = p;
        return 0;
}

bool step_is_direct_online(const Step *s, DaxState from) {
        return s->kind == STEP_SET_STATE && from == DAX_STATE_OFFLINE && dax_state_is_online(s->state);
}

bool step_equal(const Step *a, const Step *b) {
        return a->kind == b->kind && a->state == b->state && a->per_block == b->per_block;
}

const char *step_to_string(const Step *s, char *buf, size_t size) {
        switch (s->kind) {
        case STEP_SET_STATE:
                snprintf(buf, size, "%s:%s", s->per_block ? "set-blocks" : "set",
                         dax_state_to_string(s->state) ?: "?");
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
