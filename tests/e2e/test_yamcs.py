"""Yamcs table API over real HTTP against the real binary: rows encoded by Google's protobuf
library for Python (classes generated at test time from the spec's .proto with protoc), loads
through :writeRows and the legacy /data route, errors mid-stream, chunked uploads, 404 before the
body, readRows dumps and the metadata calls. Spec: specs/yamcs-tables.md."""
import importlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from harness import STORE, Server, basic, BIN

TABLE_PROTO = """
syntax = "proto2";
package yamcs.protobuf.table;
message Row {
  message ColumnInfo {
    optional uint32 id = 1;
    optional string name = 2;
    optional string type = 3;
    optional string protoClass = 4;
  }
  message Cell {
    optional uint32 columnId = 1;
    optional bytes data = 2;
  }
  repeated ColumnInfo columns = 1;
  repeated Cell cells = 2;
}
message ReadRowsRequest { optional string instance = 1; optional string table = 2;
                          repeated string cols = 3; optional string query = 4; }
message WriteRowsResponse { optional uint32 count = 1; }
message WriteRowsExceptionDetail { optional uint32 count = 1; }
message TableLoadResponse { optional uint32 rowsLoaded = 1; }
"""

EXCEPTION_PROTO = """
syntax = "proto3";
package yamcs.api;
// google.protobuf.Any, declared here with the same wire form (protobuf-compiler ships
// without the well-known .proto files)
message Any { string type_url = 1; bytes value = 2; }
message ExceptionMessage {
  int32 code = 1;
  string type = 2;
  string msg = 3;
  Any detail = 4;
}
"""

PB = "application/protobuf"


