"""Parquet, ORC and Arrow IPC stream bodies over real HTTP (issue 15), data-driven from the real
corpora of shared/conformance/COLUMNAR.md: for every file a table is created from the file's
schema (columnar_expect.py maps the types), the file is loaded with `format: <fmt>`, and the
rows read back must equal the expected contents; or the load must be refused with the reason
listed in REFUSED. docs/columnar.md lists the outcome per file.

Also: `columns` renaming and computing over a parquet body, `where`, strict mode, a value a
column cannot hold, a truncated file (nothing loaded), the body limit, the load time zone for
UTC-adjusted timestamps, and no spool file left behind.
"""
import decimal
import json
import math
import os
import unittest

from harness import STORE, Server
import columnar_expect as ce

D = decimal.Decimal

# Files refused, with the reason the reply must carry.
REFUSED = {
    "parquet/large_string_map.brotli.parquet": "exceeds the 268435456-byte limit",
    "orc/zero.orc": "Invalid ORC file: empty body",
    "orc/encrypted/sample1.orc": "encrypted orc files are not supported",
    "orc/encrypted/sample2.orc": "encrypted orc files are not supported",
}

# The reason the PostgreSQL store refuses a text value with NUL or invalid UTF-8.
PG_TEXT = "PostgreSQL stores text as UTF-8 without NUL bytes"

# ORC files without upstream expected rows: the rows they must load, into STRING columns of
# these names (their field names).
DEMO = ["_col%d" % i for i in range(9)]
ORC_ROWS = {
    "TestOrcFile.testSargSkipPickupGroupWithoutIndexCPlusPlus.orc": (10000, ["x", "y"]),
    "TestOrcFile.testSargSkipPickupGroupWithoutIndexJava.orc": (10000, ["x", "y"]),
    "TestOrcFile.testWithoutCompressionBlockSize.orc": (100, ["_col0"]),
    "bad_bloom_filter_1.6.0.orc": (5, ["id", "name"]),
    "bad_bloom_filter_1.6.11.orc": (5, ["id", "name"]),
    "complextypes_iceberg.orc": (1, ["id", "int_array", "int_array_array", "int_map",
                                     "int_map_array", "nested_struct"]),
    "decimal64_v2.orc": (10, ["a", "b", "c", "d", "e"]),
    "decimal64_v2_cplusplus.orc": (10, ["a", "b", "c", "d", "e"]),
    "demo-11-zlib.orc": (1920800, DEMO),  # TPC-DS customer_demographics: 1,920,800 rows
    "demo-12-zlib.orc": (1920800, DEMO),
    "orc_no_format.orc": (5, ["_col0", "_col1", "_col2"]),
    "version1999.orc": (0, ["x"]),
}
# Same data as another file with expected rows (the same writer test, another codec).
ORC_SAME = {"TestVectorOrcFile.testZstd.0.12.orc": "TestVectorOrcFile.testLz4.orc"}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def canon(kind, v):
    """A sort key that is the same for a loaded value and its expectation."""
    if v is None:
        return "\0"
    if kind in ("float", "double") and not isinstance(v, str):
        return "%.5g" % (float(v) + 0.0)  # -0.0 is stored as 0
    if kind in ("decimal", "numtext"):
        return "%.12g" % float(D(str(v)))
    if kind == "bool":
        return str(bool(v))
    if kind == "int":
        return str(int(v))
    if kind == "json":
        try:
            return ce.canon_json(json.loads(v, parse_float=D) if isinstance(v, str) else v)
        except ValueError:
            return v
    if kind == "time":
        return ce.frac_trim(v)
    if kind == "bytes":
        return ce.fffd(v)
    return str(v)


class ColumnarTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "streaming_load_max_mb=64"])
        cls.s.sql("CREATE DATABASE col")
        cls.n = 0
        cls.outcome = {}

    @classmethod
    def tearDownClass(cls):
        cls.s.close()
        out = os.environ.get("COLUMNAR_REPORT")
        if out:
            with open(out, "w") as f:
                json.dump(cls.outcome, f, indent=1, sort_keys=True)

    # ---- helpers -------------------------------------------------------------------------
    def table(self, cols):
        """A new table with these (name, type, kind) columns; duplicate names keep the first."""
        ColumnarTest.n += 1
        t = "t%d" % ColumnarTest.n
        seen, defs = set(), []
        for name, typ, _ in cols:
            if name.lower() in seen or name == "":
                continue
            seen.add(name.lower())
            defs.append("`%s` %s" % (name.replace("`", "``"), typ))
        self.s.sql("CREATE TABLE col.%s (%s) DISTRIBUTED BY RANDOM BUCKETS 1" % (t, ", ".join(defs)))
        return t

    def load(self, table, body, fmt, headers=()):
        hs = [("format", fmt), ("timezone", "UTC")] + list(headers)
        return self.s.load("col", table, body, hs).json()

    def select(self, stmt):
        r = self.s.request("POST", "/api/query/default_cluster/col",
                           [("Authorization", "Basic cm9vdDo="),
                            ("Content-Type", "application/json")],
                           json.dumps({"stmt": stmt}).encode())
        doc = json.loads(r.body.decode(), parse_float=D)
        self.assertEqual(doc["code"], 0, doc)
        return doc["data"]["data"]

    def check_case(self, key, body, fmt, case):
        """Load body into a table made for case and compare the rows (as multisets)."""
        cols = []
        seen = set()
        keep = []
        for i, c in enumerate(case["cols"]):
            if c[0].lower() in seen or c[0] == "":
                continue
            seen.add(c[0].lower())
            cols.append(c)
            keep.append(max(j for j, d in enumerate(case["cols"]) if d[0].lower() == c[0].lower()))
        t = self.table(cols or [("x", "STRING", "text")])
        doc = self.load(t, body, fmt)
        exp = [[r[j] for j in keep] for r in case["rows"]]
        if STORE == "postgres" and doc["Status"] == "Fail" and PG_TEXT in doc["Message"]:
            # PostgreSQL's text holds UTF-8 without NUL: a binary value that is not refuses
            # the load (nothing loaded), where the embedded store keeps the bytes
            col = doc["Message"].split("column ", 1)[1].split(",", 1)[0]
            i = [c[0] for c in cols].index(col)
            self.assertEqual(cols[i][2], "bytes", key)
            self.assertTrue(any(r[i] and ("\ufffd" in r[i] or "\0" in r[i]) for r in exp), key)
            self.assertEqual(self.select("select count(*) from %s" % t), [[0]])
            self.outcome[key] = "refused on PostgreSQL: " + doc["Message"]
            return
        self.assertEqual(doc["Status"], "Success", (key, doc))
        got = self.select("select * from %s" % t) if exp else []
        self.assertEqual(doc["NumberLoadedRows"], len(exp), key)
        self.assertEqual(len(got), len(exp), key)
        kinds = [c[2] for c in cols]
        keyf = lambda r: [canon(k, v) for k, v in zip(kinds, r)]  # noqa: E731
        got.sort(key=keyf)
        exp.sort(key=keyf)
        bad = []
        for i, (g, e) in enumerate(zip(got, exp)):
            for c, k, gv, ev in zip(cols, kinds, g, e):
                if not ce.same(k, gv, ev):
                    bad.append("%s row %d %s: got %r, expected %r" % (key, i, c[0], gv, ev))
        self.assertEqual(bad[:5], [], "%d differences" % len(bad))
        self.outcome[key] = "loads %d rows, equal to the expected contents" % len(exp)

    def check_refused(self, key, body, fmt):
        t = self.table([("x", "STRING", "text")])
        doc = self.load(t, body, fmt)
        self.assertEqual(doc["Status"], "Fail", (key, doc))
        self.assertIn(REFUSED[key], doc["Message"], key)
        self.assertEqual(self.select("select count(*) from %s" % t), [[0]])
        self.outcome[key] = "refused: " + doc["Message"]

    def strings_table(self, names):
        return self.table([(n, "STRING", "text") for n in names])

    # ---- the corpora ---------------------------------------------------------------------
    def test_parquet_corpus(self):
        for name, case in sorted(ce.parquet_cases().items()):
            key = "parquet/" + name
            with self.subTest(file=name):
                body = read(os.path.join(ce.PARQUET_DIR, name))
                if key in REFUSED:
                    self.check_refused(key, body, "parquet")
                elif name == "byte_stream_split_extended.gzip.parquet":
                    self.check_split_pairs(key, body)
                elif name == "map_no_value.parquet":
                    self.check_map_no_value(key, body)
                else:
                    self.assertIsNotNone(case, name)
                    self.check_case(key, body, "parquet", case)

    def check_split_pairs(self, key, body):
        """Every BYTE_STREAM_SPLIT column equals its PLAIN twin (DuckDB cannot read it)."""
        kinds = ["float16", "float", "double", "int32", "int64", "flba5", "decimal"]
        names = [k + s for k in kinds for s in ("_plain", "_byte_stream_split")]
        t = self.strings_table(names)
        doc = self.load(t, body, "parquet")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 200), doc)
        rows = self.select("select * from %s" % t)
        self.assertEqual(len(rows), 200)
        for r in rows:
            for i in range(0, len(names), 2):
                self.assertIsNotNone(r[i])
                self.assertEqual(r[i], r[i + 1], names[i])
        self.outcome[key] = "loads 200 rows; each BYTE_STREAM_SPLIT column equals its PLAIN twin"

    def check_map_no_value(self, key, body):
        """MAP with NULL values, MAP without a value field, LIST of the same keys."""
        t = self.strings_table(["my_map", "my_map_no_v", "my_list"])
        doc = self.load(t, body, "parquet")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 3), doc)
        for m, mv, lst in self.select("select * from %s" % t):
            keys = json.loads(lst)
            self.assertEqual(json.loads(m), {str(k): None for k in keys})
            self.assertEqual(json.loads(mv), {str(k): None for k in keys})
        self.outcome[key] = "loads 3 rows: maps of NULL values keyed like the list column"

    def test_orc_corpus(self):
        names = sorted(f for f in os.listdir(ce.ORC_DIR) if f.endswith(".orc"))
        names += ["encrypted/" + f for f in sorted(os.listdir(os.path.join(ce.ORC_DIR,
                                                                             "encrypted")))
                  if f.endswith(".orc")]
        for name in names:
            key = "orc/" + name
            with self.subTest(file=name):
                body = read(os.path.join(ce.ORC_DIR, name))
                if key in REFUSED:
                    self.check_refused(key, body, "orc")
                elif name in ORC_ROWS:
                    self.check_orc_rows(key, body, name)
                else:
                    case = ce.orc_case(ORC_SAME.get(name, name))
                    self.check_case(key, body, "orc", case)

    def check_orc_rows(self, key, body, name):
        n, names = ORC_ROWS[name]
        t = self.strings_table(names)
        doc = self.load(t, body, "orc")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", n), (key, doc))
        self.assertEqual(self.select("select count(*) from %s" % t), [[n]])
        self.outcome[key] = "loads %d rows (no upstream expected rows: count checked)" % n

    def test_orc_demo_values(self):
        """demo-12-zlib is TPC-DS customer_demographics: spot-check known rows."""
        t = self.table([("_col0", "BIGINT", "int"), ("_col1", "STRING", "text"),
                        ("_col2", "STRING", "text"), ("_col3", "STRING", "text"),
                        ("_col4", "INT", "int")])
        body = read(os.path.join(ce.ORC_DIR, "demo-12-zlib.orc"))
        doc = self.load(t, body, "orc")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 1920800), doc)
        self.assertEqual(self.select("select * from %s where _col0 in (1, 1920800) order by _col0"
                                     % t),
                         [[1, "M", "M", "Primary", 500], [1920800, "F", "U", "Unknown", 10000]])

    def test_arrow_corpus(self):
        for rel in ce.arrow_files():
            key = "arrow/" + rel
            with self.subTest(file=rel):
                path = os.path.join(ce.ARROW_DIR, rel)
                body = read(path)
                self.check_case(key, body, "arrow", ce.arrow_case(path))

    # ---- the load features on columnar bodies -------------------------------------------------
    def test_columns_rename_compute_where(self):
        """`columns` names the file's fields to read and computes others; `where` filters."""
        t = self.table([("id", "INT", "int"), ("s", "STRING", "text"), ("dbl", "DOUBLE", "double"),
                        ("ts", "DATETIME", "datetime")])
        body = read(os.path.join(ce.PARQUET_DIR, "alltypes_plain.parquet"))
        doc = self.load(t, body, "parquet", [
            ("columns", "id, string_col, double_col, timestamp_col, s = concat('v', string_col), "
                        "dbl = double_col * 2, ts = timestamp_col"),
            ("where", "id > 3")])
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"], doc["NumberUnselectedRows"]),
                         ("Success", 4, 4), doc)
        rows = self.select("select id, s, dbl, ts from %s order by id" % t)
        self.assertEqual([[r[0], r[1], float(r[2]), r[3]] for r in rows],
                         [[4, "v0", 0.0, "2009-03-01 00:00:00"],
                          [5, "v1", 20.2, "2009-03-01 00:01:00"],
                          [6, "v0", 0.0, "2009-04-01 00:00:00"],
                          [7, "v1", 20.2, "2009-04-01 00:01:00"]])

    def test_value_a_column_cannot_hold(self):
        """Not strict: NULL. Strict: an error row, counted and logged, as for CSV."""
        t = self.table([("id", "INT", "int"), ("timestamp_col", "TINYINT", "int")])
        body = read(os.path.join(ce.PARQUET_DIR, "alltypes_plain.parquet"))
        doc = self.load(t, body, "parquet")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 8), doc)
        self.assertEqual(self.select("select count(*) from %s where timestamp_col is null" % t),
                         [[8]])
        doc = self.load(t, body, "parquet", [("strict_mode", "true")])
        self.assertEqual((doc["Status"], doc["NumberFilteredRows"]), ("Fail", 8), doc)
        self.assertIn("strict mode", doc["FirstErrorMsg"])
        doc = self.load(t, body, "parquet", [("strict_mode", "true"), ("max_filter_ratio", "1")])
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"], doc["NumberFilteredRows"]),
                         ("Success", 0, 8), doc)

    def test_truncated_or_corrupt_bodies_load_nothing(self):
        t = self.table([("id", "INT", "int"), ("f1", "STRING", "text"), ("_col0", "STRING", "text")])
        pq = read(os.path.join(ce.PARQUET_DIR, "alltypes_plain.parquet"))
        orc = read(os.path.join(ce.ORC_DIR, "TestOrcFile.testDate1900.orc"))
        arrow = read(os.path.join(ce.ARROW_DIR, "1.0.0-littleendian", "generated_primitive.stream"))
        cases = [
            (pq[:len(pq) // 2], "parquet", "[INVALID_ARGUMENT]Invalid magic number in parquet file"),
            (pq[:-9] + b"\xff" + pq[-8:], "parquet", "[INVALID_ARGUMENT]"),
            (b"PAR1" + b"\0" * 100 + b"\x05\0\0\0PAR1", "parquet", "parquet footer"),
            (orc[:len(orc) // 2], "orc", "[INVALID_ARGUMENT]Init OrcReader failed"),
            (orc[:3000] + b"\0" * 1000 + orc[4000:], "orc", "[INVALID_ARGUMENT]orc file is corrupt"),
            (arrow[:len(arrow) - 100], "arrow", "[INVALID_ARGUMENT]arrow stream is truncated"),
            (b"\xff\xff\xff\xff\x10\0\0\0" + b"\x07" * 16, "arrow",
             "[INVALID_ARGUMENT]arrow stream is corrupt"),
            (b"", "parquet", "[INVALID_ARGUMENT]"),
        ]
        for body, fmt, msg in cases:
            with self.subTest(fmt=fmt, n=len(body)):
                doc = self.load(t, body, fmt)
                self.assertEqual(doc["Status"], "Fail", doc)
                self.assertIn(msg, doc["Message"])
                self.assertEqual(doc["NumberLoadedRows"], 0)
        self.assertEqual(self.select("select count(*) from %s" % t), [[0]])
        spools = [f for _, _, fs in os.walk(self.s.data_dir) for f in fs if "spool" in f]
        self.assertEqual(spools, [])

    def test_load_time_zone_for_utc_timestamps(self):
        """UTC-adjusted timestamps (here INT96) are shown in the load's time zone."""
        t = self.table([("id", "INT", "int"), ("timestamp_col", "DATETIME", "datetime")])
        body = read(os.path.join(ce.PARQUET_DIR, "alltypes_plain.parquet"))
        doc = self.s.load("col", t, body, [("format", "parquet"), ("timezone", "+08:00"),
                                           ("where", "id = 0")]).json()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.select("select timestamp_col from %s" % t),
                         [["2009-01-01 08:00:00"]])


if __name__ == "__main__":
    unittest.main()
