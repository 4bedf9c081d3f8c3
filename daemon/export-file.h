/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Replace a small text file that another program reads on its own schedule
 * (node-exporter's textfile collector, node-feature-discovery's local
 * source): the reader must see the old file or the new one, never a part.
 */

#include <stddef.h>

/*
 * Writes text to a temporary file named ".<basename>.XXXXXX" in tmp_dir
 * (NULL: path's directory; the name never matches node-exporter's "*.prom"
 * glob, but NFD reads every file of features.d, so its temporary file must
 * live outside, on the same file system),
 * makes it mode 0644 (the readers run as other users; daxhpd's unit has
 * UMask=0077), and renames it over path. No fsync: the readers only ever
 * see the page cache, and after a crash the next change rewrites the file.
 * -ENOENT when a directory does not exist.
 */
int export_file_replace(const char *path, const char *tmp_dir, const char *text, size_t len);
