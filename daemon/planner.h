/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The planner: a pure function from (what the kernel reports, what policy
 * wants) to the steps the kernel accepts, in order. No I/O, so every pair is
 * unit-tested. The queue runs only the first step, re-reads the device and
 * plans again, so a plan never has to guess what a driver bind produces:
 * after STEP_BIND_KMEM the plan ends and the next one starts from the state
 * the kernel then reports.
 */

#include <stdbool.h>

#include "dax-state.h"
#include "policy.h"

typedef enum StepKind {
        STEP_SET_STATE,         /* write the whole-device state (or per block, no atomic attribute) */
        STEP_BIND_KMEM,         /* devdax/unbound → system-ram */
        STEP_BIND_DEVDAX,       /* system-ram (unplugged)/unbound → devdax */
        _STEP_KIND_MAX,
} StepKind;

typedef struct Step {
        StepKind kind;
        DaxState state;                 /* STEP_SET_STATE only */
        bool per_block;                 /* STEP_SET_STATE: through memoryN/state although the attribute exists */
} Step;

#define PLAN_STEPS_MAX 3

typedef struct Plan {
        Step steps[PLAN_STEPS_MAX];
        unsigned n_steps;
} Plan;

/*
 * What the running kernel offers for a system-ram device.
 *
 * From "offline" (kmem bound with its memory added but not online: a fresh
 * bind under memhp_default_state=offline), the cheapest safe way to an online
 * type onlines the blocks that are already there instead of removing and
 * adding them again. Onlining present blocks is safe: the offline/remove race
 * the atomic attribute closes is about taking memory away, not about putting
 * it in service.
 *  - `hotplug` (this series): one write of the online type; series before
 *    the revision that accepts it refuse it (EBUSY): then no_direct_online.
 *  - `state` (Linux 7.3): refuses it (EBUSY, "only from unplugged"), so the
 *    present blocks are onlined per block with the zone, and `state` keeps
 *    reading its stale "offline" (the blocks decide, see kernel-dax.h). Not
 *    for plain "online": 7.3 reports "online" only after a write of it.
 *  - per block (neither attribute): onlines each offline block.
 */
typedef struct PlanKernel {
        DaxAttr attr;                   /* DAX_ATTR_NONE: per block only */
        bool no_direct_online;          /* take everything out first (unplugged, or offline per block) */
} PlanKernel;

/*
 * True when the device is where desired wants it. With the whole-device
 * attribute the kernel reports "online" as its own state (onlined with the
 * kernel's default zone choice), so it must match exactly; per block there
 * is no such state and "online" accepts any zone.
 */
bool plan_satisfied(DaxMode mode, DaxState state, bool atomic, PolicyState desired);

/*
 * kernel->attr: the whole-device attribute the kernel has (DAX_ATTR_UNKNOWN
 * counts as one; it only occurs outside system-ram, where the plan is a
 * bind). Without one, states are changed per memory block, which has no
 * "unplugged" while bound to kmem (unplug ends in unbinding kmem).
 * Returns 0 with an empty plan when satisfied, -EINVAL for nonsense input.
 */
int plan_transition(DaxMode mode, DaxState state, const PlanKernel *kernel, PolicyState desired, Plan *ret);

/*
 * A step from "offline" straight to an online type, which a kernel may refuse
 * (the series before its revision: EBUSY; blocks in another zone: EINVAL);
 * the queue then plans again with no_direct_online.
 */
bool step_is_direct_online(const Step *s, DaxState from);

bool step_equal(const Step *a, const Step *b);

/* "set:online_movable", "set-blocks:online_movable", "bind:kmem", "bind:device_dax". */
const char *step_to_string(const Step *s, char *buf, size_t size);
