/*
 * job.c - drives one load through the pipeline (load stage). See load.h for the flow.
 *
 *   body bytes -> decoder.push -> raw batch -> mapper -> typed batch -> store.append
 *
 * The typed batch borrows text from the decoder's current chunk, so it is flushed before the
 * decoder is pushed again: memory is one chunk plus one batch, whatever the body size.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "../decode/decompress.h"
#include "../sql/sql.h"
#include "internal.h"

struct sl_job {
    sl_job_env env;
    const sl_load_spec *spec;
    sl_arena_t arena;               /* job lifetime: table definition, mapping */
    sl_tabledef *def;
    int64_t table_id;
    sl_txn *txn;                    /* NULL once committed or aborted */
    const sl_decoder_vtab *dec;
    void *dec_state;
    bool dec_open;
    sl_decomp *unzip;               /* NULL when the body is not compressed */
    sl_rawbatch rb;
    sl_batch batch;
    sl_mapper map;
    sl_errlog log;
    sl_load_result res;
    uint64_t t0_ms;
    uint64_t start_wall_ms;
    _Atomic uint64_t written;       /* rows appended to the store (read by other threads) */
    void *watch;                    /* the observer's token (env.obs) */
    bool watch_ended;               /* the observer heard the end */
    bool finished;
    bool discard;                   /* the load can no longer succeed: stop writing rows */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

