/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-dax.h"
#include "log.h"
#include "util.h"


void dax_status_done(DaxStatus *s) {
        free(s->syspath);
        free(s->region);
        free(s->provider);
        free(s->blocks);
        free(s->online);
        free(s->spans);
        *s = (DaxStatus) { .target_node = -1, .mode = _DAX_MODE_INVALID, .state = _DAX_STATE_INVALID };
}

static int cmp_str(const void *a, const void *b) {
        return strverscmp(*(char * const *) a, *(char * const *) b);
}

int kdax_list(const char *root, char ***ret) {
        _cleanup_free_ char *p = pathf("%s/bus/dax/devices", root);
        _cleanup_strv_free_ char **l = NULL;
        DIR *d;
        int r = 0;

        if (!p)
                return -ENOMEM;
        d = opendir(p);
        /* No dax bus (module not loaded): no devices, not an error. */
        if (!d && errno != ENOENT)
                return -errno;
        for (struct dirent *de; d && (de = readdir(d)); ) {
                if (de->d_name[0] == '.')
                        continue;
                r = strv_extend(&l, de->d_name);
                if (r < 0)
                        break;
        }
        if (d)
                closedir(d);
        if (r < 0)
                return r;
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

DaxAttr kdax_detect_attr(const char *root, const char *name) {
        _cleanup_free_ char *h = pathf("%s/bus/dax/devices/%s/hotplug", root, name);
        _cleanup_free_ char *s = pathf("%s/bus/dax/devices/%s/state", root, name);

        if (!h || !s)
                return DAX_ATTR_UNKNOWN;
        /* Prefer our series' name; a kernel carrying both is the same ABI anyway. */
        if (path_exists(h))
                return DAX_ATTR_HOTPLUG;
        if (path_exists(s))
                return DAX_ATTR_STATE;
        return DAX_ATTR_NONE;
}

static DaxMode read_mode(const char *devdir) {
        _cleanup_free_ char *link = pathf("%s/driver", devdir);
        char target[PATH_MAX];
        ssize_t n;
        const char *base;

        if (!link)
                return _DAX_MODE_INVALID;
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return DAX_MODE_UNBOUND;
        target[n] = '\0';
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (streq(base, "kmem"))
                return DAX_MODE_SYSTEM_RAM;
        /* device_dax, or the legacy dax_pmem_compat: a character device either way. */
        return DAX_MODE_DEVDAX;
}

/* The device's path below the root, as udev and the policy [Match] Path= see it. */
static char *read_syspath(const char *root, const char *name) {
        _cleanup_free_ char *link = NULL, *real_dev = NULL;
        char real_root[PATH_MAX];
        size_t l;

        if (!realpath(root, real_root))
                return NULL;
        link = pathf("%s/bus/dax/devices/%s", real_root, name);
        if (!link || sysfs_link_target(link, &real_dev) < 0)
                return NULL;
        l = strlen(real_root);
        if (strncmp(real_dev, real_root, l) == 0 && real_dev[l] == '/')
                return strdup(real_dev + l);
        return TAKE_PTR(real_dev);
}

static char *guess_provider(const char *syspath) {
        if (!syspath)
                return NULL;
        /* Walk the parents' names: the region driver tells who supplied the memory. */
        if (strstr(syspath, "/hmem"))
                return strdup("hmem");
        if (strstr(syspath, "/cxl") || strstr(syspath, "/dax_region"))
                return strdup("cxl");
        if (strstr(syspath, "/ndbus") || strstr(syspath, "/region"))
                return strdup("pmem");
        return NULL;
}

static char *read_region(const char *devdir, const char *name) {
        _cleanup_free_ char *p = pathf("%s/../dax_region/id", devdir);
        char *id = NULL;
        unsigned a, b;

        if (p && read_one_line(p, &id) >= 0)
                return id;
        /* daxR.N: the region id is in the name. */
        if (sscanf(name, "dax%u.%u", &a, &b) == 2 && asprintf(&id, "%u", a) >= 0)
                return id;
        return NULL;
}

/* Static regions show `resource`; dynamic (CXL) ones their first mapping. */
static uint64_t read_phys_start(const char *devdir) {
        _cleanup_free_ char *pr = pathf("%s/resource", devdir), *pm = pathf("%s/mapping0/start", devdir);
        uint64_t v;

        if (pr && read_u64(pr, &v) >= 0)
                return v;
        if (pm && read_u64(pm, &v) >= 0)
                return v;
        return 0;
}

/*
 * The memory blocks kmem adds for [start, end): it aligns each range inwards
 * to whole blocks. Blocks that do not exist yet count too: a block's uevent
 * must find its device.
 */
static int add_block_span(DaxStatus *s, uint64_t start, uint64_t end, uint64_t bs) {
        DaxBlockSpan *n;
        uint64_t first = (start + bs - 1) / bs, last = end / bs;

        if (last <= first)
                return 0;
        n = realloc(s->spans, sizeof(DaxBlockSpan) * (s->n_spans + 1));
        if (!n)
                return -ENOMEM;
        n[s->n_spans++] = (DaxBlockSpan) { .first = first, .end = last };
        s->spans = n;
        return 0;
}

static int read_spans(const char *root, const char *devdir, DaxStatus *s) {
        _cleanup_free_ char *bsp = pathf("%s/devices/system/memory/block_size_bytes", root);
        _cleanup_free_ char *bss = NULL;
        uint64_t bs, start, end;
        bool mapped = false;
        int r;

        if (!bsp)
                return -ENOMEM;
        r = read_one_line(bsp, &bss);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        /* block_size_bytes is hex without a 0x prefix. */
        bs = strtoull(bss, NULL, 16);
        if (bs == 0)
                return -EINVAL;

        for (unsigned i = 0;; i++) {
                _cleanup_free_ char *ps = pathf("%s/mapping%u/start", devdir, i);
                _cleanup_free_ char *pe = pathf("%s/mapping%u/end", devdir, i);

                if (!ps || !pe)
                        return -ENOMEM;
                if (read_u64(ps, &start) < 0 || read_u64(pe, &end) < 0) {
                        mapped = i > 0;
                        break;
                }
                r = add_block_span(s, start, end + 1, bs);
                if (r < 0)
                        return r;
        }
        /* Static regions have no mappings, one range: resource + size. */
        if (!mapped && s->phys_start != 0)
                return add_block_span(s, s->phys_start, s->phys_start + s->size, bs);
        return 0;
}

static int add_block(DaxStatus *s, unsigned b, bool online) {
        unsigned *nb = realloc(s->blocks, sizeof(unsigned) * (s->n_blocks + 1));
        uint8_t *no;

        if (!nb)
                return -ENOMEM;
        s->blocks = nb;
        no = realloc(s->online, s->n_blocks + 1);
        if (!no)
                return -ENOMEM;
        s->online = no;
        s->blocks[s->n_blocks] = b;
        s->online[s->n_blocks++] = online;
        return 0;
}

/* One block's state; -ENOENT when the block does not exist. A fake tree may hold the written value itself. */
static int read_block(const char *root, unsigned b, DaxState *ret) {
        _cleanup_free_ char *p = pathf("%s/devices/system/memory/memory%u/state", root, b);
        _cleanup_free_ char *z = NULL, *v = NULL, *zones = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        r = read_one_line(p, &v);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                *ret = _DAX_STATE_INVALID;
        else if (streq(v, "offline") || streq(v, "going-offline"))
                *ret = DAX_STATE_OFFLINE;
        else if (!streq(v, "online"))
                *ret = dax_state_from_string(v);
        else {
                /* An online block's valid_zones names the one zone it is in. */
                z = pathf("%s/devices/system/memory/memory%u/valid_zones", root, b);
                if (!z || read_one_line(z, &zones) < 0)
                        *ret = DAX_STATE_ONLINE;
                else
                        *ret = strncmp(zones, "Movable", 7) == 0 ? DAX_STATE_ONLINE_MOVABLE
                                                                 : DAX_STATE_ONLINE_KERNEL;
        }
        return 0;
}

static DaxState read_block_state(const char *root, unsigned b) {
        DaxState s;

        return read_block(root, b, &s) < 0 ? _DAX_STATE_INVALID : s;
}

/*
 * Every block of the spans, one read each; what they add up to goes to *ret:
 * any offline (or unreadable) block makes the device offline, none present
 * unplugged, a mix of zones "online".
 */
static int read_blocks(const char *root, DaxStatus *s, DaxState *ret) {
        DaxState agg = DAX_STATE_UNPLUGGED;
        bool offline = false;
        int r;

        for (size_t i = 0; i < s->n_spans; i++)
                for (uint64_t b = s->spans[i].first; b < s->spans[i].end; b++) {
                        DaxState st;

                        r = read_block(root, (unsigned) b, &st);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return r;
                        r = add_block(s, (unsigned) b, dax_state_is_online(st));
                        if (r < 0)
                                return r;
                        if (!dax_state_is_online(st))
                                offline = true;
                        else if (agg == DAX_STATE_UNPLUGGED)
                                agg = st;
                        else if (agg != st)
                                agg = DAX_STATE_ONLINE;
                }
        *ret = offline ? DAX_STATE_OFFLINE : agg;
        return 0;
}

/*
 * This series' `hotplug` reading "unplugged" or an online state says it for
 * every block: no block file needs reading. kmem adds a range whole or not
 * at all, so one block tells whether its range is there.
 */
static int blocks_from_attr(const char *root, DaxStatus *s) {
        for (size_t i = 0; i < s->n_spans && s->state != DAX_STATE_UNPLUGGED; i++) {
                _cleanup_free_ char *p = pathf("%s/devices/system/memory/memory%" PRIu64, root, s->spans[i].first);

                if (!p)
                        return -ENOMEM;
                if (!path_exists(p))
                        continue;
                for (uint64_t b = s->spans[i].first; b < s->spans[i].end; b++) {
                        int r = add_block(s, (unsigned) b, true);

                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The whole-device attribute the kernel has, and what it reads. */
static DaxAttr read_attr(const char *devdir, DaxState *ret) {
        static const DaxAttr attrs[] = { DAX_ATTR_HOTPLUG, DAX_ATTR_STATE };

        *ret = _DAX_STATE_INVALID;
        /* Prefer our series' name; a kernel carrying both is the same ABI anyway. */
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_free_ char *p = pathf("%s/%s", devdir, attrs[i] == DAX_ATTR_HOTPLUG ? "hotplug" : "state");
                _cleanup_free_ char *v = NULL;
                int r;

                if (!p)
                        return DAX_ATTR_UNKNOWN;
                r = read_one_line(p, &v);
                if (r == -ENOENT)
                        continue;
                *ret = r < 0 ? _DAX_STATE_INVALID : dax_state_from_string(v);
                return attrs[i];
        }
        return DAX_ATTR_NONE;
}

/*
 * The device's state and memory blocks, as the planner must see them.
 *
 * This series' `hotplug` is computed from the blocks on every read: it is the
 * truth. Mainline 7.3's `state` is the last value written to it (or the
 * default online type at probe): after per-block writes behind kmem's back it
 * still reads e.g. "online_movable" with blocks offline, and planning from it
 * would miss the drift. So there the blocks decide, and the attribute only
 * contributes what blocks cannot show: that the device was onlined as plain
 * "online" (kernel's zone choice), which the kernel then reports as "online"
 * and which a policy asking for "online" must match exactly.
 */
static int read_system_ram(const char *root, const char *devdir, DaxStatus *s) {
        DaxState attr, blocks;
        int r;

        r = read_spans(root, devdir, s);
        if (r < 0)
                return r;
        s->attr = read_attr(devdir, &attr);
        if (s->attr == DAX_ATTR_HOTPLUG && (attr == DAX_STATE_UNPLUGGED || dax_state_is_online(attr))) {
                s->state = attr;
                return blocks_from_attr(root, s);
        }
        r = read_blocks(root, s, &blocks);
        if (r < 0)
                return r;
        if (s->attr == DAX_ATTR_HOTPLUG)
                s->state = attr;
        else if (s->attr == DAX_ATTR_STATE && dax_state_is_online(blocks) && attr == DAX_STATE_ONLINE)
                s->state = DAX_STATE_ONLINE;
        else
                s->state = blocks;
        return 0;
}

int kdax_read(const char *root, const char *name, DaxStatus *ret) {
        return kdax_read_again(root, name, NULL, ret);
}

/* A copy of what cannot change while the device exists; false if prev has none (or on OOM). */
static bool copy_identity(const DaxStatus *prev, DaxStatus *s) {
        if (!prev || !prev->syspath)
                return false;
        s->syspath = strdup(prev->syspath);
        s->region = prev->region ? strdup(prev->region) : NULL;
        s->provider = prev->provider ? strdup(prev->provider) : NULL;
        if (s->syspath && (s->region || !prev->region) && (s->provider || !prev->provider))
                return true;
        free(s->syspath);
        free(s->region);
        free(s->provider);
        s->syspath = s->region = s->provider = NULL;
        return false;
}

int kdax_read_again(const char *root, const char *name, const DaxStatus *prev, DaxStatus *ret) {
        _cleanup_free_ char *devdir = pathf("%s/bus/dax/devices/%s", root, name);
        _cleanup_free_ char *psize = NULL, *pnode = NULL;
        DaxStatus s = { .target_node = -1, .state = _DAX_STATE_INVALID };
        int r;

        if (!devdir)
                return -ENOMEM;
        if (!path_exists(devdir))
                return -ENOENT;

        psize = pathf("%s/size", devdir);
        pnode = pathf("%s/target_node", devdir);
        if (!psize || !pnode)
                return -ENOMEM;
        (void) read_u64(psize, &s.size);
        if (read_int(pnode, &s.target_node) < 0)
                s.target_node = -1;

        s.phys_start = read_phys_start(devdir);
        /* Resolving the path costs a readlink() per component: only once per device. */
        if (!copy_identity(prev, &s)) {
                s.syspath = read_syspath(root, name);
                s.region = read_region(devdir, name);
                s.provider = guess_provider(s.syspath);
        }
        s.mode = read_mode(devdir);
        s.attr = DAX_ATTR_UNKNOWN;

        if (s.mode == DAX_MODE_SYSTEM_RAM) {
                r = read_system_ram(root, devdir, &s);
                if (r < 0) {
                        dax_status_done(&s);
                        return r;
                }
        }

        *ret = s;
        return 0;
}

static const char *block_write_value(DaxState s) {
        /* memoryN/state takes "online" (kernel's choice of zone) and the two explicit types. */
        return s == DAX_STATE_OFFLINE ? "offline" : dax_state_to_string(s);
}

/*
 * Set by SIGTERM in a step worker (a timeout, or the daemon stopping): the
 * per-block loop stops before its next block and puts back the blocks it
 * changed, instead of dying half way (SIGKILL comes only if that hangs).
 */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
        stop_requested = 1;
}

void kdax_catch_stop(void) {
        struct sigaction sa = { .sa_handler = on_stop_signal };

        /* No SA_RESTART: a block write in the kernel returns EINTR at once. */
        sigemptyset(&sa.sa_mask);
        stop_requested = 0;
        (void) sigaction(SIGTERM, &sa, NULL);
}

bool kdax_stop_requested(void) {
        return stop_requested;
}

static int block_write(const char *root, unsigned b, DaxState s) {
        _cleanup_free_ char *p = pathf("%s/devices/system/memory/memory%u/state", root, b);

        if (!p)
                return -ENOMEM;
        return kdax_write(p, block_write_value(s));
}

/* Put back blocks [0, done) to what they were before, newest first; no signal interrupts this. */
static void restore_blocks(const char *root, const unsigned *blocks, size_t done, DaxState target,
                           const DaxState *before) {
        sigset_t ss, old;

        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        (void) sigprocmask(SIG_BLOCK, &ss, &old);
        while (done-- > 0) {
                int k;

                if (before[done] < 0 || before[done] == target ||
                    (target == DAX_STATE_ONLINE && dax_state_is_online(before[done])))
                        continue;
                /* Someone else may have put it back already. */
                if (read_block_state(root, blocks[done]) == before[done])
                        continue;
                k = block_write(root, blocks[done], before[done]);
                if (k < 0)
                        log_error_errno(k, "Failed to roll back memory%u to %s: %m",
                                        blocks[done], block_write_value(before[done]));
        }
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Change blocks in order; on failure or stop, undo and return the error. before[] gets their old states. */
static int set_blocks(const char *root, const unsigned *blocks, size_t n, DaxState target, DaxState *before) {
        size_t done;
        int r = 0;

        for (done = 0; done < n; done++) {
                before[done] = read_block_state(root, blocks[done]);
                if (before[done] == target ||
                    (target == DAX_STATE_ONLINE && dax_state_is_online(before[done])))
                        continue;
                if (stop_requested) {
                        r = -EINTR;
                        log_warning("Stopped before memory%u: rolling back %zu blocks.", blocks[done], done);
                        break;
                }
                r = block_write(root, blocks[done], target);
                if (r < 0) {
                        log_warning_errno(r, "memory%u refused %s: %m", blocks[done], block_write_value(target));
                        break;
                }
        }
        if (r >= 0)
                return 0;

        /* All or nothing: put back what this call changed, newest first. */
        restore_blocks(root, blocks, done, target, before);
        return r;
}

/*
 * Without the atomic attribute, "offline every block" and "unbind kmem" are
 * separate steps, and another agent (a udev rule, daxctl) can online a block
 * in between. Linux 7.2's kmem then lets go of the device anyway and that
 * memory stays online, driverless, until reboot. So: look again right before
 * the unbind (what is left open is the window the atomic attribute closes),
 * and after it check that the memory is really gone.
 */
static int refuse_if_online_again(const char *root, const char *name, const unsigned *blocks, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (dax_state_is_online(read_block_state(root, blocks[i]))) {
                        log_warning("%s: memory%u is online again (another agent onlines memory?): not unbinding kmem.",
                                    name, blocks[i]);
                        return -EBUSY;
                }
        return 0;
}

static int check_memory_removed(const char *root, const char *name, const unsigned *blocks, size_t n) {
        /* kmem's remove_memory() fails only for a range with an online block. */
        for (size_t i = 0; i < n; i++)
                if (dax_state_is_online(read_block_state(root, blocks[i]))) {
                        log_error("%s: kmem let go of the device but memory%u stays online "
                                  "(it was online at the unbind); it cannot be removed until reboot.",
                                  name, blocks[i]);
                        return -EBUSY;
                }
        return 0;
}

/* Every block is offline, before[] says how they were: unbind kmem, or put them back. */
static int unbind_offlined(const char *root, const char *name, const DaxStatus *s, const DaxState *before) {
        int r;

        r = stop_requested ? -EINTR : refuse_if_online_again(root, name, s->blocks, s->n_blocks);
        if (r >= 0) {
                r = driver_write(root, "kmem", "unbind", name);
                if (r >= 0)
                        /* Unbound: nothing to put back, but say what stayed. */
                        return check_memory_removed(root, name, s->blocks, s->n_blocks);
                log_warning_errno(r, "%s: kmem refused to let go of its memory: %m", name);
        }
        /* Not unplugged after all: the blocks go back to what they were. */
        restore_blocks(root, s->blocks, s->n_blocks, DAX_STATE_OFFLINE, before);
        return r;
}

int kdax_set_blocks(const char *root, const unsigned *blocks, size_t n, DaxState target) {
        _cleanup_free_ DaxState *before = calloc(n ?: 1, sizeof(DaxState));

        if (!before)
                return -ENOMEM;
        return set_blocks(root, blocks, n, target, before);
}

static int set_state_per_block(const char *root, const char *name, DaxState target) {
        _cleanup_free_ DaxState *before = NULL;
        DaxStatus s;
        int r;

        /* This runs in the step worker: a stop (SIGTERM) now means "roll back". */
        kdax_catch_stop();
        r = kdax_read(root, name, &s);
        if (r < 0)
                return r;
        before = calloc(s.n_blocks ?: 1, sizeof(DaxState));
        if (!before) {
                dax_status_done(&s);
                return -ENOMEM;
        }

        if (target != DAX_STATE_UNPLUGGED)
                r = set_blocks(root, s.blocks, s.n_blocks, target, before);
        else {
                /* Offline everything first, so unbinding kmem only removes idle memory. */
                r = set_blocks(root, s.blocks, s.n_blocks, DAX_STATE_OFFLINE, before);
                if (r >= 0)
                        r = unbind_offlined(root, name, &s, before);
        }
        dax_status_done(&s);
        return r;
}

int kdax_set_present_blocks(const char *root, const char *name, DaxState target) {
        if (target < 0 || target == DAX_STATE_UNPLUGGED)
                return -EINVAL;
        return set_state_per_block(root, name, target);
}

int kdax_set_state(const char *root, const char *name, DaxState target) {
        _cleanup_free_ char *devdir = pathf("%s/bus/dax/devices/%s", root, name);
        _cleanup_free_ char *p = NULL;
        DaxStatus after;
        DaxAttr attr;
        DaxState now;
        int r;

        if (!devdir)
                return -ENOMEM;
        attr = kdax_detect_attr(root, name);
        if (attr == DAX_ATTR_NONE)
                return set_state_per_block(root, name, target);
        if (target < 0 || target == DAX_STATE_OFFLINE)
                /* The whole-device ABI has no "offline" to write; per block it is a step. */
                return -EINVAL;

        p = pathf("%s/%s", devdir, attr == DAX_ATTR_HOTPLUG ? "hotplug" : "state");
        if (!p)
                return -ENOMEM;
        r = kdax_write(p, dax_state_to_string(target));
        if (r < 0)
                return r;

        /*
         * Never assume: only the read-back says where the device is. Read the
         * whole status, blocks included: 7.3's `state` echoes what was written
         * (a no-op write of the current value "succeeds" over drifted blocks).
         */
        r = kdax_read(root, name, &after);
        if (r < 0)
                return r;
        now = after.state;
        dax_status_done(&after);
        if (now == target || (target == DAX_STATE_ONLINE && dax_state_is_online(now)))
                return 0;
        log_warning("%s: wrote %s but the kernel reports %s.", name,
                    dax_state_to_string(target), dax_state_to_string(now) ?: "nothing readable");
        return -EIO;
}
