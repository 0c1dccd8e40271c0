#!/bin/sh
# conformance.sh BUILD_DIR [RUN.PY ARGS...] - run Doris's own regression cases against sluice.
#
# Starts BUILD_DIR/sluice on free loopback ports with a temporary data directory, runs
# ../shared/conformance/doris/run.py (CONFORMANCE_RUNNER overrides the path) against its FE
# port, stops the server (SIGTERM, a graceful shutdown) and removes the directory. Extra
# arguments go to run.py (e.g. --only SUITE/CASE, -v). Prints run.py's lines (PASS/FAIL per
# case, then "N passed, M failed"); exits with run.py's status (2 when it cannot start).
# CONFORMANCE_STORE=postgres runs the server on a PostgreSQL store: a throwaway PostgreSQL
# (tests/pg/pg.sh) in the temporary directory, stopped at the end.
set -u
BUILD=${1:-build/release}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNNER=${CONFORMANCE_RUNNER:-$ROOT/../shared/conformance/doris/run.py}
if [ ! -f "$RUNNER" ]; then
    echo "conformance: $RUNNER not found (shared/conformance must sit beside the checkout)"
    exit 2
fi
if [ ! -x "$BUILD/sluice" ]; then
    echo "conformance: $BUILD/sluice not built (make)"
    exit 2
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-conformance-XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    [ -d "$dir/pg" ] && sh "$ROOT/tests/pg/pg.sh" stop "$dir/pg" >/dev/null 2>&1
    rm -rf "$dir"
}
store=""
if [ "${CONFORMANCE_STORE:-sqlite}" = postgres ]; then
    mkdir "$dir/pg"
    chmod 755 "$dir" # mktemp's 700 would keep the postgres user out of its data directory
    if ! url=$(sh "$ROOT/tests/pg/pg.sh" start "$dir/pg"); then
        echo "conformance: PostgreSQL did not start"
        cleanup
        exit 2
    fi
    store="store=$url"
fi
"$BUILD/sluice" serve --data-dir "$dir/data" --bind 127.0.0.1 --fe-port 0 --be-port 0 \
    --tsload-port -1 --mysql-port -1 ${store:+--set "$store"} >"$dir/out" 2>"$dir/err" &
pid=$!
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server prints its bound ports on its first line; wait for it (at most 10 s).
fe=""
i=0
while [ $i -lt 100 ] && [ -z "$fe" ]; do
    fe=$(sed -n 's/.*fe_port=\([0-9][0-9]*\).*/\1/p' "$dir/out" 2>/dev/null | head -n 1)
    [ -n "$fe" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$fe" ]; then
    echo "conformance: the server did not start:"
    cat "$dir/err"
    exit 2
fi

echo "== conformance: $RUNNER against 127.0.0.1:$fe ($BUILD/sluice, ${CONFORMANCE_STORE:-sqlite} store)"
python3 "$RUNNER" --fe "http://127.0.0.1:$fe" --user root --password '' "$@"
rc=$?
kill -TERM "$pid" 2>/dev/null
wait "$pid"
src=$?
[ $src -ne 0 ] && echo "conformance: the server exited with status $src" && [ $rc -eq 0 ] && rc=1
exit $rc
