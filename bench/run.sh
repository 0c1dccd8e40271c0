#!/bin/sh
# bench/run.sh - the benchmarks of `make bench`, in one run on this machine, with ratios.
#
#  1. decoders to typed batches on one core (CSV, NDJSON) and the raw decoders
#  2. end-to-end HTTP load of the 2,000,000-row lineitem CSV into the SQLite store (curl -T),
#     rows/s and the server's peak RSS
#  3. reference tools on the same file: sqlite3 .import, a C loader of prepared inserts in one
#     transaction (the single-writer ceiling), ClickHouse's HTTP insert (skipped if absent)
#  3b. the same rows as Parquet (snappy, zstd) and an Arrow stream: decode speed, HTTP loads
#  4. 64 concurrent loads of 1/64 of the file each; one generated stream of BENCH_STREAM_GB
#     (default 10) GB: peak RSS
#  5. the PostgreSQL engine's writer against psql \copy into an identical table (bench/pg.sh)
#  6. the embedded store as an analytic store (issue 18): loads and five TPC-H-shaped queries
#     against ClickHouse, alternating pairs, answers compared (bench/analytic.py)
#
# Data: ../shared/bench/gen_lineitem.py (seed 42) into build/bench/data, generated once.
# Every figure is one timed run after the data is in the page cache.
set -u
ROOT=$(pwd)
B=$ROOT/build/release/bench
W=$ROOT/build/bench
DATA=$W/data
GEN=$ROOT/../shared/bench/gen_lineitem.py
STREAM_GB=${BENCH_STREAM_GB:-10}
mkdir -p "$DATA" "$W"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

if [ ! -s "$DATA/lineitem.csv" ]; then
    [ -f "$GEN" ] || { echo "bench: $GEN not found (shared/ must sit beside the checkout)"; exit 1; }
    echo "generating 2,000,000 lineitem rows (once) ..."
    python3 "$GEN" 2000000 "$DATA" 42 >/dev/null
fi
CSV=$DATA/lineitem.csv
NDJSON=$DATA/lineitem.ndjson
ROWS=2000000
MB=$(echo "scale=2; $(stat -L -c %s "$CSV") / 1000000" | bc)
cat "$CSV" "$NDJSON" >/dev/null

DDL="CREATE TABLE lineitem (l_orderkey BIGINT, l_partkey INT, l_suppkey INT, l_linenumber INT,
 l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2),
 l_tax DECIMAL(15,2), l_returnflag CHAR(1), l_linestatus CHAR(1), l_shipdate DATE,
 l_commitdate DATE, l_receiptdate DATE, l_shipinstruct VARCHAR(25), l_shipmode VARCHAR(10),
 l_comment VARCHAR(44)) DUPLICATE KEY(l_orderkey) DISTRIBUTED BY HASH(l_orderkey) BUCKETS 1"
SQLITE_DDL="CREATE TABLE lineitem (l_orderkey INTEGER, l_partkey INTEGER, l_suppkey INTEGER,
 l_linenumber INTEGER, l_quantity REAL, l_extendedprice REAL, l_discount REAL, l_tax REAL,
 l_returnflag TEXT, l_linestatus TEXT, l_shipdate TEXT, l_commitdate TEXT, l_receiptdate TEXT,
 l_shipinstruct TEXT, l_shipmode TEXT, l_comment TEXT);"

DERIVED="l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity, x_price, l_discount, l_tax,
 l_returnflag, l_linestatus, x_ship, l_commitdate, l_receiptdate, l_shipinstruct, x_mode, l_comment,
 l_extendedprice = x_price + 0, l_shipdate = date_add(x_ship, 1), l_shipmode = lower(x_mode)"

echo
echo "== 1. decoders on one core ($MB MB CSV)"
"$B/bench_csv" "$CSV" , 1024 3 | sed 's/^/raw /'
"$B/bench_typed" "$CSV" csv 3
"$B/bench_typed" "$CSV" csv 3 "$(echo $DERIVED)" | sed 's/^csv typed/csv typed, 3 derived columns/'
"$B/bench_json" "$NDJSON" by-line 256 3 | sed 's/^/raw /'
"$B/bench_typed" "$NDJSON" json 2
"$B/bench_pbrows" 1000000 256 3 | sed 's/^/yamcs rows: /'

