/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* daxhpctl check: every hazard daxhpd sees for this host (Manager.Check). */
int verb_check(int argc, char *argv[], bool json);
