/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The daemon's safety side: the kernel's hotplug settings and other agents
 * on the bus and in the journal, and the checks (safety.h) the queue asks
 * before each step. Everything here reads a few small files and runs on the
 * event loop; nothing waits on a transition.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot-online.h"
#include "bus-string.h"
#include "device-blocks.h"
#include "log.h"
#include "manager.h"

#define MANAGER_PATH "/org/daxhp1"
#define MANAGER_INTERFACE "org.daxhp1.Manager"

static char *proc_root(const Manager *m) {
        return strjoin_path(m->host_root, "proc");
}

static void audit_agents(const Manager *m) {
        _cleanup_free_ char *list = NULL, *count = NULL;
        char *extra[2] = {};
        StrBuf b = {};

        if (m->agents.n == 0)
                return;
        for (size_t i = 0; i < m->agents.n; i++) {
                const Agent *a = &m->agents.agents[i];

                strbuf_append(&b, "%s%s:%u (%s)", i ? ", " : "", a->path, a->line, agent_kind_to_string(a->kind));
        }
        list = strbuf_steal(&b);
        count = strdup_printf("DAXHP_AGENTS=%zu", m->agents.n);
        extra[0] = count;
        audit_emit(&(AuditRecord) { .kind = AUDIT_AGENTS, .extra = count ? extra : NULL, .priority = LOG_WARNING },
                   "Other agents online or offline memory and race daxhpd: %s. "
                   "See \"daxhpctl check\" or journalctl -x for how to disable each.", strempty(list));
}

static char **settings_fields(const HostSettings *h, const char *changed) {
        _cleanup_strv_free_ char **l = NULL;

        if (strv_consume(&l, strdup_printf("DAXHP_CHANGED=%s", changed)) < 0 ||
            strv_consume(&l, strdup_printf("DAXHP_AUTO_ONLINE_BLOCKS=%s", strempty(h->auto_online_blocks))) < 0 ||
            strv_consume(&l, strdup_printf("DAXHP_ONLINE_POLICY=%s", strempty(h->online_policy))) < 0 ||
            strv_consume(&l, strdup_printf("DAXHP_AUTO_MOVABLE_RATIO=%d", h->auto_movable_ratio)) < 0 ||
            strv_consume(&l, strdup_printf("DAXHP_MEMMAP_ON_MEMORY=%s", strempty(h->memmap_on_memory))) < 0 ||
            strv_consume(&l, strdup_printf("DAXHP_DEMOTION_ENABLED=%s", strempty(h->demotion_enabled))) < 0)
                return NULL;
        return TAKE_PTR(l);
}

static void log_boot_online(const Manager *m) {
        BootOnline b;

        if (boot_online_read(m->sysfs_root, m->host_root, m->host.auto_online_blocks, &b) < 0)
                return;
        if (boot_online_hazard(&b))
                log_warning("kmem is built into the kernel and the boot's default online type is %s (%s): dax/CXL "
                            "memory present at boot came online during kernel init, before any unit; daxhpd moves "
                            "it to policy through unplugged, which fails once the kernel has data there. Boot with "
                            "memhp_default_state=offline (see daxhpctl check).",
                            b.default_state, boot_online_source_to_string(b.source));
        boot_online_done(&b);
}

int manager_safety_start(Manager *m) {
        int r;

        host_settings_done(&m->host);
        r = host_settings_read(m->sysfs_root, &m->host);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel's hotplug settings: %m");
        m->host_read_usec = now_usec(CLOCK_MONOTONIC);
        log_info("Kernel hotplug settings: auto_online_blocks=%s online_policy=%s auto_movable_ratio=%d "
                 "memmap_on_memory=%s demotion_enabled=%s.",
                 m->host.auto_online_blocks ?: "?", m->host.online_policy ?: "?", m->host.auto_movable_ratio,
                 m->host.memmap_on_memory ?: "?", m->host.demotion_enabled ?: "?");
        if (host_auto_online(&m->host))
                log_warning("auto_online_blocks=%s: memory the kernel adds comes online by itself, in the zone "
                            "it picks, before policy applies (see daxhpctl check).", m->host.auto_online_blocks);

        log_boot_online(m);

        agent_list_done(&m->agents);
        r = agents_scan(m->host_root, &m->agents);
        if (r < 0)
                log_warning_errno(r, "Cannot look for other memory agents: %m");
        audit_agents(m);
        return 0;
}

