/*
 * test_log.c - unit tests of the server and access log (src/proto/log.c): levels, secrets
 * masked in request targets, and access lines that stay one line and never carry a password.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/proto/log.c"

static void masked(const char *in, const char *want)
{
    char out[512];
    size_t n = sl__log_mask_target(sl_slice_of(in), out, sizeof out);
    cr_assert(eq(str, out, (char *)want), "%s", in);
    cr_assert(eq(sz, n, strlen(want)));
}

Test(log, levels)
{
    cr_assert(eq(int, sl__log_level("error"), SL_LOG_ERROR));
    cr_assert(eq(int, sl__log_level("DEBUG"), SL_LOG_DEBUG));
    cr_assert(eq(int, sl__log_level("loud"), -1));
    sl_log *l;
    sl_err err = {0};
    cr_assert(eq(int, sl__log_open("", "loud", true, &l, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "log_level: not a level (error, warn, info, debug): loud"));
    cr_assert(eq(int, sl__log_open("", "warn", true, &l, &err), SL_OK));
    cr_assert(sl__log_on(l, SL_LOG_ERROR));
    cr_assert(sl__log_on(l, SL_LOG_WARN));
    cr_assert(not(sl__log_on(l, SL_LOG_INFO)));
    sl__log_close(l);
    sl_err e2 = {0}; /* an sl_err keeps its first failure */
    cr_assert(eq(int, sl__log_open("/nonexistent-dir/x.log", "info", true, &l, &e2),
                 SL_BACKEND));
}

Test(log, secrets_in_targets_are_masked)
{
    masked("/api/health", "/api/health");
    masked("/a?password=hunter2&b=1", "/a?password=***&b=1");
    masked("/a?b=1&PASSWD=x&pwd=y", "/a?b=1&PASSWD=***&pwd=***");
    masked("/a?access_token=t&api_key=k&X-Auth=z&sig=s", "/a?access_token=***&api_key=***&"
                                                        "X-Auth=***&sig=***");
    masked("/a?label=ok&column_separator=,", "/a?label=ok&column_separator=,");
    masked("/a?password", "/a?password"); /* no value, nothing to hide */
    masked("http://root:pw@h:8030/api/x?token=1", "http://***@h:8030/api/x?token=***");
    masked("http://h:8030/api/x", "http://h:8030/api/x");
    char small[8];
    sl__log_mask_target(sl_slice_of("/abcdefghijk"), small, sizeof small);
    cr_assert(eq(str, small, "/abcdef"));
}

/* A request as the HTTP layer hands it over, with one header. */
static sl_http_req fake(const char *target, const char *hname, const char *hvalue,
                        sl_http_header *h)
{
    sl_http_req r;
    memset(&r, 0, sizeof r);
    sl_arena_init(&r.arena, 0);
    r.method = "PUT";
    r.target = sl_slice_of(target);
    h->name = sl_slice_of(hname);
    h->value = sl_slice_of(hvalue);
    r.headers = h;
    r.n_headers = 1;
    snprintf(r.peer_ip, sizeof r.peer_ip, "10.0.0.9");
    r.body_bytes = 42;
    return r;
}

static char *log_of(const sl_http_req *r, int status)
{
    char path[] = "/tmp/sluice-test-log-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    sl_log *l;
    sl_err err = {0};
    cr_assert(eq(int, sl__log_open(path, "info", true, &l, &err), SL_OK));
    sl_http_done d = {status, 512, 7};
    sl__log_access(l, r, &d);
    sl__log_close(l);
    FILE *f = fopen(path, "r");
    static char line[4096];
    size_t n = fread(line, 1, sizeof line - 1, f);
    line[n] = '\0';
    fclose(f);
    unlink(path);
    return line;
}

Test(log, access_line_names_the_user_never_the_password)
{
    sl_http_header h;
    /* base64("loader:s3cret-pw") */
    sl_http_req r = fake("/api/d/t/_stream_load?password=x", "Authorization",
                         "Basic bG9hZGVyOnMzY3JldC1wdw==", &h);
    r.log_label = SL_LIT("my_label");
    char *line = log_of(&r, 200);
    cr_assert(strstr(line, " access client=10.0.0.9 user=loader method=PUT "
                           "path=\"/api/d/t/_stream_load?password=***\" status=200 "
                           "bytes_in=42 bytes_out=512 ms=7 label=my_label\n") != NULL, "%s",
              line);
    cr_assert(strstr(line, "s3cret") == NULL);
    cr_assert(strstr(line, "bG9hZGVy") == NULL);
    sl_arena_free(&r.arena);
}

Test(log, access_line_stays_one_line)
{
    sl_http_header h;
    sl_http_req r = fake("/x", "label", "a b\"c\n\001", &h);
    char *line = log_of(&r, 499);
    cr_assert(strstr(line, "user=- method=PUT path=/x status=499") != NULL, "%s", line);
    cr_assert(strstr(line, "label=\"a b\\\"c\\x0a\\x01\"\n") != NULL, "%s", line);
    cr_assert(eq(sz, strlen(line), (size_t)(strchr(line, '\n') - line) + 1));
    sl_arena_free(&r.arena);
}
