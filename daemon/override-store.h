/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Runtime overrides (SetState) persisted as one small file per device under
 * <state-dir>/overrides/. The state dir lives on /run: an override survives
 * a daemon restart (a crash mid-transition must not forget what the
 * operator asked for) but not a reboot.
 */

#include "policy.h"

/* Atomically (write + rename) record the override. */
int override_store_save(const char *state_dir, const char *device, PolicyState state);
/* 0 when there was nothing to remove. */
int override_store_remove(const char *state_dir, const char *device);
/* 1 and *ret set if an override is stored, 0 if none. Bad contents are dropped. */
int override_store_load(const char *state_dir, const char *device, PolicyState *ret);
