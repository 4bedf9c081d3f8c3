/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * daxhpctl: the command line of daxhpd. Bus verbs live in daxhpctl-bus.c,
 * daxhpctl-monitor.c and daxhpctl-wait.c; the policy verbs (offline, plus
 * the daemon's live view) in daxhpctl-policy.c.
 *
 * The options every verb shares (--help, --json, --no-pager, --no-legend,
 * -q) are taken here, before or after the verb, so that `VERB --help` never
 * reaches a verb and so never contacts the daemon; what is left goes to the
 * verb.
 */

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daxhpctl-bus.h"
#include "daxhpctl-check.h"
#include "daxhpctl-output.h"
#include "daxhpctl-set.h"
#include "daxhpctl-wait.h"
#include "macro.h"
#if HAVE_DAXHPCTL_POLICY
#include "daxhpctl-policy.h"
#endif

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char *argv[], bool json);
        const char *usage;
        const char *summary;
        bool pass_json_option; /* the verb parses --json itself */
        bool own_options;      /* the verb parses further options (getopt) */
} Verb;

static const Verb verbs[] = {
        { "list",    verb_list,    "[PATTERN...]",
          "List dax devices (those whose name matches a PATTERN glob) and their state", false, false },
        { "status",  verb_status,  "[DEVICE...]",
          "Show the daemon (and the policy files it rejected), or the given devices", false, false },
        { "set",     verb_set,     "DEVICE STATE [--no-block] [--force]",
          "Set a runtime override and wait until the device got there (progress on a terminal)", false, true },
        { "reset",   verb_reset,   "DEVICE [--no-block]",
          "Drop the runtime override and wait until the device reached what policy asks", false, true },
        { "reload",  verb_reload,  "",
          "Re-read policy files and re-plan every device; exit 1 if a file was rejected", false, false },
        { "monitor", verb_monitor, "",
          "Print changes as the daemon announces them, until ^C", false, false },
        { "wait",    verb_wait,    "[DEVICE...] [--timeout SEC]",
          "Wait until daxhpd carried out policy for DEVICE (all if none); 120 s, 0 = forever", false, true },
        { "check",   verb_check,   "",
          "List every hazard for this host (auto-online, other agents, memmap, zone ratio, unplug); exit 1 on an error",
          false, false },
#if HAVE_DAXHPCTL_POLICY
        { "verify",  verb_verify,  "[FILE|DIR...]",
          "Check policy files", true, true },
        { "explain", verb_explain, "DEVICE [--offline] [--root DIR] [--policy-dir DIR...]",
          "Show which policy file decides DEVICE and why, and daxhpd's live state unless --offline", true, true },
        { "plan",    verb_plan,    "[--offline] [--root DIR] [--policy-dir DIR...]",
          "Show what policy would do to every device", true, true },
#endif
};

static void help(void) {
        printf("daxhpctl [OPTIONS...] COMMAND ...\n\n"
               "Query and control daxhpd, the dax memory hotplug daemon.\n\n"
               "Commands (none: list):\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-8s %s\n           %s\n", verbs[i].name, verbs[i].usage, verbs[i].summary);
        printf("\nOptions:\n"
               "  -h --help             Show this help (after a command: that command's)\n"
               "     --version          Show the version\n"
               "     --json=MODE        JSON output: short (one document per line; also\n"
               "                        plain --json), pretty, or off\n"
               "     --no-pager         Accepted for systemd compatibility (daxhpctl never pages)\n"
               "     --no-legend        No column headers and footers\n"
               "  -q --quiet            Print nothing on success where a verb would report it\n"
               "\nSee daxhpctl(1).\n");
}

static void verb_help(const Verb *v) {
        printf("daxhpctl [OPTIONS...] %s %s\n\n%s.\n\nSee daxhpctl --help and daxhpctl(1).\n",
               v->name, v->usage, v->summary);
}

