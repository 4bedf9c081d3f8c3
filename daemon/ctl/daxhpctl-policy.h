/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * daxhpctl verbs over the policy language (offline, plus daxhpd's live view):
 *
 *   verify [FILE|DIR...]   load and check policy files (default: the four
 *                          search directories); prints "path:line: message"
 *   explain DEVICE         which file decides DEVICE, and why
 *   plan                   what would happen to every device
 *
 * Options (after the verb): --root DIR (sysfs root, default /sys),
 * --policy-dir DIR (repeatable, replaces the default search directories),
 * --offline, --json. The json argument is the global --json of daxhpctl.
 *
 * explain and plan also show the daemon's State, DesiredState, PolicyFile
 * and Transition (text lines, JSON key "Live") when org.daxhp1 has an owner
 * on the system bus and none of --offline, --root, --policy-dir is given;
 * without a daemon they print exactly the offline output.
 *
 * argv[0] is the verb name. Each returns the process exit status
 * (0: ok; 1: verify found errors, explain found no such device; 2: usage
 * error, printed), or a
 * negative errno after printing why on stderr.
 */

#include <stdbool.h>

int verb_verify(int argc, char *argv[], bool json);
int verb_explain(int argc, char *argv[], bool json);
int verb_plan(int argc, char *argv[], bool json);