start_server() { # extra serve arguments...
    rm -rf "$W/srv"
    "$ROOT/build/release/sluice" serve --data-dir "$W/srv" --fe-port 0 --be-port 0 \
        --tsload-port -1 --mysql-port -1 --set workers=8 "$@" >"$W/srv.log" 2>&1 &
    SPID=$!
    i=0
    while ! grep -q be_port= "$W/srv.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
    FE=$(sed -n 's/.*fe_port=\([0-9]*\).*/\1/p' "$W/srv.log")
    BE=$(sed -n 's/.*be_port=\([0-9]*\).*/\1/p' "$W/srv.log")
    "$ROOT/build/release/sluice" sql --port "$FE" "CREATE DATABASE b" >/dev/null
    "$ROOT/build/release/sluice" sql --port "$FE" --db b "$DDL" >/dev/null
}
stop_server() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
peak_rss_mb() { echo "$(grep VmHWM /proc/"$SPID"/status | awk '{print $2}') / 1024" | bc; }
load() { # file -> seconds; checks the reply
    t0=$(now)
    curl -sS -u root: -H "column_separator:," -H "Expect:" -T "$1" -XPUT \
        "http://127.0.0.1:$BE/api/b/lineitem/_stream_load" >"$W/reply.json"
    t1=$(now)
    grep -q '"Status": "Success"' "$W/reply.json" || { echo "load failed:"; cat "$W/reply.json"; }
    secs "$t0" "$t1"
}

load_h() { # file header... -> seconds (headers added to the load)
    f=$1
    shift
    t0=$(now)
    curl -sS -u root: -H "Expect:" "$@" -T "$f" -XPUT \
        "http://127.0.0.1:$BE/api/b/lineitem/_stream_load" >"$W/reply.json"
    t1=$(now)
    grep -q '"Status": "Success"' "$W/reply.json" || { echo "load failed:"; cat "$W/reply.json"; }
    secs "$t0" "$t1"
}

echo
echo "== 2. end-to-end: curl -T into sluice (SQLite store)"
start_server
T_SL=$(load "$CSV")
RSS=$(peak_rss_mb)
stop_server
R_SL=$(echo "$ROWS / $T_SL" | bc)
echo "sluice CSV: ${T_SL}s, $R_SL rows/s, server peak RSS ${RSS} MB"
start_server
T_DER=$(load_h "$CSV" -H "column_separator:," -H "columns: $(echo $DERIVED)")
stop_server
echo "sluice CSV with 3 derived columns: ${T_DER}s, $(echo "$ROWS / $T_DER" | bc) rows/s"
start_server
T_JS=$(load_h "$NDJSON" -H "format: json" -H "read_json_by_line: true")
stop_server
echo "sluice NDJSON (by line): ${T_JS}s, $(echo "$ROWS / $T_JS" | bc) rows/s"

