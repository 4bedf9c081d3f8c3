/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "device.h"

/*
 * Memory blocks of a device, counted live from memoryN/state at each call:
 * total is every block its ranges cover, online those that read "online"
 * (any zone). Read while a transition step runs, it shows the step's
 * progress (the kernel updates each block as it goes); the daemon's own
 * status is refreshed only between steps. Serves the Device properties
 * Blocks and OnlineBlocks, which therefore emit no PropertiesChanged.
 */
int device_block_counts(const Device *d, uint32_t *ret_online, uint32_t *ret_total);
