"""End-to-end harness: start the real sluice binary on port 0 and talk real HTTP to it.

Everything uses the Python standard library (http.client and raw sockets). Every loop is
bounded in count and time; servers listen on 127.0.0.1 only.
"""
import atexit
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from urllib.parse import urlsplit

BIN = os.environ.get("SLUICE_BIN", os.path.join(os.path.dirname(__file__), "../../build/sluice"))
BIN = os.path.abspath(BIN)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))

# The store switch: SLUICE_TEST_STORE=postgres makes every server these tests start use a
# PostgreSQL store, one database per data directory (so a restarted server finds its data and
# tests stay isolated), on the PostgreSQL of SLUICE_TEST_PG_URL (tests/run_all.sh starts one
# per run) or, when unset, on one this process starts with tests/pg/pg.sh and stops at exit.
STORE = os.environ.get("SLUICE_TEST_STORE", "sqlite")
_pg = {}


def _psql(url, sql):
    return subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


def store_url(data_dir):
    """The PostgreSQL URL of data_dir's database, created on first use."""
    if "admin" not in _pg:
        url = os.environ.get("SLUICE_TEST_PG_URL")
        if not url:
            d = tempfile.mkdtemp(prefix="sluice-e2e-pg-")
            script = os.path.join(ROOT, "tests/pg/pg.sh")
            url = subprocess.run(["sh", script, "start", d], capture_output=True, text=True,
                                 check=True).stdout.strip().splitlines()[-1]
            atexit.register(lambda: (subprocess.run(["sh", script, "stop", d]),
                                     shutil.rmtree(d, ignore_errors=True)))
        _pg["admin"] = url
    name = "e2e_" + hashlib.sha1(os.path.abspath(data_dir).encode()).hexdigest()[:20]
    admin = _pg["admin"]
    if not _psql(admin, "SELECT 1 FROM pg_database WHERE datname = '%s'" % name):
        _psql(admin, "CREATE DATABASE %s" % name)
    return admin.rsplit("/", 1)[0] + "/" + name


def store_args(data_dir):
    """The `sluice user` flags naming data_dir's store when it is not the embedded one (a
    server started there notes it in DATA_DIR/store.url; before one ran, this does)."""
    return ["--store", store_url(data_dir)] if STORE == "postgres" else []


def catalog_sql(data_dir, sql, *args):
    """Run one statement on the catalog of data_dir's store (the embedded store's catalog.db,
    or schema sluice on PostgreSQL) with ? placeholders; the first column of the first row, or
    None. For tests that must look at what is stored, never at what the server answers."""
    if STORE == "postgres":
        def lit(v):
            return "NULL" if v is None else str(v) if isinstance(v, int) else \
                "'" + str(v).replace("'", "''") + "'"
        parts = sql.split("?")
        text = parts[0] + "".join(lit(a) + rest for a, rest in zip(args, parts[1:]))
        out = subprocess.run(["psql", store_url(data_dir), "-qXAt", "-v", "ON_ERROR_STOP=1",
                              "-c", "SET search_path TO sluice", "-c", text],
                             capture_output=True, text=True, check=True).stdout.splitlines()
        return out[0] if out else None
    db = sqlite3.connect(os.path.join(data_dir, "catalog.db"), timeout=10)
    try:
        row = db.execute(sql, args).fetchone()
        db.commit()
        return row[0] if row else None
    finally:
        db.close()


