/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "manager.h"
#include "metrics.h"

/* Upper bounds, ms: le="0.01" .. le="600"; +Inf is the count. */
static const unsigned bucket_ms[METRICS_N_BUCKETS] = {
        10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000,
};

/* The states the one-hot daxhp_device_state series has a sample for, as the State property says them. */
static const char * const device_states[] = {
        "unplugged", "offline", "online", "online_kernel", "online_movable", "devdax",
};

void metrics_init(Metrics *mt) {
        *mt = (Metrics) { .start_realtime_usec = now_usec(CLOCK_REALTIME) };
}

static void note_duration(Metrics *mt, usec_t usec) {
        for (size_t i = 0; i < METRICS_N_BUCKETS; i++)
                if (usec <= bucket_ms[i] * USEC_PER_MSEC) {
                        mt->duration_buckets[i]++;
                        break;
                }
        mt->duration_count++;
        mt->duration_sum_usec += usec;
}

void metrics_note_audit(Metrics *mt, const AuditRecord *rec) {
        switch (rec->kind) {
        case AUDIT_TRANSITION_FINISHED:
                for (JobResult r = 0; r < _JOB_RESULT_MAX; r++)
                        if (rec->result && streq(rec->result, job_result_to_string(r)))
                                mt->transitions[r]++;
                /* Jobs that never ran (superseded or cancelled while queued) have no duration. */
                if (rec->has_duration)
                        note_duration(mt, rec->duration_usec);
                break;
        case AUDIT_DRIFT:
                mt->drift_events++;
                break;
        default:
                break;
        }
}

