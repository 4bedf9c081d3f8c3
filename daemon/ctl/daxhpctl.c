/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * daxhpctl: the command line of daxhpd. Bus verbs live in daxhpctl-bus.c and
 * daxhpctl-monitor.c; the policy verbs (offline, plus the daemon's live view)
 * in daxhpctl-policy.c.
 */

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daxhpctl-bus.h"
#include "macro.h"
#if HAVE_DAXHPCTL_POLICY
#include "daxhpctl-policy.h"
#endif

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char *argv[], bool json);
        bool pass_json_option; /* the verb parses --json itself */
} Verb;

static const Verb verbs[] = {
        { "list",    verb_list,    false },
        { "status",  verb_status,  false },
        { "set",     verb_set,     false },
        { "reset",   verb_reset,   false },
        { "reload",  verb_reload,  false },
        { "monitor", verb_monitor, false },
#if HAVE_DAXHPCTL_POLICY
        { "verify",  verb_verify,  true },
        { "explain", verb_explain, true },
        { "plan",    verb_plan,    true },
#endif
};

static void help(void) {
        printf("daxhpctl [OPTIONS...] COMMAND ...\n\n"
               "Query and control daxhpd, the dax memory hotplug daemon.\n\n"
               "Commands:\n"
               "  list                  List dax devices and their state\n"
               "  status [DEVICE...]    Show the daemon, or the given devices\n"
               "  set DEVICE STATE      Set a runtime override and wait until the device got there\n"
               "  reset DEVICE          Drop the runtime override; policy decides again\n"
               "  reload                Re-read policy files and re-plan every device\n"
               "  monitor               Print changes as the daemon announces them, until ^C\n"
#if HAVE_DAXHPCTL_POLICY
               "  verify [FILE|DIR...]  Check policy files\n"
               "  explain DEVICE        Show which policy file decides DEVICE and why,\n"
               "                        and daxhpd's live state unless --offline\n"
               "  plan                  Show what policy would do to every device\n"
#endif
               "\nOptions:\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "     --json             Print JSON (one document per line)\n");
}

/* Output that did not reach stdout is a failure, never a silent success:
 * a caller parsing --json must not see exit 0 with nothing printed. */
static int finish_output(int r) {
        if (fflush(stdout) == 0 && !ferror(stdout))
                return r;
        fprintf(stderr, "Failed to write output: %m\n");
        return r ? r : 1;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",    no_argument, NULL, 'h'   },
                { "version", no_argument, NULL, 'V'   },
                { "json",    no_argument, NULL, 'j'   },
                {}
        };
        bool json = false;
        int c;

        /* '+': stop at the verb; options after it belong to the verb. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("daxhpctl %s\n", DAXHP_VERSION);
                        return 0;
                case 'j':
                        json = true;
                        break;
                default:
                        return 2;
                }
        if (optind >= argc) {
                help();
                return 2;
        }

        const char *name = argv[optind];
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].name, name))
                        continue;

                /* Our own verbs also take --json after the verb. */
                char *args[argc + 1];
                int n = 0;
                for (int k = optind; k < argc; k++) {
                        if (!verbs[i].pass_json_option && k > optind && streq(argv[k], "--json")) {
                                json = true;
                                continue;
                        }
                        args[n++] = argv[k];
                }
                args[n] = NULL;
                int r = verbs[i].run(n, args, json);
                return finish_output(r < 0 ? 1 : r);
        }
        fprintf(stderr, "Unknown command '%s'. See daxhpctl --help.\n", name);
        return 2;
}
