/*
 * sqlite_loader.c - the SQLite single-writer ceiling: a minimal C loader of prepared inserts in
 * one transaction, typed as sluice stores lineitem (reference tool of `make bench`).
 *
 * usage: sqlite_loader DB FILE.csv   (table lineitem must exist; splits on ',' and '\n')
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: %s DB FILE\n", argv[0]), 2;
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK)
        return 1;
    int fd = open(argv[2], O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0)
        return 1;
    const char *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0), *end = p + sb.st_size;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db, "INSERT INTO lineitem VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
                           &st, NULL) != SQLITE_OK)
        return fprintf(stderr, "%s\n", sqlite3_errmsg(db)), 1;
    long rows = 0;
    while (p < end) {
        for (int c = 1; c <= 16; c++) {
            const char *e = p;
            while (e < end && *e != ',' && *e != '\n')
                e++;
            if (c <= 4)
                sqlite3_bind_int64(st, c, strtoll(p, NULL, 10));
            else if (c <= 8)
                sqlite3_bind_double(st, c, strtod(p, NULL));
            else
                sqlite3_bind_text(st, c, p, (int)(e - p), SQLITE_STATIC);
            p = e + 1;
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            return fprintf(stderr, "%s\n", sqlite3_errmsg(db)), 1;
        sqlite3_reset(st);
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    printf("%ld rows\n", rows);
    return 0;
}
