"""JSON loads and compressed bodies over real HTTP: every JSON option, error rows, the
whole-body JSON limit, each compress_type for CSV and by-line JSON, corrupt and truncated
streams, and a large strip_outer_array body streamed with flat memory."""
import bz2
import gzip
import json
import os
import subprocess
import unittest
import zlib

from harness import BIN, Server


class JsonCompressTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "streaming_load_json_max_mb=1"])
        cls.s.sql("CREATE DATABASE j")
        cls.s.sql("CREATE TABLE j.t (id INT NOT NULL, city VARCHAR(32) DEFAULT 'none', "
                  "code BIGINT, info STRING, price DECIMAL(10,2)) DUPLICATE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "j")

    def load(self, body, headers, expect="Success"):
        doc = self.s.load("j", "t", body, [("format", "json")] + headers).json()
        self.assertEqual(doc["Status"], expect, doc)
        return doc

    def rows(self):
        return self.s.rows("select id, city, code, info, price from t order by id", "j")

    def test_simple_mode_case_insensitive_keys_defaults_nested(self):
        body = (b'{"ID": 1, "City": "rome", "code": 7, "info": {"a": [1, 2]}, "price": 1.005}\n'
                b'{"id": 2, "code": null}\n')
        self.load(body, [("read_json_by_line", "true")])
        self.assertEqual(self.rows(), [[1, "rome", 7, '{"a": [1, 2]}', 1.01],
                                       [2, "none", None, None, None]])

    def test_strip_outer_array_jsonpaths_root(self):
        body = json.dumps({"data": {"rows": [{"k": 1, "v": {"c": "x"}}, {"k": 2, "v": {"c": "y"}}]}}).encode()
        self.load(body, [("json_root", "$.data.rows"), ("strip_outer_array", "true"),
                         ("jsonpaths", '["$.k", "$.v.c"]'), ("columns", "id, city")])
        self.assertEqual([r[:2] for r in self.rows()], [[1, "x"], [2, "y"]])

    def test_num_as_string_keeps_digits(self):
        body = b'[{"id": 1, "code": 12345678901234567, "price": 12345678.99}]'
        self.load(body, [("strip_outer_array", "true"), ("num_as_string", "true")])
        self.assertEqual(self.rows()[0][2], 12345678901234567)

    def test_error_rows(self):
        body = b'{"id": 1}\n{}\n{"id": 2, "city": "x"\n{"city": "no id"}\n[1]\n'
        doc = self.load(body, [("read_json_by_line", "true"), ("max_filter_ratio", "1")])
        self.assertEqual((doc["NumberLoadedRows"], doc["NumberFilteredRows"]), (1, 4))
        path = doc["ErrorURL"].split(":%d" % self.s.be, 1)[1]
        log = self.s.request("GET", path, port=self.s.be).text
        self.assertIn("All fields is null, this is a invalid row.", log)
        self.assertIn("Parse json data for JsonDoc failed.", log)
        self.assertIn("column(id) values is null while columns is not nullable", log)

    def test_top_level_array_without_strip(self):
        doc = self.load(b'[{"id": 1}]', [("max_filter_ratio", "1")])
        self.assertEqual(doc["NumberFilteredRows"], 1)

    def test_whole_body_json_limit(self):
        big = b"[" + b",".join(b'{"id": %d}' % i for i in range(120000)) + b"]"
        self.assertGreater(len(big), 1 << 20)
        doc = self.load(big, [("strip_outer_array", "true")], expect="Fail")
        self.assertIn("json body size", doc["Message"])
        self.assertIn("streaming_load_json_max_mb", doc["Message"])
        doc = self.load(b"\n".join(b'{"id": %d}' % i for i in range(120000)),
                        [("read_json_by_line", "true")])  # by-line lifts the JSON limit
        self.assertEqual(doc["NumberLoadedRows"], 120000)

    def test_compressed_csv_and_json(self):
        csv = b"".join(b"%d,c%d,%d,,1.5\n" % (i, i, i) for i in range(3000))
        nd = b"".join(json.dumps({"id": i, "city": "c%d" % i}).encode() + b"\n" for i in range(3000))
        codecs = {
            "gz": gzip.compress,
            "deflate": zlib.compress,
            "bz2": bz2.compress,
        }
        for name, fn in codecs.items():
            for body, headers in [(csv, [("format", "csv"), ("column_separator", ",")]),
                                  (nd, [("format", "json"), ("read_json_by_line", "true")])]:
                self.s.sql("TRUNCATE TABLE t", "j")
                comp = fn(body)
                doc = self.s.load("j", "t", comp, headers + [("compress_type", name)]).json()
                self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 3000),
                                 (name, doc))
                self.assertEqual(doc["LoadBytes"], len(comp))  # compressed bytes, as Doris
        for tool, name in [("zstd", "zstd"), ("lz4", "lz4")]:
            try:
                p = subprocess.run([tool, "-c", "-q"], input=csv, capture_output=True)
            except FileNotFoundError:
                continue  # the command-line tool is not installed; unit tests cover the codec
            if p.returncode != 0:
                continue
            self.s.sql("TRUNCATE TABLE t", "j")
            doc = self.s.load("j", "t", p.stdout, [("format", "csv"), ("column_separator", ","),
                                                   ("compress_type", name)]).json()
            self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 3000), name)

    def test_corrupt_and_truncated_streams_load_nothing(self):
        csv = b"".join(b"%d,c,1,,1\n" % i for i in range(5000))
        comp = gzip.compress(csv)
        for bad in [comp[: len(comp) // 2], comp[:20] + b"\x00" * 50 + comp[70:]]:
            self.s.sql("TRUNCATE TABLE t", "j")
            doc = self.s.load("j", "t", bad, [("format", "csv"), ("column_separator", ","),
                                              ("compress_type", "gz")]).json()
            self.assertEqual(doc["Status"], "Fail", doc)
            self.assertIn("gz", doc["Message"])
            self.assertEqual(self.s.rows("select count(*) from t", "j"), [[0]])
        doc = self.s.load("j", "t", comp, [("compress_type", "snappy")]).json()
        self.assertEqual(doc["Status"], "Fail")

    def test_large_array_streams_with_flat_memory(self):
        """A 150 MB single JSON array (strip_outer_array) loads; server RSS stays below it."""
        s = Server(data_dir=self.s.data_dir + "-big",
                   extra=["--set", "streaming_load_json_max_mb=1000"])
        try:
            s.sql("CREATE DATABASE j")
            s.sql("CREATE TABLE j.big (id INT, city STRING) DISTRIBUTED BY HASH(id) BUCKETS 1")
            n = 1500000
            gen = subprocess.Popen(["python3", "-c", (
                "import sys\nw=sys.stdout.buffer.write\nw(b'[')\n"
                "for i in range(%d):\n    w((b',' if i else b'') + b'{\"id\": %%d, \"city\": \"%s\"}' %% i)\n"
                "w(b']')\n") % (n, "x" * 80)], stdout=subprocess.PIPE)
            out = subprocess.run(
                ["curl", "-sS", "-u", "root:", "-H", "format: json", "-H", "strip_outer_array: true",
                 "-H", "Expect:", "-H", "Transfer-Encoding: chunked", "-T", "-", "-XPUT",
                 "http://127.0.0.1:%d/api/j/big/_stream_load" % s.be],
                stdin=gen.stdout, capture_output=True, text=True, timeout=300)
            gen.wait(timeout=60)
            doc = json.loads(out.stdout)
            self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", n), doc)
            self.assertGreater(doc["LoadBytes"], 140_000_000)
            with open("/proc/%d/status" % s.proc.pid) as f:
                rss_kb = int([l for l in f if l.startswith("VmHWM")][0].split()[1])
            # ASan keeps freed memory in quarantine (256 MB), so RSS means nothing there.
            if not os.environ.get("SLUICE_SANITIZED"):
                self.assertLess(rss_kb, 100 * 1024, "peak RSS %d kB" % rss_kb)
        finally:
            s.close()
            import shutil
            shutil.rmtree(self.s.data_dir + "-big", ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