static const char *changed_props[][2] = {
        { "auto_online_blocks", "AutoOnlineBlocks" },
        { "online_policy", "OnlinePolicy" },
        { "auto_movable_ratio", "AutoMovableRatio" },
        { "memmap_on_memory", "MemmapOnMemory" },
        { "demotion_enabled", "DemotionEnabled" },
};

void manager_host_refresh(Manager *m) {
        HostSettings now = { .auto_movable_ratio = -1 };
        _cleanup_strv_free_ char **fields = NULL;
        char changed[128];

        if (host_settings_read(m->sysfs_root, &now) < 0)
                return;
        m->host_read_usec = now_usec(CLOCK_MONOTONIC);
        if (!host_settings_diff(&m->host, &now, changed, sizeof(changed))) {
                host_settings_done(&now);
                return;
        }
        fields = settings_fields(&now, changed);
        audit_emit(&(AuditRecord) { .kind = AUDIT_HOST_SETTINGS, .extra = fields, .priority = LOG_WARNING },
                   "The kernel's hotplug settings changed (%s): auto_online_blocks=%s online_policy=%s "
                   "auto_movable_ratio=%d memmap_on_memory=%s.", changed, strempty(now.auto_online_blocks),
                   strempty(now.online_policy), now.auto_movable_ratio, strempty(now.memmap_on_memory));
        host_settings_done(&m->host);
        m->host = now;
        for (size_t i = 0; i < ELEMENTSOF(changed_props); i++)
                if (strstr(changed, changed_props[i][0]))
                        (void) manager_bus_send_changed(m, changed_props[i][1]);
}

/* The device's memmap_on_memory attribute: "1" when its struct pages go on the device. */
static bool device_memmap_attr(const Manager *m, const Device *d) {
        _cleanup_free_ char *path = NULL, *v = NULL;

        path = strdup_printf("%s/bus/dax/devices/%s/memmap_on_memory", m->sysfs_root, d->name);
        if (!path || read_one_line(path, &v) < 0)
                return false;
        return streq(v, "1") || streq(v, "Y");
}

/*
 * Whether the kmem bind will put the device's struct pages on the device: the
 * kernel must allow it, and the policy's MemmapOnMemory= wins over the
 * attribute, as the bind writes the policy's value before binding.
 */
