/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The planner against every (mode, state, kernel, desired) combination: each
 * plan is run on a model of the kernel's rules (the series' EBUSY/EINVAL
 * cases, the revised series that onlines a bound device's offline memory in
 * one write, Linux 7.3's `state`, or per-block semantics without either),
 * re-planning after every step the way the queue does (a refused step from
 * offline straight to an online type makes it take the memory out first),
 * and must reach the desired state without any other refused step, and
 * without removing memory it could online where it is. A table pins the
 * plans operators read about.
 */

#include "planner.h"
#include "tests.h"

typedef enum Flavour {
        KERNEL_PER_BLOCK,       /* neither attribute */
        KERNEL_HOTPLUG_V5,      /* the series: online types only from unplugged */
        KERNEL_HOTPLUG,         /* the revised series: also offline → online type */
        KERNEL_STATE,           /* Linux 7.3 */
        _KERNEL_MAX,
} Flavour;

typedef struct Model {
        DaxMode mode;
        DaxState state;
        Flavour flavour;
        DaxState after_bind;    /* what binding kmem leaves (memhp_default_state) */
        unsigned removals;      /* memory removed (unplugged while present, or kmem unbound) */
} Model;

static DaxAttr flavour_attr(Flavour f) {
        return f == KERNEL_PER_BLOCK ? DAX_ATTR_NONE : f == KERNEL_STATE ? DAX_ATTR_STATE : DAX_ATTR_HOTPLUG;
}

/* Per block: offline → a type; "online" lands in the kernel's zone (Normal here). */
static int model_blocks(Model *k, DaxState target) {
        if (target == DAX_STATE_OFFLINE || k->state == DAX_STATE_OFFLINE) {
                k->state = target == DAX_STATE_ONLINE ? DAX_STATE_ONLINE_KERNEL : target;
                return 0;
        }
        return -EINVAL;         /* a block already online */
}

/* The kernel's answer to one step; 0 and the new state, or the errno it gives. */
static int model_apply(Model *k, const Step *s) {
        bool atomic = k->flavour != KERNEL_PER_BLOCK;

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
        if (s->per_block) {
                /* 7.3's memoryN/state beside its attribute; the daemon never unplugs this way. */
                if (k->flavour != KERNEL_STATE || s->state == DAX_STATE_UNPLUGGED)
                        return -EINVAL;
                return model_blocks(k, s->state);
        }
        if (s->state == k->state)
                return 0;               /* writing the current state is a no-op */

        if (atomic) {
                if (s->state == DAX_STATE_OFFLINE || s->state < 0)
                        return -EINVAL;
                if (s->state == DAX_STATE_UNPLUGGED || k->state == DAX_STATE_UNPLUGGED ||
                    (k->flavour == KERNEL_HOTPLUG && k->state == DAX_STATE_OFFLINE)) {
                        if (s->state == DAX_STATE_UNPLUGGED)
                                k->removals++;
                        /* The series reports the online type it was asked for, "online" included. */
                        k->state = s->state;
                        return 0;
                }
                return -EBUSY;          /* online type changes, and offline → online before the revision */
        }

        /* Per block: unplug = offline + unbind; zones change only while offline. */
        if (s->state == DAX_STATE_UNPLUGGED) {
                k->mode = DAX_MODE_UNBOUND;
                k->state = _DAX_STATE_INVALID;
                k->removals++;
                return 0;
        }
        return model_blocks(k, s->state);
}

static unsigned n_runs;

