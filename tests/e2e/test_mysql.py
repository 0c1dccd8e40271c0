"""The MySQL protocol (docs/mysql.md) against the real binary, driven by the clients Doris users
run: Debian's `mysql` (mariadb-client), PyMySQL (python3-pymysql) and a Java program over MariaDB
Connector/J (libmariadb-java), plus raw packets for what no client sends: bad, truncated and
oversized packets, unknown commands. Every server listens on port 0 (harness: --mysql-port 0).
"""
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import unittest

from harness import BIN, ROOT, Server, catalog_sql, raw, wait_for

try:
    import pymysql
except ImportError:
    # Debian's python3-pymysql lives in the system dist-packages, which a python3 from
    # elsewhere (pyenv) does not search
    sys.path.append("/usr/lib/python3/dist-packages")
    import pymysql  # noqa: E402

MYSQL = shutil.which("mysql")
JAR = "/usr/share/java/mariadb-java-client.jar"
JAVA = shutil.which("java")
PW = "Pw-1234"


def mysql(s, *args, user="root", pw="", db=None, stdin=None, tls=False):
    """The mysql client, without any option file, on s's MySQL port. Returns the process."""
    cmd = [MYSQL, "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", str(s.my),
           "-u", user, "--ssl" if tls else "--skip-ssl"]
    if pw:
        cmd.append("-p" + pw)
    if db:
        cmd += ["-D", db]
    return subprocess.run(cmd + list(args), input=stdin, capture_output=True, text=True,
                          timeout=60)


def ok(p):
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p.stdout


def connect(s, user="root", pw="", db=None, **kw):
    return pymysql.connect(host="127.0.0.1", port=s.my, user=user, password=pw, database=db,
                           connect_timeout=10, read_timeout=60, **kw)


def cli(s, *args):
    p = subprocess.run([BIN, "user"] + list(args) + ["--data-dir", s.data_dir],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stderr)


DDL = ("CREATE TABLE t (id INT NOT NULL, name VARCHAR(16), price DECIMAL(10,2)) "
       "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")


