"""Transform while loading, end to end: `columns` with derived columns and placeholders,
`where` (unselected rows), the timezone header, and `_http_stream` SQL through the front door."""
import unittest

from harness import Server, basic


class TransformTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE x")
        cls.s.sql("CREATE TABLE x.t (k INT, name VARCHAR(16), y INT, total DOUBLE, "
                  "up VARCHAR(16)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "x")

    def rows(self):
        return self.s.rows("select k, name, y, total, up from t order by k", "x")

    def test_derived_columns_and_placeholders(self):
        body = b"1,ann,2024-03-05 10:00:00,2.5,skip\n2,bob,1999-12-31 23:59:59,4,skip\n"
        doc = self.s.load("x", "t", body, [
            ("column_separator", ","),
            ("columns", "k, name, dt, price, tmp, y = year(dt), total = price * 10, "
                        "up = upper(concat(name, '-', tmp))")]).json()
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.rows(), [[1, "ann", 2024, 25.0, "ANN-SKIP"],
                                       [2, "bob", 1999, 40.0, "BOB-SKIP"]])

    def test_derived_overrides_source_and_where_unselects(self):
        body = b"".join(b"%d,n%d\n" % (i, i) for i in range(1, 11))
        doc = self.s.load("x", "t", body, [("column_separator", ","), ("columns", "k, name, k = k * 10"),
                                           ("where", "k > 50 and name != 'n9'")]).json()
        self.assertEqual((doc["Status"], doc["NumberTotalRows"], doc["NumberLoadedRows"],
                          doc["NumberUnselectedRows"], doc["NumberFilteredRows"]),
                         ("Success", 10, 4, 6, 0))
        self.assertEqual([r[0] for r in self.rows()], [60, 70, 80, 100])

    def test_unselected_rows_do_not_count_in_the_ratio(self):
        body = b"1,a\n2,b\nx,c\n"
        doc = self.s.load("x", "t", body, [("column_separator", ","), ("columns", "k, name"),
                                           ("where", "k = 1"), ("strict_mode", "true"),
                                           ("max_filter_ratio", "0.5")]).json()
        self.assertEqual((doc["NumberLoadedRows"], doc["NumberUnselectedRows"],
                          doc["NumberFilteredRows"]), (1, 1, 1))
        self.assertEqual(doc["Status"], "Success")  # 1 filtered of 2 selected = 0.5, not > 0.5

    def test_bad_expressions_fail_before_the_body(self):
        for headers, text in [([("columns", "k, name, y = nosuchfn(k)")], "unknown function"),
                              ([("columns", "k, name, y = (k +")], "syntax error"),
                              ([("where", "nosuchcol > 1")], "nosuchcol")]:
            doc = self.s.load("x", "t", b"1,a\n", [("column_separator", ",")] + headers).json()
            self.assertEqual(doc["Status"], "Fail", headers)
            self.assertTrue(doc["Message"].startswith("[INVALID_ARGUMENT]"), doc["Message"])
            self.assertIn(text, doc["Message"])
            self.assertEqual(doc["TxnId"], -1)

    def test_timezone_header(self):
        body = b"1,a,0\n"
        for tz, want in [("UTC", 1970), ("+08:00", 1970), ("-10:00", 1969)]:
            self.s.sql("TRUNCATE TABLE t", "x")
            doc = self.s.load("x", "t", body, [
                ("column_separator", ","), ("timezone", tz),
                ("columns", "k, name, s, y = year(from_unixtime(s))")]).json()
            self.assertEqual(doc["Status"], "Success", doc)
            self.assertEqual(self.rows()[0][2], want, tz)
        doc = self.s.load("x", "t", body, [("column_separator", ","), ("timezone", "Mars/Base")]).json()
        self.assertEqual(doc["Status"], "Fail")

    def test_http_stream_via_front_door(self):
        sql = ("insert into x.t (k, name, total) select c1, upper(c2), c3 * 2 "
               "from http_stream(\"format\"=\"csv\", \"column_separator\"=\",\") where c3 >= 30")
        hs = [("Authorization", basic()), ("Expect", "100-continue"), ("sql", sql)]
        r = self.s.request("PUT", "/api/_http_stream", hs, b"", port=self.s.fe)
        self.assertEqual(r.status, 307)
        self.assertTrue(r.header("Location").endswith(":%d/api/_http_stream?" % self.s.be))
        r = self.s.request("PUT", "/api/_http_stream", hs, b"1,a,10\n2,b,30\n3,c,40\n", port=self.s.be)
        doc = r.json()
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"], doc["NumberUnselectedRows"]),
                         ("Success", 2, 1), doc)
        self.assertEqual(self.s.rows("select k, name, total from t order by k", "x"),
                         [[2, "B", 60.0], [3, "C", 80.0]])
        bad = [("Authorization", basic()), ("sql", "insert into x.t select c1 from http_stream()")]
        doc = self.s.request("PUT", "/api/_http_stream", bad, b"1\n", port=self.s.be).json()
        self.assertEqual(doc["Status"], "Fail")
        self.assertIn("Column count doesn't match value count", doc["Message"])


if __name__ == "__main__":
    unittest.main()
