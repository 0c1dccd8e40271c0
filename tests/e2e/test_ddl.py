"""Doris's DDL beyond CREATE TABLE, end to end on whichever store SLUICE_TEST_STORE names:
ALTER TABLE (columns added, dropped, widened, renamed, moved; the table renamed; partitions added,
dropped, renamed; properties) with loads before and after the change, SHOW CREATE TABLE of the
result, CREATE TABLE LIKE, CREATE TABLE AS SELECT, the CREATE TABLE grammar's leniencies, and
Doris's error texts."""
import sys
import unittest

from harness import Server

try:
    import pymysql
except ImportError:
    # Debian's python3-pymysql lives in the system dist-packages (see test_mysql.py)
    sys.path.append("/usr/lib/python3/dist-packages")
    import pymysql  # noqa: E402


class DdlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE d")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def load(self, table, body, cols=None, **extra):
        headers = [("column_separator", ",")]
        if cols:
            headers.append(("columns", cols))
        headers += list(extra.items())
        return self.s.load("d", table, body, headers).json()

    def err(self, stmt):
        r = self.s.sql(stmt, "d", ok=False)
        self.assertNotEqual(r.get("code"), 0, r)
        return r.get("data", "")

    def test_columns_change_with_loads_around(self):
        self.s.sql("CREATE TABLE a (k INT, v VARCHAR(8), n INT) DUPLICATE KEY(k) "
                   "DISTRIBUTED BY HASH(k) BUCKETS 1", "d")
        self.assertEqual(self.load("a", b"1,x,10\n2,y,20\n")["Status"], "Success")
        self.s.sql("ALTER TABLE a ADD COLUMN z INT DEFAULT '7' AFTER k, DROP COLUMN n, "
                   "MODIFY COLUMN v VARCHAR(32), RENAME COLUMN v label", "d")
        self.assertEqual(self.s.rows("select * from a order by k", "d"),
                         [[1, 7, "x"], [2, 7, "y"]])
        doc = self.load("a", b"3,9,a-much-longer-label\n")
        self.assertEqual(doc["Status"], "Success", doc)
        self.assertEqual(self.s.rows("select k, z, label from a order by k", "d"),
                         [[1, 7, "x"], [2, 7, "y"], [3, 9, "a-much-longer-label"]])
        ddl = self.s.rows("show create table a", "d")[0][1]
        self.assertIn("`z` int NULL DEFAULT \"7\"", ddl)
        self.assertIn("`label` varchar(32)", ddl)
        self.assertNotIn("`n`", ddl)
        # the stored text is a statement Doris (and sluice) reads back
        self.s.sql(ddl.replace("CREATE TABLE `a`", "CREATE TABLE `a_copy`"), "d")
        self.s.sql("ALTER TABLE a RENAME a2", "d")
        self.assertEqual(self.s.rows("select count(*) from a2", "d"), [[3]])
        self.assertIn("Unknown table", self.err("select * from a"))
        self.assertEqual(self.load("a2", b"4,1,z\n")["Status"], "Success")

    def test_alter_errors_in_dorises_words(self):
        self.s.sql("CREATE TABLE e (k INT, v BIGINT, d DATE) DUPLICATE KEY(k) "
                   "PARTITION BY RANGE(d) (PARTITION p1 VALUES LESS THAN ('2024-01-01')) "
                   "DISTRIBUTED BY HASH(k) BUCKETS 1", "d")
        for stmt, text in [
                ("ALTER TABLE e ADD COLUMN v INT", "Can not add column which already exists"),
                ("ALTER TABLE e DROP COLUMN nope", "Column does not exists: nope"),
                ("ALTER TABLE e MODIFY COLUMN v INT", "Can not change bigint to int"),
                ("ALTER TABLE e DROP COLUMN d", "Partition column[d] cannot be dropped"),
                ("ALTER TABLE e DROP COLUMN k", "Distribution column[k] cannot be dropped"),
                ("ALTER TABLE e MODIFY COLUMN k BIGINT", "Can not modify distribution column[k]"),
                ("ALTER TABLE e ADD COLUMN w INT NOT NULL", "NOT NULL and has no default"),
                ("ALTER TABLE e DROP PARTITION p9", "Error in list of partitions to p9"),
                ("ALTER TABLE e ADD PARTITION p0 VALUES LESS THAN ('2023-01-01')",
                 "is intersected with"),
                ("ALTER TABLE nosuch ADD COLUMN w INT", "Unknown table 'nosuch'"),
                ("ALTER TABLE e ORDER BY (v, k)", "unsupported statement")]:
            self.assertIn(text, self.err(stmt), stmt)
        self.s.sql("ALTER TABLE e DROP PARTITION IF EXISTS p9", "d")  # IF EXISTS: no error

    def test_partitions_added_and_dropped(self):
        self.s.sql("CREATE TABLE p (k INT, d DATE) DUPLICATE KEY(k) PARTITION BY RANGE(d) "
                   "(PARTITION p2023 VALUES LESS THAN ('2024-01-01'), "
                   "PARTITION p2024 VALUES LESS THAN ('2025-01-01')) "
                   "DISTRIBUTED BY HASH(k) BUCKETS 1", "d")
        body = b"1,2023-05-01\n2,2024-05-01\n3,2025-05-01\n"
        doc = self.load("p", body, max_filter_ratio="0.5")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 2), doc)
        self.s.sql("ALTER TABLE p ADD PARTITION p2025 VALUES LESS THAN ('2026-01-01')", "d")
        doc = self.load("p", b"3,2025-05-01\n")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 1), doc)
        self.s.sql("ALTER TABLE p DROP PARTITION p2024", "d")
        self.assertEqual([r[0] for r in self.s.rows("select k from p order by k", "d")], [1, 3])
        doc = self.load("p", b"9,2024-06-01\n")  # no partition holds it any more
        self.assertEqual(doc["Status"], "Fail", doc)
        self.s.sql("ALTER TABLE p RENAME PARTITION p2025 p_last, "
                   "SET (\"dynamic_partition.enable\" = \"false\")", "d")
        ddl = self.s.rows("show create table p", "d")[0][1]
        self.assertIn("PARTITION `p_last` VALUES [(\"2025-01-01\"), (\"2026-01-01\"))", ddl)
        self.assertIn("\"dynamic_partition.enable\" = \"false\"", ddl)

    def test_unique_table_alter_keeps_merging(self):
        self.s.sql("CREATE TABLE u (k INT, j INT, v INT) UNIQUE KEY(k, j) "
                   "DISTRIBUTED BY HASH(k) BUCKETS 1", "d")
        self.assertEqual(self.load("u", b"1,0,10\n2,0,20\n")["Status"], "Success")
        self.s.sql("ALTER TABLE u ADD COLUMN note VARCHAR(10) DEFAULT 'n/a'", "d")
        self.assertEqual(self.load("u", b"1,0,11,new\n")["Status"], "Success")
        self.assertEqual(self.s.rows("select * from u order by k", "d"),
                         [[1, 0, 11, "new"], [2, 0, 20, "n/a"]])
        self.assertIn("Can not drop key column", self.err("ALTER TABLE u DROP COLUMN j"))

    def test_create_table_like_and_as_select(self):
        self.s.sql("CREATE TABLE src (k INT, name VARCHAR(16), price DECIMAL(10,2)) "
                   "DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2", "d")
        self.assertEqual(self.load("src", b"1,ann,1.50\n2,bob,2.25\n3,cy,9.99\n")["Status"],
                         "Success")
        self.s.sql("CREATE TABLE dst LIKE src", "d")
        self.assertEqual(self.s.rows("select count(*) from dst", "d"), [[0]])
        self.assertEqual([r[:2] for r in self.s.rows("desc dst", "d")],
                         [["k", "int"], ["name", "varchar(16)"], ["price", "decimal(10,2)"]])
        self.s.sql("CREATE TABLE agg DISTRIBUTED BY HASH(n) BUCKETS 1 AS SELECT upper(name) AS n, "
                   "price * 2 AS p2, murmur_hash3_32(name) AS h FROM src WHERE k < 3", "d")
        self.assertEqual(self.s.rows("select n, p2, h from agg order by n", "d"),
                         [["ANN", 3.0, murmur("ann")], ["BOB", 4.5, murmur("bob")]])
        self.s.sql("CREATE TABLE named (a, b) AS SELECT k, name FROM src", "d")
        self.assertEqual(self.s.rows("select a, b from named order by a", "d")[0], [1, "ann"])
        self.assertIn("Number of columns don't equal",
                      self.err("CREATE TABLE bad (a) AS SELECT k, name FROM src"))
        self.assertIn("Unknown table", self.err("CREATE TABLE bad2 AS SELECT * FROM nosuch"))
        self.assertIn("Unknown table", self.err("CREATE TABLE bad3 LIKE nosuch"))
        self.assertIn("Unknown table", self.err("select * from bad"))  # nothing half-made

    def test_create_table_grammar(self):
        self.s.sql("""CREATE TABLE IF NOT EXISTS g (
            id BIGINT NOT NULL AUTO_INCREMENT(1) COMMENT 'id',
            ts DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP,
            tag VARCHAR(32) COMMENT "tag",
            INDEX idx_tag (tag) USING INVERTED PROPERTIES ("parser" = "english") COMMENT 'i'
          ) ENGINE=OLAP DUPLICATE KEY(id) COMMENT 'a table'
          PARTITION BY RANGE(ts) ()
          DISTRIBUTED BY RANDOM BUCKETS AUTO
          ROLLUP (r1 (id, tag))
          PROPERTIES ("replication_num" = "1", "dynamic_partition.enable" = "true",
                      "dynamic_partition.time_unit" = "DAY", "dynamic_partition.end" = "3")""",
                   "d")
        self.assertIn("DISTRIBUTED BY RANDOM", self.s.rows("show create table g", "d")[0][1])
        self.assertIn("Distribution column(nope) doesn't exist.",
                      self.err("CREATE TABLE x (k INT) DISTRIBUTED BY HASH(nope) BUCKETS 1"))
        self.assertIn("String Type should not be used in distribution column[s].",
                      self.err("CREATE TABLE x (k INT, s STRING) DISTRIBUTED BY HASH(s) BUCKETS 1"))

    def test_batch_and_auto_partitions(self):
        self.s.sql("CREATE TABLE bp (k INT, d DATE) DUPLICATE KEY(k) PARTITION BY RANGE(d) "
                   "(FROM ('2024-01-01') TO ('2024-04-01') INTERVAL 1 MONTH, "
                   "PARTITION p_rest VALUES [('2024-04-01'), ('2024-05-01'))) "
                   "DISTRIBUTED BY HASH(k) BUCKETS 1", "d")
        # the text as written until a change makes sluice write it from the definition
        self.s.sql("ALTER TABLE bp ADD PARTITION p_more VALUES [('2024-05-01'), ('2024-06-01'))",
                   "d")
        text = self.s.rows("show create table bp", "d")[0][1]
        for part in ("p_202401", "p_202402", "p_202403", "p_rest", "p_more"):
            self.assertIn(part, text)
        self.assertIn("2024-03-01", text)
        # a load into the made partitions, one of them by name; a date past them all is filtered
        doc = self.load("bp", b"1,2024-01-15\n2,2024-03-31\n3,2024-04-02\n")
        self.assertEqual((doc["Status"], doc["NumberLoadedRows"]), ("Success", 3), doc)
        doc = self.load("bp", b"4,2024-02-10\n", partitions="p_202402")
        self.assertEqual(doc["NumberLoadedRows"], 1, doc)
        doc = self.load("bp", b"5,2025-01-01\n", max_filter_ratio="1")
        self.assertEqual((doc["NumberLoadedRows"], doc["NumberFilteredRows"]), (0, 1), doc)
        self.assertEqual(self.s.rows("select count(*) from bp", "d"), [[4]])
        self.assertIn("batch partitions",
                      self.err("CREATE TABLE bq (k INT, d DATE) PARTITION BY RANGE(d) (FROM "
                               "('2024-02-30') TO ('2024-04-01') INTERVAL 1 DAY) "
                               "DISTRIBUTED BY HASH(k) BUCKETS 1"))
        # AUTO PARTITION: Doris makes a partition per value as rows arrive; every row loads
        self.s.sql("CREATE TABLE ap (k INT, d DATETIME NOT NULL) DUPLICATE KEY(k) "
                   "AUTO PARTITION BY RANGE (date_trunc(`d`, 'month')) () "
                   "DISTRIBUTED BY HASH(k) BUCKETS 1", "d")
        doc = self.load("ap", b"1,2001-01-01 00:00:00\n2,2099-12-31 23:59:59\n")
        self.assertEqual(doc["NumberLoadedRows"], 2, doc)

    def test_ddl_through_the_mysql_port(self):
        """The same statements run by the shared executor over the MySQL protocol."""
        if not self.s.my or self.s.my < 0:
            self.skipTest("no MySQL port")
        self.s.sql("CREATE TABLE ms (k INT, v VARCHAR(8)) DUPLICATE KEY(k) "
                   "DISTRIBUTED BY HASH(k) BUCKETS 1", "d")
        self.assertEqual(self.load("ms", b"1,a\n2,b\n")["Status"], "Success")
        con = pymysql.connect(host="127.0.0.1", port=self.s.my, user="root", password="",
                              database="d", connect_timeout=10, read_timeout=60)
        try:
            cur = con.cursor()
            cur.execute("ALTER TABLE ms ADD COLUMN n INT DEFAULT '7'")
            self.assertEqual(cur.execute("CREATE TABLE ms_as AS SELECT k, v, n FROM ms"), 2)
            cur.execute("CREATE TABLE ms_like LIKE ms")
            cur.execute("SELECT k, n FROM ms_as ORDER BY k")
            self.assertEqual(cur.fetchall(), ((1, 7), (2, 7)))
            cur.execute("DESC ms_like")
            self.assertEqual([r[0] for r in cur.fetchall()], ["k", "v", "n"])
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("CREATE TABLE ms_like LIKE ms")
            self.assertEqual(e.exception.args[0], 1050)
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("ALTER TABLE ms DROP COLUMN nope")
            self.assertIn("nope", e.exception.args[1])
        finally:
            con.close()
        con = pymysql.connect(host="127.0.0.1", port=self.s.my, user="root", password="",
                              connect_timeout=10, read_timeout=60)
        try:
            with self.assertRaises(pymysql.err.MySQLError) as e:
                con.cursor().execute("ALTER TABLE ms ADD COLUMN z INT")
            self.assertEqual(e.exception.args[0], 1046)
            with self.assertRaises(pymysql.err.MySQLError) as e:
                con.cursor().execute("CREATE TABLE d.ms_as2 AS SELECT * FROM ms")
            self.assertEqual(e.exception.args[0], 1046)  # the source names no database
        finally:
            con.close()


def murmur(s):
    """Doris's murmur_hash3_32: MurmurHash3 x86_32, seed 104729."""
    data, h, m = s.encode(), 104729, 0xffffffff

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & m
    for i in range(0, len(data) // 4 * 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        h ^= rotl((k * 0xcc9e2d51) & m, 15) * 0x1b873593 & m
        h = (rotl(h, 13) * 5 + 0xe6546b64) & m
    tail, k = data[len(data) // 4 * 4:], 0
    for j in range(len(tail) - 1, -1, -1):
        k ^= tail[j] << (8 * j)
    if tail:
        h ^= rotl((k * 0xcc9e2d51) & m, 15) * 0x1b873593 & m
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85ebca6b) & m
    h ^= h >> 13
    h = (h * 0xc2b2ae35) & m
    h ^= h >> 16
    return h - (1 << 32) if h >= 1 << 31 else h


if __name__ == "__main__":
    unittest.main()
