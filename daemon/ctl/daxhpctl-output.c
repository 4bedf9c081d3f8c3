/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <string.h>

#include "daxhpctl-output.h"

static void sep(JsonWriter *w) {
        if (w->need_comma)
                fputc(',', w->f);
        w->need_comma = false;
}

void json_begin(JsonWriter *w, FILE *f) {
        *w = (JsonWriter) { .f = f };
}

void json_key(JsonWriter *w, const char *key) {
        sep(w);
        json_string(w, key);
        fputc(':', w->f);
        w->need_comma = false;
}

void json_object_open(JsonWriter *w) {
        sep(w);
        fputc('{', w->f);
        w->depth++;
        w->need_comma = false;
}

void json_object_close(JsonWriter *w) {
        fputc('}', w->f);
        w->depth--;
        w->need_comma = true;
}

void json_array_open(JsonWriter *w) {
        sep(w);
        fputc('[', w->f);
        w->depth++;
        w->need_comma = false;
}

void json_array_close(JsonWriter *w) {
        fputc(']', w->f);
        w->depth--;
        w->need_comma = true;
}

void json_quote(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++)
                switch (*p) {
                case '"':  fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\t': fputs("\\t", f); break;
                case '\r': fputs("\\r", f); break;
                default:
                        if (*p < 0x20)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        fputc('"', f);
}

void json_string(JsonWriter *w, const char *s) {
        sep(w);
        json_quote(w->f, s);
        w->need_comma = true;
}

void json_u64(JsonWriter *w, uint64_t v) {
        sep(w);
        fprintf(w->f, "%" PRIu64, v);
        w->need_comma = true;
}

void json_i64(JsonWriter *w, int64_t v) {
        sep(w);
        fprintf(w->f, "%" PRIi64, v);
        w->need_comma = true;
}

void json_bool(JsonWriter *w, bool v) {
        sep(w);
        fputs(v ? "true" : "false", w->f);
        w->need_comma = true;
}

void json_end(JsonWriter *w) {
        fputc('\n', w->f);
        fflush(w->f);
        w->need_comma = false;
}

const char *format_bytes(char *buf, size_t l, uint64_t v) {
        static const char suffix[] = "KMGTPE";
        unsigned i = 0;
        double d = (double) v;

        if (v < 1024) {
                snprintf(buf, l, "%" PRIu64 "B", v);
                return buf;
        }
        while (d >= 1024.0 && i < strlen(suffix)) {
                d /= 1024.0;
                i++;
        }
        snprintf(buf, l, "%.1f%c", d, suffix[i - 1]);
        return buf;
}