@unittest.skipUnless(MYSQL, "the mysql client (mariadb-client) is not installed")
class MysqlClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_the_readme_tour(self):
        """README's tour with mysql: create, load over HTTP, query and look at the history."""
        s = self.s
        ok(mysql(s, "-e", "CREATE DATABASE tour; USE tour; " + DDL))
        r = s.load("tour", "t", b"1,Tom,3.50\n2,Jelly,7\n3,Spike,oops\n4,\\N,1\n",
                   [("column_separator", ",")], label="tour-1").json()
        self.assertEqual(r["Status"], "Success", r)
        out = ok(mysql(s, "-e", "select * from t order by id", db="tour"))
        self.assertEqual(out, "id\tname\tprice\n1\tTom\t3.50\n2\tJelly\t7.00\n3\tSpike\tNULL\n"
                              "4\tNULL\t1.00\n")
        out = ok(mysql(s, "-e", "SHOW STREAM LOAD WHERE LABEL = 'tour-1'", db="tour"))
        head, row = out.splitlines()
        self.assertEqual(head.split("\t")[:5], ["Label", "Db", "Table", "ClientIp", "Status"])
        self.assertEqual(row.split("\t")[:3], ["tour-1", "tour", "t"])
        self.assertEqual(row.split("\t")[4], "Success")

    def test_ddl_show_desc_insert_and_table_output(self):
        s = self.s
        ok(mysql(s, "-e", "CREATE DATABASE d1"))
        ok(mysql(s, "-e", DDL, db="d1"))
        out = ok(mysql(s, "-e", "INSERT INTO t VALUES (1, 'a', 1.5), (2, NULL, NULL)", "-vv",
                       db="d1"))
        self.assertIn("2 rows affected", out)
        out = ok(mysql(s, "-t", "-e", "SELECT id, name FROM t ORDER BY id", db="d1"))
        # nullable columns are at least as wide as "NULL"
        self.assertEqual(out, "+------+------+\n| id   | name |\n+------+------+\n"
                              "|    1 | a    |\n|    2 | NULL |\n+------+------+\n")
        self.assertIn("d1\n", ok(mysql(s, "-e", "SHOW DATABASES")))
        self.assertEqual(ok(mysql(s, "-e", "SHOW TABLES", db="d1")), "Tables_in_d1\nt\n")
        self.assertEqual(ok(mysql(s, "-e", "DESC t", db="d1")).splitlines()[:2],
                         ["Field\tType\tNull\tKey\tDefault\tExtra", "id\tint\tNo\ttrue\tNULL\t"])
        out = ok(mysql(s, "-e", "SHOW CREATE TABLE t", db="d1"))
        self.assertIn("CREATE TABLE t (id INT NOT NULL", out)
        out = ok(mysql(s, "-e", "SHOW TRANSACTION WHERE id = 1", db="d1"))
        self.assertIn("TransactionId\tLabel", out)
        # the same statement over the HTTP SQL API: one executor, two transports
        self.assertEqual(s.rows("SELECT id, name, price FROM t ORDER BY id", "d1"),
                         [[1, "a", 1.5], [2, None, None]])

    def test_errors_carry_doris_codes(self):
        s = self.s
        ok(mysql(s, "-e", "CREATE DATABASE IF NOT EXISTS e1; USE e1; " + DDL))
        cases = [
            ("SELEC 1", None, "ERROR 1064 (42000)", "unsupported statement 'SELEC'"),
            ("USE nodb", None, "ERROR 1049 (42000)", "Unknown database 'nodb'"),
            ("SELECT * FROM t", None, "ERROR 1046 (3D000)", "No database selected"),
            ("SELECT nope FROM t", "e1", "ERROR 1105 (HY000)", "Unknown column 'nope'"),
            ("SELECT * FROM missing", "e1", "ERROR 1051 (42S02)", "Unknown table 'missing'"),
            ("CREATE DATABASE e1", None, "ERROR 1007 (HY000)",
             "Can't create database 'e1'; database exists"),
            ("SELECT @@no_such_var", None, "ERROR 1193 (HY000)",
             "Unknown system variable 'no_such_var'"),
        ]
        for stmt, db, code, text in cases:
            p = mysql(s, "-e", stmt, db=db)
            self.assertEqual(p.returncode, 1, stmt)
            self.assertIn(code, p.stderr, stmt)
            self.assertIn("errCode = 2, detailMessage = " + text, p.stderr, stmt)
        p = mysql(s, "-e", "SELECT 1", db="nodb")  # -D: the connection itself fails
        self.assertEqual(p.returncode, 1)
        self.assertIn("ERROR 1049 (42000): errCode = 2, detailMessage = Unknown database 'nodb'",
                      p.stderr)
        self.assertEqual(ok(mysql(s, "-e", "SELECT 1 + 1")), "1 + 1\n2\n")  # still up

    def test_script_from_stdin(self):
        script = ("-- a comment\nCREATE DATABASE IF NOT EXISTS sc;\nUSE sc;\n" + DDL + ";\n"
                  "/* several rows */ INSERT INTO t VALUES (1, 'x', 2.25),\n  (2, 'y', NULL);\n"
                  "SELECT count(*), sum(price) FROM t;\n")
        out = ok(mysql(self.s, stdin=script))
        self.assertEqual(out, "count(*)\tsum(price)\n2\t2.25\n")

    def test_session_chatter(self):
        out = ok(mysql(self.s, "-e", "SET NAMES utf8mb4; SET autocommit = 1; "
                                     "SELECT @@version_comment LIMIT 1; SELECT DATABASE(), USER(); "
                                     "SHOW VARIABLES LIKE 'max_allowed%'; SHOW WARNINGS"))
        self.assertEqual(out, "@@version_comment\nsluice %s\nDATABASE()\tUSER()\n"
                              "NULL\troot@127.0.0.1\nVariable_name\tValue\n"
                              "max_allowed_packet\t16777216\n" % version())
        out = ok(mysql(self.s, "-e", "status"))
        self.assertIn("Server version:\t\t5.7.99 sluice", out)

    def test_tls_when_the_client_asks(self):
        out = ok(mysql(self.s, "-e", "status", tls=True))
        self.assertRegex(out, r"SSL:\s+Cipher in use is \S+")
        self.assertRegex(ok(mysql(self.s, "-e", "status")), r"SSL:\s+Not in use")
        self.assertEqual(ok(mysql(self.s, "-e", "SELECT 2", tls=True)), "2\n2\n")


def version():
    return subprocess.run([BIN, "version"], capture_output=True, text=True).stdout.split()[1]


