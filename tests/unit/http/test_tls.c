/*
 * test_tls.c - certificate generation and loading (tests for src/http/tls.c). The memory-BIO
 * connection path is exercised end to end in test_server.c.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/http/tls.c"

#include <stdlib.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

struct tmp {
    char dir[64], cert[128], key[128];
};

static void mk(struct tmp *t)
{
    strcpy(t->dir, "/tmp/sl_tls_XXXXXX");
    cr_assert(mkdtemp(t->dir) != NULL);
    snprintf(t->cert, sizeof t->cert, "%s/c.pem", t->dir);
    snprintf(t->key, sizeof t->key, "%s/k.pem", t->dir);
}

static void rm(struct tmp *t)
{
    unlink(t->cert);
    unlink(t->key);
    rmdir(t->dir);
}

Test(http_tls, generate_then_reload)
{
    struct tmp t;
    mk(&t);
    sl_err err = {0};
    void *ctx = sl_tls_ctx_new(t.cert, t.key, true, &err);
    cr_assert(ctx != NULL, "%s", err.msg);
    struct stat sk, sc;
    cr_assert(eq(int, stat(t.key, &sk), 0));
    cr_assert(eq(int, stat(t.cert, &sc), 0));
    cr_assert(eq(int, (int)(sk.st_mode & 0777), 0600));
    X509 *x = SSL_CTX_get0_certificate(ctx);
    cr_assert(x != NULL);
    cr_assert(eq(int, X509_check_host(x, "localhost", 0, 0, NULL), 1));
    cr_assert(eq(int, X509_check_ip_asc(x, "127.0.0.1", 0), 1));
    cr_assert(gt(int, ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), time(NULL) + 9L * 365 * 86400),
                 0));
    sl_tls_ctx_free(ctx);
    /* Existing files are loaded, not regenerated. */
    ctx = sl_tls_ctx_new(t.cert, t.key, true, &err);
    cr_assert(ctx != NULL, "%s", err.msg);
    struct stat sk2;
    cr_assert(eq(int, stat(t.key, &sk2), 0));
    cr_assert(eq(long, (long)sk2.st_ino, (long)sk.st_ino));
    sl_tls_ctx_free(ctx);
    rm(&t);
}

Test(http_tls, missing_files_without_generate_fail)
{
    struct tmp t;
    mk(&t);
    sl_err err = {0};
    cr_assert(sl_tls_ctx_new(t.cert, t.key, false, &err) == NULL);
    cr_assert(ne(int, err.code, SL_OK));
    cr_assert(strstr(err.msg, "cannot load certificate") != NULL, "%s", err.msg);
    rm(&t);
}

Test(http_tls, only_one_file_is_refused)
{
    struct tmp t;
    mk(&t);
    FILE *f = fopen(t.cert, "w");
    cr_assert(f != NULL);
    fputs("not a cert\n", f);
    fclose(f);
    sl_err err = {0};
    cr_assert(sl_tls_ctx_new(t.cert, t.key, true, &err) == NULL);
    cr_assert(strstr(err.msg, "refusing") != NULL, "%s", err.msg);
    cr_assert(ne(int, access(t.key, F_OK), 0));
    rm(&t);
}
