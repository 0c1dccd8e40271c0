"""Issue 19: no Stream Load header that changes the data is silently ignored. One test per
header sluice implements beyond the basics (empty_field_as_null, every compress_type, hidden
columns, group commit, negative, load_to_single_tablet, skip_record_to_audit_log_table,
partial_update_new_key_behavior), the refusals, and a walk over the header table of
docs/doris-stream-load.md against the code's header list and the tests."""
import os
import re
import struct
import subprocess
import unittest

from harness import ROOT, Server, basic, wait_for

DOC = os.path.join(ROOT, "docs", "doris-stream-load.md")
SPEC_C = os.path.join(ROOT, "src", "proto", "doris_spec.c")
E2E = os.path.dirname(os.path.abspath(__file__))


def lz4_block_literals(data):
    """A raw LZ4 block holding data as one run of literals (valid LZ4, no match)."""
    n, out = len(data), bytearray([min(len(data), 15) << 4])
    if n >= 15:
        r = n - 15
        while r >= 255:
            out.append(255)
            r -= 255
        out.append(r)
    return bytes(out) + data


def snappy_literals(data):
    """A raw Snappy block holding data as one literal."""
    n, v, out = len(data), len(data), bytearray()
    while True:
        b, v = v & 0x7f, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            break
    out += bytes([(n - 1) << 2]) if n <= 60 else bytes([61 << 2]) + struct.pack("<H", n - 1)
    return bytes(out) + data


def hadoop_blocks(data, enc, chunk=7):
    """Hadoop BlockCompressorStream framing: [u32 rawlen] then [u32 clen][chunk] per chunk."""
    out = struct.pack(">I", len(data))
    for i in range(0, len(data), chunk):
        c = enc(data[i:i + chunk])
        out += struct.pack(">I", len(c)) + c
    return out


class DorisHeadersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE x")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def table(self, name, ddl):
        self.s.sql("DROP TABLE IF EXISTS %s" % name, "x")
        self.s.sql(ddl, "x")

    def load(self, table, body, headers=(), status="Success"):
        doc = self.s.load("x", table, body, list(headers)).json()
        self.assertEqual(doc["Status"], status, doc)
        return doc

    def rows(self, sql):
        return self.s.rows(sql, "x")

    # ---- empty_field_as_null ----------------------------------------------------------------
    def test_empty_field_as_null(self):
        self.table("e", "CREATE TABLE e (k INT, s VARCHAR(8), d DATE) DUPLICATE KEY(k) "
                        "DISTRIBUTED BY HASH(k) BUCKETS 1")
        body = b'1,,2024-01-01\n2,"",\n'
        sep = [("column_separator", ","), ("trim_double_quotes", "true")]
        self.load("e", body, sep)
        self.assertEqual(self.rows("select k, s, d from e order by k"),
                         [[1, "", "2024-01-01"], [2, "", None]])
        self.s.sql("TRUNCATE TABLE e", "x")
        self.load("e", body, sep + [("empty_field_as_null", "true")])
        self.assertEqual(self.rows("select k, s, d from e order by k"),
                         [[1, None, "2024-01-01"], [2, None, None]])
        doc = self.load("e", b'{"k":1}', [("format", "json"), ("empty_field_as_null", "true")],
                        "Fail")
        self.assertIn("empty_field_as_null applies to CSV only", doc["Message"])

    # ---- compress_type: every value Doris accepts ----------------------------------------------
    def test_compress_type_lzo_lzop(self):
        self.table("z", "CREATE TABLE z (k INT, v VARCHAR(16)) DUPLICATE KEY(k) "
                        "DISTRIBUTED BY HASH(k) BUCKETS 1")
        data = b"".join(b"%d,row%d\n" % (i, i) for i in range(5000))
        comp = subprocess.run(["lzop", "-c"], input=data, capture_output=True, check=True).stdout
        for ct in ("LZO", "lzop"):
            self.s.sql("TRUNCATE TABLE z", "x")
            doc = self.load("z", comp, [("column_separator", ","), ("compress_type", ct)])
            self.assertEqual((doc["NumberLoadedRows"], doc["LoadBytes"]), (5000, len(comp)))
            self.assertEqual(self.rows("select count(*), sum(k) from z"), [[5000, 12497500]])
        doc = self.load("z", comp[:-9], [("column_separator", ","), ("compress_type", "lzop")],
                        "Fail")
        self.assertIn("lzop: truncated stream", doc["Message"])

    def test_compress_type_hadoop_blocks(self):
        self.table("hb", "CREATE TABLE hb (k INT, v VARCHAR(16)) DUPLICATE KEY(k) "
                         "DISTRIBUTED BY HASH(k) BUCKETS 1")
        data = b"1,a\n2,bb\n3,ccc\n4,dddd\n"
        for ct, enc in (("LZ4_BLOCK", lz4_block_literals), ("lz4block", lz4_block_literals),
                        ("SNAPPY_BLOCK", snappy_literals), ("snappyblock", snappy_literals)):
            self.s.sql("TRUNCATE TABLE hb", "x")
            body = hadoop_blocks(data[:9], enc) + hadoop_blocks(data[9:], enc)
            self.load("hb", body, [("column_separator", ","), ("compress_type", ct)])
            self.assertEqual(self.rows("select k, v from hb order by k"),
                             [[1, "a"], [2, "bb"], [3, "ccc"], [4, "dddd"]], ct)

    def test_compress_type_json_by_line(self):
        self.table("j", "CREATE TABLE j (k INT, v VARCHAR(8)) DUPLICATE KEY(k) "
                        "DISTRIBUTED BY HASH(k) BUCKETS 1")
        data = b'{"k":1,"v":"a"}\n{"k":2,"v":"b"}\n'
        comp = subprocess.run(["lzop", "-c"], input=data, capture_output=True, check=True).stdout
        self.load("j", comp, [("format", "json"), ("read_json_by_line", "true"),
                              ("compress_type", "lzop")])
        self.assertEqual(self.rows("select k, v from j order by k"), [[1, "a"], [2, "b"]])
        doc = self.load("j", b"x", [("compress_type", "snappy")], "Fail")
        self.assertEqual(doc["Message"],
                         "[DATA_FILE_TYPE_ERROR]unknown compress_type, compress_type=snappy")

    # ---- hidden_columns / the delete sign ----------------------------------------------------
    def test_hidden_delete_sign(self):
        self.table("u", "CREATE TABLE u (k INT, v VARCHAR(8)) UNIQUE KEY(k) "
                        "DISTRIBUTED BY HASH(k) BUCKETS 1")
        sep = [("column_separator", ",")]
        self.load("u", b"1,a\n2,b\n3,c\n", sep)
        doc = self.load("u", b"1,x,1\n2,y,0\n4,z,0\n",
                        sep + [("hidden_columns", "__DORIS_DELETE_SIGN__")])
        self.assertEqual(doc["NumberLoadedRows"], 3)
        self.assertEqual(self.rows("select k, v from u order by k"),
                         [[2, "y"], [3, "c"], [4, "z"]])
        # named in `columns` instead, in any position
        self.load("u", b"1,3,c\n0,4,q\n", sep + [("columns", "__DORIS_DELETE_SIGN__, k, v")])
        self.assertEqual(self.rows("select k, v from u order by k"), [[2, "y"], [4, "q"]])
        # JSON, by name
        self.load("u", b'[{"k":2,"v":"j","__DORIS_DELETE_SIGN__":1}]',
                  [("format", "json"), ("strip_outer_array", "true"),
                   ("columns", "k, v, __DORIS_DELETE_SIGN__")])
        self.assertEqual(self.rows("select k from u order by k"), [[4]])
        # a sign that is no number is an error row (the hidden column is NOT NULL)
        doc = self.load("u", b"5,a,x\n", sep + [("hidden_columns", "__DORIS_DELETE_SIGN__")],
                        "Fail")
        self.assertIn("column(__DORIS_DELETE_SIGN__) values is null while columns is not "
                      "nullable", doc.get("FirstErrorMsg", ""))

    def test_hidden_columns_refusals(self):
        self.table("d", "CREATE TABLE d (k INT, v VARCHAR(8)) DUPLICATE KEY(k) "
                        "DISTRIBUTED BY HASH(k) BUCKETS 1")
        self.table("u2", "CREATE TABLE u2 (k INT, v VARCHAR(8)) UNIQUE KEY(k) "
                         "DISTRIBUTED BY HASH(k) BUCKETS 1")
        sep = [("column_separator", ",")]
        cases = [
            ("d", [("hidden_columns", "__DORIS_DELETE_SIGN__")],
             "__DORIS_DELETE_SIGN__ exists only in UNIQUE KEY tables"),
            ("u2", [("hidden_columns", "__DORIS_SEQUENCE_COL__")],
             "hidden column __DORIS_SEQUENCE_COL__ is not supported"),
            ("u2", [("hidden_columns", "__DORIS_DELETE_SIGN__,foo")],
             "Unknown hidden column 'foo'"),
            ("u2", [("hidden_columns", "__DORIS_DELETE_SIGN__"), ("columns", "k, v")],
             "hidden_columns is read only when columns is absent"),
            ("u2", [("hidden_columns", "__DORIS_DELETE_SIGN__"), ("merge_type", "DELETE")],
             "cannot be combined with merge_type MERGE or DELETE"),
            ("u2", [("columns", "k, v, __DORIS_DELETE_SIGN__ = 1")],
             "a derived __DORIS_DELETE_SIGN__ is not supported"),
        ]
        for table, hs, msg in cases:
            doc = self.load(table, b"1,a,1\n", sep + hs, "Fail")
            self.assertIn("[INVALID_ARGUMENT]", doc["Message"])
            self.assertIn(msg, doc["Message"])
        self.assertEqual(self.rows("select count(*) from u2"), [[0]])

    # ---- group commit ------------------------------------------------------------------------
    def test_group_commit_sync_and_async(self):
        self.table("g", "CREATE TABLE g (k INT, v VARCHAR(8)) DUPLICATE KEY(k) "
                        "DISTRIBUTED BY HASH(k) BUCKETS 1")
        sep = [("column_separator", ",")]
        doc = self.load("g", b"1,a\n2,b\n", sep + [("group_commit", "sync_mode")])
        self.assertIs(doc["GroupCommit"], True)
        self.assertNotIn("TwoPhaseCommit", doc)
        self.assertNotIn("BeginTxnTimeMs", doc)
        self.assertNotIn("CommitAndPublishTimeMs", doc)
        self.assertRegex(doc["Label"], r"^group_commit_[0-9a-f]{16}_[0-9a-f]{16}$")
        self.assertEqual(self.rows("select count(*) from g"), [[2]])  # visible when answered
        doc = self.load("g", b"3,c\n", sep + [("group_commit", "ASYNC_MODE")])
        self.assertIs(doc["GroupCommit"], True)
        self.assertEqual(doc["NumberLoadedRows"], 1)
        wait_for(lambda: self.rows("select count(*) from g") == [[3]], what="async rows")
        st = self.s.request("GET", "/api/x/get_load_state?label=" + doc["Label"],
                            [("Authorization", basic())]).json()
        self.assertEqual(st["data"], "VISIBLE")
        self.assertEqual(self.rows("select count(*) from g"), [[3]])  # exactly once

    def test_group_commit_rules(self):
        self.table("g2", "CREATE TABLE g2 (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) "
                         "BUCKETS 1")
        doc = self.s.load("x", "g2", b"1\n", [("group_commit", "async_mode")], label="mine").json()
        self.assertEqual(doc["Message"],
                         "[INVALID_ARGUMENT]label and group_commit can't be set at the same time")
        doc = self.load("g2", b"1\n", [("group_commit", "sometimes")], "Fail")
        self.assertEqual(doc["Message"], "[INVALID_ARGUMENT]group_commit can only be "
                                         "[async_mode, sync_mode, off_mode]")
        # as in Doris: off_mode, 2PC, partitions or an empty body load normally
        for hs, body in (([("group_commit", "off_mode")], b"1\n"),
                         ([("group_commit", "sync_mode"), ("two_phase_commit", "true")], b"1\n"),
                         ([("group_commit", "sync_mode"), ("partitions", "g2")], b"1\n"),
                         ([("group_commit", "sync_mode")], b"")):
            doc = self.load("g2", body, hs)
            self.assertNotIn("GroupCommit", doc)
            self.assertIn("TwoPhaseCommit", doc)
        self.assertEqual(self.rows("select count(*) from g2"), [[2]])  # 2PC one not committed

    # ---- negative ----------------------------------------------------------------------------
    def test_negative(self):
        self.table("a", "CREATE TABLE a (k INT, s BIGINT SUM, d DECIMAL(10,2) SUM, f DOUBLE SUM) "
                        "AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        sep = [("column_separator", ",")]
        self.load("a", b"1,10,5.50,1.5\n2,7,1.00,2\n", sep)
        self.load("a", b"1,4,0.25,0.5\n", sep + [("negative", "true")])
        self.assertEqual(self.rows("select k, s, d, f from a order by k"),
                         [[1, 6, 5.25, 1.0], [2, 7, 1.0, 2.0]])
        self.table("am", "CREATE TABLE am (k INT, s BIGINT SUM, m INT MAX) AGGREGATE KEY(k) "
                         "DISTRIBUTED BY HASH(k) BUCKETS 1")
        doc = self.load("am", b"1,1,1\n", sep + [("negative", "true")], "Fail")
        self.assertEqual(doc["Message"],
                         "[INVALID_ARGUMENT]Column is not SUM AggregateType. column:m")
        doc = self.load("a", b"1,1,1,1\n", sep + [("negative", "TRUE")], "Fail")
        self.assertIn("Invalid value of 'negative': 'TRUE'", doc["Message"])
        self.assertEqual(self.rows("select s from a where k = 1"), [[6]])

    # ---- load_to_single_tablet, format, partial_update_new_key_behavior, internal headers ----
    def test_table_dependent_hints_and_refusals(self):
        self.table("h", "CREATE TABLE h (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        self.table("r", "CREATE TABLE r (k INT) DUPLICATE KEY(k) DISTRIBUTED BY RANDOM BUCKETS 1")
        doc = self.load("h", b"1\n", [("load_to_single_tablet", "true")], "Fail")
        self.assertEqual(doc["Message"], "[INVALID_ARGUMENT]if load_to_single_tablet set to true, "
                                         "the olap table must be with random distribution")
        self.load("r", b"1\n", [("load_to_single_tablet", "true")])
        doc = self.load("h", b"1\n", [("format", "hive_text")], "Fail")
        self.assertEqual(doc["Message"], "[DATA_FILE_TYPE_ERROR]format hive_text is not "
                                         "supported by sluice; use csv, csv_with_names, "
                                         "csv_with_names_and_types, json, parquet, orc or arrow")
        doc = self.load("h", b"1\n", [("format", "parquet")], "Fail")  # issue 15: decoded
        self.assertIn("[INVALID_ARGUMENT]Invalid magic number in parquet file", doc["Message"])
        for hs in ([("partial_update_new_key_behavior", "APPEND"), ("strict_mode", "true")],
                   [("partial_update_new_key_behavior", "ERROR")],
                   [("wal_id", "5")], [("auth_code", "1")]):
            doc = self.load("h", b"1\n", hs, "Fail")
            self.assertIn("[INVALID_ARGUMENT]", doc["Message"])
        self.load("h", b"1\n", [("partial_update_new_key_behavior", "ERROR"),
                                ("strict_mode", "true")])
        self.assertEqual(self.rows("select count(*) from h"), [[1]])

    def test_skip_record_to_audit_log_table(self):
        self.table("sr", "CREATE TABLE sr (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        self.s.load("x", "sr", b"1\n", [("skip_record_to_audit_log_table", "true")], label="skip1")
        self.s.load("x", "sr", b"2\n", [], label="keep1")
        self.assertEqual(self.rows("select count(*) from sr"), [[2]])
        hist = lambda l: self.s.sql("SHOW STREAM LOAD FROM x WHERE LABEL = '%s'" % l,
                                    "x")["data"]["data"]
        self.assertEqual(hist("skip1"), [])
        self.assertEqual(len(hist("keep1")), 1)

    def test_timezone_and_time_zone(self):
        """A datetime with an offset is converted into the load's time zone; master's
        `time_zone` spelling is read when `timezone` is absent."""
        self.table("tz", "CREATE TABLE tz (k INT, t DATETIME) DUPLICATE KEY(k) "
                         "DISTRIBUTED BY HASH(k) BUCKETS 1")
        sep = [("column_separator", ",")]
        self.load("tz", b"1,2024-01-01 00:00:00+00:00\n", sep + [("time_zone", "+08:00")])
        self.load("tz", b"2,2024-01-01 00:00:00+00:00\n", sep + [("timezone", "-05:00")])
        self.assertEqual(self.rows("select k, t from tz order by k"),
                         [[1, "2024-01-01 08:00:00"], [2, "2023-12-31 19:00:00"]])
        doc = self.load("tz", b"3,x\n", sep + [("time_zone", "Mars/Olympus")], "Fail")
        self.assertEqual(doc["Message"],
                         "[INVALID_ARGUMENT]Unknown or incorrect time zone: 'Mars/Olympus'")

    # ---- the docs' table ---------------------------------------------------------------------
    def test_docs_table_covers_every_header(self):
        """Every Doris header the code knows is in the docs' table with a status; every one
        marked implemented is named by some e2e test; every refused one is refused."""
        with open(DOC, encoding="utf-8") as f:
            doc = f.read()
        table = dict(re.findall(r"^\| `([a-z_.0-9]+)` \| (implemented|hint|refused|"
                                r"transport)[^|]*\|", doc, re.M))
        with open(SPEC_C, encoding="utf-8") as f:
            src = f.read()
        block = src[src.index("doris_headers[] = {"):]
        known = re.findall(r'"([a-z_.0-9]+)"', block[:block.index("};")])
        self.assertGreater(len(known), 40)
        self.assertEqual(sorted(set(known) - set(table)), [], "headers missing from the docs")
        self.assertEqual(sorted(set(table) - set(known)), [], "docs list unknown headers")
        tests = ""
        for name in os.listdir(E2E):
            if name.startswith("test_") and name.endswith(".py"):
                with open(os.path.join(E2E, name), encoding="utf-8") as f:
                    tests += f.read()
        untested = [h for h, st in table.items() if st == "implemented"
                    and '"%s"' % h not in tests and "'%s'" % h not in tests]
        self.assertEqual(untested, [], "implemented headers without an e2e test")
        self.table("t", "CREATE TABLE t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        for h, st in table.items():
            if st != "refused":
                continue
            val = REFUSED_SAMPLES.get(h)
            self.assertIsNotNone(val, "no sample value for refused header %s" % h)
            doc = self.s.load("x", "t", b"1\n", [(h, val)]).json()
            self.assertEqual(doc["Status"], "Fail", (h, doc))
        self.assertEqual(self.rows("select count(*) from t"), [[0]])


# A value with which each header marked "refused" in the docs must fail the load.
REFUSED_SAMPLES = {
    "wal_id": "1",
    "auth_code": "1",
    "partial_update_new_key_behavior": "ERROR",
}


if __name__ == "__main__":
    unittest.main()
