/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents.h"
#include "util.h"

static const char * const kind_table[_AGENT_KIND_MAX] = {
        [AGENT_UDEV_MEMORY] = "udev-memory-online",
        [AGENT_UDEV_DAXCTL] = "udev-daxctl",
        [AGENT_DAXCTL_CONF] = "daxctl-conf",
};

static const char * const remedy_table[_AGENT_KIND_MAX] = {
        [AGENT_UDEV_MEMORY] = "mask the rules file: ln -s /dev/null /etc/udev/rules.d/<name>.rules; "
                              "udevadm control --reload",
        [AGENT_UDEV_DAXCTL] = "mask the rules file: ln -s /dev/null /etc/udev/rules.d/<name>.rules; "
                              "systemctl mask daxdev-reconfigure@.service",
        [AGENT_DAXCTL_CONF] = "remove the [reconfigure-device] entries (or the file) from /etc/daxctl.conf.d",
};

/* udev's order: a file in an earlier directory hides one of the same name in a later one. */
static const char * const rules_dirs[] = {
        "etc/udev/rules.d",
        "run/udev/rules.d",
        "usr/local/lib/udev/rules.d",
        "usr/lib/udev/rules.d",
        "lib/udev/rules.d",
};

#define AGENT_RULE_MAX 8192

const char *agent_kind_to_string(AgentKind k) {
        return k < _AGENT_KIND_MAX ? kind_table[k] : NULL;
}

const char *agent_kind_remedy(AgentKind k) {
        return k < _AGENT_KIND_MAX ? remedy_table[k] : NULL;
}

void agent_list_done(AgentList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->agents[i].path);
        free(l->agents);
        *l = (AgentList) {};
}

static int agent_add(AgentList *l, AgentKind kind, const char *path, unsigned line) {
        Agent *n = realloc(l->agents, sizeof(Agent) * (l->n + 1));

        if (!n)
                return -ENOMEM;
        l->agents = n;
        n[l->n] = (Agent) { .kind = kind, .path = strdup(path), .line = line };
        if (!n[l->n].path)
                return -ENOMEM;
        l->n++;
        return 0;
}

/* ATTR{name}="..." as an assignment (not a == or != match). */
static bool assigns_attr(const char *rule, const char *attr) {
        const char *p = rule;
        size_t n = strlen(attr);

        while ((p = strstr(p, attr))) {
                const char *q = p + n;

                while (*q == ' ')
                        q++;
                if (q[0] == '=' && q[1] != '=')
                        return true;
                p += n;
        }
        return false;
}

int agents_classify_rule(const char *rule) {
        const char *p = rule;

        while (*p == ' ' || *p == '\t')
                p++;
        if (*p == '#' || *p == '\0')
                return -1;
        if (strstr(p, "daxctl") || strstr(p, "daxdev-reconfigure"))
                return AGENT_UDEV_DAXCTL;
        if (!strstr(p, "memory"))
                return -1;
        if (assigns_attr(p, "ATTR{state}") || assigns_attr(p, "ATTR{online}"))
                return AGENT_UDEV_MEMORY;
        /* RUN+="/bin/sh -c 'echo online > /sys$devpath/state'" and the like. */
        if (strstr(p, "RUN") && strstr(p, "online") && (strstr(p, "/state") || strstr(p, "/online")))
                return AGENT_UDEV_MEMORY;
        return -1;
}

/* Empty, or a symlink to /dev/null: udev's way of masking a file. */
static bool is_masked(const char *path) {
        char target[64];
        struct stat st;
        ssize_t n;

        n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = '\0';
                if (streq(target, "/dev/null"))
                        return true;
        }
        return stat(path, &st) < 0 || st.st_size == 0;
}

static int scan_rules_file(const char *path, const char *shown, AgentList *l) {
        _cleanup_free_ char *rule = NULL;
        char buf[1024];
        size_t len = 0;
        unsigned lineno = 0, start = 0;
        int r = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return 0;       /* unreadable: udev cannot read it either */
        rule = malloc(AGENT_RULE_MAX);
        if (!rule) {
                fclose(f);
                return -ENOMEM;
        }
        while (fgets(buf, sizeof(buf), f)) {
                size_t n = strcspn(buf, "\n");
                bool cont;

                lineno++;
                buf[n] = '\0';
                cont = n > 0 && buf[n - 1] == '\\';
                if (cont)
                        buf[--n] = '\0';
                if (len == 0)
                        start = lineno;
                if (len + n < AGENT_RULE_MAX - 1) {
                        memcpy(rule + len, buf, n);
                        len += n;
                }
                rule[len] = '\0';
                if (cont)
                        continue;
                int k = agents_classify_rule(rule);
                len = 0;
                if (k >= 0) {
                        r = agent_add(l, (AgentKind) k, shown, start);
                        if (r < 0)
                                break;
                }
        }
        fclose(f);
        return r;
}

static int scan_conf_file(const char *path, const char *shown, AgentList *l) {
        char buf[1024];
        unsigned lineno = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(buf, sizeof(buf), f)) {
                const char *p = buf;

                lineno++;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p == '#' || *p == ';' || *p == '\n' || *p == '\0')
                        continue;
                fclose(f);
                return agent_add(l, AGENT_DAXCTL_CONF, shown, lineno);
        }
        fclose(f);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Names in dir ending in suffix, sorted. */
static int list_dir(const char *dir, const char *suffix, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d) {
                *ret = NULL;
                return 0;
        }
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && endswith(de->d_name, suffix)) {
                        r = strv_extend(&l, de->d_name);
                        if (r < 0)
                                break;
                }
        closedir(d);
        if (r < 0)
                return r;
        if (l)
                qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

static bool strv_has(char * const *l, const char *s) {
        for (char * const *i = l; i && *i; i++)
                if (streq(*i, s))
                        return true;
        return false;
}

static int scan_rules(const char *host_root, AgentList *l) {
        _cleanup_strv_free_ char **seen = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(rules_dirs); i++) {
                _cleanup_free_ char *dir = strjoin_path(host_root, rules_dirs[i]);
                _cleanup_strv_free_ char **names = NULL;

                if (!dir)
                        return -ENOMEM;
                r = list_dir(dir, ".rules", &names);
                if (r < 0)
                        return r;
                for (char **n = names; n && *n; n++) {
                        _cleanup_free_ char *path = strjoin_path(dir, *n);
                        _cleanup_free_ char *shown = strdup_printf("/%s/%s", rules_dirs[i], *n);

                        if (!path || !shown)
                                return -ENOMEM;
                        if (strv_has(seen, *n))
                                continue;
                        r = strv_extend(&seen, *n);
                        if (r < 0)
                                return r;
                        if (is_masked(path))
                                continue;
                        r = scan_rules_file(path, shown, l);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int agents_scan(const char *host_root, AgentList *ret) {
        _cleanup_free_ char *conf = strjoin_path(host_root, "etc/daxctl.conf.d");
        _cleanup_strv_free_ char **names = NULL;
        AgentList l = {};
        int r;

        if (!conf)
                return -ENOMEM;
        r = scan_rules(host_root, &l);
        if (r >= 0)
                r = list_dir(conf, ".conf", &names);
        for (char **n = names; r >= 0 && n && *n; n++) {
                _cleanup_free_ char *path = strjoin_path(conf, *n);
                _cleanup_free_ char *shown = strdup_printf("/etc/daxctl.conf.d/%s", *n);

                r = path && shown ? scan_conf_file(path, shown, &l) : -ENOMEM;
        }
        if (r < 0) {
                agent_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}
