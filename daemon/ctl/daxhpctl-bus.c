/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daxhpctl-bus.h"
#include "daxhpctl-output.h"
#include "daxhpctl-safety.h"
#include "macro.h"


/* A device transition may take as long as the kernel needs: never time out. */
#define CALL_FOREVER UINT64_MAX

static void strv_free_all(char **l) {
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
}

void device_props_done(DeviceProps *p) {
        free(p->path);
        free(p->name);
        free(p->sysfs_path);
        free(p->region);
        free(p->provider);
        free(p->mode);
        free(p->state);
        free(p->desired_state);
        free(p->policy_file);
        free(p->transition);
        free(p->last_error);
        free(p->memmap_on_memory);
        free(p->cxl_region);
        free(p->cxl_root_decoder);
        strv_free_all(p->cxl_memdevs);
        strv_free_all(p->cxl_serials);
        strv_free_all(p->cxl_host_bridges);
        *p = (DeviceProps) { .target_node = -1, .memory_tier = -1 };
}

/* An "as" property into *dst (replacing what was there). */
static int read_strv_variant(sd_bus_message *m, char ***dst) {
        char **l = NULL;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_read_strv(m, &l);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                strv_free_all(l);
                return r;
        }
        strv_free_all(*dst);
        *dst = l;
        return 0;
}

static int read_string_variant(sd_bus_message *m, char **dst) {
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        char *c = strdup(s);
        if (!c)
                return -ENOMEM;
        free(*dst);
        *dst = c;
        return 0;
}

