#!/bin/sh
# bench/columnar.sh - Parquet / ORC-free / Arrow bodies of the 2,000,000-row lineitem (issue 15):
# decode speed per core (bench_columnar: file MB and rows per CPU second) and end-to-end HTTP
# loads into the SQLite store (curl -T, format header), several runs each; the ClickHouse
# `INSERT ... FORMAT Parquet` of the same file when the installed ClickHouse has that format.
# Called by bench/run.sh; runnable alone after `make all build/release/bench/bench_columnar`.
#
# Files: bench/gen_columnar.mjs writes them from build/bench/data/lineitem.csv with real writers
# (npm @duckdb/node-api for Parquet snappy and zstd, npm apache-arrow for the Arrow stream),
# installed once into build/bench/node. Skipped (with a line saying so) without node/npm.
set -u
ROOT=$(pwd)
B=$ROOT/build/release/bench
W=$ROOT/build/bench
DATA=$W/data
RUNS=${BENCH_RUNS:-3}
CSV=$DATA/lineitem.csv
ROWS=2000000
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

[ -s "$CSV" ] || { echo "columnar: $CSV missing (bench/run.sh generates it)"; exit 1; }
if [ ! -s "$DATA/lineitem.arrow" ]; then
    command -v npm >/dev/null 2>&1 || { echo "columnar: npm not found, section skipped"; exit 0; }
    mkdir -p "$W/node"
    (cd "$W/node" && [ -d node_modules/apache-arrow ] ||
        npm install --silent --no-audit --no-fund @duckdb/node-api apache-arrow >/dev/null 2>&1) ||
        { echo "columnar: npm install failed, section skipped"; exit 0; }
    echo "writing lineitem as Parquet (snappy, zstd) and an Arrow stream (once) ..."
    NODE_PATH=$W/node/node_modules node "$ROOT/bench/gen_columnar.mjs" "$CSV" "$DATA" ||
        { echo "columnar: writer failed, section skipped"; exit 0; }
fi

echo "decode on one core (best of $RUNS; file bytes / CPU s):"
for f in lineitem.snappy.parquet lineitem.zstd.parquet lineitem.arrow; do
    case $f in *.arrow) fmt=arrow ;; *) fmt=parquet ;; esac
    "$B/bench_columnar" "$fmt" "$DATA/$f" "$RUNS" | sed "s|$DATA/||"
done

DDL="CREATE TABLE lineitem (l_orderkey BIGINT, l_partkey INT, l_suppkey INT, l_linenumber INT,
 l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2),
 l_tax DECIMAL(15,2), l_returnflag CHAR(1), l_linestatus CHAR(1), l_shipdate DATE,
 l_commitdate DATE, l_receiptdate DATE, l_shipinstruct VARCHAR(25), l_shipmode VARCHAR(10),
 l_comment VARCHAR(44)) DUPLICATE KEY(l_orderkey) DISTRIBUTED BY HASH(l_orderkey) BUCKETS 1"
echo "end to end (curl -T into sluice, SQLite store; $RUNS runs, each on a fresh server):"
for f in lineitem.csv lineitem.snappy.parquet lineitem.zstd.parquet lineitem.arrow; do
    case $f in *.arrow) h="format: arrow" ;; *.parquet) h="format: parquet" ;;
        *) h="column_separator: ," ;; esac
    for r in $(seq "$RUNS"); do
        rm -rf "$W/srv" "$W/srv.log"
        "$ROOT/build/release/sluice" serve --data-dir "$W/srv" --fe-port 0 --be-port 0 \
            --tsload-port -1 --mysql-port -1 --set workers=8 >"$W/srv.log" 2>&1 &
        SPID=$!
        i=0
        while ! grep -q be_port= "$W/srv.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
        FE=$(sed -n 's/.*fe_port=\([0-9]*\).*/\1/p' "$W/srv.log")
        BE=$(sed -n 's/.*be_port=\([0-9]*\).*/\1/p' "$W/srv.log")
        "$ROOT/build/release/sluice" sql --port "$FE" "CREATE DATABASE b" >/dev/null
        "$ROOT/build/release/sluice" sql --port "$FE" --db b "$DDL" >/dev/null
        t0=$(now)
        curl -sS -u root: -H "$h" -H "Expect:" -T "$DATA/$f" -XPUT \
            "http://127.0.0.1:$BE/api/b/lineitem/_stream_load" >"$W/reply.json"
        t=$(secs "$t0" "$(now)")
        RSS=$(echo "$(grep VmHWM /proc/"$SPID"/status | awk '{print $2}') / 1024" | bc)
        kill "$SPID"; wait "$SPID" 2>/dev/null
        grep -q '"NumberLoadedRows": 2000000' "$W/reply.json" || { echo "load failed:"; cat "$W/reply.json"; }
        echo "  $f run $r: ${t}s, $(echo "$ROWS / $t" | bc) rows/s, server peak RSS ${RSS} MB"
    done
done
rm -rf "$W/srv"

if command -v clickhouse-server >/dev/null 2>&1 || command -v clickhouse >/dev/null 2>&1; then
    V=$( (clickhouse-client --version || clickhouse --version) 2>/dev/null | head -n 1)
    if echo "SELECT 1 FORMAT Parquet" | clickhouse-local >/dev/null 2>&1; then
        echo "ClickHouse ($V): run bench/run.sh's server section with FORMAT Parquet"
    else
        echo "ClickHouse ($V): no Parquet format in this version; ratio not measured"
    fi
else
    echo "ClickHouse: not installed; its INSERT ... FORMAT Parquet ratio not measured"
fi
