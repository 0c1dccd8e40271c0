"""The tsload connector over real HTTPS against the real binary: the reference client's exact call
sequence (specs/tsload.md §8.1), every format option, max_ignored_rows, empty_target, flexible,
cancel, bad cycle ids, missing cookies, privileges and kill -9 before commit."""
import datetime
import http.client
import json
import ssl
import subprocess
import time
import unittest
import urllib.parse

from harness import BIN, Server, wait_for

BASE = "/ts_dataservice/v1/public"


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the reference client uses verify=False
    return ctx


class Client:
    """A requests.Session-like client on http.client: keeps the JSESSIONID cookie."""

    def __init__(self, port, host="127.0.0.1"):
        self.host, self.port, self.cookie = host, port, None

    def call(self, method, path, body=None, headers=None, raw_headers=False):
        conn = http.client.HTTPSConnection(self.host, self.port, context=tls(), timeout=60)
        try:
            hs = dict(headers or {})
            if self.cookie:
                hs["Cookie"] = self.cookie
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in hs.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                conn.send(body)
            r = conn.getresponse()
            data = r.read()
            sc = r.getheader("Set-Cookie")
            if sc and sc.startswith("JSESSIONID="):
                self.cookie = sc.split(";")[0]
            return r.status, data.decode("utf-8", "replace"), r
        finally:
            conn.close()

    def login(self, user="root", pw=""):
        body = urllib.parse.urlencode({"username": user, "password": pw}).encode()
        return self.call("POST", BASE + "/session", body,
                         {"Content-Type": "application/x-www-form-urlencoded",
                          "Accept": "text/plain"})

    def start(self, params):
        # The reference client sends json.dumps(params) without a Content-Type header.
        return self.call("POST", BASE + "/loads", json.dumps(params).encode())

    def upload(self, cycle, data, field="documents", boundary="b0undary7e3c", parts=None):
        parts = parts or [data]
        body = b""
        for d in parts:
            body += (b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"" +
                     field.encode() + b"\"; filename=\"filename\"\r\n"
                     b"Content-Type: application/octet-stream\r\n\r\n" + d + b"\r\n")
        body += b"--" + boundary.encode() + b"--\r\n"
        return self.call("POST", BASE + "/loads/" + cycle, body,
                         {"Content-Type": "multipart/form-data; boundary=" + boundary})

    def commit(self, cycle):
        return self.call("POST", BASE + "/loads/%s/commit" % cycle, b"")

    def status(self, cycle):
        st, text, _ = self.call("GET", BASE + "/loads/" + cycle)
        assert st == 200, (st, text)
        return json.loads(text)

    def wait_done(self, cycle, timeout=30):
        def finished():
            s = self.status(cycle)
            if s["internal_stage"] == "DONE" or ("code" in s["status"] and
                                                 s["status"]["code"] != "OK"):
                return s
            return None
        return wait_for(finished, timeout=timeout, what="load cycle %s to finish" % cycle)


class TsloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE ts")
        cls.s.sql("CREATE TABLE t (id INT NOT NULL, name VARCHAR(20), d DATE, dt DATETIME, "
                  "b BOOLEAN) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1", "ts")
        cls.s.sql("CREATE TABLE f (id INT NOT NULL, dt DATETIME(3)) DUPLICATE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1", "ts")
        for args in (["add", "reader", "--password", "pw"], ["add", "loader", "--password", "pw"],
                     ["grant", "loader", "LOAD", "ON", "ts.t"]):
            p = subprocess.run([BIN, "user"] + args + ["--data-dir", cls.s.data_dir],
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "ts")
        self.c = Client(self.s.ts)
        st, _, _ = self.c.login()
        self.assertEqual(st, 200)

    def rows(self, table="t"):
        return self.s.rows("select * from %s order by id" % table, "ts")

    def test_parsing_errors_in_tsload_words(self):
        """A bad value is reported as tsload reports it: the column, the value, the type and the
        format it was read with; tsload has no strict mode, so the text never mentions one."""
        _, s = self.load(b"1,a,2024/01/31,20240131 10:11:12,T\n2,b,20240131,2024-01-31,F\n"
                         b"x3,c,20240131,20240131 10:11:12,T\n4,d,20240131,20240131 10:11:12,Y\n",
                         fmt={"field_separator": ","}, opts={"max_ignored_rows": 10})
        self.assertEqual(s["ignored_row_count"], "4")
        self.assertEqual(sorted(s["parsing_errors"]), sorted([
            "Error parsing column 'd' as DATE: '2024/01/31' does not match date_format '%Y%m%d'",
            "Error parsing column 'dt' as DATE_TIME: '2024-01-31' does not match "
            "date_time_format '%Y%m%d %H:%M:%S'",
            "Error parsing column 'id' as INT32: 'x3' is not a valid INT32 value",
            "Error parsing column 'b' as BOOL: 'Y' is neither true_format 'T' nor "
            "false_format 'F'"]))
        for e in s["parsing_errors"]:
            self.assertNotIn("strict", e)

    def load(self, data, fmt=None, opts=None, table="t", parts=None):
        params = {"target": {"database": "ts", "table": table}}
        if fmt:
            params["format"] = fmt
        if opts:
            params["load_options"] = opts
        st, text, _ = self.c.start(params)
        self.assertEqual(st, 202, text)
        cycle = json.loads(text)["cycle_id"]
        st, text, _ = self.c.upload(cycle, data, parts=parts)
        self.assertEqual((st, text), (202, "Upload Complete."))
        st, text, _ = self.c.commit(cycle)
        self.assertEqual((st, text), (202, "Commit load cycle request made."))
        return cycle, self.c.wait_done(cycle)

    # ---- the reference client, call by call ------------------------------------------------
    def test_reference_client_sequence(self):
        c = Client(self.s.ts)
        st, _, _ = c.call("GET", BASE + "/ping")
        self.assertEqual(st, 200)
        st, text, r = c.login()
        self.assertEqual(st, 200, text)
        self.assertTrue(c.cookie.startswith("JSESSIONID="))
        params = {"target": {"database": "ts", "schema": "falcon_default_schema", "table": "t"},
                  "format": {"field_separator": "|", "has_header_row": True,
                             "date_time": {"date_format": "%Y-%m-%d",
                                           "date_time_format": "%Y-%m-%d %H:%M:%S"}},
                  "load_options": {"max_ignored_rows": 5}}
        st, text, _ = c.start(params)
        self.assertEqual(st, 202, text)
        ret = json.loads(text)
        cycle = ret["cycle_id"]
        self.assertIn("node_address", ret)
        node = "%s:%d" % (ret["node_address"]["host"], ret["node_address"]["port"])
        self.assertEqual(node, "127.0.0.1:%d" % self.s.ts)
        st, text, _ = c.call("GET", BASE + "/loads/%s/input_summary" % cycle)
        self.assertEqual(st, 200)
        lp = json.loads(text)["load_params"]
        self.assertEqual(lp["format"]["field_separator"], "|")
        self.assertEqual(lp["format"]["null_value"], "(null)")
        self.assertEqual(lp["target"]["schema"], "falcon_default_schema")
        # login again at node_address (the client does it when it differs; we always do)
        c2 = Client(ret["node_address"]["port"], ret["node_address"]["host"])
        self.assertEqual(c2.login()[0], 200)
        data = (b"id|name|d|dt|b\n1|alpha|2024-01-31|2024-01-31 10:11:12|T\n"
                b"2|beta|2024-02-29|2024-02-29 23:59:59|F\nbad|x|2024-01-01|2024-01-01 00:00:00|T\n")
        st, text, r = c2.upload(cycle, data)
        self.assertEqual((st, text), (202, "Upload Complete."))
        self.assertEqual(r.getheader("Connection").lower(), "close")
        # invisible until commit
        self.assertEqual(self.rows(), [])
        st, text, _ = c2.commit(cycle)
        self.assertEqual((st, text), (202, "Commit load cycle request made."))
        s = c2.wait_done(cycle)
        self.assertEqual(s["internal_stage"], "DONE", s)
        self.assertEqual(s["status"], {"code": "OK"})
        for k in ("cycle_id", "start_time", "end_time", "rows_written", "bytes_written",
                  "ignored_row_count", "buffered_bytes_size", "ingested_network_bw",
                  "row_count_skew", "min_shard_row_count", "max_shard_row_count"):
            self.assertIn(k, s)
        self.assertEqual(s["rows_written"], "2")
        self.assertEqual(s["ignored_row_count"], "1")
        self.assertEqual(len(s["parsing_errors"]), 1)
        self.assertGreater(int(s["ingested_network_bw"]), len(data))
        self.assertEqual(int(s["bytes_written"]), len(data))
        st, text, _ = c2.call("GET", BASE + "/loads/%s/bad_records_file" % cycle)
        self.assertEqual((st, text), (200, "bad|x|2024-01-01|2024-01-01 00:00:00|T\n"))
        self.assertEqual(self.rows(), [[1, "alpha", "2024-01-31", "2024-01-31 10:11:12", True],
                                       [2, "beta", "2024-02-29", "2024-02-29 23:59:59", False]])
        st, text, _ = c2.call("GET", BASE + "/loads")
        self.assertEqual(st, 200)
        self.assertIn(cycle, [x["Cycle_id"] for x in json.loads(text)])

    def test_json_login_and_upload_field_name(self):
        c = Client(self.s.ts)
        st, _, _ = c.call("POST", BASE + "/session",
                          json.dumps({"username": "root", "password": ""}).encode(),
                          {"Content-Type": "application/json"})
        self.assertEqual(st, 200)
        self.assertIsNotNone(c.cookie)
        self.c = c
        _, s = self.load(b"1,a,20240101,20240101 01:02:03,T\n", parts=None)
        self.assertEqual(s["internal_stage"], "DONE")
        st, text, _ = c.start({"target": {"database": "ts", "table": "t"}})
        cycle = json.loads(text)["cycle_id"]
        st, _, _ = c.upload(cycle, b"2,b,20240101,20240101 01:02:03,F\n", field="upload-file")
        self.assertEqual(st, 202)
        c.commit(cycle)
        self.assertEqual(c.wait_done(cycle)["rows_written"], "1")
        self.assertEqual(len(self.rows()), 2)

    # ---- formats -------------------------------------------------------------------------
    def test_defaults(self):
        _, s = self.load(b"1,\"a,b\",20240105,20240105 06:07:08,T\n2,(null),(null),(null),F\n"
                         b"3,,,,T\r\n")
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows(), [[1, "a,b", "2024-01-05", "2024-01-05 06:07:08", 1],
                                       [2, None, None, None, 0], [3, "", None, None, 1]])

    def test_separator_enclosing_escape_null(self):
        fmt = {"field_separator": ";", "enclosing_character": "'", "escape_character": "\\",
               "null_value": "NULL"}
        _, s = self.load(b"1;'x\\'y;z';NULL;NULL;NULL\n", fmt)
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows(), [[1, "x'y;z", None, None, None]])
        self.s.sql("TRUNCATE TABLE t", "ts")
        fmt = {"field_separator": ";", "enclosing_character": "'", "null_value": ""}
        _, s = self.load(b"1;'p;q';;;\n", fmt)
        self.assertEqual(self.rows(), [[1, "p;q", None, None, None]])

    def test_trailing_field_separator(self):
        _, s = self.load(b"1,a,20240101,20240101 00:00:00,T,\n2,b,20240101,20240101 00:00:00,T\n",
                         {"trailing_field_separator": True}, {"max_ignored_rows": 1})
        self.assertEqual((s["rows_written"], s["ignored_row_count"]), ("1", "1"), s)
        self.assertEqual([r[0] for r in self.rows()], [1])

    def test_header_row_per_upload(self):
        hdr = b"id,name,d,dt,b\n"
        _, s = self.load(None, {"has_header_row": True},
                         parts=[hdr + b"1,a,20240101,20240101 00:00:00,T\n",
                                hdr + b"2,b,20240101,20240101 00:00:00,F"])
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual([r[0] for r in self.rows()], [1, 2])

    def test_flexible(self):
        _, s = self.load(b"1,a\n2,b,20240101,20240101 00:00:00,T,extra,more\n", {"flexible": True})
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows(), [[1, "a", None, None, None],
                                       [2, "b", "2024-01-01", "2024-01-01 00:00:00", 1]])
        self.s.sql("TRUNCATE TABLE t", "ts")
        _, s = self.load(b"1,a\n", {"flexible": False})
        self.assertEqual(s["status"]["code"], "LOAD_FAILED")
        self.assertEqual(self.rows(), [])

    def test_date_time_formats(self):
        fmt = {"date_time": {"date_format": "%d/%m/%Y", "date_time_format": "%b %d %Y %I:%M %p",
                             "time_format": "%H.%M"}}
        _, s = self.load(b"1,a,31/12/2023,Mar 05 2024 01:30 PM,T\n", fmt)
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows(), [[1, "a", "2023-12-31", "2024-03-05 13:30:00", 1]])
        st, text, _ = self.c.start({"target": {"database": "ts", "table": "t"},
                                    "format": {"date_time": {"time_format": "%Q"}}})
        self.assertEqual(st, 400)
        self.assertTrue(text.startswith("Invalid input params for starting data load: {"), text)

    def test_second_fraction(self):
        fmt = {"date_time": {"date_time_format": "%Y-%m-%d %H:%M:%S", "skip_second_fraction": True,
                             "second_fraction_start": ","}}
        _, s = self.load(b"1|a|20240101|2024-01-01 10:00:01,123|T\n",
                         dict(fmt, field_separator="|"))
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows()[0][3], "2024-01-01 10:00:01")
        # without skip_second_fraction a fraction on DATETIME(0) is a bad record
        self.s.sql("TRUNCATE TABLE t", "ts")
        _, s = self.load(b"1|a|20240101|2024-01-01 10:00:01.5|T\n",
                         {"field_separator": "|",
                          "date_time": {"date_time_format": "%Y-%m-%d %H:%M:%S"}})
        self.assertEqual(s["status"]["code"], "LOAD_FAILED")
        # DATETIME(3) keeps it
        _, s = self.load(b"7|2024-01-01 10:00:01.250\n",
                         {"field_separator": "|",
                          "date_time": {"date_time_format": "%Y-%m-%d %H:%M:%S"}}, table="f")
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows("f"), [[7, "2024-01-01 10:00:01.250"]])

    def test_converted_to_epoch(self):
        _, s = self.load(b"1,a,1704067200,1704067261,T\n",
                         {"date_time": {"converted_to_epoch": True}})
        self.assertEqual(s["status"], {"code": "OK"}, s)
        d = datetime.datetime.fromtimestamp(1704067200)
        dt = datetime.datetime.fromtimestamp(1704067261)
        self.assertEqual(self.rows()[0][2:4], [d.strftime("%Y-%m-%d"),
                                               dt.strftime("%Y-%m-%d %H:%M:%S")])

    def test_boolean_formats(self):
        _, s = self.load(b"1,a,,,yes\n2,b,,,no\n3,c,,,maybe\n",
                         {"boolean": {"true_format": "yes", "false_format": "no"}},
                         {"max_ignored_rows": 1})
        self.assertEqual((s["rows_written"], s["ignored_row_count"]), ("2", "1"), s)
        self.assertEqual([r[4] for r in self.rows()], [1, 0])
        self.s.sql("TRUNCATE TABLE t", "ts")
        _, s = self.load(b"1,a,,,1\n2,b,,,0x0\n", {"boolean": {"use_bit_values": True}})
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual([r[4] for r in self.rows()], [1, 0])

    # ---- load options ---------------------------------------------------------------------
    def test_max_ignored_rows(self):
        data = b"1,a,,,T\nx,b,,,T\ny,c,,,T\n"
        cycle, s = self.load(data, None, {"max_ignored_rows": 1})
        self.assertEqual(s["status"]["code"], "LOAD_FAILED", s)
        self.assertIn("max_ignored_rows", s["status"]["message"])
        self.assertNotEqual(s["internal_stage"], "DONE")
        self.assertEqual(s["ignored_row_count"], "2")
        self.assertEqual(self.rows(), [])
        _, s = self.load(data, None, {"max_ignored_rows": 2})
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(len(self.rows()), 1)

    def test_empty_target(self):
        self.load(b"1,old,,,T\n2,old,,,T\n")
        cycle_params = {"target": {"database": "ts", "table": "t"},
                        "load_options": {"empty_target": True}}
        st, text, _ = self.c.start(cycle_params)
        cycle = json.loads(text)["cycle_id"]
        self.c.upload(cycle, b"3,new,,,T\n")
        self.assertEqual(len(self.rows()), 2)  # old rows visible until commit
        self.c.commit(cycle)
        s = self.c.wait_done(cycle)
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows(), [[3, "new", None, None, 1]])
        # a failed empty_target cycle leaves the table untouched
        _, s = self.load(b"zz,bad,,,T\n", None, {"empty_target": True})
        self.assertEqual(s["status"]["code"], "LOAD_FAILED")
        self.assertEqual(self.rows(), [[3, "new", None, None, 1]])

    def test_many_uploads_one_cycle(self):
        st, text, _ = self.c.start({"target": {"database": "ts", "table": "t"}})
        cycle = json.loads(text)["cycle_id"]
        for i in range(5):
            st, _, _ = self.c.upload(cycle, b"%d,n,,,T\n" % i)
            self.assertEqual(st, 202)
        s = self.c.status(cycle)
        self.assertNotIn("code", s["status"])
        self.assertNotEqual(s["internal_stage"], "DONE")
        self.c.commit(cycle)
        self.assertEqual(self.c.wait_done(cycle)["rows_written"], "5")
        self.assertEqual(len(self.rows()), 5)

    # ---- errors ---------------------------------------------------------------------------
    def test_cancel(self):
        st, text, _ = self.c.start({"target": {"database": "ts", "table": "t"}})
        cycle = json.loads(text)["cycle_id"]
        self.c.upload(cycle, b"1,a,,,T\n")
        st, _, _ = self.c.call("POST", BASE + "/loads/%s/cancel" % cycle, b"")
        self.assertEqual(st, 200)
        s = self.c.status(cycle)
        self.assertEqual(s["status"]["code"], "LOAD_FAILED")
        self.assertEqual(s["internal_stage"], "CANCELLED")
        st, _, _ = self.c.upload(cycle, b"2,a,,,T\n")
        self.assertEqual(st, 400)
        st, _, _ = self.c.commit(cycle)
        self.assertEqual(st, 500)
        self.assertEqual(self.rows(), [])

    def test_bad_cycle_id(self):
        bad = "00000000-0000-4000-8000-000000000000"
        st, text, _ = self.c.upload(bad, b"1\n")
        self.assertEqual((st, text), (400, "Cycle_id=[%s] does not exist." % bad))
        st, text, _ = self.c.commit(bad)
        self.assertEqual((st, text), (500, "Commit load cycle failed. Error ending load. "
                                           "Unknown cycle_id '%s'" % bad))
        st, text, _ = self.c.call("GET", BASE + "/loads/%s/bad_records_file" % bad)
        self.assertEqual((st, text), (500, "Node does not exist: /tmp/%s.bad_record" % bad))
        st, _, _ = self.c.call("GET", BASE + "/loads/..%2f..%2fetc")
        self.assertEqual(st, 400)

    def test_missing_cookie_and_bad_login(self):
        c = Client(self.s.ts)
        st, text, _ = c.start({"target": {"database": "ts", "table": "t"}})
        self.assertEqual((st, text), (401, "Unable to verify user. Please login again."))
        c.cookie = "JSESSIONID=not-a-session"
        st, _, _ = c.call("GET", BASE + "/loads")
        self.assertEqual(st, 401)
        st, text, _ = Client(self.s.ts).login("root", "wrong")
        self.assertEqual((st, text), (401, "Unable to verify user. Please login again."))

    def test_user_without_privilege(self):
        c = Client(self.s.ts)
        self.assertEqual(c.login("reader", "pw")[0], 200)
        st, text, _ = c.start({"target": {"database": "ts", "table": "t"}})
        self.assertEqual((st, text), (403, "User does not have required privileges. Please "
                                           "contact your administrator."))
        st, text, _ = self.c.start({"target": {"database": "ts", "table": "t"}})
        cycle = json.loads(text)["cycle_id"]
        # somebody else's cycle answers like an unknown one (issue 26: cycles belong to their
        # owner; the reply must not tell that the cycle exists)
        st, text, _ = c.upload(cycle, b"1,a,,,T\n")
        self.assertEqual((st, text), (400, "Cycle_id=[%s] does not exist." % cycle))
        loader = Client(self.s.ts)
        self.assertEqual(loader.login("loader", "pw")[0], 200)
        st, _, _ = loader.start({"target": {"database": "ts", "table": "t"}})
        self.assertEqual(st, 202)

    def test_bad_params_and_missing_table(self):
        st, text, _ = self.c.call("POST", BASE + "/loads", b"{not json")
        self.assertEqual((st, text), (400, "Invalid input params for starting data load: "
                                           "{not json"))
        st, text, _ = self.c.start({"target": {"database": "ts", "table": "nope"}})
        cycle = json.loads(text)["cycle_id"]
        st, text, _ = self.c.upload(cycle, b"1\n")
        self.assertEqual((st, text), (400, "Unable to find table in Falcon. Cannot load data."))

    def test_multipart_split_in_small_writes(self):
        st, text, _ = self.c.start({"target": {"database": "ts", "table": "t"}})
        cycle = json.loads(text)["cycle_id"]
        boundary = b"XyZ"
        body = (b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nform\r\n"
                b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.csv\"\r\n\r\n"
                b"1,\"a\r\n-\",,,T\n2,\"b\r\n--X\",,,F\r\n--XyZ--\r\nepilogue")
        conn = http.client.HTTPSConnection("127.0.0.1", self.s.ts, context=tls(), timeout=30)
        conn.putrequest("POST", BASE + "/loads/" + cycle)
        conn.putheader("Cookie", self.c.cookie)
        conn.putheader("Content-Type", "multipart/form-data; boundary=" + boundary.decode())
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for i in range(0, len(body), 3):
            piece = body[i:i + 3]
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
        r = conn.getresponse()
        self.assertEqual(r.status, 202, r.read())
        conn.close()
        self.c.commit(cycle)
        s = self.c.wait_done(cycle)
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual([r[:2] for r in self.rows()], [[1, "a\r\n-"], [2, "b\r\n--X"]])