@unittest.skipUnless(MYSQL, "the mysql client (mariadb-client) is not installed")
class MysqlUsersTest(unittest.TestCase):
    """mysql_native_password against sluice's users; privileges as over HTTP."""

    def setUp(self):
        self.s = Server()

    def tearDown(self):
        self.s.close()

    def test_users_created_over_mysql_http_and_the_cli_log_in(self):
        s = self.s
        ok(mysql(s, "-e", "CREATE DATABASE p; CREATE USER 'u1' IDENTIFIED BY '%s'" % PW))
        cli(s, "add", "u2", "--password", PW)
        s.sql("CREATE USER 'u3' IDENTIFIED BY '%s'" % PW)
        for u in ("u1", "u2", "u3"):
            self.assertEqual(ok(mysql(s, "-e", "SELECT CURRENT_USER()", user=u, pw=PW)),
                             "CURRENT_USER()\n'%s'@'%%'\n" % u)
        p = mysql(s, "-e", "SELECT 1", user="u1", pw="wrong")
        self.assertEqual(p.returncode, 1)
        self.assertIn("ERROR 1045 (28000): Access denied for user 'u1' (using password: YES)",
                      p.stderr)
        p = mysql(s, "-e", "SELECT 1", user="u1")
        self.assertIn("(using password: NO)", p.stderr)
        p = mysql(s, "-e", "SELECT 1", user="nobody", pw=PW)
        self.assertIn("ERROR 1045 (28000)", p.stderr)
        # the stored credential is SHA1(SHA1(password)), tied to the password hash
        h2 = hashlib.sha1(hashlib.sha1(PW.encode()).digest()).hexdigest()
        self.assertEqual(catalog_sql(s.data_dir, "SELECT cred FROM user_creds WHERE usr = ?",
                                     "u1"), h2)
        # SET PASSWORD over mysql: the old one stops working at once, over both transports
        ok(mysql(s, "-e", "SET PASSWORD = PASSWORD('New-5678')", user="u1", pw=PW))
        self.assertEqual(mysql(s, "-e", "SELECT 1", user="u1", pw=PW).returncode, 1)
        ok(mysql(s, "-e", "SELECT 1", user="u1", pw="New-5678"))
        self.assertEqual(s.sql("SELECT 1", user="u1", pw="New-5678")["code"], 0)

    def test_privileges_as_over_http(self):
        s = self.s
        ok(mysql(s, "-e", "CREATE DATABASE p; USE p; " + DDL +
                 "; INSERT INTO t VALUES (1, 'a', 1); CREATE USER 'r' IDENTIFIED BY '%s'" % PW))
        p = mysql(s, "-e", "SELECT * FROM t", user="r", pw=PW, db="p")  # -D needs a privilege
        self.assertIn("ERROR 1044 (42000)", p.stderr)
        self.assertIn("Access denied for user 'r'@'%' to database 'p'", p.stderr)
        p = mysql(s, "-e", "SELECT * FROM p.t", user="r", pw=PW)
        self.assertIn("ERROR 1227 (42000)", p.stderr)
        self.assertIn("Access denied; you need (at least one of) the (SELECT, LOAD) "
                      "privilege(s)", p.stderr)
        self.assertEqual(ok(mysql(s, "-e", "SHOW DATABASES", user="r", pw=PW)),
                         "Database\ninformation_schema\n")
        ok(mysql(s, "-e", "GRANT SELECT_PRIV ON p.t TO 'r'"))
        self.assertEqual(ok(mysql(s, "-e", "SELECT id FROM t", user="r", pw=PW, db="p")),
                         "id\n1\n")
        p = mysql(s, "-e", "INSERT INTO t VALUES (2, 'b', 2)", user="r", pw=PW, db="p")
        self.assertIn("ERROR 1227 (42000)", p.stderr)
        self.assertIn("(LOAD) privilege(s)", p.stderr)

    def test_an_older_user_gets_the_credential_at_its_next_http_login(self):
        """Users written before the MySQL protocol have no credential: refused until they log
        in once over HTTP (or their password is set again); docs/mysql.md."""
        s = self.s
        salt = "0123456789abcdef0123456789abcdef"
        old = hashlib.pbkdf2_hmac("sha256", b"legacy-pw", salt.encode(), 1000).hex()
        catalog_sql(s.data_dir, "INSERT INTO users(name, hash, admin) VALUES('old', ?, 0)",
                    "$pbkdf2-sha256-hexsalt$i=1000$%s$%s" % (salt, old))
        p = mysql(s, "-e", "SELECT 1", user="old", pw="legacy-pw")
        self.assertIn("ERROR 1045 (28000)", p.stderr)
        self.assertEqual(s.sql("SELECT 1", user="old", pw="legacy-pw")["code"], 0)
        self.assertEqual(ok(mysql(s, "-e", "SELECT 1", user="old", pw="legacy-pw")), "1\n1\n")

    def test_wrong_passwords_are_throttled_like_http_ones(self):
        s = self.s
        cli(s, "add", "th", "--password", PW)
        for _ in range(8):
            self.assertEqual(mysql(s, "-e", "SELECT 1", user="th", pw="guess").returncode, 1)
        p = mysql(s, "-e", "SELECT 1", user="th", pw=PW)  # refused without a check
        self.assertIn("Account is blocked", p.stderr)
        doc = s.sql("SELECT 1", user="th", pw=PW, ok=False)  # the same throttle over HTTP
        self.assertEqual(doc["code"], 401)
        self.assertIn("Account is blocked", doc["data"])


class PyMysqlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "workers=2"])
        c = connect(cls.s)
        with c.cursor() as cur:
            cur.execute("CREATE DATABASE py")
            cur.execute("USE py")
            cur.execute("CREATE TABLE ty (k INT, b BOOLEAN, ti TINYINT, si SMALLINT, bi BIGINT, "
                        "li LARGEINT, f FLOAT, d DOUBLE, de DECIMAL(20,4), dt DATE, "
                        "ts DATETIME(3), v VARCHAR(10), c CHAR(3), s STRING) "
                        "DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        c.close()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_types_nulls_and_parameters(self):
        from decimal import Decimal
        import datetime
        c = connect(self.s, db="py")
        with c.cursor() as cur:
            n = cur.execute("INSERT INTO ty VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                            "%s, %s, %s)", (1, True, -5, 300, 2 ** 40, "170141183460469231731687303715884105727",
                                            1.5, 2.25, Decimal("-12345.6789"), "2024-02-29",
                                            "2024-02-29 23:59:58.123", "it's", "abc",
                                            "ünïcode \\ \"q\""))
            self.assertEqual(n, 1)
            cur.execute("INSERT INTO ty (k) VALUES (2)")
            cur.execute("SELECT * FROM ty ORDER BY k")
            rows = cur.fetchall()
            types = [d[1] for d in cur.description]
        c.commit()
        c.close()
        self.assertEqual(rows[0], (1, 1, -5, 300, 2 ** 40, "170141183460469231731687303715884105727",
                                   1.5, 2.25, Decimal("-12345.6789"), datetime.date(2024, 2, 29),
                                   datetime.datetime(2024, 2, 29, 23, 59, 58, 123000), "it's",
                                   "abc", "ünïcode \\ \"q\""))
        self.assertEqual(rows[1], (2,) + (None,) * 13)
        # Doris's column types: TINY for BOOLEAN, STRING for LARGEINT, NEWDECIMAL, DATETIME ...
        self.assertEqual(types, [3, 1, 1, 2, 8, 254, 4, 5, 246, 10, 12, 253, 254, 253])

    def test_complex_bitmap_and_hll_values_in_doris_text_forms(self):
        """ARRAY, MAP, STRUCT and VARIANT cells are Doris's text forms (as the HTTP SQL API
        shows them), BITMAP and HLL cells NULL, and their functions' results typed."""
        c = connect(self.s, db="py")
        with c.cursor() as cur:
            cur.execute("CREATE TABLE cx (k INT, a ARRAY<INT>, m MAP<STRING, ARRAY<INT>>, "
                        "st STRUCT<f1:INT, f2:STRING>, v VARIANT) DUPLICATE KEY(k)")
            cur.execute("""INSERT INTO cx VALUES (1, [1, null, 3], {"x": [2]}, {7, 'q'}, """
                        """'{"a":[1,{"b":null}]}'), (2, NULL, NULL, NULL, NULL)""")
            cur.execute("SELECT k, a, m, st, v, a[3], m['x'][1], st.f2, size(a) FROM cx "
                        "ORDER BY k")
            rows = cur.fetchall()
            types = [d[1] for d in cur.description]
            cur.execute("CREATE TABLE sk (k INT, b BITMAP BITMAP_UNION, h HLL HLL_UNION) "
                        "AGGREGATE KEY(k)")
            cur.execute("INSERT INTO sk (k) VALUES (1)")
            cur.execute("SELECT k, b, h, bitmap_count(b), hll_cardinality(h) FROM sk")
            sk = cur.fetchall()
        c.close()
        self.assertEqual(rows, ((1, "[1, null, 3]", '{"x":[2]}', '{"f1":7, "f2":"q"}',
                                 '{"a":[1,{"b":null}]}', 3, 2, "q", 3),
                                (2, None, None, None, None, None, None, None, None)))
        self.assertEqual(types, [3, 253, 253, 253, 253, 3, 3, 253, 8])
        self.assertEqual(sk, ((1, None, None, 0, 0),))

    def test_errors_as_exceptions_with_their_numbers(self):
        c = connect(self.s, db="py")
        with c.cursor() as cur:
            with self.assertRaises(pymysql.err.ProgrammingError) as e:
                cur.execute("SELEC 1")
            self.assertEqual(e.exception.args[0], 1064)
            with self.assertRaises(pymysql.err.OperationalError) as e:
                cur.execute("USE nodb")
            self.assertEqual(e.exception.args[0], 1049)
            cur.execute("SELECT 1")  # the connection goes on
            self.assertEqual(cur.fetchall(), ((1,),))
        c.close()
        with self.assertRaises(pymysql.err.OperationalError) as e:
            connect(self.s, pw="wrong")
        self.assertEqual(e.exception.args[0], 1045)

    def test_ping_select_db_and_tls(self):
        c = connect(self.s)
        c.ping(reconnect=False)
        c.select_db("py")
        with c.cursor() as cur:
            cur.execute("SELECT DATABASE(), CONNECTION_ID() AS id")
            db, cid = cur.fetchone()
            self.assertEqual(db, "py")
            self.assertIsInstance(cid, int)
            self.assertEqual([d[0] for d in cur.description], ["DATABASE()", "id"])
        c.close()
        c = connect(self.s, ssl={"check_hostname": False, "verify_mode": 0})
        with c.cursor() as cur:
            cur.execute("SHOW VARIABLES WHERE Variable_name IN ('have_ssl', 'autocommit')")
            self.assertEqual(cur.fetchall(), (("autocommit", "OFF"), ("have_ssl", "YES")))
        c.close()

    def test_idle_connections_hold_no_worker(self):
        """Two workers; forty idle logged-in connections; a new one still gets answers."""
        idle = [connect(self.s, db="py") for _ in range(40)]
        try:
            c = connect(self.s, db="py")
            with c.cursor() as cur:
                cur.execute("SELECT count(*) FROM ty")
                self.assertEqual(len(cur.fetchall()), 1)
            c.close()
            for x in idle[:5]:  # and they still work themselves
                x.ping(reconnect=False)
        finally:
            for x in idle:
                x.close()


