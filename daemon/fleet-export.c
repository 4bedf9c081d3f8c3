/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export-file.h"
#include "fleet-export.h"
#include "log.h"
#include "manager.h"
#include "nfd-features.h"

static void on_audit(const AuditRecord *rec, void *userdata) {
        FleetExport *x = userdata;

        /* Every record is a change: a device came, went or moved, the queue or the policy changed. */
        metrics_note_audit(&x->metrics, rec);
        fleet_export_changed(x);
}

static int export_file_init(ExportFile *f, const char *what, const char *path, bool tmp_outside) {
        f->what = what;
        if (isempty(path))
                return 0;
        f->path = strdup(path);
        if (!f->path)
                return -ENOMEM;
        if (tmp_outside) {
                /* NFD reads every file in features.d: the temporary file goes one directory up. */
                char *slash;

                f->tmp_dir = strdup(path);
                if (!f->tmp_dir)
                        return -ENOMEM;
                for (int i = 0; i < 2; i++) {
                        slash = strrchr(f->tmp_dir, '/');
                        if (!slash) {
                                free(f->tmp_dir);
                                f->tmp_dir = strdup(".");
                                break;
                        }
                        *slash = '\0';
                }
                if (f->tmp_dir && isempty(f->tmp_dir)) {
                        free(f->tmp_dir);
                        f->tmp_dir = strdup("/");
                }
                if (!f->tmp_dir)
                        return -ENOMEM;
        }
        return 0;
}

static void export_file_done(ExportFile *f) {
        free(f->path);
        free(f->tmp_dir);
        free(f->written);
}

int fleet_export_new(Manager *m, const char *metrics_path, const char *nfd_path, FleetExport **ret) {
        _cleanup_(fleet_export_freep) FleetExport *x = NULL;
        int r;

        x = calloc(1, sizeof(FleetExport));
        if (!x)
                return -ENOMEM;
        x->manager = m;
        metrics_init(&x->metrics);
        r = export_file_init(&x->prom, "metrics", metrics_path, false);
        if (r >= 0)
                r = export_file_init(&x->nfd, "NFD features", nfd_path, true);
        if (r < 0)
                return r;
        audit_set_observer(on_audit, x);
        *ret = TAKE_PTR(x);
        return 0;
}

FleetExport *fleet_export_free(FleetExport *x) {
        if (!x)
                return NULL;
        audit_set_observer(NULL, NULL);
        if (x->flush)
                fleet_export_flush(x);
        export_file_done(&x->prom);
        export_file_done(&x->nfd);
        free(x);
        return NULL;
}

static void export_file_update(ExportFile *f, char *text) {
        _cleanup_free_ char *t = text;
        int r;

        if (!f->path)
                return;
        if (!t) {
                log_oom();
                return;
        }
        if (f->written && streq(f->written, t))
                return;
        r = export_file_replace(f->path, f->tmp_dir, t, strlen(t));
        if (r == -ENOENT) {
                /* Not an error: node-exporter or NFD is not installed here. */
                if (!f->missing_logged)
                        log_info("%s: directory absent, %s not written (until it exists).", f->path, f->what);
                f->missing_logged = true;
                f->written = mfree_str(f->written);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot write %s %s: %m", f->what, f->path);
                f->written = mfree_str(f->written);
                return;
        }
        log_debug("Wrote %s %s.", f->what, f->path);
        f->missing_logged = false;
        free(f->written);
        f->written = TAKE_PTR(t);
}

void fleet_export_flush(FleetExport *x) {
        x->flush = sd_event_source_disable_unref(x->flush);
        if (x->prom.path)
                export_file_update(&x->prom, metrics_render(&x->metrics, x->manager));
        if (x->nfd.path)
                export_file_update(&x->nfd, nfd_features_render(x->manager));
}

static int on_flush(sd_event_source *s, uint64_t usec, void *userdata) {
        fleet_export_flush(userdata);
        return 0;
}

void fleet_export_changed(FleetExport *x) {
        int r;

        if (!x || x->flush || (!x->prom.path && !x->nfd.path))
                return;
        /* One timer per burst: everything that changes meanwhile goes into the same write. */
        r = sd_event_add_time_relative(x->manager->event, &x->flush, CLOCK_MONOTONIC, FLEET_EXPORT_DELAY_USEC,
                                       50 * USEC_PER_MSEC, on_flush, x);
        if (r < 0)
                log_warning_errno(r, "Cannot schedule the metrics and NFD files' update: %m");
}
