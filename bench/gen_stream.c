/*
 * gen_stream.c - write N bytes of lineitem CSV to stdout by cycling through a file of rows
 * (the 10 GB stream of `make bench`; generated on the fly so nothing 10 GB touches the disk).
 *
 * usage: gen_stream FILE BYTES [array]
 *   array: write the lines of FILE (NDJSON objects) as one JSON array "[o1,o2,...]", the shape
 *   Doris loads with strip_outer_array; otherwise the lines are repeated as they are.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: %s FILE BYTES\n", argv[0]), 2;
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL)
        return perror(argv[1]), 1;
    size_t cap = 64u << 20;
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    while (n > 0 && buf[n - 1] != '\n')
        n--; /* whole rows only */
    unsigned long long want = strtoull(argv[2], NULL, 10), done = 0;
    if (argc > 3 && strcmp(argv[3], "array") == 0) {
        /* one array: '[' then every line with its '\n' turned into ',' except the last */
        if (write(1, "[", 1) != 1)
            return 1;
        while (done < want) {
            for (size_t i = 0; i < n; i++)
                if (buf[i] == '\n')
                    buf[i] = ',';
            size_t k = n;
            if (done + k >= want)
                buf[k - 1] = ']'; /* the last row closes the array */
            for (size_t off = 0; off < k;) {
                ssize_t w = write(1, buf + off, k - off);
                if (w <= 0)
                    return 1;
                off += (size_t)w;
            }
            done += k;
        }
        return 0;
    }
    while (done < want && n) {
        size_t k = n;
        if (want - done < k) { /* end on a row boundary */
            k = (size_t)(want - done);
            while (k < n && buf[k - 1] != '\n')
                k++;
        }
        for (size_t off = 0; off < k;) {
            ssize_t w = write(1, buf + off, k - off);
            if (w <= 0)
                return 1;
            off += (size_t)w;
        }
        done += k;
    }
    return 0;
}
