"""tsload connector, issue 24: what ThoughtSpot's reference client (data_importer_client.py) can
ask for beyond the plain load: --validate_only, --file_target_dir, DELIMITED data with
--escape_character, CRLF files with enclosed fields, and a login that survives a restart while
the client polls getStatus. Every call is made as the reference client makes it (Client in
test_tsload.py)."""
import json
import os
import unittest

from harness import Server
from test_tsload import BASE, Client


class ClientOptionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE ts")
        cls.s.sql("CREATE TABLE t (id INT NOT NULL, name VARCHAR(40)) DUPLICATE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1", "ts")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "ts")
        self.c = Client(self.s.ts)
        self.assertEqual(self.c.login()[0], 200)

    def rows(self):
        return self.s.rows("select id, name from t order by id", "ts")

    def params(self, fmt=None, load_options=None, advanced=None):
        # makeLoadParams: only non-default keys, empty objects dropped
        p = {"target": {"database": "ts", "table": "t"}}
        if fmt:
            p["format"] = fmt
        if load_options:
            p["load_options"] = load_options
        if advanced:
            p["advanced_options"] = advanced
        return p

    def run_cycle(self, params, *files):
        st, text, _ = self.c.start(params)
        self.assertEqual(st, 202, text)
        cycle = json.loads(text)["cycle_id"]
        st, text, _ = self.c.call("GET", BASE + "/loads/%s/input_summary" % cycle)
        self.assertEqual(st, 200)
        for data in files:
            st, text, _ = self.c.upload(cycle, data)
            self.assertEqual((st, text), (202, "Upload Complete."))
        self.assertEqual(self.c.commit(cycle)[0], 202)
        return cycle, self.c.wait_done(cycle)

    # ---- validate_only ----------------------------------------------------------------------
    def test_validate_only_reports_without_writing(self):
        self.run_cycle(self.params(), b"100,kept\n")
        cycle, s = self.run_cycle(self.params(load_options={"max_ignored_rows": 1,
                                                            "empty_target": True},
                                              advanced={"validate_only": True}),
                                  b"1,a\nnot-a-number,b\n", b"2,c\n")
        self.assertEqual(s["internal_stage"], "DONE", s)
        self.assertEqual(s["status"]["code"], "OK")
        self.assertEqual(s["status"]["message"],
                         "validate_only: 2 rows would have been loaded and 1 rows were ignored; "
                         "nothing was written")
        self.assertEqual((s["rows_written"], s["ignored_row_count"]), ("0", "1"))
        self.assertEqual(len(s["parsing_errors"]), 1)
        st, text, _ = self.c.call("GET", BASE + "/loads/%s/bad_records_file" % cycle)
        self.assertEqual((st, text), (200, "not-a-number,b\n"))
        self.assertEqual(self.rows(), [[100, "kept"]])  # not written, not emptied
        st, text, _ = self.c.call("GET", BASE + "/loads")
        self.assertIn({"Cycle_id": cycle, "Status": "OK",
                       "BadRecordsUrl": BASE + "/loads/%s/bad_records_file" % cycle},
                      json.loads(text))

    def test_validate_only_failing_validation(self):
        _, s = self.run_cycle(self.params(advanced={"validate_only": True}), b"1,a\nx,b\n")
        self.assertEqual(s["status"]["code"], "LOAD_FAILED", s)
        self.assertIn("max_ignored_rows", s["status"]["message"])
        self.assertEqual(self.rows(), [])

    # ---- file_target_dir --------------------------------------------------------------------
    def test_file_target_dir_is_refused(self):
        before = json.loads(self.c.call("GET", BASE + "/loads")[1])
        target = os.path.join(self.s.data_dir, "dml-out")
        body = json.dumps(self.params(advanced={"file_target_dir": target})).encode()
        st, text, _ = self.c.call("POST", BASE + "/loads", body)
        self.assertEqual((st, text), (400, "Invalid input params for starting data load: " +
                                      body.decode()))
        self.assertEqual(json.loads(self.c.call("GET", BASE + "/loads")[1]), before)
        self.assertFalse(os.path.exists(target))
        # an empty value asks for nothing
        _, s = self.run_cycle(self.params(advanced={"file_target_dir": ""}), b"1,a\n")
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows(), [[1, "a"]])

    # ---- DELIMITED and escape_character -----------------------------------------------------
    def test_delimited_escape_character(self):
        fmt = {"type": "DELIMITED", "field_separator": "|", "escape_character": "\\",
               "has_header_row": True}
        part1 = (b"id|name\n1|a\\|b\n2|two\\\nlines\n3|back\\\\slash\n4|crlf\r\n"
                 b"5|\\x\\\"q\r\n")
        part2 = b"id|name\r\n6|\"quoted\"|\r\n"  # quotes are data; one field too many -> bad
        _, s = self.run_cycle(self.params(fmt, {"max_ignored_rows": 1}), part1, part2)
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual((s["rows_written"], s["ignored_row_count"]), ("5", "1"), s)
        self.assertEqual(self.rows(), [[1, "a|b"], [2, "two\nlines"], [3, "back\\slash"],
                                       [4, "crlf"], [5, "x\"q"]])

    def test_delimited_escape_with_long_separator(self):
        fmt = {"type": "delimited", "field_separator": "::", "escape_character": "^"}
        _, s = self.run_cycle(self.params(fmt), b"7::a^::b\n8::^^\n9::c")
        self.assertEqual(s["status"], {"code": "OK"}, s)
        self.assertEqual(self.rows(), [[7, "a::b"], [8, "^"], [9, "c"]])

    # ---- line endings -----------------------------------------------------------------------
    def test_crlf_and_lf_give_the_same_values(self):
        cases = [
            ({"enclosing_character": "^"},
             b"1,^enclosed^\n2,^x,y^\n3,^a^^b^\n4,plain\n5,^^\n",
             [[1, "enclosed"], [2, "x,y"], [3, "a^b"], [4, "plain"], [5, ""]]),
            ({}, b"1,\"q\"\"uote\"\n2,\"multi\r\nline\"\n3,\"\"\n",
             [[1, "q\"uote"], [2, "multi\r\nline"], [3, ""]]),
            ({"escape_character": "\\"}, b"1,\"a\\\"b\"\n2,\"c\\\\\"\n",
             [[1, "a\"b"], [2, "c\\"]]),
        ]
        for fmt, lf, expect in cases:
            crlf = lf.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
            for data in (lf, crlf):
                self.s.sql("TRUNCATE TABLE t", "ts")
                _, s = self.run_cycle(self.params(fmt), data)
                self.assertEqual(s["status"], {"code": "OK"}, (fmt, data, s))
                self.assertEqual(self.rows(), expect, (fmt, data))


