"""`sluice sql` output as a user sees it (issue 14): on a terminal an aligned table with a header
rule (numbers right-aligned, NULL shown as NULL); piped, TSV; every row ends with a newline and
the row count (stderr) never runs into the last value, even with both streams in one pipe."""
import os
import pty
import subprocess
import unittest

from harness import BIN, Server


class CliOutputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE cli")
        cls.s.sql("CREATE TABLE p (id INT, name VARCHAR(20), price DOUBLE) DUPLICATE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1", db="cli")
        r = cls.s.load("cli", "p", b"1,apple,1.5\n2,kiwi,\\N\n3,fig \xc3\xa9,4.25\n",
                       headers=[("column_separator", ",")])
        assert r.json()["Status"] == "Success", r.text

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def args(self):
        return [BIN, "sql", "--port", str(self.s.fe), "--db", "cli",
                "SELECT id, name, price FROM p ORDER BY id"]

    def test_terminal_table(self):
        master, slave = pty.openpty()
        try:
            p = subprocess.run(self.args(), stdout=slave, stderr=subprocess.PIPE, timeout=30)
            os.close(slave)
            slave = -1
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            os.close(master)
            if slave >= 0:
                os.close(slave)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = out.decode().replace("\r\n", "\n").split("\n")
        self.assertEqual(lines, ["id  name   price",
                                 "--  -----  -----",
                                 " 1  apple    1.5",
                                 " 2  kiwi    NULL",
                                 " 3  fig \u00e9   4.25",
                                 ""])
        self.assertEqual(p.stderr, b"3 rows\n")

    def test_piped_tsv_and_count_after_rows(self):
        p = subprocess.run(self.args(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout.decode(), "id\tname\tprice\n1\tapple\t1.5\n2\tkiwi\t\\N\n"
                                             "3\tfig \u00e9\t4.25\n3 rows\n")


if __name__ == "__main__":
    unittest.main()
