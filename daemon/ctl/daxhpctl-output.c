/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daxhpctl-output.h"
#include "utf8.h"

JsonMode arg_json = JSON_OFF;
bool arg_legend = true;
bool arg_quiet = false;

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
        const unsigned char *p = (const unsigned char *) (s ? s : "");

        fputc('"', f);
        while (*p) {
                size_t n = utf8_valid_len(p);

                if (n == 0) {
                        fputs("\\ufffd", f);
                        p++;
                        continue;
                }
                if (n > 1) {
                        fwrite(p, 1, n, f);
                        p += n;
                        continue;
                }
                switch (*p) {
                case '"':  fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\t': fputs("\\t", f); break;
                case '\r': fputs("\\r", f); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
                p++;
        }
        fputc('"', f);
}

/*
 * --json=pretty: stdout becomes a cookie stream that collects each line (one
 * compact JSON document, as every writer prints) and writes it re-indented
 * to the real stdout. Strings are copied verbatim, so escapes survive.
 */
typedef struct PrettyOut {
        char *buf;
        size_t len, size;
        FILE *real;
} PrettyOut;

static int pretty_emit(PrettyOut *o, const char *line, size_t len) {
        FILE *f = o->real;
        unsigned depth = 0;
        bool in_string = false, escaped = false;

        for (size_t i = 0; i < len; i++) {
                char c = line[i];

                if (in_string) {
                        fputc(c, f);
                        if (escaped)
                                escaped = false;
                        else if (c == '\\')
                                escaped = true;
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                switch (c) {
                case '"':
                        in_string = true;
                        fputc(c, f);
                        break;
                case '{':
                case '[':
                        /* empty containers stay on one line */
                        if (i + 1 < len && (line[i + 1] == '}' || line[i + 1] == ']')) {
                                fputc(c, f);
                                fputc(line[++i], f);
                                break;
                        }
                        depth++;
                        fprintf(f, "%c\n%*s", c, (int) depth * 8, "");
                        break;
                case '}':
                case ']':
                        depth = depth ? depth - 1 : 0;
                        fprintf(f, "\n%*s%c", (int) depth * 8, "", c);
                        break;
                case ',':
                        fprintf(f, ",\n%*s", (int) depth * 8, "");
                        break;
                case ':':
                        fputs(": ", f);
                        break;
                default:
                        fputc(c, f);
                }
        }
        fputc('\n', f);
        return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

static ssize_t pretty_write(void *cookie, const char *data, size_t size) {
        PrettyOut *o = cookie;

        for (size_t i = 0; i < size; i++) {
                if (data[i] == '\n') {
                        size_t l = o->len;

                        o->len = 0;
                        if (pretty_emit(o, o->buf, l) < 0)
                                return -1;
                        continue;
                }
                if (o->len + 1 > o->size) {
                        size_t n = o->size ? o->size * 2 : 4096;
                        char *b = realloc(o->buf, n);
                        if (!b) {
                                errno = ENOMEM;
                                return -1;
                        }
                        o->buf = b;
                        o->size = n;
                }
                o->buf[o->len++] = data[i];
        }
        return (ssize_t) size;
}

static int pretty_close(void *cookie) {
        PrettyOut *o = cookie;
        int r = 0;

        if (o->len > 0)
                r = pretty_emit(o, o->buf, o->len);
        if (fclose(o->real) != 0)
                r = -1;
        free(o->buf);
        free(o);
        return r;
}

static FILE *saved_stdout = NULL;

int json_output_begin(void) {
        static const cookie_io_functions_t io = { .write = pretty_write, .close = pretty_close };
        PrettyOut *o;
        FILE *f;

        if (arg_json != JSON_PRETTY)
                return 0;
        o = calloc(1, sizeof(PrettyOut));
        if (!o)
                return -ENOMEM;
        o->real = fdopen(dup(STDOUT_FILENO), "w");
        f = o->real ? fopencookie(o, "w", io) : NULL;
        if (!f) {
                int r = -errno;

                if (o->real)
                        fclose(o->real);
                free(o);
                return r;
        }
        saved_stdout = stdout;
        stdout = f;
        return 0;
}

int json_output_end(void) {
        int r;

        if (!saved_stdout)
                return 0;
        r = fclose(stdout);
        stdout = saved_stdout;
        saved_stdout = NULL;
        return r == 0 ? 0 : -EIO;
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

void json_null(JsonWriter *w) {
        sep(w);
        fputs("null", w->f);
        w->need_comma = true;
}

void json_strv(JsonWriter *w, char * const *l) {
        json_array_open(w);
        for (size_t i = 0; l && l[i]; i++)
                json_string(w, l[i]);
        json_array_close(w);
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
