"""Two-phase commit over real HTTP: precommit, commit and abort by label and by txn_id, the
exact replies and errors of specs §1.4, label reuse after abort, kill -9 between the phases, and
the precommit timeout."""
import time
import unittest

from harness import Server, basic, new_label


class TwoPhaseCommitTest(unittest.TestCase):
    def setUp(self):
        self.s = Server(extra=["--set", "stream_load_default_precommit_timeout_second=2"])
        self.s.sql("CREATE DATABASE d")
        self.s.sql("CREATE TABLE d.t (k INT, v INT) DISTRIBUTED BY HASH(k) BUCKETS 1")

    def tearDown(self):
        self.s.close()

    def count(self):
        return self.s.rows("select count(*) from t", "d")[0][0]

    def precommit(self, label, rows=b"1,1\n2,2\n"):
        doc = self.s.load("d", "t", rows, [("column_separator", ","), ("two_phase_commit", "true")],
                          label=label).json()
        self.assertEqual((doc["Status"], doc["TwoPhaseCommit"]), ("Success", "true"), doc)
        return doc["TxnId"]

    def op(self, headers, port=None, path="/api/d/t/_stream_load_2pc"):
        return self.s.request("PUT", path, [("Authorization", basic())] + headers, b"",
                              port=port).json()

    def state(self, label):
        return self.s.request("GET", "/api/d/get_load_state?label=" + label,
                              [("Authorization", basic())]).json()["data"]

    def test_commit_by_label_then_by_id(self):
        label = new_label()
        txn = self.precommit(label)
        self.assertEqual(self.count(), 0)
        self.assertEqual(self.state(label), "PRECOMMITTED")
        doc = self.s.load("d", "t", b"1,1\n", [("column_separator", ",")], label=label).json()
        self.assertEqual((doc["Status"], doc["ExistingJobStatus"]), ("Label Already Exists", "PRECOMMITTED"))
        doc = self.op([("label", label), ("txn_operation", "commit")])
        self.assertEqual(doc, {"status": "Success", "msg": "label [%s] commit successfully." % label})
        self.assertEqual(self.count(), 2)
        self.assertEqual(self.state(label), "VISIBLE")
        doc = self.op([("txn_id", str(txn)), ("txn_operation", "commit")], port=self.s.be,
                      path="/api/d/_stream_load_2pc")
        self.assertEqual(doc["status"], "ANALYSIS_ERROR")
        self.assertIn("transaction [%d] is already visible, not pre-committed." % txn, doc["msg"])

    def test_abort_by_id_and_reuse_label(self):
        label = new_label()
        txn = self.precommit(label)
        raw = self.s.request("PUT", "/api/d/_stream_load_2pc",
                             [("Authorization", basic()), ("txn_id", str(txn)),
                              ("txn_operation", "abort")], b"")
        self.assertEqual(raw.text, '{\n    "status": "Success",\n    "msg": "transaction [%d] abort '
                                   'successfully."\n}\n' % txn)
        self.assertEqual(self.state(label), "ABORTED")
        doc = self.op([("txn_id", str(txn)), ("txn_operation", "commit")])
        self.assertIn("is already aborted. abort reason: User Abort", doc["msg"])
        self.precommit(label)  # an aborted label is free again
        self.op([("label", label), ("txn_operation", "commit")])
        self.assertEqual(self.count(), 2)

    def test_errors(self):
        self.assertEqual(self.op([("txn_operation", "commit")]),
                         {"status": "FAILED", "msg": "No transaction id or label selected."})
        self.assertEqual(self.op([("label", "x")]),
                         {"status": "FAILED",
                          "msg": "No transaction operation('commit' or 'abort') selected."})
        self.assertEqual(self.op([("txn_id", "abc"), ("txn_operation", "commit")]),
                         {"status": "INTERNAL_ERROR", "msg": "convert txn_id [abc] failed, reason=stoull"})
        self.assertEqual(self.op([("txn_id", "1"), ("txn_operation", "maybe")])["msg"],
                         "transaction operation should be 'commit' or 'abort'")
        self.assertIn("transaction [999] not found",
                      self.op([("txn_id", "999"), ("txn_operation", "commit")])["msg"])
        self.assertIn("transaction not found, label=nope",
                      self.op([("label", "nope"), ("txn_operation", "abort")])["msg"])

    def test_kill9_between_phases(self):
        label = new_label()
        self.precommit(label, b"".join(b"%d,1\n" % i for i in range(1000)))
        self.s.kill9()
        self.s.start()
        self.assertEqual(self.state(label), "PRECOMMITTED")
        self.assertEqual(self.count(), 0)
        self.assertEqual(self.op([("label", label), ("txn_operation", "commit")])["status"], "Success")
        self.assertEqual(self.count(), 1000)

    def test_precommit_timeout_aborts(self):
        label = new_label()
        self.precommit(label)
        time.sleep(2.5)
        self.s.load("d", "t", b"9,9\n", [("column_separator", ",")])  # the store expires on begin
        self.assertEqual(self.state(label), "ABORTED")
        doc = self.op([("label", label), ("txn_operation", "commit")])
        self.assertEqual(doc["status"], "ANALYSIS_ERROR")
        self.assertEqual(self.count(), 1)


if __name__ == "__main__":
    unittest.main()
