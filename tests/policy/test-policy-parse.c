/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Parser: every [Policy] key and its default, every diagnostic with its
 * exact "path:line: message" text. */

#include "policy-internal.h"
#include "test-util.h"

/* Parses text as t.conf (then the whole-file checks, as the loader does)
 * and returns the diagnostics, one formatted per line. */
static char *parse_diag(const char *text, size_t len, PolicyFile **ret) {
        _cleanup_(policy_file_freep) PolicyFile *f = NULL;
        Diagnostics d = {};
        StrBuf b = {};
        int r;

        ASSERT_EQ(policy_file_new("t.conf", &f), 0);
        r = policy_file_parse_buffer(f, "t.conf", text, len, &d);
        ASSERT_TRUE(r >= 0);
        if (r == 0)
                ASSERT_TRUE(policy_file_verify(f, &d) >= 0);
        ASSERT_EQ(d.n_errors > 0, r > 0 || !f->state_set);
        ASSERT_EQ((size_t) r, r > 0 ? d.n_errors : 0);

        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *s = NULL;
                ASSERT_EQ(policy_diagnostic_format(d.items + i, &s), 0);
                strbuf_append(&b, "%s%s", i ? "\n" : "", s);
        }
        diagnostics_done(&d);
        if (ret)
                *ret = TAKE_PTR(f);
        return strbuf_steal(&b);
}