@unittest.skipUnless(JAVA and os.path.exists(JAR), "java or libmariadb-java is not installed")
class ConnectorJTest(unittest.TestCase):
    def test_jdbc_tour(self):
        s = Server()
        try:
            cli(s, "add", "jv", "--password", PW, "--admin")
            p = subprocess.run([JAVA, "-cp", JAR, os.path.join(ROOT, "tests", "e2e", "mysql",
                                                                 "JdbcTour.java"),
                                str(s.my), "jv", PW], capture_output=True, text=True, timeout=180)
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            lines = p.stdout.splitlines()
            self.assertEqual(lines[0], "product 5.7.99")
            self.assertEqual(lines[1:6], [
                "catalog jdbc", "inserted 1", "inserted 1",
                "columns id:INTEGER name:VARCHAR price:DECIMAL ts:DATETIME ok:TINYINT",
                "row 1|it's|3.50|2024-05-06 07:08:09.0|true"])  # TINYINT(1): a boolean
            self.assertEqual(lines[6], "row 2|null|null|null|null")
            self.assertRegex(lines[7], r"^error 1105 HY000 .*errCode = 2, detailMessage = "
                                       r"Unknown column 'nope'")
            self.assertEqual(s.rows("SELECT count(*) FROM t", "jdbc"), [[2]])
        finally:
            s.close()


def packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def read_packet(sock):
    head = b""
    while len(head) < 4:
        b = sock.recv(4 - len(head))
        if not b:
            return None, None
        head += b
    n = head[0] | head[1] << 8 | head[2] << 16
    body = b""
    while len(body) < n:
        b = sock.recv(n - len(body))
        if not b:
            return head[3], None
        body += b
    return head[3], body


def native(pw, scramble):
    h1 = hashlib.sha1(pw.encode()).digest()
    h2 = hashlib.sha1(h1).digest()
    x = hashlib.sha1(scramble + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, x))


