/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Metrics for Prometheus, in the text exposition format that
 * node-exporter's textfile collector reads (daxhp_* series): the devices
 * as they are now (state, size, blocks, node), the queue and the policy,
 * and counters since daxhpd started, fed by the audit records
 * (transitions by result, their durations, drift), so the metrics say
 * what the journal says.
 */

#include <stdint.h>

#include "audit.h"
#include "queue.h"
#include "util.h"

typedef struct Manager Manager;

/* Histogram buckets, seconds: a 10 ms sysfs write up to a 10 min migration. */
#define METRICS_N_BUCKETS 15

typedef struct Metrics {
        uint64_t transitions[_JOB_RESULT_MAX];  /* by JobResult */
        uint64_t duration_buckets[METRICS_N_BUCKETS];   /* cumulative counts are made when rendering */
        uint64_t duration_count;
        usec_t duration_sum_usec;
        uint64_t drift_events;
        usec_t start_realtime_usec;
} Metrics;

void metrics_init(Metrics *mt);
/* Counts what an audit record reports (transition finished, drift). */
void metrics_note_audit(Metrics *mt, const AuditRecord *rec);
/* The whole file's text; NULL on OOM. */
char *metrics_render(const Metrics *mt, Manager *m);
/* Label value escaping of the text format: \ " and newline. Exposed for the unit test. */
char *metrics_escape_label(const char *s);
