/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * dbus/org.daxhp1.xml must say exactly what the vtables serve. The daemon's
 * objects are served over a socketpair by a forked child (no bus daemon
 * needed), introspected from this side, and both documents are reduced to
 * the org.daxhp1.* interfaces as a list of canonical tags (attributes
 * sorted, comments and whitespace dropped) and compared.
 */

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "fake-sysfs.h"
#include "manager.h"

typedef struct Tags {
        char **tag;
        size_t n;
} Tags;

static int cmp_attr(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* "<arg type="s" name="x"/>" → "arg name="x" type="s" /" */
static char *canonical_tag(const char *start, size_t len) {
        char *t = strndup(start, len), *attrs[16], *p, *name, *out;
        size_t n = 0, size = len + 8;
        bool self_closing;

        CHECK(t);
        self_closing = len > 0 && t[len - 1] == '/';
        if (self_closing)
                t[len - 1] = '\0';
        name = strtok_r(t, " \t\n", &p);
        CHECK(name);
        for (char *a; (a = strtok_r(NULL, " \t\n", &p)); ) {
                CHECK(n < ELEMENTSOF(attrs));
                attrs[n++] = a;
        }
        qsort(attrs, n, sizeof(char *), cmp_attr);
        out = calloc(1, size);
        CHECK(out);
        strcat(out, name);
        for (size_t i = 0; i < n; i++) {
                strcat(out, " ");
                strcat(out, attrs[i]);
        }
        if (self_closing)
                strcat(out, " /");
        free(t);
        return out;
}

/* Tags inside <interface name="org.daxhp1.*"> ... </interface>, in order. */
static void collect(const char *xml, Tags *out) {
        bool inside = false;

        for (const char *s = xml; (s = strchr(s, '<')); ) {
                const char *e;
                char *c;

                if (strncmp(s, "<!--", 4) == 0) {
                        e = strstr(s, "-->");
                        CHECK(e);
                        s = e + 3;
                        continue;
                }
                e = strchr(s, '>');
                CHECK(e);
                c = canonical_tag(s + 1, (size_t) (e - s - 1));
                s = e + 1;

                if (strncmp(c, "interface ", 10) == 0 && strstr(c, "name=\"org.daxhp1."))
                        inside = true;
                if (!inside) {
                        free(c);
                        continue;
                }
                out->tag = realloc(out->tag, sizeof(char *) * (out->n + 1));
                CHECK(out->tag);
                out->tag[out->n++] = c;
                if (streq(c, "/interface"))
                        inside = false;
        }
}

static void tags_free(Tags *t) {
        for (size_t i = 0; i < t->n; i++)
                free(t->tag[i]);
        free(t->tag);
}

_noreturn_ static void serve(int fd, const char *root) {
        sd_event *e = NULL;
        Manager *m = NULL;
        sd_id128_t id;

        CHECK(sd_event_new(&e) >= 0);
        CHECK(manager_new(e, &(ManagerConfig) { .sysfs_root = root, .state_dir = root }, &m) >= 0);
        CHECK(sd_bus_new(&m->bus) >= 0);
        CHECK(sd_bus_set_fd(m->bus, fd, fd) >= 0);
        CHECK(sd_id128_randomize(&id) >= 0);
        CHECK(sd_bus_set_server(m->bus, true, id) >= 0);
        CHECK(sd_bus_start(m->bus) >= 0);
        CHECK(manager_bus_register(m) >= 0);
        CHECK(manager_add_device(m, "dax0.0", NULL) >= 0);

        /* Serve until the test side hangs up. */
        for (;;) {
                int r = sd_bus_process(m->bus, NULL);

                if (r < 0)
                        break;
                if (r == 0 && sd_bus_wait(m->bus, UINT64_MAX) < 0)
                        break;
        }
        manager_free(m);
        sd_event_unref(e);
        _exit(EXIT_SUCCESS);
}

static char *introspect(sd_bus *bus, const char *path) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *xml;
        char *copy;

        if (sd_bus_call_method(bus, NULL, path, "org.freedesktop.DBus.Introspectable", "Introspect",
                               &error, &reply, NULL) < 0) {
                fprintf(stderr, "Introspect %s: %s\n", path, error.message);
                CHECK(false);
        }
        CHECK(sd_bus_message_read(reply, "s", &xml) >= 0);
        copy = strdup(xml);
        sd_bus_message_unref(reply);
        return copy;
}

static char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;

        CHECK(f);
        CHECK(getdelim(&buf, &size, '\0', f) > 0);
        fclose(f);
        return buf;
}

int main(int argc, char *argv[]) {
        char root[] = "/tmp/test-introspect-XXXXXX", cmd[128];
        char *served, *served_dev, *shipped;
        Tags want = {}, have = {};
        sd_bus *bus = NULL;
        int fds[2], status;
        pid_t pid;

        CHECK(argc == 2);
        CHECK(mkdtemp(root));
        fake_tree(root, "hotplug", "online_movable", "online", "Movable");
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                serve(fds[1], root);
        }
        close(fds[1]);

        CHECK(sd_bus_new(&bus) >= 0);
        CHECK(sd_bus_set_fd(bus, fds[0], fds[0]) >= 0);
        CHECK(sd_bus_start(bus) >= 0);
        served = introspect(bus, "/org/daxhp1");
        served_dev = introspect(bus, "/org/daxhp1/device/dax0_2e0");
        sd_bus_flush_close_unref(bus);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        shipped = read_file(argv[1]);
        collect(shipped, &want);
        collect(served, &have);
        collect(served_dev, &have);

        for (size_t i = 0; i < want.n || i < have.n; i++)
                if (i >= want.n || i >= have.n || !streq(want.tag[i], have.tag[i])) {
                        fprintf(stderr, "org.daxhp1.xml and the vtables differ at tag %zu:\n  xml:    <%s>\n  served: <%s>\n",
                                i, i < want.n ? want.tag[i] : "(end)", i < have.n ? have.tag[i] : "(end)");
                        CHECK(false);
                }
        CHECK(want.n > 40);

        tags_free(&want);
        tags_free(&have);
        free(served);
        free(served_dev);
        free(shipped);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
        TESTS_DONE("test-introspect");
}
