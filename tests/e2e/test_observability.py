"""Seeing it work (issue 16): metrics, health, the access log, HTTPS on the Doris ports.

MetricsTest: GET /metrics on every listener is valid Prometheus text and its load counters move
by exactly the rows and bytes loaded. HealthTest: /ping, /api/health in Doris FE's shape, and
503 while the store cannot take a load (its catalog locked by another process). AccessLogTest:
one line per request, with the label and user and never a password, reopened on SIGHUP.
HttpsTest: tls_cert/tls_key put the FE and load ports on HTTPS, redirects included."""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import time
import unittest
from urllib.parse import urlsplit

from harness import BIN, STORE, Server, basic, new_label, wait_for
import promtext


def make_table(s, db="m", table="t"):
    s.sql("CREATE DATABASE IF NOT EXISTS %s" % db)
    s.sql("CREATE TABLE IF NOT EXISTS %s (k INT, v VARCHAR(8)) DUPLICATE KEY(k) "
          "DISTRIBUTED BY HASH(k) BUCKETS 1" % table, db)


def https_get(port, path, headers=()):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    try:
        conn.request("GET", path, headers=dict(headers))
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def scrape(s, port=None, path="/metrics"):
    r = s.request("GET", path, port=port)
    assert r.status == 200, r.text
    assert r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    return promtext.parse(r.text)


