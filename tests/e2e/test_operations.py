"""Running sluice as an operator does (issue 21, operations): one server per data directory,
graceful shutdown on SIGTERM/SIGINT, `sluice sql` and option errors that say what is wrong, TSV
escaping, every setting listed with its default (serve --help, docs/sluice.conf.sample), and the
make targets' scripts (conformance.sh) and test clean-up."""
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from harness import BIN, ROOT, Server, basic, new_label, wait_for

RUNNER = os.path.join(ROOT, "..", "shared", "conformance", "doris", "run.py")


def make_table(s):
    s.sql("CREATE DATABASE IF NOT EXISTS d")
    s.sql("CREATE TABLE IF NOT EXISTS t (id INT, name VARCHAR(32)) DUPLICATE KEY(id) "
          "DISTRIBUTED BY HASH(id) BUCKETS 1", "d")


def rows(n, start=0):
    return b"".join(b"%d,n%d\n" % (i, i) for i in range(start, start + n))


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def open_load(s, label):
    """A chunked Stream Load on the load port, left open; returns once the server has begun it
    (its label is PREPARE), so a signal sent afterwards finds it in flight."""
    sock = socket.create_connection(("127.0.0.1", s.be), timeout=30)
    head = ["PUT /api/d/t/_stream_load HTTP/1.1", "Host: 127.0.0.1", "Authorization: " + basic(),
            "label: " + label, "column_separator: ,", "Transfer-Encoding: chunked"]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + chunk(rows(100)))

    def prepared():
        r = s.request("GET", "/api/d/get_load_state?label=" + label,
                      [("Authorization", basic())])
        return r.json()["data"] == "PREPARE"
    wait_for(prepared, timeout=10, what="the load to begin")
    return sock


