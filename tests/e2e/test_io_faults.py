"""I/O faults (issue 17): a full disk and failing fsync in the middle of loads. Each case: the
client gets a clear error in its protocol's form, nothing of the load is visible, its label is
reusable, the server stays up and serves the next load, and a kill -9 and restart agree.

The full disk is a small tmpfs mounted for the test (we run as root; without the right to mount
the cases are skipped, saying so). Failing fsync is an LD_PRELOAD shim the test builds from
tests/e2e/faults/fsync_fail.c: while a flag file exists, fsync/fdatasync of matching paths fail
with EIO; no test code is in the product.

On the embedded store the disk is the data directory's: segments and catalog.db. On PostgreSQL
the rows are on PostgreSQL's disk, which sluice does not own; what sluice writes itself is tested
there: the spool of Parquet/ORC bodies and the error logs in its data directory (full disk), and
the durable tsload session files (fsync failing).
"""
import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import ROOT, STORE, Server, basic, new_label, wait_for
from test_crash_campaign import TS_BASE, TsClient, read_http_reply

SHIM_SRC = os.path.join(ROOT, "tests/e2e/faults/fsync_fail.c")
SANITIZED = bool(os.environ.get("SLUICE_SANITIZED"))


def rows_csv(start, n):
    return b"".join(b"%d,name%d\n" % (i, i) for i in range(start, start + n))


def hex_rows_csv(start, n):
    """Rows whose names (32 hex digits) hardly compress: the store's column chunks hold them
    in about 36 bytes a row, so a body is as large on disk as the test needs it to be."""
    return b"".join(b"%d,%s\n" % (i, hashlib.md5(b"%d" % i).hexdigest().encode())
                    for i in range(start, start + n))


@contextlib.contextmanager
def env(**kv):
    """os.environ with kv set while a server starts (the child copies it)."""
    old = {k: os.environ.get(k) for k in kv}
    os.environ.update({k: v for k, v in kv.items() if v is not None})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def mount_tmpfs(size):
    """A fresh tmpfs of size bytes; (path, None) or (None, why not)."""
    d = tempfile.mkdtemp(prefix="sluice-e2e-full-")
    if os.geteuid() != 0:
        os.rmdir(d)
        return None, "mounting a small tmpfs needs root"
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", d],
                       capture_output=True, text=True)
    if p.returncode != 0:
        os.rmdir(d)
        return None, "cannot mount a tmpfs: " + p.stderr.strip()
    return d, None


def umount(d):
    subprocess.run(["umount", "-l", d], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def free_bytes(d):
    st = os.statvfs(d)
    return st.f_bavail * st.f_frsize


class LoadChecks:
    """Helpers shared by the cases (a mixin of unittest.TestCase)."""

    def make_table(self, s):
        s.sql("CREATE DATABASE IF NOT EXISTS d")
        s.sql("CREATE TABLE IF NOT EXISTS t (id INT, name VARCHAR(32)) DUPLICATE KEY(id) "
              "DISTRIBUTED BY HASH(id) BUCKETS 1", "d")

    def load(self, s, body, label, extra=()):
        return s.load("d", "t", body, [("column_separator", ",")] + list(extra),
                      label=label, via_fe=False).json()

    def load_big(self, s, body, label):
        """A load whose body may be refused before it is all sent (the server replies and
        closes early): sent in pieces on a raw socket, send errors ignored, the reply read."""
        sock = socket.create_connection(("127.0.0.1", s.be), timeout=60)
        try:
            head = ["PUT /api/d/t/_stream_load HTTP/1.1", "Host: 127.0.0.1",
                    "Authorization: " + basic(), "label: " + label, "column_separator: ,",
                    "Content-Length: %d" % len(body)]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            for i in range(0, len(body), 1 << 20):
                try:
                    sock.sendall(body[i:i + (1 << 20)])
                except OSError:
                    break
            rep = read_http_reply(sock, timeout=60)
            self.assertIsNotNone(rep, "no reply to the load")
            return json.loads(rep[1])
        finally:
            sock.close()

    def count(self, s):
        return s.rows("select count(*) from t", "d")[0][0]

    def state(self, s, label):
        return s.request("GET", "/api/d/get_load_state?label=" + label,
                         [("Authorization", basic())]).json()["data"]

    def assert_clear_failure(self, doc, *words):
        """A Doris reply that says Fail with a message naming the cause."""
        self.assertEqual(doc["Status"], "Fail", doc)
        msg = doc["Message"].lower()
        self.assertTrue(any(w in msg for w in words), doc)

    def assert_serves(self, s, before):
        """The server answers, loads and keeps what it had."""
        label = new_label()
        doc = self.load(s, rows_csv(900000, 10), label)
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.count(s), before + 10)
        return before + 10


