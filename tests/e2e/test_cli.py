"""The sluice command: version and --help of each subcommand, and configuration precedence
(config file < SLUICE_* environment < flags), observed through a limit the server reports."""
import os
import subprocess
import tempfile
import unittest

from harness import BIN, Server, basic


class CliTest(unittest.TestCase):
    def test_version_and_help(self):
        out = subprocess.run([BIN, "version"], capture_output=True, text=True, timeout=10)
        self.assertRegex(out.stdout, r"^sluice \d+\.\d+\.\d+ \(commit \S+\)\n$")
        for cmd in (["--help"], ["serve", "--help"], ["sql", "--help"], ["user", "--help"],
                    ["version", "--help"], ["load", "--help"]):
            out = subprocess.run([BIN] + cmd, capture_output=True, text=True, timeout=10)
            self.assertEqual(out.returncode, 0, cmd)
            self.assertIn("usage: sluice", out.stdout)
        out = subprocess.run([BIN, "nonsense"], capture_output=True, text=True, timeout=10)
        self.assertNotEqual(out.returncode, 0)
        out = subprocess.run([BIN, "serve", "--no-such-flag", "1"], capture_output=True,
                             text=True, timeout=10)
        self.assertEqual(out.returncode, 2)

    def limit_seen(self, extra, env=None):
        old = dict(os.environ)
        os.environ.update(env or {})
        try:
            s = Server(extra=extra)
        finally:
            os.environ.clear()
            os.environ.update(old)
        try:
            s.sql("CREATE DATABASE c")
            s.sql("CREATE TABLE c.t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1")
            head = [("Authorization", basic()), ("Content-Length", str(5 << 20))]
            conn_doc = s.request("PUT", "/api/c/t/_stream_load", head, None, port=s.be).json()
            msg = conn_doc["Message"]
            self.assertIn("streaming_load_max_mb", msg)
            return int(msg.split("`streaming_load_max_mb` ")[1].split(".")[0])
        finally:
            s.close()

    def test_config_precedence(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("# sluice config\nstreaming_load_max_mb = 1\n")
            conf = f.name
        try:
            self.assertEqual(self.limit_seen(["--config", conf]), 1)
            env = {"SLUICE_STREAMING_LOAD_MAX_MB": "2"}
            self.assertEqual(self.limit_seen(["--config", conf], env), 2)
            self.assertEqual(self.limit_seen(["--config", conf, "--set", "streaming_load_max_mb=3"],
                                             env), 3)
        finally:
            os.unlink(conf)


if __name__ == "__main__":
    unittest.main()
