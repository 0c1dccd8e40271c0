"""Resource limits under slow clients (issue 17): 500 slow connections (heads dribbled a byte at
a time, bodies stalled after a few bytes) plus 64 concurrent loads plus one normal load. The
normal load and the 64 complete and load exactly their rows; its latency is printed next to an
idle baseline (no timing assertion); the server's RSS is sampled and printed; the per-client
connection cap (max_connections_per_client, default 256) closes the connections of one address
past the cap at once while other addresses are served.

The slow clients come from four loopback addresses (127.0.0.10-13, 125 each: under the cap), the
cap is probed from 127.0.0.20; loads come from 127.0.0.1."""
import socket
import statistics
import sys
import threading
import time
import unittest

from harness import Server, basic

SLOW = 500
LOADS = 64
ROWS = 2000
CAP = 256            # the default of max_connections_per_client


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def connect_from(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def closed_by_peer(s, wait=2.0):
    """True when the server closed s (EOF or reset) within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


class SlowClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE sc")
        for t in ("t", "n"):
            cls.s.sql("CREATE TABLE %s (k INT, v VARCHAR(16)) DUPLICATE KEY(k) "
                      "DISTRIBUTED BY HASH(k) BUCKETS 1" % t, "sc")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def normal_load(self, i):
        body = b"".join(b"%d,row%d\n" % (k, k) for k in range(i * 100000, i * 100000 + ROWS))
        t0 = time.time()
        doc = self.s.load("sc", "n", body, [("column_separator", ",")], via_fe=False).json()
        return time.time() - t0, doc

    def open_slow(self, bodies):
        """SLOW connections: half send a partial head and dribble it, half send a whole head
        and a few body bytes, then nothing (bodies=False: all dribble heads)."""
        socks = []
        head = ("PUT /api/sc/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                "Content-Length: 1000000\r\ncolumn_separator: ,\r\n\r\n" % basic()).encode()
        for i in range(SLOW):
            s = connect_from("127.0.0.%d" % (10 + i % 4), self.s.be)
            if i % 2 and bodies:
                s.sendall(head + b"1,a\n2,")           # a stalled body
            else:
                s.sendall(b"PUT /api/sc/t/_stream_load HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(s)
        return socks

    def test_slow_clients_and_loads(self):
        self.scenario(bodies=True)

    def test_slow_heads_and_loads(self):
        """The same with every slow connection dribbling its head (no load begins)."""
        self.scenario(bodies=False)

    def scenario(self, bodies):
        s = self.s
        n0 = s.rows("SELECT count(*) FROM n", "sc")[0][0]
        pid = s.proc.pid
        base = [self.normal_load(i)[0] for i in range(3)]
        rss_idle = rss_kb(pid)
        slow = self.open_slow(bodies)
        stop = threading.Event()
        peak = [rss_kb(pid)]

        def dribble():
            while not stop.is_set():
                for k in range(0, len(slow), 2):
                    try:
                        slow[k].send(b"a")
                    except OSError:
                        pass
                peak[0] = max(peak[0], rss_kb(pid))
                stop.wait(0.5)

        th = threading.Thread(target=dribble)
        th.start()
        results = [None] * LOADS

        def load(i):
            try:
                results[i] = self.normal_load(10 + i)[1]
            except Exception as e:  # noqa: BLE001 - reported by the assertion below
                results[i] = {"Status": repr(e)}

        try:
            lat_slow, doc0 = self.normal_load(8)      # with the slow connections only
            self.assertEqual(doc0["Status"], "Success", doc0)
            loaders = [threading.Thread(target=load, args=(i,)) for i in range(LOADS)]
            for t in loaders:
                t.start()
            lat, doc = self.normal_load(9)
            for t in loaders:
                t.join(120)
            peak[0] = max(peak[0], rss_kb(pid))
            # the slow connections are all still open (under the cap, within the head timeout)
            still = sum(not closed_by_peer(x, 0.01) for x in slow)
        finally:
            stop.set()
            th.join()
            for x in slow:
                x.close()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(doc["NumberLoadedRows"], ROWS)
        bad = [r for r in results if r is None or r.get("Status") != "Success"]
        self.assertEqual(bad, [])
        self.assertEqual(s.rows("SELECT count(*) FROM n", "sc")[0][0] - n0, ROWS * (LOADS + 5))
        self.assertEqual(s.rows("SELECT count(*) FROM t", "sc")[0][0], 0)
        self.assertEqual(still, SLOW)
        self.assertIsNone(s.proc.poll())
        rss_after = rss_kb(pid)
        print("\nslow clients (%s): normal load of %d rows: idle %.3f s (median of 3), with %d "
              "slow connections %.3f s, with them and %d concurrent loads %.3f s; RSS idle %d "
              "MiB, peak %d MiB, after %d MiB" % ("heads and stalled bodies" if bodies else
                                                  "heads only", ROWS, statistics.median(base),
                                                  SLOW, lat_slow, LOADS,
                                            lat, rss_idle // 1024, peak[0] // 1024,
                                            rss_after // 1024), file=sys.stderr)

    def test_per_client_connection_cap(self):
        s = self.s
        extra = 20
        socks = [connect_from("127.0.0.20", s.be) for _ in range(CAP + extra)]
        try:
            # the server accepts them in order; the ones past the cap are closed at once
            closed_by_peer(socks[-1], 5)
            closed = [closed_by_peer(x, 0.01) for x in socks]
            self.assertEqual(sum(closed), extra, "connections past the cap closed at once")
            self.assertEqual(closed[:CAP], [False] * CAP)
            # another address is served meanwhile, and so is a kept connection of this one
            self.assertEqual(s.request("GET", "/api/health").status, 200)
            socks[0].settimeout(10)
            socks[0].sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(socks[0].recv(100).startswith(b"HTTP/1.1 200"))
        finally:
            for x in socks:
                x.close()
        # once they are closed, the address may connect again
        def fresh_ok():
            c = connect_from("127.0.0.20", s.be)
            try:
                c.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
                return c.recv(100).startswith(b"HTTP/1.1 200")
            except OSError:
                return False
            finally:
                c.close()
        deadline = time.time() + 10
        while not fresh_ok():
            self.assertLess(time.time(), deadline, "the address stayed refused")
            time.sleep(0.1)
        print("\nper-client cap: %d of %d connections from one address closed at once "
              "(max_connections_per_client=%d)" % (extra, CAP + extra, CAP), file=sys.stderr)

    def test_cap_setting(self):
        """max_connections_per_client is a setting: 3 here."""
        s = Server(extra=["--set", "max_connections_per_client=3"])
        try:
            socks = [connect_from("127.0.0.21", s.be) for _ in range(5)]
            try:
                closed_by_peer(socks[-1], 5)
                self.assertEqual([closed_by_peer(x, 0.01) for x in socks],
                                 [False, False, False, True, True])
            finally:
                for x in socks:
                    x.close()
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
