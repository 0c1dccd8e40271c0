"""A restart of PostgreSQL under a running sluice (issue 11), on a PostgreSQL of this test's own
(tests/pg/pg.sh, so that restarting it disturbs no other test): a load whose body is still
arriving when the engine restarts, after it has begun sending rows to PostgreSQL, fails with a
clear Doris-shaped error, shows nothing and leaves its label reusable; what was acknowledged before
is intact; sluice needs no restart and loads again at once; a load whose first rows are still
buffered in sluice (a writer takes its connection at the first 1 MiB of tuples) rides out the
restart and loads everything; a precommitted (2PC) load survives the restart and commits after
it."""
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import ROOT, Server, basic, new_label, wait_for

PG = os.path.join(ROOT, "tests/pg/pg.sh")


FIRST = 100000


def chunked_load(port, label, first):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(("PUT /api/r/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
               "label: %s\r\ncolumn_separator: ,\r\nTransfer-Encoding: chunked\r\n\r\n"
               % (basic(), label)).encode())
    s.sendall(b"%x\r\n" % len(first) + first + b"\r\n")
    return s


def finish(sock, last):
    sock.sendall(b"%x\r\n" % len(last) + last + b"\r\n0\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    return data.decode("utf-8", "replace")


class PostgresRestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sluice-e2e-pgrestart-")
        r = subprocess.run(["sh", PG, "start", cls.dir], capture_output=True, text=True)
        if r.returncode != 0:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise RuntimeError("PostgreSQL did not start: " + r.stderr)
        cls.url = r.stdout.strip()
        cls.s = Server(store=cls.url)
        cls.s.sql("CREATE DATABASE r")
        cls.s.sql("CREATE TABLE r.t (k INT, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) "
                  "BUCKETS 1")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()
        subprocess.run(["sh", PG, "stop", cls.dir], capture_output=True)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def restart_pg(self):
        r = subprocess.run(["sh", PG, "restart", self.dir], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def received(self, label):
        """Rows the running load with this label has decoded so far (SHOW PROC), else 0."""
        doc = self.s.sql("SHOW PROC '/stream_loads'")["data"]
        return next((int(r[10]) for r in doc["data"] if r[0] == label), 0)

    def count(self):
        return self.s.rows("SELECT count(*) FROM t", "r")[0][0]

    def load(self, body, label=None, extra=()):
        return self.s.load("r", "t", body, [("column_separator", ",")] + list(extra),
                           via_fe=False, label=label).json()

    def test_restart_mid_load(self):
        acked = self.load(b"1,1\n2,2\n")
        self.assertEqual(acked["Status"], "Success", acked)
        base = self.count()
        label = new_label()
        # 100,000 rows are 1.8 MB of binary COPY tuples: past the 1 MiB at which the writer
        # takes its connection and starts sending
        sock = chunked_load(self.s.be, label, b"".join(b"%d,7\n" % i for i in range(FIRST)))
        wait_for(lambda: self.received(label) >= FIRST, timeout=30,
                 what="the first rows to reach the writer")
        self.restart_pg()
        reply = finish(sock, b"".join(b"%d,8\n" % i for i in range(1000)))
        self.assertIn('"Status": "Fail"', reply)
        self.assertIn("store unavailable", reply)
        # nothing of it visible, the acknowledged load intact, sluice serving without a restart
        self.assertEqual(self.count(), base)
        # the label is free again: the same label loads now
        again = self.load(b"10,1\n", label=label)
        self.assertEqual(again["Status"], "Success", again)
        self.assertEqual(self.count(), base + 1)

    def test_restart_before_the_first_send(self):
        """A load that has only a few rows when PostgreSQL restarts has not taken a connection
        yet: it completes after the restart with every row."""
        base = self.count()
        label = new_label()
        sock = chunked_load(self.s.be, label, b"".join(b"%d,5\n" % i for i in range(500)))
        wait_for(lambda: self.received(label) >= 500, timeout=30,
                 what="the first rows to be decoded")
        self.restart_pg()
        reply = finish(sock, b"".join(b"%d,6\n" % i for i in range(500, 1000)))
        self.assertIn('"Status": "Success"', reply)
        self.assertIn('"NumberLoadedRows": 1000', reply)
        self.assertEqual(self.count(), base + 1000)

    def test_precommit_survives_a_restart(self):
        label = new_label()
        pre = self.load(b"20,1\n21,1\n", label=label, extra=[("two_phase_commit", "true")])
        self.assertEqual(pre["Status"], "Success", pre)
        base = self.count()
        self.restart_pg()
        r = self.s.request("PUT", "/api/r/t/_stream_load_2pc",
                           [("Authorization", basic()), ("label", label),
                            ("txn_operation", "commit")], b"", port=self.s.be)
        doc = r.json()  # idle connections are replaced when taken: no retry needed
        self.assertEqual(doc.get("status"), "Success", doc)
        self.assertEqual(self.count(), base + 2)


if __name__ == "__main__":
    unittest.main()