class DiskFullTest(LoadChecks, unittest.TestCase):
    def setUp(self):
        self.mnt, why = mount_tmpfs(8 << 20)
        if self.mnt is None:
            self.skipTest(why)
        self.s = None

    def tearDown(self):
        if self.s:
            self.s.close()
        umount(self.mnt)

    def start(self):
        self.s = Server(data_dir=os.path.join(self.mnt, "data"))
        self.make_table(self.s)

    @unittest.skipIf(STORE != "sqlite", "the rows are on PostgreSQL's disk, not sluice's")
    def test_disk_fills_mid_load(self):
        self.start()
        n = self.assert_serves(self.s, 0)
        free0 = free_bytes(self.mnt)
        # bodies larger than the free space once stored (~36 bytes a row): the disk fills
        # while rows are written (the larger one) or when the segments are committed (the
        # smaller one, whose last pages the writers' page caches hold until then)
        for rows in (1200000, 250000):
            label = new_label()
            body = hex_rows_csv(0, rows)
            doc = self.load_big(self.s, body, label)
            self.assert_clear_failure(doc, "disk is full", "no space")
            self.assertEqual(self.count(self.s), n)
            self.assertEqual(self.state(self.s, label), "ABORTED")
            # the aborted load's files are gone and closed: the space is back
            self.assertGreater(free_bytes(self.mnt), free0 - (1 << 20), rows)
            n = self.assert_serves(self.s, n)
        # the label is free again, and a restart keeps exactly what was acknowledged
        doc = self.load(self.s, rows_csv(1000, 100), label)
        self.assertEqual(doc["Status"], "Success", doc)
        n += 100
        self.s.kill9()
        self.s.start()
        self.assertEqual(self.count(self.s), n)
        self.assertEqual(self.state(self.s, label), "VISIBLE")

    def fill(self, leave):
        """Fill the tmpfs until about leave bytes are free; returns the filler's path."""
        path = os.path.join(self.mnt, "filler")
        with open(path, "wb") as f:
            f.write(b"\0" * max(0, free_bytes(self.mnt) - leave))
        return path

    def test_spool_dir_full(self):
        """A Parquet body is spooled whole in the data directory before it is read."""
        self.start()
        n = self.assert_serves(self.s, 0)
        filler = self.fill(256 << 10)
        body = b"PAR1" + os.urandom(2 << 20)  # 2 MiB: more than is free
        label = new_label()
        doc = self.load(self.s, body, label, [("format", "parquet")])
        self.assert_clear_failure(doc, "no space", "disk is full")
        os.unlink(filler)
        self.assertEqual(self.count(self.s), n)
        # the disk was too full for the abort too: it is written again once there is room,
        # and the label is free (not PREPARE until the load's timeout)
        wait_for(lambda: self.state(self.s, label) == "ABORTED", timeout=15,
                 what="the failed load's abort")
        # with space again the same body is spooled and read: now it is refused for what it is
        doc = self.load(self.s, body, label, [("format", "parquet")])
        self.assertEqual(doc["Status"], "Fail", doc)
        self.assertNotIn("no space", doc["Message"].lower(), doc)
        self.assert_serves(self.s, n)

    def test_error_log_dir_full(self):
        """Rows filtered by the load go to an error log in the data directory, which is full
        to the last byte (on the embedded store, so is the catalog)."""
        self.start()
        n = self.assert_serves(self.s, 0)
        filler = self.fill(0)
        bad = b"".join(b"x%d,name\n" % i for i in range(2000))  # ids that are not INTs
        label = new_label()
        doc = self.load(self.s, rows_csv(0, 50) + bad, label,
                        [("max_filter_ratio", "1"), ("strict_mode", "true")])
        if doc["Status"] == "Success":
            self.assertEqual((doc["NumberLoadedRows"], doc["NumberFilteredRows"]), (50, 2000))
            self.assertEqual(self.count(self.s), n + 50)
            n += 50
            if "ErrorURL" in doc:  # what could be written of the log is readable
                u = doc["ErrorURL"]
                r = self.s.request("GET", u[u.index("/api/"):], [("Authorization", basic())])
                self.assertIn(r.status, (200, 404), r.text)
        else:
            self.assert_clear_failure(doc, "no space", "disk is full")
            self.assertEqual(self.count(self.s), n)
        os.unlink(filler)
        # the label tells the outcome: VISIBLE, or (refused at begin) UNKNOWN, or ABORTED -
        # at once or once there is room for the abort
        ok = ("VISIBLE",) if doc["Status"] == "Success" else ("ABORTED", "UNKNOWN")
        wait_for(lambda: self.state(self.s, label) in ok, timeout=15,
                 what="the load's outcome %s in its label" % (ok,))
        self.assert_serves(self.s, n)


