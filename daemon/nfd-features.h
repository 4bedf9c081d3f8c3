/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A node-feature-discovery feature file (the local source's features.d
 * format: one "name=value" a line): what dax memory this host offers, so a
 * scheduler can place memory-hungry workloads. NFD turns each line into
 * the node label feature.node.kubernetes.io/<name>=<value>; names and
 * values stay valid Kubernetes label parts (at most 63 characters of
 * [A-Za-z0-9], '-', '_', '.', alphanumeric at both ends).
 */

typedef struct Manager Manager;

/* The file's text; NULL on OOM. */
char *nfd_features_render(Manager *m);