class RawPacketTest(unittest.TestCase):
    """What no client sends: the server answers with ERR or closes, and stays up."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def greet(self):
        sock = socket.create_connection(("127.0.0.1", self.s.my), timeout=10)
        seq, g = read_packet(sock)
        self.assertEqual((seq, g[0]), (0, 10))
        ver_end = g.index(b"\0", 1)
        self.assertEqual(g[1:ver_end], b"5.7.99")
        p = ver_end + 1 + 4
        scramble = g[p:p + 8] + g[p + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10:][:12]
        self.assertTrue(g.endswith(b"mysql_native_password\0"))
        return sock, scramble

    def login(self, user="root", pw=""):
        sock, scramble = self.greet()
        caps = 0x200 | 0x8000 | 0x80000 | 0x8  # 4.1, secure connection, plugin auth, with db
        auth = native(pw, scramble) if pw else b""
        body = struct.pack("<IIB", caps, 1 << 24, 45) + b"\0" * 23 + user.encode() + b"\0" + \
            bytes([len(auth)]) + auth + b"\0" + b"mysql_native_password\0"
        sock.sendall(packet(1, body))
        seq, reply = read_packet(sock)
        self.assertEqual((seq, reply[0]), (2, 0), reply)
        return sock

    def alive(self):
        sock = self.login()
        sock.sendall(packet(0, b"\x03SELECT 42"))
        # column count, its definition, EOF, the row, EOF
        replies = [read_packet(sock) for _ in range(5)]
        self.assertEqual([seq for seq, _ in replies], [1, 2, 3, 4, 5])
        self.assertEqual(replies[0][1], b"\x01")
        self.assertEqual(replies[3][1], b"\x0242")
        self.assertEqual(replies[4][1][0], 0xfe)
        sock.close()

    def test_garbage_instead_of_a_handshake_response(self):
        sock, _ = self.greet()
        sock.sendall(packet(1, b"\x01\x02\x03"))  # too short for a handshake response
        _, err = read_packet(sock)
        self.assertEqual(err[0], 0xff)
        self.assertEqual(struct.unpack("<H", err[1:3])[0], 1043)
        self.assertEqual(sock.recv(10), b"")  # closed
        sock.close()
        self.alive()

    def test_truncated_handshake_then_silence(self):
        sock, _ = self.greet()
        sock.sendall(b"\x40\x00\x00\x01" + b"\x00" * 10)  # a header announcing more
        sock.close()
        sock, _ = self.greet()
        sock.close()  # nothing at all
        self.alive()

    def test_an_oversized_packet_is_refused_before_it_arrives(self):
        sock = self.login()
        # a 16 MiB piece, another, and one announcing more: 48 MiB > max_allowed_packet
        sock.sendall(b"\xff\xff\xff\x00" + b"\x03SELECT '" + b"x" * 1000)
        sock.sendall(b"x" * (0xffffff - 1009))
        sock.sendall(b"\xff\xff\xff\x01" + b"x" * 10)
        seq, err = read_packet(sock)
        self.assertEqual(err[0], 0xff)
        self.assertEqual(struct.unpack("<H", err[1:3])[0], 1153)
        self.assertIn(b"max_allowed_packet", err)
        sock.close()
        self.alive()

    def test_unknown_and_unsupported_commands(self):
        sock = self.login()
        sock.sendall(packet(0, b"\x99"))
        _, err = read_packet(sock)
        self.assertEqual((err[0], struct.unpack("<H", err[1:3])[0]), (0xff, 1047))
        sock.sendall(packet(0, b"\x16SELECT ?"))  # COM_STMT_PREPARE
        _, err = read_packet(sock)
        self.assertEqual((err[0], struct.unpack("<H", err[1:3])[0]), (0xff, 1295))
        sock.sendall(packet(0, b""))  # an empty command
        _, err = read_packet(sock)
        self.assertEqual(err[0], 0xff)
        sock.sendall(packet(0, b"\x0e"))  # COM_PING still answered
        _, r = read_packet(sock)
        self.assertEqual(r[0], 0)
        sock.sendall(packet(0, b"\x01"))  # COM_QUIT: closed without a reply
        self.assertEqual(sock.recv(10), b"")
        sock.close()

    def test_field_list_and_pipelined_commands(self):
        c = connect(self.s)
        with c.cursor() as cur:
            cur.execute("CREATE DATABASE IF NOT EXISTS raw")
            cur.execute("CREATE TABLE IF NOT EXISTS raw.f (a INT NOT NULL, b VARCHAR(8)) "
                        "DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1")
        c.close()
        sock = self.login()
        # three commands in one write: answered in order
        sock.sendall(packet(0, b"\x02raw") + packet(0, b"\x04f\0") + packet(0, b"\x0e"))
        _, r = read_packet(sock)
        self.assertEqual(r[0], 0)  # COM_INIT_DB
        defs = []
        while True:
            _, r = read_packet(sock)
            if r[0] == 0xfe:
                break
            defs.append(r)
        self.assertEqual(len(defs), 2)
        self.assertIn(b"\x01a", defs[0])
        self.assertIn(b"\x01b", defs[1])
        _, r = read_packet(sock)
        self.assertEqual(r[0], 0)  # COM_PING
        sock.close()

    def test_wrong_sequence_and_bad_auth_switch(self):
        sock, _ = self.greet()
        body = struct.pack("<IIB", 0x200 | 0x8000 | 0x80000, 1 << 24, 45) + b"\0" * 23 + \
            b"root\0\0caching_sha2_password\0"
        sock.sendall(packet(1, body))
        seq, sw = read_packet(sock)  # switched to ours, with the same scramble
        self.assertEqual((seq, sw[0]), (2, 0xfe))
        self.assertTrue(sw.startswith(b"\xfemysql_native_password\0"))
        sock.sendall(packet(3, b""))  # root's empty password
        seq, r = read_packet(sock)
        self.assertEqual((seq, r[0]), (4, 0))
        sock.close()
        sock, _ = self.greet()
        sock.sendall(packet(5, struct.pack("<IIB", 0x200 | 0x8000, 0, 45) + b"\0" * 23 +
                            b"root\0\0"))  # out of sequence
        _, err = read_packet(sock)
        self.assertEqual(struct.unpack("<H", err[1:3])[0], 1043)
        sock.close()
        self.alive()


class ShutdownTest(unittest.TestCase):
    def test_idle_mysql_connections_do_not_hold_a_shutdown(self):
        s = Server()
        try:
            c = connect(s)
            s.proc.send_signal(15)
            self.assertEqual(s.proc.wait(timeout=10), 0)
            with self.assertRaises(pymysql.err.OperationalError):
                with c.cursor() as cur:
                    cur.execute("SELECT 1")
        finally:
            s.close()

    def test_mysql_port_minus_one_disables_it(self):
        s = Server(extra=["--mysql-port", "-1"])
        try:
            self.assertEqual(s.my, -1)
            self.assertEqual(s.request("GET", "/api/health").status, 200)
        finally:
            s.close()


class ConnectionCapTest(unittest.TestCase):
    def test_per_client_connection_cap(self):
        """max_connections_per_client holds on the MySQL port too: past it one address gets ERR
        1040 and is closed at once; another address is served; a closed connection frees its
        slot."""
        s = Server(extra=["--set", "max_connections_per_client=8"])
        socks = []
        try:
            for _ in range(8):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.bind(("127.0.0.20", 0))
                c.settimeout(10)
                c.connect(("127.0.0.1", s.my))
                self.assertEqual(read_packet(c)[1][0], 10)    # the greeting
                socks.append(c)
            extra = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            extra.bind(("127.0.0.20", 0))
            extra.settimeout(10)
            extra.connect(("127.0.0.1", s.my))
            seq, err = read_packet(extra)
            self.assertEqual(err[0], 0xff, err)
            self.assertEqual(struct.unpack("<H", err[1:3])[0], 1040)
            self.assertIn(b"Too many connections", err)
            self.assertEqual(read_packet(extra), (None, None))  # closed
            extra.close()
            other = connect(s)                                   # from 127.0.0.1
            with other.cursor() as cur:
                cur.execute("SELECT 1")
                self.assertEqual(cur.fetchall(), ((1,),))
            other.close()
            socks.pop().close()
            again = wait_for(lambda: self._greeted_from(s, "127.0.0.20"), what="a free slot")
            again.close()
        finally:
            for c in socks:
                c.close()
            s.close()

    @staticmethod
    def _greeted_from(s, addr):
        """A connection from addr that got the greeting (not an error), else None."""
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.bind((addr, 0))
        c.settimeout(10)
        c.connect(("127.0.0.1", s.my))
        body = read_packet(c)[1]
        if body and body[0] == 10:
            return c
        c.close()
        return None


def proc_kb(pid, field):
    """VmRSS / VmHWM (peak) of a process, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def raw_login(port, db):
    """A socket logged in as root (no password) into db, with raw packets."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    read_packet(sock)                                      # the greeting
    caps = 0x200 | 0x8000 | 0x80000 | 0x8                  # 4.1, secure conn., plugin auth, db
    body = struct.pack("<IIB", caps, 1 << 24, 45) + b"\0" * 23 + b"root\0\0" + \
        db.encode() + b"\0mysql_native_password\0"
    sock.sendall(packet(1, body))
    seq, reply = read_packet(sock)
    assert (seq, reply[0]) == (2, 0), reply
    return sock


BIG_ROWS = 2500
BIG_LEN = 32000      # bytes of each row's string: the result is about 80 MB
BIG_SQL = ("SELECT id, concat(CAST(id AS STRING), repeat('x', %d)) AS s FROM big" % BIG_LEN)
MIB = 1024


def big_table(s, db):
    c = connect(s)
    with c.cursor() as cur:
        cur.execute("CREATE DATABASE " + db)
        cur.execute("CREATE TABLE %s.big (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) "
                    "BUCKETS 1" % db)
    c.close()
    body = "".join("%d\n" % i for i in range(1, BIG_ROWS + 1)).encode()
    r = s.load(db, "big", body).json()
    assert r["Status"] == "Success", r


def line_sum(lines):
    """An order-free checksum of a result's lines (the scan order is the store's)."""
    return sum(int(hashlib.sha1(x.encode()).hexdigest()[:15], 16) for x in lines)


class StreamingTest(unittest.TestCase):
    """Result sets stream (docs/mysql.md "Result sets"): the server holds a window of a result,
    not the result; a client gone mid-result frees its worker; a statement failing after rows
    went out ends the result with an ERR the client reports."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "workers=1"])
        big_table(cls.s, "st")
        cls.want = line_sum("%d\t%d%s" % (i, i, "x" * BIG_LEN) for i in range(1, BIG_ROWS + 1))

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def assert_small_peak(self, rss_before):
        """The server's peak memory grew by far less than the 80 MB result (built whole it
        grows by more than the result)."""
        grew = proc_kb(self.s.proc.pid, "VmHWM") - rss_before
        # ASan keeps freed memory in quarantine (256 MB), so RSS means nothing there.
        if not os.environ.get("SLUICE_SANITIZED"):
            self.assertLess(grew, 32 * MIB, "the server's peak grew by %d KiB" % grew)

    @unittest.skipUnless(MYSQL, "the mysql client (mariadb-client) is not installed")
    def test_a_large_result_through_the_mysql_client(self):
        rss = proc_kb(self.s.proc.pid, "VmRSS")
        out = ok(mysql(self.s, "--quick", "-N", "-B", "-e", BIG_SQL, db="st"))
        lines = out.splitlines()
        self.assertEqual(len(lines), BIG_ROWS)
        self.assertEqual(line_sum(lines), self.want)
        self.assert_small_peak(rss)

    def test_a_large_result_through_an_unbuffered_cursor(self):
        rss = proc_kb(self.s.proc.pid, "VmRSS")
        c = connect(self.s, db="st", cursorclass=pymysql.cursors.SSCursor)
        n, total = 0, 0
        with c.cursor() as cur:
            cur.execute(BIG_SQL)
            for row in cur:
                n += 1
                total += line_sum(["%d\t%s" % row])
            cur.execute("SELECT count(*) FROM big")     # the connection goes on
            self.assertEqual(list(cur.fetchall()), [(BIG_ROWS,)])
        c.close()
        self.assertEqual(n, BIG_ROWS)
        self.assertEqual(total, self.want)
        self.assert_small_peak(rss)

    def test_a_large_result_over_tls(self):
        rss = proc_kb(self.s.proc.pid, "VmRSS")
        c = connect(self.s, db="st", cursorclass=pymysql.cursors.SSCursor,
                    ssl={"check_hostname": False, "verify_mode": 0})
        n, total = 0, 0
        with c.cursor() as cur:
            cur.execute(BIG_SQL)
            for row in cur:
                n += 1
                total += line_sum(["%d\t%s" % row])
        c.close()
        self.assertEqual((n, total), (BIG_ROWS, self.want))
        self.assert_small_peak(rss)

    def test_a_client_gone_mid_result_frees_its_worker(self):
        """One worker: a client reads a little of the result and closes; the next statement
        (another connection) is answered well before the write timeout (60 s)."""
        sock = raw_login(self.s.my, "st")
        sock.sendall(packet(0, b"\x03" + BIG_SQL.encode()))
        got = 0
        while got < 256 * 1024:
            got += len(sock.recv(65536))
        sock.close()                                         # unread bytes: the peer resets
        c = pymysql.connect(host="127.0.0.1", port=self.s.my, user="root", database="st",
                            connect_timeout=10, read_timeout=30)
        with c.cursor() as cur:
            cur.execute("SELECT count(*) FROM big")
            self.assertEqual(cur.fetchall(), ((BIG_ROWS,),))
        c.close()
        self.assertIsNone(self.s.proc.poll())