echo
echo "== 3. reference tools on the same file"
rm -f "$W/import.db"
t0=$(now)
sqlite3 "$W/import.db" "$SQLITE_DDL" ".import --csv $CSV lineitem"
T_IMP=$(secs "$t0" "$(now)")
echo "sqlite3 .import: ${T_IMP}s, $(echo "$ROWS / $T_IMP" | bc) rows/s"
rm -f "$W/loader.db"
sqlite3 "$W/loader.db" "$SQLITE_DDL"
t0=$(now)
"$B/sqlite_loader" "$W/loader.db" "$CSV" >/dev/null
T_C=$(secs "$t0" "$(now)")
echo "C loader (prepared inserts, one txn): ${T_C}s, $(echo "$ROWS / $T_C" | bc) rows/s"
T_CH=""
T_CHJ=""
if command -v clickhouse-server >/dev/null 2>&1; then
    CH=$W/ch
    rm -rf "$CH" && mkdir -p "$CH/log" "$CH/data"
    sed -e "s|/var/log/clickhouse-server/|$CH/log/|g" -e "s|/var/lib/clickhouse/|$CH/data/|g" \
        -e 's|<tcp_port>9000</tcp_port>|<tcp_port>19000</tcp_port>|' \
        -e 's|<http_port>8123</http_port>|<http_port>18123</http_port>|' \
        -e 's|<interserver_http_port>9009</interserver_http_port>|<interserver_http_port>19009</interserver_http_port>|' \
        -e 's|<!-- <listen_try>0</listen_try> -->|<listen_host>127.0.0.1</listen_host>|' \
        /etc/clickhouse-server/config.xml >"$CH/config.xml"
    cp /etc/clickhouse-server/users.xml "$CH/"
    chown -R clickhouse:clickhouse "$CH" 2>/dev/null
    su clickhouse -s /bin/sh -c "cd $CH && exec clickhouse-server --config-file=$CH/config.xml" \
        >/dev/null 2>&1 &
    i=0
    while ! curl -s http://127.0.0.1:18123/ >/dev/null 2>&1 && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
    curl -sS -d "CREATE TABLE lineitem (l_orderkey UInt64, l_partkey UInt32, l_suppkey UInt32,
      l_linenumber UInt8, l_quantity Decimal(15,2), l_extendedprice Decimal(15,2),
      l_discount Decimal(15,2), l_tax Decimal(15,2), l_returnflag String, l_linestatus String,
      l_shipdate Date, l_commitdate Date, l_receiptdate Date, l_shipinstruct String,
      l_shipmode String, l_comment String) ENGINE = MergeTree ORDER BY (l_orderkey, l_linenumber)" \
        http://127.0.0.1:18123/ >/dev/null 2>&1
    curl -sS -X POST -T "$CSV" 'http://127.0.0.1:18123/?query=INSERT%20INTO%20lineitem%20FORMAT%20CSV' >/dev/null 2>&1
    curl -sS -d 'TRUNCATE TABLE lineitem' http://127.0.0.1:18123/ >/dev/null 2>&1
    t0=$(now)
    curl -sS -X POST -T "$CSV" 'http://127.0.0.1:18123/?query=INSERT%20INTO%20lineitem%20FORMAT%20CSV'
    T_CH=$(secs "$t0" "$(now)")
    echo "ClickHouse HTTP insert (curl -X POST -T, CSV): ${T_CH}s, $(echo "$ROWS / $T_CH" | bc) rows/s"
    curl -sS -d 'TRUNCATE TABLE lineitem' http://127.0.0.1:18123/ >/dev/null 2>&1
    t0=$(now)
    curl -sS -X POST -T "$NDJSON" 'http://127.0.0.1:18123/?query=INSERT%20INTO%20lineitem%20FORMAT%20JSONEachRow'
    T_CHJ=$(secs "$t0" "$(now)")
    echo "ClickHouse HTTP insert (curl -X POST -T, JSONEachRow): ${T_CHJ}s, $(echo "$ROWS / $T_CHJ" | bc) rows/s"
    pkill -f "clickhouse-server --config-file=$CH" 2>/dev/null
else
    echo "ClickHouse: not installed here (apt-get install clickhouse-server failed or skipped)"
fi

echo
echo "== 3b. columnar bodies: Parquet and Arrow (bench/columnar.sh)"
sh "$ROOT/bench/columnar.sh"

echo
echo "== 4. concurrency and memory"
start_server
mkdir -p "$W/parts" && rm -f "$W/parts"/p*
split -n l/64 -d -a 2 "$CSV" "$W/parts/p"
t0=$(now)
PIDS=""
for f in "$W"/parts/p??; do
    curl -sS -u root: -H "column_separator:," -H "Expect:" -T "$f" -XPUT \
        "http://127.0.0.1:$BE/api/b/lineitem/_stream_load" >"$f.reply" &
    PIDS="$PIDS $!"
