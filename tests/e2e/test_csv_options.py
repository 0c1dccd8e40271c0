"""Every CSV option of Doris Stream Load, end to end: separators (multi-byte, hex, escapes),
line delimiters, enclose/escape, trim_double_quotes, skip_lines and the csv_with_names formats,
\\N and empty fields, column mapping with placeholders and defaults, partitions."""
import unittest

from harness import Server


class CsvOptionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE c")
        cls.s.sql("CREATE TABLE t (k INT, s VARCHAR(64), d DATETIME) DUPLICATE KEY(k) "
                  "DISTRIBUTED BY HASH(k) BUCKETS 1", "c")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def load(self, body, headers, expect="Success"):
        self.s.sql("TRUNCATE TABLE t", "c")
        doc = self.s.load("c", "t", body, headers).json()
        self.assertEqual(doc["Status"], expect, doc)
        return doc

    def rows(self):
        return self.s.rows("select k, s, d from t order by k", "c")

    def test_default_tab_and_newline(self):
        self.load(b"1\ta\t2024-01-01 10:00:00\n2\tb\t\\N\n", [])
        self.assertEqual(self.rows(), [[1, "a", "2024-01-01 10:00:00"], [2, "b", None]])

    def test_multibyte_separator_and_delimiter(self):
        self.load(b"1|@|a|@|2024-01-01$$$2|@|b|@|2024-01-02$$$",
                  [("column_separator", "|@|"), ("line_delimiter", "$$$")])
        self.assertEqual(self.rows(), [[1, "a", "2024-01-01 00:00:00"], [2, "b", "2024-01-02 00:00:00"]])

    def test_hex_separator(self):
        self.load(b"1\x01a\x012024-01-01\n", [("column_separator", "\\x01")])
        self.assertEqual(self.rows(), [[1, "a", "2024-01-01 00:00:00"]])

    def test_escaped_line_delimiter(self):
        self.load(b"1,a,2024-01-01\r\n2,b,2024-01-02\r\n",
                  [("column_separator", ","), ("line_delimiter", "\\r\\n")])
        self.assertEqual([r[1] for r in self.rows()], ["a", "b"])

    def test_enclose_escape_trim(self):
        body = b'1,"a,b\nc",2024-01-01\n2,"say \\"hi\\"",2024-01-02\n'
        self.load(body, [("column_separator", ","), ("enclose", '"'), ("escape", "\\"),
                         ("trim_double_quotes", "true")])
        self.assertEqual([r[1] for r in self.rows()], ["a,b\nc", 'say "hi"'])

    def test_quotes_kept_without_trim(self):
        self.load(b'1,"abc",2024-01-01\n', [("column_separator", ",")])
        self.assertEqual(self.rows()[0][1], '"abc"')

    def test_skip_lines_and_names(self):
        body = b"k,s,d\nint,varchar,datetime\n1,a,2024-01-01\n2,b,2024-01-02\n"
        doc = self.load(body, [("column_separator", ","), ("format", "csv_with_names_and_types")])
        self.assertEqual(doc["NumberTotalRows"], 2)
        # csv_with_names skips exactly one line, whatever skip_lines says
        doc = self.load(b"k,s,d\n1,a,2024-01-01\n2,b,2024-01-02\n",
                        [("column_separator", ","), ("format", "csv_with_names"),
                         ("skip_lines", "5")])
        self.assertEqual(doc["NumberTotalRows"], 2)
        doc = self.load(body, [("column_separator", ","), ("skip_lines", "2")])
        self.assertEqual(doc["NumberTotalRows"], 2)
        doc = self.load(body, [("column_separator", ","), ("skip_lines", "10")])
        self.assertEqual(doc["NumberTotalRows"], 0)

    def test_null_and_empty_fields(self):
        self.load(b"1,,\n2,\\N,\\N\n", [("column_separator", ",")])
        self.assertEqual(self.rows(), [[1, "", None], [2, None, None]])

    def test_last_line_without_delimiter_and_no_extra_row(self):
        doc = self.load(b"1,a,2024-01-01\n2,b,2024-01-02", [("column_separator", ",")])
        self.assertEqual(doc["NumberTotalRows"], 2)
        doc = self.load(b"1,a,2024-01-01\n", [("column_separator", ",")])
        self.assertEqual(doc["NumberTotalRows"], 1)

    def test_columns_placeholders_and_defaults(self):
        self.s.sql("CREATE TABLE IF NOT EXISTS dflt (k INT, v INT DEFAULT '7', "
                   "ts DATETIME DEFAULT CURRENT_TIMESTAMP, nn INT NOT NULL DEFAULT '3') "
                   "DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1", "c")
        doc = self.s.load("c", "dflt", b"1,skip,x\n2,skip,y\n",
                          [("column_separator", ","), ("columns", "k, tmp1, tmp2")]).json()
        self.assertEqual(doc["Status"], "Success", doc)
        rows = self.s.rows("select k, v, nn, ts is not null from dflt order by k", "c")
        self.assertEqual(rows, [[1, 7, 3, 1], [2, 7, 3, 1]])
        # a column list that names a table column twice is a header error
        doc = self.s.load("c", "dflt", b"1,2\n", [("column_separator", ","),
                                                  ("columns", "k, k")]).json()
        self.assertEqual(doc["Status"], "Fail")

    def test_partitions_route_and_reject(self):
        self.s.sql("CREATE TABLE IF NOT EXISTS p (id INT, name STRING) DUPLICATE KEY(id) "
                   "PARTITION BY RANGE(id) (PARTITION p0 VALUES LESS THAN (\"60\"), "
                   "PARTITION p1 VALUES LESS THAN (\"80\")) DISTRIBUTED BY HASH(id) BUCKETS 1",
                   "c")
        doc = self.s.load("c", "p", b"1|a\n70|b\n90|c\n", [("column_separator", "|"),
                                                           ("max_filter_ratio", "0.5")]).json()
        self.assertEqual((doc["NumberLoadedRows"], doc["NumberFilteredRows"]), (2, 1))
        path = doc["ErrorURL"].split(":%d" % self.s.be, 1)[1]
        self.assertIn("no partition for this tuple", self.s.request("GET", path, port=self.s.be).text)
        doc = self.s.load("c", "p", b"1|a\n70|b\n", [("column_separator", "|"),
                                                     ("partitions", "p1"),
                                                     ("max_filter_ratio", "0.5")]).json()
        self.assertEqual((doc["NumberLoadedRows"], doc["NumberFilteredRows"]), (1, 1))
        doc = self.s.load("c", "p", b"1|a\n", [("column_separator", "|"),
                                               ("partitions", "nope")]).json()
        self.assertEqual(doc["Status"], "Fail")
        self.assertIn("Unknown partition 'nope'", doc["Message"])


if __name__ == "__main__":
    unittest.main()
