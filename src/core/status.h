/*
 * status.h - the one status table of sluice (core; used by every stage).
 *
 * Every function that can fail returns an sl_code. The human message travels beside it in an
 * sl_err owned by the caller (request or job). Each protocol adapter maps a code to its own
 * reply through its column of SL_STATUS_MAP; nothing outside the adapters knows HTTP statuses.
 *
 * Detail codes keep the primary code in the low byte: (c & 0xff) is the row of the table, the
 * upper bits select a more precise protocol text where a spec prescribes one.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_STATUS_H
#define SL_STATUS_H

#include "platform.h"

/* name, Doris Message code, Yamcs HTTP, tsload HTTP, MySQL error number, text */
#define SL_STATUS_MAP(X)                                                                           \
    X(OK, "OK", 200, 200, 0, "ok")                                                                 \
    X(AGAIN, NULL, 0, 0, 0, "need more input") /* not an error */                                  \
    X(INVALID, "INVALID_ARGUMENT", 400, 400, 1105, "invalid input")                                \
    X(REJECTED, "DATA_QUALITY_ERROR", 400, 0, 1105, "too many rejected rows") /* tsload: async */  \
    X(UNAUTHORIZED, "NOT_AUTHORIZED", 401, 401, 1045, "not authenticated")                         \
    X(FORBIDDEN, "ANALYSIS_ERROR", 403, 403, 1227, "insufficient privileges")                      \
    X(NOT_FOUND, "ANALYSIS_ERROR", 404, 400, 1105, "no such table")                                \
    X(TOO_LARGE, "EXCEEDED_LIMIT", 400, 400, 1105, "payload too large")                            \
    X(CONFLICT, "LABEL_ALREADY_EXISTS", 409, 400, 1105, "label already exists")                    \
    X(FORMAT, "DATA_FILE_TYPE_ERROR", 400, 400, 1105, "unknown data format")                       \
    X(NETWORK, "NETWORK_ERROR", 400, 400, 1105, "body incomplete")                                 \
    X(TIMEOUT, "TIMEOUT", 504, 500, 1105, "load timed out")                                        \
    X(NOMEM, "INTERNAL_ERROR", 503, 500, 1105, "out of memory")                                    \
    X(BACKEND, "INTERNAL_ERROR", 500, 500, 1105, "storage backend failed")                         \
    X(INTERNAL, "INTERNAL_ERROR", 500, 500, 1105, "internal error")

#define SL__ENUM(name, doris, yamcs, tsload, mysql, text) SL_##name,
typedef enum { SL_STATUS_MAP(SL__ENUM) SL__N_CODES } sl_code;
#undef SL__ENUM

/* Detail codes: (c & 0xff) is the primary. */
#define SL_PRIMARY(c) ((sl_code)((c)&0xff))
#define SL_INVALID_CSV_QUOTE (SL_INVALID | (1 << 8))  /* unterminated enclosed field */
#define SL_INVALID_SQL (SL_INVALID | (2 << 8))        /* statement does not parse */
#define SL_INVALID_FE (SL_INVALID | (3 << 8))         /* answered in the FE body form */
#define SL_NOT_FOUND_DB (SL_NOT_FOUND | (1 << 8))     /* no such database */
#define SL_INTERNAL_PANIC (SL_INTERNAL | (1 << 8))    /* a defensive check fired */
#define SL_REJECTED_STOP (SL_REJECTED | (1 << 8))     /* zero tolerance stopped reading */

/* The message buffer size: long enough for a Doris error with a 100-byte value excerpt. */
#define SL_ERR_MSG_MAX 1024

/* An error as a caller sees it: the first code and its message. Owned by the caller (usually
 * embedded in a request or job); sl_fail writes into it and returns the code. */
typedef struct sl_err {
    sl_code code;              /* SL_OK until the first failure */
    char msg[SL_ERR_MSG_MAX];  /* NUL-terminated human text, lower case, no trailing period */
} sl_err;

/* Record code c with a printf-style message in e and return c. Keeps the first error: a second
 * call on an already failed sl_err changes nothing and returns the first code [LMDB poisoned
 * txn]. Passing e == NULL just returns c. */
sl_code sl_fail(sl_err *e, sl_code c, const char *fmt, ...) SL_PRINTF(3, 4);

/* Forget any recorded error (e.g. when a request object is reused for keep-alive). */
void sl_err_clear(sl_err *e);

/* The enum name without prefix, e.g. "INVALID" for SL_INVALID_CSV_QUOTE. Static storage. */
const char *sl_code_name(sl_code c);

/* The default human text of the code's row. Static storage. */
const char *sl_code_text(sl_code c);

/* The Doris error-code name used in "[CODE]message" (e.g. "DATA_QUALITY_ERROR"). Static. */
const char *sl_code_doris(sl_code c);

/* The HTTP status the Yamcs and tsload adapters answer for c. */
int sl_code_yamcs_http(sl_code c);
int sl_code_tsload_http(sl_code c);

/* The MySQL error number the MySQL adapter answers for c (1105, ER_UNKNOWN_ERROR, where Doris
 * has no closer one); SL_NOT_FOUND_DB is 1049 (ER_BAD_DB_ERROR). The executor picks closer
 * numbers per statement (proto/exec.c). */
int sl_code_mysql(sl_code c);

#endif