class TsloadRestartTest(unittest.TestCase):
    def test_kill9_before_commit(self):
        s = Server()
        try:
            s.sql("CREATE DATABASE ts")
            s.sql("CREATE TABLE t (id INT NOT NULL, name VARCHAR(20)) DUPLICATE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1", "ts")
            c = Client(s.ts)
            c.login()
            st, text, _ = c.start({"target": {"database": "ts", "table": "t"}})
            cycle = json.loads(text)["cycle_id"]
            self.assertEqual(c.upload(cycle, b"1,a\n2,b\n")[0], 202)
            s.kill9()
            s.start()
            c = Client(s.ts)
            c.login()
            st = c.status(cycle)
            self.assertEqual(st["status"]["code"], "LOAD_FAILED")
            self.assertIn("restart", st["status"]["message"])
            self.assertEqual(c.commit(cycle)[0], 500)
            self.assertEqual(s.rows("select count(*) from t", "ts"), [[0]])
            # a committed cycle stays DONE across a restart
            st, text, _ = c.start({"target": {"database": "ts", "table": "t"}})
            cycle2 = json.loads(text)["cycle_id"]
            c.upload(cycle2, b"3,c\n")
            c.commit(cycle2)
            self.assertEqual(c.wait_done(cycle2)["internal_stage"], "DONE")
            s.restart()
            c = Client(s.ts)
            c.login()
            self.assertEqual(c.status(cycle2)["internal_stage"], "DONE")
            self.assertEqual(s.rows("select count(*) from t", "ts"), [[1]])
        finally:
            s.close()

    def test_idle_cycle_expires_and_plain_http_flag(self):
        s = Server(extra=["--set", "tsload_cycle_idle_timeout_second=1",
                          "--set", "tsload_plain_http=true"])
        try:
            s.sql("CREATE DATABASE ts")
            s.sql("CREATE TABLE t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
                  "ts")
            r = s.request("GET", BASE + "/ping", port=s.ts)
            self.assertEqual((r.status, r.text), (200, "Ping Received."))
            r = s.request("POST", BASE + "/session",
                          [("Content-Type", "application/x-www-form-urlencoded")],
                          b"username=root&password=", port=s.ts)
            cookie = r.header("Set-Cookie").split(";")[0]
            r = s.request("POST", BASE + "/loads", [("Cookie", cookie)],
                          json.dumps({"target": {"database": "ts", "table": "t"}}).encode(),
                          port=s.ts)
            cycle = r.json()["cycle_id"]

            def expired():
                r = s.request("GET", BASE + "/loads/" + cycle, [("Cookie", cookie)], port=s.ts)
                return r.json()["status"].get("code") == "LOAD_FAILED" and r.json()
            doc = wait_for(expired, timeout=10, interval=0.3, what="cycle expiry")
            self.assertIn("expired", doc["status"]["message"])
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