def wait_for(cond, timeout=10.0, interval=0.05, what="condition"):
    """Poll cond() until it returns a true value or timeout passes; return the value."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def basic(user="root", pw=""):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Server:
    """One sluice process with its own data directory."""

    def __init__(self, data_dir=None, extra=(), store=None, ports=None):
        """store: a store URL shared with other servers (several nodes on one engine); by
        default the embedded store, or with SLUICE_TEST_STORE=postgres a database of this data
        directory's own. ports: (fe, be) kept across restarts; None: any free ports."""
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="sluice-e2e-")
        self.extra = list(extra)
        self.store = store
        self.ports = ports
        self.proc = None
        # The server log (stderr: one access line per request) goes to a file: a pipe nobody
        # reads would fill up and stop the server. stderr_text() reads what this run wrote.
        fd, self.stderr_path = tempfile.mkstemp(prefix="sluice-e2e-stderr-")
        os.close(fd)
        self.stderr_from = 0
        self.start()

    def start(self):
        fe, be = self.ports or (0, 0)
        args = [BIN, "serve", "--data-dir", self.data_dir, "--bind", "127.0.0.1",
                "--fe-port", str(fe), "--be-port", str(be), "--tsload-port", "0",
                "--mysql-port", "0"] + self.extra
        if self.store:
            args += ["--set", "store=" + self.store]
        elif STORE == "postgres":
            args += ["--set", "store=" + store_url(self.data_dir)]
        self.stderr_from = os.path.getsize(self.stderr_path)
        with open(self.stderr_path, "a") as err:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"fe_port=(\d+) be_port=(\d+)", line)
        if not m:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=10)
            raise RuntimeError("server did not start: %r %s" % (line, self.stderr_text()))
        self.fe = int(m.group(1))
        self.be = int(m.group(2))
        t = re.search(r"tsload_port=(-?\d+)", line)
        self.ts = int(t.group(1)) if t else None  # the tsload connector's port (-1: off)
        my = re.search(r"mysql_port=(-?\d+)", line)
        self.my = int(my.group(1)) if my else None  # the MySQL protocol's port (-1: off)

    def stderr_text(self):
        """What the server wrote on stderr since its last start (the log)."""
        with open(self.stderr_path, errors="replace") as f:
            f.seek(self.stderr_from)
            return f.read()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        try:
            self.proc.stdout.close()
        except Exception:
            pass

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        try:
            os.unlink(self.stderr_path)
        except OSError:
            pass

    # ---- HTTP -------------------------------------------------------------------------
    def request(self, method, path, headers=(), body=None, port=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.fe, timeout=timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            hs = list(headers)
            for k, v in hs:
                conn.putheader(k, v)
            if body is not None and not any(k.lower() == "transfer-encoding" for k, _ in hs):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                conn.send(body)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def sql(self, stmt, db="information_schema", user="root", pw="", ok=True):
        body = json.dumps({"stmt": stmt}).encode()
        r = self.request("POST", "/api/query/default_cluster/%s" % db,
                         [("Authorization", basic(user, pw)), ("Content-Type", "application/json"),
                          ("X-Doris-Stream", "false")], body)
        doc = r.json()
        if ok and doc.get("code") != 0:
            raise AssertionError("SQL failed: %s -> %s" % (stmt, doc))
        return doc

    def rows(self, stmt, db):
        return self.sql(stmt, db)["data"]["data"]

    def load(self, db, table, body, headers=(), user="root", pw="", via_fe=True, label=None):
        """A Stream Load as curl --location-trusted does it: PUT to the FE, follow the 307."""
        hs = [("Authorization", basic(user, pw)), ("Expect", "100-continue")]
        if label is not None:
            hs.append(("label", label))
        hs += list(headers)
        path = "/api/%s/%s/_stream_load" % (db, table)
        if via_fe:
            r = self.request("PUT", path, hs, b"", port=self.fe)
            assert r.status == 307, (r.status, r.text)
            loc = urlsplit(r.header("Location"))
            port = loc.port
            path = loc.path + ("?" + loc.query if loc.query else "")
        else:
            port = self.be
        return self.request("PUT", path, hs, body, port=port)


def raw(port, data, timeout=10, read_until_close=True, send_after=None):
    """Send raw bytes, return everything received until close (or timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if send_after:
            time.sleep(0.2)
            try:
                s.sendall(send_after)
            except OSError:
                pass
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
        return out
    finally:
        s.close()


def new_label():
    return uuid.uuid4().hex