int device_props_read(sd_bus_message *m, DeviceProps *p) {
        static const struct {
                const char *name;
                size_t offset;
        } strings[] = {
                { "Name",         offsetof(DeviceProps, name)          },
                { "SysfsPath",    offsetof(DeviceProps, sysfs_path)    },
                { "Region",       offsetof(DeviceProps, region)        },
                { "Provider",     offsetof(DeviceProps, provider)      },
                { "Mode",         offsetof(DeviceProps, mode)          },
                { "State",        offsetof(DeviceProps, state)         },
                { "DesiredState", offsetof(DeviceProps, desired_state) },
                { "PolicyFile",   offsetof(DeviceProps, policy_file)   },
                { "Transition",   offsetof(DeviceProps, transition)    },
                { "LastError",    offsetof(DeviceProps, last_error)    },
                { "MemmapOnMemory", offsetof(DeviceProps, memmap_on_memory) },
                { "CxlRegion",    offsetof(DeviceProps, cxl_region)    },
                { "CxlRootDecoder", offsetof(DeviceProps, cxl_root_decoder) },
        };
        static const struct {
                const char *name;
                size_t offset;
        } strvs[] = {
                { "CxlMemdevs",     offsetof(DeviceProps, cxl_memdevs)      },
                { "CxlSerials",     offsetof(DeviceProps, cxl_serials)      },
                { "CxlHostBridges", offsetof(DeviceProps, cxl_host_bridges) },
        };
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;
                bool done = false;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                        if (streq(key, strings[i].name)) {
                                r = read_string_variant(m, (char **) ((uint8_t *) p + strings[i].offset));
                                if (r < 0)
                                        return r;
                                done = true;
                        }
                for (size_t i = 0; i < ELEMENTSOF(strvs) && !done; i++)
                        if (streq(key, strvs[i].name)) {
                                r = read_strv_variant(m, (char ***) ((uint8_t *) p + strvs[i].offset));
                                if (r < 0)
                                        return r;
                                done = true;
                        }
                if (!done) {
                        if (streq(key, "Size"))
                                r = sd_bus_message_read(m, "v", "t", &p->size);
                        else if (streq(key, "TargetNode"))
                                r = sd_bus_message_read(m, "v", "i", &p->target_node);
                        else if (streq(key, "LastChangeUSec"))
                                r = sd_bus_message_read(m, "v", "t", &p->last_change_usec);
                        else if (streq(key, "Blocks"))
                                r = sd_bus_message_read(m, "v", "u", &p->blocks);
                        else if (streq(key, "OnlineBlocks"))
                                r = sd_bus_message_read(m, "v", "u", &p->online_blocks);
                        else if (streq(key, "MemoryTier"))
                                r = sd_bus_message_read(m, "v", "i", &p->memory_tier);
                        else if (streq(key, "PagesInUse"))
                                r = sd_bus_message_read(m, "v", "t", &p->pages_in_use);
                        else
                                r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static void props_to_json(JsonWriter *w, const DeviceProps *p) {
        json_object_open(w);
        json_key(w, "Name");           json_string(w, p->name);
        json_key(w, "Path");           json_string(w, p->path);
        json_key(w, "SysfsPath");      json_string(w, p->sysfs_path);
        json_key(w, "Size");           json_u64(w, p->size);
        json_key(w, "TargetNode");     json_i64(w, p->target_node);
        json_key(w, "Region");         json_string(w, p->region);
        json_key(w, "Provider");       json_string(w, p->provider);
        json_key(w, "Mode");           json_string(w, p->mode);
        json_key(w, "State");          json_string(w, p->state);
        json_key(w, "DesiredState");   json_string(w, p->desired_state);
        json_key(w, "PolicyFile");     json_string(w, p->policy_file);
        json_key(w, "Transition");     json_string(w, p->transition);
        json_key(w, "LastError");      json_string(w, p->last_error);
        json_key(w, "LastChangeUSec"); json_u64(w, p->last_change_usec);
        json_key(w, "Blocks");         json_u64(w, p->blocks);
        json_key(w, "OnlineBlocks");   json_u64(w, p->online_blocks);
        json_key(w, "MemmapOnMemory"); json_string(w, p->memmap_on_memory);
        json_key(w, "MemoryTier");     json_i64(w, p->memory_tier);
        json_key(w, "PagesInUse");     json_u64(w, p->pages_in_use);
        json_key(w, "CxlRegion");      json_string(w, p->cxl_region);
        json_key(w, "CxlRootDecoder"); json_string(w, p->cxl_root_decoder);
        json_key(w, "CxlMemdevs");     json_strv(w, p->cxl_memdevs);
        json_key(w, "CxlSerials");     json_strv(w, p->cxl_serials);
        json_key(w, "CxlHostBridges"); json_strv(w, p->cxl_host_bridges);
        json_object_close(w);
}

void device_props_json(const DeviceProps *p, bool newline) {
        JsonWriter w;

        json_begin(&w, stdout);
        props_to_json(&w, p);
        if (newline)
                json_end(&w);
}

int bus_connect(sd_bus **ret) {
        int r = sd_bus_open_system(ret);

        if (r < 0) {
                fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
                return -r;
        }
        /* As busctl and systemctl: at a terminal, polkit may ask for a password
         * (through the session's agent); in scripts it answers at once. */
        (void) sd_bus_set_allow_interactive_authorization(*ret, isatty(STDIN_FILENO));
        return 0;
}

/* NameHasOwner only: a client must not start the daemon by looking. */
int bus_open_daemon(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int has = 0, r;

        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner", NULL, &reply,
                                       "s", DAXHP_BUS_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !has)
                return 0;
        *ret = TAKE_PTR(bus);
        return 1;
}

int bus_fail(const char *what, const sd_bus_error *e, int r) {
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_SERVICE_UNKNOWN))
                fprintf(stderr, "Failed to %s: daxhpd is not running (start it with: systemctl start daxhpd).\n", what);
        else if (sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED, "org.daxhp1.Error.AccessDenied"))
                /* One line: the bus's text is a dump of its policy rules; the
                 * daemon's names the uid and why polkit said no (journal, --debug). */
                fprintf(stderr, "Failed to %s: access denied, managing dax memory requires authorization "
                        "(" DAXHP_POLKIT_ACTION ").\n", what);
        else if (e && sd_bus_error_is_set(e))
                fprintf(stderr, "Failed to %s: %s: %s\n", what, e->name, strempty(e->message));
        else
                fprintf(stderr, "Failed to %s: %s\n", what, strerror(r < 0 ? -r : r));
        return 1;
}

