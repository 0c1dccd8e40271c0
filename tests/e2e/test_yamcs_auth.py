"""Yamcs authentication as yamcs-cli and python-yamcs-client speak it, replayed byte for byte
over real HTTP: `yamcs login` (GET /auth as protobuf, POST /auth/token with the password grant as
a form, GET /api for the server info), then `yamcs tables list / describe / dump / load` and
dbshell's executeStreamingSql with the bearer token; the refresh grant, tokens across a restart,
revocation by a password change, tampered and foreign tokens, `yamcs_anonymous = read`, and no
token in the server's output. Spec: issue 24; docs/yamcs.md "Logging in"."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import importlib
import unittest
import urllib.parse
import uuid

from harness import BIN, Server, basic
from test_yamcs import PROTOS, delimited, int_row, split_delimited

AUTH_PROTO = """
syntax = "proto2";
package yamcs.protobuf.authtest;
message AuthInfo { optional bool requireAuthentication = 1; optional bool spnego = 2; }
message UserInfo { optional string name = 1; optional bool superuser = 8; }
message GetServerInfoResponse { optional string yamcsVersion = 1; optional string serverId = 3;
                                optional string defaultYamcsInstance = 4; }
message ColumnInfo { optional string name = 1; optional string type = 2; }
message TableInfo { optional string name = 1; repeated ColumnInfo keyColumn = 2;
                    repeated ColumnInfo valueColumn = 3; optional string script = 4; }
message ListTablesResponse { repeated TableInfo tables = 1; }
message ExecuteSqlRequest { optional string instance = 1; optional string statement = 2; }
"""

PB = "application/protobuf"
UA = [("User-Agent", "python-yamcs-client v1.13.0"), ("Accept-Encoding", "gzip, deflate"),
      ("Connection", "keep-alive")]


def load_auth_proto():
    if PROTOS is None:
        return None
    d = tempfile.mkdtemp(prefix="sluice-yamcs-auth-")
    try:
        with open(os.path.join(d, "yauth.proto"), "w") as f:
            f.write(AUTH_PROTO)
        subprocess.run(["protoc", "-I", d, "--python_out", d, "yauth.proto"], check=True,
                       timeout=60)
        sys.path.insert(0, d)
        try:
            return importlib.import_module("yauth_pb2")
        finally:
            sys.path.remove(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


AP = load_auth_proto()


def call(port, method, path, headers=(), body=None):
    """One request as python-requests sends it; returns (status, headers dict, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        hs = dict(UA)
        hs.update(dict(headers))
        if body is not None:
            hs["Content-Length"] = str(len(body))
        conn.request(method, path, body=body, headers=hs)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def token_request(port, fields):
    body = urllib.parse.urlencode(fields).encode()
    return call(port, "POST", "/auth/token",
                [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "*/*")], body)


def bearer(tok):
    return ("Authorization", "Bearer " + tok)


