/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Audit records: one distinct MESSAGE_ID per kind, each documented in the
 * shipped catalog (argv[1]), and the plain stderr form carrying the fields.
 */

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "tests.h"

static char *slurp(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;

        CHECK(f);
        CHECK(getdelim(&buf, &size, '\0', f) > 0);
        fclose(f);
        return buf;
}

static void test_ids(const char *catalog_path) {
        char *catalog = slurp(catalog_path);

        for (AuditKind k = 0; k < _AUDIT_KIND_MAX; k++) {
                const char *id = audit_message_id(k);
                char entry[64];

                CHECK(id && strlen(id) == 32);
                for (const char *c = id; *c; c++)
                        CHECK(isxdigit((unsigned char) *c) && !isupper((unsigned char) *c));
                for (AuditKind o = 0; o < k; o++)
                        CHECK(!streq(id, audit_message_id(o)));
                CHECK(audit_kind_to_string(k));

                snprintf(entry, sizeof(entry), "\n-- %s\n", id);
                if (!strstr(catalog, entry)) {
                        fprintf(stderr, "catalog has no entry for %s (%s)\n", id, audit_kind_to_string(k));
                        CHECK(false);
                }
        }
        free(catalog);
}

static void test_stderr_form(void) {
        char path[] = "/tmp/test-audit-XXXXXX";
        AuditCaller caller = { .valid = true, .uid = 0, .pid = 42, .comm = (char *) "busctl" };
        int fd, saved;
        char *out;

        fd = mkstemp(path);
        CHECK(fd >= 0);
        saved = dup(STDERR_FILENO);
        CHECK(dup2(fd, STDERR_FILENO) >= 0);
        log_set_target(LOG_TARGET_STDERR);

        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_TRANSITION_FINISHED,
                        .device = "dax0.0",
                        .from = "online_kernel",
                        .to = "online_movable",
                        .result = "failed",
                        .error = -16,
                        .has_duration = true,
                        .duration_usec = 1234,
                        .policy = "runtime",
                        .caller = &caller,
                        .times = &(AuditTimes) { .uevent = 10, .policy = 20, .step = 30, .write_start = 40,
                                                 .write_end = 90, .kernel = 45, .steps = 2 },
                   },
                   "%s: done", "dax0.0");
        audit_emit(&(AuditRecord) { .kind = AUDIT_RELOAD, .has_files = true, .files_loaded = 3, .files_rejected = 1 },
                   "reload");
        fflush(stderr);
        CHECK(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        close(fd);

        out = slurp(path);
        unlink(path);
        CHECK(strstr(out, "dax0.0: done MESSAGE_ID=0f3c0d5c5dde4c05bb3716ce434cae74"));
        CHECK(strstr(out, " DAXHP_EVENT=transition-finished"));
        CHECK(strstr(out, " DAXHP_DEVICE=dax0.0"));
        CHECK(strstr(out, " DAXHP_FROM=online_kernel"));
        CHECK(strstr(out, " DAXHP_TO=online_movable"));
        CHECK(strstr(out, " DAXHP_RESULT=failed"));
        CHECK(strstr(out, " DAXHP_ERRNO=16"));
        CHECK(strstr(out, " DAXHP_DURATION_USEC=1234"));
        CHECK(strstr(out, " DAXHP_POLICY=runtime"));
        CHECK(strstr(out, " DAXHP_CALLER_UID=0"));
        CHECK(strstr(out, " DAXHP_CALLER_PID=42"));
        CHECK(strstr(out, " DAXHP_CALLER_COMM=busctl"));
        CHECK(strstr(out, " DAXHP_FILES_LOADED=3 DAXHP_FILES_REJECTED=1"));
        CHECK(strstr(out, " DAXHP_T_UEVENT_USEC=10 DAXHP_T_POLICY_USEC=20 DAXHP_T_STEP_USEC=30"
                          " DAXHP_T_WRITE_START_USEC=40 DAXHP_T_WRITE_END_USEC=90 DAXHP_KERNEL_USEC=45 DAXHP_STEPS=2"));
        /* unknown (0): left out, not printed as 0 */
        CHECK(!strstr(out, "DAXHP_T_CONFIRMED_USEC"));
        free(out);
}

int main(int argc, char *argv[]) {
        CHECK(argc == 2);
        test_ids(argv[1]);
        test_stderr_form();
        TESTS_DONE("test-audit");
}