static const struct {
        const char *text;
        const char *diag;
} diag_table[] = {
        /* structure */
        { "[Foo]\nX=1\n[Policy]\nState=devdax\n",
          "t.conf:1: Unknown section [Foo]" },
        { "[match]\n[Policy]\nState=devdax\n",
          "t.conf:1: Unknown section [match]" },
        { "[Match]\nFoo=bar\n[Policy]\nState=devdax\n",
          "t.conf:2: Unknown key 'Foo' in section [Match]" },
        { "[Policy]\nState=devdax\nBar=1\n",
          "t.conf:3: Unknown key 'Bar' in section [Policy]" },
        { "[Policy]\nstate=devdax\nState=devdax\n",
          "t.conf:2: Unknown key 'state' in section [Policy]" },
        { "[Match]\nState=devdax\n",
          "t.conf:2: Unknown key 'State' in section [Match]" },
        { "State=devdax\n[Policy]\nState=devdax\n",
          "t.conf:1: Assignment outside of any section" },
        { "[Policy]\nState devdax\n",
          "t.conf:2: Missing '=', expected KEY=VALUE" },
        { "[Policy]\nState: devdax\n",
          "t.conf:2: Missing '=', expected KEY=VALUE" },
        { "[Policy]\n=devdax\n",
          "t.conf:2: Missing key name before '='" },
        { "[Policy]\nSta:te=devdax\n",
          "t.conf:2: Invalid key name 'Sta:te'" },
        { "[Policy]\nState=devdax\n[Match\nName=x\n",
          "t.conf:3: Invalid section header, missing ']'" },
        { "[Policy] State=devdax\n",
          "t.conf:1: Invalid section header, text after ']'" },
        /* single-value keys: at most once per file */
        { "[Policy]\nState=devdax\n\nState=ignore\n",
          "t.conf:4: Duplicate State=, already set on line 2" },
        { "[Policy]\nState=devdax\nRetries=1\n[Policy]\nRetries=2\n",
          "t.conf:5: Duplicate Retries=, already set on line 3" },
        { "[Policy]\nState=devdax\nTimeoutSec=1s\nTimeoutSec=\n",
          "t.conf:4: Duplicate TimeoutSec=, already set on line 3" },
        /* bad [Policy] values */
        { "[Policy]\nState=offline\n",
          "t.conf:2: Invalid State= value 'offline', expected online_movable, online_kernel, online, "
          "unplugged, devdax or ignore" },
        { "[Policy]\nState=devdax\nMemmapOnMemory=maybe\n",
          "t.conf:3: Invalid MemmapOnMemory= value 'maybe', expected a boolean" },
        { "[Policy]\nState=devdax\nOnDrift=ignore\n",
          "t.conf:3: Invalid OnDrift= value 'ignore', expected reapply or report" },
        { "[Policy]\nState=devdax\nTimeoutSec=5 parsecs\n",
          "t.conf:3: Invalid TimeoutSec= value '5 parsecs', expected a time span such as 30s, 2min, 500ms or infinity" },
        { "[Policy]\nState=devdax\nTimeoutSec=-1\n",
          "t.conf:3: Invalid TimeoutSec= value '-1', expected a time span such as 30s, 2min, 500ms or infinity" },
        { "[Policy]\nState=devdax\nTimeoutSec=1min 30 parsecs\n",
          "t.conf:3: Invalid TimeoutSec= value '1min 30 parsecs', expected a time span such as 30s, 2min, 500ms or infinity" },
        { "[Policy]\nState=devdax\nTimeoutSec=99999999999999999999s\n",
          "t.conf:3: Invalid TimeoutSec= value '99999999999999999999s', expected a time span such as 30s, 2min, 500ms or infinity" },
        { "[Policy]\nState=devdax\nRetries=-1\n",
          "t.conf:3: Invalid Retries= value '-1', expected a non-negative integer" },
        { "[Policy]\nState=devdax\nRetries=4294967296\n",
          "t.conf:3: Invalid Retries= value '4294967296', expected a non-negative integer" },
        { "[Policy]\nState=devdax\nRetryDelaySec=infinity\n",
          "t.conf:3: Invalid RetryDelaySec= value 'infinity', expected a time span such as 1s or 500ms" },
        { "[Policy]\nState=devdax\nMaxMovablePercent=lots\n",
          "t.conf:3: Invalid MaxMovablePercent= value 'lots', expected a percentage such as 301% (0: no limit)" },
        { "[Policy]\nState=devdax\nMaxMovablePercent=-5%\n",
          "t.conf:3: Invalid MaxMovablePercent= value '-5%', expected a percentage such as 301% (0: no limit)" },
        /* bad [Match] values */
        { "[Match]\nTargetNode=x\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid TargetNode= value 'x': expected a node number or a range like 2-3" },
        { "[Match]\nTargetNode=1 3-2\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid TargetNode= value '3-2': node out of range or range start above its end" },
        { "[Match]\nTargetNode=-1\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid TargetNode= value '-1': expected a node number or a range like 2-3" },
        { "[Match]\nMemdevSerial=abc\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid MemdevSerial= value 'abc': expected a serial number, decimal or 0x-hex (as cxl list or the memdev's serial attribute print it)" },
        { "[Match]\nMemdevSerial=-1\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid MemdevSerial= value '-1': expected a serial number, decimal or 0x-hex (as cxl list or the memdev's serial attribute print it)" },
        { "[Match]\nMemdevSerial=0x\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid MemdevSerial= value '0x': expected a serial number, decimal or 0x-hex (as cxl list or the memdev's serial attribute print it)" },
        { "[Match]\nMemdevSerial=012\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid MemdevSerial= value '012': expected a serial number, decimal or 0x-hex (as cxl list or the memdev's serial attribute print it)" },
        { "[Match]\nMemdevSerial=0x10g\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid MemdevSerial= value '0x10g': expected a serial number, decimal or 0x-hex (as cxl list or the memdev's serial attribute print it)" },
        { "[Match]\nMemdevSerial=0x10000000000000000\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid MemdevSerial= value '0x10000000000000000': serial number above 64 bits" },
        { "[Match]\nMemdevSerial=18446744073709551616\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid MemdevSerial= value '18446744073709551616': serial number above 64 bits" },
        { "[Match]\nSize=4Q\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Size= value '4Q': expected a size or a range like 4G, 4G..64G or ..1T" },
        { "[Match]\nSize=..\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Size= value '..': expected a size or a range like 4G, 4G..64G or ..1T" },
        { "[Match]\nSize=64G..4G\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Size= value '64G..4G': size too large or range start above its end" },
        { "[Match]\nSize=100000E\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Size= value '100000E': size too large or range start above its end" },
        { "[Match]\nProperty=ID_VENDOR\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Property= value 'ID_VENDOR': expected KEY=GLOB" },
        { "[Match]\nProperty==acme\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Property= value '=acme': expected KEY=GLOB" },
        { "[Match]\nName=!\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Name= value '!': no pattern after '!'" },
        { "[Match]\nName=\"dax0.0\n[Policy]\nState=devdax\n",
          "t.conf:2: Invalid Name= value: unterminated quote" },
        /* the file as a whole */
        { "[Match]\nName=dax0.0\n",
          "t.conf: No State= in [Policy]: every policy file must set it" },
        { "[Policy]\nState=\n",
          "t.conf: No State= in [Policy]: every policy file must set it" },
        { "# only a comment\n",
          "t.conf: No State= in [Policy]: every policy file must set it" },
        /* every error is reported, not just the first */
        { "[Match]\nName=a\nFoo=1\n[Bar]\nBaz=2\n[Policy]\nState=x\nRetries=y\n",
          "t.conf:3: Unknown key 'Foo' in section [Match]\n"
          "t.conf:4: Unknown section [Bar]\n"
          "t.conf:7: Invalid State= value 'x', expected online_movable, online_kernel, online, unplugged, devdax or ignore\n"
          "t.conf:8: Invalid Retries= value 'y', expected a non-negative integer" },
        /* warnings: literal values outside the vocabulary of Mode=/Provider= */
        { "[Match]\nMode=sytem-ram devdax\nProvider=!nvdimm cxl*\n[Policy]\nState=devdax\n",
          "t.conf:2: Mode=sytem-ram is not a known value (devdax, system-ram, unbound), it only matches if reported as such\n"
          "t.conf:3: Provider=nvdimm is not a known value (hmem, cxl, pmem), it only matches if reported as such" },
        /* clean files */
        { "\xef\xbb\xbf# BOM, comments, blank lines, indentation\n"
          "; semicolon comment\n"
          "\n"
          "  [Match]  \n"
          "\tName = dax0.0   ; trailing comment\r\n"
          "[Policy]\n"
          "  State=devdax\n",
          "" },
        { "[Policy]\nState=ignore", "" },
};

