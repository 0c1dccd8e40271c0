/*
 * version.h - the version and commit sluice was built as (core).
 *
 * sluice_version() (include/sluice.h) gives the version; the commit is for `sluice version`
 * and logs. Both come from scripts/version.sh at build time (docs/RELEASING.md).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_VERSION_H
#define SL_VERSION_H

/* The commit the binary was built from: `git describe --tags --always --dirty` of the checkout
 * (e.g. "v0.2.0-3-g420a456-dirty" or "420a456"), the commit a release tarball recorded, or
 * "unknown". Static storage. */
const char *sl__version_commit(void);

#endif
