"""Load history over the SQL API: SHOW STREAM LOAD with its filters, order and limit, and SHOW
TRANSACTION by id and by label (the regression framework's Publish Timeout poll)."""
import socket
import time
import unittest

from harness import Server, basic, new_label


class HistoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE h")
        cls.s.sql("CREATE TABLE h.t (id INT NOT NULL, v INT) DISTRIBUTED BY HASH(id) BUCKETS 1")
        cls.ok = new_label()
        cls.bad = new_label()
        r = cls.s.load("h", "t", b"1,1\n2,2\n", [("column_separator", ","), ("comment", "first")],
                       label=cls.ok).json()
        cls.txn = r["TxnId"]
        cls.s.load("h", "t", b"\\N,1\n", [("column_separator", ",")], label=cls.bad)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_show_stream_load(self):
        doc = self.s.sql("SHOW STREAM LOAD FROM h WHERE LABEL = '%s'" % self.ok, "h")["data"]
        names = [m["name"] for m in doc["meta"]]
        self.assertEqual(names, ["Label", "Db", "Table", "ClientIp", "Status", "Message", "Url",
                                 "TotalRows", "LoadedRows", "FilteredRows", "UnselectedRows",
                                 "LoadBytes", "StartTime", "FinishTime", "User", "Comment"])
        row = dict(zip(names, doc["data"][0]))
        self.assertEqual((row["Label"], row["Db"], row["Table"], row["Status"], row["Message"]),
                         (self.ok, "h", "t", "Success", "OK"))
        self.assertEqual((row["TotalRows"], row["LoadedRows"], row["User"], row["Comment"],
                          row["Url"], row["ClientIp"]), (2, 2, "root", "first", "N/A", "127.0.0.1"))
        self.assertRegex(row["StartTime"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        rows = self.s.rows("SHOW STREAM LOAD WHERE STATUS = \"fail\"", "h")
        self.assertEqual([r[0] for r in rows], [self.bad])
        self.assertIn("/api/_load_error_log?file=", rows[0][6])
        self.assertEqual(len(self.s.rows("SHOW STREAM LOAD FROM h ORDER BY StartTime DESC LIMIT 1",
                                         "h")), 1)
        like = self.s.rows("SHOW STREAM LOAD WHERE LABEL LIKE '%s%%'" % self.ok[:6], "h")
        self.assertIn(self.ok, [r[0] for r in like])

    def test_grammar(self):
        """Parsed by Doris's grammar (src/sql/parse.c): AND of two conditions, LIMIT 0, order
        columns by name, and Doris's errors for the rest."""
        rows = self.s.rows("SHOW STREAM LOAD WHERE LABEL = '%s' AND STATUS = 'SUCCESS'" % self.ok,
                           "h")
        self.assertEqual([r[0] for r in rows], [self.ok])
        self.assertEqual(self.s.rows("SHOW STREAM LOAD WHERE LABEL = '%s' AND STATUS = 'FAIL'"
                                     % self.ok, "h"), [])
        self.assertEqual(self.s.rows("SHOW STREAM LOAD LIMIT 0", "h"), [])
        for stmt, msg in (("SHOW STREAM LOAD ORDER BY nope", "Title name[nope] does not exist"),
                          ("SHOW STREAM LOAD WHERE Db = 'h'", "Where clause should looks like"),
                          ("SHOW TRANSACTION FROM h", "Missing transaction id"),
                          ("SHOW TRANSACTION WHERE status = 'visible'",
                           "Where clause should looks like one of them"),
                          ("SHOW STREAM LOAD LIMIT 1 ORDER BY Label", "syntax error")):
            doc = self.s.sql(stmt, "h", ok=False)
            self.assertEqual(doc["code"], 1, stmt)
            self.assertIn(msg, doc["data"], stmt)

    def test_show_transaction(self):
        rows = self.s.rows("show transaction from h where id = %d" % self.txn, "h")
        self.assertEqual(rows[0][3], "VISIBLE")        # column 4: the status the framework reads
        rows = self.s.rows("SHOW TRANSACTION WHERE label = '%s'" % self.bad, "h")
        self.assertEqual(rows[0][3], "ABORTED")

    def test_cancelled_load_is_recorded(self):
        """A client that vanishes mid-body: the load is aborted and shows as Fail (issue 21)."""
        label = new_label()
        self.s.sql("CREATE DATABASE hc")
        self.s.sql("CREATE TABLE hc.t (id INT NOT NULL, v INT) DISTRIBUTED BY HASH(id) BUCKETS 1")
        head = ("PUT /api/hc/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                "label: %s\r\ncolumn_separator: ,\r\nContent-Length: 100000\r\n\r\n"
                % (basic(), label)).encode()
        c = socket.create_connection(("127.0.0.1", self.s.be), timeout=10)
        c.sendall(head + b"1,1\n2,2\n")
        time.sleep(0.3)
        c.close()
        rows = []
        for _ in range(100):  # bounded: the server aborts when it notices the close
            rows = self.s.rows("SHOW STREAM LOAD WHERE LABEL = '%s'" % label, "hc")
            if rows:
                break
            time.sleep(0.05)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][4], "Fail")
        self.assertIn("cancelled", rows[0][5])
        txn = self.s.rows("SHOW TRANSACTION WHERE label = '%s'" % label, "hc")
        self.assertEqual(txn[0][3], "ABORTED")

    def test_running_load_shows_progress(self):
        """A load in progress shows its rows and bytes so far in SHOW TRANSACTION (issue 21)."""
        label = new_label()
        self.s.sql("CREATE DATABASE IF NOT EXISTS hp")
        self.s.sql("CREATE TABLE IF NOT EXISTS hp.t (id INT NOT NULL, v INT) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1")
        head = ("PUT /api/hp/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                "label: %s\r\ncolumn_separator: ,\r\nTransfer-Encoding: chunked\r\n\r\n"
                % (basic(), label)).encode()
        part = b"".join(b"%d,1\n" % i for i in range(5000))
        c = socket.create_connection(("127.0.0.1", self.s.be), timeout=30)
        try:
            c.sendall(head + b"%x\r\n" % len(part) + part + b"\r\n")
            row = None
            deadline = time.time() + 15  # bounded: progress is saved every heartbeat (2 s)
            while time.time() < deadline:
                rows = self.s.rows("SHOW TRANSACTION WHERE label = '%s'" % label, "hp")
                if rows and rows[0][9] == 5000:
                    row = rows[0]
                    break
                time.sleep(0.1)
            self.assertIsNotNone(row, "no progress shown")
            self.assertEqual(row[3], "PREPARE")
            self.assertGreaterEqual(row[10], len(part))
            c.sendall(b"0\r\n\r\n")
            reply = b""
            while b"}" not in reply:
                reply += c.recv(65536)
        finally:
            c.close()
        rows = self.s.rows("SHOW TRANSACTION WHERE label = '%s'" % label, "hp")
        self.assertEqual((rows[0][3], rows[0][9], rows[0][10]), ("VISIBLE", 5000, len(part)))

    def test_show_proc_stream_loads(self):
        """SHOW PROC '/stream_loads' lists this node's running loads with their bytes and rows
        so far, only of databases whose loads the user may see; other paths are refused."""
        label = new_label()
        self.s.sql("CREATE DATABASE IF NOT EXISTS hq")
        self.s.sql("CREATE TABLE IF NOT EXISTS hq.t (id INT NOT NULL, v INT) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1")
        self.s.sql("CREATE USER IF NOT EXISTS 'hq_other' IDENTIFIED BY 'pw1'")
        self.s.sql("GRANT LOAD_PRIV ON h.* TO 'hq_other'")
        head = ("PUT /api/hq/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                "label: %s\r\ncolumn_separator: ,\r\nTransfer-Encoding: chunked\r\n\r\n"
                % (basic(), label)).encode()
        part = b"".join(b"%d,1\n" % i for i in range(3000))
        c = socket.create_connection(("127.0.0.1", self.s.be), timeout=30)
        try:
            c.sendall(head + b"%x\r\n" % len(part) + part + b"\r\n")
            doc, row = None, None
            deadline = time.time() + 15
            while time.time() < deadline and row is None:
                doc = self.s.sql("SHOW PROC '/stream_loads'")["data"]
                row = next((r for r in doc["data"] if r[0] == label and r[10] == "3000"), None)
                time.sleep(0.05)
            self.assertIsNotNone(row, "the running load is not listed: %s" % doc)
            self.assertEqual([m["name"] for m in doc["meta"]],
                             ["Label", "Db", "Table", "Protocol", "User", "ClientIp", "State",
                              "StartTime", "ElapsedMs", "LoadBytes", "ReceivedRows", "BodySize"])
            self.assertEqual(row[1:7], ["hq", "t", "doris", "root", "127.0.0.1", "LOADING"])
            self.assertGreaterEqual(int(row[9]), len(part))
            self.assertEqual(row[11], "")  # chunked: no announced size
            # a user with LOAD on another database does not see it
            other = self.s.sql("SHOW PROC '/stream_loads'", user="hq_other", pw="pw1")
            self.assertEqual(other["code"], 0, other)
            self.assertNotIn(label, [r[0] for r in other["data"]["data"]])
            c.sendall(b"0\r\n\r\n")
            reply = b""
            while b"}" not in reply:
                reply += c.recv(65536)
        finally:
            c.close()
        wait_rows = [r[0] for r in self.s.sql("SHOW PROC '/stream_loads'")["data"]["data"]]
        self.assertNotIn(label, wait_rows)  # the reply is sent after the load left the list
        bad = self.s.sql("SHOW PROC '/backends'", ok=False)
        self.assertNotEqual(bad["code"], 0)
        self.assertIn("Proc path '/backends' doesn't exist", bad["data"])


if __name__ == "__main__":
    unittest.main()
