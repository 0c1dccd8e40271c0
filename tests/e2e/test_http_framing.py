"""HTTP framing: one strict parser on every port and endpoint (issue 26, request smuggling shapes).

Each shape below is sent as raw bytes to every listener role: the FE port (Stream Load 307),
the load port (Stream Load itself), the SQL API, a Yamcs path, get_load_state, and tsload over
TLS and over plain HTTP. Every one must be answered by the HTTP layer (400, or 501 for an
unknown transfer coding) with the connection closed, so a request pipelined behind it is never
read. The bodies would load a row or create a database or table; afterwards none exists and the
servers still answer."""
import json
import re
import socket
import ssl
import time
import unittest

from harness import Server, basic

PIPELINED = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"


def chunked(body):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


# name -> (version, header lines, body transform, expected status, body-level)
# body-level shapes have a well-framed head: the handler's begin() runs, so an endpoint that
# answers before reading any body (the FE redirect, get_load_state) answers that way and closes
# without reading the body, which is then never interpreted.
SHAPES = {
    "cl_and_te": ("HTTP/1.1", lambda b: ["Content-Length: %d" % len(chunked(b)),
                                         "Transfer-Encoding: chunked"], chunked, 400, False),
    "te_and_cl": ("HTTP/1.1", lambda b: ["Transfer-Encoding: chunked",
                                         "Content-Length: %d" % len(chunked(b))], chunked, 400,
                  False),
    "gzip_chunked": ("HTTP/1.1", lambda b: ["Transfer-Encoding: gzip, chunked"], chunked, 501,
                     False),
    "two_te_headers": ("HTTP/1.1", lambda b: ["Transfer-Encoding: chunked",
                                              "Transfer-Encoding: chunked"], chunked, 400, False),
    "chunked_twice": ("HTTP/1.1", lambda b: ["Transfer-Encoding: chunked, chunked"], chunked,
                      400, False),
    "xchunked": ("HTTP/1.1", lambda b: ["Transfer-Encoding: xchunked"], chunked, 501, False),
    "chunked_then_identity": ("HTTP/1.1", lambda b: ["Transfer-Encoding: chunked",
                                                     "Transfer-Encoding: identity"], chunked,
                              400, False),
    "space_before_colon": ("HTTP/1.1", lambda b: ["Content-Length : %d" % len(b)],
                           lambda b: b, 400, False),
    "obs_fold": ("HTTP/1.1", lambda b: ["X-Note: a", " folded", "Content-Length: %d" % len(b)],
                 lambda b: b, 400, False),
    "http_2_0": ("HTTP/2.0", lambda b: ["Content-Length: %d" % len(b)], lambda b: b, 400, False),
    "http_1_2": ("HTTP/1.2", lambda b: ["Content-Length: %d" % len(b)], lambda b: b, 400, False),
    "chunked_on_http_1_0": ("HTTP/1.0", lambda b: ["Transfer-Encoding: chunked"], chunked, 400,
                            False),
    "chunk_not_followed_by_crlf": ("HTTP/1.1", lambda b: ["Transfer-Encoding: chunked"],
                                   lambda b: b"%x\r\n%sXY0\r\n\r\n" % (len(b), b), 400, True),
    "nul_in_chunk_extension": ("HTTP/1.1", lambda b: ["Transfer-Encoding: chunked"],
                               lambda b: b"%x;a\x00b\r\n%s\r\n0\r\n\r\n" % (len(b), b), 400,
                               True),
}


def build(method, path, headers, body, shape):
    version, framing, transform, _, _ = SHAPES[shape]
    lines = ["%s %s %s" % (method, path, version), "Host: x"] + list(headers) + framing(body)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + transform(body)