def load_protos():
    """Generate the Python classes with protoc into a temp dir; None when protoc is missing."""
    if shutil.which("protoc") is None:
        return None
    try:
        from google.protobuf.internal.encoder import _VarintBytes  # noqa: F401
    except ImportError:
        # Debian's python3-protobuf lives in the system dist-packages, which a python3 from
        # pyenv or a venv does not search.
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            from google.protobuf.internal.encoder import _VarintBytes  # noqa: F401,F811
        except ImportError:
            return None
    # The generated modules are imported once, then the directory goes: nothing is left in /tmp.
    d = tempfile.mkdtemp(prefix="sluice-yamcs-proto-")
    try:
        with open(os.path.join(d, "ytable.proto"), "w") as f:
            f.write(TABLE_PROTO)
        with open(os.path.join(d, "yexception.proto"), "w") as f:
            f.write(EXCEPTION_PROTO)
        subprocess.run(["protoc", "-I", d, "--python_out", d,
                        "ytable.proto", "yexception.proto"], check=True, timeout=60)
        sys.path.insert(0, d)
        try:
            return importlib.import_module("ytable_pb2"), importlib.import_module("yexception_pb2")
        finally:
            sys.path.remove(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


PROTOS = load_protos()


def varint(n):
    from google.protobuf.internal.encoder import _VarintBytes
    return _VarintBytes(n)


def delimited(rows):
    return b"".join(varint(r.ByteSize()) + r.SerializeToString() for r in rows)


def split_delimited(data, Row):
    """Parse a delimited Row stream (as python-yamcs-client's split_protobuf_stream)."""
    from google.protobuf.internal.decoder import _DecodeVarint32
    out, pos = [], 0
    while pos < len(data):
        n, pos = _DecodeVarint32(data, pos)
        r = Row()
        r.ParseFromString(data[pos:pos + n])
        out.append(r)
        pos += n
    return out


def s_cell(text):
    b = text.encode("utf-8")
    return struct.pack("!H", len(b)) + b


def int_row(Row, i, with_info=True, name="test %d"):
    r = Row()
    if with_info:
        r.columns.add(id=1, name="a1", type="INT")
        r.columns.add(id=2, name="a2", type="STRING")
    r.cells.add(columnId=1, data=struct.pack("!i", i))
    r.cells.add(columnId=2, data=s_cell(name % i))
    return r


def raw_http(port, head, chunks=(), timeout=10, pause=0.0):
    """Send a request head and body pieces on one socket; return (reply bytes, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        for c in chunks:
            try:
                s.sendall(c)
            except OSError:
                break
            if pause:
                time.sleep(pause)
        out, closed = b"", False
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not b:
                closed = True
                break
            out += b
        return out, closed
    finally:
        s.close()


def split_reply(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


@unittest.skipIf(PROTOS is None, "protoc / python3-protobuf not installed (scripts/deps.sh)")
class YamcsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tp, cls.ep = PROTOS
        cls.Row = cls.tp.Row
        cls.s = Server()
        cls.s.sql("CREATE DATABASE inst")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    # ---- helpers ------------------------------------------------------------------------
    def post(self, path, body=b"", headers=(), user="root", pw=""):
        hs = [("Authorization", basic(user, pw))] + list(headers)
        return self.s.request("POST", path, hs, body, port=self.s.be)

    def get(self, path, headers=()):
        return self.s.request("GET", path, [("Authorization", basic())] + list(headers),
                              port=self.s.be)

    def exec_sql(self, stmt):
        r = self.post("/api/archive/inst:executeSql", json.dumps({"statement": stmt}).encode(),
                      [("Content-Type", "application/json")])
        self.assertEqual(r.status, 200, r.text)

    def new_table(self, cols="a1 INT, a2 STRING, primary key(a1)"):
        name = "t" + uuid.uuid4().hex[:10]
        self.exec_sql("create table %s(%s)" % (name, cols))
        return name

    def write(self, table, body, accept=PB, legacy=False):
        path = "/api/archive/inst/tables/%s%s" % (table, "/data" if legacy else ":writeRows")
        return self.post(path, body, [("Content-Type", PB), ("Accept", accept)])

    def count(self, table):
        return self.s.rows("select count(*) from %s" % table, "inst")[0][0]

    def dump(self, table):
        r = self.post("/api/archive/inst/tables/%s:readRows" % table, b"",
                      [("Content-Type", PB), ("Accept", PB)])
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.header("Content-Type"), PB)
        return r.body

    # ---- loads --------------------------------------------------------------------------
    def test_count_protobuf_and_json(self):
        t = self.new_table()
        body = delimited([int_row(self.Row, i) for i in range(100)])
        r = self.write(t, body)
        self.assertEqual(r.status, 200, r.text)
        resp = self.tp.WriteRowsResponse()
        resp.ParseFromString(r.body)
        self.assertEqual(resp.count, 100)
        self.assertEqual(self.count(t), 100)
        t2 = self.new_table()
        r = self.write(t2, body, accept="application/json")
        self.assertEqual(r.json(), {"count": 100})
        self.assertEqual(self.s.rows("select a1, a2 from %s where a1 = 42" % t2, "inst"),
                         [[42, "test 42"]])

    def test_load_is_in_the_history(self):
        """Yamcs loads run through the common load job: a label, a transaction, a history row."""
        t = self.new_table()
        r = self.write(t, delimited([int_row(self.Row, i) for i in range(5)]))
        self.assertEqual(r.status, 200, r.text)
        rows = [x for x in self.s.rows("SHOW STREAM LOAD FROM inst", "inst") if x[2] == t]
        self.assertEqual(len(rows), 1)
        self.assertTrue(rows[0][0].startswith("yamcs-"), rows[0][0])
        self.assertEqual((rows[0][4], rows[0][7], rows[0][8]), ("Success", 5, 5))
        txn = self.s.rows("SHOW TRANSACTION WHERE label = '%s'" % rows[0][0], "inst")
        self.assertEqual(txn[0][3], "VISIBLE")

    def test_legacy_route(self):
        t = self.new_table()
        body = delimited([int_row(self.Row, i) for i in range(7)])
        r = self.write(t, body, legacy=True)
        resp = self.tp.TableLoadResponse()
        resp.ParseFromString(r.body)
        self.assertEqual(resp.rowsLoaded, 7)
        t2 = self.new_table()
        r = self.write(t2, body, accept="application/json", legacy=True)
        self.assertEqual(r.json(), {"numRowsLoaded": 7})

    def test_every_type_stored(self):
        t = self.new_table("k INT, b BYTE, s SHORT, l LONG, d DOUBLE, o BOOLEAN, ts TIMESTAMP, "
                           "h HRES_TIMESTAMP, st STRING, e ENUM, bin BINARY, "
                           "pb PROTOBUF('org.yamcs.Foo'), u UUID, arr INT[], primary key(k)")
        types = ["INT", "BYTE", "SHORT", "LONG", "DOUBLE", "BOOLEAN", "TIMESTAMP",
                 "HRES_TIMESTAMP", "STRING", "ENUM", "BINARY", "PROTOBUF(org.yamcs.Foo)", "UUID",
                 "ARRAY(INT)"]
        names = ["k", "b", "s", "l", "d", "o", "ts", "h", "st", "e", "bin", "pb", "u", "arr"]
        u = uuid.UUID("12345678-9abc-def0-0123-456789abcdef")
        ub = bytearray(u.bytes)
        ub[0] ^= 0x80
        ub[8] ^= 0x80
        # 2017-01-01T00:00:00.123Z in Yamcs time: Unix ms + 37 s (TAI-UTC since 2017)
        inst = 1483228800123 + 37000
        data = [struct.pack("!i", 1), struct.pack("!b", -5), struct.pack("!h", -300),
                struct.pack("!q", 1 << 40), struct.pack("!d", 2.25), b"\x01",
                struct.pack("!q", inst), struct.pack("!qi", inst, 456000000),
                struct.pack("!H", 8) + b"a\xc0\x80b\xc3\xa9cd", s_cell("RED"),
                struct.pack("!I", 3) + b"\x00\xff\x10", struct.pack("!I", 2) + b"\x08\x01",
                bytes(ub), struct.pack("!I", 8) + struct.pack("!ii", 7, -8)]
        def row_of(cells):
            r = self.Row()
            for i, (n, ty) in enumerate(zip(names, types)):
                r.columns.add(id=i, name=n, type=ty)
                r.cells.add(columnId=i, data=cells[i])
            return r
        want_st = "a\x00b\u00e9cd"
        if STORE == "postgres":
            # PostgreSQL text cannot hold a NUL byte: that row is refused, clearly, as bad data
            resp = self.write(t, delimited([row_of(data)]))
            self.assertEqual(resp.status, 400, resp.text)
            self.assertIn(b"NUL byte", resp.body)
            self.assertEqual(self.count(t), 0)
            data[8] = struct.pack("!H", 6) + b"ab\xc3\xa9cd"
            want_st = "ab\u00e9cd"
        resp = self.write(t, delimited([row_of(data)]))
        self.assertEqual(resp.status, 200, resp.text)
        row = self.s.rows("select * from %s" % t, "inst")[0]
        self.assertEqual(row[:6], [1, -5, -300, 1 << 40, 2.25, 1])
        self.assertEqual(row[6], "2017-01-01 00:00:00.123")
        self.assertEqual(row[7], "2017-01-01 00:00:00.123456")
        self.assertEqual(row[8], want_st)
        self.assertEqual(row[9:13], ["RED", "00ff10", "0801", str(u)])
        self.assertEqual(json.loads(row[13]), [7, -8])
        # and back: the dump gives the same cells and Yamcs type names
        rows = split_delimited(self.dump(t), self.Row)
        self.assertEqual(len(rows), 1)
        got = {c.name: c.type for c in rows[0].columns}
        self.assertEqual(got, dict(zip(names, types)))
        cells = {rows[0].columns[i].name: None for i in range(len(rows[0].columns))}
        by_id = {c.id: c.name for c in rows[0].columns}
        for c in rows[0].cells:
            cells[by_id[c.columnId]] = c.data
        self.assertEqual([cells[n] for n in names], data)

    def test_error_mid_stream(self):
        t = self.new_table()
        good = [int_row(self.Row, i) for i in range(50)]
        bad = self.Row()
        bad.cells.add(columnId=2, data=s_cell("test 50"))  # no key: Yamcs's invalid record
        tail = [int_row(self.Row, i) for i in range(51, 2000)]
        body = delimited(good) + delimited([bad]) + delimited(tail)
        head = ("POST /api/archive/inst/tables/%s:writeRows HTTP/1.1\r\nHost: x\r\n"
                "Authorization: %s\r\nContent-Type: %s\r\nAccept: %s\r\n"
                "Transfer-Encoding: chunked\r\n\r\n" % (t, basic(), PB, PB)).encode()
        pieces = [b"%x\r\n%s\r\n" % (len(body[i:i + 4096]), body[i:i + 4096])
                  for i in range(0, len(body), 4096)]
        out, closed = raw_http(self.s.be, head, pieces, timeout=10, pause=0.01)
        status, headers, payload = split_reply(out)
        self.assertEqual(status, 400)
        self.assertTrue(closed, "connection must be closed after the error")
        self.assertEqual(headers.get("connection"), "close")
        em = self.ep.ExceptionMessage()
        em.ParseFromString(payload[:int(headers["content-length"])])
        self.assertEqual(em.code, 400)
        self.assertEqual(em.type, "BadRequestException")
        self.assertEqual(em.msg, "Tuple does not have mandatory column 'a1'")
        self.assertEqual(em.detail.type_url, "/yamcs.protobuf.table.WriteRowsExceptionDetail")
        det = self.tp.WriteRowsExceptionDetail()
        det.ParseFromString(em.detail.value)
        self.assertEqual(det.count, 50)
        self.assertEqual(self.count(t), 50)  # rows before the bad one stay

    def test_error_json_and_legacy(self):
        t = self.new_table()
        body = delimited([int_row(self.Row, i) for i in range(3)]) + b"\x05\xff\xff"
        r = self.write(t, body, accept="application/json")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json(), {
            "code": 400, "type": "BadRequestException", "msg": "truncated row at end of body",
            "detail": {"@type": "/yamcs.protobuf.table.WriteRowsExceptionDetail", "count": 3}})
        self.assertEqual(self.count(t), 3)
        t2 = self.new_table()
        r = self.write(t2, body, accept="application/json", legacy=True)
        self.assertEqual(r.json(), {"type": "TableLoadError", "msg": "truncated row at end of body",
                                    "numRowsLoaded": 3})

    def test_chunked_upload_splits_messages(self):
        t = self.new_table()
        rows = [int_row(self.Row, i, with_info=(i == 0)) for i in range(300)]
        body = delimited(rows)
        head = ("POST /api/archive/inst/tables/%s:writeRows HTTP/1.1\r\nHost: x\r\n"
                "Authorization: %s\r\nContent-Type: %s\r\nAccept: application/json\r\n"
                "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
                % (t, basic(), PB)).encode()
        pieces, i, k = [], 0, 1
        while i < len(body):  # chunk sizes 1, 2, 3, ... 37: messages span chunks
            c = body[i:i + k]
            pieces.append(b"%x\r\n%s\r\n" % (len(c), c))
            i += k
            k = k % 37 + 1
        pieces.append(b"0\r\n\r\n")
        out, _ = raw_http(self.s.be, head, [b"".join(pieces)], timeout=10)
        self.assertIn(b"100 Continue", out)
        status, _, payload = split_reply(out.split(b"100 Continue\r\n\r\n", 1)[1])
        self.assertEqual(status, 200, payload)
        self.assertEqual(json.loads(payload), {"count": 300})
        self.assertEqual(self.count(t), 300)

    def test_unknown_table_404_before_body(self):
        head = ("POST /api/archive/inst/tables/nosuch:writeRows HTTP/1.1\r\nHost: x\r\n"
                "Authorization: %s\r\nContent-Type: %s\r\nAccept: application/json\r\n"
                "Content-Length: 100000000\r\nExpect: 100-continue\r\n\r\n"
                % (basic(), PB)).encode()
        out, closed = raw_http(self.s.be, head, timeout=10)
        self.assertNotIn(b"100 Continue", out)
        status, _, payload = split_reply(out)
        self.assertEqual(status, 404)
        doc = json.loads(payload)
        self.assertEqual(doc["type"], "NotFoundException")
        self.assertEqual(doc["msg"], "No table named 'nosuch' (database: 'inst')")
        self.assertTrue(closed)

    def test_dump_round_trip(self):
        cols = "k LONG, name STRING, v DOUBLE, t TIMESTAMP, ok BOOLEAN, primary key(k)"
        src = self.new_table(cols)
        rows = []
        for i in range(500):
            r = self.Row()
            if i == 0:
                for j, (n, ty) in enumerate([("k", "LONG"), ("name", "STRING"), ("v", "DOUBLE"),
                                             ("t", "TIMESTAMP"), ("ok", "BOOLEAN")]):
                    r.columns.add(id=j, name=n, type=ty)
            r.cells.add(columnId=0, data=struct.pack("!q", 499 - i))  # reverse key order
            r.cells.add(columnId=1, data=s_cell("n\u00e9%d" % i))
            if i % 7:
                r.cells.add(columnId=2, data=struct.pack("!d", i / 3.0))
            r.cells.add(columnId=3, data=struct.pack("!q", 1600000000000 + 37000 + i))
            r.cells.add(columnId=4, data=bytes([i % 2]))
            rows.append(r)
        self.assertEqual(self.write(src, delimited(rows)).status, 200)
        d1 = self.dump(src)
        got = split_delimited(d1, self.Row)
        self.assertEqual(len(got), 500)
        keys = [struct.unpack("!q", r.cells[0].data)[0] for r in got]
        self.assertEqual(keys, list(range(500)))  # key order
        by_key = {struct.unpack("!q", r.cells[0].data)[0]: r for r in rows}
        for r in got:
            k = struct.unpack("!q", r.cells[0].data)[0]
            self.assertEqual([c.data for c in r.cells], [c.data for c in by_key[k].cells])
        dst = self.new_table(cols)
        r = self.write(dst, d1)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.dump(dst), d1)

    def test_dump_of_complex_columns_in_doris_text(self):
        """A Doris-made table's ARRAY / MAP / STRUCT columns dump as Doris's text forms, not
        as sluice's internal encoding."""
        self.s.sql("CREATE TABLE inst.cx (k BIGINT NOT NULL, a ARRAY<INT>, m MAP<STRING, INT>, "
                   "st STRUCT<f:INT, g:STRING>) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        self.s.sql("INSERT INTO inst.cx VALUES (1, [1, 2, 3], {'x': 1}, {5, 'five'})")
        got = split_delimited(self.dump("cx"), self.Row)
        self.assertEqual(len(got), 1)
        names = {c.id: c.name for c in got[0].columns}
        cells = {names[c.columnId]: c.data for c in got[0].cells}
        self.assertEqual(cells["a"], s_cell("[1, 2, 3]"))
        self.assertEqual(cells["m"], s_cell('{"x":1}'))
        self.assertEqual(cells["st"], s_cell('{"f":5, "g":"five"}'))

    def test_duplicate_key_replaces(self):
        # Needs the store's UNIQUE KEY merge (integrator's change); see docs/yamcs.md.
        t = self.new_table()
        body = delimited([int_row(self.Row, 1, name="first %d"),
                          int_row(self.Row, 1, name="second %d")])
        self.assertEqual(self.write(t, body).status, 200)
        self.assertEqual(self.write(t, delimited([int_row(self.Row, 2)])).status, 200)
        self.assertEqual(self.s.rows("select a1, a2 from %s order by a1" % t, "inst"),
                         [[1, "second 1"], [2, "test 2"]])

    def test_unknown_column_and_conversion(self):
        t = self.new_table()
        r = self.Row()
        r.columns.add(id=0, name="a1", type="STRING")  # declared STRING, table INT
        r.cells.add(columnId=0, data=s_cell("0x20"))
        self.assertEqual(self.write(t, delimited([r])).status, 200)
        self.assertEqual(self.s.rows("select a1 from %s" % t, "inst"), [[32]])
        r = self.Row()
        r.columns.add(id=0, name="zz", type="INT")
        resp = self.write(t, delimited([r]), accept="application/json")
        self.assertEqual(resp.status, 400)
        self.assertIn("unknown column 'zz'", resp.json()["msg"])

    def test_metadata(self):
        t = self.new_table("a1 INT, a2 STRING, primary key(a1)")
        r = self.get("/api/archive/inst/tables/%s" % t)
        self.assertEqual(r.json(), {
            "name": t, "keyColumn": [{"name": "a1", "type": "INT", "autoIncrement": False}],
            "valueColumn": [{"name": "a2", "type": "STRING", "autoIncrement": False}],
            "script": "create table %s(\"a1\" INT, \"a2\" STRING) primary key(a1) engine sluice"
                      % t, "storageEngine": "sluice", "formatVersion": 3, "compressed": False})
        names = [x["name"] for x in self.get("/api/archive/inst/tables").json()["tables"]]
        self.assertIn(t, names)
        self.assertEqual(names, sorted(names, key=str.lower))
        r = self.get("/api/archive/nodb/tables/x")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["msg"], "No instance named 'nodb'")

    def test_forbidden_and_unauthorized(self):
        t = self.new_table()
        subprocess.run([BIN, "user", "add", "viewer", "--password", "pw", "--data-dir",
                        self.s.data_dir], check=True, capture_output=True, timeout=30)
        r = self.post("/api/archive/inst/tables/%s:writeRows" % t, b"", [("Content-Type", PB)],
                      user="viewer", pw="pw")
        self.assertEqual(r.status, 403)
        self.assertEqual(r.body, b"Insufficient privileges\r\n")
        self.assertEqual(r.header("Content-Type"), "text/plain")
        r = self.post("/api/archive/inst/tables/%s:writeRows" % t, b"", [("Accept", PB)],
                      user="root", pw="wrong")
        self.assertEqual(r.status, 401)


if __name__ == "__main__":
    unittest.main()