@unittest.skipIf(AP is None, "protoc / python3-protobuf not installed (scripts/deps.sh)")
class YamcsAuthTest(unittest.TestCase):
    def setUp(self):
        self.s = Server()
        self.s.sql("CREATE DATABASE inst")
        self.user("ops", "s3cret pw", admin=True)

    def tearDown(self):
        self.s.close()

    def user(self, name, pw, admin=False):
        subprocess.run([BIN, "user", "add", name, "--password", pw] +
                       (["--admin"] if admin else []) + ["--data-dir", self.s.data_dir],
                       check=True, capture_output=True, timeout=30)

    def login(self, user="ops", pw="s3cret pw"):
        """yamcs login: GET /auth, then the password grant, then GET /api (server info)."""
        st, hs, body = call(self.s.be, "GET", "/auth", [("Accept", PB)])
        self.assertEqual((st, hs["content-type"]), (200, PB))
        info = AP.AuthInfo()
        info.ParseFromString(body)
        self.assertTrue(info.requireAuthentication)
        st, hs, body = token_request(self.s.be, {"grant_type": "password", "username": user,
                                                 "password": pw})
        self.assertEqual(st, 200, body)
        tok = json.loads(body)
        self.assertEqual((tok["token_type"], tok["expires_in"], tok["user"]["name"]),
                         ("bearer", 3600, user))
        st, _, body = call(self.s.be, "GET", "/api", [("Accept", PB),
                                                      bearer(tok["access_token"])])
        self.assertEqual(st, 200)
        srv = AP.GetServerInfoResponse()
        srv.ParseFromString(body)
        self.assertTrue(srv.yamcsVersion.startswith("sluice "))
        self.assertEqual(srv.defaultYamcsInstance, "")
        return tok

    def test_cli_login_then_tables(self):
        tok = self.login()
        a = bearer(tok["access_token"])
        # dbshell / execute_sql: create the table
        req = AP.ExecuteSqlRequest(statement="create table t1 (a1 INT, a2 STRING, "
                                             "primary key(a1))")
        st, _, _ = call(self.s.be, "POST", "/api/archive/inst:executeStreamingSql",
                        [a, ("Content-Type", PB), ("Accept", PB)], req.SerializeToString())
        self.assertEqual(st, 200)
        # yamcs tables load t1: a chunked POST of the dump file
        rows = delimited([int_row(PROTOS[0].Row, i) for i in range(10)])
        conn = http.client.HTTPConnection("127.0.0.1", self.s.be, timeout=30)
        conn.putrequest("POST", "/api/archive/inst/tables/t1:writeRows",
                        skip_accept_encoding=True)
        for k, v in UA + [a, ("Content-Type", PB), ("Accept", PB),
                          ("Transfer-Encoding", "chunked")]:
            conn.putheader(k, v)
        conn.endheaders()
        for i in range(0, len(rows), 100):
            piece = rows[i:i + 100]
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
        r = conn.getresponse()
        resp = PROTOS[0].WriteRowsResponse()
        resp.ParseFromString(r.read())
        conn.close()
        self.assertEqual((r.status, resp.count), (200, 10))
        # yamcs tables list / describe
        st, _, body = call(self.s.be, "GET", "/api/archive/inst/tables", [a, ("Accept", PB)])
        lst = AP.ListTablesResponse()
        lst.ParseFromString(body)
        self.assertEqual([t.name for t in lst.tables], ["t1"])
        st, _, body = call(self.s.be, "GET", "/api/archive/inst/tables/t1", [a, ("Accept", PB)])
        info = AP.TableInfo()
        info.ParseFromString(body)
        self.assertEqual([c.name for c in info.keyColumn], ["a1"])
        # yamcs tables dump t1
        st, _, body = call(self.s.be, "POST", "/api/archive/inst/tables/t1:readRows",
                           [a, ("Content-Type", PB), ("Accept", PB)], b"")
        self.assertEqual(st, 200)
        self.assertEqual(len(split_delimited(body, PROTOS[0].Row)), 10)
        # GET /api/user with the token
        st, _, body = call(self.s.be, "GET", "/api/user", [a, ("Accept", PB)])
        u = AP.UserInfo()
        u.ParseFromString(body)
        self.assertEqual((st, u.name, u.superuser), (200, "ops", True))
        # Basic auth still works beside tokens
        st, _, _ = call(self.s.be, "GET", "/api/archive/inst/tables",
                        [("Authorization", basic("ops", "s3cret pw")), ("Accept", PB)])
        self.assertEqual(st, 200)

    def test_refresh_restart_revoke(self):
        tok = self.login()
        st, _, body = token_request(self.s.be, {"grant_type": "refresh_token",
                                                "refresh_token": tok["refresh_token"]})
        self.assertEqual(st, 200, body)
        tok2 = json.loads(body)
        self.assertNotEqual(tok2["access_token"], "")
        # an access token is no refresh token, and the other way round
        st, _, _ = token_request(self.s.be, {"grant_type": "refresh_token",
                                             "refresh_token": tok["access_token"]})
        self.assertEqual(st, 401)
        st, _, _ = call(self.s.be, "GET", "/api/archive/inst/tables",
                        [bearer(tok["refresh_token"]), ("Accept", PB)])
        self.assertEqual(st, 401)
        # tokens survive a restart (the key is in the data directory)
        self.s.restart()
        st, _, _ = call(self.s.be, "GET", "/api/archive/inst/tables",
                        [bearer(tok2["access_token"]), ("Accept", PB)])
        self.assertEqual(st, 200)
        # a tampered token, a token of another server and a wrong password: 401
        bad = tok2["access_token"][:-2] + ("AA" if tok2["access_token"][-2:] != "AA" else "BB")
        other = Server()
        try:
            other.sql("CREATE DATABASE inst")
            for port, t in ((self.s.be, bad), (other.be, tok2["access_token"])):
                st, _, body = call(port, "GET", "/api/archive/inst/tables",
                                   [bearer(t), ("Accept", "application/json")])
                self.assertEqual(st, 401, body)
                self.assertEqual(json.loads(body)["type"], "UnauthorizedException")
        finally:
            other.close()
        st, _, _ = token_request(self.s.be, {"grant_type": "password", "username": "ops",
                                             "password": "wrong"})
        self.assertEqual(st, 401)
        # a password change revokes every token of the user
        subprocess.run([BIN, "user", "passwd", "ops", "new pw", "--data-dir", self.s.data_dir],
                       check=True, capture_output=True, timeout=30)
        st, _, _ = call(self.s.be, "GET", "/api/archive/inst/tables",
                        [bearer(tok2["access_token"]), ("Accept", PB)])
        self.assertEqual(st, 401)
        st, _, _ = token_request(self.s.be, {"grant_type": "refresh_token",
                                             "refresh_token": tok2["refresh_token"]})
        self.assertEqual(st, 401)
        self.login(pw="new pw")

    def test_privileges_follow_the_token(self):
        self.user("reader", "pw")
        subprocess.run([BIN, "user", "grant", "reader", "SELECT", "ON", "inst", "--data-dir",
                        self.s.data_dir], check=True, capture_output=True, timeout=30)
        tok = self.login("reader", "pw")
        a = bearer(tok["access_token"])
        st, _, _ = call(self.s.be, "GET", "/api/archive/inst/tables", [a, ("Accept", PB)])
        self.assertEqual(st, 200)
        req = AP.ExecuteSqlRequest(statement="create table t2 (a INT, primary key(a))")
        st, _, _ = call(self.s.be, "POST", "/api/archive/inst:executeStreamingSql",
                        [a, ("Accept", PB)], req.SerializeToString())
        self.assertEqual(st, 403)

    def test_no_credentials_and_no_token_in_output(self):
        st, _, body = call(self.s.be, "GET", "/api/archive/inst/tables", [("Accept", PB)])
        self.assertEqual(st, 401)
        tok = self.login()
        self.s.proc.terminate()
        self.s.proc.wait(timeout=10)
        out = self.s.proc.stdout.read() + self.s.stderr_text()  # stderr: the log, access lines
        self.assertIn("/auth/token", out)  # the login was logged, without its secrets
        # the access lines name the user of the password grant and of the bearer token
        self.assertIn("user=ops method=POST path=/auth/token status=200", out)
        self.assertIn("user=ops method=GET path=/api status=200", out)
        for t in (tok["access_token"], tok["refresh_token"], "s3cret"):
            self.assertNotIn(t, out)

    def test_anonymous_read(self):
        anon = Server(extra=["--set", "yamcs_anonymous=read"])
        try:
            anon.sql("CREATE DATABASE inst")
            anon.request("POST", "/api/archive/inst:executeSql",
                         [("Authorization", basic())],
                         json.dumps({"statement": "create table t (a1 INT, a2 STRING, "
                                                  "primary key(a1))"}).encode(), port=anon.be)
            st, _, body = call(anon.be, "GET", "/auth", [("Accept", PB)])
            info = AP.AuthInfo()
            info.ParseFromString(body)
            self.assertFalse(info.requireAuthentication)
            st, _, body = call(anon.be, "GET", "/api/user", [("Accept", PB)])
            u = AP.UserInfo()
            u.ParseFromString(body)
            self.assertEqual((st, u.name), (200, "guest"))
            st, _, _ = call(anon.be, "GET", "/api/archive/inst/tables", [("Accept", PB)])
            self.assertEqual(st, 200)
            req = AP.ExecuteSqlRequest(statement="select * from t")
            st, _, _ = call(anon.be, "POST", "/api/archive/inst:executeStreamingSql",
                            [("Accept", PB)], req.SerializeToString())
            self.assertEqual(st, 200)
            for stmt in ("drop table t", "delete from t"):
                req = AP.ExecuteSqlRequest(statement=stmt)
                st, _, _ = call(anon.be, "POST", "/api/archive/inst:executeStreamingSql",
                                [("Accept", PB)], req.SerializeToString())
                self.assertEqual(st, 403, stmt)
            st, _, body = call(anon.be, "POST", "/api/archive/inst/tables/t:writeRows",
                               [("Content-Type", PB)], b"")
            self.assertEqual((st, body), (403, b"Insufficient privileges\r\n"))
            # a wrong password is still refused, not downgraded to the guest
            st, _, _ = call(anon.be, "GET", "/api/archive/inst/tables",
                            [("Authorization", basic("root", "wrong")), ("Accept", PB)])
            self.assertEqual(st, 401)
        finally:
            anon.close()
        d = tempfile.mkdtemp(prefix="sluice-e2e-")
        try:
            bad = subprocess.run([BIN, "serve", "--set", "yamcs_anonymous=write", "--data-dir",
                                  d], capture_output=True, text=True, timeout=30)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("yamcs_anonymous: not off or read: write", bad.stderr)


if __name__ == "__main__":
    unittest.main()
