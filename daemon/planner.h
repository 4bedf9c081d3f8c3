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
} Step;

#define PLAN_STEPS_MAX 3

typedef struct Plan {
        Step steps[PLAN_STEPS_MAX];
        unsigned n_steps;
} Plan;

/*
 * True when the device is where desired wants it. With the whole-device
 * attribute the kernel reports "online" as its own state (onlined with the
 * kernel's default zone choice), so it must match exactly; per block there
 * is no such state and "online" accepts any zone.
 */
bool plan_satisfied(DaxMode mode, DaxState state, bool atomic, PolicyState desired);

/*
 * atomic: the kernel has the whole-device attribute. Without it, states are
 * changed per memory block, which allows offline → online directly and has
 * no "unplugged" while bound to kmem (unplug ends in unbinding kmem).
 * Returns 0 with an empty plan when satisfied, -EINVAL for nonsense input.
 */
int plan_transition(DaxMode mode, DaxState state, bool atomic, PolicyState desired, Plan *ret);

/* "set:online_movable", "bind:kmem", "bind:device_dax". */
const char *step_to_string(const Step *s, char *buf, size_t size);
