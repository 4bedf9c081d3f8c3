/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daxhpctl-bus.h"
#include "daxhpctl-output.h"
#include "daxhpctl-policy.h"
#include "macro.h"
#include "policy.h"
#include "policy-util.h"
#include "sysfs-scan.h"

#define POLICY_DIRS_MAX 16

typedef struct Options {
        const char *root;
        const char *dirs[POLICY_DIRS_MAX + 1];
        size_t n_dirs;
        bool json;
        bool offline; /* --offline, --root or --policy-dir: do not ask daxhpd */
} Options;

/* A string or null: policy output names what is absent. */
static void json_nullable(JsonWriter *w, const char *s) {
        if (s)
                json_string(w, s);
        else
                json_null(w);
}

static int parse_options(int argc, char *argv[], Options *o, bool want_root) {
        static const struct option options[] = {
                { "root",       required_argument, NULL, 'r' },
                { "policy-dir", required_argument, NULL, 'd' },
                { "json",       no_argument,       NULL, 'j' },
                { "offline",    no_argument,       NULL, 'o' },
                { "help",       no_argument,       NULL, 'h' },
                {}
        };
        int c;

        optind = 0; /* reinitialize getopt: argv starts at the verb */
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'r':
                        if (!want_root) {
                                fprintf(stderr, "%s: --root is not supported here\n", argv[0]);
                                return -EINVAL;
                        }
                        o->root = optarg;
                        o->offline = true;
                        break;
                case 'd':
                        if (!want_root) {
                                fprintf(stderr, "%s: pass files or directories as arguments instead of --policy-dir\n", argv[0]);
                                return -EINVAL;
                        }
                        if (o->n_dirs >= POLICY_DIRS_MAX) {
                                fprintf(stderr, "%s: too many --policy-dir\n", argv[0]);
                                return -E2BIG;
                        }
                        o->dirs[o->n_dirs++] = optarg;
                        o->dirs[o->n_dirs] = NULL;
                        o->offline = true;
                        break;
                case 'o':
                        if (!want_root) {
                                fprintf(stderr, "%s: --offline is not supported here\n", argv[0]);
                                return -EINVAL;
                        }
                        o->offline = true;
                        break;
                case 'j':
                        o->json = true;
                        break;
                case 'h':
                        printf("%s\n",
                               want_root ? "daxhpctl explain DEVICE | plan [--offline] [--root DIR] [--policy-dir DIR]... [--json]"
                                         : "daxhpctl verify [FILE|DIR...] [--json]");
                        return 0;
                default:
                        return -EINVAL;
                }
        return 1;
}

/* Diagnostics go to stderr for explain/plan: the decision is the output. */
static void print_diagnostics(FILE *f, const PolicySet *set) {
        for (size_t i = 0; i < policy_set_n_diagnostics(set); i++) {
                const PolicyDiagnostic *d = policy_set_diagnostic(set, i);
                _cleanup_free_ char *s = NULL;

                if (policy_diagnostic_format(d, &s) < 0)
                        continue;
                if (d->level == POLICY_DIAGNOSTIC_WARNING) {
                        /* "path:line: warning: message" */
                        const char *m = s + strlen(s) - strlen(d->message);
                        fprintf(f, "%.*swarning: %s\n", (int) (m - s), s, m);
                } else
                        fprintf(f, "%s\n", s);
        }
}

static void json_diagnostics(JsonWriter *w, const PolicySet *set) {
        json_key(w, "Diagnostics");
        json_array_open(w);
        for (size_t i = 0; i < policy_set_n_diagnostics(set); i++) {
                const PolicyDiagnostic *d = policy_set_diagnostic(set, i);

                json_object_open(w);
                json_key(w, "Level");   json_string(w, policy_diagnostic_level_to_string(d->level));
                json_key(w, "File");    json_nullable(w, d->file);
                json_key(w, "Line");    json_u64(w, d->line);
                json_key(w, "Message"); json_nullable(w, d->message);
                json_object_close(w);
        }
        json_array_close(w);
}

