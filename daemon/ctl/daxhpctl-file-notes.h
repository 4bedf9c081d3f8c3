/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A list of "file:line: text" notes as the Manager publishes them in an
 * a(sus) property: PolicyErrors (file, line, message) and CompetingAgents
 * (file, line, kind).
 */

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct FileNote {
        char *file;
        uint32_t line;
        char *text;
} FileNote;

typedef struct FileNotes {
        FileNote *items;
        size_t n;
} FileNotes;

void file_notes_done(FileNotes *notes);
/* Read an a(sus) property's variant (m positioned at its "v"), appending to notes. */
int file_notes_read(sd_bus_message *m, FileNotes *notes);
