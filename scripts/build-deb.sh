#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-deb.sh OUTDIR - the Debian package: OUTDIR/sluice_VERSION_ARCH.deb (and its -dbgsym).
#
# dpkg-buildpackage writes its results into the parent of the source tree, so the tree is
# first copied to OUTDIR/sluice-VERSION/ (scripts/dist.sh, which also records the commit) and
# the package built there, unsigned and binary-only. Needs `scripts/deps.sh --with-deb`.
# Prints the path of the .deb.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.buildinfo "$out"/*.changes
src=$(sh "$root/scripts/dist.sh" "$out" | tail -n 1)
version=$(sed -n 1p "$src/VERSION")
deb_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
if [ "$version" != "$deb_version" ]; then
    echo "build-deb.sh: VERSION says $version but debian/changelog $deb_version" >&2
    exit 1
fi
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
    tail -n 40 "$out/build.log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
    exit 1
}
deb="$out/sluice_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { echo "build-deb.sh: $deb not built" >&2; exit 1; }
echo "$deb"
