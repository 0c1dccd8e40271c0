"""Privileges over real HTTP against the real binary (issue 26).

RegressionTest: one test per hole the outside campaign found (each failed on the code before the
fix). ThrottleTest: the slow hash, its upgrade, the login throttle and FAILED_LOGIN_ATTEMPTS.
RouteTableTest: every route of src/proto/routes.c and every SQL statement kind of src/sql/sql.h
against every kind of identity -> allowed or denied; it fails when either file gains an entry
the table does not list (docs/SECURITY.md has the same table in words)."""
import hashlib
import http.client
import json
import os
import re
import sqlite3
import ssl
import subprocess
import unittest
import urllib.parse
import uuid
from urllib.parse import urlsplit, parse_qs

from harness import catalog_sql, BIN, ROOT, Server, basic, new_label

PW = "Pw-1234"
PB = "application/protobuf"


def cli(s, *args):
    p = subprocess.run([BIN, "user"] + list(args) + ["--data-dir", s.data_dir],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stderr)


def hdr(cred):
    """Authorization header for (user, pw), none for None."""
    return [] if cred is None else [("Authorization", basic(*cred))]


def sql(s, stmt, db, cred, port=None):
    r = s.request("POST", "/api/query/default_cluster/%s" % db,
                  hdr(cred) + [("Content-Type", "application/json")],
                  json.dumps({"stmt": stmt}).encode(), port=port)
    return r.json()


def precommit(s, db, table, label):
    doc = s.load(db, table, b"1\n2\n", [("two_phase_commit", "true")], label=label).json()
    assert doc["Status"] == "Success", doc
    return doc["TxnId"]


def state(s, db, label):
    return s.request("GET", "/api/%s/get_load_state?label=%s" % (db, label),
                     hdr(("root", ""))).json()["data"]


def count(s, db, table):
    return s.rows("select count(*) from %s" % table, db)[0][0]


def denied_text(text):
    return "Access denied" in text or "NOT_AUTHORIZED" in text


# ---- tsload over HTTPS ----------------------------------------------------------------------

TS = "/ts_dataservice/v1/public"


def ts_call(s, method, path, body=None, cookie=None, headers=()):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", s.ts, context=ctx, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in list(headers) + ([("Cookie", cookie)] if cookie else []):
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        r = conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        sc = r.getheader("Set-Cookie")
        return r.status, data, sc.split(";")[0] if sc else None
    finally:
        conn.close()


def ts_login(s, cred):
    user, pw = cred if cred else ("", "")
    body = urllib.parse.urlencode({"username": user, "password": pw}).encode() if cred else b""
    st, _, cookie = ts_call(s, "POST", TS + "/session", body, None,
                            [("Content-Type", "application/x-www-form-urlencoded")])
    return st, cookie


def ts_start(s, cookie):
    body = json.dumps({"target": {"database": "pv", "table": "t"}}).encode()
    return ts_call(s, "POST", TS + "/loads", body, cookie)


