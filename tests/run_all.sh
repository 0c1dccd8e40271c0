#!/bin/sh
# run_all.sh BUILD_DIR - run every unit test binary and every end-to-end test against
# BUILD_DIR/sluice, then print one closing line "N passed, M failed".
# The end-to-end suite runs twice: on the embedded store, then with every server on a
# PostgreSQL store (one PostgreSQL for the pass, started by tests/pg/pg.sh; a database per
# server). SLUICE_E2E_POSTGRES=0 skips the second pass (for a quick local run only).
# Unit tests are Criterion binaries (one per source file); e2e tests are Python unittest files
# under tests/e2e that start the real binary on port 0 and talk real HTTP.
set -u
BUILD=${1:-build/release}
passed=0
failed=0
log=$(mktemp -d)
pgdir=""
# Criterion's runner leaks a few bytes of its own; sluice's leaks are still reported.
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
trap '[ -n "$pgdir" ] && sh tests/pg/pg.sh stop "$pgdir"; rm -rf "$log" $pgdir' EXIT

echo "== unit tests ($BUILD)"
for t in $(find "$BUILD/tests" -type f -perm -u+x 2>/dev/null | sort); do
    name=${t#"$BUILD"/tests/}
    if "$t" --jobs 2 --timeout 120 >"$log/out" 2>&1; then st=ok; else st=FAIL; fi
    line=$(grep -a "Synthesis" "$log/out" | tail -n 1)
    p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    p=${p:-0}; f=${f:-0}; c=${c:-0}
    if [ "$st" = FAIL ] && [ $((f + c)) -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f + c))
    printf '%-40s %s (%s passed, %s failed)\n' "$name" "$st" "$p" "$((f + c))"
    [ "$st" = FAIL ] && sed 's/^/    /' "$log/out" | tail -n 40
done

e2e() { # e2e LABEL: run the suite, add its counts
    echo "== end-to-end tests$1"
    SLUICE_BIN="$(pwd)/$BUILD/sluice" python3 tests/e2e/run.py >"$log/e2e" 2>&1
    e2e_rc=$?
    cat "$log/e2e"
    p=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log/e2e" | tail -n 1)
    f=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log/e2e" | tail -n 1)
    p=${p:-0}; f=${f:-0}
    [ $e2e_rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p)); failed=$((failed + f))
}

case "$BUILD" in *check*|*tsan*) export SLUICE_SANITIZED=1 ;; esac
e2e ""

if [ "${SLUICE_E2E_POSTGRES:-1}" = 1 ]; then
    pgdir=$(mktemp -d /tmp/sluice-pg-XXXXXX)
    if url=$(sh tests/pg/pg.sh start "$pgdir"); then
        SLUICE_TEST_STORE=postgres SLUICE_TEST_PG_URL=$url e2e " (PostgreSQL store)"
    else
        echo "PostgreSQL could not be started: the second end-to-end pass fails"
        failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
