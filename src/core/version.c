/*
 * version.c - the version and commit compiled into the binary (core).
 *
 * sl_version.h is generated into build/<flavor>/gen/ by scripts/version.sh on every make; it
 * is rewritten only when its text changes, so only this file recompiles after a new commit.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "platform.h"

#include "../../include/sluice.h"
#include "sl_version.h"
#include "version.h"

const char *sluice_version(void)
{
    return SL_VERSION;
}

const char *sl__version_commit(void)
{
    return SL_COMMIT;
}
