"""Friendlier edges that keep Doris compatibility (issue 21): a Warnings field (and a log line)
for a misspelt header, a text body on the front door's 307, 405 with Allow for a wrong method
on a known path, and the documented CRLF behaviour of CSV loads."""
import os
import shutil
import signal
import subprocess
import tempfile
import unittest
from urllib.parse import urlsplit

from harness import BIN, Server, basic


class FriendlyEdgesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE f")
        cls.s.sql("CREATE TABLE t (k INT, v VARCHAR(16)) DUPLICATE KEY(k) "
                  "DISTRIBUTED BY HASH(k) BUCKETS 1", "f")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "f")

    # ---- Warnings for misspelt headers ------------------------------------------------------
    def test_misspelt_header_warns_without_changing_status(self):
        body = b"1,a\n2,b\n"
        plain = self.s.load("f", "t", body, []).json()       # tab separator: all rows filtered
        self.assertEqual(plain["Status"], "Fail")
        self.assertNotIn("Warnings", plain)
        doc = self.s.load("f", "t", body, [("colum_separator", ",")]).json()
        self.assertEqual(doc["Status"], plain["Status"])
        self.assertEqual(doc["Message"], plain["Message"])
        self.assertEqual(doc["Warnings"], "unknown header 'colum_separator' was ignored; did you "
                                          "mean 'column_separator'?")
        self.assertEqual(list(doc)[-1], "Warnings")  # after Doris's own keys

    def test_warning_on_a_successful_load_and_several(self):
        doc = self.s.load("f", "t", b"1,a\n", [("column_separator", ","), ("lable", "x1"),
                                               ("max_filter_ration", "0.1")]).json()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(doc["NumberLoadedRows"], 1)
        self.assertEqual(doc["Warnings"],
                         "unknown header 'lable' was ignored; did you mean 'label'?; unknown "
                         "header 'max_filter_ration' was ignored; did you mean "
                         "'max_filter_ratio'?")

    def test_known_and_unrelated_headers_do_not_warn(self):
        hs = [("column_separator", ","), ("User-Agent", "curl/8"), ("Accept", "*/*"),
              ("Content-Type", "text/plain"), ("X-Trace", "abc"), ("Via", "proxy"),
              ("strip_outer_array", "false"), ("Label", "Upper_case_ok")]
        doc = self.s.load("f", "t", b"1,a\n", hs).json()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertNotIn("Warnings", doc)

    def test_misspelt_header_logged(self):
        s = Server()
        try:
            s.sql("CREATE DATABASE g")
            s.sql("CREATE TABLE t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1", "g")
            s.load("g", "t", b"1\n", [("fromat", "csv")])
            s.proc.send_signal(signal.SIGTERM)
            s.proc.wait(timeout=10)
            err = s.stderr_text()
        finally:
            s.close()
        self.assertIn("warning: PUT /api/g/t/_stream_load", err)
        self.assertIn("unknown header 'fromat' was ignored; did you mean 'format'?", err)

    # ---- the front door's 307 ---------------------------------------------------------------
    def test_redirect_has_a_text_body_without_the_password(self):
        r = self.s.request("PUT", "/api/f/t/_stream_load",
                           [("Authorization", basic("root", "")), ("Expect", "100-continue")], b"")
        self.assertEqual(r.status, 307)
        loc = urlsplit(r.header("Location"))
        self.assertEqual(r.text, "redirecting to http://127.0.0.1:%d/api/f/t/_stream_load?; use "
                                 "--location-trusted with curl\n" % loc.port)

    def test_curl_without_location_trusted_prints_the_hint(self):
        if shutil.which("curl") is None:
            self.skipTest("curl not installed")
        user = lambda *a: subprocess.run([BIN, "user"] + list(a) + ["--data-dir", self.s.data_dir],
                                         capture_output=True, text=True, timeout=30)
        self.assertEqual(user("add", "u1", "--password", "s3cret").returncode, 0)
        self.assertEqual(user("grant", "u1", "LOAD", "ON", "f.t").returncode, 0)
        d = tempfile.mkdtemp(prefix="sluice-curl-")
        try:
            path = os.path.join(d, "rows.csv")
            with open(path, "wb") as f:
                f.write(b"1\ta\n")
            p = subprocess.run(["curl", "-sS", "-u", "u1:s3cret", "-H", "Expect:100-continue",
                                "-T", path, "http://127.0.0.1:%d/api/f/t/_stream_load" % self.s.fe],
                               capture_output=True, text=True, timeout=30)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertIn("use --location-trusted with curl", p.stdout)
        self.assertNotIn("s3cret", p.stdout)
        self.assertEqual(self.s.rows("select count(*) from t", "f")[0][0], 0)

    # ---- 405 with Allow -------------------------------------------------------------------
    def test_wrong_method_on_a_known_path_is_405(self):
        auth = [("Authorization", basic())]
        for port in (self.s.fe, self.s.be):
            r = self.s.request("POST", "/api/f/t/_stream_load", auth, b"1\ta\n", port=port)
            self.assertEqual(r.status, 405)
            self.assertEqual(r.header("Allow"), "PUT")
            self.assertEqual(r.text, "method POST is not allowed on /api/f/t/_stream_load; "
                                     "use PUT\n")
        r = self.s.request("GET", "/api/f/_stream_load_2pc", auth)
        self.assertEqual((r.status, r.header("Allow")), (405, "PUT"))
        r = self.s.request("PUT", "/api/f/get_load_state", auth, b"")
        self.assertEqual((r.status, r.header("Allow")), (405, "GET"))
        r = self.s.request("GET", "/api/query/default_cluster/f", auth)
        self.assertEqual((r.status, r.header("Allow")), (405, "POST"))
        r = self.s.request("POST", "/api/f/t/no_such_action", auth, b"")
        self.assertEqual(r.status, 404)
        self.assertEqual(self.s.rows("select count(*) from t", "f")[0][0], 0)

    # ---- CRLF in CSV (docs/doris-stream-load.md) ---------------------------------------------
    def test_crlf_kept_unless_the_line_delimiter_says_so(self):
        body = b"1,a\r\n2,b\r\n"
        doc = self.s.load("f", "t", body, [("column_separator", ",")]).json()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.s.rows("select v from t order by k", "f"), [["a\r"], ["b\r"]])
        self.s.sql("TRUNCATE TABLE t", "f")
        doc = self.s.load("f", "t", body, [("column_separator", ","),
                                           ("line_delimiter", "\\r\\n")]).json()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.s.rows("select v from t order by k", "f"), [["a"], ["b"]])


if __name__ == "__main__":
    unittest.main()
