"""The HTTP SQL API (POST /api/query/{ns}/{db}) and `sluice sql`, and users/privileges through
`sluice user`, against the real binary."""
import http.client
import json
import subprocess
import unittest

from harness import BIN, Server, basic


class SqlApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def post(self, body, db="information_schema", auth=None, stream=True):
        hs = [("Authorization", auth or basic()), ("Content-Type", "application/json")]
        if not stream:
            hs.append(("X-Doris-Stream", "false"))
        return self.s.request("POST", "/api/query/default_cluster/" + db, hs, body).json()

    def test_database_lifecycle(self):
        self.assertEqual(self.s.sql("CREATE DATABASE life")["data"]["type"], "exec_status")
        doc = self.s.sql("CREATE DATABASE life", ok=False)
        self.assertEqual((doc["msg"], doc["code"]), ("Error", 1))
        self.assertIn("database exists", doc["data"])
        self.s.sql("CREATE DATABASE IF NOT EXISTS life")
        dbs = [r[0] for r in self.s.rows("SHOW DATABASES", "information_schema")]
        self.assertIn("life", dbs)
        self.s.sql("DROP DATABASE life")
        self.s.sql("DROP DATABASE IF EXISTS life")
        self.assertIn("doesn't exist", self.s.sql("DROP DATABASE life", ok=False)["data"])

    def test_tables_select_insert(self):
        s = self.s
        s.sql("CREATE DATABASE IF NOT EXISTS q")
        s.sql("CREATE TABLE q.items (id BIGINT NOT NULL, city VARCHAR(32) DEFAULT '', "
              "price DECIMALV3(10,2), flag BOOLEAN, ts DATETIMEV2(3), big LARGEINT, "
              "f FLOAT, j JSON) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 3 "
              "PROPERTIES (\"replication_num\" = \"1\")")
        self.assertEqual(s.rows("SHOW TABLES", "q"), [["items"]])
        desc = s.rows("DESC items", "q")
        self.assertEqual(desc[0], ["id", "bigint", "No", "true", None, ""])
        self.assertEqual(desc[2][1], "decimalv3(10,2)")
        s.sql("INSERT INTO items (id, city, price, flag, ts, big, f, j) VALUES "
              "(1, 'paris', 12.5, true, '2024-01-02 03:04:05.678', "
              "170141183460469231731687303715884105727, 1.5, '{\"a\":1}'), "
              "(2, \"rome\", -0.1, 0, NULL, -3, NULL, NULL), (3, 'x', NULL, NULL, NULL, NULL, "
              "NULL, NULL)", "q")
        doc = s.sql("select * from items order by id", "q")["data"]
        self.assertEqual([m["name"] for m in doc["meta"]],
                         ["id", "city", "price", "flag", "ts", "big", "f", "j"])
        self.assertEqual([m["type"] for m in doc["meta"]][:4], ["BIGINT", "VARCHAR", "DECIMAL", "BOOLEAN"])
        self.assertEqual(doc["data"][0], [1, "paris", 12.5, True, "2024-01-02 03:04:05.678",
                                          170141183460469231731687303715884105727, 1.5, '{"a":1}'])
        self.assertEqual(doc["data"][1][:4], [2, "rome", -0.1, False])
        self.assertEqual(s.rows("select count(*) from items where price > 0", "q"), [[1]])
        self.assertEqual(s.rows("select id from items where city = \"x\"", "q"), [[3]])
        self.assertEqual(s.rows("select id from items order by id desc limit 2", "q"), [[3], [2]])
        self.assertEqual(s.rows("select city, id from items order by 2 limit 1 offset 1", "q"),
                         [["rome", 2]])
        raw = s.request("POST", "/api/query/default_cluster/q",
                        [("Authorization", basic()), ("X-Doris-Stream", "false")],
                        json.dumps({"stmt": "select price from items where id = 1"}).encode())
        self.assertIn(b"12.50", raw.body)  # decimals keep their scale
        s.sql("TRUNCATE TABLE items", "q")
        self.assertEqual(s.rows("select count(*) from items", "q"), [[0]])
        s.sql("DROP TABLE items", "q")
        self.assertIn("items", s.sql("select * from items", "q", ok=False)["data"])

    def test_errors(self):
        self.assertEqual(self.post(b'{"stmt": ""}'),
                         {"msg": "Bad Request", "code": 403, "data": "Missing statement request body",
                          "count": 0})
        self.assertEqual(self.post(b"not json")["code"], 403)
        doc = self.post(json.dumps({"stmt": "select 1", "is_sync": False}).encode())
        self.assertEqual(doc["data"], "Not support async query execution")
        doc = self.post(json.dumps({"stmt": "CREATE TABLE x (a INT"}).encode())
        self.assertEqual(doc["code"], 1)
        self.assertTrue(doc["data"].startswith("Failed to execute sql: "))
        self.assertIn("line 1", doc["data"])
        doc = self.post(json.dumps({"stmt": "select 1"}).encode(), auth=basic("root", "x"))
        self.assertEqual((doc["msg"], doc["code"]), ("Unauthorized", 401))
        doc = self.post(json.dumps({"stmt": "select 1 + 1"}).encode())
        self.assertEqual(doc["data"]["data"], [[2]])

    def test_buffered_limit(self):
        self.s.sql("CREATE DATABASE IF NOT EXISTS lim")
        self.s.sql("CREATE TABLE lim.n (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1")
        body = b"".join(b"%d\n" % i for i in range(1500))
        self.assertEqual(self.s.load("lim", "n", body, []).json()["Status"], "Success")
        doc = self.post(json.dumps({"stmt": "select * from n"}).encode(), db="lim", stream=False)
        self.assertEqual(len(doc["data"]["data"]), 1000)
        doc = self.post(json.dumps({"stmt": "select * from n", "limit": 10}).encode(), db="lim",
                        stream=False)
        self.assertEqual(len(doc["data"]["data"]), 10)
        doc = self.post(json.dumps({"stmt": "select * from n"}).encode(), db="lim")
        self.assertEqual(len(doc["data"]["data"]), 1500)

    def test_cli_sql(self):
        run = lambda *a: subprocess.run([BIN, "sql", "--port", str(self.s.fe)] + list(a),
                                        capture_output=True, text=True, timeout=30)
        self.assertEqual(run("CREATE DATABASE cli").returncode, 0)
        self.assertEqual(run("--db", "cli", "CREATE TABLE t (a INT, b STRING) "
                             "DISTRIBUTED BY HASH(a) BUCKETS 1").returncode, 0)
        self.assertEqual(run("--db", "cli", "INSERT INTO t VALUES (1, 'x'), (2, NULL)").returncode, 0)
        out = run("--db", "cli", "select * from t order by a")
        self.assertEqual(out.stdout, "a\tb\n1\tx\n2\t\\N\n")
        bad = run("--db", "cli", "select * from nope")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("error:", bad.stderr)

    def test_users_and_privileges(self):
        s = self.s
        user = lambda *a: subprocess.run([BIN, "user"] + list(a) + ["--data-dir", s.data_dir],
                                         capture_output=True, text=True, timeout=30)
        s.sql("CREATE DATABASE IF NOT EXISTS priv")
        s.sql("CREATE TABLE priv.t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1")
        s.sql("CREATE TABLE priv.u (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1")
        self.assertEqual(user("add", "loader", "--password", "s3cret").returncode, 0)
        self.assertNotEqual(user("add", "loader").returncode, 0)
        # no privilege yet: the FE refuses with its body, the load port with a Fail reply
        r = s.load("priv", "t", b"1\n", [], user="loader", pw="s3cret", via_fe=False)
        self.assertIn("Access denied; you need (at least one of) the (LOAD) privilege(s)",
                      r.json()["Message"])
        r = s.request("PUT", "/api/priv/t/_stream_load",
                      [("Authorization", basic("loader", "s3cret")), ("Expect", "100-continue")], b"")
        self.assertEqual(r.json()["status"], "FAILED")
        self.assertEqual(user("grant", "loader", "LOAD", "ON", "priv.t").returncode, 0)
        r = s.load("priv", "t", b"1\n", [], user="loader", pw="s3cret")
        self.assertEqual(r.json()["Status"], "Success")
        r = s.load("priv", "u", b"1\n", [], user="loader", pw="s3cret", via_fe=False)
        self.assertEqual(r.json()["Status"], "Fail")
        r = s.load("priv", "t", b"1\n", [], user="loader", pw="wrong", via_fe=False)
        self.assertIn("Access denied for user 'loader'", r.json()["Message"])
        # non-admin users cannot run DDL, but may read what they can load
        self.assertEqual(s.sql("DROP TABLE t", "priv", user="loader", pw="s3cret", ok=False)["code"], 1)
        self.assertEqual(s.sql("select count(*) from t", "priv", user="loader", pw="s3cret")["data"]["data"], [[1]])
        self.assertEqual(user("passwd", "loader", "new").returncode, 0)
        r = s.load("priv", "t", b"2\n", [], user="loader", pw="new")
        self.assertEqual(r.json()["Status"], "Success")