static bool memmap_on_device(const Manager *m, const Device *d, const JobRequest *req) {
        if (!host_memmap_on_memory_enabled(&m->host) || req->memmap_on_memory == 0)
                return false;
        return req->memmap_on_memory > 0 || device_memmap_attr(m, d);
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

void manager_device_usage(Manager *m, const Device *d, uint64_t *ret_used, uint64_t *ret_free) {
        uint64_t total = 0, used = 0, online_bytes;
        uint32_t online = 0, blocks = 0;

        *ret_used = *ret_free = 0;
        if (d->status.mode != DAX_MODE_SYSTEM_RAM || !dax_state_is_online(d->status.state))
                return;
        device_block_counts(d, &online, &blocks);
        if (blocks == 0)
                return;
        online_bytes = d->status.size / blocks * online;
        /*
         * The kernel keeps no per-block count of pages in use, only the
         * node's. A node that holds only the device gives both numbers
         * exactly. On a node shared with other memory each is bounded by
         * the node's own figure: the device may hold as much as the node
         * uses and as much as the node has free, so the unplug check takes
         * the largest use and the largest free part of the device away from
         * what the rest can absorb; it errs towards refusing.
         */
        if (host_node_memory(m->sysfs_root, d->status.target_node, &total, &used) < 0)
                return;
        *ret_used = min_u64(used, online_bytes);
        *ret_free = min_u64(total - used, online_bytes);
}

uint64_t manager_device_pages_in_use(Manager *m, const Device *d) {
        long ps = sysconf(_SC_PAGESIZE);
        uint64_t used, free_;

        manager_device_usage(m, d, &used, &free_);
        return used / (ps > 0 ? (uint64_t) ps : 4096);
}

/*
 * Not read while a step runs: offlining a node's last memory destroys its
 * tier under the kernel's memory_tier_lock, and the tier's sysfs removal
 * waits for every open read of its nodelist to end, while nodelist_show()
 * waits for that lock. A read in that window never returns, and neither does
 * the unplug (both unkillable; seen in e2e-safety's CXL unplugs, 3 hangs in
 * 39 runs, while `daxhpctl set` polled the device's properties). So during a
 * step the last value read stands; tiers change only with hotplug anyway.
 */
int manager_device_memory_tier(Manager *m, Device *d) {
        if (!queue_step_running(m->queue))
                d->memory_tier = host_node_memory_tier(m->sysfs_root, d->status.target_node);
        return d->memory_tier;
}

static unsigned ratio_limit(const Manager *m, const JobRequest *req) {
        if (req->max_movable_percent >= 0)
                return (unsigned) req->max_movable_percent;
        return m->host.auto_movable_ratio >= 0 ? (unsigned) m->host.auto_movable_ratio
                                               : HOST_DEFAULT_MOVABLE_RATIO;
}

static void audit_refusal(Manager *m, const Device *d, const Step *step, const JobRequest *req) {
        _cleanup_strv_free_ char **fields = NULL;
        char buf[64];

        (void) strv_consume(&fields, strdup_printf("DAXHP_CHECK=%s", safety_check_to_string(m->refusal.check)));
        (void) strv_consume(&fields, strdup_printf("DAXHP_NEED_BYTES=%" PRIu64, m->refusal.need));
        (void) strv_consume(&fields, strdup_printf("DAXHP_HAVE_BYTES=%" PRIu64, m->refusal.have));
        (void) strv_consume(&fields, strdup_printf("DAXHP_ERROR_NAME=%s", safety_error_name(m->refusal.check)));
        audit_emit(&(AuditRecord) {
                        .kind = AUDIT_REFUSED,
                        .device = d->name,
                        .from = device_state_string(d),
                        .to = policy_state_to_string(req->desired),
                        .result = "refused",
                        .policy = device_policy_source(d),
                        .extra = fields,
                        .priority = LOG_WARNING,
                        .message_id = safety_message_id(m->refusal.check),
                   },
                   "%s: step %s refused: %s.", d->name, step_to_string(step, buf, sizeof(buf)), m->refusal.text);
}

static bool plugs_memory(const Step *step, DaxMode mode, DaxState state, const JobRequest *req) {
        if (step->kind == STEP_BIND_KMEM)
                /* Binding kmem adds the memory; only a job that wants it online counts it. */
                return req->desired == POLICY_STATE_ONLINE || req->desired == POLICY_STATE_ONLINE_KERNEL ||
                        req->desired == POLICY_STATE_ONLINE_MOVABLE;
        return step->kind == STEP_SET_STATE && dax_state_is_online(step->state) &&
                mode == DAX_MODE_SYSTEM_RAM && state == DAX_STATE_UNPLUGGED;
}

static bool takes_memory_away(const Step *step, DaxMode mode, DaxState state) {
        if (mode != DAX_MODE_SYSTEM_RAM || !dax_state_is_online(state))
                return false;
        return step->kind == STEP_BIND_DEVDAX ||
                (step->kind == STEP_SET_STATE &&
                 (step->state == DAX_STATE_UNPLUGGED || step->state == DAX_STATE_OFFLINE));
}

int manager_check_step(Manager *m, const char *device, const Step *step, DaxMode mode, DaxState state,
                       const JobRequest *req, usec_t job_started) {
        _cleanup_free_ char *proc = proc_root(m);
        Device *d = manager_get_device(m, device);
        bool force = req->force, fits = true, memmap, ratio, unplug;
        HostMemory mem;

        m->refusal = (SafetyVerdict) { .check = SAFETY_OK };
        if (!d || !proc)
                return 0;
        memmap = plugs_memory(step, mode, state, req);
        ratio = !force && step->kind == STEP_SET_STATE && step->state == DAX_STATE_ONLINE_MOVABLE;
        unplug = !force && takes_memory_away(step, mode, state);
        if (!memmap && !ratio && !unplug)
                return 0;
        /*
         * No uevent tells of a settings change: read them for each new job.
         * Its later steps, ~100 ms apart, use that read; a write in between
         * races the check as one right after any read would.
         */
        if (m->host_read_usec < job_started)
                manager_host_refresh(m);
        if (host_memory_read(proc, ratio, &mem) < 0) {
                log_debug("%s: cannot read %s/meminfo, skipping the safety checks.", device, proc);
                return 0;
        }

        if (memmap)
                fits = safety_check_memmap(&mem, d->status.size, memmap_on_device(m, d, req), &m->refusal);
        if (fits && ratio)
                fits = safety_check_zone_ratio(&mem, d->status.size, ratio_limit(m, req), &m->refusal);
        if (fits && unplug) {
                uint64_t used, free_;

                manager_device_usage(m, d, &used, &free_);
                fits = safety_check_unplug(&mem, used, free_, &m->refusal);
        }
        if (fits)
                return 0;
        audit_refusal(m, d, step, req);
        return -EPERM;
}

/* --- bus ---------------------------------------------------------------------------------------- */

static int property_get_host_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *v = streq(property, "AutoOnlineBlocks") ? m->host.auto_online_blocks :
                        streq(property, "OnlinePolicy") ? m->host.online_policy :
                        streq(property, "MemmapOnMemory") ? m->host.memmap_on_memory :
                        m->host.demotion_enabled;

        return bus_append_string_safe(reply, strempty(v));
}

