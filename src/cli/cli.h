/*
 * cli.h - subcommands of the sluice command other than serve (cli).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_CLI_H
#define SL_CLI_H

/* `sluice sql [--host H] [--port N] [-u USER[:PW]] [--db DB] STATEMENT` (client.c). */
int sl__cli_sql(int argc, char **argv);

/* `sluice load FILE... --db D --table T [...]`: Stream Load with progress and safe re-runs
 * (load.c). */
int sl__cli_load(int argc, char **argv);

/* `sluice user add|passwd|grant ...` (user.c). */
int sl__cli_user(int argc, char **argv);

#endif
