/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The planner against every (mode, state, atomic, desired) combination: each
 * plan is run on a model of the kernel's rules (the series' EBUSY/EINVAL
 * cases, or per-block semantics without it), re-planning after every step
 * the way the queue does, and must reach the desired state without one
 * refused step. A table pins the plans operators read about.
 */

#include "planner.h"
#include "tests.h"

typedef struct Model {
        DaxMode mode;
        DaxState state;
        bool atomic;
        DaxState after_bind;    /* what binding kmem leaves (memhp_default_state) */
} Model;

/* The kernel's answer to one step; 0 and the new state, or the errno it gives. */
static int model_apply(Model *k, const Step *s) {
        switch (s->kind) {
        case STEP_BIND_KMEM:
                if (k->mode == DAX_MODE_SYSTEM_RAM)
                        return -EBUSY;
                k->mode = DAX_MODE_SYSTEM_RAM;
                k->state = k->after_bind;
                return 0;
        case STEP_BIND_DEVDAX:
                if (k->mode == DAX_MODE_SYSTEM_RAM && k->state != DAX_STATE_UNPLUGGED)
                        return -EBUSY;
                k->mode = DAX_MODE_DEVDAX;
                k->state = _DAX_STATE_INVALID;
                return 0;
        case STEP_SET_STATE:
                break;
        default:
                return -EINVAL;
        }

        if (k->mode != DAX_MODE_SYSTEM_RAM)
                return -ENXIO;          /* no attribute, no blocks */
        if (s->state == k->state)
                return 0;               /* writing the current state is a no-op */

        if (k->atomic) {
                if (s->state == DAX_STATE_OFFLINE || s->state < 0)
                        return -EINVAL;
                if (s->state == DAX_STATE_UNPLUGGED || k->state == DAX_STATE_UNPLUGGED) {
                        /* The series reports the online type it was asked for, "online" included. */
                        k->state = s->state;
                        return 0;
                }
                return -EBUSY;          /* online type changes and offline → online */
        }

        /* Per block: unplug = offline + unbind; zones change only while offline. */
        if (s->state == DAX_STATE_UNPLUGGED) {
                k->mode = DAX_MODE_UNBOUND;
                k->state = _DAX_STATE_INVALID;
                return 0;
        }
        if (s->state == DAX_STATE_OFFLINE || k->state == DAX_STATE_OFFLINE) {
                k->state = s->state == DAX_STATE_ONLINE ? DAX_STATE_ONLINE_KERNEL : s->state;
                return 0;
        }
        return -EBUSY;
}

static unsigned n_runs;

static void run_case(Model k, PolicyState desired) {
        for (unsigned i = 0; i <= 8; i++) {
                Plan p;

                CHECK_EQ_INT(plan_transition(k.mode, k.state, k.atomic, desired, &p), 0);
                if (p.n_steps == 0) {
                        CHECK(plan_satisfied(k.mode, k.state, k.atomic, desired));
                        n_runs++;
                        return;
                }
                CHECK(!plan_satisfied(k.mode, k.state, k.atomic, desired));
                CHECK(p.n_steps <= PLAN_STEPS_MAX);
                if (model_apply(&k, &p.steps[0]) != 0) {
                        char buf[64];

                        fprintf(stderr, "refused step %s (mode %s state %s atomic %d desired %s)\n",
                                step_to_string(&p.steps[0], buf, sizeof(buf)), dax_mode_to_string(k.mode),
                                dax_state_to_string(k.state) ?: "-", k.atomic, policy_state_to_string(desired));
                        CHECK(false);
                }
        }
        CHECK(false);   /* did not converge */
}

static void test_all_pairs(void) {
        for (int atomic = 0; atomic <= 1; atomic++)
                for (DaxMode mode = 0; mode < _DAX_MODE_MAX; mode++)
                        for (int st = -1; st < _DAX_STATE_MAX; st++)
                                for (DaxState after = DAX_STATE_UNPLUGGED; after < _DAX_STATE_MAX; after++)
                                        for (PolicyState want = 0; want < _POLICY_STATE_MAX; want++) {
                                                Model k = { mode, st, atomic, after };

                                                /* Only system-ram has a hotplug state. */
                                                if ((mode == DAX_MODE_SYSTEM_RAM) != (st >= 0))
                                                        continue;
                                                /* Without the series, kmem never leaves memory unplugged. */
                                                if (!atomic && (after == DAX_STATE_UNPLUGGED ||
                                                                st == DAX_STATE_UNPLUGGED))
                                                        continue;
                                                run_case(k, want);
                                        }
}