def multipart(data):
    b = "b0undary"
    return (("--%s\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"f\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n" % b).encode() + data +
            ("\r\n--%s--\r\n" % b).encode()), "multipart/form-data; boundary=" + b


# ---- regression tests -------------------------------------------------------------------------


class RegressionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        s = cls.s
        for db in ("a", "b", "s1", "s2", "inst"):
            s.sql("CREATE DATABASE %s" % db)
            for t in ("t", "t2"):
                s.sql("CREATE TABLE %s (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1"
                      % t, db)
        for u, target in (("u2", "a.t2"), ("ut", "a.t"), ("other", "b"), ("ua", "a"),
                          ("us2", "s2"), ("y", "inst")):
            cli(s, "add", u, "--password", PW)
            cli(s, "grant", u, "LOAD", "ON", target)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def twopc(self, cred, path, headers, port=None):
        return self.s.request("PUT", path, hdr(cred) + headers, b"", port=port).json()

    def test_2pc_checks_the_transactions_own_table(self):
        s = self.s
        label = new_label()
        txn = precommit(s, "a", "t", label)
        u2 = ("u2", PW)
        for port in (s.fe, s.be):
            for h in ([("label", label)], [("txn_id", str(txn))]):
                for op in ("commit", "abort"):
                    doc = self.twopc(u2, "/api/a/t2/_stream_load_2pc",
                                     h + [("txn_operation", op)], port)
                    self.assertEqual(doc["status"], "FAILED", doc)
                    self.assertIn("Access denied; you need (at least one of) the (LOAD) "
                                  "privilege(s)", doc["msg"])
        self.assertEqual(count(s, "a", "t"), 0)
        self.assertEqual(state(s, "a", label), "PRECOMMITTED")
        # LOAD on a.t may, even through the database-only path (Doris checks the txn's tables)
        doc = self.twopc(("ut", PW), "/api/a/_stream_load_2pc",
                         [("label", label), ("txn_operation", "commit")])
        self.assertEqual(doc["status"], "Success", doc)
        self.assertEqual(count(s, "a", "t"), 2)

    def test_2pc_transaction_of_another_database_is_unknown(self):
        s = self.s
        label = new_label()
        txn = precommit(s, "b", "t", label)
        root = ("root", "")
        doc = self.twopc(root, "/api/a/_stream_load_2pc",
                         [("txn_id", str(txn)), ("txn_operation", "commit")])
        self.assertEqual(doc["status"], "ANALYSIS_ERROR", doc)
        self.assertIn("transaction [%d] not found" % txn, doc["msg"])
        doc = self.twopc(root, "/api/a/t/_stream_load_2pc",
                         [("label", label), ("txn_operation", "abort")])
        self.assertIn("transaction not found, label=%s" % label, doc["msg"])
        self.assertEqual(state(s, "b", label), "PRECOMMITTED")
        doc = self.twopc(root, "/api/b/_stream_load_2pc",
                         [("txn_id", str(txn)), ("txn_operation", "abort")])
        self.assertEqual(doc["status"], "Success", doc)

    def test_get_load_state_needs_load_on_the_database(self):
        s = self.s
        label = new_label()
        self.assertEqual(s.load("a", "t", b"5\n", label=label).json()["Status"], "Success")
        path = "/api/a/get_load_state?label=" + label
        for cred in (("other", PW), ("ut", PW)):  # LOAD elsewhere; LOAD on one table only
            for port in (s.fe, s.be):
                doc = s.request("GET", path, hdr(cred), port=port).json()
                self.assertEqual(doc["code"], 401, doc)
                self.assertIn("Access denied; you need (at least one of) the (LOAD)", doc["data"])
        doc = s.request("GET", path, hdr(("ua", PW))).json()
        self.assertEqual((doc["code"], doc["data"]), (0, "VISIBLE"), doc)

    def test_show_history_names_one_database(self):
        s = self.s
        secret = "secret_" + new_label()
        self.assertEqual(s.load("s1", "t", b"1\n", label=secret).json()["Status"], "Success")
        mine = "mine_" + new_label()
        self.assertEqual(s.load("s2", "t", b"1\n", label=mine).json()["Status"], "Success")
        u = ("us2", PW)
        for stmt in ("SHOW STREAM LOAD FROM s2 FROM s1", "SHOW STREAM LOAD LIMIT 5 FROM s1",
                     "SHOW TRANSACTION WHERE label = '%s' FROM s1" % secret,
                     "SHOW STREAM LOAD WHERE label = '%s' FROM s1" % secret,
                     "SHOW TRANSACTION FROM s2 FROM s1 WHERE label = '%s'" % secret):
            doc = sql(s, stmt, "s2", u)
            self.assertEqual(doc["code"], 1, (stmt, doc))
            self.assertIn("syntax error", doc["data"], stmt)
            self.assertNotIn(secret, json.dumps(doc["data"]).replace(stmt, ""), stmt)
        for stmt in ("SHOW STREAM LOAD FROM s1", "SHOW TRANSACTION FROM s1 WHERE label = '%s'"
                     % secret):
            doc = sql(s, stmt, "s2", u)
            self.assertEqual(doc["code"], 1, (stmt, doc))
            self.assertIn("Access denied", doc["data"])
        rows = sql(s, "SHOW STREAM LOAD", "s2", u)["data"]["data"]
        self.assertEqual([r[0] for r in rows], [mine])
        rows = sql(s, "SHOW TRANSACTION WHERE label = '%s'" % mine, "s2", u)["data"]["data"]
        self.assertEqual(len(rows), 1)

    def test_show_databases_lists_only_those_with_a_privilege(self):
        rows = sql(self.s, "SHOW DATABASES", "information_schema", ("us2", PW))["data"]["data"]
        self.assertEqual(rows, [["information_schema"], ["s2"]])
        rows = sql(self.s, "SHOW DATABASES", "information_schema", ("ut", PW))["data"]["data"]
        self.assertEqual(rows, [["information_schema"], ["a"]])

    def yexec(self, cred, stmt):
        return self.s.request("POST", "/api/archive/inst:executeSql",
                              hdr(cred) + [("Content-Type", "application/json")],
                              json.dumps({"statement": stmt}).encode(), port=self.s.be)

    def test_yamcs_ddl_needs_the_ddl_privileges(self):
        s, y = self.s, ("y", PW)
        tables = lambda: [r[0] for r in s.rows("SHOW TABLES", "inst")]
        r = self.yexec(y, "create table yt1 (a INT, primary key(a))")
        self.assertEqual(r.status, 403, r.text)
        self.assertNotIn("yt1", tables())
        r = self.yexec(y, "drop table t2")
        self.assertEqual(r.status, 403, r.text)
        self.assertIn("t2", tables())
        # the SQL API refuses the same user the same DDL, by the same rule
        for stmt in ("CREATE TABLE yt1 (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1", "DROP TABLE t2"):
            doc = sql(s, stmt, "inst", y)
            self.assertEqual(doc["code"], 1)
            self.assertIn("Access denied", doc["data"])
        cli(s, "grant", "y", "CREATE", "ON", "inst")
        self.assertEqual(self.yexec(y, "create table yt1 (a INT, primary key(a))").status, 200)
        self.assertIn("yt1", tables())
        self.assertEqual(self.yexec(y, "drop table yt1").status, 403)
        cli(s, "grant", "y", "DROP", "ON", "inst.yt1")
        self.assertEqual(self.yexec(y, "drop table yt1").status, 200)
        self.assertNotIn("yt1", tables())

    def test_error_log_name_carries_128_random_bits(self):
        s = self.s
        doc = s.load("a", "t", b"1\nx\n",
                     [("strict_mode", "true"), ("max_filter_ratio", "1")]).json()
        self.assertEqual(doc["Status"], "Success", doc)
        url = urlsplit(doc["ErrorURL"])
        name = parse_qs(url.query)["file"][0]
        rnd = name.rsplit("_", 1)[1]
        self.assertRegex(rnd, r"^[0-9a-f]{32}$", name)
        # still a capability URL: no credentials needed
        r = s.request("GET", url.path + "?" + url.query, [], port=url.port)
        self.assertEqual(r.status, 200)
        self.assertIn("Reason:", r.text)


# ---- passwords ----------------------------------------------------------------------------------


class ThrottleTest(unittest.TestCase):
    """Each test gets its own server: the throttle counts failures per client address."""

    def setUp(self):
        self.s = Server()

    def tearDown(self):
        self.s.close()

    def login(self, user, pw):
        return sql(self.s, "SELECT 1", "information_schema", (user, pw))

    def stored(self, user):
        """The stored hash (the users table of the store's catalog)."""
        return catalog_sql(self.s.data_dir, "SELECT hash FROM users WHERE name = ?", user)

    def test_slow_hash_and_upgrade_of_old_hashes(self):
        cli(self.s, "add", "p", "--password", PW)
        h = self.stored("p")
        self.assertRegex(h, r"^\$pbkdf2-sha256\$i=600000\$[0-9a-f]{32}\$[0-9a-f]{64}$")
        self.assertEqual(self.login("p", PW)["code"], 0)
        # a hash as sluice wrote it before (1000 rounds, the hex salt text as salt), in the form
        # the embedded store keeps what it imports from an old users.db
        salt = "0123456789abcdef0123456789abcdef"
        old = hashlib.pbkdf2_hmac("sha256", b"legacy-pw", salt.encode(), 1000).hex()
        legacy = "$pbkdf2-sha256-hexsalt$i=1000$%s$%s" % (salt, old)
        catalog_sql(self.s.data_dir, "INSERT INTO users(name, hash, admin) VALUES('old', ?, 0)",
                    legacy)
        self.assertEqual(self.login("old", "nope")["code"], 401)
        self.assertEqual(self.stored("old"), legacy)
        self.assertEqual(self.login("old", "legacy-pw")["code"], 0)
        h2 = self.stored("old")
        self.assertRegex(h2, r"^\$pbkdf2-sha256\$i=600000\$")
        self.s.restart()  # no cache: the rewritten hash verifies by itself
        self.assertEqual(self.login("old", "legacy-pw")["code"], 0)
        self.assertEqual(self.login("old", "nope")["code"], 401)

    def test_wrong_passwords_are_throttled_per_user(self):
        cli(self.s, "add", "th", "--password", PW)
        cli(self.s, "add", "bystander", "--password", PW)
        self.assertEqual(self.login("bystander", PW)["code"], 0)
        for _ in range(8):
            doc = self.login("th", "guess")
            self.assertEqual(doc["code"], 401)
        # refused at once, the right password included: it is not even checked
        doc = self.login("th", PW)
        self.assertEqual(doc["code"], 401)
        self.assertRegex(doc["data"], r"^Access denied for user 'th'@'127\.0\.0\.1'\. Account is "
                                      r"blocked for \d+ second\(s\)")
        # the same refusal on every protocol's door
        r = self.s.load("information_schema", "x", b"", user="th", pw=PW, via_fe=False).json()
        self.assertIn("Account is blocked", r["Message"])
        st, _ = ts_login(self.s, ("th", PW))
        self.assertEqual(st, 401)
        # other users are not affected
        self.assertEqual(self.login("bystander", PW)["code"], 0)

    def test_wrong_passwords_are_throttled_per_address(self):
        cli(self.s, "add", "cached", "--password", PW)
        cli(self.s, "add", "fresh", "--password", PW)
        self.assertEqual(self.login("cached", PW)["code"], 0)
        # 21 failures from this address (the unit tests spread them over many user names;
        # here they go to root, whose empty password costs no hashing under the sanitizers)
        for _ in range(21):
            self.assertEqual(self.login("root", "x")["code"], 401)
        doc = self.login("fresh", PW)
        self.assertEqual(doc["code"], 401)
        self.assertIn("Too many failed logins from this address", doc["data"])
        # credentials verified before still pass: a flood does not lock out running clients
        self.assertEqual(self.login("cached", PW)["code"], 0)

    def test_failed_login_attempts_and_password_lock_time(self):
        s = self.s
        cli(s, "add", "locky", "--password", PW, "--failed-login-attempts", "2",
            "--password-lock-time", "1h")
        self.assertEqual(self.login("locky", PW)["code"], 0)
        for _ in range(2):
            self.assertEqual(self.login("locky", "bad")["code"], 401)
        doc = self.login("locky", PW)
        self.assertEqual(doc["code"], 401)
        # the remaining time is whole seconds left of the hour: no timing assumption beyond it
        m = re.fullmatch(r"Access denied for user 'locky'@'127\.0\.0\.1'\. Account is blocked "
                         r"for 3600 second\(s\) \((\d+) second\(s\) remaining\) due to 2 "
                         r"consecutive failed logins\.", doc["data"])
        self.assertIsNotNone(m, doc["data"])
        self.assertTrue(3000 < int(m.group(1)) <= 3600, doc["data"])
        cli(s, "unlock", "locky")
        self.assertEqual(self.login("locky", PW)["code"], 0)
        cli(s, "alter", "locky", "--failed-login-attempts", "1", "--password-lock-time",
            "UNBOUNDED")
        self.assertEqual(self.login("locky", "bad")["code"], 401)
        doc = self.login("locky", PW)
        self.assertEqual(doc["data"], "Access denied for user 'locky'@'127.0.0.1'. Account is "
                                      "locked.")


# ---- the route table ---------------------------------------------------------------------------

IDS = ("root", "ld", "lt", "sel", "none", "badpw", "anon")
CRED = {"root": ("root", ""), "ld": ("ld", PW), "lt": ("lt", PW), "sel": ("sel", PW),
        "none": ("nog", PW), "badpw": ("ld", "wrong"), "anon": None}
EVERYONE = IDS
LOGGED_IN = ("root", "ld", "lt", "sel", "none")
READERS = ("root", "ld", "lt", "sel")        # SELECT or LOAD on pv.t
LISTERS = ("root", "ld", "sel")              # SELECT or LOAD on the database pv
LOADERS = ("root", "ld", "lt")               # LOAD on pv.t
DB_LOADERS = ("root", "ld")                  # LOAD on the database pv
ADMINS = ("root",)                           # CREATE / DROP: only root holds them here


class Unexpected(AssertionError):
    pass


def verdict(ok, refused, what):
    """True for a clear success, False for a clear refusal, else the test fails."""
    if ok:
        return True
    if refused:
        return False
    raise Unexpected(what)


class Probes:
    """One function per request kind: (server, identity, port) -> allowed? The precomputed
    objects (label, error log, txn, tsload cycles) come from RouteTableTest.setUpClass."""

    def __init__(self, s, ctx):
        self.s, self.ctx = s, ctx

    # Doris
    def fe_load(self, who, port):
        r = self.s.request("PUT", "/api/pv/t/_stream_load",
                           hdr(CRED[who]) + [("Expect", "100-continue")], b"", port=port)
        if r.status == 307:
            return True
        doc = r.json()
        return verdict(False, doc.get("code") == 401 or denied_text(doc.get("msg", "")), doc)

    def be_load(self, who, port):
        doc = self.s.request("PUT", "/api/pv/t/_stream_load", hdr(CRED[who]), b"3\n",
                             port=port).json()
        return verdict(doc["Status"] == "Success", denied_text(doc["Message"]), doc)

    SQL_STREAM = 'insert into pv.t select c1 from http_stream("format"="csv")'

    def fe_http_stream(self, who, port):
        r = self.s.request("PUT", "/api/_http_stream", hdr(CRED[who]) +
                           [("Expect", "100-continue"), ("sql", self.SQL_STREAM)], b"", port=port)
        return verdict(r.status == 307, r.status == 200 and r.json().get("code") == 401, r.text)

    def be_http_stream(self, who, port):
        doc = self.s.request("PUT", "/api/_http_stream",
                             hdr(CRED[who]) + [("sql", self.SQL_STREAM)], b"4\n", port=port).json()
        return verdict(doc["Status"] == "Success", denied_text(doc["Message"]), doc)

    def twopc(self, path):
        def probe(who, port):
            label = new_label()
            precommit(self.s, "pv", "t", label)
            doc = self.s.request("PUT", path, hdr(CRED[who]) +
                                 [("label", label), ("txn_operation", "commit")], b"",
                                 port=port).json()
            ok = doc.get("status") == "Success"
            if not ok:
                assert state(self.s, "pv", label) == "PRECOMMITTED", doc
                self.s.request("PUT", path, hdr(CRED["root"]) +
                               [("label", label), ("txn_operation", "abort")], b"")
            return verdict(ok, doc.get("code") == 401 or (doc.get("status") == "FAILED" and
                                                          denied_text(doc["msg"])), doc)
        return probe

    def load_state(self, who, port):
        doc = self.s.request("GET", "/api/pv/get_load_state?label=" + self.ctx["label"],
                             hdr(CRED[who]), port=port).json()
        return verdict(doc["code"] == 0 and doc["data"] == "VISIBLE", doc["code"] == 401, doc)

    def error_log(self, who, port):
        r = self.s.request("GET", "/api/_load_error_log?file=" + self.ctx["errlog"],
                           hdr(CRED[who]), port=port)
        return verdict(r.status == 200 and "Reason:" in r.text, False, r.text)

    def health(self, who, port):
        r = self.s.request("GET", "/api/health", hdr(CRED[who]), port=port)
        return verdict(r.status == 200 and r.json()["code"] == 0, False, r.text)

    def ping(self, who, port):
        r = self.s.request("GET", "/ping", hdr(CRED[who]), port=port)
        return verdict(r.status == 200 and r.text == "Ok.\n", False, r.text)

    def metrics(self, path):
        def probe(who, port):
            if port == self.s.ts:  # the tsload port speaks HTTPS
                st, text, _ = ts_call(self.s, "GET", path, None, None, hdr(CRED[who]))
            else:
                r = self.s.request("GET", path, hdr(CRED[who]), port=port)
                st, text = r.status, r.text
            return verdict(st == 200 and "# TYPE sluice_loads_started_total counter" in text,
                           False, (path, st, text[:200]))
        return probe

    def dashboard(self, path, marker):
        def probe(who, port):
            r = self.s.request("GET", path, hdr(CRED[who]), port=port)
            challenge = r.header("WWW-Authenticate") or ""
            refused = r.status == 401 and challenge.startswith("Basic")
            return verdict(r.status == 200 and marker in r.text, refused, (path, r.status))
        return probe

    def dashboard_api(self, who, port):
        r = self.s.request("GET", "/api/dashboard", hdr(CRED[who]), port=port)
        if r.status == 200:
            # the loads listed are those of databases whose loads the user may see, as with
            # SHOW STREAM LOAD: LOAD on the database pv
            labels = [x["label"] for x in r.json()["recent"]]
            assert (self.ctx["label"] in labels) == (who in DB_LOADERS), (who, labels)
        challenge = r.header("WWW-Authenticate") or ""
        refused = r.status == 401 and challenge.startswith("Basic")
        return verdict(r.status == 200, refused, (r.status, r.text[:200]))

    def nodes(self, who, port):
        doc = self.s.request("GET", "/api/nodes", hdr(CRED[who]), port=port).json()
        return verdict(doc["code"] == 0 and len(doc["data"]) >= 1, doc["code"] == 401, doc)

    def sql(self, stmt):
        def probe(who, port):
            doc = sql(self.s, stmt, "pv", CRED[who], port)
            return verdict(doc["code"] == 0, doc["code"] == 401 or
                           (doc["code"] == 1 and "Access denied" in doc["data"]), (stmt, doc))
        return probe

    # tsload
    def session(self, who):
        cache = self.ctx.setdefault("sessions", {})
        if who not in cache:
            st, cookie = ts_login(self.s, CRED[who])
            cache[who] = cookie if st == 200 else None
        return cache[who]

    def cycle(self, who):
        """A new open cycle on pv.t: the identity's own when it may start one, else root's."""
        owner = who if who in LOADERS else "root"
        st, text, _ = ts_start(self.s, self.session(owner))
        assert st == 202, (st, text)
        return json.loads(text)["cycle_id"]

    def ts_refused(self, st, who=None, text=""):
        """401/403, or - for someone else's cycle - the reply of an unknown cycle: a cycle
        belongs to the user who started it and does not exist for others (issue 26)."""
        hidden = ("does not exist." in text or "Unknown cycle_id" in text or
                  "Node does not exist" in text)
        return st in (401, 403) or (who is not None and who not in LOADERS and hidden)

    def ts_ping(self, who, port):
        st, text, _ = ts_call(self.s, "GET", TS + "/ping", None, self.session(who))
        return verdict(st == 200, False, text)

    def ts_list(self, who, port):
        st, text, _ = ts_call(self.s, "GET", TS + "/loads", None, self.session(who))
        return verdict(st == 200, self.ts_refused(st), text)

    def ts_login(self, who, port):
        st, _ = ts_login(self.s, CRED[who])
        return verdict(st == 200, st == 401, st)

    def ts_start(self, who, port):
        st, text, _ = ts_start(self.s, self.session(who))
        return verdict(st == 202, self.ts_refused(st), text)

    def ts_upload(self, who, port):
        body, ct = multipart(b"9\n")
        st, text, _ = ts_call(self.s, "POST", TS + "/loads/" + self.cycle(who), body,
                              self.session(who), [("Content-Type", ct)])
        return verdict(st == 202, self.ts_refused(st, who, text), text)

    def ts_cycle_op(self, method, fmt):
        def probe(who, port):
            st, text, _ = ts_call(self.s, method, fmt % self.cycle(who),
                                  b"" if method == "POST" else None, self.session(who))
            return verdict(st in (200, 202), self.ts_refused(st, who, text), (fmt, st, text))
        return probe

    # Yamcs
    def yamcs(self, method, path, body=b"", ctype=PB):
        def probe(who, port):
            r = self.s.request(method, path, hdr(CRED[who]) + [("Content-Type", ctype)],
                               body if method == "POST" else None, port=port)
            return verdict(r.status == 200, r.status in (401, 403), (path, r.status, r.text))
        return probe

    def yamcs_token(self, who, port):
        """POST /auth/token with the identity's password (the anonymous one sends an empty
        user): a token only for a password that logs in."""
        user, pw = CRED[who] or ("", "")
        body = urllib.parse.urlencode({"grant_type": "password", "username": user,
                                       "password": pw}).encode()
        r = self.s.request("POST", "/auth/token",
                           [("Content-Type", "application/x-www-form-urlencoded")], body,
                           port=port)
        return verdict(r.status == 200, r.status == 401, (r.status, r.text))

    def yamcs_create(self, who, port):
        stmt = "create table y%s (a INT, primary key(a))" % uuid.uuid4().hex[:8]
        return self.yamcs("POST", "/api/archive/pv:executeSql", json.dumps(
            {"statement": stmt}).encode(), "application/json")(who, port)

    def yamcs_drop(self, who, port):
        name = "d" + uuid.uuid4().hex[:8]
        self.s.sql("CREATE TABLE %s (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1" % name, "pv")
        ok = self.yamcs("POST", "/api/archive/pv:executeSql", json.dumps(
            {"statement": "drop table " + name}).encode(), "application/json")(who, port)
        gone = [name] not in self.s.rows("SHOW TABLES", "pv")
        assert gone == ok, (who, name)
        return ok


def route_table(p):
    """(roles, method, pattern) of routes.c -> [(probe, identities allowed)]."""
    return {
        ("FE", "PUT", "/api/*/*/_stream_load"): [(p.fe_load, LOADERS)],
        ("BE", "PUT", "/api/*/*/_stream_load"): [(p.be_load, LOADERS)],
        # the FE only redirects _http_stream (its table is in the sql header): the load port
        # checks LOAD once it has parsed the statement
        ("FE", "PUT", "/api/_http_stream"): [(p.fe_http_stream, LOGGED_IN)],
        ("BE", "PUT", "/api/_http_stream"): [(p.be_http_stream, LOADERS)],
        ("FE|BE", "PUT", "/api/*/_stream_load_2pc"): [(p.twopc("/api/pv/_stream_load_2pc"),
                                                       LOADERS)],
        ("FE|BE", "PUT", "/api/*/*/_stream_load_2pc"): [(p.twopc("/api/pv/t/_stream_load_2pc"),
                                                         LOADERS)],
        ("FE|BE", "GET", "/api/*/get_load_state"): [(p.load_state, DB_LOADERS)],
        # a capability URL, as in Doris: the unguessable name is the credential
        ("FE|BE", "GET", "/api/_load_error_log"): [(p.error_log, EVERYONE)],
        ("FE|BE", "GET", "/api/health"): [(p.health, EVERYONE)],
        ("FE|BE", "GET", "/ping"): [(p.ping, EVERYONE)],
        # Prometheus scrapes without credentials, as Doris's /metrics
        ("FE|BE|TS", "GET", "/metrics"): [(p.metrics("/metrics"), EVERYONE)],
        ("FE|BE", "GET", "/api/metrics"): [(p.metrics("/api/metrics"), EVERYONE)],
        ("FE|BE", "GET", "/dashboard"): [(p.dashboard("/dashboard", "<html"), LOGGED_IN)],
        ("FE|BE", "GET", "/dashboard/*"): [(p.dashboard("/dashboard/dashboard.js", "poll()"),
                                            LOGGED_IN)],
        ("FE|BE", "GET", "/api/dashboard"): [(p.dashboard_api, LOGGED_IN)],
        ("FE|BE", "GET", "/api/nodes"): [(p.nodes, LOGGED_IN)],
        ("FE|BE", "POST", "/api/query/*/*"): [(p.sql("SELECT count(*) FROM t"), READERS)],
        ("TS", "POST", "/ts_dataservice/v1/public/loads/*"): [(p.ts_upload, LOADERS)],
        ("TS", "GET", "/ts_dataservice/v1/public/*"): [(p.ts_ping, EVERYONE),
                                                       (p.ts_list, LOGGED_IN)],
        ("TS", "POST", "/ts_dataservice/v1/public/*"): [(p.ts_login, LOGGED_IN),
                                                        (p.ts_start, LOADERS)],
        ("TS", "GET", "/ts_dataservice/v1/public/loads/*"): [
            (p.ts_cycle_op("GET", TS + "/loads/%s"), LOADERS)],
        ("TS", "POST", "/ts_dataservice/v1/public/loads/*/*"): [
            (p.ts_cycle_op("POST", TS + "/loads/%s/cancel"), LOADERS)],
        ("TS", "GET", "/ts_dataservice/v1/public/loads/*/*"): [
            (p.ts_cycle_op("GET", TS + "/loads/%s/input_summary"), LOADERS)],
        ("TS", "GET", "/ts_dataservice/v1/loads/*"): [
            (p.ts_cycle_op("GET", "/ts_dataservice/v1/loads/%s"), LOADERS)],
        ("BE", "POST", "/api/archive/*"): [(p.yamcs_create, ADMINS), (p.yamcs_drop, ADMINS)],
        ("BE", "GET", "/api/archive/*/tables"): [(p.yamcs("GET", "/api/archive/pv/tables"),
                                                  LISTERS)],
        ("BE", "GET", "/api/archive/*/tables/*"): [(p.yamcs("GET", "/api/archive/pv/tables/t"),
                                                    READERS)],
        ("BE", "POST", "/api/archive/*/tables/*"): [
            (p.yamcs("POST", "/api/archive/pv/tables/t:writeRows"), LOADERS),
            (p.yamcs("POST", "/api/archive/pv/tables/t:readRows"), READERS)],
        ("BE", "POST", "/api/archive/*/tables/*/data"): [
            (p.yamcs("POST", "/api/archive/pv/tables/t/data"), LOADERS)],
        # Yamcs login: the auth info is public, the token grant checks the password, the user
        # and server info need a login (yamcs_anonymous is off here)
        ("BE", "GET", "/auth"): [(p.yamcs("GET", "/auth"), EVERYONE)],
        ("BE", "POST", "/auth/token"): [(p.yamcs_token, LOGGED_IN)],
        ("BE", "GET", "/api/user"): [(p.yamcs("GET", "/api/user"), LOGGED_IN)],
        ("BE", "GET", "/api"): [(p.yamcs("GET", "/api"), LOGGED_IN)],
    }


def statement_table(ctx):
    """sl_stmt_kind -> [(statement on path database pv, identities allowed)]."""
    return {
        "CREATE_DATABASE": [("CREATE DATABASE IF NOT EXISTS pv_new", ADMINS)],
        "DROP_DATABASE": [("DROP DATABASE IF EXISTS pv_gone", ADMINS)],
        "CREATE_TABLE": [("CREATE TABLE IF NOT EXISTS ct (a INT) DISTRIBUTED BY HASH(a) "
                          "BUCKETS 1", ADMINS)],
        "DROP_TABLE": [("DROP TABLE IF EXISTS gone", ADMINS)],
        "TRUNCATE": [("TRUNCATE TABLE t2", DB_LOADERS)],   # Doris: LOAD (it deletes data)
        "ALTER_TABLE": [('ALTER TABLE t2 SET ("replication_num" = "1")', ADMINS)],
        # CREATE on the new table and SELECT on the source
        "CREATE_TABLE_LIKE": [("CREATE TABLE IF NOT EXISTS ct_like LIKE t", ADMINS)],
        "CREATE_TABLE_AS": [("CREATE TABLE IF NOT EXISTS ct_as AS SELECT a FROM t", ADMINS)],
        "SHOW_DATABASES": [("SHOW DATABASES", LOGGED_IN)],
        "SHOW_TABLES": [("SHOW TABLES", LISTERS)],
        "SHOW_CREATE_TABLE": [("SHOW CREATE TABLE t", READERS)],
        "DESC": [("DESC t", READERS)],
        "SELECT": [("SELECT count(*) FROM t", READERS), ("SELECT 1", LOGGED_IN)],
        "INSERT": [("INSERT INTO t VALUES (7)", LOADERS)],
        "SHOW_STREAM_LOAD": [("SHOW STREAM LOAD", DB_LOADERS)],
        "SHOW_TRANSACTION": [("SHOW TRANSACTION WHERE id = %d" % ctx["txn"], DB_LOADERS)],
        # users and grants: ADMIN, but one's own grants (and password) are one's own
        "CREATE_USER": [("CREATE USER IF NOT EXISTS 'zz' IDENTIFIED BY 'zz-pw-1'", ADMINS)],
        "ALTER_USER": [("ALTER USER IF EXISTS 'zz' FAILED_LOGIN_ATTEMPTS 9", ADMINS)],
        "SET_PASSWORD": [("SET PASSWORD FOR 'zz' = PASSWORD('zz-pw-2')", ADMINS)],
        "GRANT": [("GRANT SELECT_PRIV ON pv.t TO 'zz'", ADMINS)],
        "REVOKE": [("REVOKE SELECT_PRIV ON pv.t FROM 'zz'", ADMINS)],
        "SHOW_GRANTS": [("SHOW GRANTS", LOGGED_IN), ("SHOW ALL GRANTS", ADMINS),
                        ("SHOW GRANTS FOR 'zz'", ADMINS)],
        "DROP_USER": [("DROP USER IF EXISTS 'gone'", ADMINS)],
        "SHOW_NODES": [("SHOW BACKENDS", ADMINS), ("SHOW FRONTENDS", ADMINS)],
        "SHOW_PROC_LOADS": [("SHOW PROC '/stream_loads'", LOGGED_IN)],
    }


def routes_in_source():
    with open(os.path.join(ROOT, "src/proto/routes.c")) as f:
        text = f.read()
    body = text[text.index("routes[] = {"):]
    body = body[:body.index("};")]
    out = set()
    for roles, method, pattern in re.findall(
            r'\{\s*((?:FE|BE|TS)(?:\s*\|\s*(?:FE|BE|TS))*)\s*,\s*"(\w+)"\s*,\s*"([^"]+)"', body):
        out.add((re.sub(r"\s+", "", roles), method, pattern))
    return out


def statement_kinds_in_source():
    with open(os.path.join(ROOT, "src/sql/sql.h")) as f:
        text = f.read()
    body = text[text.index("typedef enum sl_stmt_kind {"):]
    body = body[:body.index("} sl_stmt_kind;")]
    return set(re.findall(r"\bSL_STMT_(\w+)", body))


class RouteTableTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        s = cls.s
        s.sql("CREATE DATABASE pv")
        for t in ("t", "t2"):
            s.sql("CREATE TABLE %s (a INT) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1" % t,
                  "pv")
        for user, privs, target in (("ld", "LOAD", "pv"), ("lt", "LOAD", "pv.t"),
                                    ("sel", "SELECT", "pv.*"), ("nog", None, None)):
            cli(s, "add", user, "--password", PW)
            if privs:
                cli(s, "grant", user, privs, "ON", target)
        # Warm the credential cache before the wrong-password probes make 127.0.0.1 a throttled
        # address (verified credentials pass the throttle; first logins would not).
        for who in LOGGED_IN:
            assert sql(s, "SELECT 1", "pv", CRED[who])["code"] == 0, who
        cls.ctx = {}
        label = new_label()
        doc = s.load("pv", "t", b"1\n", label=label).json()
        cls.ctx["label"], cls.ctx["txn"] = label, doc["TxnId"]
        doc = s.load("pv", "t", b"x\n", [("strict_mode", "true"), ("max_filter_ratio", "1")]).json()
        cls.ctx["errlog"] = parse_qs(urlsplit(doc["ErrorURL"]).query)["file"][0]
        cls.p = Probes(s, cls.ctx)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def ports(self, roles):
        return [{"FE": self.s.fe, "BE": self.s.be, "TS": self.s.ts}[r] for r in roles.split("|")]

    def check(self, name, probe, allowed, port):
        for who in IDS:
            with self.subTest(route=name, identity=who, port=port):
                got = probe(who, port)
                self.assertEqual(got, who in allowed,
                                 "%s as %s: %s" % (name, who, "allowed" if got else "denied"))

    def test_table_lists_every_route(self):
        table = set(route_table(self.p))
        src = routes_in_source()
        self.assertEqual(src - table, set(), "routes.c has routes the privilege table lacks")
        self.assertEqual(table - src, set(), "the privilege table lists routes routes.c lacks")

    def test_table_lists_every_statement_kind(self):
        self.assertEqual(set(statement_table(self.ctx)), statement_kinds_in_source())

    def test_every_route(self):
        for (roles, method, pattern), probes in route_table(self.p).items():
            for port in self.ports(roles):
                for probe, allowed in probes:
                    self.check("%s %s" % (method, pattern), probe, allowed, port)

    def test_every_statement_kind(self):
        for kind, cases in statement_table(self.ctx).items():
            for stmt, allowed in cases:
                self.check("%s: %s" % (kind, stmt), self.p.sql(stmt), allowed, self.s.fe)


if __name__ == "__main__":
    unittest.main()
