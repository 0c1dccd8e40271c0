"""SELECT through the HTTP SQL API against the real binary: the shared cases of
tests/data/sql/select_cases.txt (the same file the engine unit tests run, so this test checks a
server on any store: SLUICE_TEST_STORE names the server's engine for the engine-only cases),
exact DECIMAL and LARGEINT sums through loads, merges and compaction, and the resource bombs of
issue 26 with the query limits that stop them."""
import json
import os
import time
import unittest
from decimal import Decimal

from harness import ROOT, Server, wait_for

CASES = os.path.join(ROOT, "tests/data/sql/select_cases.txt")
STORE = os.environ.get("SLUICE_TEST_STORE", "sqlite")


def read_cases():
    """The file's table, rows and cases (format: tests/unit/store/select_cases.h)."""
    table, rows, cases, case = None, [], [], None
    with open(CASES, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            if line.startswith("@table "):
                table = line[7:]
            elif line.startswith("@row "):
                rows.append(line[5:])
            elif line.startswith("@case "):
                case = {"name": line[6:], "sql": [], "only": None}
                cases.append(case)
            elif line.startswith("@only "):
                case["only"] = line[6:]
            elif line.startswith("=>") or line.startswith("!>"):
                case["error"] = line[0] == "!"
                case["want"] = line[3:] if line[2:3] == " " else line[2:]
            else:
                case["sql"].append(line)
    return table, rows, cases


def cell(v):
    """A JSON value of the SQL API in the case file's text form (numbers as sent)."""
    if v is None:
        return "\\N"
    if v is True or v is False:
        return "true" if v else "false"
    return str(v)


def post(server, stmt, db):
    r = server.request("POST", "/api/query/default_cluster/" + db,
                       [("Authorization", "Basic cm9vdDo="), ("Content-Type", "application/json"),
                        ("X-Doris-Stream", "false")], json.dumps({"stmt": stmt}).encode())
    return r, json.loads(r.body.decode("utf-8"), parse_float=str, parse_int=str)


class SharedCasesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.table, rows, cls.cases = read_cases()
        cls.s.sql("CREATE DATABASE sel")
        cls.s.sql(cls.table, "sel")
        body = "".join(r + "\n" for r in rows).encode("utf-8")
        doc = cls.s.load("sel", "t", body, [("column_separator", "|")]).json()
        assert doc["Status"] == "Success" and doc["NumberLoadedRows"] == len(rows), doc

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_cases(self):
        failed = []
        for c in self.cases:
            if c["only"] and c["only"] != STORE:
                continue
            _, doc = post(self.s, "\n".join(c["sql"]), "sel")
            if c["error"]:
                ok = doc["code"] == "1" and c["want"] in doc["data"]
                got = doc["data"]
            else:
                got = doc["data"] if doc["code"] != "0" else ";".join(
                    "|".join(cell(v) for v in row) for row in doc["data"]["data"])
                ok = doc["code"] == "0" and got == c["want"]
            if not ok:
                failed.append("%s\n  sql:  %s\n  want: %s\n  got:  %s" % (
                    c["name"], " ".join(c["sql"]), c["want"], got))
        self.assertEqual(failed, [], "\n".join(failed))
        self.assertGreater(len(self.cases), 100)

    def test_error_shape(self):
        """A wrong column is an error in the SQL API's form, not a column of its own name."""
        _, doc = post(self.s, "SELECT nosuchcol FROM t", "sel")
        self.assertEqual(doc, {"msg": "Error", "code": "1", "count": "0", "data":
                               "Failed to execute sql: Unknown column 'nosuchcol' in 'table "
                               "list' in PROJECT clause"})

    def test_result_meta(self):
        """Result columns: names as written or aliased, Doris's types for aggregates."""
        _, doc = post(self.s, "SELECT id, count(*), sum(price) AS total, avg(k), d, upper(nme) "
                              "FROM t GROUP BY id, d, nme ORDER BY id LIMIT 1", "sel")
        meta = [(m["name"], m["type"]) for m in doc["data"]["meta"]]
        self.assertEqual(meta, [("id", "INT"), ("count(*)", "BIGINT"), ("total", "DECIMAL"),
                                ("avg(k)", "DOUBLE"), ("d", "DATE"), ("upper(nme)", "STRING")])
        self.assertEqual(doc["data"]["data"], [["1", "1", "10.10", "1", "2024-01-01", "ALICE"]])


class ExactNumbersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE ex")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_decimal_sum_is_exact(self):
        """DECIMAL(15,2) values whose sum as doubles is off come back exact (issue 11)."""
        self.s.sql("CREATE TABLE ex.sales (id INT, amount DECIMAL(15,2)) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "ex")
        values = ["9999999999999.99"] * 100 + ["0.01"]
        body = "".join("%d,%s\n" % (i, v) for i, v in enumerate(values)).encode()
        self.assertEqual(self.s.load("ex", "sales", body, [("column_separator", ",")]).json()
                         ["Status"], "Success")
        exact = sum(Decimal(v) for v in values)
        as_doubles = 0.0
        for v in values:
            as_doubles += float(v)
        self.assertNotEqual("%.2f" % as_doubles, str(exact))  # the test means something
        r, doc = post(self.s, "SELECT sum(amount), avg(amount), count(*) FROM sales", "ex")
        avg = (exact / 101).quantize(Decimal("0.0001"), rounding="ROUND_DOWN")  # Doris truncates
        self.assertEqual(doc["data"]["data"], [[str(exact), str(avg), "101"]])
        self.assertIn(b"999999999999999.01", r.body)

    def test_aggregate_table_merges_wide_sums_exactly(self):
        """AGGREGATE KEY SUM over LARGEINT and DECIMAL(30,4) merges exactly, also after the
        compactor merged the segments."""
        self.s.sql("CREATE TABLE ex.agg (k INT, total LARGEINT SUM, amt DECIMAL(30,4) SUM, "
                   "hi DECIMAL(10,2) MAX) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1", "ex")
        loads = 8
        for i in range(loads):
            body = b"1,10000000000000000000000000000000000001,123456789012345678901234.5678,%d.25\n" \
                   b"2,-1,0.0001,1.00\n" % i
            self.assertEqual(self.s.load("ex", "agg", body, [("column_separator", ",")]).json()
                             ["Status"], "Success")
        want = [["1", str(loads * 10000000000000000000000000000000000001),
                 str(loads * Decimal("123456789012345678901234.5678")), "%d.25" % (loads - 1)],
                ["2", str(-loads), "%.4f" % (loads * 0.0001), "1.00"]]
        self.assertEqual(post(self.s, "SELECT * FROM agg ORDER BY k", "ex")[1]["data"]["data"], want)
        seg_dir = os.path.join(self.s.data_dir, "segments")
        files = lambda: sum(len(fs) for _, _, fs in os.walk(seg_dir) if fs)
        wait_for(lambda: files() <= 7, timeout=20, what="compaction of the segments")
        self.assertEqual(post(self.s, "SELECT * FROM agg ORDER BY k", "ex")[1]["data"]["data"], want)


class ResourceBombsTest(unittest.TestCase):
    """Issue 26: what used to grow the server past 1 GB is refused or stopped at the limits."""

    LIMIT = 8 << 20

    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "query_max_result_bytes=%d" % cls.LIMIT,
                              "--set", "query_max_result_rows=5000"])
        cls.s.sql("CREATE DATABASE bomb")
        cls.s.sql("CREATE TABLE bomb.cells (id INT, s STRING) DISTRIBUTED BY HASH(id) BUCKETS 1",
                  "bomb")
        body = b"".join(b"%d,%s\n" % (i, b"x" * 900_000) for i in range(30))
        assert cls.s.load("bomb", "cells", body, [("column_separator", ",")]).json()["Status"] \
            == "Success"
        cls.s.sql("CREATE TABLE bomb.n (id INT) DISTRIBUTED BY HASH(id) BUCKETS 1", "bomb")
        body = b"".join(b"%d\n" % i for i in range(10000))
        assert cls.s.load("bomb", "n", body).json()["Status"] == "Success"

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def error(self, stmt):
        _, doc = post(self.s, stmt, "bomb")
        self.assertEqual(doc["code"], "1", doc)
        return doc["data"]

    def test_sqlite_functions_are_unknown(self):
        for stmt in ["SELECT zeroblob(1e9)", "SELECT printf('%900000000d', 1)",
                     "SELECT randomblob(2e7)", "SELECT fts3_tokenizer('simple') FROM cells"]:
            self.assertIn("Can not found function", self.error(stmt))

    def test_group_concat_of_big_cells(self):
        msg = self.error("SELECT group_concat(s) FROM cells")
        self.assertIn("MEM_LIMIT_EXCEEDED", msg)
        if STORE == "sqlite":  # sluice computes it there, and stops it as it grows
            self.assertIn("group_concat result would exceed %d bytes" % self.LIMIT, msg)
        else:  # PostgreSQL computes it; the value is refused as it arrives
            self.assertIn("a value exceeds the query's limit of %d bytes" % self.LIMIT, msg)

    def test_result_of_big_cells(self):
        self.assertIn("the result is larger than %d bytes" % self.LIMIT,
                      self.error("SELECT s FROM cells"))
        self.assertIn("the result is larger than %d bytes" % self.LIMIT,
                      self.error("SELECT lpad('x', 1000000, 'y') FROM n"))

    def test_too_many_rows(self):
        self.assertIn("the result has more than 5000 rows", self.error("SELECT id FROM n"))
        _, doc = post(self.s, "SELECT id FROM n ORDER BY id DESC LIMIT 3", "bomb")
        self.assertEqual(doc["data"]["data"], [["9999"], ["9998"], ["9997"]])

    def test_one_value_past_the_string_limit_is_null(self):
        _, doc = post(self.s, "SELECT lpad('x', 2000000000, 'y'), length(lpad('x', 1048576, "
                              "'y')), concat(lpad('x', 1048576, 'y'), 'z')", "bomb")
        self.assertEqual(doc["data"]["data"], [[None, "1048576", None]])

    def test_a_row_of_many_big_computed_columns(self):
        """Constants are computed once at bind time, at most 16 MiB of them; a row whose computed
        columns could pass the byte limit is refused before the engine builds it."""
        for copies in (12, 40):
            stmt = "SELECT " + ", ".join("lpad('%d', 1048576, 'y')" % i for i in range(copies))
            self.assertIn("computed columns of one row could reach", self.error(stmt))
            stmt += " FROM n"
            self.assertIn("computed columns of one row could reach", self.error(stmt))

    def test_memory_stays_bounded(self):
        many = "SELECT " + ", ".join("lpad('%d', 1048576, 'y')" % i for i in range(200))
        for stmt in ["SELECT group_concat(s) FROM cells", "SELECT s FROM cells",
                     "SELECT lpad('x', 1000000, 'y') FROM n", "SELECT group_concat(s, s) FROM cells",
                     many, many + " FROM n"]:
            post(self.s, stmt, "bomb")
        self.assertEqual(post(self.s, "SELECT 1", "bomb")[1]["data"]["data"], [["1"]])
        with open("/proc/%d/status" % self.s.proc.pid) as f:
            hwm_kb = int([l for l in f if l.startswith("VmHWM")][0].split()[1])
        # ASan keeps freed memory in quarantine (256 MB), so RSS means nothing there.
        if not os.environ.get("SLUICE_SANITIZED"):
            self.assertLess(hwm_kb, 250 * 1024, "peak RSS %d kB" % hwm_kb)


if __name__ == "__main__":
    unittest.main()
