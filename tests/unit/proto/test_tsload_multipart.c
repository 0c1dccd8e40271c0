/*
 * test_tsload_multipart.c - unit tests for src/proto/tsload_multipart.c: the same parts come out
 * whether the body arrives whole, byte by byte or in random splits; boundaries cut anywhere;
 * boundary look-alikes inside the data; malformed bodies.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/proto/tsload_multipart.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>

typedef struct out {
    char buf[4096];
    size_t len;
    int files, parts;
} out;

static sl_code on_begin(void *arg, bool is_file)
{
    out *o = arg;
    o->parts++;
    if (is_file) {
        o->files++;
        o->buf[o->len++] = '[';
    }
    return SL_OK;
}

static sl_code on_data(void *arg, const char *p, size_t n)
{
    out *o = arg;
    cr_assert(o->len + n < sizeof o->buf);
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    return SL_OK;
}

static sl_code on_end(void *arg)
{
    out *o = arg;
    o->buf[o->len++] = ']';
    return SL_OK;
}

/* Parse body in pieces of the given sizes (0-terminated list; NULL = whole); returns the code. */
static sl_code run(const char *ct, const char *body, size_t n, size_t step, unsigned seed, out *o)
{
    static sl_multipart m;
    sl_err e = {0};
    memset(o, 0, sizeof *o);
    sl_code rc = sl__mp_init(&m, sl_slice_of(ct), &e);
    if (rc != SL_OK)
        return rc;
    sl_mp_callbacks cb = {on_begin, on_data, on_end, o};
    srand(seed);
    for (size_t i = 0; i < n;) {
        size_t k = step ? step : (size_t)(rand() % 7) + 1;
        if (k > n - i)
            k = n - i;
        if ((rc = sl__mp_push(&m, body + i, k, &cb, &e)) != SL_OK)
            return rc;
        i += k;
    }
    return sl__mp_finish(&m, &e);
}

static const char body1[] =
    "preamble\r\n--AaB03x\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n"
    "--AaB03x\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"filename\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\n1,a\r\n\r\n--AaB03\r\r\n--AaB03y\n2,b\r\n"
    "--AaB03x\r\nContent-Disposition: form-data; name=\"upload-file\"; filename=\"x.csv\"\r\n\r\n"
    "3,c\r\n--AaB03x--\r\nepilogue";

static const char want1[] = "[1,a\r\n\r\n--AaB03\r\r\n--AaB03y\n2,b][3,c]";

Test(multipart, chunkings_agree)
{
    const char *ct = "multipart/form-data; boundary=AaB03x";
    out o;
    size_t n = sizeof body1 - 1;
    cr_assert(eq(int, run(ct, body1, n, n, 0, &o), SL_OK));
    cr_assert(eq(int, (int)o.len, (int)strlen(want1)));
    cr_assert(eq(int, memcmp(o.buf, want1, o.len), 0));
    cr_assert(eq(int, o.files, 2));
    cr_assert(eq(int, o.parts, 3));
    cr_assert(eq(int, run(ct, body1, n, 1, 0, &o), SL_OK));
    cr_assert(eq(int, memcmp(o.buf, want1, o.len), 0));
    for (unsigned seed = 1; seed < 200; seed++) {
        cr_assert(eq(int, run(ct, body1, n, 0, seed, &o), SL_OK));
        cr_assert(eq(int, (int)o.len, (int)strlen(want1)), "seed %u", seed);
        cr_assert(eq(int, memcmp(o.buf, want1, o.len), 0), "seed %u", seed);
    }
}

Test(multipart, quoted_boundary_and_first_line)
{
    static const char b[] = "--q\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--q--";
    out o;
    cr_assert(eq(int, run("multipart/form-data; boundary=\"q\"", b, sizeof b - 1, 2, 0, &o), SL_OK));
    cr_assert(eq(int, (int)o.len, 3));
    cr_assert(eq(int, memcmp(o.buf, "[x]", 3), 0));
}

Test(multipart, malformed)
{
    out o;
    static const char trunc[] = "--q\r\nContent-Type: text/csv\r\n\r\nabc";
    cr_assert(eq(int, run("multipart/form-data; boundary=q", trunc, sizeof trunc - 1, 3, 0, &o),
                 SL_INVALID));
    static const char bad[] = "--qX";
    cr_assert(eq(int, run("multipart/form-data; boundary=q", bad, sizeof bad - 1, 1, 0, &o),
                 SL_INVALID));
    cr_assert(eq(int, run("text/csv", "", 0, 1, 0, &o), SL_INVALID));
    cr_assert(eq(int, run("multipart/form-data", "", 0, 1, 0, &o), SL_INVALID));
    char big[8300];
    memcpy(big, "--q\r\n", 5);
    memset(big + 5, 'h', sizeof big - 5);
    cr_assert(eq(int, run("multipart/form-data; boundary=q", big, sizeof big, 100, 0, &o),
                 SL_INVALID));
}