char *metrics_escape_label(const char *s) {
        StrBuf b = {};

        /* Plain runs in one append each: a format call per character was most of a render. */
        for (const char *p = strempty(s); *p;) {
                size_t n = strcspn(p, "\\\"\n");

                if (n > 0) {
                        strbuf_append(&b, "%.*s", (int) n, p);
                        p += n;
                        continue;
                }
                strbuf_append(&b, "%s", *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n");
                p++;
        }
        return strbuf_steal(&b);
}

static void family(StrBuf *b, const char *name, const char *type, const char *help) {
        strbuf_append(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per device: name{device="..."} value. */
static void per_device(StrBuf *b, Manager *m, const char * const *devs, const char *name, const char *type,
                       const char *help, int64_t (*value)(Manager *m, const Device *d)) {
        family(b, name, type, help);
        for (size_t i = 0; i < m->n_devices; i++)
                strbuf_append(b, "%s{device=\"%s\"} %" PRIi64 "\n", name, devs[i], value(m, m->devices[i]));
}

static int64_t device_size(Manager *m, const Device *d) {
        return (int64_t) d->status.size;
}

static int64_t device_blocks_total(Manager *m, const Device *d) {
        uint32_t online, total;

        device_block_counts(d, &online, &total);
        return total;
}

static int64_t device_blocks_online(Manager *m, const Device *d) {
        uint32_t online, total;

        device_block_counts(d, &online, &total);
        return online;
}

static int64_t device_node(Manager *m, const Device *d) {
        return d->status.target_node;
}

static int64_t device_satisfied(Manager *m, const Device *d) {
        return device_is_satisfied(d);
}

static void render_devices(StrBuf *b, Manager *m, char **devs) {
        family(b, "daxhp_device_info", "gauge",
               "A dax device daxhpd manages (always 1), with its provider, region, driver mode and deciding policy.");
        for (size_t i = 0; i < m->n_devices; i++) {
                const Device *d = m->devices[i];
                _cleanup_free_ char *prov = metrics_escape_label(d->status.provider);
                _cleanup_free_ char *region = metrics_escape_label(d->status.region);
                _cleanup_free_ char *pol = metrics_escape_label(device_policy_source(d));

                if (!prov || !region || !pol) {
                        b->oom = true;
                        return;
                }
                strbuf_append(b, "daxhp_device_info{device=\"%s\",provider=\"%s\",region=\"%s\",mode=\"%s\","
                              "policy=\"%s\"} 1\n", devs[i], prov, region,
                              dax_mode_to_string(d->status.mode) ?: "unknown", pol);
        }

        family(b, "daxhp_device_state", "gauge",
               "1 for the state the device is in (the State property), 0 for the others.");
        for (size_t i = 0; i < m->n_devices; i++) {
                const char *now = device_state_string(m->devices[i]);

                for (size_t s = 0; s < ELEMENTSOF(device_states); s++)
                        strbuf_append(b, "daxhp_device_state{device=\"%s\",state=\"%s\"} %d\n", devs[i],
                                      device_states[s], streq(now, device_states[s]));
        }

        per_device(b, m, (const char * const *) devs, "daxhp_device_size_bytes", "gauge",
                   "Size of the device's memory.", device_size);
        per_device(b, m, (const char * const *) devs, "daxhp_device_blocks", "gauge",
                   "Memory blocks the device covers.", device_blocks_total);
        per_device(b, m, (const char * const *) devs, "daxhp_device_online_blocks", "gauge",
                   "Memory blocks of the device that are online now.", device_blocks_online);
        per_device(b, m, (const char * const *) devs, "daxhp_device_node", "gauge",
                   "NUMA node the device's memory goes to, -1 unknown.", device_node);
        per_device(b, m, (const char * const *) devs, "daxhp_device_satisfied", "gauge",
                   "1 when the device is where its policy or override wants it (or nothing is wanted).",
                   device_satisfied);
}

static void render_counters(StrBuf *b, const Metrics *mt, Manager *m) {
        uint64_t cumulative = 0;

        family(b, "daxhp_transitions_total", "counter", "Transitions finished since daxhpd started, by result.");
        for (JobResult r = 0; r < _JOB_RESULT_MAX; r++)
                strbuf_append(b, "daxhp_transitions_total{result=\"%s\"} %" PRIu64 "\n", job_result_to_string(r),
                              mt->transitions[r]);

        family(b, "daxhp_transition_duration_seconds", "histogram",
               "Time from a transition's first step to its end, for transitions that ran.");
        for (size_t i = 0; i < METRICS_N_BUCKETS; i++) {
                cumulative += mt->duration_buckets[i];
                /* %g: the shortest form ("0.01", "600"), as Prometheus' own clients write le. */
                strbuf_append(b, "daxhp_transition_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                              bucket_ms[i] / 1000.0, cumulative);
        }
        strbuf_append(b, "daxhp_transition_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", mt->duration_count);
        strbuf_append(b, "daxhp_transition_duration_seconds_sum %" PRIu64 ".%06" PRIu64 "\n",
                      mt->duration_sum_usec / USEC_PER_SEC, mt->duration_sum_usec % USEC_PER_SEC);
        strbuf_append(b, "daxhp_transition_duration_seconds_count %" PRIu64 "\n", mt->duration_count);

        family(b, "daxhp_drift_events_total", "counter",
               "Changes made to managed devices behind daxhpd's back since it started.");
        strbuf_append(b, "daxhp_drift_events_total %" PRIu64 "\n", mt->drift_events);

        family(b, "daxhp_queue_length", "gauge", "Transitions queued or running.");
        /* The last write happens while the manager is freed, after its queue. */
        strbuf_append(b, "daxhp_queue_length %u\n", m->queue ? queue_length(m->queue) : 0);

        family(b, "daxhp_policy_files", "gauge", "Policy files loaded by the last reload.");
        strbuf_append(b, "daxhp_policy_files %zu\n", m->policies ? policy_set_n_files(m->policies) : 0);
        family(b, "daxhp_policy_files_rejected", "gauge",
               "Policy files the last reload rejected for errors (daxhpctl status lists them).");
        strbuf_append(b, "daxhp_policy_files_rejected %zu\n", m->policies ? policy_set_n_rejected(m->policies) : 0);

        family(b, "daxhp_start_time_seconds", "gauge", "When daxhpd started, seconds since the Epoch.");
        strbuf_append(b, "daxhp_start_time_seconds %" PRIu64 "\n", mt->start_realtime_usec / USEC_PER_SEC);
}

char *metrics_render(const Metrics *mt, Manager *m) {
        StrBuf b = {};
        char **devs;

        /* Device names go into every per-device series: escape each once. */
        devs = calloc(m->n_devices + 1, sizeof(char *));
        if (!devs)
                return NULL;
        for (size_t i = 0; i < m->n_devices; i++)
                if (!(devs[i] = metrics_escape_label(m->devices[i]->name)))
                        b.oom = true;

        if (!b.oom) {
                render_devices(&b, m, devs);
                render_counters(&b, mt, m);
        }
        for (size_t i = 0; i < m->n_devices; i++)
                free(devs[i]);
        free(devs);
        return strbuf_steal(&b);
}
