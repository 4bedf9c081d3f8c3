/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Runtime overrides (SetState) persisted as one small file per device under
 * <state-dir>/overrides/. The state dir lives on /run: an override survives
 * a daemon restart (a crash mid-transition must not forget what the
 * operator asked for) but not a reboot.
 *
 * Identity: a dax device name is reused when a device goes and another
 * comes (a region torn down and re-created), so an override is kept with
 * the identity of the device it was given for (device_identity(): sysfs
 * path, size and physical start) and applies only to a device that has
 * the same: the same memory at the same place. Anything else is dropped.
 *
 * The files are small and ours: they are opened without following
 * symlinks, anything that is not a regular file under OVERRIDE_FILE_MAX
 * bytes is dropped unread, and their contents are never logged.
 */

#include "policy.h"

#define OVERRIDE_FILE_MAX 4096
#define OVERRIDE_NAME_MAX 256

/* Atomically (write + rename) record the override. */
int override_store_save(const char *state_dir, const char *device, const char *identity, PolicyState state);
/* 0 when there was nothing to remove. */
int override_store_remove(const char *state_dir, const char *device);
/*
 * 1 and *ret set if an override for this device (name and identity) is
 * stored, 0 if none. Bad contents and other identities are dropped.
 */
int override_store_load(const char *state_dir, const char *device, const char *identity, PolicyState *ret);
