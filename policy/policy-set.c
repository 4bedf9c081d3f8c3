/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Loading a set of policy files: search directories in priority order,
 * ordering by file name across them, same-name overrides, masking (empty
 * file or symlink to /dev/null), NAME.conf.d/ drop-ins, whole-file
 * rejection, and shadowing warnings. Matching over the set is first-match.
 */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "policy-internal.h"

const char * const policy_default_dirs[] = {
        "/etc/daxhp.d",
        "/run/daxhp.d",
        "/usr/local/lib/daxhp.d",
        "/usr/lib/daxhp.d",
        NULL,
};

struct PolicySet {
        PolicyFile **files;
        size_t n_files;
        Diagnostics diag;
        size_t n_rejected;
};

typedef struct Candidate {
        char *name;             /* the main file's name: "50-cxl.conf" */
        char *dropin;           /* drop-in file name, NULL for the main file */
        char *path;
        unsigned prio;          /* index of the source; lower wins */
        bool masked;
} Candidate;

typedef struct Loader {
        PolicySet *set;
        Candidate *cands;
        size_t n_cands, allocated;
} Loader;

static void loader_done(Loader *l) {
        for (size_t i = 0; i < l->n_cands; i++) {
                free(l->cands[i].name);
                free(l->cands[i].dropin);
                free(l->cands[i].path);
        }
        free(l->cands);
}

static bool stat_is_masked(const struct stat *st) {
        return (S_ISREG(st->st_mode) && st->st_size == 0) ||
               (S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3));
}

static int add_candidate(Loader *l, const char *name, const char *dropin, const char *path,
                         unsigned prio, bool masked) {
        Candidate c = { .prio = prio, .masked = masked };

        if (l->n_cands >= l->allocated) {
                size_t na = l->allocated ? l->allocated * 2 : 64;
                Candidate *t = realloc(l->cands, na * sizeof(*t));
                if (!t)
                        return -ENOMEM;
                l->cands = t;
                l->allocated = na;
        }

        c.name = strdup(name);
        c.dropin = dropin ? strdup(dropin) : NULL;
        c.path = strdup(path);
        if (!c.name || !c.path || (dropin && !c.dropin)) {
                free(c.name);
                free(c.dropin);
                free(c.path);
                return -ENOMEM;
        }
        l->cands[l->n_cands++] = c;
        return 0;
}

static int warn_errno(Loader *l, PolicyDiagnosticLevel level, const char *path, const char *what, int error) {
        return diagnostics_add(&l->set->diag, level, path, 0, "%s: %s", what, strerror(error));
}

/* Regular files (or masks) named *.conf inside dir; for drop-in directories,
 * main_name is the file they belong to. */
static int scan_dir(Loader *l, const char *dir, unsigned prio, const char *main_name, bool report_missing) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT && !report_missing)
                        return 0;
                return warn_errno(l, POLICY_DIAGNOSTIC_ERROR, dir, "Failed to open directory", errno);
        }

        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;

                bool conf = endswith(de->d_name, ".conf");
                bool confd = !main_name && endswith(de->d_name, ".conf.d");
                if (!conf && !confd)
                        continue;

                path = strdup_printf("%s/%s", dir, de->d_name);
                if (!path) {
                        r = -ENOMEM;
                        break;
                }

                /* Regular files need no stat(): an empty one (a mask) is
                 * recognized when it is read, and only winners are read. */
                if (conf && de->d_type == DT_REG) {
                        r = add_candidate(l, main_name ?: de->d_name, main_name ? de->d_name : NULL, path, prio, false);
                        if (r < 0)
                                break;
                        continue;
                }

                if (stat(path, &st) < 0) {
                        r = warn_errno(l, POLICY_DIAGNOSTIC_WARNING, path, "Ignoring file", errno);
                        if (r < 0)
                                break;
                        continue;
                }

                if (confd) {
                        if (!S_ISDIR(st.st_mode))
                                continue;
                        _cleanup_free_ char *owner = strndup(de->d_name, strlen(de->d_name) - 2);
                        if (!owner) {
                                r = -ENOMEM;
                                break;
                        }
                        r = scan_dir(l, path, prio, owner, false);
                } else {
                        /* Only regular files and /dev/null masks; no FIFOs or devices. */
                        if (!S_ISREG(st.st_mode) && !stat_is_masked(&st))
                                continue;
                        r = add_candidate(l, main_name ?: de->d_name, main_name ? de->d_name : NULL, path, prio,
                                          stat_is_masked(&st));
                }
                if (r < 0)
                        break;
        }

        closedir(d);
        return r;
}

