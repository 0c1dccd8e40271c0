"""Yamcs SQL over real HTTP against the real binary, with the exact requests of
python-yamcs-client's ArchiveClient.execute_sql (POST /api/archive/{inst}:executeStreamingSql,
an ExecuteSqlRequest built with Google's protobuf library, Content-Type and Accept
application/protobuf, a stream of varint-delimited ResultSet messages back) and of :executeSql:
CREATE TABLE (both forms, and the `script` GetTable returns), loads through :writeRows, SELECT
with WHERE/IN/LIKE/ORDER/LIMIT, SHOW TABLES, DESCRIBE, DELETE, errors in Yamcs's form, and a
streamed SELECT of 5 M rows in flat memory. Spec: specs/yamcs-tables.md §4.5; docs/yamcs.md."""
import http.client
import importlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from harness import Server, basic
from test_yamcs import PROTOS, delimited, int_row, s_cell, split_delimited

SQL_PROTO = """
syntax = "proto2";
package yamcs.protobuf.sqltest;
message Value {
  enum Type { FLOAT = 0; DOUBLE = 1; UINT32 = 2; SINT32 = 3; BINARY = 4; STRING = 5;
              TIMESTAMP = 6; UINT64 = 7; SINT64 = 8; BOOLEAN = 9; AGGREGATE = 10; ARRAY = 11;
              ENUMERATED = 12; NONE = 13; }
  required Type type = 1;
  optional float floatValue = 2;
  optional double doubleValue = 3;
  optional sint32 sint32Value = 4;
  optional uint32 uint32Value = 5;
  optional bytes binaryValue = 6;
  optional string stringValue = 7;
  optional int64 timestampValue = 8;
  optional uint64 uint64Value = 9;
  optional sint64 sint64Value = 10;
  optional bool booleanValue = 11;
  repeated Value arrayValue = 13;
}
message ColumnInfo { optional string name = 1; optional string type = 2;
                     optional bool autoIncrement = 4; }
message ListValue { repeated Value values = 1; }
message ResultSet { repeated ColumnInfo columns = 1; repeated ListValue rows = 2; }
message ExecuteSqlRequest { optional string instance = 1; optional string statement = 2; }
"""

PB = "application/protobuf"