class StreamErrorTest(unittest.TestCase):
    """query_max_result_rows fails a statement on its 1001st row, after more than one piece
    of rows went out: the client gets those rows, then an ERR with the limit's message, and the
    connection goes on. query_max_result_bytes still bounds a streamed result the same way."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra=["--set", "query_max_result_rows=1000",
                              "--set", "query_max_result_bytes=2000000"])
        big_table(cls.s, "se")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    SQL = "SELECT id, repeat('y', 200) FROM big"

    def test_an_unbuffered_cursor_gets_rows_then_the_error(self):
        c = connect(self.s, db="se", cursorclass=pymysql.cursors.SSCursor)
        n = 0
        with c.cursor() as cur:
            cur.execute(self.SQL)
            with self.assertRaises(pymysql.err.MySQLError) as e:
                for row in cur:
                    self.assertEqual(row[1], "y" * 200)
                    n += 1
            self.assertIn("EXCEEDED_LIMIT", str(e.exception))
            self.assertGreater(n, 200)                  # rows came before the error
            self.assertLessEqual(n, 1000)
            cur.execute("SELECT 7")                     # in step with the server still
            self.assertEqual(list(cur.fetchall()), [(7,)])
        c.close()

    def test_the_byte_limit_bounds_a_streamed_result(self):
        c = connect(self.s, db="se", cursorclass=pymysql.cursors.SSCursor)
        n = 0
        with c.cursor() as cur:  # 900 rows of 4000 bytes: within the row limit, past 2 MB
            cur.execute("SELECT id, repeat('z', 4000) FROM big WHERE id <= 900")
            with self.assertRaises(pymysql.err.MySQLError) as e:
                for _ in cur:
                    n += 1
            self.assertIn("MEM_LIMIT_EXCEEDED", str(e.exception))
            self.assertGreater(n, 16)
            self.assertLess(n, 900)
        c.close()

    def test_a_buffered_cursor_raises(self):
        c = connect(self.s, db="se")
        with c.cursor() as cur:
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute(self.SQL)
            self.assertIn("EXCEEDED_LIMIT", str(e.exception))
            cur.execute("SELECT 7")
            self.assertEqual(cur.fetchall(), ((7,),))
        c.close()

    @unittest.skipUnless(MYSQL, "the mysql client (mariadb-client) is not installed")
    def test_the_mysql_client_reports_it(self):
        p = mysql(self.s, "--quick", "-N", "-B", "-e", self.SQL, db="se")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("EXCEEDED_LIMIT", p.stderr)
        self.assertGreater(p.stdout.count("\n"), 200)   # the rows before it were printed

    def test_the_err_packet_takes_the_next_sequence_id(self):
        sock = raw_login(self.s.my, "se")
        sock.sendall(packet(0, b"\x03" + self.SQL.encode()))
        seqs, last = [], None
        while True:
            seq, body = read_packet(sock)
            self.assertIsNotNone(seq, "closed before the ERR")
            seqs.append(seq)
            if body[0] == 0xff:
                last = body
                break
        sock.close()
        self.assertEqual(seqs, [(1 + i) % 256 for i in range(len(seqs))])
        self.assertIn(b"EXCEEDED_LIMIT", last)
        self.assertGreater(len(seqs), 3 + 200)          # count, definitions, EOF, rows, ERR


if __name__ == "__main__":
    unittest.main()