def open_chunked_load(s, label, db="m", table="t"):
    """A Stream Load on the load port whose body is still coming: the socket, after 100."""
    sock = socket.create_connection(("127.0.0.1", s.be), timeout=20)
    sock.sendall(("PUT /api/%s/%s/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                  "Expect: 100-continue\r\nlabel: %s\r\ncolumn_separator: ,\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n" % (db, table, basic(), label)).encode())
    assert b"100 Continue" in sock.recv(4096)
    return sock


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def finish(sock):
    sock.sendall(b"0\r\n\r\n")
    buf = b""
    while b"\n}" not in buf:
        data = sock.recv(65536)
        assert data, buf
        buf += data
    sock.close()
    return json.loads(buf[buf.index(b"{"):].decode())


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        make_table(cls.s)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_every_listener_serves_valid_prometheus_text(self):
        s = self.s
        for port in (s.fe, s.be):
            for path in ("/metrics", "/api/metrics"):
                m = scrape(s, port, path)
                self.assertEqual(promtext.value(m, "sluice_store_up"), 1)
                self.assertGreater(promtext.value(m, "process_resident_memory_bytes"), 0)
                self.assertGreater(promtext.value(m, "process_open_fds"), 0)
                self.assertIn(("process_cpu_seconds_total", frozenset()), m)
        status, text = https_get(s.ts, "/metrics")  # the tsload port speaks HTTPS
        self.assertEqual(status, 200)
        promtext.parse(text)

    def test_load_counters_move_by_exactly_the_rows_and_bytes_loaded(self):
        s = self.s
        before = scrape(s)
        good = b"".join(b"%d,v\n" % i for i in range(1000))
        bad = b"x1,v\nx2,v\n"  # k is INT: filtered in strict mode
        body = good + bad
        r = s.load("m", "t", body, [("column_separator", ","), ("strict_mode", "true"),
                                    ("max_filter_ratio", "0.5")]).json()
        self.assertEqual(r["Status"], "Success", r)
        failed = s.load("m", "nope", b"1,v\n", [("column_separator", ",")]).json()
        self.assertEqual(failed["Status"], "Fail", failed)
        s.sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", "m")
        after = scrape(s, s.be)  # any listener: one registry

        def delta(name, **labels):
            return promtext.value(after, name, **labels) - promtext.value(before, name, **labels)
        self.assertEqual(delta("sluice_loads_started_total", protocol="doris"), 2)
        self.assertEqual(delta("sluice_loads_finished_total", protocol="doris",
                               status="success"), 1)
        self.assertEqual(delta("sluice_loads_finished_total", protocol="doris",
                               status="failed"), 1)
        self.assertEqual(delta("sluice_load_errors_total", protocol="doris", code="NOT_FOUND"), 1)
        self.assertEqual(delta("sluice_load_rows_loaded_total", protocol="doris"), 1000)
        self.assertEqual(delta("sluice_load_rows_filtered_total", protocol="doris"), 2)
        # the load into the unknown table was refused before its body was read
        self.assertEqual(delta("sluice_load_bytes_total", protocol="doris"), len(body))
        self.assertEqual(delta("sluice_load_duration_seconds_count", protocol="doris"), 2)
        self.assertEqual(delta("sluice_loads_started_total", protocol="sql"), 1)
        self.assertEqual(delta("sluice_load_rows_loaded_total", protocol="sql"), 3)
        self.assertEqual(delta("sluice_store_commit_duration_seconds_count"), 2)
        self.assertEqual(delta("sluice_transactions", state="VISIBLE"), 2)
        self.assertEqual(promtext.value(after, "sluice_loads_running", protocol="doris"), 0)
        self.assertEqual(promtext.value(after, "sluice_load_bytes_in_flight"), 0)

    def test_running_load_and_bytes_in_flight(self):
        s = self.s
        sock = open_chunked_load(s, new_label())
        part = b"".join(b"%d,v\n" % i for i in range(5000))
        sock.sendall(chunk(part))
        m = wait_for(lambda: (lambda x: x if promtext.value(
            x, "sluice_load_bytes_in_flight") == len(part) else None)(scrape(s)),
            what="the body bytes to be in flight")
        self.assertEqual(promtext.value(m, "sluice_loads_running", protocol="doris"), 1)
        doc = finish(sock)
        self.assertEqual(doc["NumberLoadedRows"], 5000, doc)
        m = scrape(s)
        self.assertEqual(promtext.value(m, "sluice_loads_running", protocol="doris"), 0)
        self.assertEqual(promtext.value(m, "sluice_load_bytes_in_flight"), 0)

    def test_http_requests_and_connections(self):
        s = self.s
        before = scrape(s)
        for _ in range(3):
            self.assertEqual(s.request("GET", "/no/such/path").status, 404)
        after = scrape(s)
        self.assertEqual(promtext.value(after, "sluice_http_requests_total", listener="fe",
                                        code="404") -
                         promtext.value(before, "sluice_http_requests_total", listener="fe",
                                        code="404"), 3)
        self.assertGreaterEqual(promtext.value(after, "sluice_http_connections_accepted_total",
                                               listener="fe") -
                                promtext.value(before, "sluice_http_connections_accepted_total",
                                               listener="fe"), 4)
        self.assertGreater(promtext.value(after, "sluice_http_received_bytes_total",
                                          listener="fe"), 0)


class HealthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_ping_answers_as_clickhouse(self):
        for port in (self.s.fe, self.s.be):
            r = self.s.request("GET", "/ping", port=port)
            self.assertEqual((r.status, r.text), (200, "Ok.\n"))

    def test_health_in_doris_fe_shape(self):
        r = self.s.request("GET", "/api/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"msg": "success", "code": 0, "data": {
            "online_backend_num": 1, "total_backend_num": 1}, "count": 0})

    @unittest.skipIf(STORE == "postgres", "locks the embedded store's catalog.db")
    def test_not_ready_while_the_store_cannot_take_a_load(self):
        # Another process holds the catalog's write lock (an operator's sqlite3 shell in a
        # transaction, say): no load could begin or commit now, so the node is not ready.
        db = sqlite3.connect(os.path.join(self.s.data_dir, "catalog.db"), timeout=10,
                             isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            # an answer younger than a second may still be served; then the probe runs
            wait_for(lambda: self.s.request("GET", "/api/health").status == 503, timeout=10,
                     what="not ready")
            t0 = time.monotonic()
            r = self.s.request("GET", "/api/health")
            self.assertEqual(r.status, 503, r.text)
            doc = r.json()
            self.assertEqual(doc["code"], 1)
            self.assertIsNone(doc["data"])
            self.assertIn("store unavailable", doc["msg"])
            self.assertLess(time.monotonic() - t0, 9)  # bounded, not the store's 10 s wait
            r = self.s.request("GET", "/ping")  # alive all the same
            self.assertEqual((r.status, r.text), (200, "Ok.\n"))
        finally:
            db.execute("ROLLBACK")
            db.close()
        wait_for(lambda: self.s.request("GET", "/api/health").status == 200, timeout=20,
                 what="ready again")


class AccessLogTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sluice-log-")
        self.log = os.path.join(self.dir, "sluice.log")
        self.s = Server(extra=["--set", "log_file=" + self.log])

    def tearDown(self):
        self.s.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def access_lines(self, path=None):
        with open(path or self.log) as f:
            return [l for l in f.read().splitlines() if " access " in l]

    def test_one_line_per_request_without_secrets(self):
        s = self.s
        secret = "Pw-never-logged-7"
        make_table(s)
        p = subprocess.run([BIN, "user", "add", "loader", "--password", secret, "--data-dir",
                            s.data_dir], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        subprocess.run([BIN, "user", "grant", "loader", "LOAD", "ON", "m", "--data-dir",
                        s.data_dir], check=True, capture_output=True, timeout=60)
        n0 = len(self.access_lines())
        label = new_label()
        doc = s.load("m", "t", b"1,a\n2,b\n", [("column_separator", ",")], user="loader",
                     pw=secret, label=label).json()  # two requests: the 307 and the load
        self.assertEqual(doc["Status"], "Success", doc)
        r = s.request("GET", "/api/health?password=hunter2&x=1&access_token=tok-999",
                      [("Authorization", basic("loader", secret))])
        self.assertEqual(r.status, 200)
        r = s.request("GET", "/api/m/get_load_state?label=" + label,
                      [("Authorization", basic("loader", "wrong-" + secret))])
        lines = wait_for(lambda: (lambda l: l if len(l) == n0 + 4 else None)(
            self.access_lines()), what="four access lines")[n0:]
        text = "\n".join(lines)
        for bad in (secret, "hunter2", "tok-999",
                    base64.b64encode(("loader:" + secret).encode()).decode()):
            self.assertNotIn(bad, text)
        line = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z access client=127\.0\.0\.1 "
                          r"user=(\S+) method=(\w+) path=(\S+|\"[^\"]*\") status=(\d+) "
                          r"bytes_in=(\d+) bytes_out=(\d+) ms=(\d+) label=(\S+)$")
        got = [line.match(l) for l in lines]
        self.assertTrue(all(got), lines)
        redirect, load, health, state = [m.groups() for m in got]
        self.assertEqual(redirect[:4], ("loader", "PUT", "/api/m/t/_stream_load", "307"))
        self.assertEqual(redirect[7], label)
        self.assertEqual(load[:4], ("loader", "PUT", "/api/m/t/_stream_load", "200"))
        self.assertEqual((load[4], load[7]), ("8", label))
        self.assertEqual(health[2], '"/api/health?password=***&x=1&access_token=***"')
        self.assertEqual(health[3], "200")
        self.assertEqual(state[:2], ("loader", "GET"))
        self.assertEqual(state[7], "-")
        # the server log has the load's own line too
        with open(self.log) as f:
            self.assertRegex(f.read(), r" info sluice: load %s into m\.t \(doris\): Success, "
                                       r"2 rows loaded" % label)

    def test_sighup_reopens_the_log_file(self):
        s = self.s
        s.request("GET", "/ping")
        wait_for(lambda: self.access_lines(), what="a first line")
        moved = self.log + ".1"
        os.rename(self.log, moved)  # logrotate
        s.proc.send_signal(signal.SIGHUP)
        s.request("GET", "/ping?after=rotation")
        wait_for(lambda: os.path.exists(self.log) and self.access_lines(), what="a new file")
        self.assertIn("after=rotation", "\n".join(self.access_lines()))
        self.assertNotIn("after=rotation", "\n".join(self.access_lines(moved)))
        self.assertIsNone(s.proc.poll())  # SIGHUP does not stop the server

    def test_log_level_warn_leaves_access_lines_out(self):
        quiet = Server(extra=["--set", "log_file=" + self.log + ".warn", "--set",
                              "log_level=warn"])
        try:
            quiet.request("GET", "/ping")
            quiet.request("GET", "/api/health")
        finally:
            quiet.close()
        self.assertEqual(self.access_lines(self.log + ".warn"), [])

    def test_stderr_by_default_and_a_bad_level_refused(self):
        s = Server()
        try:
            s.request("GET", "/ping")
            wait_for(lambda: " access " in s.stderr_text(), what="an access line on stderr")
        finally:
            s.close()
        p = subprocess.run([BIN, "serve", "--data-dir", self.dir, "--fe-port", "0", "--be-port",
                            "0", "--tsload-port", "-1", "--set", "log_level=loud"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("log_level: not a log level (error, warn, info, debug): loud", p.stderr)


class HttpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sluice-tls-")
        cls.cert = os.path.join(cls.dir, "cert.pem")
        key = os.path.join(cls.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
                        cls.cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        cls.s = Server(extra=["--set", "tls_cert=" + cls.cert, "--set", "tls_key=" + key])
        cls.ctx = ssl.create_default_context(cafile=cls.cert)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def req(self, port, method, path, headers=(), body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=self.ctx, timeout=30)
        try:
            conn.request(method, path, body=body, headers=dict(headers))
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read().decode()
        finally:
            conn.close()

    def test_stream_load_over_https_follows_an_https_redirect(self):
        st, _, body = self.req(self.s.fe, "POST", "/api/query/default_cluster/information_schema",
                               [("Authorization", basic()), ("Content-Type", "application/json")],
                               json.dumps({"stmt": "CREATE DATABASE h"}))
        self.assertEqual(json.loads(body)["code"], 0, body)
        st, _, body = self.req(self.s.fe, "POST", "/api/query/default_cluster/h",
                               [("Authorization", basic()), ("Content-Type", "application/json")],
                               json.dumps({"stmt": "CREATE TABLE t (k INT) DUPLICATE KEY(k) "
                                                   "DISTRIBUTED BY HASH(k) BUCKETS 1"}))
        self.assertEqual(json.loads(body)["code"], 0, body)
        hs = [("Authorization", basic()), ("Expect", "100-continue")]
        st, h, _ = self.req(self.s.fe, "PUT", "/api/h/t/_stream_load", hs, b"")
        self.assertEqual(st, 307)
        loc = urlsplit(h["Location"])
        self.assertEqual((loc.scheme, loc.port), ("https", self.s.be))
        st, _, body = self.req(loc.port, "PUT", loc.path + "?" + loc.query, hs, b"1\n2\nx\n")
        doc = json.loads(body)
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertTrue(doc.get("ErrorURL", "https://").startswith("https://"), doc)

    def test_sluice_load_over_https(self):
        path = os.path.join(self.dir, "rows.csv")
        with open(path, "w") as f:
            f.write("".join("%d\n" % i for i in range(500)))
        st, _, body = self.req(self.s.fe, "POST", "/api/query/default_cluster/information_schema",
                               [("Authorization", basic()), ("Content-Type", "application/json")],
                               json.dumps({"stmt": "CREATE DATABASE IF NOT EXISTS h2"}))
        st, _, body = self.req(self.s.fe, "POST", "/api/query/default_cluster/h2",
                               [("Authorization", basic()), ("Content-Type", "application/json")],
                               json.dumps({"stmt": "CREATE TABLE t (k INT) DUPLICATE KEY(k) "
                                                   "DISTRIBUTED BY HASH(k) BUCKETS 1"}))
        self.assertEqual(json.loads(body)["code"], 0, body)
        args = [BIN, "load", path, "--db", "h2", "--table", "t", "--port", str(self.s.fe),
                "--https"]
        p = subprocess.run(args + ["--cacert", self.cert], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("loaded 500 rows", p.stdout)
        # without the certificate's issuer the server is not trusted; -k skips the check
        p = subprocess.run(args + ["--retries", "0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 3, p.stdout)
        self.assertIn("TLS with 127.0.0.1:%d failed" % self.s.fe, p.stdout)
        p = subprocess.run(args + ["-k"], capture_output=True, text=True, timeout=60)
        self.assertIn("already loaded", p.stdout)

    def test_plain_http_is_not_served(self):
        try:
            r = self.s.request("GET", "/api/health", timeout=5)
        except (ConnectionError, http.client.HTTPException, OSError):
            return  # the TLS handshake fails; nothing is served in the clear
        self.fail("plain HTTP answered %d" % r.status)

    def test_only_one_of_cert_and_key_is_refused(self):
        p = subprocess.run([BIN, "serve", "--data-dir", self.dir + "/d", "--fe-port", "0",
                            "--be-port", "0", "--tsload-port", "-1", "--set",
                            "tls_cert=" + self.cert], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("tls_cert and tls_key go together: tls_key is not set", p.stderr)


if __name__ == "__main__":
    unittest.main()