def big_table(s, db, n):
    """db.t with n rows of about 60 bytes each (JSON), loaded in one Stream Load."""
    s.sql("CREATE DATABASE IF NOT EXISTS %s" % db)
    s.sql("CREATE TABLE IF NOT EXISTS %s.t (id INT NOT NULL, v VARCHAR(64)) "
          "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1" % db)
    body = b"".join(b"%d,value-%048d\n" % (i, i) for i in range(n))
    r = s.load(db, "t", body, [("column_separator", ",")]).json()
    assert r["Status"] == "Success", r


class StreamedResultTest(unittest.TestCase):
    """A SELECT's rows stream (issue 26): past 64 KiB the reply is chunked and written as the
    rows come, so no result is built whole; a small one keeps its Content-Length; a statement
    that fails after rows went out cuts the reply (no last chunk)."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "query_max_result_rows=30000"])
        big_table(cls.s, "st", 40000)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def post(self, stmt):
        return self.s.request("POST", "/api/query/default_cluster/st",
                              [("Authorization", basic()), ("Content-Type", "application/json")],
                              json.dumps({"stmt": stmt}).encode())

    def test_large_result_streams(self):
        r = self.post("SELECT id, v FROM t WHERE id < 20000 ORDER BY id")
        self.assertEqual(r.status, 200)
        self.assertEqual((r.header("Transfer-Encoding") or "").lower(), "chunked")
        self.assertIsNone(r.header("Content-Length"))
        doc = r.json()
        self.assertEqual((doc["msg"], doc["code"], doc["count"]), ("success", 0, 0))
        self.assertEqual([m["name"] for m in doc["data"]["meta"]], ["id", "v"])
        rows = doc["data"]["data"]
        self.assertEqual(len(rows), 20000)
        self.assertEqual(rows[0], [0, "value-%048d" % 0])
        self.assertEqual(rows[19999], [19999, "value-%048d" % 19999])
        self.assertIsInstance(doc["data"]["time"], int)

    def test_buffered_form_is_built_whole(self):
        r = self.s.request("POST", "/api/query/default_cluster/st",
                           [("Authorization", basic()), ("Content-Type", "application/json"),
                            ("X-Doris-Stream", "false")],
                           json.dumps({"stmt": "SELECT id, v FROM t WHERE id < 20000 ORDER BY id",
                                       "limit": 5000}).encode())
        self.assertIsNotNone(r.header("Content-Length"))
        self.assertEqual(len(r.json()["data"]["data"]), 5000)

    def test_small_result_has_a_length(self):
        r = self.post("SELECT count(*) FROM t")
        self.assertIsNotNone(r.header("Content-Length"))
        self.assertEqual(r.json()["data"]["data"], [[40000]])

    def test_failure_after_rows_went_out_cuts_the_reply(self):
        with self.assertRaises(http.client.IncompleteRead):
            self.post("SELECT id, v FROM t ORDER BY id")  # 40000 rows > query_max_result_rows
        # the same statement with the buffered form fails whole, in the envelope
        doc = self.s.sql("SELECT id, v FROM t", "st", ok=False)
        self.assertEqual((doc["msg"], doc["code"]), ("Error", 1))
        self.assertIn("more than 30000 rows", doc["data"])
        self.assertEqual(self.s.rows("SELECT count(*) FROM t", "st"), [[40000]])


if __name__ == "__main__":
    unittest.main()
