/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daxhpctl-file-notes.h"

void file_notes_done(FileNotes *notes) {
        for (size_t i = 0; i < notes->n; i++) {
                free(notes->items[i].file);
                free(notes->items[i].text);
        }
        free(notes->items);
        *notes = (FileNotes) {};
}

static int file_notes_append(FileNotes *notes, const char *file, uint32_t line, const char *text) {
        FileNote *n = realloc(notes->items, sizeof(FileNote) * (notes->n + 1));

        if (!n)
                return -ENOMEM;
        notes->items = n;
        /* Counted before the copies are checked, so that file_notes_done() frees either. */
        n[notes->n++] = (FileNote) { .file = strdup(file), .line = line, .text = strdup(text) };
        if (!n[notes->n - 1].file || !n[notes->n - 1].text)
                return -ENOMEM;
        return 0;
}

int file_notes_read(sd_bus_message *m, FileNotes *notes) {
        const char *file, *text;
        uint32_t line;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(sus)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(sus)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(sus)", &file, &line, &text)) > 0) {
                r = file_notes_append(notes, file, line, text);
                if (r < 0)
                        return r;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}
