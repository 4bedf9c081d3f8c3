/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: one policy file (main file, then the same bytes again
 * as a drop-in), then matching, formatting and shadowing over the result. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fuzz_props[] = { "DEVTYPE=dax", "ID_VENDOR=acme", NULL };

static const DeviceInfo fuzz_devices[] = {
        { .name = "dax0.0", .path = "/devices/platform/hmem.0/dax0.0", .region = "0", .target_node = 2,
          .size = UINT64_C(16) << 30, .provider = "hmem", .mode = "devdax", .properties = fuzz_props },
        { .name = "dax1.0", .target_node = -1, .mode = "unbound" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(policy_file_freep) PolicyFile *f = NULL;
        Diagnostics d = {};
        int r;

        if (size > 64 * 1024)
                return 0;
        if (policy_file_new("/fuzz/50-fuzz.conf", &f) < 0)
                return 0;

        r = policy_file_parse_buffer(f, "/fuzz/50-fuzz.conf", (const char *) data, size, &d);
        if (r >= 0)
                r = policy_file_parse_buffer(f, "/fuzz/50-fuzz.conf.d/dropin.conf", (const char *) data, size, &d);
        if (r == 0)
                (void) policy_file_verify(f, &d);

        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *s = NULL;
                if (policy_diagnostic_format(d.items + i, &s) < 0)
                        break;
        }

        if (r >= 0) {
                _cleanup_free_ char *m = NULL;

                for (size_t i = 0; i < ELEMENTSOF(fuzz_devices); i++) {
                        _cleanup_free_ char *reason = NULL;
                        (void) policy_file_test(f, fuzz_devices + i, &reason);
                }
                (void) policy_file_format_match(f, &m);
                (void) policy_file_shadows(f, f);
        }

        diagnostics_done(&d);
        return 0;
}
