"""Key models over real HTTP: UNIQUE last-write-wins (within a load and across loads), merge_type
DELETE and MERGE with `delete`, the sequence column, AGGREGATE value columns, their header
errors, and kill -9 during a merge load."""
import socket
import unittest

from harness import Server, basic, new_label, wait_for


class KeyModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE k")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def table(self, ddl, name):
        self.s.sql("DROP TABLE IF EXISTS %s" % name, "k")
        self.s.sql(ddl, "k")

    def load(self, table, body, headers=(), expect="Success"):
        doc = self.s.load("k", table, body, [("column_separator", ",")] + list(headers)).json()
        self.assertEqual(doc["Status"], expect, doc)
        return doc

    def rows(self, sql):
        return self.s.rows(sql, "k")

    def test_unique_last_write_wins(self):
        self.table("CREATE TABLE u (id INT, v VARCHAR(8), n INT) UNIQUE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "u")
        self.load("u", b"1,a,1\n2,b,2\n1,c,3\n")          # within one load: the later row
        self.load("u", b"2,x,9\n3,y,9\n")                 # across loads: the later load
        self.assertEqual(self.rows("select * from u order by id"),
                         [[1, "c", 3], [2, "x", 9], [3, "y", 9]])
        self.assertEqual(self.rows("select count(*) from u"), [[3]])

    def test_delete_and_merge(self):
        self.table("CREATE TABLE m (id INT, v VARCHAR(8)) UNIQUE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "m")
        self.load("m", b"1,a\n2,b\n3,c\n")
        self.load("m", b"3,zz\n", [("merge_type", "DELETE")])
        self.load("m", b"1,x,1\n4,w,0\n2,q,0\n",
                  [("columns", "id,v,flag"), ("merge_type", "MERGE"), ("delete", "flag = 1")])
        self.assertEqual(self.rows("select * from m order by id"), [[2, "q"], [4, "w"]])
        self.load("m", b"1,back\n")                       # a deleted key can come back
        self.assertEqual(self.rows("select v from m where id = 1"), [["back"]])

    def test_sequence_column(self):
        self.table("CREATE TABLE sq (id INT, v VARCHAR(8), ver INT) UNIQUE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1 "
                   "PROPERTIES (\"function_column.sequence_type\" = \"int\")", "sq")
        seq = [("function_column.sequence_col", "ver")]
        self.load("sq", b"1,new,5\n2,b,1\n", seq)
        self.load("sq", b"1,old,3\n2,same,1\n", seq)       # smaller loses, equal wins
        self.assertEqual(self.rows("select id, v from sq order by id"), [[1, "new"], [2, "same"]])
        self.load("sq", b"1,x,4\n", seq + [("merge_type", "DELETE")])  # a smaller delete loses
        self.assertEqual(self.rows("select count(*) from sq"), [[2]])
        self.load("sq", b"1,x,9\n", seq + [("merge_type", "DELETE")])
        self.assertEqual(self.rows("select id from sq"), [[2]])
        doc = self.load("sq", b"1,a,1\n", expect="Fail")
        self.assertIn("has sequence column, need to specify the sequence column", doc["Message"])

    def test_sequence_column_named_by_the_load(self):
        """function_column.sequence_col may name a column of the load's own `columns` list:
        Doris resolves it after the mapping, to the table column it fills."""
        self.table("CREATE TABLE sl (id INT, v VARCHAR(8), ver INT) UNIQUE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1 "
                   "PROPERTIES (\"function_column.sequence_type\" = \"int\")", "sl")
        hs = [("columns", "id, v, src_ver, ver = src_ver"),
              ("function_column.sequence_col", "src_ver")]
        self.load("sl", b"1,new,5\n2,b,1\n", hs)
        self.load("sl", b"1,old,3\n2,same,1\n", hs)
        self.assertEqual(self.rows("select id, v, ver from sl order by id"),
                         [[1, "new", 5], [2, "same", 1]])
        self.load("sl", b"1,newer,7\n", [("columns", "id, v, `VER`"),
                                           ("function_column.sequence_col", "`ver`")])
        self.assertEqual(self.rows("select v from sl where id = 1"), [["newer"]])
        doc = self.load("sl", b"1,a,9\n", [("columns", "id, v, tmp"),
                                            ("function_column.sequence_col", "tmp")],
                        expect="Fail")
        self.assertIn("Unknown column 'tmp' in sequence column", doc["Message"])

    def test_aggregate(self):
        self.table("CREATE TABLE ag (id INT, s BIGINT SUM, mx INT MAX, mn INT MIN, "
                   "r VARCHAR(5) REPLACE, rn INT REPLACE_IF_NOT_NULL) AGGREGATE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "ag")
        self.load("ag", b"1,10,5,5,a,\\N\n2,1,1,1,b,7\n")
        self.load("ag", b"1,5,9,1,c,3\n")
        self.load("ag", b"1,1,1,0,d,\\N\n")
        self.assertEqual(self.rows("select * from ag order by id"),
                         [[1, 16, 9, 0, "d", 3], [2, 1, 1, 1, "b", 7]])

    def test_header_errors(self):
        self.table("CREATE TABLE dup (id INT, v INT) DUPLICATE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "dup")
        doc = self.load("dup", b"1,1\n", [("merge_type", "DELETE")], expect="Fail")
        self.assertIn("load by MERGE or DELETE is only supported in unique tables.", doc["Message"])
        doc = self.load("dup", b"1,1\n", [("merge_type", "MERGE")], expect="Fail")
        self.assertIn("Excepted DELETE ON clause when merge type is MERGE.", doc["Message"])
        doc = self.load("dup", b"1,1\n", [("delete", "id = 1")], expect="Fail")
        self.assertIn("Not support DELETE ON clause when merge type is not MERGE.", doc["Message"])
        self.table("CREATE TABLE u2 (id INT, v INT) UNIQUE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "u2")
        doc = self.load("u2", b"1,1\n", [("function_column.sequence_col", "v")], expect="Fail")
        self.assertIn("There is no sequence column in the table u2", doc["Message"])

    def test_many_loads_stay_merged(self):
        self.table("CREATE TABLE many (id INT, v INT) UNIQUE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "many")
        for i in range(15):
            self.load("many", b"%d,%d\n%d,%d\n" % (i % 3, i, 100 + i % 5, i))
        self.assertEqual(self.rows("select id, v from many where id < 100 order by id"),
                         [[0, 12], [1, 13], [2, 14]])
        self.assertEqual(self.rows("select count(*) from many"), [[8]])

    def test_partial_columns(self):
        self.table("CREATE TABLE pc (id INT NOT NULL, name VARCHAR(10) NOT NULL, "
                   "score INT NOT NULL, test INT NULL, dft INT DEFAULT '4321') UNIQUE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1 "
                   "PROPERTIES (\"enable_unique_key_merge_on_write\" = \"true\")", "pc")
        self.s.sql("INSERT INTO pc VALUES (1, 'a', 10, 100, 1), (2, 'b', 20, 200, 2)", "k")
        part = [("partial_columns", "true")]
        self.load("pc", b"1,99\n2,88\n", part + [("columns", "id,score")])
        self.assertEqual(self.rows("select * from pc order by id"),
                         [[1, "a", 99, 100, 1], [2, "b", 88, 200, 2]])  # the rest kept
        # a new key without the NOT NULL `name` is an error row; one with it gets defaults
        doc = self.load("pc", b"1,77\n3,66\n", part + [("columns", "id,score"),
                                                     ("max_filter_ratio", "0.5")])
        self.assertEqual((doc["NumberLoadedRows"], doc["NumberFilteredRows"]), (1, 1))
        self.load("pc", b"4,z,55\n", part + [("columns", "id,name,score")])
        self.assertEqual(self.rows("select * from pc where id >= 3 order by id"),
                         [[4, "z", 55, None, 4321]])
        # strict mode: new keys are errors
        doc = self.load("pc", b"5,y,44\n", part + [("columns", "id,name,score"),
                                                  ("strict_mode", "true")], expect="Fail")
        self.assertEqual(doc["NumberFilteredRows"], 1)
        # UPDATE_FIXED_COLUMNS is the same; every key column is required
        self.load("pc", b"2,5\n", [("unique_key_update_mode", "UPDATE_FIXED_COLUMNS"),
                                   ("columns", "id,test")])
        self.assertEqual(self.rows("select * from pc where id = 2"), [[2, "b", 88, 5, 2]])
        doc = self.load("pc", b"q,1\n", part + [("columns", "name,score")], expect="Fail")
        self.assertIn("Partial update should include all key columns, missing: id", doc["Message"])
        doc = self.load("pc", b"1,1\n",
                        [("unique_key_update_mode", "SOMETIMES"), ("columns", "id,score")],
                        expect="Fail")
        self.assertIn("Invalid unique_key_partial_mode SOMETIMES", doc["Message"])
        self.table("CREATE TABLE pd (id INT, v INT) DUPLICATE KEY(id) "
                   "DISTRIBUTED BY HASH(id) BUCKETS 1", "pd")
        doc = self.load("pd", b"1\n", part + [("columns", "id")], expect="Fail")
        self.assertIn("Only unique key merge on write support partial update", doc["Message"])
        for i in range(9):  # many partial loads merge correctly through compaction
            self.load("pc", b"1,%d\n" % i, part + [("columns", "id,test")])
        self.assertEqual(self.rows("select * from pc where id = 1"), [[1, "a", 77, 8, 1]])

    def test_kill9_during_merge_load_keeps_old_rows(self):
        s = Server()
        try:
            s.sql("CREATE DATABASE k")
            s.sql("CREATE TABLE k.t (id INT, v VARCHAR(8)) UNIQUE KEY(id) "
                  "DISTRIBUTED BY HASH(id) BUCKETS 1")
            doc = s.load("k", "t", b"1,old\n2,old\n", [("column_separator", ",")]).json()
            self.assertEqual(doc["Status"], "Success")
            label = new_label()
            sock = socket.create_connection(("127.0.0.1", s.be), timeout=30)
            head = ("PUT /api/k/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                    "label: %s\r\ncolumn_separator: ,\r\nmerge_type: DELETE\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n" % (basic(), label)).encode()
            sock.sendall(head)
            chunk = b"".join(b"%d,new\n" % (i % 3) for i in range(50000))
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            st = lambda: s.request("GET", "/api/k/get_load_state?label=" + label,
                                   [("Authorization", basic())]).json()["data"]
            wait_for(lambda: st() == "PREPARE", what="merge load running")
            s.kill9()
            sock.close()
            s.start()
            self.assertEqual(s.rows("select * from t order by id", "k"), [[1, "old"], [2, "old"]])
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
