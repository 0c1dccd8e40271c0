#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# dist.sh OUTDIR - the release tarball: OUTDIR/sluice-VERSION/ and OUTDIR/sluice-VERSION.tar.gz.
#
# The tree is what git tracks plus files not yet added (ignored ones excluded), or, outside a
# checkout, everything but build/. Its VERSION gets a "commit ..." line with the commit it came
# from, so a binary built from the tarball (the .deb, the Dockerfile) still names its commit.
# Prints the directory's path.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
set -- $(sh "$root/scripts/version.sh")
version=$1 commit=$2
name=sluice-$version
rm -rf "${out:?}/$name" "$out/$name.tar.gz"
mkdir -p "$out/$name"
cd "$root"
top=$(git rev-parse --show-toplevel 2>/dev/null || true)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ]; then
    git ls-files --cached --others --exclude-standard
else
    find . -path ./build -prune -o -path ./.git -prune -o ! -type d -print | sed 's|^\./||'
fi | while IFS= read -r f; do
    [ -e "$f" ] || [ -L "$f" ] || continue # deleted but still in the index
    printf '%s\n' "$f"
done >"$out/$name.files"
tar -cf - -T "$out/$name.files" | tar -xf - -C "$out/$name"
rm -f "$out/$name.files"
printf '%s\ncommit %s\n' "$version" "$commit" >"$out/$name/VERSION"
tar -C "$out" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name"
