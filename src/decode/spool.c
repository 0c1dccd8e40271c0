/*
 * spool.c - the temporary file a Parquet or ORC body waits in (decode stage, issue 15).
 *
 * Both formats put their metadata at the end of the file, so nothing can be decoded before the
 * last byte arrives. The body goes to disk, never to memory: an unlinked file in the data
 * directory, created with mkstemp and removed from the directory at once, so it disappears
 * when closed on every path (success, error, cancel, even kill -9). Its size is bounded by the
 * same limit as the body (streaming_load_max_mb).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columnar.h"

sl_code sl__spool_open(sl__spool *s, const char *dir, uint64_t max, const char *what, sl_err *err)
{
    s->fd = -1;
    s->size = 0;
    s->max = max;
    s->what = what;
    if (dir == NULL || dir[0] == '\0' || max == 0)
        return sl_fail(err, SL_FORMAT, "format %s needs a spool directory, which this protocol "
                                       "does not provide",
                       what);
    char path[1200];
    int k = snprintf(path, sizeof path, "%s/.spool-%s-XXXXXX", dir, what);
    if (k < 0 || (size_t)k >= sizeof path)
        return sl_fail(err, SL_BACKEND, "spool path too long");
    int fd = mkstemp(path);
    if (fd < 0)
        return sl_fail(err, SL_BACKEND, "cannot create a spool file in %s: %s", dir,
                       strerror(errno));
    unlink(path); /* nameless from now on: closing the descriptor frees the space */
    s->fd = fd;
    return SL_OK;
}

sl_code sl__spool_write(sl__spool *s, const void *p, size_t n, sl_err *err)
{
    if (n > s->max - s->size)
        return sl_fail(err, SL_TOO_LARGE,
                       "%s body exceeds %llu bytes (streaming_load_max_mb); a %s file is "
                       "spooled whole before it is read",
                       s->what, (unsigned long long)s->max, s->what);
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(s->fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return sl_fail(err, SL_BACKEND, "cannot write the %s spool file: %s", s->what,
                           w < 0 ? strerror(errno) : "no space");
        c += w;
        n -= (size_t)w;
        s->size += (uint64_t)w;
    }
    return SL_OK;
}

sl_code sl__spool_read(const sl__spool *s, uint64_t off, size_t n, void *dst, sl_err *err)
{
    if (off > s->size || n > s->size - off)
        return sl_fail(err, SL_INVALID, "%s file is truncated: %zu bytes at offset %llu are "
                                        "beyond its end (%llu bytes)",
                       s->what, n, (unsigned long long)off, (unsigned long long)s->size);
    char *d = dst;
    while (n > 0) {
        ssize_t r = pread(s->fd, d, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return sl_fail(err, SL_BACKEND, "cannot read the %s spool file: %s", s->what,
                           r < 0 ? strerror(errno) : "short read");
        d += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return SL_OK;
}

void sl__spool_close(sl__spool *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
