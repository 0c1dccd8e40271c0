// gen_columnar.mjs - the lineitem CSV (shared/bench/gen_lineitem.py) as the columnar bodies of
// bench/columnar.sh, written by real writers: DuckDB (npm @duckdb/node-api) for Parquet with
// snappy and with zstd, Apache Arrow JS (npm apache-arrow) for an Arrow IPC stream.
//
//   node bench/gen_columnar.mjs lineitem.csv OUTDIR     (NODE_PATH: where the packages are)
//
// Types as the bench table: BIGINT/INT keys, DECIMAL(15,2) amounts, DATE dates, strings.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
const require = createRequire(import.meta.url);
const { DuckDBInstance } = require('@duckdb/node-api');
const arrow = require('apache-arrow');

const [csv, out] = process.argv.slice(2);
const COLS = {l_orderkey: 'BIGINT', l_partkey: 'INTEGER', l_suppkey: 'INTEGER',
  l_linenumber: 'INTEGER', l_quantity: 'DECIMAL(15,2)', l_extendedprice: 'DECIMAL(15,2)',
  l_discount: 'DECIMAL(15,2)', l_tax: 'DECIMAL(15,2)', l_returnflag: 'VARCHAR',
  l_linestatus: 'VARCHAR', l_shipdate: 'DATE', l_commitdate: 'DATE', l_receiptdate: 'DATE',
  l_shipinstruct: 'VARCHAR', l_shipmode: 'VARCHAR', l_comment: 'VARCHAR'};

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const cols = Object.entries(COLS).map(([k, v]) => `'${k}': '${v}'`).join(', ');
await con.run(`CREATE TABLE l AS SELECT * FROM read_csv('${csv}', header=false, columns={${cols}})`);
for (const codec of ['snappy', 'zstd'])
  await con.run(`COPY l TO '${path.join(out, `lineitem.${codec}.parquet`)}'
                 (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 122880)`);

// Arrow stream: record batches of 65536 rows, built column by column.
const lines = fs.readFileSync(csv, 'utf8').split('\n').filter(s => s.length);
const dayOf = s => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 86400000;
const cents = s => { const [a, b = '0'] = s.split('.'); return +a * 100 + +(b + '00').slice(0, 2); };
const dec = new arrow.Decimal(2, 15, 128);
function decimals(vals) {
  const w = new Uint32Array(vals.length * 4);
  vals.forEach((v, i) => { w[i * 4] = v % 4294967296; w[i * 4 + 1] = Math.floor(v / 4294967296); });
  return arrow.makeVector(arrow.makeData({type: dec, length: vals.length, nullCount: 0, data: w}));
}
const batches = [];
for (let s = 0; s < lines.length; s += 65536) {
  const f = lines.slice(s, s + 65536).map(l => l.split(','));
  const col = i => f.map(r => r[i]);
  const ints = (i, A) => arrow.makeVector(A.from(col(i), x => A === BigInt64Array ? BigInt(x) : +x));
  const days = i => arrow.makeVector(arrow.makeData({type: new arrow.DateDay(), length: f.length,
    nullCount: 0, data: Int32Array.from(col(i), dayOf)}));
  const str = i => arrow.vectorFromArray(col(i), new arrow.Utf8());
  const t = new arrow.Table({
    l_orderkey: ints(0, BigInt64Array), l_partkey: ints(1, Int32Array),
    l_suppkey: ints(2, Int32Array), l_linenumber: ints(3, Int32Array),
    l_quantity: decimals(col(4).map(cents)), l_extendedprice: decimals(col(5).map(cents)),
    l_discount: decimals(col(6).map(cents)), l_tax: decimals(col(7).map(cents)),
    l_returnflag: str(8), l_linestatus: str(9), l_shipdate: days(10), l_commitdate: days(11),
    l_receiptdate: days(12), l_shipinstruct: str(13), l_shipmode: str(14), l_comment: str(15)});
  batches.push(...t.batches);
}
fs.writeFileSync(path.join(out, 'lineitem.arrow'), arrow.tableToIPC(new arrow.Table(batches), 'stream'));