done
wait $PIDS
T_64=$(secs "$t0" "$(now)")
OK64=$(grep -l '"Status": "Success"' "$W"/parts/*.reply | wc -l)
stop_server
echo "64 concurrent loads: ${T_64}s, $(echo "$ROWS / $T_64" | bc) rows/s aggregate, $OK64/64 succeeded"
start_server
BYTES=$(echo "$STREAM_GB * 1000000000 / 1" | bc)
t0=$(now)
"$B/gen_stream" "$CSV" "$BYTES" | curl -sS -u root: -H "column_separator:," -H "Expect:" \
    -H "Transfer-Encoding: chunked" -T - -XPUT "http://127.0.0.1:$BE/api/b/lineitem/_stream_load" \
    >"$W/stream.json"
T_ST=$(secs "$t0" "$(now)")
RSS_ST=$(peak_rss_mb)
stop_server
ROWS_ST=$(sed -n 's/.*"NumberLoadedRows": \([0-9]*\).*/\1/p' "$W/stream.json")
echo "${STREAM_GB} GB stream: ${T_ST}s, ${ROWS_ST} rows, server peak RSS ${RSS_ST} MB"
JSON_GB=${BENCH_JSON_STREAM_GB:-5}
JBYTES=$(echo "$JSON_GB * 1000000000 / 1" | bc)
for shape in lines array; do
    # A whole-body JSON array is held to streaming_load_json_max_mb (100 MB) as in Doris; the
    # array run raises it to show that the decoder itself streams elements in flat memory.
    start_server --set streaming_load_json_max_mb=20000
    if [ $shape = lines ]; then
        H1="read_json_by_line: true"; ARG=""
    else
        H1="strip_outer_array: true"; ARG=array
    fi
    t0=$(now)
    "$B/gen_stream" "$NDJSON" "$JBYTES" $ARG | curl -sS -u root: -H "format: json" -H "$H1" \
        -H "Expect:" -H "Transfer-Encoding: chunked" -T - -XPUT \
        "http://127.0.0.1:$BE/api/b/lineitem/_stream_load" >"$W/jstream.json"
    T_J=$(secs "$t0" "$(now)")
    RSS_J=$(peak_rss_mb)
    stop_server
    ROWS_J=$(sed -n 's/.*"NumberLoadedRows": \([0-9]*\).*/\1/p' "$W/jstream.json")
    echo "${JSON_GB} GB JSON ($shape): ${T_J}s, ${ROWS_J} rows, server peak RSS ${RSS_J} MB"
done
rm -rf "$W/srv" "$W/parts"

echo
echo "== summary (ratios > 1 mean sluice is faster)"
echo "sluice vs sqlite3 .import:  $(ratio "$T_IMP" "$T_SL")x   (target >= 2.5)"
echo "sluice vs C loader:         $(ratio "$T_C" "$T_SL")x"
[ -n "$T_CH" ] && echo "sluice vs ClickHouse HTTP:  $(ratio "$T_CH" "$T_SL")x   (target >= 1.0)"
[ -n "$T_CH" ] && echo "sluice vs ClickHouse JSON:  $(ratio "$T_CHJ" "$T_JS")x"
echo "3 derived columns cost:     $(echo "scale=1; 100 * ($T_DER - $T_SL) / $T_SL" | bc)% of load time   (target <= 15)"
echo "64 concurrent vs single:    $(ratio "$T_SL" "$T_64")x   (target >= 0.9)"
echo "peak RSS, ${STREAM_GB} GB stream:    ${RSS_ST} MB   (target <= 128)"

echo
echo "== 5. PostgreSQL store: the engine's writer vs psql \\copy (target >= 1.3x)"
sh "$ROOT/bench/pg.sh"

echo
echo "== 6. analytic: loads and TPC-H-shaped queries against ClickHouse (issue 18)"
python3 "$ROOT/bench/analytic.py" --pairs "${BENCH_ANALYTIC_PAIRS:-5}" --csv "$CSV"
