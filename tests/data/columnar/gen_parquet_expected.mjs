// gen_parquet_expected.mjs - the expected contents of the parquet-testing files, read by an
// independent reader (DuckDB), for tests/e2e/test_columnar.py.
//
//   mkdir -p /tmp/duck && cd /tmp/duck && npm install @duckdb/node-api
//   NODE_PATH=/tmp/duck/node_modules node tests/data/columnar/gen_parquet_expected.mjs \
//       ../shared/conformance/parquet/data | gzip -9 > tests/data/columnar/parquet_expected.json.gz
//
// Output: {"<file>": {"columns": [[name, duckdb type]...], "rows": [[text|null...]...]} or
// {"<file>": {"error": "..."}} when DuckDB cannot read it. Values are DuckDB's VARCHAR casts
// (TimeZone UTC), to_json() for nested values and hex() for BLOBs.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
const require = createRequire(import.meta.url);
const { DuckDBInstance } = require('@duckdb/node-api');

const dir = process.argv[2];
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run("SET TimeZone='UTC'");
const out = {};
for (const name of fs.readdirSync(dir).filter(f => f.endsWith('.parquet')).sort()) {
  const f = path.join(dir, name).replaceAll("'", "''");
  if (fs.statSync(path.join(dir, name)).size > 4 << 20) continue;
  try {
    const d = await con.runAndReadAll(`describe select * from read_parquet('${f}')`);
    const cols = d.getRowObjectsJson().map(r => [r.column_name, r.column_type]);
    const exprs = cols.map(([n, t]) => {
      const q = '"' + n.replaceAll('"', '""') + '"';
      if (/\[|STRUCT|MAP|UNION/.test(t)) return `to_json(${q})::VARCHAR`;
      if (t === 'BLOB') return `hex(${q})`;
      return `${q}::VARCHAR`;
    });
    const r = await con.runAndReadAll(`select ${exprs.join(', ')} from read_parquet('${f}')`);
    out[name] = {columns: cols, rows: r.getRows().map(row => row.map(v => v === null ? null : String(v)))};
  } catch (e) {
    out[name] = {error: String(e.message || e).split('\n')[0]};
  }
}
console.log(JSON.stringify(out));
