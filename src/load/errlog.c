/*
 * errlog.c - the per-load error log behind Doris's ErrorURL (load stage).
 *
 * Files live at <error_log_dir>/__shard_<n>/error_log_insert_stmt_<txn>_<32 hex digits: 128
 * random bits>, the relative part being what `GET /api/_load_error_log?file=` takes (no login:
 * the name is the capability). Lines follow Doris
 * (RuntimeState::append_error_msg_to_file): "Reason: <reason>. src line [<raw>]; ".
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "internal.h"

/* A raw line longer than this is cut in the log (Doris load_error_log_limit_bytes). */
#define SRC_MAX 4096

/* The name carries 128 random bits (RAND_bytes): it is a capability URL, as in Doris - whoever
 * holds the ErrorURL may read the log, so it must not be guessable. No randomness, no log. */
static bool open_log(sl_errlog *l)
{
    unsigned char rnd[17];
    char hex[33];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return false;
    for (size_t i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i + 1]);
    unsigned shard = rnd[0] % 8;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/__shard_%u", l->dir, shard);
    mkdir(l->dir, 0755);
    mkdir(dir, 0755);
    snprintf(l->name, sizeof l->name, "__shard_%u/error_log_insert_stmt_%llx_%s", shard,
             (unsigned long long)l->txn_id, hex);
    char path[4096 + 200];
    snprintf(path, sizeof path, "%s/%s", l->dir, l->name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || (l->f = fdopen(fd, "w")) == NULL) {
        if (fd >= 0)
            close(fd);
        l->name[0] = '\0';
        return false;
    }
    return true;
}

void sl__errlog_add(sl_errlog *l, const char *reason, sl_slice src)
{
    l->n++;
    if (l->dir == NULL || l->n > SL_ERRLOG_MAX_ROWS + 1)
        return;
    if (l->f == NULL && !open_log(l))
        return;
    if (l->n == SL_ERRLOG_MAX_ROWS + 1) {
        fprintf(l->f, "TOO MUCH ERROR! already reach %d. show no more next error.\n",
                SL_ERRLOG_MAX_ROWS);
        return;
    }
    size_t n = src.n > SRC_MAX ? SRC_MAX : src.n;
    fprintf(l->f, "Reason: %s. src line [%.*s]; %s\n", reason, (int)n, src.p ? src.p : "",
            n < src.n ? "error log is too long" : "");
}

void sl__errlog_close(sl_errlog *l)
{
    if (l->f) {
        fclose(l->f);
        l->f = NULL;
    }
}