static void run_case(Model k, PolicyState desired) {
        bool avoid_direct = false, refused = false, atomic = k.flavour != KERNEL_PER_BLOCK;
        DaxState start = k.state;

        for (unsigned i = 0; i <= 8; i++) {
                PlanKernel pk = { .attr = flavour_attr(k.flavour), .no_direct_online = avoid_direct };
                Plan p;
                int r;

                CHECK_EQ_INT(plan_transition(k.mode, k.state, &pk, desired, &p), 0);
                if (p.n_steps == 0) {
                        CHECK(plan_satisfied(k.mode, k.state, atomic, desired));
                        /* Offline to an explicit online type: the memory stays where it is. */
                        if (k.mode == DAX_MODE_SYSTEM_RAM && start == DAX_STATE_OFFLINE &&
                            (desired == POLICY_STATE_ONLINE_MOVABLE || desired == POLICY_STATE_ONLINE_KERNEL) &&
                            k.flavour != KERNEL_HOTPLUG_V5)
                                CHECK_EQ_INT(k.removals, 0);
                        n_runs++;
                        return;
                }
                CHECK(!plan_satisfied(k.mode, k.state, atomic, desired));
                CHECK(p.n_steps <= PLAN_STEPS_MAX);
                r = model_apply(&k, &p.steps[0]);
                if (r < 0 && !refused && step_is_direct_online(&p.steps[0], k.state)) {
                        /* What the queue does with a refused direct step: the long way, once. */
                        refused = avoid_direct = true;
                        continue;
                }
                if (r != 0) {
                        char buf[64];

                        fprintf(stderr, "refused step %s (mode %s state %s kernel %d desired %s)\n",
                                step_to_string(&p.steps[0], buf, sizeof(buf)), dax_mode_to_string(k.mode),
                                dax_state_to_string(k.state) ?: "-", k.flavour, policy_state_to_string(desired));
                        CHECK(false);
                }
                if (!step_is_direct_online(&p.steps[0], DAX_STATE_OFFLINE))
                        avoid_direct = false;
        }
        CHECK(false);   /* did not converge */
}

static void test_all_pairs(void) {
        for (Flavour f = 0; f < _KERNEL_MAX; f++)
                for (DaxMode mode = 0; mode < _DAX_MODE_MAX; mode++)
                        for (int st = -1; st < _DAX_STATE_MAX; st++)
                                for (DaxState after = DAX_STATE_UNPLUGGED; after < _DAX_STATE_MAX; after++)
                                        for (PolicyState want = 0; want < _POLICY_STATE_MAX; want++) {
                                                Model k = { mode, st, f, after, 0 };

                                                /* Only system-ram has a hotplug state. */
                                                if ((mode == DAX_MODE_SYSTEM_RAM) != (st >= 0))
                                                        continue;
                                                /* Without the series, kmem never leaves memory unplugged. */
                                                if (f == KERNEL_PER_BLOCK && (after == DAX_STATE_UNPLUGGED ||
                                                                              st == DAX_STATE_UNPLUGGED))
                                                        continue;
                                                run_case(k, want);
                                        }
}

static void expect_k(DaxMode mode, DaxState state, const PlanKernel *k, PolicyState want, const char *steps) {
        char buf[256] = "", one[64];
        Plan p;

        CHECK_EQ_INT(plan_transition(mode, state, k, want, &p), 0);
        for (unsigned i = 0; i < p.n_steps; i++) {
                if (i > 0)
                        strcat(buf, " ");
                strcat(buf, step_to_string(&p.steps[i], one, sizeof(one)));
        }
        CHECK_STREQ(buf, steps);
}

/* atomic: this series' `hotplug`; else per block. */
static void expect(DaxMode mode, DaxState state, bool atomic, PolicyState want, const char *steps) {
        expect_k(mode, state, &(PlanKernel) { .attr = atomic ? DAX_ATTR_HOTPLUG : DAX_ATTR_NONE }, want, steps);
}