sl_code sl_catalog_table(const sl_job_env *env, sl_slice db, sl_slice table, sl_arena_t *a,
                         sl_tabledef **def, int64_t *table_id, sl_err *err)
{
    return sl_store_table_def(env->store, db, table, a, def, table_id, err);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void job_fail(sl_job *j, sl_code c, const char *msg)
{
    sl_fail(&j->res.err, c, "%s", msg);
}

sl_code sl_job_begin(const sl_job_env *env, const sl_load_spec *spec, sl_job **out,
                     sl_load_result *res)
{
    memset(res, 0, sizeof *res);
    res->txn_id = -1;
    res->existing.txn_id = -1;
    *out = NULL;
    sl_job *j = sl_calloc(sizeof *j);
    if (j == NULL)
        return sl_fail(&res->err, SL_NOMEM, "out of memory");
    j->env = *env;
    j->spec = spec;
    if (env->obs && env->obs->begin)
        j->watch = env->obs->begin(env->obs->u, spec);
    j->t0_ms = mono_ms();
    j->start_wall_ms = spec->start_wall_ms ? spec->start_wall_ms : wall_ms();
    j->res.txn_id = -1;
    j->res.existing.txn_id = -1;
    sl_arena_init(&j->arena, 16384);
    sl_err *err = &j->res.err;
    sl_code rc;

    if (!spec->typed) {
        j->dec = sl_decoder_find(spec->format.p ? spec->format : SL_LIT("csv"));
        if (j->dec == NULL) {
            rc = sl_fail(err, SL_FORMAT, "unknown data format, format=%.*s",
                         (int)spec->format.n, spec->format.p);
            goto fail;
        }
    }
    if (spec->compress_type.p && spec->compress_type.n &&
        (rc = sl_decomp_open(spec->compress_type, &j->unzip, err)) != SL_OK)
        goto fail;
    if ((rc = sl_catalog_table(env, spec->db, spec->table, &j->arena, &j->def, &j->table_id,
                               err)) != SL_OK)
        goto fail;
    j->log.dir = env->error_log_dir;
    j->map.seq_col = -1;
    if (!spec->typed &&
        (rc = sl__mapper_init(&j->map, j->def, spec, &j->arena, &j->log, err)) != SL_OK)
        goto fail;
    if (!spec->typed && (rc = sl_batch_init(&j->batch, j->def)) != SL_OK) {
        sl_fail(err, rc, "out of memory");
        goto fail;
    }
    uint64_t t1 = mono_ms();
    j->res.plan_ms = t1 - j->t0_ms;
    sl_begin_opts bo = {.db = spec->db,
                        .table = spec->table,
                        .def = j->def,
                        .table_id = j->table_id,
                        .label = spec->label,
                        .user = spec->user,
                        .timeout_s = spec->timeout_s,
                        .seq_col = j->map.seq_col,
                        .replace = spec->replace_table,
                        .partial = j->map.col_mask != 0,
                        .two_phase = spec->two_phase};
    j->batch.col_mask = j->map.col_mask;
    if ((rc = sl_store_begin(env->store, &bo, &j->txn, &j->res.existing, err)) != SL_OK)
        goto fail;
    j->res.txn_id = sl_store_txn_id(j->txn);
    j->log.txn_id = j->res.txn_id;
    j->res.begin_ms = mono_ms() - t1;
    if (spec->typed) {
        *out = j;
        *res = j->res;
        return SL_OK;
    }
    j->dec_state = sl_arena_alloc(&j->arena, j->dec->state_size);
    if (j->dec_state == NULL) {
        rc = sl_fail(err, SL_NOMEM, "out of memory");
        goto fail;
    }
    memset(j->dec_state, 0, j->dec->state_size);
    if ((rc = j->dec->open(j->dec_state, &spec->dopts, err)) != SL_OK)
        goto fail;
    j->dec_open = true;
    *out = j;
    *res = j->res;
    return SL_OK;
fail:
    *res = j->res;
    sl_job_free(j);
    return rc;
}

/* The flush callback of the mapper: rows to the store, unless the load cannot succeed. */
static sl_code flush_batch(void *arg, sl_batch *b)
{
    sl_job *j = arg;
    if (j->spec->max_filter_ratio <= 0 && j->map.filtered > 0)
        j->discard = true; /* zero tolerance: the load will fail, skip the writes */
    if (!j->discard && b->n_rows) {
        uint64_t t = mono_ms();
        sl_code rc = sl_store_append(j->txn, b, &j->res.err);
        j->res.write_ms += mono_ms() - t;
        if (rc != SL_OK)
            return rc;
        uint64_t w = atomic_fetch_add(&j->written, (uint64_t)b->n_rows) + b->n_rows;
        sl_store_progress(j->txn, j->res.bytes, w);
    }
    sl_batch_clear(b);
    return SL_OK;
}

/* Map what the decoder produced, then flush (the batch borrows from the current chunk). */
static sl_code drain(sl_job *j)
{
    sl_code rc = sl__mapper_run(&j->map, &j->rb, &j->batch, flush_batch, j, &j->res.err);
    sl_rawbatch_clear(&j->rb);
    if (rc == SL_OK)
        rc = flush_batch(j, &j->batch);
    return rc;
}

/* Decode n (decompressed) bytes and map what came out. Also the decompressor's emit callback. */
static sl_code decode_piece(void *arg, const char *p, size_t n)
{
    sl_job *j = arg;
    for (;;) {
        uint64_t t = mono_ms();
        j->rb.more = false;
        sl_code rc = j->dec->push(j->dec_state, p, n, &j->rb);
        j->res.read_ms += mono_ms() - t;
        if (rc != SL_AGAIN && rc != SL_OK) {
            sl_rawbatch_clear(&j->rb);
            return rc;
        }
        if ((rc = drain(j)) != SL_OK || !j->rb.more)
            return rc;
        p = NULL, n = 0; /* the decoder holds more rows of what it was given */
    }
}

/* Tell the observer the load ended (once: at the end of finish, or in free for a job that
 * never finished). */
static void watch_end(sl_job *j)
{
    if (j->env.obs && j->env.obs->end && !j->watch_ended)
        j->env.obs->end(j->env.obs->u, j->watch, j->spec, &j->res);
    j->watch_ended = true;
}

static void watch_progress(sl_job *j)
{
    if (j->env.obs && j->env.obs->progress && !j->watch_ended)
        j->env.obs->progress(j->env.obs->u, j->watch, j->res.bytes, atomic_load(&j->written));
}

sl_code sl_job_push(sl_job *j, const char *p, size_t n)
{
    if (j->res.err.code != SL_OK)
        return j->res.err.code;
    if (j->dec == NULL)
        return sl_fail(&j->res.err, SL_INTERNAL, "a typed load takes batches, not bytes");
    j->res.bytes += n; /* LoadBytes counts the body as received (compressed size) */
    sl_code rc = j->unzip ? sl_decomp_push(j->unzip, p, n, decode_piece, j, &j->res.err)
                          : decode_piece(j, p, n);
    if (rc == SL_AGAIN)
        rc = SL_OK;
    watch_progress(j);
    if (rc == SL_OK && j->spec->timeout_s &&
        mono_ms() - j->t0_ms > (uint64_t)j->spec->timeout_s * 1000)
        rc = sl_fail(&j->res.err, SL_TIMEOUT, "load timed out after %u seconds (timeout)",
                     j->spec->timeout_s);
    return rc;
}

sl_code sl_job_push_rows(sl_job *j, const sl_rawbatch *rb)
{
    if (j->res.err.code != SL_OK)
        return j->res.err.code;
    sl_code rc = sl__mapper_run(&j->map, rb, &j->batch, flush_batch, j, &j->res.err);
    if (rc == SL_OK)
        rc = flush_batch(j, &j->batch);
    return rc;
}

/* The history row of this load as it ends now: Success, or Fail with the error as Doris shows
 * it. url (cap bytes) holds the ErrorURL. */
static sl_load_record make_record(const sl_job *j, char *url, size_t cap)
{
    const sl_load_spec *s = j->spec;
    const sl_load_result *r = &j->res;
    if (r->error_log[0] && s->errlog_url.n)
        snprintf(url, cap, "%.*s%s", (int)s->errlog_url.n, s->errlog_url.p, r->error_log);
    else
        snprintf(url, cap, "N/A");
    sl_load_record rec = {
        .label = s->label, .db = s->db, .table = s->table, .client_ip = s->client_ip,
        .status = SL_LIT("Success"), .message = SL_LIT("OK"), .url = sl_slice_of(url),
        .user = s->user, .comment = s->comment, .txn_id = r->txn_id, .total = r->total,
        .loaded = r->loaded, .filtered = r->filtered, .unselected = r->unselected,
        .bytes = r->bytes, .start_ms = j->start_wall_ms, .finish_ms = wall_ms()};
    return rec;
}

/* Abort the open transaction with the job's error, recorded in the history. */
static void abort_txn(sl_job *j)
{
    char url[512], msg[SL_ERR_MSG_MAX + 64];
    sl_load_record rec = make_record(j, url, sizeof url);
    snprintf(msg, sizeof msg, "[%s]%s", sl_code_doris(j->res.err.code), j->res.err.msg);
    rec.status = SL_LIT("Fail");
    rec.message = sl_slice_of(msg);
    rec.loaded = 0;
    sl_store_abort(j->txn, j->res.err.msg, j->spec->skip_history ? NULL : &rec);
    j->txn = NULL;
}

sl_code sl_job_push_batch(sl_job *j, sl_batch *b)
{
    if (j->res.err.code != SL_OK)
        return j->res.err.code;
    j->map.total += b->n_rows;
    j->map.loaded += b->n_rows;
    sl_code rc = flush_batch(j, b);
    watch_progress(j);
    return rc;
}

static void copy_counters(sl_job *j)
{
    j->res.total = j->map.total;
    j->res.loaded = j->map.loaded;
    j->res.filtered = j->map.filtered;
    j->res.unselected = j->map.unselected;
    snprintf(j->res.first_error, sizeof j->res.first_error, "%s", j->map.first_error);
    sl__errlog_close(&j->log);
    snprintf(j->res.error_log, sizeof j->res.error_log, "%s", j->log.name);
}

/* A partial update: the store drops rows whose key is new when they may not be inserted
 * (strict mode, or a NOT NULL column the load did not provide); they count as filtered. */
static sl_code check_new_keys(sl_job *j)
{
    uint64_t removed = 0;
    sl_code rc = sl_store_partial_check(j->txn, j->map.col_mask, j->spec->strict, &removed,
                                        &j->res.err);
    if (rc != SL_OK || removed == 0)
        return rc;
    j->map.filtered += removed;
    j->map.loaded -= removed;
    char why[256];
    snprintf(why, sizeof why,
             "%llu rows: the key does not exist in the table and a partial update %s",
             (unsigned long long)removed,
             j->spec->strict ? "may not insert new keys in strict mode"
                             : "does not provide a NOT NULL column without default");
    if (j->map.first_error[0] == '\0')
        snprintf(j->map.first_error, sizeof j->map.first_error, "%s", why);
    sl__errlog_add(&j->log, why, SL_LIT(""));
    return SL_OK;
}

sl_code sl_job_finish(sl_job *j)
{
    sl_code rc = j->res.err.code;
    if (rc == SL_OK && j->unzip) {
        rc = sl_decomp_finish(j->unzip, decode_piece, j, &j->res.err);
        if (rc == SL_AGAIN)
            rc = SL_OK;
    }
    for (bool more = j->dec != NULL; rc == SL_OK && more;) {
        uint64_t t = mono_ms();
        j->rb.more = false;
        rc = j->dec->finish(j->dec_state, &j->rb);
        j->res.read_ms += mono_ms() - t;
        if (rc == SL_AGAIN)
            rc = SL_OK;
        more = j->rb.more; /* a spooled columnar body gives its rows in bounded pieces */
        if (rc == SL_OK)
            rc = drain(j);
    }
    if (rc == SL_OK && j->map.col_mask)
        rc = check_new_keys(j);
    copy_counters(j);
    uint64_t base = j->map.total - j->map.unselected;
    if (rc == SL_OK && base > 0 &&
        (double)j->map.filtered / (double)base > j->spec->max_filter_ratio) {
        rc = sl_fail(&j->res.err, SL_REJECTED, "too many filtered rows");
    }
    if (rc == SL_OK) {
        uint64_t t = mono_ms();
        char url[512];
        sl_load_record rec = make_record(j, url, sizeof url);
        const sl_load_record *hist = j->spec->skip_history ? NULL : &rec;
        rc = j->spec->two_phase ? sl_store_precommit(j->txn, hist, &j->res.err)
                                : sl_store_commit(j->txn, hist, &j->res.err);
        j->txn = NULL; /* commit frees it whatever the outcome */
        j->res.commit_ms = mono_ms() - t;
    } else if (j->txn) {
        abort_txn(j);
    }
    if (rc != SL_OK)
        j->res.loaded = 0; /* Doris 2.1.7+: NumberLoadedRows is 0 whenever Status is Fail */
    j->res.load_ms = mono_ms() - j->t0_ms;
    j->finished = true;
    watch_end(j);
    return rc;
}

sl_code sl_job_cancel(sl_job *j, const sl_err *e)
{
    sl_fail(&j->res.err, e->code, "%s", e->msg);
    if (!j->finished)
        sl_job_finish(j);
    return j->res.err.code;
}

const sl_load_result *sl_job_result(const sl_job *j)
{
    return &j->res;
}

uint64_t sl_job_written(const sl_job *j)
{
    return atomic_load(&((sl_job *)j)->written);
}

void sl_job_free(sl_job *j)
{
    if (j == NULL)
        return;
    if (j->txn) {
        if (j->res.err.code == SL_OK)
            job_fail(j, SL_NETWORK, "load cancelled");
        copy_counters(j);
        abort_txn(j);
    }
    watch_end(j); /* a job that never finished: the result is final now (aborted) */
    if (j->dec_open && j->dec->close)
        j->dec->close(j->dec_state);
    sl_decomp_free(j->unzip);
    sl__errlog_close(&j->log);
    sl_rawbatch_free(&j->rb);
    sl_batch_free(&j->batch);
    sl_arena_free(&j->arena);
    sl_free(j);
}