static int property_get_ratio(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "i", (int32_t) m->host.auto_movable_ratio);
}

static int property_get_agents(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sus)");
        for (size_t i = 0; r >= 0 && i < m->agents.n; i++) {
                const Agent *a = &m->agents.agents[i];

                r = sd_bus_message_open_container(reply, 'r', "sus");
                if (r >= 0)
                        r = bus_append_string_safe(reply, a->path);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "u", a->line);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", agent_kind_to_string(a->kind));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}


static int property_get_device_memmap(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;
        _cleanup_free_ char *p = NULL, *v = NULL;

        p = strdup_printf("%s/bus/dax/devices/%s/memmap_on_memory", d->manager->sysfs_root, d->name);
        if (!p)
                return -ENOMEM;
        if (read_one_line(p, &v) < 0)
                return sd_bus_message_append(reply, "s", "");
        return bus_append_string_safe(reply, v);
}

static int property_get_tier(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;

        return sd_bus_message_append(reply, "i", (int32_t) manager_device_memory_tier(d->manager, d));
}

static int property_get_pages_in_use(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;

        return sd_bus_message_append(reply, "t", manager_device_pages_in_use(d->manager, d));
}

const sd_bus_vtable device_safety_vtable[] = {
        SD_BUS_VTABLE_START(0),
        /* Read live from the kernel at each Get: no PropertiesChanged. */
        SD_BUS_PROPERTY("MemmapOnMemory", "s", property_get_device_memmap, 0, 0),
        SD_BUS_PROPERTY("MemoryTier", "i", property_get_tier, 0, 0),
        SD_BUS_PROPERTY("PagesInUse", "t", property_get_pages_in_use, 0, 0),
        SD_BUS_VTABLE_END
};

/* --- Check(): every hazard for this host ------------------------------------------------------ */

typedef struct Hazards {
        sd_bus_message *reply;
        int r;
} Hazards;

static void hazard(Hazards *h, const char *subject, const char *check, const char *severity, const char *fmt, ...)
        _printf_(5, 6);
static void hazard(Hazards *h, const char *subject, const char *check, const char *severity, const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;

        if (h->r < 0)
                return;
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        if (!text) {
                h->r = -ENOMEM;
                return;
        }
        h->r = sd_bus_message_append(h->reply, "(ssss)", subject, check, severity, text);
}

static bool wants_online(PolicyState s) {
        return s == POLICY_STATE_ONLINE || s == POLICY_STATE_ONLINE_KERNEL || s == POLICY_STATE_ONLINE_MOVABLE;
}

/* Managed devices whose policy the kernel's own onlining would not meet. */
static size_t devices_against_kernel_default(Manager *m) {
        size_t n = 0;

        for (size_t i = 0; i < m->n_devices; i++) {
                PolicyState want = device_desired(m->devices[i]);

                if (want >= 0 && want != POLICY_STATE_IGNORE && want != POLICY_STATE_ONLINE)
                        n++;
        }
        return n;
}

static void check_auto_online(Manager *m, Hazards *h) {
        size_t n;

        if (!host_auto_online(&m->host))
                return;
        n = devices_against_kernel_default(m);
        hazard(h, "kernel", "auto-online", n > 0 ? "error" : "warning",
               "auto_online_blocks=%s: memory the kernel adds comes online by itself, in the zone the kernel "
               "picks, before daxhpd applies policy%s; enable daxhp-early.service (sets it to offline at boot) "
               "or boot with memhp_default_state=offline",
               m->host.auto_online_blocks, n > 0 ? ", against the policy of managed devices" : "");
}

