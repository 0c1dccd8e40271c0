"""Issue 20's function library end to end: Doris's JSON, hash, string, date and math functions in
`columns` and `where` of a Stream Load over semi-structured input, in `_http_stream` SQL, and in
SELECT over the loaded rows (on whichever store SLUICE_TEST_STORE names: on PostgreSQL the
functions without a PostgreSQL spelling are computed after PostgreSQL in the SELECT list)."""
import unittest

from harness import Server, basic

DOCS = [
    b'{"id": 1, "user": {"name": "ann", "tags": ["a", "b"]}, "ts": "2024-03-05 10:11:12", "ok": true, "amount": 12.5}',
    b'{"id": 2, "user": {"name": "bob", "tags": []}, "ts": "2023-12-31 23:59:59", "ok": false, "amount": 3}',
    b'{"id": 3, "user": {"name": "Chloe", "tags": ["c"]}, "ts": "2024-02-29 00:00:00", "ok": true}',
]


class FunctionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE f")
        cls.s.sql("CREATE TABLE f.t (k INT, name VARCHAR(32), h INT, day DATETIME, tags JSON, "
                  "amount DECIMAL(10, 2), wk INT, code VARCHAR(64)) DUPLICATE KEY(k) "
                  "DISTRIBUTED BY HASH(k) BUCKETS 1")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "f")

    def load_docs(self, extra=()):
        return self.s.load("f", "t", b"\n".join(DOCS) + b"\n", [
            ("column_separator", "\\x01"),
            ("columns", "doc, k = get_json_int(doc, '$.id'), "
                        "name = initcap(get_json_string(doc, '$.user.name')), "
                        "h = murmur_hash3_32(get_json_string(doc, '$.user.name')), "
                        "day = date_trunc(get_json_string(doc, '$.ts'), 'day'), "
                        "tags = json_extract(doc, '$.user.tags'), "
                        "amount = get_json_double(doc, '$.amount'), "
                        "wk = weekofyear(get_json_string(doc, '$.ts')), "
                        "code = concat(hex(get_json_int(doc, '$.id')), '-', "
                        "lpad(conv(get_json_string(doc, '$.id'), 10, 2), 4, '0'))")]
            + list(extra)).json()

    def test_json_documents_through_columns(self):
        doc = self.load_docs([("where", "json_length(tags) > 0 and name != 'x'")])
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"], doc["NumberUnselectedRows"]),
                         ("Success", 2, 1), doc)
        rows = self.s.rows("select k, name, h, day, tags, amount, wk, code from t order by k", "f")
        self.assertEqual(rows, [
            [1, "Ann", -1296449381, "2024-03-05 00:00:00", '["a","b"]', 12.5, 10, "1-0001"],
            [3, "Chloe", -526518302, "2024-02-29 00:00:00", '["c"]', None, 9, "3-0011"]])

    def test_select_over_loaded_rows(self):
        self.assertEqual(self.load_docs()["Status"], "Success")
        rows = self.s.rows(
            "select k, json_length(tags), json_contains(tags, '\"b\"'), xxhash_64(name), "
            "regexp_replace(name, '[aeiou]', '*'), days_diff(day, '2024-01-01'), "
            "greatest(k, 2), sign(amount - 5) from t where starts_with(code, '1') "
            "or k = 2 order by k", "f")
        self.assertEqual(rows, [
            [1, 2, True, 3394372571792637035, "Ann", 64, 2, 1],
            [2, 0, False, -767010378718543215, "B*b", -1, 2, -1]])

    def test_json_parse_error_fails_the_load(self):
        doc = self.s.load("f", "t", b"1\n", [
            ("column_separator", "\\x01"),
            ("columns", "doc, k = doc, tags = json_parse('not json')")]).json()
        self.assertEqual(doc["Status"], "Fail", doc)
        self.assertIn("Parse json document failed", doc["Message"])
        self.assertEqual(self.s.rows("select count(*) from t", "f"), [[0]])

    def test_unknown_function_is_refused_before_the_body(self):
        doc = self.s.load("f", "t", b"1\n", [("columns", "k, h = murmur_hash3_99(k)")]).json()
        self.assertEqual(doc["Status"], "Fail")
        self.assertIn("unknown function murmur_hash3_99", doc["Message"])
        self.assertEqual(doc["TxnId"], -1)

    def test_http_stream_sql_with_new_functions(self):
        sql = ("insert into f.t (k, name, h, code) select c1, reverse(c2), crc32(c2), "
               "substring_index(c3, '.', -1) from http_stream(\"format\"=\"csv\", "
               "\"column_separator\"=\",\") where not null_or_empty(c3)")
        hs = [("Authorization", basic()), ("sql", sql)]
        r = self.s.request("PUT", "/api/_http_stream", hs, b"1,abc,www.example.com\n2,xyz,\n",
                           port=self.s.be)
        self.assertEqual(r.json()["Status"], "Success", r.json())
        self.assertEqual(self.s.rows("select k, name, h, code from t order by k", "f"),
                         [[1, "cba", 891568578, "com"]])


if __name__ == "__main__":
    unittest.main()