class SessionRestartTest(unittest.TestCase):
    def test_session_survives_restart_mid_poll(self):
        s = Server()
        try:
            s.sql("CREATE DATABASE ts")
            s.sql("CREATE TABLE t (id INT NOT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) "
                  "BUCKETS 1", "ts")
            c = Client(s.ts)
            self.assertEqual(c.login()[0], 200)
            token = c.cookie.split("=", 1)[1]
            st, text, _ = c.start({"target": {"database": "ts", "table": "t"}})
            cycle = json.loads(text)["cycle_id"]
            self.assertEqual(c.upload(cycle, b"1\n2\n")[0], 202)
            self.assertEqual(c.commit(cycle)[0], 202)
            self.assertEqual(c.status(cycle)["cycle_id"], cycle)  # first poll
            s.restart()
            c.port = s.ts  # same data directory, new port; the same cookie
            done = c.wait_done(cycle)
            self.assertEqual((done["internal_stage"], done["rows_written"]), ("DONE", "2"))
            # the session works for the next load too
            st, text, _ = c.start({"target": {"database": "ts", "table": "t"}})
            self.assertEqual(st, 202, text)
            # the token itself is not on disk, only its digest
            sdir = os.path.join(s.data_dir, "tsload", "sessions")
            files = os.listdir(sdir)
            self.assertEqual(len(files), 1)
            self.assertNotIn(token, files[0])
            with open(os.path.join(sdir, files[0])) as f:
                self.assertEqual(f.read(), "root")
            # kill -9 as well
            s.kill9()
            s.start()
            c.port = s.ts
            self.assertEqual(c.status(cycle)["internal_stage"], "DONE")
            # a token nobody issued is still refused
            bad = Client(s.ts)
            bad.cookie = "JSESSIONID=" + token[:-1] + ("0" if token[-1] != "0" else "1")
            st, text, _ = bad.call("GET", BASE + "/loads/" + cycle)
            self.assertEqual((st, text), (401, "Unable to verify user. Please login again."))
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