static void check_boot_online(Manager *m, const BootOnline *b, Hazards *h) {
        size_t n;

        if (!boot_online_hazard(b))
                return;
        n = devices_against_kernel_default(m);
        hazard(h, "kernel", "boot-online", n > 0 ? "error" : "warning",
               "kmem is built into the kernel and the boot's default online type is %s (%s): dax/CXL memory "
               "present at boot comes online during kernel init, before daxhp-early.service or any unit can "
               "run%s; daxhpd then moves it to policy through unplugged, which the kernel refuses (EBUSY) once "
               "it has put its own data there; boot with memhp_default_state=offline on the kernel command line",
               b->default_state, boot_online_source_to_string(b->source),
               n > 0 ? ", in the zone the kernel picks, against the policy of managed devices" : "");
}

static void check_agents(Manager *m, Hazards *h) {
        for (size_t i = 0; i < m->agents.n; i++) {
                const Agent *a = &m->agents.agents[i];
                _cleanup_free_ char *subject = strdup_printf("%s:%u", a->path, a->line);

                hazard(h, subject ?: a->path, agent_kind_to_string(a->kind), "error",
                       "another agent changes memory state and races daxhpd; to disable it: %s",
                       agent_kind_remedy(a->kind));
        }
}

static void check_device(Manager *m, Device *d, const HostMemory *mem, bool boot_hazard, Hazards *h) {
        PolicyState want = device_desired(d);
        SafetyVerdict v;
        JobRequest req;
        bool plugged = d->status.mode == DAX_MODE_SYSTEM_RAM && d->status.state != DAX_STATE_UNPLUGGED;

        if (want < 0 || want == POLICY_STATE_IGNORE || device_is_satisfied(d))
                return;
        device_job_request(d, want, &req);
        if (wants_online(want) && !plugged &&
            !safety_check_memmap(mem, d->status.size, memmap_on_device(m, d, &req), &v))
                hazard(h, d->name, "memmap", "error", "%s", v.text);
        if (want == POLICY_STATE_ONLINE_MOVABLE &&
            !safety_check_zone_ratio(mem, d->status.size, ratio_limit(m, &req), &v))
                hazard(h, d->name, "zone-ratio", "error", "%s", v.text);
        if (!wants_online(want) && plugged && dax_state_is_online(d->status.state)) {
                uint64_t used, free_;

                manager_device_usage(m, d, &used, &free_);
                if (!safety_check_unplug(mem, used, free_, &v))
                        hazard(h, d->name, "unplug", "error", "%s", v.text);
        }
        if (plugged && dax_state_is_online(d->status.state) && !isempty(d->last_error))
                hazard(h, d->name, "against-policy", "error",
                       "%s, its policy says %s, and daxhpd could not take it there: %s%s",
                       device_state_string(d), policy_state_to_string(want), d->last_error,
                       boot_hazard ? "; the kernel onlined it at boot, before daxhpd: boot with "
                       "memhp_default_state=offline" : "");
        if (req.memmap_on_memory > 0 && !host_memmap_on_memory_enabled(&m->host))
                hazard(h, d->name, "memmap-on-memory", "warning",
                       "its policy says MemmapOnMemory=yes, but the kernel's memory_hotplug.memmap_on_memory is "
                       "%s: the struct pages come from memory already online",
                       m->host.memmap_on_memory ?: "absent");
}

static int method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *proc = proc_root(userdata);
        Manager *m = userdata;
        Hazards h = {};
        _cleanup_(boot_online_done) BootOnline boot = {};
        HostMemory mem;
        bool have_mem;
        int r;

        if (!proc)
                return -ENOMEM;
        manager_host_refresh(m);
        have_mem = host_memory_read(proc, true, &mem) >= 0;
        r = boot_online_read(m->sysfs_root, m->host_root, m->host.auto_online_blocks, &boot);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssss)");
        if (r < 0)
                return r;
        h.reply = reply;
        check_auto_online(m, &h);
        check_boot_online(m, &boot, &h);
        check_agents(m, &h);
        if (!have_mem)
                hazard(&h, "host", "meminfo", "warning", "cannot read %s/meminfo: the memory checks are off", proc);
        for (size_t i = 0; have_mem && i < m->n_devices; i++)
                check_device(m, m->devices[i], &mem, boot_online_hazard(&boot), &h);
        if (h.r < 0)
                return h.r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

const sd_bus_vtable manager_safety_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("AutoOnlineBlocks", "s", property_get_host_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("OnlinePolicy", "s", property_get_host_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AutoMovableRatio", "i", property_get_ratio, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemmapOnMemory", "s", property_get_host_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DemotionEnabled", "s", property_get_host_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CompetingAgents", "a(sus)", property_get_agents, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("Check",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssss)", hazards),
                                method_check,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