static void test_diagnostics(void) {
        for (size_t i = 0; i < ELEMENTSOF(diag_table); i++) {
                _cleanup_free_ char *got = parse_diag(diag_table[i].text, strlen(diag_table[i].text), NULL);

                if (strcmp(got, diag_table[i].diag) != 0)
                        fprintf(stderr, "case %zu:\n%s\n", i, diag_table[i].text);
                ASSERT_STREQ(got, diag_table[i].diag);
        }
}

static void test_special_lines(void) {
        char long_line[400], text[512];
        _cleanup_free_ char *got = NULL, *got2 = NULL;

        memset(long_line, 'x', sizeof(long_line) - 1);
        long_line[sizeof(long_line) - 1] = '\0';
        memcpy(long_line, "Name=", 5);
        snprintf(text, sizeof(text), "[Match]\n%s\n[Policy]\nState=devdax\n", long_line);
        got = parse_diag(text, strlen(text), NULL);
        ASSERT_STREQ(got, "t.conf:2: Line too long (more than 198 bytes)");

        static const char nul[] = "[Policy]\nState=devdax\nRetries=1\0x\n";
        got2 = parse_diag(nul, sizeof(nul) - 1, NULL);
        ASSERT_STREQ(got2, "t.conf:3: Line contains a NUL byte");
}

static Policy parse_policy(const char *policy_lines) {
        _cleanup_(policy_file_freep) PolicyFile *f = NULL;
        _cleanup_free_ char *text = NULL, *got = NULL;
        Policy p;

        ASSERT_TRUE(asprintf(&text, "[Policy]\n%s", policy_lines) > 0);
        got = parse_diag(text, strlen(text), &f);
        ASSERT_STREQ(got, "");
        p = f->policy;
        return p;
}

