/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the fleet's own tools read from files: the Prometheus metrics
 * (metrics.h, for node-exporter's textfile collector) and the NFD feature
 * file (nfd-features.h). Both are rendered again a short while after
 * something changed (a burst of changes makes one write), and a file is
 * replaced only when its text differs from what was written last.
 *
 * Why on the event loop: each write is one small file (a few KiB for
 * dozens of devices) into a local directory, at most once per
 * FLEET_EXPORT_DELAY_USEC, without fsync; the loop already does sysfs
 * reads of that size per event. The readers poll on their own schedule,
 * so a change is at most FLEET_EXPORT_DELAY_USEC late for them.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "metrics.h"

typedef struct Manager Manager;

#define FLEET_EXPORT_DELAY_USEC (200 * USEC_PER_MSEC)

typedef struct ExportFile {
        char *path;                     /* NULL: disabled */
        char *tmp_dir;                  /* where its temporary file goes; NULL: beside it */
        char *written;                  /* text written last; NULL: nothing (yet), or it failed */
        bool missing_logged;
        const char *what;
} ExportFile;

typedef struct FleetExport {
        Manager *manager;
        Metrics metrics;
        ExportFile prom, nfd;
        sd_event_source *flush;
} FleetExport;

/*
 * metrics_path, nfd_path: NULL or "" disable that file. A directory that
 * does not exist disables it until it appears (checked at each write).
 */
int fleet_export_new(Manager *m, const char *metrics_path, const char *nfd_path, FleetExport **ret);
/* Writes what is still pending. */
FleetExport *fleet_export_free(FleetExport *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(FleetExport *, fleet_export_free);

/* Something a file shows may have changed: render again soon. */
void fleet_export_changed(FleetExport *x);
/* Render and write now (tests; stop). */
void fleet_export_flush(FleetExport *x);
