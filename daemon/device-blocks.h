/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct Device Device;

/*
 * Which memory blocks of a device are online: one flag per block its ranges
 * cover (present or not), read in full from memoryN/state when the device is
 * read (between steps), and kept current in between from the blocks'
 * "online"/"offline"/"add"/"remove" uevents, which the kernel sends for every
 * block as it goes, also while a step runs. So the Blocks and OnlineBlocks
 * properties (and a step's progress) cost no sysfs read per D-Bus call: a
 * device of thousands of blocks must not make each Get walk them.
 */
typedef struct BlockCensus {
        uint8_t *online;                /* one flag per covered block, in span order */
        uint32_t n_total;
        uint32_t n_online;
} BlockCensus;

void block_census_done(BlockCensus *c);

/* The census from the device's last read (d->status): which covered blocks are online. */
int device_blocks_rebuild(Device *d);

/*
 * A uevent of memory block `block`, which the device covers. Returns true if
 * the count of online blocks changed.
 */
bool device_blocks_event(Device *d, uint64_t block, const char *action);

void device_block_counts(const Device *d, uint32_t *ret_online, uint32_t *ret_total);