static int scan_path(Loader *l, const char *path, unsigned prio) {
        _cleanup_free_ char *dropin_dir = NULL;
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return warn_errno(l, POLICY_DIAGNOSTIC_ERROR, path, "Failed to open", errno);
        if (S_ISDIR(st.st_mode))
                return scan_dir(l, path, prio, NULL, true);

        r = add_candidate(l, path_basename(path), NULL, path, prio, stat_is_masked(&st));
        if (r < 0)
                return r;

        dropin_dir = strdup_printf("%s.d", path);
        if (!dropin_dir)
                return -ENOMEM;
        return scan_dir(l, dropin_dir, prio, path_basename(path), false);
}

static int candidate_cmp(const void *a, const void *b) {
        const Candidate *x = a, *y = b;
        int r;

        r = strcmp(x->name, y->name);
        if (r != 0)
                return r;
        /* The main file sorts before its drop-ins. */
        if (!x->dropin != !y->dropin)
                return x->dropin ? 1 : -1;
        if (x->dropin) {
                r = strcmp(x->dropin, y->dropin);
                if (r != 0)
                        return r;
        }
        return x->prio < y->prio ? -1 : x->prio > y->prio;
}

static int set_append(PolicySet *set, PolicyFile *f) {
        PolicyFile **t = realloc(set->files, (set->n_files + 1) * sizeof(*t));

        if (!t)
                return -ENOMEM;
        set->files = t;
        set->files[set->n_files++] = f;
        return 0;
}

static int check_shadowed(PolicySet *set, const PolicyFile *f) {
        for (size_t i = 0; i < set->n_files; i++) {
                const PolicyFile *e = set->files[i];

                if (!policy_file_shadows(e, f))
                        continue;
                if (policy_file_matches_all_internal(e))
                        return diagnostics_add(&set->diag, POLICY_DIAGNOSTIC_WARNING, f->path, 0,
                                               "Never matches: earlier file %s has an empty [Match] and decides every device",
                                               e->path);
                return diagnostics_add(&set->diag, POLICY_DIAGNOSTIC_WARNING, f->path, 0,
                                       "Never matches: earlier file %s matches every device this file matches",
                                       e->path);
        }
        return 0;
}

/* Parses a main file and its drop-ins; accepted only without any error. */
static int load_unit(PolicySet *set, const Candidate *main, const Candidate *dropins, size_t n_dropins) {
        _cleanup_(policy_file_freep) PolicyFile *f = NULL;
        bool empty;
        int r, errors = 0;

        r = policy_file_new(main->path, &f);
        if (r < 0)
                return r;

        r = policy_file_parse_path_full(f, main->path, &set->diag, &empty);
        if (r < 0)
                return r;
        if (empty)
                return 0; /* masked */
        errors += r;

        for (size_t i = 0; i < n_dropins; i++) {
                if (dropins[i].masked)
                        continue;
                r = policy_file_parse_path_full(f, dropins[i].path, &set->diag, &empty);
                if (r < 0)
                        return r;
                errors += r;
                if (empty)
                        continue; /* masked drop-in */
                r = strv_extend(&f->dropins, dropins[i].path);
                if (r < 0)
                        return r;
        }

        if (errors == 0) {
                r = policy_file_verify(f, &set->diag);
                if (r < 0)
                        return r;
                errors += r;
        }

        if (errors > 0) {
                set->n_rejected++;
                return 0;
        }

        /* As networkd: a forgotten [Match] must not silently take every device. */
        if (!f->has_match_section) {
                r = diagnostics_add(&set->diag, POLICY_DIAGNOSTIC_WARNING, f->path, f->first_section_line,
                                    "No [Match] section: this file matches every device. Add an empty "
                                    "[Match] section if that is what you mean");
                if (r < 0)
                        return r;
        }
        r = check_shadowed(set, f);
        if (r < 0)
                return r;
        r = set_append(set, f);
        if (r < 0)
                return r;
        TAKE_PTR(f);
        return 0;
}

