"""The table property "compression" (Doris's) over real HTTP: as in Doris, tables are compressed
unless it says "no_compression" — the embedded store LZ4-compresses text chunks of a table
without the property or naming any codec, and keeps the lightweight encodings only for
"no_compression"; both answer every query the same, before and after ALTER TABLE SET, and the
property stays in SHOW CREATE TABLE."""
import os
import random
import unittest

from harness import STORE, Server

WORDS = ("carefully final deposits detect slyly regular requests boost furiously ironic "
         "accounts haggle quickly express packages sleep blithely pending theodolites").split()


def comments(n, seed):
    rnd = random.Random(seed)
    return b"".join(b"%d,%s\n" % (i, " ".join(rnd.choice(WORDS) for _ in range(6)).encode())
                    for i in range(n))


def seg_bytes(data_dir):
    seg = os.path.join(data_dir, "segments")
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(seg) for f in fs)


class CompressionTest(unittest.TestCase):
    def setUp(self):
        self.s = Server()
        self.s.sql("CREATE DATABASE d")

    def tearDown(self):
        self.s.close()

    def create(self, name, props):
        self.s.sql("CREATE TABLE %s (id INT, c VARCHAR(100)) DUPLICATE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1 %s" % (name, props), "d")

    def load(self, table, body):
        r = self.s.load("d", table, body, [("column_separator", ",")])
        self.assertEqual(r.json()["Status"], "Success", r.json())

    def answers(self, table):
        return [self.s.rows("SELECT count(*), count(DISTINCT c), min(c), max(c) FROM %s" % table,
                            "d"),
                self.s.rows("SELECT id, c FROM %s WHERE c LIKE '%%ironic%%' ORDER BY id LIMIT 50"
                            % table, "d"),
                self.s.rows("SELECT id, c FROM %s ORDER BY id DESC LIMIT 20" % table, "d")]

    def test_compressed_and_plain_tables_answer_alike(self):
        body = comments(40000, 7)
        self.create("p", 'PROPERTIES ("compression" = "no_compression")')
        self.load("p", body)
        plain = seg_bytes(self.s.data_dir) if STORE == "sqlite" else 0
        self.create("z", 'PROPERTIES ("compression" = "lz4")')
        self.load("z", body)
        packed = seg_bytes(self.s.data_dir) - plain if STORE == "sqlite" else 0
        self.create("dflt", "")                               # no property: compressed too
        self.load("dflt", body)
        if STORE == "sqlite":  # the embedded engine's segment files: the text took less room
            dflt = seg_bytes(self.s.data_dir) - plain - packed
            self.assertLess(packed, plain * 3 // 4, "plain %d, compressed %d" % (plain, packed))
            self.assertLess(dflt, plain * 3 // 4, "plain %d, default %d" % (plain, dflt))
        self.assertEqual(self.answers("p"), self.answers("z"))
        self.assertEqual(self.answers("p"), self.answers("dflt"))
        self.assertEqual(self.answers("p")[0][0][0], 40000)
        ddl = self.s.rows("SHOW CREATE TABLE z", "d")[0][1]
        self.assertIn('"compression" = "lz4"', ddl)

    def test_set_property_applies_to_later_loads(self):
        self.create("t", 'PROPERTIES ("compression" = "no_compression")')
        self.load("t", comments(20000, 1))
        before = seg_bytes(self.s.data_dir) if STORE == "sqlite" else 0
        self.s.sql('ALTER TABLE t SET ("compression" = "zstd")', "d")
        self.load("t", comments(20000, 1))
        if STORE == "sqlite":
            self.assertLess(seg_bytes(self.s.data_dir) - before, before * 3 // 4)
        want = sorted([int(i), c] for i, c in
                      (line.split(",", 1) for line in comments(20000, 1).decode().splitlines())
                      if int(i) % 97 == 0)
        got = self.s.rows("SELECT id, c FROM t WHERE id % 97 = 0 ORDER BY id, c", "d")
        self.assertEqual(got[0::2], want)  # each row twice: once per load, plain and packed
        self.assertEqual(got[1::2], want)
        self.assertEqual(self.s.rows("SELECT count(*), count(DISTINCT id) FROM t", "d"),
                         [[40000, 20000]])


if __name__ == "__main__":
    unittest.main()