/* Output that did not reach stdout is a failure, never a silent success:
 * a caller parsing --json must not see exit 0 with nothing printed. */
static int finish_output(int r) {
        bool ok = fflush(stdout) == 0 && !ferror(stdout);

        if (json_output_end() < 0)
                ok = false;
        if (ok)
                return r;
        fprintf(stderr, "Failed to write output: %m\n");
        return r ? r : 1;
}

static int parse_json_mode(const char *s) {
        if (!s || streq(s, "short"))
                return JSON_SHORT;
        if (streq(s, "pretty"))
                return JSON_PRETTY;
        if (streq(s, "off"))
                return JSON_OFF;
        fprintf(stderr, "Unknown --json mode '%s' (short, pretty, off).\n", s);
        return -EINVAL;
}

/* A shared option at argv[k]: 1 if taken (and applied), 0 if not ours, -EINVAL. */
static int take_shared_option(const char *a, bool *want_help) {
        int m;

        if (streq(a, "-h") || streq(a, "--help"))
                *want_help = true;
        else if (streq(a, "--json") || strncmp(a, "--json=", 7) == 0) {
                m = parse_json_mode(a[6] == '=' ? a + 7 : NULL);
                if (m < 0)
                        return m;
                arg_json = m;
        } else if (streq(a, "--no-pager"))
                ;
        else if (streq(a, "--no-legend"))
                arg_legend = false;
        else if (streq(a, "-q") || streq(a, "--quiet"))
                arg_quiet = true;
        else
                return 0;
        return 1;
}

int main(int argc, char *argv[]) {
        bool want_help = false;
        int k, r;

        /* Shared options before the verb. */
        for (k = 1; k < argc && argv[k][0] == '-'; k++) {
                if (streq(argv[k], "--version")) {
                        printf("daxhpctl %s\n", DAXHP_VERSION);
                        return 0;
                }
                if (streq(argv[k], "--")) {
                        k++;
                        break;
                }
                r = take_shared_option(argv[k], &want_help);
                if (r < 0)
                        return 2;
                if (r == 0) {
                        fprintf(stderr, "Unknown option '%s'. See daxhpctl --help.\n", argv[k]);
                        return 2;
                }
        }
        if (k >= argc && want_help) {
                help();
                return 0;
        }

        /* No command lists the devices, as networkctl and systemctl do. */
        const char *name = k < argc ? argv[k] : "list";
        const Verb *v = NULL;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        v = &verbs[i];
        if (!v) {
                fprintf(stderr, "Unknown command '%s'. See daxhpctl --help.\n", name);
                return 2;
        }

        /* Shared options after the verb; the policy verbs keep --json. */
        char *args[argc + 2];
        int n = 0;
        bool dashdash = false;
        if (k >= argc)
                args[n++] = (char *) name;
        for (int i = k; i < argc; i++) {
                if (i > k && !dashdash) {
                        if (streq(argv[i], "--"))
                                dashdash = true;
                        else if (!(v->pass_json_option && streq(argv[i], "--json"))) {
                                r = take_shared_option(argv[i], &want_help);
                                if (r < 0)
                                        return 2;
                                if (r > 0)
                                        continue;
                                if (!v->own_options && argv[i][0] == '-' && argv[i][1]) {
                                        fprintf(stderr, "%s: unknown option '%s'. See daxhpctl %s --help.\n",
                                                v->name, argv[i], v->name);
                                        return 2;
                                }
                        }
                        if (dashdash && !v->own_options)
                                continue; /* "--" itself is not an argument */
                }
                args[n++] = argv[i];
        }
        args[n] = NULL;
        if (want_help) {
                verb_help(v);
                return 0;
        }

        r = json_output_begin();
        if (r < 0) {
                fprintf(stderr, "Failed to set up JSON output: %s\n", strerror(-r));
                return 1;
        }
        r = v->run(n, args, arg_json != JSON_OFF);
        return finish_output(r < 0 ? 1 : r);
}