static int loader_finish(Loader *l) {
        Candidate *c = l->cands;
        size_t n = 0;
        int r;

        if (l->n_cands > 1)
                qsort(l->cands, l->n_cands, sizeof(Candidate), candidate_cmp);

        /* Keep the first (highest priority) candidate of each name/drop-in pair. */
        for (size_t i = 0; i < l->n_cands; i++) {
                if (n > 0 && streq(c[n - 1].name, c[i].name) && !c[n - 1].dropin == !c[i].dropin &&
                    (!c[i].dropin || streq(c[n - 1].dropin, c[i].dropin))) {
                        free(c[i].name);
                        free(c[i].dropin);
                        free(c[i].path);
                        continue;
                }
                c[n++] = c[i];
        }
        l->n_cands = n;

        for (size_t i = 0; i < n;) {
                size_t j = i + 1;

                while (j < n && streq(c[j].name, c[i].name))
                        j++;

                if (c[i].dropin) {
                        /* Drop-ins without their file: nothing to merge into. */
                        for (size_t k = i; k < j; k++) {
                                r = diagnostics_add(&l->set->diag, POLICY_DIAGNOSTIC_WARNING, c[k].path, 0,
                                                    "Drop-in for %s, but no such file exists, ignoring", c[k].name);
                                if (r < 0)
                                        return r;
                        }
                } else if (!c[i].masked) {
                        r = load_unit(l->set, c + i, c + i + 1, j - i - 1);
                        if (r < 0)
                                return r;
                }
                i = j;
        }
        return 0;
}

static int policy_set_new(PolicySet **ret) {
        *ret = calloc(1, sizeof(PolicySet));
        return *ret ? 0 : -ENOMEM;
}

static int load_sources(const char * const *sources, bool as_paths, PolicySet **ret) {
        _cleanup_(policy_set_freep) PolicySet *set = NULL;
        Loader l = {};
        int r;

        r = policy_set_new(&set);
        if (r < 0)
                return r;
        l.set = set;

        for (unsigned i = 0; sources && sources[i]; i++) {
                r = as_paths ? scan_path(&l, sources[i], i) : scan_dir(&l, sources[i], i, NULL, false);
                if (r < 0)
                        goto finish;
        }
        r = loader_finish(&l);

finish:
        loader_done(&l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(set);
        return 0;
}

int policy_set_load(const char * const *dirs, PolicySet **ret) {
        return load_sources(dirs ?: policy_default_dirs, false, ret);
}

int policy_set_load_paths(char * const *paths, PolicySet **ret) {
        return load_sources((const char * const *) paths, true, ret);
}

PolicySet *policy_set_free(PolicySet *set) {
        if (!set)
                return NULL;
        for (size_t i = 0; i < set->n_files; i++)
                policy_file_free(set->files[i]);
        free(set->files);
        diagnostics_done(&set->diag);
        free(set);
        return NULL;
}

size_t policy_set_n_files(const PolicySet *set) {
        return set->n_files;
}

const PolicyFile *policy_set_file(const PolicySet *set, size_t i) {
        return i < set->n_files ? set->files[i] : NULL;
}

size_t policy_set_n_diagnostics(const PolicySet *set) {
        return set->diag.n;
}

const PolicyDiagnostic *policy_set_diagnostic(const PolicySet *set, size_t i) {
        return i < set->diag.n ? set->diag.items + i : NULL;
}

size_t policy_set_n_rejected(const PolicySet *set) {
        return set->n_rejected;
}

size_t policy_set_n_errors(const PolicySet *set) {
        return set->diag.n_errors;
}

int policy_set_match(const PolicySet *set, const DeviceInfo *dev, PolicyMatch *ret) {
        for (size_t i = 0; i < set->n_files; i++) {
                _cleanup_free_ char *reason = NULL;
                int r;

                /* Cheap test first; the reason is only built for the file that decides. */
                if (policy_file_test(set->files[i], dev, NULL) <= 0)
                        continue;
                if (ret) {
                        r = policy_file_test(set->files[i], dev, &reason);
                        if (r < 0)
                                return r;
                        *ret = (PolicyMatch) { .file = set->files[i], .reason = TAKE_PTR(reason) };
                }
                return 1;
        }
        if (ret)
                *ret = (PolicyMatch) {};
        return 0;
}

void policy_match_done(PolicyMatch *m) {
        if (!m)
                return;
        free(m->reason);
        *m = (PolicyMatch) {};
}
