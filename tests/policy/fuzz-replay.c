/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Replays fuzz inputs (files, or directories of files) through the libFuzzer
 * entry point, so that the corpus runs in normal test builds with gcc. */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0, k;

        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: cannot open\n", path);
                return -1;
        }
        do {
                if (allocated - n < 4096) {
                        char *t = realloc(buf, allocated + 65536);
                        if (!t)
                                return -1;
                        buf = t;
                        allocated += 65536;
                }
                k = fread(buf + n, 1, allocated - n, f);
                n += k;
        } while (k > 0);

        LLVMFuzzerTestOneInput((const uint8_t *) buf, n);
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: cannot stat\n", argv[i]);
                        return EXIT_FAILURE;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (replay_file(argv[i]) < 0)
                                return EXIT_FAILURE;
                        count++;
                        continue;
                }

                struct dirent **names;
                int n = scandir(argv[i], &names, NULL, alphasort);
                if (n < 0)
                        return EXIT_FAILURE;
                for (int j = 0; j < n; j++) {
                        _cleanup_free_ char *p = NULL;

                        if (names[j]->d_name[0] != '.' && asprintf(&p, "%s/%s", argv[i], names[j]->d_name) >= 0) {
                                if (replay_file(p) < 0)
                                        return EXIT_FAILURE;
                                count++;
                        }
                        free(names[j]);
                }
                free(names);
        }

        printf("replayed %u inputs\n", count);
        return EXIT_SUCCESS;
}