int verb_verify(int argc, char *argv[], bool json) {
        _cleanup_(policy_set_freep) PolicySet *set = NULL;
        Options o = { .json = json };
        size_t n_warnings;
        int r;

        r = parse_options(argc, argv, &o, false);
        if (r <= 0)
                return r < 0 ? 2 : 0; /* usage error, printed */

        if (optind < argc) {
                /* argv need not be NULL-terminated at argc: copy the paths. */
                _cleanup_free_ char **paths = calloc((size_t) (argc - optind) + 1, sizeof(char *));
                if (!paths)
                        return -ENOMEM;
                memcpy(paths, argv + optind, (size_t) (argc - optind) * sizeof(char *));
                r = policy_set_load_paths(paths, &set);
        } else
                r = policy_set_load(NULL, &set);
        if (r < 0) {
                fprintf(stderr, "Failed to load policy files: %s\n", strerror(-r));
                return r;
        }

        n_warnings = policy_set_n_diagnostics(set) - policy_set_n_errors(set);

        if (o.json) {
                JsonWriter w;

                json_begin(&w, stdout);
                json_object_open(&w);
                json_key(&w, "Files");
                json_array_open(&w);
                for (size_t i = 0; i < policy_set_n_files(set); i++) {
                        const PolicyFile *f = policy_set_file(set, i);

                        json_object_open(&w);
                        json_key(&w, "Path");
                        json_nullable(&w, policy_file_path(f));
                        json_key(&w, "DropIns");
                        json_array_open(&w);
                        for (size_t j = 0; j < policy_file_n_dropins(f); j++)
                                json_nullable(&w, policy_file_dropin(f, j));
                        json_array_close(&w);
                        json_key(&w, "State");
                        json_string(&w, policy_state_to_string(policy_file_policy(f)->state));
                        json_object_close(&w);
                }
                json_array_close(&w);
                json_key(&w, "Rejected"); json_u64(&w, policy_set_n_rejected(set));
                json_key(&w, "Errors");   json_u64(&w, policy_set_n_errors(set));
                json_key(&w, "Warnings"); json_u64(&w, n_warnings);
                json_diagnostics(&w, set);
                json_object_close(&w);
                json_end(&w);
        } else {
                print_diagnostics(stdout, set);
                printf("%zu file%s accepted, %zu rejected, %zu error%s, %zu warning%s.\n",
                       policy_set_n_files(set), policy_set_n_files(set) == 1 ? "" : "s",
                       policy_set_n_rejected(set),
                       policy_set_n_errors(set), policy_set_n_errors(set) == 1 ? "" : "s",
                       n_warnings, n_warnings == 1 ? "" : "s");
        }

        return policy_set_n_errors(set) > 0 ? 1 : 0;
}

static int load_for_devices(const Options *o, PolicySet **ret) {
        int r;

        r = policy_set_load(o->n_dirs > 0 ? o->dirs : NULL, ret);
        if (r < 0) {
                fprintf(stderr, "Failed to load policy files: %s\n", strerror(-r));
                return r;
        }
        print_diagnostics(stderr, *ret);
        return 0;
}

/* What reaching the policy's state takes from the device's current mode. */
static const char *plan_action(const DeviceInfo *d, const Policy *p, char *buf, size_t l) {
        bool ram = d->mode && streq(d->mode, "system-ram");

        if (!p)
                return "none (no policy file matches)";

        switch (p->state) {
        case POLICY_STATE_IGNORE:
                return "none (ignored)";
        case POLICY_STATE_DEVDAX:
                if (d->mode && streq(d->mode, "devdax"))
                        return "none (already devdax)";
                if (ram)
                        return "offline the memory, rebind to device_dax";
                return "bind device_dax";
        case POLICY_STATE_UNPLUGGED:
                if (ram)
                        return "offline and unplug the memory, keep kmem bound";
                return "bind kmem, leave the memory unplugged";
        default:
                if (ram)
                        snprintf(buf, l, "check the memory is %s, reapply if not", policy_state_to_string(p->state));
                else
                        snprintf(buf, l, "bind kmem, online the memory as %s", policy_state_to_string(p->state));
                return buf;
        }
}

