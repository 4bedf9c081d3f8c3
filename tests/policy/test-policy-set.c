/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Sets of files: ordering across directories, same-name override, masking
 * (empty file, /dev/null symlink), drop-ins, first-match-wins, whole-file
 * rejection, warnings, verify paths. Each case builds a tree in a tmpdir. */

#include "policy-internal.h"
#include "test-util.h"

#define MOVABLE "[Match]\n[Policy]\nState=online_movable\n"
#define DEVDAX "[Match]\n[Policy]\nState=devdax\n"
#define IGNORE "[Match]\n[Policy]\nState=ignore\n"

static const DeviceInfo dax0 = { .name = "dax0.0", .region = "0", .target_node = 0, .mode = "devdax" };
static const DeviceInfo dax1 = { .name = "dax1.0", .region = "1", .target_node = 1, .mode = "devdax" };

typedef struct Tree {
        char *root;
        char *dirs[4];          /* etc, run, usr/local/lib, usr/lib */
} Tree;

static void tree_new(Tree *t) {
        static const char * const names[] = { "etc", "run", "usr-local-lib", "usr-lib" };

        t->root = test_mkdtemp();
        for (size_t i = 0; i < 4; i++)
                t->dirs[i] = test_write(t->root, names[i], NULL);
}

static void tree_free(Tree *t) {
        for (size_t i = 0; i < 4; i++)
                free(t->dirs[i]);
        test_rm_rf(t->root);
}

static void put(Tree *t, unsigned dir, const char *rel, const char *contents) {
        free(test_write(t->dirs[dir], rel, contents));
}

static PolicySet *load(Tree *t) {
        const char *dirs[5] = { t->dirs[0], t->dirs[1], t->dirs[2], t->dirs[3], NULL };
        PolicySet *s = NULL;

        ASSERT_EQ(policy_set_load(dirs, &s), 0);
        return s;
}

/* Copies s with every occurrence of root replaced by "@". */
static void append_replacing(StrBuf *b, const char *s, const char *root) {
        size_t rl = strlen(root);
        const char *p;

        while ((p = strstr(s, root))) {
                strbuf_append(b, "%.*s@", (int) (p - s), s);
                s = p + rl;
        }
        strbuf_append(b, "%s", s);
}

/* Diagnostics with the tree root replaced by "@", one per line. */
static char *diags(const Tree *t, const PolicySet *s) {
        StrBuf b = {};

        for (size_t i = 0; i < policy_set_n_diagnostics(s); i++) {
                const PolicyDiagnostic *d = policy_set_diagnostic(s, i);
                _cleanup_free_ char *f = NULL;

                ASSERT_EQ(policy_diagnostic_format(d, &f), 0);
                strbuf_append(&b, "%s%s", i ? "\n" : "", d->level == POLICY_DIAGNOSTIC_WARNING ? "W " : "E ");
                append_replacing(&b, f, t->root);
        }
        return strbuf_steal(&b);
}

/* File names in match order, with the directory they came from. */
static char *order(const Tree *t, const PolicySet *s) {
        StrBuf b = {};
        size_t rl = strlen(t->root);

        for (size_t i = 0; i < policy_set_n_files(s); i++)
                strbuf_append(&b, "%s%s", i ? " " : "", policy_file_path(policy_set_file(s, i)) + rl + 1);
        return strbuf_steal(&b);
}

static const char *decides(const PolicySet *s, const DeviceInfo *d) {
        PolicyMatch m = {};
        const char *name;

        if (policy_set_match(s, d, &m) == 0) {
                ASSERT_TRUE(!m.file && !m.reason);
                return "-";
        }
        ASSERT_TRUE(m.reason);
        name = policy_file_name(m.file);
        policy_match_done(&m);
        return name;
}