def exchange(port, data, tls=False, timeout=10):
    """Send data, read until the server closes; return (bytes, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    out, closed = b"", False
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close before the pipelined request is written
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except (OSError, ssl.SSLError):
                closed = True
                break
            if not b:
                closed = True
                break
            out += b
        return out, closed
    finally:
        s.close()


class FramingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()                                            # tsload over TLS
        cls.p = Server(extra=["--set", "tsload_plain_http=true"])  # tsload over plain HTTP
        cls.s.sql("CREATE DATABASE fr")
        cls.s.sql("CREATE TABLE t (a INT, b VARCHAR(8)) DUPLICATE KEY(a) "
                  "DISTRIBUTED BY HASH(a) BUCKETS 1", "fr")
        auth = "Authorization: " + basic()
        form = b"username=root&password="
        ts = "/ts_dataservice/v1/public/session"
        # (name, server, port, tls, method, path, headers, body, early reply to body-level shapes)
        cls.endpoints = [
            ("fe_stream_load", cls.s, cls.s.fe, False, "PUT", "/api/fr/t/_stream_load",
             [auth, "Expect: 100-continue", "column_separator: ,"], b"1,a\n", 307),
            ("be_stream_load", cls.s, cls.s.be, False, "PUT", "/api/fr/t/_stream_load",
             [auth, "column_separator: ,"], b"1,a\n", None),
            ("sql_api", cls.s, cls.s.fe, False, "POST", "/api/query/default_cluster/fr",
             [auth, "Content-Type: application/json"],
             json.dumps({"stmt": "CREATE DATABASE smuggled"}).encode(), None),
            ("yamcs", cls.s, cls.s.be, False, "POST", "/api/archive/fr:executeSql",
             [auth, "Content-Type: application/json"],
             json.dumps({"statement": "create table smuggled(a1 INT, primary key(a1))"}).encode(),
             None),
            ("get_load_state", cls.s, cls.s.fe, False, "GET", "/api/fr/get_load_state?label=x",
             [auth], b"x", 200),
            ("tsload_tls", cls.s, cls.s.ts, True, "POST", ts,
             ["Content-Type: application/x-www-form-urlencoded"], form, None),
            ("tsload_plain", cls.p, cls.p.ts, False, "POST", ts,
             ["Content-Type: application/x-www-form-urlencoded"], form, None),
        ]

    @classmethod
    def tearDownClass(cls):
        cls.s.close()
        cls.p.close()

    def test_every_shape_on_every_listener(self):
        for name, _srv, port, tls, method, path, headers, body, early in self.endpoints:
            for shape, (_, _, _, status, body_level) in SHAPES.items():
                with self.subTest(endpoint=name, shape=shape):
                    data = build(method, path, headers, body, shape) + PIPELINED
                    out, closed = exchange(port, data, tls)
                    codes = re.findall(rb"^HTTP/1\.1 (\d{3}) ", out, re.M)
                    want = early if body_level and early else status
                    self.assertEqual([int(c) for c in codes], [want], out[:300])
                    self.assertTrue(closed, "the connection must be closed")
                    self.assertIn(b"Connection: close\r\n", out)
                    if want == 400:
                        self.assertIn(b"\r\n\r\nbad request: ", out)
                    elif want == 501:
                        self.assertIn(b"\r\n\r\nnot implemented: unsupported transfer coding", out)

        self.nothing_loaded_and_servers_up()

    def nothing_loaded_and_servers_up(self):
        self.assertEqual(self.s.rows("SELECT count(*) FROM t", "fr"), [[0]])
        dbs = [r[0] for r in self.s.rows("SHOW DATABASES", "information_schema")]
        self.assertNotIn("smuggled", dbs)
        tables = [r[0] for r in self.s.rows("SHOW TABLES", "fr")]
        self.assertEqual(tables, ["t"])
        for srv in (self.s, self.p):
            self.assertEqual(srv.request("GET", "/api/health").status, 200)
            self.assertIsNone(srv.proc.poll())
        # and a well-framed chunked load on the same port still works
        r = self.s.load("fr", "t", chunked(b"1,a\n"), [("column_separator", ","),
                                                       ("Transfer-Encoding", "chunked")],
                        via_fe=False)
        self.assertEqual(r.json()["Status"], "Success", r.text)


if __name__ == "__main__":
    unittest.main()