/* daxhpctl never bus-activates a stopped daemon: a client that looks must not
 * start it, and one that changes state must not start a daemon the admin
 * stopped (the bus answers NameHasNoOwner/ServiceUnknown, see bus_fail()). */
int bus_call_look(sd_bus *bus, const char *path, const char *interface, const char *member,
                  sd_bus_error *error, sd_bus_message **reply, const char *arg) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DAXHP_BUS_NAME, path, interface, member);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, false);
        if (r >= 0 && arg)
                r = sd_bus_message_append(m, "s", arg);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 0, error, reply);
}

void device_list_done(DeviceList *l) {
        for (size_t i = 0; i < l->n; i++)
                device_props_done(&l->items[i]);
        free(l->items);
        *l = (DeviceList) {};
}

static int cmp_devices(const void *a, const void *b) {
        const DeviceProps *x = a, *y = b;
        return strverscmp(strempty(x->name), strempty(y->name));
}

/* All devices in one GetManagedObjects() call, sorted by name. */
int fetch_devices(sd_bus *bus, DeviceList *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        DeviceList l = {};
        int r;

        r = bus_call_look(bus, DAXHP_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                          "GetManagedObjects", error, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                goto fail;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;

                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        goto fail;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                if (r < 0)
                        goto fail;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;

                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r < 0)
                                goto fail;
                        if (streq(iface, DAXHP_DEVICE_INTERFACE)) {
                                DeviceProps *n = realloc(l.items, sizeof(DeviceProps) * (l.n + 1));
                                if (!n) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                l.items = n;
                                l.items[l.n] = (DeviceProps) { .target_node = -1, .path = strdup(path) };
                                l.n++;
                                if (!l.items[l.n - 1].path) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                r = device_props_read(reply, &l.items[l.n - 1]);
                        } else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0)
                                goto fail;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto fail;
                }
                if (r < 0)
                        goto fail;
                r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto fail;
        }
        if (r < 0)
                goto fail;
        /* No devices: no array to sort (qsort must not get NULL). */
        if (l.n > 0)
                qsort(l.items, l.n, sizeof(DeviceProps), cmp_devices);
        *ret = l;
        return 0;
fail:
        device_list_done(&l);
        return r;
}

int device_path(sd_bus *bus, const char *name, char **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = bus_call_look(bus, DAXHP_MANAGER_PATH, DAXHP_MANAGER_INTERFACE, "GetDevice",
                          error, &reply, name);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}

