/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Other agents that online or offline memory behind daxhpd's back: udev
 * rules that write a memory block's state/online (distro rules such as
 * RHEL's 40-redhat.rules, Hyper-V's), rules that run daxctl or
 * daxdev-reconfigure@.service (ndctl's 90-daxctl-device.rules), and
 * /etc/daxctl.conf.d entries that rule acts on. Found by reading the files,
 * not by running anything.
 */

#include <stddef.h>

#include "macro.h"

typedef enum AgentKind {
        AGENT_UDEV_MEMORY,              /* a rule writes memoryN/state or online */
        AGENT_UDEV_DAXCTL,              /* a rule runs daxctl / daxdev-reconfigure */
        AGENT_DAXCTL_CONF,              /* a daxctl.conf.d file with entries */
        _AGENT_KIND_MAX,
} AgentKind;

const char *agent_kind_to_string(AgentKind k);
/* One line: how to switch this kind of agent off. */
const char *agent_kind_remedy(AgentKind k);

typedef struct Agent {
        AgentKind kind;
        char *path;                     /* as found, below the host root */
        unsigned line;                  /* 0 for a whole file */
} Agent;

typedef struct AgentList {
        Agent *agents;
        size_t n;
} AgentList;

void agent_list_done(AgentList *l);

/*
 * Scan udev's rules directories and daxctl.conf.d below host_root ("/"
 * normally). A rules file of the same name in an earlier directory hides
 * the later one, and one that is empty or a symlink to /dev/null masks it,
 * as udev does.
 */
int agents_scan(const char *host_root, AgentList *ret);

/* Classify one rule (continuation lines joined); -1 if it is harmless. */
int agents_classify_rule(const char *rule);
