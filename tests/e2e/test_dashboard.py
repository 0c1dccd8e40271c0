"""The live dashboard in a real browser (issue 16): headless Chromium (Debian's, installed by
scripts/deps.sh) opens GET /dashboard while a long chunked Stream Load runs, and the test checks
that the load shows and its received bytes advance, that ended loads list with their status and
error-log link, and saves a screenshot (tests' artifact: $SLUICE_E2E_ARTIFACTS or
$TMPDIR/sluice-e2e-artifacts/dashboard.png)."""
import json
import os
import shutil
import socket
import tempfile
import threading
import unittest

import cdp
from harness import Server, basic, new_label, wait_for

ARTIFACTS = os.environ.get("SLUICE_E2E_ARTIFACTS") or os.path.join(tempfile.gettempdir(),
                                                                    "sluice-e2e-artifacts")


class Feeder(threading.Thread):
    """A chunked Stream Load that keeps sending rows until stopped."""

    def __init__(self, s, label):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", s.be), timeout=30)
        self.sock.sendall(("PUT /api/d/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: "
                           "%s\r\nExpect: 100-continue\r\nlabel: %s\r\ncolumn_separator: ,\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n" % (basic(), label)).encode())
        assert b"100 Continue" in self.sock.recv(4096)
        self.stop = threading.Event()
        self.rows = 0

    def run(self):
        while not self.stop.wait(0.1):
            data = b"".join(b"%d,v%d\n" % (self.rows + i, i) for i in range(2000))
            self.sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            self.rows += 2000

    def finish(self):
        self.stop.set()
        self.join(timeout=10)
        self.sock.sendall(b"0\r\n\r\n")
        buf = b""
        while b"\n}" not in buf:
            data = self.sock.recv(65536)
            assert data, buf
            buf += data
        self.sock.close()
        return json.loads(buf[buf.index(b"{"):].decode())


class DashboardTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(cdp.CHROMIUM), "chromium is missing: make deps installs it")
        self.tmp = tempfile.mkdtemp(prefix="sluice-dashboard-")
        self.s = Server()
        self.s.sql("CREATE DATABASE d")
        self.s.sql("CREATE TABLE t (k INT, v VARCHAR(16)) DUPLICATE KEY(k) DISTRIBUTED BY "
                   "HASH(k) BUCKETS 1", "d")
        self.browser = cdp.Browser(os.path.join(self.tmp, "profile"),
                                   os.path.join(self.tmp, "chromium.log"))
        self.feeder = None

    def tearDown(self):
        if self.feeder and self.feeder.is_alive():
            self.feeder.stop.set()
        self.browser.close()
        self.s.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def running_bytes(self, label):
        return self.browser.evaluate(
            "(() => { const tr = document.querySelector('#running tr[data-label=\"%s\"]');"
            " return tr ? Number(tr.dataset.bytes) : null; })()" % label)

    def test_a_running_load_shows_and_advances(self):
        s, b = self.s, self.browser
        bad = s.load("d", "t", b"1,a\nx,b\n", [("column_separator", ","), ("strict_mode", "true")])
        self.assertEqual(bad.json()["Status"], "Fail")
        label = new_label()
        self.feeder = Feeder(s, label)
        self.feeder.start()
        b.call("Network.enable")
        b.call("Network.setExtraHTTPHeaders", headers={"Authorization": basic()})
        b.call("Page.navigate", url="http://127.0.0.1:%d/dashboard" % s.fe)
        first = wait_for(lambda: self.running_bytes(label), timeout=20,
                         what="the running load on the page")
        later = wait_for(lambda: (lambda n: n if n and n > first else None)(
            self.running_bytes(label)), timeout=20, what="its received bytes to advance")
        self.assertGreater(later, first)
        # the failed load is listed with its error log, and the link works
        href = wait_for(lambda: b.evaluate(
            "(() => { const a = document.querySelector('#recent a[href*=\"_load_error_log\"]');"
            " return a ? a.getAttribute('href') : null; })()"), what="the error log link")
        status = b.evaluate("fetch(%s).then(r => r.status)" % json.dumps(href))
        self.assertEqual(status, 200)
        self.assertEqual(b.evaluate("document.querySelector('#recent .fail').textContent"),
                         "Fail")
        # a few seconds of throughput on the chart (one sample per poll)
        wait_for(lambda: b.evaluate("rates.length >= 3 && rates.some(r => r.rate > 0)"),
                 timeout=20, what="the throughput chart")
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "dashboard.png")
        b.screenshot(shot)
        with open(shot, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        print("\nscreenshot: %s" % shot)
        doc = self.feeder.finish()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(doc["NumberLoadedRows"], self.feeder.rows)
        # once it ended it leaves the running list and heads the recent one, as Success
        wait_for(lambda: self.running_bytes(label) is None and b.evaluate(
            "(() => { const tr = document.querySelector('#recent tr[data-label=\"%s\"]');"
            " return tr && tr.querySelector('.ok') && tr.querySelector('.ok').textContent; })()"
            % label) == "Success", what="the load among the recent ones")
        total = b.evaluate("document.querySelector('#tables tbody tr td:nth-child(4)')"
                           ".textContent")
        self.assertEqual(total.replace(",", ""), str(self.feeder.rows))


if __name__ == "__main__":
    unittest.main()
