"""tsload connector, issue 26: a load cycle belongs to the user who started it (and ADMIN users),
and a cycle whose commit reached the store is reported DONE after a crash between the commit and
its final record."""
import json
import os
import subprocess
import unittest
import uuid

from harness import BIN, Server
from test_tsload import BASE, Client

CRASH_ENV = "SLUICE_TEST_TSLOAD_CRASH_AFTER_COMMIT"


def add_users(data_dir, *cmds):
    for args in cmds:
        p = subprocess.run([BIN, "user"] + list(args) + ["--data-dir", data_dir],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr


class CycleOwnerTest(unittest.TestCase):
    """Every cycle endpoint, tried by a second user with LOAD on the same table: each answers
    exactly as for a cycle id nobody started, and the owner's cycle is untouched."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE ts")
        cls.s.sql("CREATE TABLE t (id INT NOT NULL, name VARCHAR(20)) DUPLICATE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1", "ts")
        add_users(cls.s.data_dir,
                  ["add", "alice", "--password", "pa"], ["grant", "alice", "LOAD", "ON", "ts.t"],
                  ["add", "bob", "--password", "pb"], ["grant", "bob", "LOAD", "ON", "ts"],
                  ["add", "boss", "--password", "px", "--admin"])

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        self.s.sql("TRUNCATE TABLE t", "ts")
        self.alice, self.bob = Client(self.s.ts), Client(self.s.ts)
        self.assertEqual(self.alice.login("alice", "pa")[0], 200)
        self.assertEqual(self.bob.login("bob", "pb")[0], 200)

    def start(self, client, params=None):
        st, text, _ = client.start(params or {"target": {"database": "ts", "table": "t"},
                                              "load_options": {"max_ignored_rows": 5}})
        self.assertEqual(st, 202, text)
        return json.loads(text)["cycle_id"]

    def alice_cycle_with_a_bad_record(self):
        cycle = self.start(self.alice)
        st, text, _ = self.alice.upload(cycle, b"1,a\nbad,b\n")
        self.assertEqual((st, text), (202, "Upload Complete."))
        return cycle

    def calls(self, client, cycle):
        """Every cycle endpoint: name -> (status, body)."""
        out = {}
        for name, method, suffix in (("status", "GET", ""),
                                     ("input_summary", "GET", "/input_summary"),
                                     ("bad_records", "GET", "/bad_records_file"),
                                     ("cancel", "POST", "/cancel"),
                                     ("commit", "POST", "/commit"),
                                     ("status_nonpublic", "GET", "")):
            base = "/ts_dataservice/v1" if name == "status_nonpublic" else BASE
            st, text, _ = client.call(method, base + "/loads/" + cycle + suffix,
                                      b"" if method == "POST" else None)
            out[name] = (st, text.replace(cycle, "<id>"))
        st, text, _ = client.upload(cycle, b"9,mallory\n")
        out["upload"] = (st, text.replace(cycle, "<id>"))
        return out

    def test_other_user_sees_an_unknown_cycle_on_every_endpoint(self):
        cycle = self.alice_cycle_with_a_bad_record()
        # the replies for an id nobody ever started, as bob gets them
        unknown = self.calls(self.bob, str(uuid.uuid4()))
        self.assertEqual(unknown["status"][0], 400)
        self.assertEqual(unknown["upload"], (400, "Cycle_id=[<id>] does not exist."))
        self.assertEqual(unknown["commit"], (500, "Commit load cycle failed. Error ending load. "
                                                  "Unknown cycle_id '<id>'"))
        self.assertEqual(unknown["bad_records"], (500, "Node does not exist: "
                                                       "/tmp/<id>.bad_record"))
        got = self.calls(self.bob, cycle)
        for name in ("status", "status_nonpublic", "input_summary", "bad_records", "upload",
                     "cancel", "commit"):
            self.assertEqual(got[name], unknown[name], name)
        # nothing bob did reached the cycle: still open, only alice's rows, commit works
        s = self.alice.status(cycle)
        self.assertEqual(s["internal_stage"], "INGESTING", s)
        self.assertEqual(s["ignored_row_count"], "1")
        st, _, _ = self.alice.commit(cycle)
        self.assertEqual(st, 202)
        s = self.alice.wait_done(cycle)
        self.assertEqual((s["status"], s["rows_written"]), ({"code": "OK"}, "1"), s)
        self.assertEqual(self.s.rows("select id, name from t", "ts"), [[1, "a"]])
        # also once finished: bob cannot read its status or bad records
        got = self.calls(self.bob, cycle)
        for name in ("status", "input_summary", "bad_records"):
            self.assertEqual(got[name], unknown[name], name)
        st, text, _ = self.alice.call("GET", BASE + "/loads/%s/bad_records_file" % cycle)
        self.assertEqual((st, text), (200, "bad,b\n"))

    def test_other_user_cannot_cancel_or_commit(self):
        cycle = self.alice_cycle_with_a_bad_record()
        st, _, _ = self.bob.call("POST", BASE + "/loads/%s/cancel" % cycle, b"")
        self.assertEqual(st, 400)
        st, _, _ = self.bob.commit(cycle)
        self.assertEqual(st, 500)
        self.assertEqual(self.alice.status(cycle)["internal_stage"], "INGESTING")
        self.assertEqual(self.s.rows("select count(*) from t", "ts"), [[0]])
        st, _, _ = self.alice.call("POST", BASE + "/loads/%s/cancel" % cycle, b"")
        self.assertEqual(st, 200)
        self.assertEqual(self.alice.status(cycle)["internal_stage"], "CANCELLED")

    def test_list_shows_own_cycles_only(self):
        mine = self.alice_cycle_with_a_bad_record()
        theirs = self.start(self.bob)
        st, text, _ = self.bob.call("GET", BASE + "/loads")
        ids = [x["Cycle_id"] for x in json.loads(text)]
        self.assertIn(theirs, ids)
        self.assertNotIn(mine, ids)

    def test_admin_sees_and_drives_every_cycle(self):
        cycle = self.alice_cycle_with_a_bad_record()
        boss = Client(self.s.ts)
        self.assertEqual(boss.login("boss", "px")[0], 200)
        self.assertEqual(boss.status(cycle)["ignored_row_count"], "1")
        st, text, _ = boss.call("GET", BASE + "/loads/%s/input_summary" % cycle)
        self.assertEqual(json.loads(text)["load_params"]["target"]["table"], "t")
        self.assertEqual(boss.upload(cycle, b"2,b\n")[0], 202)
        self.assertEqual(boss.commit(cycle)[0], 202)
        self.assertEqual(boss.wait_done(cycle)["rows_written"], "2")
        st, text, _ = boss.call("GET", BASE + "/loads")
        self.assertIn(cycle, [x["Cycle_id"] for x in json.loads(text)])


class CommitCrashTest(unittest.TestCase):
    """kill -9 after the store commit returned and before final.json: the restarted server
    reports the cycle DONE with its counts, and the rows are there exactly once."""

    def test_crash_between_store_commit_and_final_record(self):
        os.environ[CRASH_ENV] = "1"
        try:
            s = Server()
        finally:
            del os.environ[CRASH_ENV]
        try:
            s.sql("CREATE DATABASE ts")
            s.sql("CREATE TABLE t (id INT NOT NULL, name VARCHAR(20)) DUPLICATE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1", "ts")
            c = Client(s.ts)
            self.assertEqual(c.login()[0], 200)
            st, text, _ = c.start({"target": {"database": "ts", "table": "t"},
                                   "load_options": {"max_ignored_rows": 1}})
            cycle = json.loads(text)["cycle_id"]
            data = b"1,a\n2,b\nx,bad\n3,c\n"
            self.assertEqual(c.upload(cycle, data)[0], 202)
            st, text, _ = c.commit(cycle)
            self.assertEqual((st, text), (202, "Commit load cycle request made."))
            # the hook killed the process right after the store commit returned
            self.assertEqual(s.proc.wait(timeout=60), -9)
            s.start()  # without the hook
            c = Client(s.ts)
            self.assertEqual(c.login()[0], 200)
            st = c.status(cycle)
            self.assertEqual(st["internal_stage"], "DONE", st)
            self.assertEqual(st["status"], {"code": "OK"})
            self.assertEqual((st["rows_written"], st["ignored_row_count"]), ("3", "1"))
            self.assertEqual(st["bytes_written"], str(len(data)))
            self.assertEqual(len(st["parsing_errors"]), 1)
            code, text, _ = c.call("GET", BASE + "/loads/%s/bad_records_file" % cycle)
            self.assertEqual((code, text), (200, "x,bad\n"))
            self.assertEqual(s.rows("select id, name from t order by id", "ts"),
                             [[1, "a"], [2, "b"], [3, "c"]])
            self.assertEqual(c.commit(cycle)[0], 500)  # not open any more
            # the decision is on disk: the same after another restart
            s.restart()
            c = Client(s.ts)
            c.login()
            self.assertEqual(c.status(cycle), st)
            self.assertEqual(s.rows("select count(*) from t", "ts"), [[3]])
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