int fetch_device(sd_bus *bus, const char *name, DeviceProps *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        DeviceProps p = { .target_node = -1 };
        int r;

        r = device_path(bus, name, &p.path, error);
        if (r < 0)
                return r;
        r = bus_call_look(bus, p.path, "org.freedesktop.DBus.Properties", "GetAll",
                          error, &reply, DAXHP_DEVICE_INTERFACE);
        if (r >= 0)
                r = device_props_read(reply, &p);
        if (r < 0) {
                device_props_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

static const char *or_dash(const char *s) {
        return isempty(s) ? "-" : s;
}

/* No pattern: every device; else those whose name matches one glob. */
static bool name_matches(const char *name, char **patterns, int n) {
        if (n == 0)
                return true;
        for (int i = 0; i < n; i++)
                if (fnmatch(patterns[i], strempty(name), 0) == 0)
                        return true;
        return false;
}

int verb_list(int argc, char *argv[], bool json) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        DeviceList l = {};
        size_t shown = 0;
        int r;

        for (int i = 1; i < argc; i++)
                if (argv[i][0] == '-') {
                        fprintf(stderr, "list: unknown option '%s'.\n", argv[i]);
                        return 2;
                }
        r = bus_connect(&bus);
        if (r)
                return 1;
        r = fetch_devices(bus, &l, &error);
        if (r < 0) {
                r = bus_fail("list devices", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        if (json) {
                JsonWriter w;

                json_begin(&w, stdout);
                json_array_open(&w);
                for (size_t i = 0; i < l.n; i++)
                        if (name_matches(l.items[i].name, argv + 1, argc - 1))
                                props_to_json(&w, &l.items[i]);
                json_array_close(&w);
                json_end(&w);
        } else {
                if (arg_legend)
                        printf("%-10s %8s %5s %-8s %-11s %-15s %-7s %-15s %-8s %s\n", "DEVICE", "SIZE", "NODE",
                               "PROVIDER", "MODE", "STATE", "BLOCKS", "DESIRED", "JOB", "POLICY");
                for (size_t i = 0; i < l.n; i++) {
                        const DeviceProps *p = &l.items[i];
                        char sz[32], blocks[32];

                        if (!name_matches(p->name, argv + 1, argc - 1))
                                continue;
                        shown++;
                        /* online/total: a device half offlined by someone else shows as such */
                        snprintf(blocks, sizeof blocks, "%" PRIu32 "/%" PRIu32, p->online_blocks, p->blocks);
                        printf("%-10s %8s %5" PRIi32 " %-8s %-11s %-15s %-7s %-15s %-8s %s\n",
                               or_dash(p->name), format_bytes(sz, sizeof sz, p->size), p->target_node,
                               or_dash(p->provider), or_dash(p->mode), or_dash(p->state), blocks,
                               or_dash(p->desired_state), or_dash(p->transition), or_dash(p->policy_file));
                }
                if (arg_legend)
                        printf("\n%zu device%s listed.\n", shown, shown == 1 ? "" : "s");
        }
        device_list_done(&l);
        return 0;
}

static const char *strv_at(char * const *l, size_t i) {
        for (size_t k = 0; l && l[k]; k++)
                if (k == i)
                        return l[k];
        return "-";
}

/* The region and root decoder, then one line per target in interleave
 * order: what the hardware says, for addressing memory by it. */
static void print_cxl(const DeviceProps *p) {
        if (isempty(p->cxl_region)) {
                printf("         Cxl: -\n");
                return;
        }
        printf("         Cxl: %s, root decoder %s\n", p->cxl_region, or_dash(p->cxl_root_decoder));
        for (size_t i = 0; p->cxl_memdevs && p->cxl_memdevs[i]; i++)
                printf("              %s serial %s, host bridge %s\n", p->cxl_memdevs[i],
                       strv_at(p->cxl_serials, i), strv_at(p->cxl_host_bridges, i));
}

static void print_status(const DeviceProps *p) {
        char sz[32];

        printf("%s\n", or_dash(p->name));
        printf("      Object: %s\n", or_dash(p->path));
        printf("   SysfsPath: %s\n", or_dash(p->sysfs_path));
        printf("        Size: %s (%" PRIu64 " bytes)\n", format_bytes(sz, sizeof sz, p->size), p->size);
        printf("  TargetNode: %" PRIi32 "\n", p->target_node);
        printf("      Region: %s\n", or_dash(p->region));
        printf("    Provider: %s\n", or_dash(p->provider));
        print_cxl(p);
        printf("        Mode: %s\n", or_dash(p->mode));
        printf("       State: %s\n", or_dash(p->state));
        printf("      Blocks: %" PRIu32 " of %" PRIu32 " online\n", p->online_blocks, p->blocks);
        printf("DesiredState: %s\n", or_dash(p->desired_state));
        printf("  PolicyFile: %s\n", or_dash(p->policy_file));
        printf("  Transition: %s\n", or_dash(p->transition));
        printf("   LastError: %s\n", or_dash(p->last_error));
        printf("  PagesInUse: %" PRIu64 "\n", p->pages_in_use);
        printf("  MemoryTier: %s", p->memory_tier < 0 ? "-\n" : "");
        if (p->memory_tier >= 0)
                printf("%" PRIi32 "\n", p->memory_tier);
        printf("MemmapOnMem.: %s\n", or_dash(p->memmap_on_memory));
        if (p->last_change_usec > 0) {
                time_t t = (time_t) (p->last_change_usec / 1000000);
                struct tm tm;
                char buf[64];

                /* CLOCK_REALTIME microseconds, as the property documents. */
                if (localtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm) > 0)
                        printf("  LastChange: %s\n", buf);
        } else
                printf("  LastChange: -\n");
}

typedef struct ManagerProps {
        char *version;
        char *interface;
        int atomic; /* -1: not reported */
        uint32_t queue;
        char **files;
        size_t n_files;
        FileNotes errors; /* file, line, message */
        SafetyProps safety;
} ManagerProps;

static void manager_props_done(ManagerProps *p) {
        free(p->version);
        free(p->interface);
        for (size_t i = 0; i < p->n_files; i++)
                free(p->files[i]);
        free(p->files);
        file_notes_done(&p->errors);
        safety_props_done(&p->safety);
        *p = (ManagerProps) { .atomic = -1 };
}

static int dup_into(char **dst, const char *s) {
        free(*dst);
        *dst = strdup(s);
        return *dst ? 0 : -ENOMEM;
}

static int fetch_manager(sd_bus *bus, ManagerProps *p, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        *p = (ManagerProps) { .atomic = -1 };
        r = bus_call_look(bus, DAXHP_MANAGER_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                          error, &reply, DAXHP_MANAGER_INTERFACE);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *s;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        break;
                if (streq(key, "Version") || streq(key, "KernelInterface")) {
                        r = sd_bus_message_read(reply, "v", "s", &s);
                        if (r >= 0)
                                r = dup_into(streq(key, "Version") ? &p->version : &p->interface, s);
                } else if (streq(key, "AtomicHotplug"))
                        r = sd_bus_message_read(reply, "v", "b", &p->atomic);
                else if (streq(key, "QueueLength"))
                        r = sd_bus_message_read(reply, "v", "u", &p->queue);
                else if (streq(key, "PolicyFiles")) {
                        r = sd_bus_message_enter_container(reply, 'v', "as");
                        if (r >= 0)
                                r = sd_bus_message_read_strv(reply, &p->files);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        for (p->n_files = 0; p->files && p->files[p->n_files]; p->n_files++)
                                ;
                } else if (streq(key, "PolicyErrors"))
                        r = file_notes_read(reply, &p->errors);
                else if (safety_props_wants(key))
                        r = safety_props_read(reply, key, &p->safety);
                else
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                manager_props_done(p);
        return r < 0 ? r : 0;
}

static void policy_errors_json(JsonWriter *w, const ManagerProps *p) {
        json_array_open(w);
        for (size_t i = 0; i < p->errors.n; i++) {
                json_object_open(w);
                json_key(w, "File");    json_string(w, p->errors.items[i].file);
                json_key(w, "Line");    json_u64(w, p->errors.items[i].line);
                json_key(w, "Message"); json_string(w, p->errors.items[i].text);
                json_object_close(w);
        }
        json_array_close(w);
}

static void print_policy_errors(FILE *f, const ManagerProps *p) {
        for (size_t i = 0; i < p->errors.n; i++)
                fprintf(f, "%s:%" PRIu32 ": %s\n", p->errors.items[i].file, p->errors.items[i].line,
                        p->errors.items[i].text);
}

static void manager_json(const ManagerProps *p) {
        JsonWriter w;

        json_begin(&w, stdout);
        json_object_open(&w);
        json_key(&w, "Version");         json_string(&w, p->version);
        json_key(&w, "AtomicHotplug");   json_bool(&w, p->atomic > 0);
        json_key(&w, "KernelInterface"); json_string(&w, p->interface);
        json_key(&w, "QueueLength");     json_u64(&w, p->queue);
        json_key(&w, "PolicyFiles");
        json_array_open(&w);
        for (size_t i = 0; i < p->n_files; i++)
                json_string(&w, p->files[i]);
        json_array_close(&w);
        json_key(&w, "PolicyErrors");
        policy_errors_json(&w, p);
        safety_manager_json(&w, &p->safety);
        json_object_close(&w);
        json_end(&w);
}

static int print_manager(sd_bus *bus, bool json, sd_bus_error *error) {
        ManagerProps p;
        int r;

        r = fetch_manager(bus, &p, error);
        if (r < 0)
                return r;
        if (json)
                manager_json(&p);
        else {
                /* Right-aligned to the longest label, the safety block's AutoOnlineBlocks. */
                printf("         Version: %s\n", or_dash(p.version));
                printf("   AtomicHotplug: %s\n", p.atomic < 0 ? "-" : p.atomic ? "yes" : "no");
                printf(" KernelInterface: %s\n", or_dash(p.interface));
                printf("     QueueLength: %" PRIu32 "\n", p.queue);
                printf("     PolicyFiles: %s\n", p.n_files ? p.files[0] : "-");
                for (size_t i = 1; i < p.n_files; i++)
                        printf("                  %s\n", p.files[i]);
                printf("    PolicyErrors: %s\n", p.errors.n ? "" : "-");
                for (size_t i = 0; i < p.errors.n; i++)
                        printf("                  %s:%" PRIu32 ": %s\n", p.errors.items[i].file, p.errors.items[i].line,
                               p.errors.items[i].text);
                safety_manager_print(&p.safety);
        }
        manager_props_done(&p);
        return 0;
}

int verb_status(int argc, char *argv[], bool json) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r, ret = 0;

        r = bus_connect(&bus);
        if (r)
                return 1;
        if (argc <= 1) {
                r = print_manager(bus, json, &error);
                if (r < 0)
                        ret = bus_fail("get the daemon status", &error, r);
                sd_bus_error_free(&error);
                return ret;
        }
        for (int i = 1; i < argc; i++) {
                DeviceProps p = { .target_node = -1 };

                r = fetch_device(bus, argv[i], &p, &error);
                if (r < 0) {
                        char what[256];

                        snprintf(what, sizeof what, "get the status of %s", argv[i]);
                        ret = bus_fail(what, &error, r);
                        sd_bus_error_free(&error);
                        continue;
                }
                if (json)
                        device_props_json(&p, true);
                else {
                        if (i > 1)
                                printf("\n");
                        print_status(&p);
                }
                device_props_done(&p);
        }
        return ret;
}

/* Reload is synchronous: when Reload() returns, the new policy is loaded and
 * every device re-planned; what it rejected is in PolicyErrors. */
int verb_reload(int argc, char *argv[], bool json) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        ManagerProps p;
        int r;

        if (argc > 1) {
                fprintf(stderr, "reload takes no arguments.\n");
                return 2;
        }
        r = bus_connect(&bus);
        if (r)
                return 1;
        r = bus_call_look(bus, DAXHP_MANAGER_PATH, DAXHP_MANAGER_INTERFACE, "Reload", &error, NULL, NULL);
        if (r >= 0)
                r = fetch_manager(bus, &p, &error);
        if (r < 0) {
                r = bus_fail("reload", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        if (json)
                manager_json(&p);
        print_policy_errors(stderr, &p);
        if (p.errors.n > 0)
                fprintf(stderr, "%zu policy file%s in use; the files above were rejected.\n",
                        p.n_files, p.n_files == 1 ? "" : "s");
        r = p.errors.n > 0 ? 1 : 0;
        manager_props_done(&p);
        return r;
}