static void test_table(void) {
        const DaxMode R = DAX_MODE_SYSTEM_RAM;
        const PlanKernel v5 = { .attr = DAX_ATTR_HOTPLUG, .no_direct_online = true };
        const PlanKernel mainline = { .attr = DAX_ATTR_STATE };
        const PlanKernel per_block_detour = { .attr = DAX_ATTR_NONE, .no_direct_online = true };

        expect(R, DAX_STATE_ONLINE_KERNEL, true, POLICY_STATE_ONLINE_MOVABLE, "set:unplugged set:online_movable");
        expect(R, DAX_STATE_OFFLINE, true, POLICY_STATE_UNPLUGGED, "set:unplugged");
        /* A fresh bind's offline memory: onlined where it is, one write. */
        expect(R, DAX_STATE_OFFLINE, true, POLICY_STATE_ONLINE_MOVABLE, "set:online_movable");
        expect(R, DAX_STATE_OFFLINE, true, POLICY_STATE_ONLINE, "set:online");
        /* ... unless this kernel refused that: remove and add it again. */
        expect_k(R, DAX_STATE_OFFLINE, &v5, POLICY_STATE_ONLINE_MOVABLE, "set:unplugged set:online_movable");
        expect_k(R, DAX_STATE_UNPLUGGED, &v5, POLICY_STATE_ONLINE_MOVABLE, "set:online_movable");
        /* 7.3: its `state` onlines only from unplugged, so the present blocks one by one. */
        expect_k(R, DAX_STATE_OFFLINE, &mainline, POLICY_STATE_ONLINE_MOVABLE, "set-blocks:online_movable");
        expect_k(R, DAX_STATE_OFFLINE, &mainline, POLICY_STATE_ONLINE_KERNEL, "set-blocks:online_kernel");
        /* ... but it reports "online" only after a write of it. */
        expect_k(R, DAX_STATE_OFFLINE, &mainline, POLICY_STATE_ONLINE, "set:unplugged set:online");
        expect_k(R, DAX_STATE_ONLINE_KERNEL, &mainline, POLICY_STATE_ONLINE_MOVABLE,
                 "set:unplugged set:online_movable");
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
        expect_k(R, DAX_STATE_OFFLINE, &per_block_detour, POLICY_STATE_ONLINE_MOVABLE,
                 "set:offline set:online_movable");
        expect(R, DAX_STATE_ONLINE, false, POLICY_STATE_UNPLUGGED, "set:unplugged");
}

static void test_direct_online(void) {
        Step s = { .kind = STEP_SET_STATE, .state = DAX_STATE_ONLINE_MOVABLE };
        Step b = { .kind = STEP_SET_STATE, .state = DAX_STATE_ONLINE_MOVABLE, .per_block = true };

        CHECK(step_is_direct_online(&s, DAX_STATE_OFFLINE));
        CHECK(step_is_direct_online(&b, DAX_STATE_OFFLINE));
        CHECK(!step_is_direct_online(&s, DAX_STATE_UNPLUGGED));
        CHECK(!step_is_direct_online(&(Step) { .kind = STEP_SET_STATE, .state = DAX_STATE_UNPLUGGED },
                                     DAX_STATE_OFFLINE));
        CHECK(!step_is_direct_online(&(Step) { .kind = STEP_BIND_KMEM, .state = _DAX_STATE_INVALID },
                                     DAX_STATE_OFFLINE));
        CHECK(!step_equal(&s, &b));
        CHECK(step_equal(&s, &(Step) { .kind = STEP_SET_STATE, .state = DAX_STATE_ONLINE_MOVABLE }));
}

static void test_invalid(void) {
        const PlanKernel k = { .attr = DAX_ATTR_HOTPLUG };
        Plan p;

        CHECK_EQ_INT(plan_transition(_DAX_MODE_INVALID, DAX_STATE_OFFLINE, &k, POLICY_STATE_ONLINE, &p), -EINVAL);
        CHECK_EQ_INT(plan_transition(DAX_MODE_SYSTEM_RAM, _DAX_STATE_INVALID, &k, POLICY_STATE_ONLINE, &p), -EINVAL);
        CHECK_EQ_INT(plan_transition(DAX_MODE_DEVDAX, _DAX_STATE_INVALID, &k, _POLICY_STATE_INVALID, &p), -EINVAL);
        CHECK_EQ_INT(plan_transition(DAX_MODE_DEVDAX, _DAX_STATE_INVALID, &k, _POLICY_STATE_MAX, &p), -EINVAL);
}

int main(void) {
        test_table();
        test_direct_online();
        test_invalid();
        test_all_pairs();
        printf("planner: %u (current, desired) runs converged\n", n_runs);
        TESTS_DONE("test-planner");
}
