/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* daxhpctl set DEVICE STATE / reset DEVICE [--no-block]: see daxhpctl-set.c.
 * Exit status 0, 1 (the daemon refused or failed), 2 (usage), 130 (^C). */

#include <stdbool.h>

int verb_set(int argc, char *argv[], bool json);
int verb_reset(int argc, char *argv[], bool json);