static const char *fmt_size(char *buf, size_t l, uint64_t v) {
        static const char units[] = "KMGTPE";
        int i = -1;
        double d = (double) v;

        while (d >= 1024 && i < 5) {
                d /= 1024;
                i++;
        }
        if (i < 0)
                snprintf(buf, l, "%" PRIu64 "B", v);
        else
                snprintf(buf, l, "%.*f%c", d == (uint64_t) d ? 0 : 1, d, units[i]);
        return buf;
}

static void print_policy(FILE *f, const Policy *p) {
        char t[64], u[64];

        fprintf(f, "  State=%s\n  MemmapOnMemory=%s\n  OnDrift=%s\n  TimeoutSec=%s\n  Retries=%u\n  RetryDelaySec=%s\n",
                policy_state_to_string(p->state),
                p->memmap_on_memory < 0 ? "(kernel default)" : p->memmap_on_memory ? "yes" : "no",
                policy_on_drift_to_string(p->on_drift),
                policy_format_timespan(t, sizeof(t), p->timeout_usec),
                p->retries,
                policy_format_timespan(u, sizeof(u), p->retry_delay_usec));
}

static void json_policy(JsonWriter *w, const Policy *p) {
        if (!p) {
                json_null(w);
                return;
        }
        json_object_open(w);
        json_key(w, "State");   json_string(w, policy_state_to_string(p->state));
        json_key(w, "MemmapOnMemory");
        if (p->memmap_on_memory < 0)
                json_null(w);
        else
                json_bool(w, p->memmap_on_memory);
        json_key(w, "OnDrift"); json_string(w, policy_on_drift_to_string(p->on_drift));
        json_key(w, "TimeoutUSec");
        if (p->timeout_usec == POLICY_USEC_INFINITY)
                json_null(w);
        else
                json_u64(w, p->timeout_usec);
        json_key(w, "Retries");        json_u64(w, p->retries);
        json_key(w, "RetryDelayUSec"); json_u64(w, p->retry_delay_usec);
        json_object_close(w);
}

/* The CXL identity [Match] can name (daxhp.d(5)); only for a CXL region's device. */
static void json_cxl(JsonWriter *w, const DeviceInfo *d) {
        if (!d->cxl_region)
                return;
        json_key(w, "Cxl");
        json_object_open(w);
        json_key(w, "Region");      json_string(w, d->cxl_region);
        json_key(w, "RootDecoder"); json_nullable(w, d->cxl_root_decoder);
        json_key(w, "Memdevs");     json_strv(w, d->cxl_memdevs);
        json_key(w, "Serials");     json_strv(w, d->cxl_serials);
        json_key(w, "HostBridges"); json_strv(w, d->cxl_host_bridges);
        json_object_close(w);
}

static void print_strv(const char *label, char * const *l) {
        printf("%s", label);
        for (size_t i = 0; l && l[i]; i++)
                printf("%s%s", i ? " " : "", l[i]);
        printf("%s\n", l && l[0] ? "" : "(unknown)");
}

/* The sysfs view: the same names as the daemon's Device properties. */
static void json_device(JsonWriter *w, const DeviceInfo *d) {
        json_object_open(w);
        json_key(w, "Name");       json_nullable(w, d->name);
        json_key(w, "SysfsPath");  json_nullable(w, d->path);
        json_key(w, "Region");     json_nullable(w, d->region);
        json_key(w, "TargetNode"); json_i64(w, d->target_node);
        json_key(w, "Size");       json_u64(w, d->size);
        json_key(w, "Provider");   json_nullable(w, d->provider);
        json_key(w, "Mode");       json_nullable(w, d->mode);
        json_cxl(w, d);
        json_object_close(w);
}

/*
 * The running daemon's bus connection (into *ret): 1 if connected, 0 with
 * --offline or when daxhpd does not run. explain and plan open it once for
 * all the live data they show.
 */
static int live_open(const Options *o, sd_bus **ret) {
        *ret = NULL;
        if (o->offline)
                return 0;
        return bus_open_daemon(ret);
}

/*
 * The daemon's view of device `name` (into *one), or of all devices (name
 * NULL, into *all): 1 if read, 0 without a daemon. A daemon that fails to
 * answer is reported and treated as absent: the offline view is still printed.
 */
