/*
 * tls.c - TLS for listeners: SSL_CTX from PEM files (optionally a generated self-signed pair)
 * and the memory-BIO glue server.c uses per connection (http stage).
 *
 *   socket --ciphertext--> sl__tls_feed -> [rbio] -> SSL_read  -> plaintext -> parser
 *   reply  --plaintext---> SSL_write -> [wbio] -> sl__tls_take -> uv_write -> socket
 *
 * OpenSSL never touches a file descriptor, so the loop stays non-blocking and everything after
 * decryption is identical for http and https. All connection calls run on the loop thread.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "http.h"
#include "internal.h"

#define CERT_DAYS 3650 /* ten years: a development certificate should not expire under a test */

/* Record the newest OpenSSL error after what in err and return NULL. */
static void *tls_fail(sl_err *err, const char *what, const char *path)
{
    char detail[256] = "unknown error";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    sl_fail(err, SL_INTERNAL, "%s%s%s: %s", what, path ? " " : "", path ? path : "", detail);
    return NULL;
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return false;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

/* A self-signed certificate for key k: CN=localhost, SAN localhost and 127.0.0.1. */
static X509 *make_cert(EVP_PKEY *k)
{
    X509 *x = X509_new();
    BIGNUM *serial = BN_new();
    X509V3_CTX ctx;
    if (x == NULL || serial == NULL || !BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY))
        goto fail;
    if (!X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) || !X509_set_pubkey(x, k))
        goto fail;
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                                    -1, -1, 0) ||
        !X509_set_issuer_name(x, name))
        goto fail;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    if (!add_ext(x, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
        !add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
        !add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") ||
        !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        X509_sign(x, k, EVP_sha256()) <= 0)
        goto fail;
    BN_free(serial);
    return x;
fail:
    BN_free(serial);
    X509_free(x);
    return NULL;
}

/* Create path exclusively with mode and write one PEM object: the key k, else the cert x. */
static bool write_pem(const char *path, mode_t mode, EVP_PKEY *k, X509 *x)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return false;
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(path);
        return false;
    }
    int ok = k ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, x);
    if (fclose(f) != 0)
        ok = 0;
    if (!ok)
        unlink(path);
    return ok != 0;
}

/* Generate a P-256 key and a self-signed certificate and write them (key 0600, cert 0644). */
static bool generate_pair(const char *cert_file, const char *key_file, sl_err *err)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = k ? make_cert(k) : NULL;
    bool ok = false;
    if (x == NULL)
        tls_fail(err, "cannot generate a self-signed certificate", NULL);
    else if (!write_pem(key_file, 0600, k, NULL))
        sl_fail(err, SL_INTERNAL, "cannot write key file %s", key_file);
    else if (!write_pem(cert_file, 0644, NULL, x)) {
        unlink(key_file);
        sl_fail(err, SL_INTERNAL, "cannot write certificate file %s", cert_file);
    } else
        ok = true;
    X509_free(x);
    EVP_PKEY_free(k);
    return ok;
}

void *sl_tls_ctx_new(const char *cert_file, const char *key_file, bool generate, sl_err *err)
{
    bool have_cert = access(cert_file, F_OK) == 0, have_key = access(key_file, F_OK) == 0;
    if (generate && !have_cert && !have_key && !generate_pair(cert_file, key_file, err))
        return NULL;
    if (generate && have_cert != have_key) {
        sl_fail(err, SL_INVALID, "only one of %s and %s exists; refusing to overwrite it",
                cert_file, key_file);
        return NULL;
    }
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return tls_fail(err, "cannot create a TLS context", NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS); /* idle connections keep no record buffers */
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        SSL_CTX_free(ctx);
        return tls_fail(err, "cannot load certificate", cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        return tls_fail(err, "cannot load key", key_file);
    }
    return ctx;
}

void sl_tls_ctx_free(void *ctx)
{
    SSL_CTX_free(ctx);
}

SSL *sl__tls_new(void *ssl_ctx)
{
    SSL *ssl = SSL_new(ssl_ctx);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    if (ssl == NULL || rbio == NULL || wbio == NULL) {
        SSL_free(ssl);
        BIO_free(rbio);
        BIO_free(wbio);
        ERR_clear_error();
        return NULL;
    }
    /* An empty memory BIO reports "retry" instead of EOF, which is what SSL_read needs. */
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_accept_state(ssl);
    return ssl;
}

void sl__tls_free(SSL *ssl)
{
    SSL_free(ssl); /* frees both BIOs */
}

bool sl__tls_feed(SSL *ssl, const char *p, size_t n)
{
    while (n) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        int k = BIO_write(SSL_get_rbio(ssl), p, chunk);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

sl__tls_rc sl__tls_read(SSL *ssl, char *p, size_t cap, size_t *got)
{
    *got = 0;
    ERR_clear_error();
    while (*got < cap) {
        size_t room = cap - *got;
        int k = SSL_read(ssl, p + *got, room > INT_MAX ? INT_MAX : (int)room);
        if (k > 0) {
            *got += (size_t)k;
            continue;
        }
        int e = SSL_get_error(ssl, k);
        if (*got > 0) /* deliver what we have; a failure shows up again on the next call */
            return SL__TLS_OK;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return SL__TLS_WANT;
        ERR_clear_error();
        return e == SSL_ERROR_ZERO_RETURN ? SL__TLS_EOF : SL__TLS_ERROR;
    }
    return SL__TLS_OK;
}

bool sl__tls_write(SSL *ssl, const char *p, size_t n)
{
    ERR_clear_error();
    while (n) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        int k = SSL_write(ssl, p, chunk);
        if (k <= 0) {
            ERR_clear_error();
            return false;
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

void sl__tls_shutdown(SSL *ssl)
{
    if (SSL_is_init_finished(ssl))
        SSL_shutdown(ssl);
    ERR_clear_error();
}

size_t sl__tls_pending(SSL *ssl)
{
    return BIO_ctrl_pending(SSL_get_wbio(ssl));
}

size_t sl__tls_take(SSL *ssl, char *p, size_t cap)
{
    int k = BIO_read(SSL_get_wbio(ssl), p, cap > INT_MAX ? INT_MAX : (int)cap);
    return k > 0 ? (size_t)k : 0;
}