static void test_policy_keys(void) {
        static const struct {
                const char *value;
                PolicyState state;
        } states[] = {
                { "online_movable", POLICY_STATE_ONLINE_MOVABLE },
                { "online_kernel",  POLICY_STATE_ONLINE_KERNEL },
                { "online",         POLICY_STATE_ONLINE },
                { "unplugged",      POLICY_STATE_UNPLUGGED },
                { "devdax",         POLICY_STATE_DEVDAX },
                { "ignore",         POLICY_STATE_IGNORE },
        };
        static const struct {
                const char *line;
                int memmap;
        } memmaps[] = {
                { "", -1 }, { "MemmapOnMemory=\n", -1 },
                { "MemmapOnMemory=yes\n", 1 }, { "MemmapOnMemory=true\n", 1 }, { "MemmapOnMemory=1\n", 1 },
                { "MemmapOnMemory=on\n", 1 }, { "MemmapOnMemory=no\n", 0 }, { "MemmapOnMemory=false\n", 0 },
                { "MemmapOnMemory=0\n", 0 }, { "MemmapOnMemory=off\n", 0 },
        };
        static const struct {
                const char *line;
                uint64_t usec;
        } timeouts[] = {
                { "", 60 * USEC_PER_SEC },
                { "TimeoutSec=\n", 60 * USEC_PER_SEC },
                { "TimeoutSec=30\n", 30 * USEC_PER_SEC },
                { "TimeoutSec=30s\n", 30 * USEC_PER_SEC },
                { "TimeoutSec=2min\n", 120 * USEC_PER_SEC },
                { "TimeoutSec=500ms\n", 500 * USEC_PER_MSEC },
                { "TimeoutSec=1min 30s\n", 90 * USEC_PER_SEC },
                { "TimeoutSec=1h\n", 3600 * USEC_PER_SEC },
                { "TimeoutSec=1.5s\n", 1500 * USEC_PER_MSEC },
                { "TimeoutSec=250us\n", 250 },
                { "TimeoutSec=infinity\n", POLICY_USEC_INFINITY },
                { "TimeoutSec=0\n", POLICY_USEC_INFINITY },
        };
        static const struct {
                const char *line;
                uint64_t usec;
        } delays[] = {
                { "", USEC_PER_SEC },
                { "RetryDelaySec=\n", USEC_PER_SEC },
                { "RetryDelaySec=2\n", 2 * USEC_PER_SEC },
                { "RetryDelaySec=500ms\n", 500 * USEC_PER_MSEC },
                { "RetryDelaySec=0\n", 0 },
        };
        char buf[128];
        Policy p;

        for (size_t i = 0; i < ELEMENTSOF(states); i++) {
                snprintf(buf, sizeof(buf), "State=%s\n", states[i].value);
                p = parse_policy(buf);
                ASSERT_EQ(p.state, states[i].state);
                ASSERT_STREQ(policy_state_to_string(states[i].state), states[i].value);
                ASSERT_EQ(policy_state_from_string(states[i].value), states[i].state);
        }
        ASSERT_EQ(policy_state_from_string("bogus"), _POLICY_STATE_INVALID);
        ASSERT_TRUE(policy_state_to_string(_POLICY_STATE_MAX) == NULL);

        /* defaults */
        p = parse_policy("State=devdax\n");
        ASSERT_EQ(p.memmap_on_memory, -1);
        ASSERT_EQ(p.on_drift, POLICY_ON_DRIFT_REAPPLY);
        ASSERT_EQ(p.timeout_usec, POLICY_DEFAULT_TIMEOUT_USEC);
        ASSERT_EQ(p.retries, 0);
        ASSERT_EQ(p.retry_delay_usec, POLICY_DEFAULT_RETRY_DELAY_USEC);

        for (size_t i = 0; i < ELEMENTSOF(memmaps); i++) {
                snprintf(buf, sizeof(buf), "State=devdax\n%s", memmaps[i].line);
                ASSERT_EQ(parse_policy(buf).memmap_on_memory, memmaps[i].memmap);
        }
        for (size_t i = 0; i < ELEMENTSOF(timeouts); i++) {
                snprintf(buf, sizeof(buf), "State=devdax\n%s", timeouts[i].line);
                ASSERT_EQ(parse_policy(buf).timeout_usec, timeouts[i].usec);
        }
        for (size_t i = 0; i < ELEMENTSOF(delays); i++) {
                snprintf(buf, sizeof(buf), "State=devdax\n%s", delays[i].line);
                ASSERT_EQ(parse_policy(buf).retry_delay_usec, delays[i].usec);
        }

        ASSERT_EQ(parse_policy("State=devdax\nOnDrift=report\n").on_drift, POLICY_ON_DRIFT_REPORT);
        ASSERT_EQ(parse_policy("State=devdax\nOnDrift=reapply\n").on_drift, POLICY_ON_DRIFT_REAPPLY);
        ASSERT_EQ(parse_policy("State=devdax\nOnDrift=\n").on_drift, POLICY_ON_DRIFT_REAPPLY);
        ASSERT_STREQ(policy_on_drift_to_string(POLICY_ON_DRIFT_REPORT), "report");
        ASSERT_EQ(policy_on_drift_from_string("x"), _POLICY_ON_DRIFT_INVALID);
        ASSERT_EQ(parse_policy("State=devdax\nRetries=3\n").retries, 3);
        ASSERT_EQ(parse_policy("State=devdax\nRetries=\n").retries, 0);
        ASSERT_EQ(parse_policy("State=devdax\nRetries=4294967295\n").retries, 4294967295U);
        ASSERT_EQ(p.max_movable_percent, -1);
        ASSERT_EQ(parse_policy("State=devdax\nMaxMovablePercent=400%\n").max_movable_percent, 400);
        ASSERT_EQ(parse_policy("State=devdax\nMaxMovablePercent=150\n").max_movable_percent, 150);
        ASSERT_EQ(parse_policy("State=devdax\nMaxMovablePercent=0\n").max_movable_percent, 0);
        ASSERT_EQ(parse_policy("State=devdax\nMaxMovablePercent=\n").max_movable_percent, -1);
}

