"""Atomicity, durability and concurrency over real HTTP: kill -9 mid-load and after the reply,
two concurrent loads into one table, the timeout header."""
import json
import os
import socket
import time
import unittest

from harness import STORE, Server, basic, new_label, wait_for


def open_chunked_load(port, db, table, label, extra=()):
    """Start a chunked Stream Load on a raw socket; returns the socket after the head."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = ["PUT /api/%s/%s/_stream_load HTTP/1.1" % (db, table), "Host: 127.0.0.1",
            "Authorization: " + basic(), "label: " + label, "column_separator: ,",
            "Transfer-Encoding: chunked"] + ["%s: %s" % kv for kv in extra]
    s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    return s


def send_chunk(s, data):
    s.sendall(b"%x\r\n%s\r\n" % (len(data), data))


def finish(s):
    s.sendall(b"0\r\n\r\n")
    return read_reply(s)


def read_reply(s, timeout=30):
    s.settimeout(timeout)
    buf = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        if not c:
            break
        buf += c
        head, sep, body = buf.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    if len(body) >= int(line.split(b":")[1]):
                        return json.loads(body[:int(line.split(b":")[1])])
    raise AssertionError("no complete reply: %r" % buf[:300])


def rows(n, start=0):
    return b"".join(b"%d,name%d\n" % (i, i) for i in range(start, start + n))


class DurabilityTest(unittest.TestCase):
    def setUp(self):
        self.s = Server()
        self.s.sql("CREATE DATABASE d")
        self.s.sql("CREATE TABLE t (id INT, name VARCHAR(32)) DUPLICATE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "d")

    def tearDown(self):
        self.s.close()

    def count(self):
        return self.s.rows("select count(*) from t", "d")[0][0]

    def state(self, label):
        return self.s.request("GET", "/api/d/get_load_state?label=" + label,
                              [("Authorization", basic())]).json()["data"]

    def progress(self, label):
        rows = self.s.rows("SHOW TRANSACTION WHERE label = '%s'" % label, "d")
        return rows[0][9] if rows else 0

    def test_kill9_after_reply_keeps_rows(self):
        label = new_label()
        r = self.s.load("d", "t", rows(20000), [("column_separator", ",")], label=label)
        self.assertEqual(r.json()["Status"], "Success")
        self.s.kill9()
        self.s.start()
        self.assertEqual(self.count(), 20000)
        self.assertEqual(self.state(label), "VISIBLE")

    def test_kill9_mid_load_leaves_nothing_and_frees_label(self):
        label = new_label()
        sock = open_chunked_load(self.s.be, "d", "t", label)
        for i in range(20):
            send_chunk(sock, rows(2000, i * 2000))
        # rows are in the store's hands (the running load's progress, saved every heartbeat)
        wait_for(lambda: self.progress(label) > 0, timeout=20, what="rows being written")
        self.assertEqual(self.state(label), "PREPARE")
        self.s.kill9()
        sock.close()
        self.s.start()
        self.assertEqual(self.count(), 0)
        self.assertEqual(self.state(label), "ABORTED")
        if STORE == "sqlite":
            seg_dir = os.path.join(self.s.data_dir, "segments")
            leftovers = [f for _, _, fs in os.walk(seg_dir) for f in fs]
            self.assertEqual(leftovers, [], "orphan segment files were not removed")
        r = self.s.load("d", "t", rows(10), [("column_separator", ",")], label=label)
        self.assertEqual(r.json()["Status"], "Success")
        self.assertEqual(self.count(), 10)

    def test_client_vanishes_mid_load(self):
        label = new_label()
        sock = open_chunked_load(self.s.be, "d", "t", label)
        send_chunk(sock, rows(1000))
        sock.close()
        wait_for(lambda: self.state(label) == "ABORTED", what="abort after disconnect")
        self.assertEqual(self.count(), 0)

    def test_two_concurrent_loads_do_not_wait_for_each_other(self):
        a = open_chunked_load(self.s.be, "d", "t", new_label())
        send_chunk(a, rows(5000, 0))
        b = open_chunked_load(self.s.be, "d", "t", new_label())
        send_chunk(b, rows(5000, 100000))
        # b finishes while a is still uploading: its reply must not wait for a's body
        rb = finish(b)
        self.assertEqual(rb["Status"], "Success", rb)
        self.assertEqual(self.count(), 5000)
        send_chunk(a, rows(5000, 5000))
        ra = finish(a)
        self.assertEqual(ra["Status"], "Success", ra)
        self.assertEqual(self.count(), 15000)
        a.close()
        b.close()

    def test_many_loads_compact_and_stay_queryable(self):
        for i in range(14):
            r = self.s.load("d", "t", rows(100, i * 100), [("column_separator", ",")])
            self.assertEqual(r.json()["Status"], "Success")
        self.assertEqual(self.count(), 1400)
        self.assertEqual(self.s.rows("select min(id), max(id) from t", "d")[0], [0, 1399])
        if STORE == "sqlite":  # the embedded engine's segment files
            seg = os.path.join(self.s.data_dir, "segments")
            # compaction runs in the background after commits: wait until it has caught up
            wait_for(lambda: len([f for _, _, fs in os.walk(seg) for f in fs]) <= 6, timeout=20,
                     what="background compaction")
        self.assertEqual(self.count(), 1400)

    def test_timeout_header_aborts_slow_load(self):
        label = new_label()
        sock = open_chunked_load(self.s.be, "d", "t", label, [("timeout", "1")])
        send_chunk(sock, rows(100))
        t0 = time.time()
        reply = read_reply(sock, timeout=15)
        self.assertLess(time.time() - t0, 10)
        self.assertEqual(reply["Status"], "Fail")
        self.assertIn("[TIMEOUT]", reply["Message"])
        sock.close()
        self.assertEqual(self.count(), 0)
        self.assertEqual(self.state(label), "ABORTED")


if __name__ == "__main__":
    unittest.main()
