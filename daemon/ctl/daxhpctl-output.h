/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Printing for daxhpctl: one JSON object per line with --json, text otherwise. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The options every verb shares (daxhpctl.c sets them). */
typedef enum JsonMode {
        JSON_OFF,
        JSON_SHORT,  /* one document per line */
        JSON_PRETTY, /* the same documents, indented */
} JsonMode;

extern JsonMode arg_json;
extern bool arg_legend;
extern bool arg_quiet;

/* With --json=pretty, stdout re-indents each line (one JSON document) as it is
 * written, so every writer and monitor's stream come out pretty alike. */
int json_output_begin(void);
/* Writes out and closes that stream; -EIO if stdout failed. */
int json_output_end(void);

typedef struct JsonWriter {
        FILE *f;
        unsigned depth;
        bool need_comma;
} JsonWriter;

void json_begin(JsonWriter *w, FILE *f);
void json_key(JsonWriter *w, const char *key);
void json_object_open(JsonWriter *w);
void json_object_close(JsonWriter *w);
void json_array_open(JsonWriter *w);
void json_array_close(JsonWriter *w);
void json_string(JsonWriter *w, const char *s);
/* s as a JSON string literal ("" for NULL), without any separator. Always
 * valid UTF-8: a byte that is not part of a valid sequence becomes U+FFFD. */
void json_quote(FILE *f, const char *s);
void json_u64(JsonWriter *w, uint64_t v);
void json_i64(JsonWriter *w, int64_t v);
void json_bool(JsonWriter *w, bool v);
void json_null(JsonWriter *w);
/* A string array; NULL is the empty array. */
void json_strv(JsonWriter *w, char * const *l);
/* Ends the top-level value with a newline and flushes. */
void json_end(JsonWriter *w);

/* "1.0G", "512M": human size for tables. */
const char *format_bytes(char *buf, size_t l, uint64_t v);