@unittest.skipIf(shutil.which("cc") is None, "no C compiler to build the fsync shim")
class FsyncFaultTest(LoadChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-e2e-fsync-")
        cls.shim = os.path.join(cls.tmp, "fsync_fail.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", cls.shim, SHIM_SRC, "-ldl"],
                       check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.flag = os.path.join(self.tmp, "flag-" + new_label())
        self.s = None

    def tearDown(self):
        if os.path.exists(self.flag):
            os.unlink(self.flag)
        if self.s:
            self.s.close()

    def start(self, match):
        kv = {"LD_PRELOAD": self.shim, "SLUICE_FAULT_FSYNC_FLAG": self.flag,
              "SLUICE_FAULT_FSYNC_MATCH": match}
        if SANITIZED:  # ASan wants to come first; the shim only wraps two libc calls
            kv["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                                  ":verify_asan_link_order=0").lstrip(":")
        with env(**kv):
            if self.s is None:
                self.s = Server()
            else:
                self.s.start()
        self.make_table(self.s)

    def fault(self, on):
        if on:
            open(self.flag, "w").close()
        elif os.path.exists(self.flag):
            os.unlink(self.flag)

    def chunked_load(self, label, first, rest, between):
        """A chunked Stream Load: first, then between() (the load is running), then rest."""
        sock = socket.create_connection(("127.0.0.1", self.s.be), timeout=60)
        try:
            head = ["PUT /api/d/t/_stream_load HTTP/1.1", "Host: 127.0.0.1",
                    "Authorization: " + basic(), "label: " + label, "column_separator: ,",
                    "Transfer-Encoding: chunked"]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            sock.sendall(b"%x\r\n%s\r\n" % (len(first), first))
            wait_for(lambda: self.state(self.s, label) == "PREPARE", what="the load to begin")
            between()
            sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
            rep = read_http_reply(sock, timeout=60)
            self.assertIsNotNone(rep, "no reply to the load")
            return json.loads(rep[1])
        finally:
            sock.close()

    def fsync_fails_at_commit(self, match):
        self.start(match)
        n = self.assert_serves(self.s, 0)
        label = new_label()
        # the disk fails while the load runs: its commit cannot be made durable
        doc = self.chunked_load(label, rows_csv(0, 2000), rows_csv(2000, 3000),
                                lambda: self.fault(True))
        self.fault(False)
        self.assert_clear_failure(doc, "fsync", "i/o", "disk")
        self.assertEqual(self.count(self.s), n)
        # aborted, at once or (when the catalog refused the abort too) soon after
        wait_for(lambda: self.state(self.s, label) == "ABORTED", timeout=15,
                 what="the failed load's abort")
        n = self.assert_serves(self.s, n)
        # a restart finds exactly the acknowledged loads, and the label is free
        self.s.kill9()
        self.start(match)
        self.assertEqual(self.count(self.s), n)
        self.assertEqual(self.state(self.s, label), "ABORTED")
        doc = self.load(self.s, rows_csv(0, 5000), label)
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.count(self.s), n + 5000)

    @unittest.skipIf(STORE != "sqlite", "catalog.db is the embedded store's")
    def test_catalog_fsync_fails_then_kill(self):
        """kill -9 right after the failed commit (before anything else is written): the WAL
        may hold the commit's frames, yet the restart must not make the failed load visible."""
        self.start("catalog.db")
        for _ in range(2):
            label = new_label()
            doc = self.chunked_load(label, rows_csv(0, 2000), rows_csv(2000, 3000),
                                    lambda: self.fault(True))
            self.assert_clear_failure(doc, "fsync", "i/o", "disk")
            self.s.kill9()
            self.fault(False)
            self.start("catalog.db")
            self.assertEqual(self.count(self.s), 0)
            self.assertIn(self.state(self.s, label), ("ABORTED", "UNKNOWN"))
        doc = self.load(self.s, rows_csv(0, 10), label)
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.count(self.s), 10)

    def test_fsync_fails_at_begin(self):
        """The catalog cannot record the load's label: refused before any row is taken."""
        if STORE != "sqlite":
            self.skipTest("catalog.db is the embedded store's")
        self.start("catalog.db")
        label = new_label()
        self.fault(True)
        doc = self.load(self.s, rows_csv(0, 100), label)
        self.fault(False)
        self.assert_clear_failure(doc, "fsync", "i/o", "disk")
        self.assertEqual(self.count(self.s), 0)
        self.assertIn(self.state(self.s, label), ("UNKNOWN", "ABORTED"))
        self.assertEqual(self.assert_serves(self.s, 0), 10)

    @unittest.skipIf(STORE != "sqlite", "segment files are the embedded store's")
    def test_segment_fsync_fails(self):
        self.fsync_fails_at_commit("/segments/")

    @unittest.skipIf(STORE != "sqlite", "catalog.db is the embedded store's")
    def test_catalog_fsync_fails(self):
        self.fsync_fails_at_commit("catalog.db")

    @unittest.skipIf(STORE != "sqlite", "2PC stages of the embedded store")
    def test_fsync_fails_at_2pc_commit(self):
        self.start("catalog.db")
        label = new_label()
        doc = self.load(self.s, rows_csv(0, 300), label, [("two_phase_commit", "true")])
        self.assertEqual(doc["Status"], "Success", doc)
        self.fault(True)
        r = self.s.request("PUT", "/api/d/t/_stream_load_2pc",
                           [("Authorization", basic()), ("label", label),
                            ("txn_operation", "commit")], b"").json()
        self.fault(False)
        self.assertNotEqual(r["status"], "Success", r)
        self.assertTrue(r["msg"], r)
        self.assertEqual(self.count(self.s), 0)
        self.assertEqual(self.state(self.s, label), "PRECOMMITTED")
        # the second phase again, now with a working disk
        r = self.s.request("PUT", "/api/d/t/_stream_load_2pc",
                           [("Authorization", basic()), ("label", label),
                            ("txn_operation", "commit")], b"").json()
        self.assertEqual(r["status"], "Success", r)
        self.assertEqual(self.count(self.s), 300)
        self.s.kill9()
        self.start("catalog.db")
        self.assertEqual(self.count(self.s), 300)
        self.assertEqual(self.state(self.s, label), "VISIBLE")

    def test_tsload_cycle_fsync_fails(self):
        """A tsload cycle is written durably to the data directory when it starts (both
        stores): StartLoad fails clearly, and works again once the disk does."""
        self.start("/tsload/")
        c = TsClient(self.s.ts)
        st, _ = c.login()
        self.assertEqual(st, 200)
        params = json.dumps({"target": {"database": "d", "table": "t"}}).encode()
        self.fault(True)
        st, text = c.call("POST", TS_BASE + "/loads", params)
        self.fault(False)
        self.assertEqual(st, 500, text)
        self.assertIn("cannot write the load cycle", text)
        st, text = c.call("POST", TS_BASE + "/loads", params)
        self.assertEqual(st, 202, text)
        self.assertEqual(self.assert_serves(self.s, 0), 10)

if __name__ == "__main__":
    unittest.main()
