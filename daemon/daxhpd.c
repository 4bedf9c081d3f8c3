/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * daxhpd: the one controller of dax memory on a host. Main: command line,
 * signals, sd_notify, and the event loop; everything else lives in the
 * manager.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "log.h"
#include "manager.h"

typedef struct Args {
        LogTarget log_target;
        const char *sysfs_root;
        const char *state_dir;
        const char *host_root;
        const char *metrics_file;
        const char *nfd_file;
        char **policy_dirs;
} Args;

static void help(void) {
        printf("daxhpd [OPTIONS...]\n\n"
               "Applies daxhp.d policy to dax devices and serves org.daxhp1 on the system bus.\n\n"
               "  -h --help                    Show this help\n"
               "     --version                 Show the version\n"
               "     --log-target=TARGET       journal, stderr or auto (default)\n"
               "     --sysfs-root=DIR          Read and write sysfs below DIR (default /sys)\n"
               "     --policy-dir=DIR          Load policy from DIR instead of the default\n"
               "                               directories; may be repeated, earliest wins\n"
               "     --state-dir=DIR           Runtime state (overrides), default /run/daxhp\n"
               "     --host-root=DIR           Read udev rules, daxctl.conf.d and /proc below DIR\n"
               "                               (default /; for tests)\n"
               "     --metrics-file=PATH       Prometheus textfile for node-exporter, \"\" for none\n"
               "                               (default " DAXHP_METRICS_FILE ")\n"
               "     --nfd-file=PATH           node-feature-discovery feature file, \"\" for none\n"
               "                               (default " DAXHP_NFD_FILE ")\n"
               "     --debug                   Log debug messages too\n");
}

static int parse_argv(int argc, char *argv[], Args *a) {
        enum {
                ARG_VERSION = 0x100,
                ARG_LOG_TARGET,
                ARG_SYSFS_ROOT,
                ARG_POLICY_DIR,
                ARG_STATE_DIR,
                ARG_HOST_ROOT,
                ARG_METRICS_FILE,
                ARG_NFD_FILE,
                ARG_DEBUG,
        };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h'            },
                { "version",    no_argument,       NULL, ARG_VERSION    },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "sysfs-root", required_argument, NULL, ARG_SYSFS_ROOT },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "state-dir",  required_argument, NULL, ARG_STATE_DIR  },
                { "host-root",  required_argument, NULL, ARG_HOST_ROOT  },
                { "metrics-file", required_argument, NULL, ARG_METRICS_FILE },
                { "nfd-file",   required_argument, NULL, ARG_NFD_FILE   },
                { "debug",      no_argument,       NULL, ARG_DEBUG      },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("daxhpd %s\n", DAXHP_VERSION);
                        return 0;
                case ARG_LOG_TARGET:
                        a->log_target = log_target_from_string(optarg);
                        if (a->log_target < 0) {
                                fprintf(stderr, "Unknown log target '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_SYSFS_ROOT:
                        a->sysfs_root = optarg;
                        break;
                case ARG_POLICY_DIR:
                        r = strv_extend(&a->policy_dirs, optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_STATE_DIR:
                        a->state_dir = optarg;
                        break;
                case ARG_HOST_ROOT:
                        a->host_root = optarg;
                        break;
                case ARG_METRICS_FILE:
                        a->metrics_file = optarg;
                        break;
                case ARG_NFD_FILE:
                        a->nfd_file = optarg;
                        break;
                case ARG_DEBUG:
                        log_set_max_level(LOG_DEBUG);
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                fprintf(stderr, "This program takes no arguments.\n");
                return -EINVAL;
        }
        return 1;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received SIG%s, stopping; memory stays as it is.", sigabbrev_np((int) si->ssi_signo) ?: "?");
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping...");
        manager_stop(m);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        int r;

        log_info("Received SIGHUP, reloading policy.");
        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading policy...");
        r = manager_reload(m, NULL, NULL);
        if (r < 0)
                log_warning_errno(r, "Reload failed, keeping the previous policy: %m");
        (void) sd_notify(false, "READY=1\nSTATUS=Running.");
        return 0;
}

static int setup_signals(sd_event *e, Manager *m) {
        sigset_t ss;
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return -errno;

        r = sd_event_add_signal(e, NULL, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGHUP, on_sighup, m);
        return r;
}

static int run(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        Args a = {
                .log_target = LOG_TARGET_AUTO,
                .metrics_file = DAXHP_METRICS_FILE,
                .nfd_file = DAXHP_NFD_FILE,
        };
        _cleanup_strv_free_ char **policy_dirs = NULL;
        int r;

        r = parse_argv(argc, argv, &a);
        policy_dirs = a.policy_dirs;
        if (r <= 0)
                return r;
        log_set_target(a.log_target);

        r = sd_event_default(&e);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        (void) sd_event_set_watchdog(e, true);

        r = manager_new(e, &(ManagerConfig) {
                                .sysfs_root = a.sysfs_root,
                                .policy_dirs = a.policy_dirs,
                                .state_dir = a.state_dir,
                                .host_root = a.host_root,
                                .metrics_file = a.metrics_file,
                                .nfd_file = a.nfd_file,
                        }, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");

        r = setup_signals(e, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");

        r = manager_bus_connect(m);
        if (r < 0)
                return r;
        r = manager_startup(m);
        if (r < 0)
                return r;
        r = manager_bus_request_name(m);
        if (r < 0)
                return r;

        log_info("daxhpd %s running: %zu dax devices, kernel interface %s.", DAXHP_VERSION, m->n_devices,
                 manager_kernel_interface(m));
        (void) sd_notifyf(false, "READY=1\nSTATUS=Managing %zu dax devices.", m->n_devices);

        r = sd_event_loop(e);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
