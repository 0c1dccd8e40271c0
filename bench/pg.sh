#!/bin/sh
# bench/pg.sh - sluice's PostgreSQL writer against `psql \copy` on the 2,000,000-row lineitem CSV
# and, through HTTP, sluice serving a PostgreSQL store against it, with 1, 2 and 3 nodes
# (called by bench/run.sh; alone: sh bench/pg.sh after `make all` and the bench build).
#
# A throwaway PostgreSQL 15 (tests/pg/pg.sh, fsync on) gets two identical tables; the CSV goes
# into one through bench/pg_loader.c (CSV decoder, typed batches, the engine's binary COPY
# writer in one transaction) and into the other through psql's \copy (CSV text COPY), in
# alternating order, BENCH_PG_PAIRS pairs (default 3). Printed: each run's wall time, the
# client's and the server's CPU, the medians and the ratio of median wall times.
set -u
ROOT=$(pwd)
DATA=$ROOT/build/bench/data
CSV=$DATA/lineitem.csv
GEN=$ROOT/../shared/bench/gen_lineitem.py
LOADER=$ROOT/build/release/bench/pg_loader
PAIRS=${BENCH_PG_PAIRS:-3}

if [ ! -s "$CSV" ]; then
    [ -f "$GEN" ] || { echo "bench/pg.sh: $GEN not found"; exit 1; }
    mkdir -p "$DATA"
    python3 "$GEN" 2000000 "$DATA" 42 >/dev/null
fi
[ -x "$LOADER" ] || { echo "bench/pg.sh: build $LOADER first (make bench)"; exit 1; }
command -v psql >/dev/null 2>&1 || { echo "bench/pg.sh: psql not installed: skipped"; exit 0; }

dir=$(mktemp -d /tmp/sluice-bench-pg-XXXXXX)
trap 'sh "$ROOT/tests/pg/pg.sh" stop "$dir"; rm -rf "$dir"' EXIT
url=$(sh "$ROOT/tests/pg/pg.sh" start "$dir") || { echo "bench/pg.sh: PostgreSQL did not start: skipped"; exit 0; }
cat "$CSV" >/dev/null
echo "PostgreSQL 15 (fsync on), $(nproc) cores, 2,000,000 lineitem rows, $PAIRS pairs"
python3 "$ROOT/bench/pg_bench.py" "$url" "$CSV" "$PAIRS" "$LOADER"
echo
echo "PostgreSQL store end to end over HTTP, and several nodes on one PostgreSQL (bench/pg_nodes.py)"
python3 "$ROOT/bench/pg_nodes.py" "$url" "$CSV" "$PAIRS" "$ROOT/build/release/sluice"