static void test_ordering_override(void) {
        Tree t;
        tree_new(&t);
        put(&t, 3, "30-c.conf", DEVDAX);
        put(&t, 3, "10-a.conf", "[Match]\nName=dax9*\n" MOVABLE);
        put(&t, 0, "20-b.conf", "[Match]\nName=dax1*\n" MOVABLE);
        put(&t, 1, "10-a.conf", "[Match]\nName=dax0*\n" IGNORE);    /* overrides usr-lib's */
        put(&t, 2, "25-x.conf", "[Match]\nName=dax7.0\n" MOVABLE);
        put(&t, 0, "README", "not a policy file");
        put(&t, 0, ".hidden.conf", "garbage");
        put(&t, 0, "dir.conf/x", "a directory named *.conf is skipped");

        PolicySet *s = load(&t);
        _cleanup_free_ char *o = order(&t, s), *d = diags(&t, s);
        ASSERT_STREQ(o, "run/10-a.conf etc/20-b.conf usr-local-lib/25-x.conf usr-lib/30-c.conf");
        ASSERT_STREQ(d, "");
        ASSERT_STREQ(decides(s, &dax0), "10-a.conf");
        ASSERT_EQ(policy_file_policy(policy_set_file(s, 0))->state, POLICY_STATE_IGNORE);
        ASSERT_STREQ(decides(s, &dax1), "20-b.conf");
        ASSERT_EQ(policy_set_n_rejected(s), 0);
        policy_set_free(s);
        tree_free(&t);
}

static void test_first_match_wins(void) {
        Tree t;
        tree_new(&t);
        put(&t, 0, "10-one.conf", "[Match]\nName=dax0.0\n" IGNORE);
        put(&t, 0, "20-node.conf", "[Match]\nTargetNode=0-1\n" MOVABLE);
        put(&t, 0, "90-rest.conf", DEVDAX);

        PolicySet *s = load(&t);
        PolicyMatch m = {};
        ASSERT_STREQ(decides(s, &dax0), "10-one.conf");
        ASSERT_STREQ(decides(s, &dax1), "20-node.conf");
        ASSERT_EQ(policy_set_match(s, &(DeviceInfo) { .name = "dax5.0", .target_node = 4 }, &m), 1);
        ASSERT_STREQ(policy_file_name(m.file), "90-rest.conf");
        ASSERT_STREQ(m.reason, "empty [Match] matches every device");
        policy_match_done(&m);
        ASSERT_EQ(policy_set_match(s, &dax1, NULL), 1);
        policy_set_free(s);

        /* Without a catch-all file a device may match nothing. */
        put(&t, 0, "90-rest.conf", "");
        s = load(&t);
        ASSERT_STREQ(decides(s, &(DeviceInfo) { .name = "dax5.0", .target_node = 4 }), "-");
        policy_set_free(s);
        tree_free(&t);
}

static void test_masking(void) {
        Tree t;
        tree_new(&t);
        put(&t, 3, "10-vendor.conf", MOVABLE);
        put(&t, 3, "20-vendor.conf", MOVABLE);
        put(&t, 3, "30-vendor.conf", "[Match]\nName=dax1.0\n" MOVABLE);
        put(&t, 0, "10-vendor.conf", "");                          /* empty file masks */
        test_symlink(t.dirs[1], "20-vendor.conf", "/dev/null");     /* /dev/null symlink masks */
        put(&t, 3, "20-vendor.conf.d/10-x.conf", "[Policy]\nRetries=\n"); /* masked with its file */

        PolicySet *s = load(&t);
        _cleanup_free_ char *o = order(&t, s), *d = diags(&t, s);
        ASSERT_STREQ(o, "usr-lib/30-vendor.conf");
        ASSERT_STREQ(d, "");
        ASSERT_STREQ(decides(s, &dax0), "-");
        policy_set_free(s);

        /* A mask in a later directory does not hide an earlier file. */
        put(&t, 0, "40-site.conf", DEVDAX);
        put(&t, 3, "40-site.conf", "");
        s = load(&t);
        ASSERT_STREQ(decides(s, &dax0), "40-site.conf");
        policy_set_free(s);
        tree_free(&t);
}