def reply_of(buf):
    """The JSON body of a complete HTTP reply in buf, or None while it is incomplete."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    m = re.search(rb"Content-Length: (\d+)", head)
    if not sep or not m or len(body) < int(m.group(1)):
        return None
    return json.loads(body[:int(m.group(1))])


def keep_sending_until_reply(sock, timeout=30):
    """A slow client: a chunk every 50 ms until the server answers; returns the reply."""
    buf, deadline, i = b"", time.time() + timeout, 0
    while time.time() < deadline:
        try:
            sock.sendall(chunk(rows(1, 1000 + i)))
            i += 1
        except OSError:
            pass  # the server stopped reading after its reply: read it
        ready, _, _ = select.select([sock], [], [], 0.05)
        if ready:
            data = sock.recv(65536)
            buf += data
            doc = reply_of(buf)
            if doc is not None:
                return doc
            if not data:
                break
    raise AssertionError("no complete reply: %r" % buf[:300])


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


def count(s):
    return s.rows("SELECT count(*) FROM t", "d")[0][0]


class DataDirLockTest(unittest.TestCase):
    def test_second_server_on_same_data_dir_refused(self):
        a = Server()
        try:
            args = [BIN, "serve", "--data-dir", a.data_dir, "--bind", "127.0.0.1",
                    "--fe-port", "0", "--be-port", "0", "--tsload-port", "-1", "--mysql-port", "-1"]
            p = subprocess.run(args, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("DATA_DIR %s is in use by pid %d" % (a.data_dir, a.proc.pid), p.stderr)
            self.assertEqual(a.request("GET", "/api/health").status, 200)  # the first is fine
            a.kill9()   # a crash releases the lock with the process
            a.start()
            a.stop()    # and so does a clean exit
            a.start()
            self.assertEqual(a.request("GET", "/api/health").status, 200)
        finally:
            a.close()


class ShutdownTest(unittest.TestCase):
    def stderr_after_exit(self, s):
        rc = s.proc.wait(timeout=30)
        err = s.stderr_text()
        return rc, err

    def test_sigterm_lets_a_load_in_flight_finish(self):
        s = Server()  # shutdown_grace_second: default 30
        try:
            make_table(s)
            label = new_label()
            sock = open_load(s, label)
            s.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: refused(s.fe) and refused(s.be), timeout=10,
                     what="the listeners to close")
            self.assertIsNone(s.proc.poll())  # still running: the load is in flight
            sock.sendall(chunk(rows(100, 100)) + b"0\r\n\r\n")
            buf = b""
            while reply_of(buf) is None:
                data = sock.recv(65536)
                self.assertTrue(data, "closed before the reply: %r" % buf)
                buf += data
            doc = reply_of(buf)
            self.assertEqual(doc["Status"], "Success", doc)
            self.assertEqual(doc["NumberLoadedRows"], 200)
            self.assertIn(b"Connection: close", buf)
            sock.close()
            rc, err = self.stderr_after_exit(s)
            self.assertEqual(rc, 0, err)
            # the load, and perhaps the reply to the last get_load_state poll still being written
            self.assertRegex(err, r"sluice: shutting down: no new connections; [12] requests? in "
                                  r"flight, grace 30000 ms\n")
            self.assertNotIn("cut off", err)
            s.start()
            self.assertEqual(count(s), 200)
        finally:
            s.close()

    def check_cut_off(self, s, second_signal):
        make_table(s)
        label = new_label()
        sock = open_load(s, label)
        s.proc.send_signal(signal.SIGTERM)
        if second_signal:
            s.proc.send_signal(signal.SIGINT)
        doc = keep_sending_until_reply(sock)
        sock.close()
        self.assertEqual(doc["Status"], "Fail", doc)
        self.assertEqual(doc["Label"], label)
        self.assertRegex(doc["Message"], r"^\[INTERNAL_ERROR\]load cancelled: the server is "
                                         r"shutting down")
        rc, err = self.stderr_after_exit(s)
        self.assertEqual(rc, 0, err)
        self.assertIn("shutting down: no new connections", err)
        self.assertEqual(len(re.findall(r"cut off PUT /api/d/t/_stream_load from 127\.0\.0\.1",
                                        err)), 1, err)
        s.start()
        self.assertEqual(count(s), 0)
        r = s.request("GET", "/api/d/get_load_state?label=" + label, [("Authorization", basic())])
        self.assertIn(r.json()["data"], ("ABORTED", "UNKNOWN"))

    def test_tiny_grace_cuts_off_with_doris_fail(self):
        s = Server(extra=["--set", "shutdown_grace_second=1"])
        try:
            self.check_cut_off(s, second_signal=False)
        finally:
            s.close()

    def test_second_signal_cuts_off_at_once(self):
        s = Server()  # a 30 s grace the second signal does not wait for
        try:
            self.check_cut_off(s, second_signal=True)
        finally:
            s.close()

    def test_idle_keep_alive_connection_does_not_hold_shutdown(self):
        s = Server()  # 30 s grace; an idle connection is closed at once
        try:
            sock = socket.create_connection(("127.0.0.1", s.fe), timeout=20)
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += sock.recv(65536)
            self.assertIn(b"Connection: keep-alive", buf)
            s.proc.send_signal(signal.SIGTERM)
            rc = s.proc.wait(timeout=15)  # well under the grace
            self.assertEqual(rc, 0)
            rest = b""
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                rest += data
            self.assertNotIn(b"HTTP/1.1", rest)
            sock.close()
        finally:
            s.close()


def run_cli(args, env=None, timeout=30):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BIN] + args, capture_output=True, text=True, timeout=timeout, env=e)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_sql_says_why_it_failed(self):
        p = run_cli(["sql", "--port", str(self.s.ts), "SELECT 1"])  # HTTPS, not plain HTTP
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertIn("sluice sql: no HTTP answer from 127.0.0.1:%d" % self.s.ts, p.stderr)
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        free.close()
        p = run_cli(["sql", "--port", str(port), "SELECT 1"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("sluice sql: cannot connect to 127.0.0.1:%d" % port, p.stderr)

    def test_unknown_options_are_named(self):
        for args, text in ((["sql", "--bogus", "SELECT 1"], "sluice sql: unknown option --bogus"),
                           (["sql", "SELECT 1", "--port"], "sluice sql: option --port needs a value"),
                           (["serve", "--bogus", "1"], "sluice serve: unknown option --bogus"),
                           (["serve", "--fe-port"], "sluice serve: missing value for option --fe-port"),
                           (["user", "add", "x", "--bogus"], "sluice user: unknown option --bogus")):
            p = run_cli(args)
            self.assertEqual(p.returncode, 2, args)
            self.assertTrue(p.stderr.startswith(text + "\n"), (args, p.stderr))
            self.assertIn("usage: sluice", p.stderr)

    def test_environment_errors_name_the_variable(self):
        d = tempfile.mkdtemp(prefix="sluice-e2e-")
        try:
            p = run_cli(["serve", "--data-dir", d], {"SLUICE_FE_PORT": "abc"})
            self.assertEqual(p.returncode, 2)
            self.assertIn("environment variable SLUICE_FE_PORT (setting fe_port): not a valid "
                          "port", p.stderr)
            p = run_cli(["serve", "--data-dir", d], {"SLUICE_TRUNCATE_STRINGS": "maybe"})
            self.assertEqual(p.returncode, 2)
            self.assertIn("SLUICE_TRUNCATE_STRINGS", p.stderr)
            self.assertIn("not a boolean", p.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_tsv_output_is_escaped(self):
        s = self.s
        s.sql("CREATE DATABASE IF NOT EXISTS tsv")
        s.sql("CREATE TABLE IF NOT EXISTS e (id INT, v VARCHAR(32)) DUPLICATE KEY(id) "
              "DISTRIBUTED BY HASH(id) BUCKETS 1", "tsv")
        body = json.dumps([{"id": 1, "v": "a\tb"}, {"id": 2, "v": "two\nlines"},
                           {"id": 3, "v": "back\\slash \\N"}, {"id": 4, "v": None},
                           {"id": 5, "v": "plain"}]).encode()
        r = s.load("tsv", "e", body, [("format", "json"), ("strip_outer_array", "true")])
        self.assertEqual(r.json()["Status"], "Success", r.text)
        p = run_cli(["sql", "--port", str(s.fe), "--db", "tsv", "SELECT id, v FROM e ORDER BY id"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "id\tv\n1\ta\\tb\n2\ttwo\\nlines\n3\tback\\\\slash \\\\N\n"
                                   "4\t\\N\n5\tplain\n")
        # one line per row however the values look
        self.assertEqual(len(p.stdout.splitlines()), 6)

    def test_serve_help_lists_every_key_and_the_sample_matches(self):
        p = run_cli(["serve", "--help"])
        self.assertEqual(p.returncode, 0)
        keys = re.findall(r"^  (\w+) = (.*?)  \((SLUICE_\w+)\)$", p.stdout, re.M)
        self.assertGreaterEqual(len(keys), 20)
        for key, _, env in keys:
            self.assertEqual(env, "SLUICE_" + key.upper())
        names = [k for k, _, _ in keys]
        for k in ("data_dir", "fe_port", "be_port", "tsload_port", "shutdown_grace_second",
                  "stream_load_default_timeout_second", "truncate_strings", "workers"):
            self.assertIn(k, names)
        self.assertIn(("shutdown_grace_second", "30", "SLUICE_SHUTDOWN_GRACE_SECOND"), keys)
        with open(os.path.join(ROOT, "docs", "sluice.conf.sample")) as f:
            sample = f.read()
        in_sample = re.findall(r"^# (\w+) =(?: (.*))?$", sample, re.M)
        self.assertEqual([(k, v or "") for k, v in in_sample], [(k, v) for k, v, _ in keys])
        with open(os.path.join(ROOT, "README.md")) as f:
            self.assertIn("docs/sluice.conf.sample", f.read())
        # every key of the sample, uncommented, is accepted by a real server
        conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
        with conf:
            conf.write(re.sub(r"^# (\w+ =.*)$", r"\1", sample, flags=re.M))
        try:
            srv = Server(extra=["--config", conf.name])
            try:
                self.assertEqual(srv.request("GET", "/api/health").status, 200)
            finally:
                srv.close()
        finally:
            os.unlink(conf.name)


def clean_env():
    """The environment without the calling make's flags (make test runs these tests)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


