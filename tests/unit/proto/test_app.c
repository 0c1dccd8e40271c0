/*
 * test_app.c - unit tests of the server object's configuration and start-up (src/proto/app.c):
 * the settings table (kinds, limits, booleans, unknown keys), environment errors that name the
 * variable, and the data-directory lock.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/proto/app.c"

Test(app_config, kinds_and_limits)
{
    sl_config c;
    sl_err err = {0};
    sl_config_default(&c);
    cr_assert(eq(u32, c.shutdown_grace_s, 30));
    cr_assert(eq(int, c.mysql_port, 9030)); /* Doris's query port */
    cr_assert(eq(int, sl_config_set(&c, "mysql_port", "-1", &err), SL_OK));
    cr_assert(eq(int, c.mysql_port, -1));
    cr_assert(eq(int, sl_config_set(&c, "mysql_port", "65536", &err), SL_INVALID));
    cr_assert(eq(int, sl_config_set(&c, "fe_port", "-1", &err), SL_OK));
    cr_assert(eq(int, c.fe_port, -1));
    cr_assert(eq(int, sl_config_set(&c, "be_port", "65535", &err), SL_OK));
    cr_assert(eq(int, c.be_port, 65535));
    cr_assert(eq(int, sl_config_set(&c, "workers", "0", &err), SL_OK));
    cr_assert(eq(u32, c.workers, 1));
    cr_assert(eq(int, sl_config_set(&c, "streaming_load_max_mb", "20000000000", &err), SL_OK));
    cr_assert(eq(u64, c.streaming_load_max_mb, 20000000000ull));
    cr_assert(eq(int, sl_config_set(&c, "shutdown_grace_second", "2", &err), SL_OK));
    cr_assert(eq(u32, c.shutdown_grace_s, 2));
    cr_assert(eq(int, sl_config_set(&c, "truncate_strings", "TRUE", &err), SL_OK));
    cr_assert(c.truncate_strings);
    cr_assert(eq(int, sl_config_set(&c, "truncate_strings", "0", &err), SL_OK));
    cr_assert(not(c.truncate_strings));
    cr_assert(eq(int, sl_config_set(&c, "stream_load_default_timeout_second", "77", &err), SL_OK));
    cr_assert(eq(u32, c.default_timeout_s, 77));
}

Test(app_config, bad_values_say_what_and_where)
{
    static const struct {
        const char *key, *value, *msg;
    } bad[] = {
        {"fe_port", "65536", "fe_port: not a valid port (0-65535, -1 to disable): 65536"},
        {"fe_port", "abc", "fe_port: not a valid port (0-65535, -1 to disable): abc"},
        {"workers", "-3", "workers: not a valid number: -3"},
        {"idle_timeout_second", "4294967296", "idle_timeout_second: not a valid number: 4294967296"},
        {"truncate_strings", "yes", "truncate_strings: not a boolean (true or false): yes"},
        {"tsload_plain_http", "", "tsload_plain_http: not a boolean (true or false): "},
        {"no_such_key", "1", "unknown setting no_such_key"},
    };
    for (size_t i = 0; i < SL_COUNT(bad); i++) {
        sl_config c;
        sl_err err = {0};
        sl_config_default(&c);
        cr_assert(eq(int, sl_config_set(&c, bad[i].key, bad[i].value, &err), SL_INVALID));
        cr_assert(eq(str, err.msg, (char *)bad[i].msg));
    }
}

Test(app_config, environment_error_names_the_variable)
{
    sl_config c;
    sl_err err = {0};
    sl_config_default(&c);
    setenv("SLUICE_SHUTDOWN_GRACE_SECOND", "5", 1);
    cr_assert(eq(int, sl_config_load_env(&c, &err), SL_OK));
    cr_assert(eq(u32, c.shutdown_grace_s, 5));
    setenv("SLUICE_FE_PORT", "abc", 1);
    cr_assert(eq(int, sl_config_load_env(&c, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "environment variable SLUICE_FE_PORT (setting fe_port): not a "
                               "valid port (0-65535, -1 to disable): abc"));
}

/* Every key has its environment variable and a line in `serve --help`. */
Test(app_config, describe_lists_every_key)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sl_config_describe(f);
    fclose(f);
    for (size_t i = 0; i < SL_COUNT(settings); i++) {
        char env[80], line[200];
        env_name(settings[i].key, env, sizeof env);
        snprintf(line, sizeof line, "  %s = ", settings[i].key);
        cr_assert(strstr(text, line) != NULL, "%s", settings[i].key);
        cr_assert(strstr(text, env) != NULL, "%s", env);
    }
    cr_assert(strstr(text, "  shutdown_grace_second = 30  (SLUICE_SHUTDOWN_GRACE_SECOND)\n") != NULL);
    free(text);
}

Test(app_lock, second_lock_on_a_directory_fails_with_the_pid)
{
    char dir[] = "/tmp/sluice-unit-lock-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    sl_app a, b;
    sl_err err = {0};
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    cr_assert(eq(int, lock_data_dir(&a, dir, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(int, lock_data_dir(&b, dir, &err), SL_BACKEND));
    char want[200];
    snprintf(want, sizeof want, "DATA_DIR %s is in use by pid %ld", dir, (long)getpid());
    cr_assert(eq(str, err.msg, want));
    close(a.lock_fd); /* released: the next one gets it */
    sl_err err2 = {0};
    cr_assert(eq(int, lock_data_dir(&b, dir, &err2), SL_OK), "%s", err2.msg);
    close(b.lock_fd);
    char path[300];
    snprintf(path, sizeof path, "%s/sluice.lock", dir);
    unlink(path);
    rmdir(dir);
}
