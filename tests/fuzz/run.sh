#!/bin/sh
# run.sh SECONDS TARGET... - run each libFuzzer target for SECONDS on a copy of its seed corpus
# (tests/data/corpus/<name>/, dictionary tests/data/corpus/<name>.dict when present). New inputs
# go to build/fuzz/corpus/<name>/ so the committed seeds stay small. Exit 1 if any target fails.
set -u
secs=$1
shift
rc=0
for bin in "$@"; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    work=build/fuzz/corpus/$name
    mkdir -p "$work"
    dict=""
    [ -f "tests/data/corpus/$name.dict" ] && dict="-dict=tests/data/corpus/$name.dict"
    echo "== fuzz $name (${secs}s)"
    if ! "$bin" -max_total_time="$secs" -print_final_stats=0 $dict "$work" "tests/data/corpus/$name" \
        >"build/fuzz/$name.log" 2>&1; then
        echo "FAIL $name: see build/fuzz/$name.log"
        tail -n 30 "build/fuzz/$name.log"
        rc=1
    else
        tail -n 1 "build/fuzz/$name.log"
    fi
done
exit $rc