static void expect(DaxMode mode, DaxState state, bool atomic, PolicyState want, const char *steps) {
        char buf[256] = "", one[64];
        Plan p;

        CHECK_EQ_INT(plan_transition(mode, state, atomic, want, &p), 0);
        for (unsigned i = 0; i < p.n_steps; i++) {
                if (i > 0)
                        strcat(buf, " ");
                strcat(buf, step_to_string(&p.steps[i], one, sizeof(one)));
        }
        CHECK_STREQ(buf, steps);
}

static void test_table(void) {
        const DaxMode R = DAX_MODE_SYSTEM_RAM;

        expect(R, DAX_STATE_ONLINE_KERNEL, true, POLICY_STATE_ONLINE_MOVABLE, "set:unplugged set:online_movable");
        expect(R, DAX_STATE_OFFLINE, true, POLICY_STATE_UNPLUGGED, "set:unplugged");
        expect(R, DAX_STATE_OFFLINE, true, POLICY_STATE_ONLINE_MOVABLE, "set:unplugged set:online_movable");
        expect(R, DAX_STATE_UNPLUGGED, true, POLICY_STATE_ONLINE, "set:online");
        expect(R, DAX_STATE_ONLINE_MOVABLE, true, POLICY_STATE_ONLINE, "set:unplugged set:online");
        expect(R, DAX_STATE_ONLINE, true, POLICY_STATE_ONLINE, "");
        expect(R, DAX_STATE_ONLINE_MOVABLE, false, POLICY_STATE_ONLINE, "");
        expect(R, DAX_STATE_ONLINE, true, POLICY_STATE_ONLINE_KERNEL, "set:unplugged set:online_kernel");
        expect(R, DAX_STATE_ONLINE_MOVABLE, true, POLICY_STATE_ONLINE_MOVABLE, "");
        expect(R, DAX_STATE_ONLINE_MOVABLE, true, POLICY_STATE_IGNORE, "");
        expect(R, DAX_STATE_ONLINE_MOVABLE, true, POLICY_STATE_DEVDAX, "set:unplugged bind:device_dax");
        expect(R, DAX_STATE_UNPLUGGED, true, POLICY_STATE_DEVDAX, "bind:device_dax");
        expect(DAX_MODE_DEVDAX, _DAX_STATE_INVALID, true, POLICY_STATE_ONLINE_MOVABLE, "bind:kmem");
        expect(DAX_MODE_DEVDAX, _DAX_STATE_INVALID, true, POLICY_STATE_DEVDAX, "");
        expect(DAX_MODE_UNBOUND, _DAX_STATE_INVALID, true, POLICY_STATE_DEVDAX, "bind:device_dax");
        expect(DAX_MODE_UNBOUND, _DAX_STATE_INVALID, true, POLICY_STATE_UNPLUGGED, "");
        /* Per block: no unplugged detour, zones change through offline. */
        expect(R, DAX_STATE_ONLINE_KERNEL, false, POLICY_STATE_ONLINE_MOVABLE, "set:offline set:online_movable");
        expect(R, DAX_STATE_OFFLINE, false, POLICY_STATE_ONLINE_MOVABLE, "set:online_movable");
        expect(R, DAX_STATE_ONLINE, false, POLICY_STATE_UNPLUGGED, "set:unplugged");
}

static void test_invalid(void) {
        Plan p;

        CHECK_EQ_INT(plan_transition(_DAX_MODE_INVALID, DAX_STATE_OFFLINE, true, POLICY_STATE_ONLINE, &p), -EINVAL);
        CHECK_EQ_INT(plan_transition(DAX_MODE_SYSTEM_RAM, _DAX_STATE_INVALID, true, POLICY_STATE_ONLINE, &p), -EINVAL);
        CHECK_EQ_INT(plan_transition(DAX_MODE_DEVDAX, _DAX_STATE_INVALID, true, _POLICY_STATE_INVALID, &p), -EINVAL);
        CHECK_EQ_INT(plan_transition(DAX_MODE_DEVDAX, _DAX_STATE_INVALID, true, _POLICY_STATE_MAX, &p), -EINVAL);
}

int main(void) {
        test_table();
        test_invalid();
        test_all_pairs();
        printf("planner: %u (current, desired) runs converged\n", n_runs);
        TESTS_DONE("test-planner");
}