def load_sql_proto():
    if PROTOS is None:
        return None
    d = tempfile.mkdtemp(prefix="sluice-yamcs-sql-")
    try:
        with open(os.path.join(d, "ysql.proto"), "w") as f:
            f.write(SQL_PROTO)
        subprocess.run(["protoc", "-I", d, "--python_out", d, "ysql.proto"], check=True,
                       timeout=60)
        sys.path.insert(0, d)
        try:
            return importlib.import_module("ysql_pb2")
        finally:
            sys.path.remove(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


SP = load_sql_proto()


def value(v):
    """A Value as python-yamcs-client's parse_value gives it."""
    t = SP.Value.Type.Name(v.type)
    return {"SINT32": lambda: v.sint32Value, "SINT64": lambda: v.sint64Value,
            "DOUBLE": lambda: v.doubleValue, "STRING": lambda: v.stringValue,
            "BOOLEAN": lambda: v.booleanValue, "BINARY": lambda: v.binaryValue,
            "TIMESTAMP": lambda: v.stringValue, "NONE": lambda: None,
            "ARRAY": lambda: [value(x) for x in v.arrayValue]}[t]()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@unittest.skipIf(SP is None, "protoc / python3-protobuf not installed (scripts/deps.sh)")
class YamcsSqlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tp, cls.ep = PROTOS
        cls.s = Server()
        cls.s.sql("CREATE DATABASE inst")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    # ---- the client's calls -----------------------------------------------------------------
    def execute_sql(self, stmt, instance="inst"):
        """ArchiveClient.execute_sql: (columns, rows) from the delimited ResultSet stream."""
        req = SP.ExecuteSqlRequest()
        req.statement = stmt
        r = self.s.request("POST", "/api/archive/%s:executeStreamingSql" % instance,
                           [("Authorization", basic()), ("Content-Type", PB), ("Accept", PB)],
                           req.SerializeToString(), port=self.s.be)
        if r.status != 200:
            e = self.ep.ExceptionMessage()
            e.ParseFromString(r.body)
            return r.status, e
        sets = split_delimited(r.body, SP.ResultSet)
        cols = [(c.name, c.type) for c in sets[0].columns] if sets else []
        rows = [[value(v) for v in row.values] for rs in sets for row in rs.rows]
        return cols, rows

    def ok(self, stmt):
        res = self.execute_sql(stmt)
        self.assertIsInstance(res[0], list, "%s: %s" % (stmt, res))
        return res

    def unary(self, stmt, accept="application/json"):
        return self.s.request("POST", "/api/archive/inst:executeSql",
                              [("Authorization", basic()), ("Content-Type", "application/json"),
                               ("Accept", accept)],
                              json.dumps({"statement": stmt}).encode(), port=self.s.be)

    def write(self, table, rows):
        r = self.s.request("POST", "/api/archive/inst/tables/%s:writeRows" % table,
                           [("Authorization", basic()), ("Content-Type", PB), ("Accept", PB)],
                           delimited(rows), port=self.s.be)
        self.assertEqual(r.status, 200, r.body)

    def name(self):
        return "t" + uuid.uuid4().hex[:10]

    # ---- tests ----------------------------------------------------------------------------
    def test_create_load_select(self):
        t = self.name()
        self.assertEqual(self.ok("create table %s (a1 INT, a2 STRING, primary key(a1))" % t),
                         ([], []))  # an empty stream, as Yamcs
        self.write(t, [int_row(self.tp.Row, i) for i in range(20)])
        cols, rows = self.ok("select * from %s where a1 >= 5 and a1 < 9" % t)
        self.assertEqual(cols, [("a1", "INT"), ("a2", "STRING")])
        self.assertEqual(rows, [[5, "test 5"], [6, "test 6"], [7, "test 7"], [8, "test 8"]])
        _, rows = self.ok("select a1 from %s where a2 like 'test 1%%' or a1 in (3, 4) "
                          "order desc limit 3" % t)
        self.assertEqual(rows, [[19], [18], [17]])
        _, rows = self.ok("select a1 from %s where a1 not in (0,1,2) and not a1 > 4 limit 1, 1"
                          % t)
        self.assertEqual(rows, [[4]])
        _, rows = self.ok("select a2, a1 * 2 as twice from %s where a1 between 10 and 11 "
                          "order by a1 desc" % t)
        self.assertEqual(rows, [["test 11", 22], ["test 10", 20]])
        cols, rows = self.ok("select count(*) from %s" % t)
        self.assertEqual((cols[0][1], rows), ("LONG", [[20]]))
        self.assertEqual(self.ok("select * from %s where a1 > 100" % t), ([], []))

    def test_every_type_in_values(self):
        t = self.name()
        self.ok("create table %s (k LONG, s STRING, d DOUBLE, ts TIMESTAMP, b BOOLEAN, "
                "bin BINARY, sh SHORT, primary key(k))" % t)
        r = self.tp.Row()
        for j, (n, ty) in enumerate([("k", "LONG"), ("s", "STRING"), ("d", "DOUBLE"),
                                     ("ts", "TIMESTAMP"), ("b", "BOOLEAN"), ("bin", "BINARY"),
                                     ("sh", "SHORT")]):
            r.columns.add(id=j, name=n, type=ty)
        for j, data in enumerate([struct.pack("!q", -7), s_cell("h\u00e9"), struct.pack("!d", 2.5),
                                  struct.pack("!q", 1672531200000 + 37000), b"\x01",
                                  struct.pack("!I", 3) + b"\x00\xff\x10", struct.pack("!h", -2)]):
            r.cells.add(columnId=j, data=data)
        self.write(t, [r])
        cols, rows = self.ok("select * from %s" % t)
        self.assertEqual([c[1] for c in cols],
                         ["LONG", "STRING", "DOUBLE", "TIMESTAMP", "BOOLEAN", "BINARY", "SHORT"])
        self.assertEqual(rows, [[-7, "h\u00e9", 2.5, "2023-01-01T00:00:00.000Z", True,
                                 b"\x00\xff\x10", -2]])
        _, rows = self.ok("select k from %s where ts >= '2023-01-01T00:00:00.000Z'" % t)
        self.assertEqual(rows, [[-7]])
        # the raw Value carries the Yamcs instant (TAI-based milliseconds) too
        req = SP.ExecuteSqlRequest(statement="select ts from %s" % t)
        body = self.s.request("POST", "/api/archive/inst:executeStreamingSql",
                              [("Authorization", basic()), ("Accept", PB)],
                              req.SerializeToString(), port=self.s.be).body
        v = split_delimited(body, SP.ResultSet)[0].rows[0].values[0]
        self.assertEqual(v.timestampValue, 1672531200000 + 37000)

    def test_script_round_trip(self):
        """GET /tables/{t} gives a script; executing it (after a drop) makes the same table,
        and a dump of the old one loads into it byte for byte."""
        t = self.name()
        self.ok("create table %s (gentime TIMESTAMP, source ENUM, seq INT, body "
                "PROTOBUF('org.yamcs.Db$Event'), v INT[], primary key(gentime, source, seq)) "
                "histogram(source) partition by time(gentime('YYYY')) "
                "table_format=compressed" % t)
        info = self.s.request("GET", "/api/archive/inst/tables/%s" % t,
                              [("Authorization", basic())], port=self.s.be).json()
        script = info["script"]
        self.assertIn("primary key(gentime, source, seq) engine sluice", script)
        r = self.tp.Row()
        for j, (n, ty) in enumerate([("gentime", "TIMESTAMP"), ("source", "ENUM"),
                                     ("seq", "INT"), ("v", "ARRAY(INT)")]):
            r.columns.add(id=j, name=n, type=ty)
        r.cells.add(columnId=0, data=struct.pack("!q", 1600000000000))
        r.cells.add(columnId=1, data=s_cell("src"))
        r.cells.add(columnId=2, data=struct.pack("!i", 1))
        r.cells.add(columnId=3, data=struct.pack("!I", 8) + struct.pack("!ii", 4, 5))
        self.write(t, [r])
        dump = self.s.request("POST", "/api/archive/inst/tables/%s:readRows" % t,
                              [("Authorization", basic()), ("Accept", PB)], b"",
                              port=self.s.be).body
        self.assertEqual(self.ok("drop table %s" % t), ([], []))
        self.assertEqual(self.ok(script), ([], []))
        again = self.s.request("GET", "/api/archive/inst/tables/%s" % t,
                               [("Authorization", basic())], port=self.s.be).json()
        self.assertEqual(again, info)
        r2 = self.s.request("POST", "/api/archive/inst/tables/%s:writeRows" % t,
                            [("Authorization", basic()), ("Content-Type", PB), ("Accept", PB)],
                            dump, port=self.s.be)
        self.assertEqual(r2.status, 200)
        _, rows = self.ok("select seq, v from %s" % t)
        self.assertEqual(rows, [[1, [4, 5]]])

    def test_show_describe_delete(self):
        t = self.name()
        self.ok("create table %s (a1 INT, a2 STRING, primary key(a1))" % t)
        self.write(t, [int_row(self.tp.Row, i) for i in range(10)])
        long = t + "_" + "x" * 45  # 61-byte names: PostgreSQL's identifiers end at 63 bytes
        for i in range(40):  # more than one ResultSet holds (~2000 bytes): several sets
            self.ok("create table %s_%03d (a1 INT, primary key(a1))" % (long, i))
        cols, rows = self.ok("show tables")
        self.assertEqual([r[0] for r in rows if r[0].startswith(long)],
                         ["%s_%03d" % (long, i) for i in range(40)])
        req = SP.ExecuteSqlRequest(statement="show tables")
        body = self.s.request("POST", "/api/archive/inst:executeStreamingSql",
                              [("Authorization", basic()), ("Accept", PB)],
                              req.SerializeToString(), port=self.s.be).body
        sets = split_delimited(body, SP.ResultSet)
        self.assertGreater(len(sets), 1)
        self.assertEqual(len(sets[0].columns), 1)  # only the first set carries the columns
        self.assertTrue(all(len(rs.columns) == 0 for rs in sets[1:]))
        self.assertEqual(cols, [("name", "STRING")])
        self.assertIn([t], rows)
        self.assertEqual(self.ok("describe %s" % t),
                         ([("column", "STRING"), ("type", "STRING"), ("key", "STRING")],
                          [["a1", "INT", "*"], ["a2", "STRING", None]]))
        self.assertEqual(self.ok("delete from %s where a1 >= 7 or a2 = 'test 0'" % t),
                         ([("inspected", "LONG"), ("deleted", "LONG")], [[4, 4]]))
        _, rows = self.ok("select a1 from %s" % t)
        self.assertEqual(rows, [[i] for i in range(1, 7)])

    def test_unary_execute_sql(self):
        t = self.name()
        r = self.unary("create table %s (a1 INT, a2 STRING, primary key(a1))" % t)
        self.assertEqual((r.status, r.json()), (200, {}))
        self.write(t, [int_row(self.tp.Row, i) for i in range(3)])
        r = self.unary("select a1, a2 from %s where a1 = 1" % t)
        self.assertEqual(r.json(), {
            "columns": [{"name": "a1", "type": "INT"}, {"name": "a2", "type": "STRING"}],
            "rows": [{"values": [{"type": "SINT32", "sint32Value": 1},
                                 {"type": "STRING", "stringValue": "test 1"}]}]})
        r = self.unary("select a1 from %s" % t, accept=PB)
        rs = SP.ResultSet()
        rs.ParseFromString(r.body)
        self.assertEqual([[value(v) for v in row.values] for row in rs.rows], [[0], [1], [2]])

    def test_errors(self):
        status, e = self.execute_sql("select * from nosuch")
        self.assertEqual((status, e.code, e.type), (404, 404, "NotFoundException"))
        self.assertEqual(e.msg, "Object nosuch does not exist or is not a table")
        status, e = self.execute_sql("select * fromm x")
        self.assertEqual((status, e.type), (400, "BadRequestException"))
        self.assertEqual(e.msg, 'Encountered "fromm" at line 1, column 10. Was expecting: FROM')
        status, e = self.execute_sql("select *\nfrom t where a1 = ")
        self.assertEqual(e.msg, 'Encountered "<EOF>" at line 2, column 19. Was expecting: a '
                                'column, a literal, a function or "("')
        # an instance without tables: no rows (an empty stream, as any result without rows) and
        # no error; GET .../tables lists none
        self.s.sql("CREATE DATABASE emptyinst")
        self.assertEqual(self.execute_sql("show tables", instance="emptyinst"), ([], []))
        r = self.s.request("GET", "/api/archive/emptyinst/tables", [("Authorization", basic())],
                           port=self.s.be)
        self.assertEqual((r.status, r.json()), (200, {"tables": []}))
        status, e = self.execute_sql("show tables", instance="nodb")
        self.assertEqual((status, e.msg), (404, "No instance named 'nodb'"))
        t = self.name()
        self.ok("create table %s (a1 INT, primary key(a1))" % t)
        status, e = self.execute_sql("select zz from %s" % t)
        self.assertEqual(status, 400)
        self.assertIn("zz", e.msg)
        r = self.unary("create table %s (d DOUBLE, primary key(d))" % t)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json(), {"code": 400, "type": "BadRequestException",
                                    "msg": "DOUBLE key columns are not supported"})
        r = self.unary("insert into %s (a1) values (1)" % t)
        self.assertIn("not supported by sluice", r.json()["msg"])

    def test_privileges(self):
        subprocess.run([self.s_bin(), "user", "add", "sqlviewer", "--password", "pw",
                        "--data-dir", self.s.data_dir], check=True, capture_output=True,
                       timeout=30)
        req = SP.ExecuteSqlRequest(statement="create table zz (a INT, primary key(a))")
        r = self.s.request("POST", "/api/archive/inst:executeStreamingSql",
                           [("Authorization", basic("sqlviewer", "pw")), ("Accept", PB)],
                           req.SerializeToString(), port=self.s.be)
        self.assertEqual(r.status, 403)

    def s_bin(self):
        from harness import BIN
        return BIN

    def test_streamed_select_in_flat_memory(self):
        """5 M rows (~54 MB of ResultSets, ~55 MB of readRows dump) stream out while the server
        grows by a few MiB: the client stalls first (an unbounded server would run ahead and
        hold the reply), then reads; the server's RSS is sampled from /proc throughout."""
        n = 5000000
        self.s.sql("CREATE TABLE big (a INT) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1",
                   db="inst")
        r = self.s.load("inst", "big", b"".join(b"%d\n" % i for i in range(n)), via_fe=False)
        self.assertEqual(r.json()["Status"], "Success", r.text)
        req = SP.ExecuteSqlRequest(statement="select a from big")
        for path, body in (("/api/archive/inst:executeStreamingSql", req.SerializeToString()),
                           ("/api/archive/inst/tables/big:readRows", b"")):
            base = rss_kib(self.s.proc.pid)
            conn = http.client.HTTPConnection("127.0.0.1", self.s.be, timeout=120)
            conn.request("POST", path, body=body,
                         headers={"Authorization": basic(), "Accept": PB, "Content-Type": PB})
            resp = conn.getresponse()
            self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
            first = resp.read(1 << 16)
            time.sleep(2)  # not a timing assertion: gives an unbounded server time to run ahead
            peak = rss_kib(self.s.proc.pid)
            data = [first]
            while True:
                d = resp.read(1 << 22)
                if not d:
                    break
                data.append(d)
                peak = max(peak, rss_kib(self.s.proc.pid))
            conn.close()
            data = b"".join(data)
            self.assertGreater(len(data), 50 << 20)
            # ASan keeps freed memory in quarantine (256 MB), so RSS means nothing there.
            if not os.environ.get("SLUICE_SANITIZED"):
                self.assertLess(peak - base, 40 << 10, "%s: the server grew by %d KiB" %
                                (path, peak - base))
            if path.endswith("executeStreamingSql"):
                sets = split_delimited(data, SP.ResultSet)
                self.assertEqual([(c.name, c.type) for c in sets[0].columns], [("a", "INT")])
                self.assertEqual(sum(len(rs.rows) for rs in sets), n)
                seen = set()  # every 50th set, fully: values in range and never twice
                for rs in sets[::50]:
                    for row in rs.rows:
                        v = row.values[0].sint32Value
                        self.assertTrue(0 <= v < n and v not in seen, v)
                        seen.add(v)
                self.assertGreater(len(seen), n // 60)
            else:
                self.assertEqual(data.count(b"\x12\x08\x08\x00\x12\x04"), n)  # one cell a row


if __name__ == "__main__":
    unittest.main()
