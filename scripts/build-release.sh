#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-release.sh - the release build, the one recipe the Debian package (debian/rules) and
# the Dockerfile both run: build/release/sluice and its man page, with Debian's hardening flags
# (dpkg-buildflags: stack protector, FORTIFY_SOURCE, RELRO, PIE) when dpkg-dev is there.
# Only build dependencies are needed (scripts/deps.sh), never the test tools.
set -eu
cd "$(dirname "$0")/.."
if command -v dpkg-buildflags >/dev/null 2>&1; then
    export DEB_BUILD_MAINT_OPTIONS="${DEB_BUILD_MAINT_OPTIONS:-hardening=+all}"
    # -Wformat would lower the Makefile's -Wformat=2 back to level 1
    cflags=$(echo "$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS)" |
        sed 's/ -Wformat\( \|$\)/ /')
    ldflags=$(dpkg-buildflags --get LDFLAGS)
else
    cflags="-D_FORTIFY_SOURCE=2 -fstack-protector-strong"
    ldflags="-Wl,-z,relro,-z,now"
fi
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" FLAVOR=release EXTRA_CFLAGS="$cflags" EXTRA_LDFLAGS="$ldflags" all man