static void test_dropins(void) {
        Tree t;
        tree_new(&t);
        put(&t, 3, "50-cxl.conf", "[Match]\nName=dax0*\n[Policy]\nState=online_movable\nTimeoutSec=10s\nRetries=1\n");
        put(&t, 3, "50-cxl.conf.d/20-x.conf", "[Policy]\nTimeoutSec=20s\n");
        put(&t, 3, "50-cxl.conf.d/30-y.conf", "[Policy]\nRetries=7\n");
        put(&t, 0, "50-cxl.conf.d/10-z.conf", "[Match]\nName=dax1*\n[Policy]\nRetries=3\nOnDrift=report\n");
        put(&t, 1, "50-cxl.conf.d/30-y.conf", "");   /* masks usr-lib's 30-y.conf */
        put(&t, 0, "50-cxl.conf.d/README", "ignored");

        PolicySet *s = load(&t);
        _cleanup_free_ char *d = diags(&t, s);
        ASSERT_STREQ(d, "");
        ASSERT_EQ(policy_set_n_files(s), 1);
        const PolicyFile *f = policy_set_file(s, 0);
        ASSERT_EQ(policy_file_n_dropins(f), 2);
        ASSERT_TRUE(endswith(policy_file_dropin(f, 0), "etc/50-cxl.conf.d/10-z.conf"));
        ASSERT_TRUE(endswith(policy_file_dropin(f, 1), "usr-lib/50-cxl.conf.d/20-x.conf"));
        ASSERT_TRUE(policy_file_dropin(f, 2) == NULL);
        /* single-value keys: the later drop-in wins; list keys append */
        ASSERT_EQ(policy_file_policy(f)->timeout_usec, 20 * USEC_PER_SEC);
        ASSERT_EQ(policy_file_policy(f)->retries, 3);
        ASSERT_EQ(policy_file_policy(f)->on_drift, POLICY_ON_DRIFT_REPORT);
        ASSERT_STREQ(decides(s, &dax0), "50-cxl.conf");
        ASSERT_STREQ(decides(s, &dax1), "50-cxl.conf");
        policy_set_free(s);

        /* An empty assignment in a drop-in resets the list. */
        put(&t, 0, "50-cxl.conf.d/40-reset.conf", "[Match]\nName=\nName=dax1*\n");
        s = load(&t);
        ASSERT_STREQ(decides(s, &dax0), "-");
        ASSERT_STREQ(decides(s, &dax1), "50-cxl.conf");
        policy_set_free(s);

        /* A drop-in with an error rejects the whole file. */
        put(&t, 2, "50-cxl.conf.d/45-bad.conf", "[Policy]\nRetries=lots\n");
        put(&t, 0, "60-other.conf", DEVDAX);
        s = load(&t);
        _cleanup_free_ char *d2 = diags(&t, s), *o2 = order(&t, s);
        ASSERT_STREQ(d2, "E @/usr-local-lib/50-cxl.conf.d/45-bad.conf:2: Invalid Retries= value 'lots', expected a non-negative integer");
        ASSERT_STREQ(o2, "etc/60-other.conf");
        ASSERT_EQ(policy_set_n_rejected(s), 1);
        ASSERT_EQ(policy_set_n_errors(s), 1);
        policy_set_free(s);

        /* Drop-ins may set State= for a file that lacks it. */
        put(&t, 2, "50-cxl.conf.d/45-bad.conf", "");
        put(&t, 3, "55-nostate.conf", "[Match]\nName=dax1.0\n");
        put(&t, 3, "55-nostate.conf.d/state.conf", "[Policy]\nState=ignore\n");
        s = load(&t);
        ASSERT_EQ(policy_set_n_files(s), 3);
        ASSERT_EQ(policy_set_n_errors(s), 0);
        policy_set_free(s);

        /* Drop-ins without their file. */
        put(&t, 1, "70-gone.conf.d/a.conf", "[Policy]\nRetries=1\n");
        s = load(&t);
        _cleanup_free_ char *d3 = diags(&t, s);
        ASSERT_STREQ(d3, "W @/run/70-gone.conf.d/a.conf: Drop-in for 70-gone.conf, but no such file exists, ignoring");
        policy_set_free(s);
        tree_free(&t);
}

