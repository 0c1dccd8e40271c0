"""The privilege matrix (issue 17): every endpoint of every protocol x every kind of caller, each
cell asserted allowed or denied, and printed ("matrix: N cells, V violations").

Callers: no credentials, a wrong password, a user without any privilege, a user holding the
privileges on another database, a user holding them on another table of the same database, a
user holding them on the database (the "holder"), and root. Resources: database pm, table t.

test_privileges.py checks every route of routes.c and every SQL statement kind against its own
identities; this file adds what that one does not: the MySQL port (a real client, PyMySQL),
callers privileged elsewhere (another database, another table), 2PC on another user's
transaction, SHOW STREAM LOAD and error-log URLs across databases, credentials at rest in the
store and the log, and the login throttle on the MySQL port."""
import json
import os
import re
import struct
import subprocess
import sys
import unittest
import uuid
from urllib.parse import parse_qs, urlsplit

from harness import BIN, STORE, Server, basic, catalog_sql, new_label

try:
    import pymysql
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import pymysql  # noqa: E402
    except ImportError:
        pymysql = None

PW = "Matrix-Pw-7351"            # every user's password: searched for in the store afterwards
CALLERS = ("anon", "badpw", "nopriv", "other_db", "other_table", "holder", "admin")
CRED = {"anon": None, "badpw": ("victim", "not-the-password"), "nopriv": ("np", PW),
        "other_db": ("odb", PW), "other_table": ("otb", PW), "holder": ("hold", PW),
        "admin": ("root", "")}
HOLDERS = ("holder", "admin")
LOGGED_IN = ("nopriv", "other_db", "other_table", "holder", "admin")


def cli(s, *args):
    p = subprocess.run([BIN, "user"] + list(args) + ["--data-dir", s.data_dir],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stderr)


def hdr(who):
    c = CRED[who]
    return [] if c is None else [("Authorization", basic(*c))]


def denied_text(text):
    return any(m in text for m in ("Access denied", "NOT_AUTHORIZED", "Need auth",
                                   "Unauthorized", "Insufficient privileges",
                                   "Unable to verify user", "does not exist"))


class Unclear(AssertionError):
    pass


def verdict(allowed, denied, what):
    if allowed:
        return True
    if denied:
        return False
    raise Unclear(str(what)[:300])


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb(num, payload):
    return varint((num << 3) | 2) + varint(len(payload)) + payload


def yamcs_row(a):
    cols = pb(1, b"\x08\x01" + pb(2, b"a") + pb(3, b"INT"))
    cell = pb(2, b"\x08\x01" + pb(2, struct.pack(">i", a)))
    row = cols + cell
    return varint(len(row)) + row


class MatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "tsload_plain_http=true"])
        s = cls.s
        for db in ("pm", "pmo"):
            s.sql("CREATE DATABASE %s" % db)
            for t in ("t", "t2"):
                s.sql("CREATE TABLE %s (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1"
                      % t, db)
        r = s.request("POST", "/api/archive/pm:executeSql", hdr("admin") +
                      [("Content-Type", "application/json")],
                      json.dumps({"statement": "create table yt (a INT, primary key(a))"}).encode(),
                      port=s.be)
        assert r.status == 200, r.text
        for user, grants in (("victim", [("LOAD", "pm"), ("SELECT", "pm")]),
                             ("np", []),
                             ("odb", [("LOAD", "pmo"), ("SELECT", "pmo")]),
                             ("otb", [("LOAD", "pm.t2"), ("SELECT", "pm.t2")]),
                             ("hold", [("LOAD", "pm"), ("SELECT", "pm")]),
                             ("hold2", [("LOAD", "pm"), ("SELECT", "pm")])):
            cli(s, "add", user, "--password", PW)
            for priv, on in grants:
                cli(s, "grant", user, priv, "ON", on)
        # Verified credentials pass the per-address throttle the wrong-password probes trigger.
        for who in LOGGED_IN:
            assert cls.sqlapi(who, "SELECT 1")["code"] == 0, who
        cls.ctx = {}
        label = new_label()
        doc = s.load("pm", "t", b"1\n", label=label).json()
        cls.ctx["label"] = label
        doc = s.load("pm", "t", b"x\n", [("strict_mode", "true"), ("max_filter_ratio", "1")],
                     label="pm_err_" + uuid.uuid4().hex[:8]).json()
        cls.ctx["errurl"] = doc["ErrorURL"]
        cls.cells, cls.violations = [], []

    @classmethod
    def tearDownClass(cls):
        cls.s.close()
        n = len(cls.cells)
        print("\nmatrix: %d cells, %d violations" % (n, len(cls.violations)), file=sys.stderr)
        width = max(len(e) for e, _, _, _ in cls.cells) if cls.cells else 10
        rows = {}
        for endpoint, who, got, want in cls.cells:
            rows.setdefault(endpoint, {})[who] = ("A" if got else "d") + ("" if got == want else "!")
        print("%-*s %s" % (width, "endpoint", " ".join("%-11s" % c for c in CALLERS)),
              file=sys.stderr)
        for endpoint, cells in rows.items():
            print("%-*s %s" % (width, endpoint, " ".join("%-11s" % cells.get(c, "-")
                                                          for c in CALLERS)), file=sys.stderr)
        for v in cls.violations:
            print("  VIOLATION %s" % v, file=sys.stderr)

    # ---- requests ---------------------------------------------------------------------------
    @classmethod
    def sqlapi(cls, who, stmt, db="pm"):
        r = cls.s.request("POST", "/api/query/default_cluster/%s" % db,
                          hdr(who) + [("Content-Type", "application/json")],
                          json.dumps({"stmt": stmt}).encode())
        return r.json()

    def count(self, table="t", db="pm"):
        return self.s.rows("SELECT count(*) FROM %s" % table, db)[0][0]

    def precommit(self, user="hold"):
        label = new_label()
        doc = self.s.load("pm", "t", b"5\n", [("two_phase_commit", "true")], user=user, pw=PW,
                          label=label).json()
        assert doc["Status"] == "Success", doc
        return label, doc["TxnId"]

    def ts(self, method, path, body=b"", headers=()):
        r = self.s.request(method, "/ts_dataservice/v1/public" + path, list(headers),
                           body if method == "POST" else None, port=self.s.ts)
        return r

    def ts_cookie(self, who):
        c = CRED[who] or ("", "")
        r = self.ts("POST", "/session", ("username=%s&password=%s" % c).encode(),
                    [("Content-Type", "application/x-www-form-urlencoded")])
        sc = r.header("Set-Cookie")
        return (r.status, sc.split(";")[0] if sc else None)

    def mysql_connect(self, who, db=None):
        # no credentials: the protocol always names a user (PyMySQL would put the OS user in
        # place of an empty name), so an unknown name without a password
        user, pw = CRED[who] or ("anonymous", "")
        # from another loopback address: the wrong-password probes over HTTP have throttled
        # 127.0.0.1, and a MySQL login cannot use the HTTP credential cache (docs/SECURITY.md)
        return pymysql.connect(host="127.0.0.1", port=self.s.my, user=user, password=pw,
                               database=db, connect_timeout=10, read_timeout=30,
                               bind_address="127.0.0.3")

    # ---- probes: who -> allowed? ------------------------------------------------------------
    def p_be_load(self, who):
        doc = self.s.request("PUT", "/api/pm/t/_stream_load", hdr(who), b"7\n",
                             port=self.s.be).json()
        return verdict(doc["Status"] == "Success", denied_text(doc["Message"]), doc)

    def p_fe_load(self, who):
        r = self.s.request("PUT", "/api/pm/t/_stream_load", hdr(who) +
                           [("Expect", "100-continue")], b"")
        return verdict(r.status == 307, r.status == 200 and denied_text(r.text), r.text)

    def p_http_stream(self, who):
        doc = self.s.request("PUT", "/api/_http_stream", hdr(who) + [
            ("sql", 'insert into pm.t select c1 from http_stream("format"="csv")')], b"8\n",
            port=self.s.be).json()
        return verdict(doc["Status"] == "Success", denied_text(doc["Message"]), doc)

    def twopc(self, path, owner):
        def probe(who):
            label, _ = self.precommit(owner)
            doc = self.s.request("PUT", path, hdr(who) + [("label", label),
                                                         ("txn_operation", "abort")], b"").json()
            ok = doc.get("status") == "Success"
            if not ok:
                st = self.s.request("GET", "/api/pm/get_load_state?label=" + label,
                                    hdr("admin")).json()["data"]
                assert st == "PRECOMMITTED", (who, doc, st)   # untouched by the refusal
                self.s.request("PUT", path, hdr("admin") + [("label", label),
                                                            ("txn_operation", "abort")], b"")
            return verdict(ok, doc.get("code") == 401 or denied_text(doc.get("msg", "")), doc)
        return probe

    def p_load_state(self, who):
        doc = self.s.request("GET", "/api/pm/get_load_state?label=" + self.ctx["label"],
                             hdr(who)).json()
        return verdict(doc["code"] == 0 and doc["data"] == "VISIBLE", doc["code"] == 401, doc)

    def p_show_stream_load(self, who, db_from_path="pm", stmt="SHOW STREAM LOAD"):
        doc = self.sqlapi(who, stmt, db_from_path)
        if doc["code"] == 0:
            labels = [r[0] for r in doc["data"]["data"]]
            assert self.ctx["label"] in labels, labels
            return True
        return verdict(False, doc["code"] == 401 or denied_text(doc["data"]), doc)

    def p_show_stream_load_from(self, who):
        # from a database the caller may use (pmo for the other-database user), naming pm
        return self.p_show_stream_load(who, "pmo" if who == "other_db" else "pm",
                                       "SHOW STREAM LOAD FROM pm")

    def p_error_log_link(self, who):
        """The ErrorURL is a capability (as in Doris): only those who may list pm's loads can
        learn it. Allowed = the caller can find the URL of pm's error log."""
        doc = self.sqlapi(who, "SHOW STREAM LOAD", "pm")
        if doc["code"] != 0:
            return verdict(False, doc["code"] == 401 or denied_text(doc["data"]), doc)
        text = json.dumps(doc["data"])
        path = urlsplit(self.ctx["errurl"]).query
        return verdict(path.split("file=")[1] in text, False, doc)

    def p_sql(self, stmt, check=None):
        def probe(who):
            doc = self.sqlapi(who, stmt)
            return verdict(doc["code"] == 0, doc["code"] == 401 or denied_text(doc["data"]),
                           (stmt, doc))
        return probe

    def p_ts_login(self, who):
        st, cookie = self.ts_cookie(who)
        return verdict(st == 200 and cookie, st == 401, st)

    def p_ts_start(self, who):
        _, cookie = self.ts_cookie(who)
        r = self.ts("POST", "/loads", json.dumps({"target": {"database": "pm", "table": "t"}})
                    .encode(), [("Cookie", cookie)] if cookie else [])
        return verdict(r.status == 202, r.status in (401, 403) or denied_text(r.text),
                       (r.status, r.text))

    def yamcs(self, method, path, body=b"", ctype="application/protobuf"):
        def probe(who):
            r = self.s.request(method, path, hdr(who) + [("Content-Type", ctype)],
                               body if method == "POST" else None, port=self.s.be)
            return verdict(r.status == 200, r.status in (401, 403), (path, r.status, r.text))
        return probe

    def p_yamcs_create(self, who):
        name = "c" + uuid.uuid4().hex[:8]
        return self.yamcs("POST", "/api/archive/pm:executeSql", json.dumps(
            {"statement": "create table %s (a INT, primary key(a))" % name}).encode(),
            "application/json")(who)

    def p_mysql_login(self, who):
        if pymysql is None:
            self.skipTest("PyMySQL (python3-pymysql) not installed")
        try:
            self.mysql_connect(who).close()
            return True
        except pymysql.err.OperationalError as e:
            return verdict(False, e.args[0] == 1045, e)

    def p_mysql_select(self, who):
        try:
            conn = self.mysql_connect(who)
        except pymysql.err.OperationalError as e:
            return verdict(False, e.args[0] == 1045, e)
        try:
            with conn.cursor() as c:
                c.execute("SELECT count(*) FROM pm.t")
                return c.fetchone()[0] >= 1
        except (pymysql.err.OperationalError, pymysql.err.ProgrammingError) as e:
            return verdict(False, e.args[0] in (1044, 1142, 1045) or denied_text(str(e)), e)
        finally:
            conn.close()

    def p_mysql_insert(self, who):
        try:
            conn = self.mysql_connect(who, None)
        except pymysql.err.OperationalError as e:
            return verdict(False, e.args[0] == 1045, e)
        try:
            with conn.cursor() as c:
                c.execute("INSERT INTO pm.t VALUES (9)")
            return True
        except (pymysql.err.OperationalError, pymysql.err.ProgrammingError) as e:
            return verdict(False, e.args[0] in (1044, 1142, 1045) or denied_text(str(e)), e)
        finally:
            conn.close()

    def matrix(self):
        """(endpoint, probe, callers allowed)."""
        be = "/api/archive/pm/tables/yt"
        return [
            ("doris PUT BE _stream_load pm.t", self.p_be_load, HOLDERS),
            ("doris PUT FE _stream_load pm.t", self.p_fe_load, HOLDERS),
            ("doris PUT _http_stream pm.t", self.p_http_stream, HOLDERS),
            ("doris 2PC abort, own txn", self.twopc("/api/pm/t/_stream_load_2pc", "hold"),
             HOLDERS),
            # another user's transaction: refused to all but LOAD holders on its table (Doris
            # checks the privilege on the transaction's tables, not who began it)
            ("doris 2PC abort, hold2's txn", self.twopc("/api/pm/_stream_load_2pc", "hold2"),
             HOLDERS),
            ("doris get_load_state pm", self.p_load_state, HOLDERS),
            ("sql SHOW STREAM LOAD (db pm)", self.p_show_stream_load, HOLDERS),
            ("sql SHOW STREAM LOAD FROM pm", self.p_show_stream_load_from, HOLDERS),
            ("error log URL of pm's load", self.p_error_log_link, HOLDERS),
            ("sql SELECT pm.t", self.p_sql("SELECT count(*) FROM t"), HOLDERS),
            ("sql SELECT pm.t2", self.p_sql("SELECT count(*) FROM t2"),
             HOLDERS + ("other_table",)),
            ("sql INSERT pm.t", self.p_sql("INSERT INTO t VALUES (3)"), HOLDERS),
            ("sql TRUNCATE pm.t2", self.p_sql("TRUNCATE TABLE t2"), HOLDERS + ("other_table",)),
            ("sql CREATE TABLE in pm", self.p_sql(
                "CREATE TABLE IF NOT EXISTS nt (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1"),
             ("admin",)),
            ("sql SHOW GRANTS FOR hold", self.p_sql("SHOW GRANTS FOR 'hold'"), ("admin",)),
            # listing a database needs a privilege on the database (test_privileges.py LISTERS)
            ("sql SHOW TABLES pm", self.p_sql("SHOW TABLES"), HOLDERS),
            ("tsload login", self.p_ts_login, LOGGED_IN),
            ("tsload start load pm.t", self.p_ts_start, HOLDERS),
            ("yamcs list tables pm", self.yamcs("GET", "/api/archive/pm/tables"), HOLDERS),
            ("yamcs writeRows pm.yt", self.yamcs("POST", be + ":writeRows", yamcs_row(4)),
             HOLDERS),
            ("yamcs readRows pm.yt", self.yamcs("POST", be + ":readRows", b""), HOLDERS),
            ("yamcs executeSql create", self.p_yamcs_create, ("admin",)),
            ("mysql login (9030)", self.p_mysql_login, LOGGED_IN),
            ("mysql SELECT pm.t", self.p_mysql_select, HOLDERS),
            ("mysql INSERT pm.t", self.p_mysql_insert, HOLDERS),
        ]

    def test_matrix(self):
        if pymysql is None:
            self.skipTest("PyMySQL (python3-pymysql) not installed: scripts/deps.sh --with-test")
        for endpoint, probe, allowed in self.matrix():
            for who in CALLERS:
                want = who in allowed
                try:
                    got = probe(who)
                except Unclear as e:
                    got = None
                    self.violations.append("%s as %s: unclear reply %s" % (endpoint, who, e))
                self.cells.append((endpoint, who, got, want))
                if got is not None and got != want:
                    self.violations.append("%s as %s: %s, expected %s" % (
                        endpoint, who, "allowed" if got else "denied",
                        "allowed" if want else "denied"))
        self.assertEqual(self.violations, [])
        # nothing was loaded into pm by a refused caller: every allowed load is counted
        self.assertGreaterEqual(self.count(), 1)
        self.assertEqual(self.count("t", "pmo"), 0)

    def test_error_log_names_are_not_guessable_or_traversable(self):
        url = urlsplit(self.ctx["errurl"])
        name = parse_qs(url.query)["file"][0]
        self.assertRegex(name.rsplit("_", 1)[1], r"^[0-9a-f]{32}$")
        for bad in (name[:-1] + ("0" if name[-1] != "0" else "1"), "../catalog.db",
                    name.rsplit("_", 1)[0] + "_" + "0" * 32):
            r = self.s.request("GET", "/api/_load_error_log?file=" + bad, port=url.port)
            self.assertNotEqual(r.status, 200, bad)
            self.assertNotIn("Reason:", r.text)

    def test_credentials_never_stored_in_plaintext(self):
        """The store keeps PBKDF2 hashes only; neither the store nor the log holds a password."""
        for user in ("victim", "np", "odb", "otb", "hold", "hold2"):
            h = catalog_sql(self.s.data_dir, "SELECT hash FROM users WHERE name = ?", user)
            self.assertRegex(h, r"^\$pbkdf2-sha256\$i=600000\$[0-9a-f]{32}\$[0-9a-f]{64}$")
            self.assertNotIn(PW, h)
        n = catalog_sql(self.s.data_dir, "SELECT count(*) FROM users WHERE hash LIKE ?",
                        "%" + PW + "%")
        self.assertEqual(int(n), 0)
        leaks = []
        if STORE == "sqlite":
            for root, _, files in os.walk(self.s.data_dir):
                for f in files:
                    with open(os.path.join(root, f), "rb") as fh:
                        if PW.encode() in fh.read():
                            leaks.append(os.path.join(root, f))
        else:
            dump = subprocess.run(["pg_dump", "--data-only", "-n", "sluice",
                                   self.s.store or _store_url(self.s.data_dir)],
                                  capture_output=True, timeout=120)
            if dump.returncode == 0 and PW.encode() in dump.stdout:
                leaks.append("pg_dump of schema sluice")
        self.assertEqual(leaks, [])
        self.assertNotIn(PW, self.s.stderr_text())

    def test_mysql_logins_are_throttled_like_http_ones(self):
        if pymysql is None:
            self.skipTest("PyMySQL not installed")
        s = Server()
        try:
            cli(s, "add", "thr", "--password", PW)
            for _ in range(8):
                with self.assertRaises(pymysql.err.OperationalError) as cm:
                    pymysql.connect(host="127.0.0.1", port=s.my, user="thr", password="guess",
                                    connect_timeout=10)
                self.assertEqual(cm.exception.args[0], 1045)
            with self.assertRaises(pymysql.err.OperationalError) as cm:
                pymysql.connect(host="127.0.0.1", port=s.my, user="thr", password=PW,
                                connect_timeout=10)
            self.assertIn("Account is blocked", str(cm.exception))
            # the same block on the HTTP doors
            r = s.request("POST", "/api/query/default_cluster/information_schema",
                          [("Authorization", basic("thr", PW)),
                           ("Content-Type", "application/json")], b'{"stmt": "SELECT 1"}')
            self.assertIn("Account is blocked", r.json()["data"])
        finally:
            s.close()


def _store_url(data_dir):
    from harness import store_url
    return store_url(data_dir)


if __name__ == "__main__":
    unittest.main()
