"""`sluice load` (issue 16): files streamed with Doris Stream Load, re-runnable.

A file interrupted mid-way by a server killed with SIGKILL is loaded exactly once: by the retry
that finds the server back, or by running the command again; a third run reports it loaded.
Progress is a bar on a terminal (a pseudo-terminal here) and a few plain lines otherwise;
compressed files go up as they are, with compress_type from the extension."""
import bz2
import gzip
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import promtext
from harness import BIN, Server, basic, new_label, wait_for


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rows(n, start=0):
    return b"".join(b"%d,value-%d\n" % (i, i) for i in range(start, start + n))


def cli_load(s, *args, **kw):
    return subprocess.run([BIN, "load", "--port", str(s.fe), "--db", "d", "--table", "t",
                           "-H", "column_separator: ,"] + list(args),
                          capture_output=True, text=True, timeout=kw.get("timeout", 120))


def in_flight(s):
    r = s.request("GET", "/metrics")
    return promtext.value(promtext.parse(r.text), "sluice_load_bytes_in_flight")


class LoadCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-load-")
        self.s = None

    def tearDown(self):
        if self.s:
            self.s.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, ports=None):
        self.s = Server(ports=ports)
        self.s.sql("CREATE DATABASE d")
        self.s.sql("CREATE TABLE t (k INT, v VARCHAR(32)) DUPLICATE KEY(k) DISTRIBUTED BY "
                   "HASH(k) BUCKETS 1", "d")
        return self.s

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def count(self):
        return self.s.rows("select count(*) from t", "d")[0][0]

    def test_load_then_run_again_reports_already_loaded(self):
        s = self.server()
        path = self.file("data.csv", rows(1000))
        p = cli_load(s, path)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.match(r"^.*data\.csv: loaded 1000 rows \(0 filtered, 0 unselected\), .* label "
                     r"(sluice_data_csv_[0-9a-f]{16})\n$", p.stdout)
        self.assertTrue(m, p.stdout)
        p = cli_load(s, path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "%s: already loaded (label %s)\n" % (path, m.group(1)))
        self.assertEqual(self.count(), 1000)
        os.utime(path, (time.time() + 5, time.time() + 5))  # a new version of the file
        p = cli_load(s, path)
        self.assertIn("loaded 1000 rows", p.stdout)
        self.assertEqual(self.count(), 2000)

    def test_killed_server_then_run_again_loads_once(self):
        s = self.server()
        n = 200000
        path = self.file("big.csv", rows(n))
        client = subprocess.Popen([BIN, "load", path, "--port", str(s.fe), "--db", "d",
                                   "--table", "t", "-H", "column_separator: ,", "--retries",
                                   "0", "--limit-rate", "1m"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: in_flight(s) > 0, timeout=20, what="the upload to be under way")
            s.kill9()
            out, err = client.communicate(timeout=60)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        self.assertEqual(client.returncode, 3, out + err)  # gave up: no retries asked for
        self.assertIn("gave up", out)
        s.start()
        self.assertEqual(self.count(), 0)  # nothing of the interrupted load is visible
        p = cli_load(s, path)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("loaded %d rows" % n, p.stdout)
        p = cli_load(s, path)
        self.assertIn("already loaded", p.stdout)
        self.assertEqual(self.count(), n)

    def test_killed_server_is_retried_until_it_is_back(self):
        s = self.server(ports=(free_port(), free_port()))
        n = 200000
        path = self.file("big.csv", rows(n))
        client = subprocess.Popen([BIN, "load", path, "--port", str(s.fe), "--db", "d",
                                   "--table", "t", "-H", "column_separator: ,",
                                   "--limit-rate", "1m"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: in_flight(s) > 0, timeout=20, what="the upload to be under way")
            s.kill9()
            s.start()  # the same ports: the client's next attempt finds it
            out, err = client.communicate(timeout=120)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        self.assertEqual(client.returncode, 0, out + err)
        self.assertIn("trying again", err)
        self.assertRegex(out, r"loaded %d rows|already loaded" % n)
        self.assertEqual(self.count(), n)

    def test_progress_bar_on_a_terminal_and_lines_otherwise(self):
        s = self.server()
        path = self.file("p.csv", rows(100000))  # about 1.6 MiB, at 1 MiB/s
        master, slave = pty.openpty()
        proc = subprocess.Popen([BIN, "load", path, "--port", str(s.fe), "--db", "d",
                                 "--table", "t", "-H", "column_separator: ,", "--limit-rate",
                                 "1m"], stdout=subprocess.PIPE, stderr=slave, text=False)
        os.close(slave)
        screen = b""
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not data:
                break
            screen += data
        os.close(master)
        out = proc.stdout.read().decode()
        proc.stdout.close()
        self.assertEqual(proc.wait(timeout=60), 0, screen)
        text = screen.decode(errors="replace")
        redraws = text.count("\r")
        self.assertGreaterEqual(redraws, 3, text)  # the bar is redrawn in place
        self.assertIn("\033[K", text)
        self.assertRegex(text, r"p\.csv [\d.]+ (Ki|Mi)?B / 1\.\d MiB +\d+% \[=*>? *\] [\d.]+ "
                               r"(Ki|Mi)?B/s")
        self.assertIn("ETA", text)
        self.assertRegex(text, r"100% \[=+\]")
        self.assertIn("loaded 100000 rows", out)
        # not a terminal: no redraws, a few plain lines
        path2 = self.file("q.csv", rows(100000, 100000))
        p = cli_load(s, path2, "--limit-rate", "2m")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("\r", p.stderr)
        self.assertNotIn("\033", p.stderr)
        lines = p.stderr.splitlines()
        self.assertTrue(1 <= len(lines) <= 5, lines)
        self.assertTrue(all(l.startswith("sluice load: ") for l in lines), lines)

    def test_compressed_files_go_up_with_their_compress_type(self):
        s = self.server()
        data = rows(3000)
        files = [self.file("a.csv.gz", gzip.compress(data)),
                 self.file("b.csv.bz2", bz2.compress(data))]
        for tool, ext in (("zstd", "zst"), ("lz4", "lz4")):
            if shutil.which(tool):  # scripts/deps.sh installs both
                plain = self.file("c_%s.csv" % tool, data)
                out = plain + "." + ext
                subprocess.run([tool, "-q", "-f", plain] + (["-o", out] if tool == "zstd"
                                                            else [out]), check=True)
                files.append(out)
        p = subprocess.run([BIN, "load"] + files + ["--port", str(s.fe), "--db", "d",
                                                     "--table", "t", "-H",
                                                     "column_separator: ,"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.count("loaded 3000 rows"), len(files), p.stdout)
        self.assertEqual(self.count(), 3000 * len(files))
        jl = self.file("e.jsonl", b'{"k": 1, "v": "a"}\n{"k": 2, "v": "b"}\n')
        p = subprocess.run([BIN, "load", jl, "--port", str(s.fe), "--db", "d", "--table", "t"],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("loaded 2 rows", p.stdout, p.stderr)

    def test_failures_and_exit_codes(self):
        s = self.server()
        path = self.file("x.csv", b"1,a\nnot-a-number,b\n")
        p = cli_load(s, path, "-H", "strict_mode: true")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertRegex(p.stdout, r"x\.csv: failed: \[DATA_QUALITY_ERROR\]too many filtered "
                                   r"rows; first error: .*; error log: http://")
        p = subprocess.run([BIN, "load", path, "--port", str(s.fe), "--db", "d", "--table",
                            "nope"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("table not found", p.stdout)
        p = subprocess.run([BIN, "load", path, "--port", str(s.fe), "--db", "d", "--table", "t",
                            "-u", "root:wrong"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Access denied", p.stdout)
        p = subprocess.run([BIN, "load", path, "--port", str(free_port()), "--db", "d",
                            "--table", "t", "--retries", "1"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 3, p.stdout)
        self.assertIn("cannot connect", p.stderr)
        self.assertIn("gave up", p.stdout)
        p = subprocess.run([BIN, "load", path, "--db", "d"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--table is required", p.stderr)

    def test_a_label_still_running_is_waited_for(self):
        s = self.server()
        label = "same_" + new_label()
        sock = socket.create_connection(("127.0.0.1", s.be), timeout=30)
        sock.sendall(("PUT /api/d/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                      "Expect: 100-continue\r\nlabel: %s\r\ncolumn_separator: ,\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n" % (basic(), label)).encode())
        self.assertIn(b"100 Continue", sock.recv(4096))
        part = rows(10)
        sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        errf = open(os.path.join(self.tmp, "err"), "w+")
        client = subprocess.Popen([BIN, "load", self.file("y.csv", rows(5)), "--port",
                                   str(s.fe), "--db", "d", "--table", "t", "-H",
                                   "column_separator: ,", "--label", label],
                                  stdout=subprocess.PIPE, stderr=errf, text=True)
        try:
            def waiting():
                errf.seek(0)
                return "waiting for it" in errf.read()
            wait_for(waiting, timeout=20, what="the client to wait for the running label")
            sock.sendall(b"0\r\n\r\n")
            self.assertIn(b"Success", sock.recv(65536))
            out, _ = client.communicate(timeout=60)
        finally:
            sock.close()
            errf.close()
            if client.poll() is None:
                client.kill()
                client.wait()
        self.assertEqual(client.returncode, 0)
        self.assertIn("already loaded (label %s)" % label, out)
        self.assertEqual(self.count(), 10)


if __name__ == "__main__":
    unittest.main()
