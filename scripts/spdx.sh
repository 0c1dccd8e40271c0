#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# spdx.sh [--check] [PATH...] - the line "SPDX-License-Identifier: Apache-2.0" in the header
# comment of every C file (.c, .h) under PATH (files or directories; default: src tests bench
# include).
#
# Without --check, adds the line where it is missing, as the last line of the file's first
# comment when the file starts with one (after a blank " *" line), else as a comment line of
# its own on top; files that have it are left byte for byte as they are, so running it twice
# changes nothing. With --check, changes nothing, prints each file whose header comment lacks
# the line and exits 1 if there is any (tests/e2e/test_release.py runs it in `make test`).
set -eu
cd "$(dirname "$0")/.."
TAG="SPDX-License-Identifier: Apache-2.0"
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
[ $# -gt 0 ] || set -- src tests bench include

# 0 when the file's header comment (the first comment, if the file starts with one; else
# the first line) carries the tag
has_tag() {
    awk -v tag="$TAG" '
        NR == 1 && !/^\/\*/ { exit index($0, tag) ? 0 : 1 }
        index($0, tag) { found = 1 }
        /\*\// { exit found ? 0 : 1 }
        END { if (NR == 0) exit 1 }
    ' "$1"
}

add_tag() {
    awk -v tag="$TAG" '
        NR == 1 && !/^\/\*/ { print "/* " tag " */"; done = 1 }
        !done && /\*\// {
            if ($0 ~ /^ \*\/[ \t]*$/) {                   # " */" on its own line
                if (prev != " *") print " *"
                print " * " tag
                print
            } else {                                      # "... text */": close it later
                line = $0
                sub(/[ \t]*\*\/[ \t]*$/, "", line)
                print line
                print " *"
                print " * " tag
                print " */"
            }
            done = 1; prev = $0; next
        }
        { print; prev = $0 }
    ' "$1" >"$1.spdx.$$"
    cat "$1.spdx.$$" >"$1" # keeps the file's mode
    rm -f "$1.spdx.$$"
}

missing=0
for f in $(find "$@" -type f \( -name '*.c' -o -name '*.h' \) | sort); do
    has_tag "$f" && continue
    if [ $check -eq 1 ]; then
        echo "$f"
        missing=$((missing + 1))
    else
        add_tag "$f"
        has_tag "$f" || { echo "spdx.sh: could not add the line to $f" >&2; exit 1; }
        echo "spdx.sh: $f"
    fi
done
if [ $check -eq 1 ] && [ $missing -gt 0 ]; then
    echo "spdx.sh: $missing file(s) without \"$TAG\" in their header comment (scripts/spdx.sh adds it)" >&2
    exit 1
fi
exit 0
