"""Doris Stream Load over real HTTP against the real binary: the seed's curl commands, the
redirect, reply shapes, labels, CSV options, strict mode and the filter ratio."""
import json
import os
import re
import subprocess
import unittest

from harness import Server, basic, new_label, raw, ROOT

GOLDEN = os.path.join(ROOT, "tests", "data", "golden")
TIMES = re.compile(r'("(?:LoadTimeMs|BeginTxnTimeMs|StreamLoadPutTimeMs|ReadDataTimeMs|'
                   r'WriteDataTimeMs|ReceiveDataTimeMs|CommitAndPublishTimeMs|TxnId)": )-?\d+')


def normalized(text, label):
    """Reply text with the fields that vary per run replaced by fixed placeholders."""
    text = TIMES.sub(r"\1N", text)
    text = re.sub(r"relate to txn \[\d+\]", "relate to txn [N]", text)
    return text.replace(label, "LABEL")


class StreamLoadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE test")
        cls.s.sql("CREATE TABLE t (id INT NOT NULL, name VARCHAR(10), d DATE, "
                  "p DECIMAL(10,2)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1", "test")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "test")

    def count(self):
        return self.s.rows("select count(*) from t", "test")[0][0]

    def golden(self, name, resp, label):
        path = os.path.join(GOLDEN, name + ".json")
        got = normalized(resp.text, label)
        with open(path) as f:
            self.assertEqual(got, f.read(), "reply differs from %s" % path)

    # ---- the seed's commands ------------------------------------------------------------
    def test_seed_curl_location_trusted(self):
        data = os.path.join(self.s.data_dir, "seed.csv")
        with open(data, "w") as f:
            f.write("1,Tom,2024-01-02,3.456\n2,Jelly,2024-4-2,7\n")
        label = new_label()
        out = subprocess.run(
            ["curl", "-sS", "--location-trusted", "-u", "root:", "-H", "label:" + label,
             "-H", "column_separator:,", "-T", data, "-XPUT",
             "http://127.0.0.1:%d/api/test/t/_stream_load" % self.s.fe],
            capture_output=True, text=True, timeout=60)
        doc = json.loads(out.stdout)
        self.assertEqual(doc["Status"], "Success")
        self.assertEqual(doc["NumberLoadedRows"], 2)
        self.assertEqual(doc["Label"], label)
        self.assertEqual(list(doc.keys()), [
            "TxnId", "Label", "Comment", "TwoPhaseCommit", "Status", "Message", "NumberTotalRows",
            "NumberLoadedRows", "NumberFilteredRows", "NumberUnselectedRows", "LoadBytes",
            "LoadTimeMs", "BeginTxnTimeMs", "StreamLoadPutTimeMs", "ReadDataTimeMs",
            "WriteDataTimeMs", "ReceiveDataTimeMs", "CommitAndPublishTimeMs"])
        rows = self.s.rows("select id, name, d, p from t order by id", "test")
        self.assertEqual(rows, [[1, "Tom", "2024-01-02", 3.46], [2, "Jelly", "2024-04-02", 7.00]])

    def test_curl_chunked_upload_from_stdin(self):
        body = "".join("%d,n%d,2024-01-01,1.5\n" % (i, i) for i in range(5000))
        out = subprocess.run(
            ["curl", "-sS", "--location-trusted", "-u", "root:", "-H", "column_separator:,",
             "-H", "Transfer-Encoding: chunked", "-T", "-", "-XPUT",
             "http://127.0.0.1:%d/api/test/t/_stream_load" % self.s.fe],
            input=body, capture_output=True, text=True, timeout=60)
        doc = json.loads(out.stdout)
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(doc["NumberLoadedRows"], 5000)
        self.assertEqual(self.count(), 5000)

    def test_redirect_location(self):
        r = self.s.request("PUT", "/api/test/t/_stream_load?x=1",
                           [("Authorization", basic("root", "")), ("Expect", "100-continue")], b"")
        self.assertEqual(r.status, 307)
        self.assertEqual(r.header("Location"),
                         "http://root:@127.0.0.1:%d/api/test/t/_stream_load?x=1" % self.s.be)
        r = self.s.request("PUT", "/api/test/t/_stream_load",
                           [("Authorization", basic("root", "")), ("Expect", "100-continue")], b"")
        self.assertTrue(r.header("Location").endswith("/api/test/t/_stream_load?"))

    def test_fe_errors(self):
        r = self.s.request("PUT", "/api/test/t/_stream_load", [("Authorization", basic())], b"")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"status": "FAILED", "msg": "There is no 100-continue header"})
        r = self.s.request("PUT", "/api/test/t/_stream_load", [("Expect", "100-continue")], b"")
        self.assertEqual(r.json(), {"msg": "Unauthorized", "code": 401,
                                    "data": "Need auth information.", "count": 0})
        r = self.s.request("PUT", "/api/test/t/_stream_load",
                           [("Authorization", basic("root", "bad")), ("Expect", "100-continue")], b"")
        doc = r.json()
        self.assertEqual(doc["code"], 401)
        self.assertIn("Access denied for user 'root'", doc["data"])

    def test_success_reply_golden(self):
        label = new_label()
        r = self.s.load("test", "t", b"1,a,2024-01-01,1\n", [("column_separator", ",")], label=label)
        self.assertEqual(r.status, 200)
        self.golden("load_success", r, label)

    # ---- labels ---------------------------------------------------------------------------
    def test_label_already_exists_then_reuse_after_failure(self):
        label = new_label()
        r = self.s.load("test", "t", b"1,a,2024-01-01,1\n", [("column_separator", ",")], label=label)
        self.assertEqual(r.json()["Status"], "Success")
        r = self.s.load("test", "t", b"2,b,2024-01-01,1\n", [("column_separator", ",")], label=label)
        doc = r.json()
        self.assertEqual(doc["Status"], "Label Already Exists")
        self.assertEqual(doc["ExistingJobStatus"], "FINISHED")
        self.assertEqual(doc["TxnId"], -1)
        self.assertIn("has already been used, relate to txn", doc["Message"])
        self.golden("load_label_exists", r, label)
        self.assertEqual(self.count(), 1)
        # a failed load frees its label
        label2 = new_label()
        r = self.s.load("test", "t", b"x\n", [("column_separator", ",")], label=label2)
        self.assertEqual(r.json()["Status"], "Fail")
        r = self.s.load("test", "t", b"3,c,2024-01-01,1\n", [("column_separator", ",")],
                        label=label2)
        self.assertEqual(r.json()["Status"], "Success")
        st = self.s.request("GET", "/api/test/get_load_state?label=" + label2,
                            [("Authorization", basic())]).json()
        self.assertEqual(st, {"msg": "success", "code": 0, "data": "VISIBLE", "count": 0})
        st = self.s.request("GET", "/api/test/get_load_state?label=nope",
                            [("Authorization", basic())]).json()
        self.assertEqual(st["data"], "UNKNOWN")
        st = self.s.request("GET", "/api/test/get_load_state", [("Authorization", basic())]).json()
        self.assertEqual(st, {"msg": "Bad Request", "code": 403, "data": "No label selected",
                              "count": 0})

    def test_label_generated_and_invalid(self):
        r = self.s.load("test", "t", b"1,a,2024-01-01,1\n", [("column_separator", ",")])
        self.assertRegex(r.json()["Label"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        r = self.s.load("test", "t", b"1,a,2024-01-01,1\n", [("column_separator", ",")],
                        label="bad label!")
        doc = r.json()
        self.assertEqual(doc["Status"], "Fail")
        self.assertIn("[INVALID_ARGUMENT]Label format error", doc["Message"])

    # ---- header errors --------------------------------------------------------------------
    def test_header_errors_exact_messages(self):
        cases = [
            ([("timeout", "abc")], "[INVALID_ARGUMENT]Invalid format of 'timeout': 'abc', stoi"),
            ([("skip_lines", "-3")], "[INVALID_ARGUMENT]Invalid 'skip_lines': -3"),
            ([("format", "txt")], "[DATA_FILE_TYPE_ERROR]unknown data format, format=txt"),
            ([("merge_type", "other")], "[INVALID_ARGUMENT]Invalid merge type other"),
            ([("enclose", "ab")], "[INVALID_ARGUMENT]enclose must be single-char, actually is ab"),
            ([("escape", "ab")], "[INVALID_ARGUMENT]escape must be single-char, actually is ab"),
            ([("strict_mode", "maybe")],
             "[INVALID_ARGUMENT]Invalid strict mode format. Must be bool type"),
            ([("column_separator", "\\x")], "[INVALID_ARGUMENT]Hex str is empty"),
            ([("partitions", "p1"), ("temporary_partitions", "p2")],
             "[INVALID_ARGUMENT]Can not specify both partitions and temporary partitions"),
        ]
        for headers, msg in cases:
            r = self.s.load("test", "t", b"1,a,2024-01-01,1\n", headers)
            doc = r.json()
            self.assertEqual(doc["Status"], "Fail", headers)
            self.assertEqual(doc["Message"], msg)
            self.assertEqual(doc["TxnId"], -1)
        self.assertEqual(self.count(), 0)

    def test_unknown_table_and_db(self):
        r = self.s.load("test", "missing", b"1\n", [])
        doc = r.json()
        self.assertEqual(doc["Status"], "Fail")
        self.assertIn("table not found, tableName=missing", doc["Message"])
        r = self.s.load("nodb", "t", b"1\n", [])
        self.assertIn("unknown database, database=nodb", r.json()["Message"])

    def test_reject_before_body(self):
        """A header error is answered without 100 Continue: the body is never needed."""
        head = ("PUT /api/test/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                "Expect: 100-continue\r\ntimeout: abc\r\nContent-Length: 1000000000\r\n\r\n"
                % basic()).encode()
        out = raw(self.s.be, head, timeout=10)
        self.assertNotIn(b"100 Continue", out)
        self.assertIn(b"HTTP/1.1 200", out)
        self.assertIn(b"Invalid format of 'timeout'", out)

    def test_both_and_neither_framing(self):
        head = ("PUT /api/test/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                "\r\n" % basic()).encode()
        out = raw(self.s.be, head, timeout=10, read_until_close=False)
        self.assertIn(b"content_length is empty and transfer-encoding!=chunked", out)

    def test_empty_body_succeeds(self):
        r = self.s.load("test", "t", b"", [])
        doc = r.json()
        self.assertEqual(doc["Status"], "Success")
        self.assertEqual(doc["NumberTotalRows"], 0)

    # ---- rows --------------------------------------------------------------------------
    def test_strict_and_ratio_matrix(self):
        # 10 rows, 3 bad: a bad date under strict mode, a non-number, NULL into NOT NULL id.
        good = ["%d,n%d,2024-01-%02d,1.5" % (i, i, i) for i in range(1, 8)]
        bad = ["8,x,2024-13-45,1", "9,y,2024-01-01,abc", "\\N,z,2024-01-01,1"]
        body = ("\n".join(good + bad) + "\n").encode()
        for strict, ratio, status, loaded in [("true", "0.3", "Success", 7),
                                              ("true", "0.2", "Fail", 0),
                                              ("false", "0.05", "Fail", 0)]:
            self.s.sql("TRUNCATE TABLE t", "test")
            r = self.s.load("test", "t", body, [("column_separator", ","),
                                                ("strict_mode", strict),
                                                ("max_filter_ratio", ratio)])
            doc = r.json()
            self.assertEqual(doc["Status"], status, (strict, ratio, doc))
            self.assertEqual(doc["NumberTotalRows"], 10)
            self.assertEqual(doc["NumberLoadedRows"], loaded)
            self.assertIn("ErrorURL", doc)
            if status == "Fail":
                self.assertEqual(doc["Message"], "[DATA_QUALITY_ERROR]too many filtered rows")
                self.assertIn("FirstErrorMsg", doc)
            self.assertEqual(self.count(), loaded)
        # non-strict: only the NULL id row is an error (bad date/number become NULL)
        self.s.sql("TRUNCATE TABLE t", "test")
        r = self.s.load("test", "t", body, [("column_separator", ","), ("max_filter_ratio", "0.1")])
        doc = r.json()
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"], doc["NumberFilteredRows"]),
                         ("Success", 9, 1))

    def test_error_log_fetch_and_escape_attempts(self):
        body = b"1,a,2024-01-01,1,extra\n2,b\n3,c,2024-01-01,1\n"
        r = self.s.load("test", "t", body, [("column_separator", ","), ("max_filter_ratio", "1")])
        doc = r.json()
        self.assertEqual(doc["NumberFilteredRows"], 2)
        url = doc["ErrorURL"]
        self.assertRegex(url, r"^http://127\.0\.0\.1:%d/api/_load_error_log\?file=__shard_\d+/error_log_"
                         % self.s.be)
        path = url.split(":%d" % self.s.be, 1)[1]
        log = self.s.request("GET", path, port=self.s.be).text
        self.assertIn("Reason: actual column number in csv file is  more than  schema column "
                      "number.actual number: 5", log)
        self.assertIn("src line [1,a,2024-01-01,1,extra]", log)
        self.assertIn("less than", log)
        for evil in ["../catalog.db", "__shard_0/../../catalog.db", "/etc/passwd",
                     "__shard_0/error_log_x/../../../users.db", "__shard_1/%2e%2e/users.db"]:
            r = self.s.request("GET", "/api/_load_error_log?file=" + evil, port=self.s.be)
            self.assertIn(r.status, (400, 404), evil)
            self.assertNotIn(b"SQLite", r.body)

    def test_error_log_caps_at_50(self):
        body = b"".join(b"x\n" for _ in range(80))
        r = self.s.load("test", "t", body, [("max_filter_ratio", "1")])
        doc = r.json()
        self.assertEqual(doc["NumberFilteredRows"], 80)
        path = doc["ErrorURL"].split(":%d" % self.s.be, 1)[1]
        log = self.s.request("GET", path, port=self.s.be).text
        self.assertEqual(log.count("Reason:"), 50)
        self.assertIn("TOO MUCH ERROR! already reach 50. show no more next error.", log)

    def test_counters_add_up_and_invalid_utf8(self):
        body = b"1,ok,2024-01-01,1\n2,\xff\xfe,2024-01-01,1\n3,ok,2024-01-01,1\n"
        r = self.s.load("test", "t", body, [("column_separator", ","), ("max_filter_ratio", "0.5")])
        doc = r.json()
        self.assertEqual(doc["NumberTotalRows"],
                         doc["NumberLoadedRows"] + doc["NumberFilteredRows"] + doc["NumberUnselectedRows"])
        self.assertEqual(doc["NumberFilteredRows"], 1)
        path = doc["ErrorURL"].split(":%d" % self.s.be, 1)[1]
        log = self.s.request("GET", path, port=self.s.be).text
        self.assertIn("Unable to display, only support csv data in utf8 codec", log)

    def test_string_too_long_is_filtered(self):
        r = self.s.load("test", "t", b"1,12345678901,2024-01-01,1\n", [("column_separator", ",")])
        doc = r.json()
        self.assertEqual((doc["Status"], doc["NumberFilteredRows"]), ("Fail", 1))


if __name__ == "__main__":
    unittest.main()