static void test_rejection(void) {
        Tree t;
        tree_new(&t);
        put(&t, 0, "10-bad.conf", "[Match]\nName=dax0.0\n[Policy]\nState=online_movable\nState=devdax\n");
        put(&t, 0, "20-nostate.conf", "[Match]\nName=dax0.0\n");
        put(&t, 0, "30-good.conf", "[Match]\nName=dax0.0\n" DEVDAX);
        put(&t, 3, "40-bad.conf", "[Policy]\nState=devdax\nFrobnicate=yes\n");

        PolicySet *s = load(&t);
        _cleanup_free_ char *d = diags(&t, s), *o = order(&t, s);
        ASSERT_STREQ(d,
                     "E @/etc/10-bad.conf:5: Duplicate State=, already set on line 4\n"
                     "E @/etc/20-nostate.conf: No State= in [Policy]: every policy file must set it\n"
                     "E @/usr-lib/40-bad.conf:3: Unknown key 'Frobnicate' in section [Policy]");
        ASSERT_STREQ(o, "etc/30-good.conf");
        ASSERT_EQ(policy_set_n_rejected(s), 3);
        ASSERT_STREQ(decides(s, &dax0), "30-good.conf");
        policy_set_free(s);
        tree_free(&t);
}

static void test_shadow_warnings(void) {
        Tree t;
        tree_new(&t);
        put(&t, 0, "10-one.conf", "[Match]\nName=dax0.0\n" IGNORE);
        put(&t, 0, "20-same.conf", "[Match]\nName=dax0.0\nProvider=cxl\n" DEVDAX);
        put(&t, 0, "30-all.conf", DEVDAX);
        put(&t, 0, "40-late.conf", "[Match]\nName=dax1.0\n" MOVABLE);

        PolicySet *s = load(&t);
        _cleanup_free_ char *d = diags(&t, s);
        ASSERT_STREQ(d,
                     "W @/etc/20-same.conf: Never matches: earlier file @/etc/10-one.conf matches every device this file matches\n"
                     "W @/etc/40-late.conf: Never matches: earlier file @/etc/30-all.conf has an empty [Match] and decides every device");
        /* warnings are not fatal */
        ASSERT_EQ(policy_set_n_files(s), 4);
        ASSERT_EQ(policy_set_n_errors(s), 0);
        policy_set_free(s);
        tree_free(&t);
}

static void test_no_match_section_warns(void) {
        Tree t;
        tree_new(&t);
        /* no [Match] at all: a warning at the first section, the file still works */
        put(&t, 0, "10-forgot.conf", "# a comment\n\n[Policy]\nState=devdax\n");
        /* an empty [Match], in the file or only in a drop-in, says it on purpose */
        put(&t, 0, "20-all.conf", "[Match]\n[Policy]\nState=ignore\n");
        put(&t, 0, "30-dropin.conf", "[Policy]\nState=ignore\n");
        put(&t, 0, "30-dropin.conf.d/m.conf", "[Match]\nName=dax9.9\n");

        PolicySet *s = load(&t);
        _cleanup_free_ char *d = diags(&t, s);
        ASSERT_STREQ(d,
                     "W @/etc/10-forgot.conf:3: No [Match] section: this file matches every device. Add an empty [Match] section if that is what you mean\n"
                     "W @/etc/20-all.conf: Never matches: earlier file @/etc/10-forgot.conf has an empty [Match] and decides every device\n"
                     "W @/etc/30-dropin.conf: Never matches: earlier file @/etc/10-forgot.conf has an empty [Match] and decides every device");
        ASSERT_EQ(policy_set_n_files(s), 3);
        ASSERT_EQ(policy_set_n_errors(s), 0);
        policy_set_free(s);
        tree_free(&t);
}

