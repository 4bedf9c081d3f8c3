/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/*
 * Appends s (NULL as "") as a D-Bus string. sd-bus rejects a string that is
 * not valid UTF-8 and with it the whole reply, so one policy file name with a
 * stray byte would break GetAll for every client: such bytes are sent as
 * U+FFFD instead.
 */
int bus_append_string_safe(sd_bus_message *m, const char *s);