static int live_fetch(sd_bus *bus, const char *name, DeviceProps *one, DeviceList *all) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!bus)
                return 0;
        r = name ? fetch_device(bus, name, one, &error) : fetch_devices(bus, all, &error);
        if (r < 0) {
                fprintf(stderr, "Failed to get %s from daxhpd: %s\n", name ?: "the devices",
                        sd_bus_error_is_set(&error) ? strempty(error.message) : strerror(-r));
                return 0;
        }
        return 1;
}

/*
 * The files of set modified after daxhpd read its policy (PolicyLoadedUSec):
 * what explain shows from disk is then not what the daemon decides with.
 * Empty without a daemon, or when it cannot say.
 */
static int live_stale_files(sd_bus *bus, const PolicySet *set, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        uint64_t loaded = 0;

        *ret = NULL;
        if (!bus)
                return 0;
        if (sd_bus_get_property_trivial(bus, DAXHP_BUS_NAME, DAXHP_MANAGER_PATH, DAXHP_MANAGER_INTERFACE,
                                        "PolicyLoadedUSec", NULL, 't', &loaded) < 0 || loaded == 0)
                return 0;
        for (size_t i = 0; i < policy_set_n_files(set); i++) {
                const PolicyFile *f = policy_set_file(set, i);

                for (size_t j = 0; j <= policy_file_n_dropins(f); j++) {
                        const char *path = j == 0 ? policy_file_path(f) : policy_file_dropin(f, j - 1);
                        struct stat st;

                        if (stat(path, &st) < 0)
                                continue;
                        if ((uint64_t) st.st_mtim.tv_sec * 1000000 + (uint64_t) st.st_mtim.tv_nsec / 1000 <= loaded)
                                continue;
                        if (strv_extend(&l, path) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static const DeviceProps *live_find(const DeviceList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].name && streq(l->items[i].name, name))
                        return &l->items[i];
        return NULL;
}

static bool live_override(const DeviceProps *p) {
        return p->policy_file && streq(p->policy_file, "runtime");
}

static const char *or_none(const char *s) {
        return isempty(s) ? "-" : s;
}

static void json_live(JsonWriter *w, const DeviceProps *p) {
        if (!p) {
                json_null(w);
                return;
        }
        json_object_open(w);
        json_key(w, "State");        json_nullable(w, p->state);
        json_key(w, "DesiredState"); json_nullable(w, p->desired_state);
        json_key(w, "PolicyFile");   json_nullable(w, p->policy_file);
        json_key(w, "Transition");   json_nullable(w, p->transition);
        json_key(w, "LastError");    json_nullable(w, p->last_error);
        json_key(w, "Mode");         json_nullable(w, p->mode);
        json_key(w, "Override");     json_bool(w, live_override(p));
        json_object_close(w);
}

static void print_live(FILE *f, const DeviceProps *p) {
        fprintf(f, "Live state:      %s (mode %s, from daxhpd)\n", or_none(p->state), or_none(p->mode));
        fprintf(f, "Daemon desired:  %s\n", or_none(p->desired_state));
        fprintf(f, "Daemon policy:   %s%s\n", or_none(p->policy_file),
                live_override(p) ? " (runtime override; \"daxhpctl reset\" drops it)" : "");
        fprintf(f, "Transition:      %s\n", or_none(p->transition));
        if (!isempty(p->last_error))
                fprintf(f, "Last error:      %s\n", p->last_error);
}

int verb_explain(int argc, char *argv[], bool json) {
        _cleanup_(policy_set_freep) PolicySet *set = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Options o = { .root = "/sys", .json = json };
        DeviceInfo dev = { .target_node = -1 };
        DeviceProps live = { .target_node = -1 };
        _cleanup_strv_free_ char **stale = NULL;
        const PolicyFile *decider = NULL;
        char buf[256];
        int r, has_live;

        r = parse_options(argc, argv, &o, true);
        if (r <= 0)
                return r < 0 ? 2 : 0; /* usage error, printed */
        if (optind + 1 != argc) {
                fprintf(stderr, "explain: expected exactly one DEVICE\n");
                return 2;
        }

        /* DEVICE may be "dax0.0", "/dev/dax0.0" or a sysfs path ending in the name. */
        const char *name = strrchr(argv[optind], '/') ? strrchr(argv[optind], '/') + 1 : argv[optind];
        r = dax_scan_device(o.root, name, &dev);
        if (r == -ENODEV || r == -EINVAL) {
                fprintf(stderr, "explain: no dax device '%s' under %s/bus/dax/devices\n", argv[optind], o.root);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "explain: failed to read %s: %s\n", argv[optind], strerror(-r));
                return r;
        }

        r = load_for_devices(&o, &set);
        if (r < 0)
                goto finish;
        r = live_open(&o, &bus);
        if (r < 0)
                goto finish;
        has_live = live_fetch(bus, name, &live, NULL);
        r = live_stale_files(bus, set, &stale);
        if (r < 0)
                goto finish;

        JsonWriter w;

        json_begin(&w, stdout);
        if (o.json) {
                json_object_open(&w);
                json_key(&w, "Device");
                json_device(&w, &dev);
                json_key(&w, "Files");
                json_array_open(&w);
        } else {
                printf("Device:   %s\n  Path:     %s\n  Region:   %s\n  Provider: %s\n",
                       dev.name, strempty(dev.path), dev.region ?: "(unknown)", dev.provider ?: "(unknown)");
                if (dev.target_node >= 0)
                        printf("  Node:     %d\n", dev.target_node);
                else
                        printf("  Node:     (unknown)\n");
                printf("  Size:     %s (%" PRIu64 " bytes)\n  Mode:     %s\n",
                       fmt_size(buf, sizeof(buf), dev.size), dev.size, strempty(dev.mode));
                if (dev.cxl_region) {
                        printf("  CXL region:       %s (root decoder %s)\n", dev.cxl_region,
                               dev.cxl_root_decoder ?: "(unknown)");
                        print_strv("  CXL memdevs:      ", dev.cxl_memdevs);
                        print_strv("  CXL serials:      ", dev.cxl_serials);
                        print_strv("  CXL host bridges: ", dev.cxl_host_bridges);
                }
                printf("Files, in match order:\n");
        }

        for (size_t i = 0; i < policy_set_n_files(set) && !decider; i++) {
                const PolicyFile *f = policy_set_file(set, i);
                _cleanup_free_ char *reason = NULL;

                r = policy_file_test(f, &dev, &reason);
                if (r < 0)
                        goto finish;
                if (r > 0)
                        decider = f;
                if (o.json) {
                        json_object_open(&w);
                        json_key(&w, "Path");    json_nullable(&w, policy_file_path(f));
                        json_key(&w, "Matches"); json_bool(&w, r > 0);
                        json_key(&w, "Reason");  json_nullable(&w, reason);
                        json_object_close(&w);
                } else
                        printf("  %s %s\n    %s\n", r > 0 ? "MATCH" : "skip ", policy_file_path(f), reason);
        }

        const Policy *p = decider ? policy_file_policy(decider) : NULL;
        if (o.json) {
                json_array_close(&w);
                json_key(&w, "DecidedBy");
                json_nullable(&w, decider ? policy_file_path(decider) : NULL);
                json_key(&w, "Policy");
                json_policy(&w, p);
                json_key(&w, "Action");
                json_nullable(&w, plan_action(&dev, p, buf, sizeof(buf)));
                if (has_live) {
                        json_key(&w, "Live");
                        json_live(&w, &live);
                        json_key(&w, "StaleFiles");
                        json_array_open(&w);
                        for (char **f = stale; f && *f; f++)
                                json_string(&w, *f);
                        json_array_close(&w);
                }
                json_object_close(&w);
                json_end(&w);
        } else {
                if (policy_set_n_files(set) == 0)
                        printf("  (no policy files)\n");
                if (decider) {
                        printf("Decided by: %s\n", policy_file_path(decider));
                        for (size_t j = 0; j < policy_file_n_dropins(decider); j++)
                                printf("  drop-in: %s\n", policy_file_dropin(decider, j));
                        print_policy(stdout, p);
                } else
                        printf("Decided by: nothing (no file matches; the device is left alone)\n");
                printf("Action:   %s\n", plan_action(&dev, p, buf, sizeof(buf)));
                if (has_live)
                        print_live(stdout, &live);
                for (char **f = stale; f && *f; f++)
                        printf("Note: %s changed after daxhpd loaded its policy: daxhpd still holds the old "
                               "version (apply it with: daxhpctl reload).\n", *f);
        }
        r = 0;

finish:
        device_props_done(&live);
        dax_device_info_done(&dev);
        return r;
}

/* Under a plan row: "  live: STATE -> DESIRED[ (runtime override)][, TRANSITION]". */
static void print_plan_live(const DeviceProps *p) {
        if (!p) {
                printf("  live: (not known to daxhpd)\n");
                return;
        }
        printf("  live: %s -> %s%s", or_none(p->state), or_none(p->desired_state),
               live_override(p) ? " (runtime override)" : "");
        if (!isempty(p->transition) && !streq(p->transition, "idle"))
                printf(", %s", p->transition);
        printf("\n");
}

int verb_plan(int argc, char *argv[], bool json) {
        _cleanup_(policy_set_freep) PolicySet *set = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Options o = { .root = "/sys", .json = json };
        DeviceInfo *devs = NULL;
        DeviceList live = {};
        size_t n = 0;
        int r, has_live;

        r = parse_options(argc, argv, &o, true);
        if (r <= 0)
                return r < 0 ? 2 : 0; /* usage error, printed */
        if (optind != argc) {
                fprintf(stderr, "plan: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }

        r = dax_scan_sysfs(o.root, &devs, &n);
        if (r < 0) {
                fprintf(stderr, "plan: failed to scan %s: %s\n", o.root, strerror(-r));
                return r;
        }
        r = load_for_devices(&o, &set);
        if (r < 0)
                goto finish;
        r = live_open(&o, &bus);
        if (r < 0)
                goto finish;
        has_live = live_fetch(bus, NULL, NULL, &live);

        JsonWriter w;

        json_begin(&w, stdout);
        if (o.json)
                json_array_open(&w);
        else
                printf("%-10s %-8s %-4s %-7s %-10s %-14s %-24s %s\n",
                       "DEVICE", "PROVIDER", "NODE", "SIZE", "MODE", "STATE", "FILE", "ACTION");

        for (size_t i = 0; i < n; i++) {
                PolicyMatch m = {};
                char node[16], size[32], act[256];
                const Policy *p;

                r = policy_set_match(set, devs + i, &m);
                if (r < 0)
                        goto finish;
                p = m.file ? policy_file_policy(m.file) : NULL;

                if (o.json) {
                        json_object_open(&w);
                        json_key(&w, "Device");
                        json_device(&w, devs + i);
                        json_key(&w, "File");
                        json_nullable(&w, m.file ? policy_file_path(m.file) : NULL);
                        json_key(&w, "Reason");
                        json_nullable(&w, m.reason);
                        json_key(&w, "Policy");
                        json_policy(&w, p);
                        json_key(&w, "Action");
                        json_nullable(&w, plan_action(devs + i, p, act, sizeof(act)));
                        if (has_live) {
                                json_key(&w, "Live");
                                json_live(&w, live_find(&live, devs[i].name));
                        }
                        json_object_close(&w);
                } else {
                        if (devs[i].target_node >= 0)
                                snprintf(node, sizeof(node), "%d", devs[i].target_node);
                        else
                                snprintf(node, sizeof(node), "-");
                        printf("%-10s %-8s %-4s %-7s %-10s %-14s %-24s %s\n",
                               devs[i].name, devs[i].provider ?: "-", node, fmt_size(size, sizeof(size), devs[i].size),
                               strempty(devs[i].mode), p ? policy_state_to_string(p->state) : "-",
                               m.file ? policy_file_name(m.file) : "-",
                               plan_action(devs + i, p, act, sizeof(act)));
                        if (has_live)
                                print_plan_live(live_find(&live, devs[i].name));
                }
                policy_match_done(&m);
        }
        if (o.json) {
                json_array_close(&w);
                json_end(&w);
        } else if (n == 0)
                printf("(no dax devices under %s/bus/dax/devices)\n", o.root);
        r = 0;

finish:
        device_list_done(&live);
        dax_scan_free(devs, n);
        return r;
}