static void test_timespan_format(void) {
        static const struct {
                uint64_t usec;
                const char *text;
        } table[] = {
                { 0, "0" },
                { 30 * USEC_PER_SEC, "30s" },
                { 90 * USEC_PER_SEC, "1min 30s" },
                { 500 * USEC_PER_MSEC, "500ms" },
                { 3600 * USEC_PER_SEC + 1, "1h 1us" },
                { 2 * 86400 * USEC_PER_SEC, "2d" },
                { POLICY_USEC_INFINITY, "infinity" },
        };
        char buf[64];
        uint64_t u;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                ASSERT_STREQ(policy_format_timespan(buf, sizeof(buf), table[i].usec), table[i].text);
                ASSERT_EQ(policy_parse_timespan(table[i].text, &u), 0);
                ASSERT_EQ(u, table[i].usec);
        }
        ASSERT_EQ(policy_parse_timespan("", &u), -EINVAL);
        ASSERT_EQ(policy_parse_timespan("s", &u), -EINVAL);
        ASSERT_EQ(policy_parse_timespan("1 2s", &u), 0); /* the first number may omit the unit... */
        ASSERT_EQ(u, 3 * USEC_PER_SEC);
        /* as systemd's parse_sec(): a number without a unit is seconds, anywhere */
        static const struct {
                const char *text;
                uint64_t usec;
        } systemd[] = {
                { "1min30", 90 * USEC_PER_SEC },
                { "5min 2", 302 * USEC_PER_SEC },
                { "2w", 14 * 86400 * USEC_PER_SEC },
                { "1.5h", 5400 * USEC_PER_SEC },
                { "1y", 31557600 * USEC_PER_SEC },
                { "2M", 2 * 2629800 * USEC_PER_SEC },
                { "1h30m", 5400 * USEC_PER_SEC },
                { "300ms", 300 * USEC_PER_MSEC },
        };
        for (size_t i = 0; i < ELEMENTSOF(systemd); i++) {
                ASSERT_EQ(policy_parse_timespan(systemd[i].text, &u), 0);
                ASSERT_EQ(u, systemd[i].usec);
        }
        ASSERT_EQ(policy_parse_timespan("1min30x", &u), -EINVAL);
        ASSERT_EQ(policy_parse_timespan("1..2s", &u), -EINVAL);
}

static void test_sizes(void) {
        static const struct {
                const char *text;
                int r;
                uint64_t lo, hi;
        } table[] = {
                { "4096", 0, 4096, 4096 },
                { "4K", 0, 4096, 4096 },
                { "4KiB", 0, 4096, 4096 },
                { "512B", 0, 512, 512 },
                { "2M", 0, UINT64_C(2) << 20, UINT64_C(2) << 20 },
                { "4G..64G", 0, UINT64_C(4) << 30, UINT64_C(64) << 30 },
                { "..1T", 0, 0, UINT64_C(1) << 40 },
                { "1P..", 0, UINT64_C(1) << 50, UINT64_MAX },
                { "15E", 0, UINT64_C(15) << 60, UINT64_C(15) << 60 },
                { "16E", -ERANGE, 0, 0 },
                { "4g", -EINVAL, 0, 0 },
                { "G", -EINVAL, 0, 0 },
                { "4G..", 0, UINT64_C(4) << 30, UINT64_MAX },
                /* as systemd: "B" after the unit, fractions of the unit */
                { "4GB", 0, UINT64_C(4) << 30, UINT64_C(4) << 30 },
                { "1.5G", 0, UINT64_C(3) << 29, UINT64_C(3) << 29 },
                { "0.5K..1.25M", 0, 512, UINT64_C(1310720) },
                { "1.G", -EINVAL, 0, 0 },
                { "4GBB", -EINVAL, 0, 0 },
                { "4G...8G", -EINVAL, 0, 0 },
                { "8G..4G", -ERANGE, 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t lo = 0, hi = 0;

                ASSERT_EQ(parse_size_range(table[i].text, &lo, &hi), table[i].r);
                if (table[i].r == 0) {
                        ASSERT_EQ(lo, table[i].lo);
                        ASSERT_EQ(hi, table[i].hi);
                }
        }
}

int main(void) {
        test_diagnostics();
        test_special_lines();
        test_policy_keys();
        test_timespan_format();
        test_sizes();
        TEST_DONE("test-policy-parse");
}
