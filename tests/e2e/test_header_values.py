"""Bad Stream Load header values are refused before the body (issue 26, "Bad header values
accepted as if valid"): every boolean option goes through one parser (true/false only), every
numeric option through one number parser (whole value, range), separators may not end in a lone
backslash, and partition names are checked against the table. Each case is sent twice: once
without a body (the answer must come before `100 Continue`, so the body is never needed) and
once as a normal load (Status Fail, the exact message, nothing loaded)."""
import json
import unittest

from harness import Server, basic, raw

BAD = [
    # (headers, Message)
    ([("max_filter_ratio", "abc")], "Invalid format of 'max_filter_ratio': 'abc', stod"),
    ([("max_filter_ratio", "nan")], "Invalid format of 'max_filter_ratio': 'nan', stod"),
    ([("max_filter_ratio", "inf")], "Invalid format of 'max_filter_ratio': 'inf', stod"),
    ([("max_filter_ratio", "1e309")],
     "Invalid 'max_filter_ratio': 1e309. Expected values should be between 0 and 1"),
    ([("max_filter_ratio", "0.5.5")], "Invalid format of 'max_filter_ratio': '0.5.5', stod"),
    ([("max_filter_ratio", "2")],
     "Invalid 'max_filter_ratio': 2. Expected values should be between 0 and 1"),
    ([("max_filter_ratio", "-0.1")],
     "Invalid 'max_filter_ratio': -0.1. Expected values should be between 0 and 1"),
    ([("timeout", "5x")], "Invalid format of 'timeout': '5x', stoi"),
    ([("timeout", "1e9")], "Invalid format of 'timeout': '1e9', stoi"),
    ([("timeout", "0")],
     "Invalid 'timeout': 0. Expected values should be between 1 and 259200 seconds"),
    ([("timeout", "99999999999999999999")],
     "Invalid 'timeout': 99999999999999999999. Expected values should be between 1 and "
     "259200 seconds"),
    ([("two_phase_commit", "yes")],
     "Invalid value of 'two_phase_commit': 'yes'. Must be 'true' or 'false'"),
    ([("two_phase_commit", "TRUE")],
     "Invalid value of 'two_phase_commit': 'TRUE'. Doris reads only 'true' in lower case as "
     "true; send 'true' or 'false'"),
    ([("strip_outer_array", "maybe")],
     "Invalid value of 'strip_outer_array': 'maybe'. Must be 'true' or 'false'"),
    ([("trim_double_quotes", "maybe")],
     "Invalid value of 'trim_double_quotes': 'maybe'. Must be 'true' or 'false'"),
    ([("num_as_string", "maybe")],
     "Invalid value of 'num_as_string': 'maybe'. Must be 'true' or 'false'"),
    ([("read_json_by_line", "maybe")],
     "Invalid value of 'read_json_by_line': 'maybe'. Must be 'true' or 'false'"),
    ([("fuzzy_parse", "1")], "Invalid value of 'fuzzy_parse': '1'. Must be 'true' or 'false'"),
    ([("partial_columns", "yes")],
     "Invalid value of 'partial_columns': 'yes'. Must be 'true' or 'false'"),
    ([("load_to_single_tablet", "maybe")],
     "Invalid value of 'load_to_single_tablet': 'maybe'. Must be 'true' or 'false'"),
    ([("memtable_on_sink_node", "on")],
     "Invalid value of 'memtable_on_sink_node': 'on'. Must be 'true' or 'false'"),
    ([("enable_profile", "y")], "Invalid value of 'enable_profile': 'y'. Must be 'true' or 'false'"),
    ([("strict_mode", "maybe")], "Invalid strict mode format. Must be bool type"),
    ([("skip_lines", "1.5")], "Invalid format of 'skip_lines': '1.5', stoi"),
    ([("skip_lines", "-3")], "Invalid 'skip_lines': -3"),
    ([("exec_mem_limit", "2GB")], "Invalid format of 'exec_mem_limit': '2GB', stoll"),
    ([("exec_mem_limit", "0")],
     "Invalid 'exec_mem_limit': 0. Expected values should be between 1 and "
     "9223372036854775807 bytes"),
    ([("send_batch_parallelism", "a")], "Invalid format of 'send_batch_parallelism': 'a', stoi"),
    ([("send_batch_parallelism", "21474836471")],
     "Invalid 'send_batch_parallelism': 21474836471. Expected values should be between "
     "-2147483648 and 2147483647"),
    ([("load_stream_per_node", "x")], "Invalid format of 'load_stream_per_node': 'x', stoi"),
    ([("column_separator", "\\")],
     "Invalid value of 'column_separator': '\\'. It ends in a lone backslash, an incomplete "
     "escape sequence; write \\\\ or \\x5c for a backslash"),
    ([("line_delimiter", "ab\\")],
     "Invalid value of 'line_delimiter': 'ab\\'. It ends in a lone backslash, an incomplete "
     "escape sequence; write \\\\ or \\x5c for a backslash"),
    ([("partitions", "nope")], "Unknown partition 'nope' in table 't'"),
    ([("partitions", "t, nope")], "Unknown partition 'nope' in table 't'"),
    ([("temporary_partitions", "nope")], "Unknown partition 'nope' in table 't'"),
    ([("temporary_partitions", "t")], "Unknown partition 't' in table 't'"),
]


class HeaderValuesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE h")
        cls.s.sql("CREATE TABLE t (k INT, v VARCHAR(16)) DUPLICATE KEY(k) "
                  "DISTRIBUTED BY HASH(k) BUCKETS 1", "h")
        cls.s.sql("CREATE TABLE p (k INT, v VARCHAR(16)) DUPLICATE KEY(k) "
                  "PARTITION BY RANGE(k) (PARTITION p0 VALUES LESS THAN (\"10\"), "
                  "PARTITION p1 VALUES LESS THAN (\"20\")) DISTRIBUTED BY HASH(k) BUCKETS 1", "h")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "h")
        self.s.sql("TRUNCATE TABLE p", "h")

    def count(self, table="t"):
        return self.s.rows("select count(*) from %s" % table, "h")[0][0]

    def before_body(self, headers, table="t"):
        """The reply to headers alone, with Expect: 100-continue and a body never sent."""
        head = ("PUT /api/h/%s/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                "Expect: 100-continue\r\nContent-Length: 1000000\r\n" % (table, basic()))
        head += "".join("%s: %s\r\n" % kv for kv in headers) + "\r\n"
        out = raw(self.s.be, head.encode(), timeout=10)
        self.assertNotIn(b"100 Continue", out, headers)
        self.assertIn(b"HTTP/1.1 200", out, headers)
        return json.loads(out.split(b"\r\n\r\n", 1)[1])

    def test_bad_values_refused_before_the_body(self):
        for headers, msg in BAD:
            with self.subTest(headers=headers):
                doc = self.before_body(headers)
                self.assertEqual(doc["Status"], "Fail")
                self.assertEqual(doc["Message"], "[INVALID_ARGUMENT]" + msg)
                self.assertEqual(doc["TxnId"], -1)

    def test_bad_values_load_nothing(self):
        for headers, msg in BAD:
            with self.subTest(headers=headers):
                sep = [] if headers[0][0] == "column_separator" else [("column_separator", ",")]
                doc = self.s.load("h", "t", b"1,a\n2,b\n", sep + headers).json()
                self.assertEqual(doc["Status"], "Fail")
                self.assertEqual(doc["Message"], "[INVALID_ARGUMENT]" + msg)
                self.assertEqual(doc["NumberLoadedRows"], 0)
                self.assertEqual(self.count(), 0)

    def test_partition_names_of_a_partitioned_table(self):
        for headers, msg in [([("partitions", "p0, p9")], "Unknown partition 'p9' in table 'p'"),
                             ([("temporary_partitions", "p0")],
                              "Unknown partition 'p0' in table 'p'")]:
            doc = self.before_body(headers, table="p")
            self.assertEqual(doc["Message"], "[INVALID_ARGUMENT]" + msg)
            doc = self.s.load("h", "p", b"1,a\n", [("column_separator", ",")] + headers).json()
            self.assertEqual(doc["Status"], "Fail", doc)
            self.assertEqual(self.count("p"), 0)

    def test_good_values_still_load(self):
        """The parsers accept what Doris documents: both spellings of a boolean, any number in
        range, surrounding blanks, the table's own name as its single partition."""
        cases = [
            [("max_filter_ratio", "0")], [("max_filter_ratio", "1")],
            [("max_filter_ratio", "0.5")], [("max_filter_ratio", ".25")],
            [("max_filter_ratio", "1e-1")], [("timeout", "60")], [("timeout", "259200")],
            [("two_phase_commit", "false")], [("strip_outer_array", "FALSE")],
            [("trim_double_quotes", "True")], [("strict_mode", "false")],
            [("skip_lines", "0")], [("exec_mem_limit", "2147483648")],
            [("send_batch_parallelism", "-1")], [("load_to_single_tablet", "false")],
            [("enable_profile", "true")], [("memtable_on_sink_node", "true")],
            [("partitions", "t")], [("partitions", "T")], [("column_separator", "\\x2c")],
        ]
        for headers in cases:
            with self.subTest(headers=headers):
                self.s.sql("TRUNCATE TABLE t", "h")
                hs = headers if headers[0][0] == "column_separator" else \
                    [("column_separator", ",")] + headers
                doc = self.s.load("h", "t", b"1,a\n2,b\n", hs).json()
                self.assertEqual(doc["Status"], "Success", doc)
                self.assertEqual(self.count(), 2)

    def test_backslash_separator_spelled_out(self):
        """A backslash separator is still possible, written as an escape or in hex."""
        for sep in ("\\\\", "\\x5c"):
            self.s.sql("TRUNCATE TABLE t", "h")
            doc = self.s.load("h", "t", b"1\\a\n", [("column_separator", sep)]).json()
            self.assertEqual(doc["Status"], "Success", doc)
            self.assertEqual(self.s.rows("select k, v from t", "h"), [[1, "a"]])


if __name__ == "__main__":
    unittest.main()
