/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* daxhpctl wait: until daxhpd has carried out policy for the given devices. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Exit status: 0 when every device (all if n_names is 0) is idle without
 * LastError, 1 on such an error or at the timeout (0: none). */
int wait_for_devices(sd_bus *bus, char **names, size_t n_names, uint64_t timeout_usec, bool quiet);

int verb_wait(int argc, char *argv[], bool json);