class MakeTargetsTest(unittest.TestCase):
    def test_recursive_builds_are_parallel_and_e2e_exists(self):
        if shutil.which("make") is None:
            self.skipTest("make not installed")
        for target, pattern in (("test", r"-j\d+ all unit FLAVOR=release"),
                                ("e2e", r"SLUICE_BIN=\S+/build/release/sluice python3 "
                                        r"tests/e2e/run\.py"),
                                ("conformance", r"sh tests/e2e/conformance\.sh build/release")):
            p = subprocess.run(["make", "-n", "-C", ROOT, target], capture_output=True,
                               text=True, timeout=120, env=clean_env())
            self.assertRegex(p.stdout, pattern, (target, p.stderr[-500:]))

    @unittest.skipUnless(os.path.exists(RUNNER), "shared/conformance is not beside the checkout")
    def test_conformance_script_runs_and_cleans_up(self):
        tmp = tempfile.mkdtemp(prefix="sluice-e2e-tmp-")
        try:
            env = dict(clean_env(), TMPDIR=tmp)
            p = subprocess.run(["sh", os.path.join(ROOT, "tests", "e2e", "conformance.sh"),
                                os.path.dirname(BIN), "--only",
                                "test_stream_load_illegal_timeout/timeout_abc"],
                               capture_output=True, text=True, timeout=120, env=env)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("PASS test_stream_load_illegal_timeout/timeout_abc", p.stdout)
            self.assertIn("1 passed, 0 failed", p.stdout)
            self.assertEqual(os.listdir(tmp), [])  # data directory removed, server stopped
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_yamcs_tests_leave_no_temp_dir(self):
        tmp = tempfile.mkdtemp(prefix="sluice-e2e-tmp-")
        try:
            p = subprocess.run([sys.executable, "-c", "import test_yamcs"],
                               cwd=os.path.dirname(os.path.abspath(__file__)),
                               capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, TMPDIR=tmp))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(os.listdir(tmp), [])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