static void test_load_paths(void) {
        Tree t;
        tree_new(&t);
        put(&t, 0, "10-a.conf", "[Match]\nName=dax0.0\n" DEVDAX);
        put(&t, 0, "10-a.conf.d/x.conf", "[Policy]\nRetries=2\n");
        put(&t, 3, "10-a.conf", "[Match]\nName=dax1.0\n" DEVDAX);
        put(&t, 3, "20-b.conf", "[Policy]\nState=bogus\n");
        put(&t, 1, "explicit.policy", "[Match]\nName=dax1.0\n" IGNORE);

        _cleanup_free_ char *missing = NULL, *expl = NULL;
        ASSERT_TRUE(asprintf(&missing, "%s/nonexistent.conf", t.root) > 0);
        ASSERT_TRUE(asprintf(&expl, "%s/explicit.policy", t.dirs[1]) > 0);

        char *paths[] = { t.dirs[0], t.dirs[3], expl, missing, NULL };
        PolicySet *s = NULL;
        ASSERT_EQ(policy_set_load_paths(paths, &s), 0);
        _cleanup_free_ char *d = diags(&t, s), *o = order(&t, s);
        ASSERT_STREQ(d,
                     "E @/nonexistent.conf: Failed to open: No such file or directory\n"
                     "E @/usr-lib/20-b.conf:2: Invalid State= value 'bogus', expected online_movable, online_kernel, "
                     "online, unplugged, devdax or ignore");
        ASSERT_STREQ(o, "etc/10-a.conf run/explicit.policy");
        ASSERT_EQ(policy_file_policy(policy_set_file(s, 0))->retries, 2);
        policy_set_free(s);

        /* A missing search directory is fine for load(), not for verify paths. */
        const char *dirs[] = { missing, NULL };
        ASSERT_EQ(policy_set_load(dirs, &s), 0);
        ASSERT_EQ(policy_set_n_diagnostics(s), 0);
        ASSERT_EQ(policy_set_n_files(s), 0);
        policy_set_free(s);
        tree_free(&t);
}

static void test_io_diagnostics(void) {
        Tree t;
        tree_new(&t);
        put(&t, 0, "10-ok.conf", DEVDAX);
        test_symlink(t.dirs[0], "20-dangling.conf", "nonexistent-target");
        /* A file above the 4 MiB limit. */
        _cleanup_free_ char *big = test_write(t.dirs[0], "30-big.conf", "");
        ASSERT_EQ(truncate(big, 5 * 1024 * 1024), 0);
        put(&t, 0, "40-dir.conf.d", "a file, not a drop-in directory: ignored");
        _cleanup_free_ char *fifo = NULL;
        ASSERT_TRUE(asprintf(&fifo, "%s/50-fifo.conf", t.dirs[0]) > 0);
        ASSERT_EQ(mkfifo(fifo, 0600), 0); /* never opened: it would block */

        PolicySet *s = load(&t);
        _cleanup_free_ char *d = diags(&t, s), *o = order(&t, s);
        ASSERT_STREQ(d,
                     "W @/etc/20-dangling.conf: Ignoring file: No such file or directory\n"
                     "E @/etc/30-big.conf: Failed to read file: file too large");
        ASSERT_STREQ(o, "etc/10-ok.conf");
        policy_set_free(s);

        /* Reading a directory as a file. */
        _cleanup_(policy_file_freep) PolicyFile *f = NULL;
        Diagnostics diag = {};
        ASSERT_EQ(policy_file_new(t.dirs[1], &f), 0);
        ASSERT_EQ(policy_file_parse_path(f, t.dirs[1], &diag), 1);
        ASSERT_EQ(diag.n, 1);
        ASSERT_STREQ(diag.items[0].message, "Failed to read file: Is a directory");
        ASSERT_EQ(diag.items[0].line, 0);
        diagnostics_done(&diag);
        tree_free(&t);
}

static void test_default_dirs(void) {
        ASSERT_STREQ(policy_default_dirs[0], "/etc/daxhp.d");
        ASSERT_STREQ(policy_default_dirs[1], "/run/daxhp.d");
        ASSERT_STREQ(policy_default_dirs[2], "/usr/local/lib/daxhp.d");
        ASSERT_STREQ(policy_default_dirs[3], "/usr/lib/daxhp.d");
        ASSERT_TRUE(policy_default_dirs[4] == NULL);
}

int main(void) {
        test_ordering_override();
        test_first_match_wins();
        test_masking();
        test_dropins();
        test_rejection();
        test_shadow_warnings();
        test_no_match_section_warns();
        test_load_paths();
        test_io_diagnostics();
        test_default_dirs();
        TEST_DONE("test-policy-set");
}
