"""Users and grants managed with Doris's statements through the SQL API (issue 12): CREATE /
ALTER / DROP USER, SET PASSWORD, GRANT, REVOKE, SHOW GRANTS, and SHOW BACKENDS / FRONTENDS.
Users live in the store, so what is created here is what every node sees."""
import unittest

from harness import Server, new_label

PW = "s3cret-Pw"


class AccountTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.s.sql("CREATE DATABASE acc")
        cls.s.sql("CREATE TABLE acc.t (k INT, v INT) DISTRIBUTED BY HASH(k) BUCKETS 1")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def sql(self, stmt, user="root", pw=""):
        return self.s.sql(stmt, "acc", user=user, pw=pw, ok=False)

    def ok(self, stmt, user="root", pw=""):
        doc = self.sql(stmt, user, pw)
        self.assertEqual(doc["code"], 0, (stmt, doc))
        return doc

    def load(self, user, pw):
        """"Success", or "Fail" when the front door or the load port refuses."""
        try:
            return self.s.load("acc", "t", b"1,1\n", [("column_separator", ",")], user=user,
                               pw=pw, label=new_label()).json()["Status"]
        except AssertionError as e:  # the FE answered its refusal instead of the 307
            self.assertIn("Access denied", str(e))
            return "Fail"

    def test_create_grant_load_revoke_drop(self):
        self.ok("CREATE USER 'etl'@'%%' IDENTIFIED BY '%s'" % PW)
        doc = self.sql("CREATE USER 'etl' IDENTIFIED BY 'x'")
        self.assertEqual(doc["code"], 1)
        self.assertIn("Operation CREATE USER failed for 'etl'@'%'", doc["data"])
        self.ok("CREATE USER IF NOT EXISTS 'etl' IDENTIFIED BY 'x'")  # no change
        self.assertEqual(self.load("etl", PW), "Fail")      # no privilege yet
        self.ok("GRANT LOAD_PRIV ON acc.* TO 'etl'")
        self.assertEqual(self.load("etl", PW), "Success")
        rows = self.ok("SHOW GRANTS FOR 'etl'")["data"]["data"]
        self.assertEqual(rows[0][0], "'etl'@'%'")
        self.assertIn("internal.acc: Load_priv", rows[0][3])
        self.assertEqual(self.ok("SHOW GRANTS", "etl", PW)["data"]["data"][0][0], "'etl'@'%'")
        self.ok("REVOKE LOAD_PRIV ON acc.* FROM 'etl'")
        self.assertEqual(self.load("etl", PW), "Fail")
        self.ok("DROP USER 'etl'")
        self.assertEqual(self.sql("SELECT 1", "etl", PW)["code"], 401)
        self.assertEqual(self.sql("DROP USER 'etl'")["code"], 1)
        self.ok("DROP USER IF EXISTS 'etl'")

    def test_passwords(self):
        self.ok("CREATE USER pw_user IDENTIFIED BY '%s'" % PW)
        self.ok("SET PASSWORD = PASSWORD('second-pw')", "pw_user", PW)   # one's own
        self.assertEqual(self.sql("SELECT 1", "pw_user", PW)["code"], 401)
        self.assertEqual(self.sql("SELECT 1", "pw_user", "second-pw")["code"], 0)
        self.ok("SET PASSWORD FOR 'pw_user' = 'third-pw'")                 # an admin, anyone's
        self.assertEqual(self.sql("SELECT 1", "pw_user", "third-pw")["code"], 0)
        self.ok("ALTER USER pw_user IDENTIFIED BY '%s'" % PW)
        self.assertEqual(self.sql("SELECT 1", "pw_user", PW)["code"], 0)
        # not an admin: no other user's password, no new users
        doc = self.sql("SET PASSWORD FOR 'root' = 'x'", "pw_user", PW)
        self.assertIn("Access denied", doc["data"])
        doc = self.sql("CREATE USER sneaky IDENTIFIED BY 'x'", "pw_user", PW)
        self.assertIn("Access denied", doc["data"])

    def test_lockout_policy(self):
        self.ok("CREATE USER lk IDENTIFIED BY '%s' FAILED_LOGIN_ATTEMPTS 2 "
                "PASSWORD_LOCK_TIME 1 DAY" % PW)
        for _ in range(2):
            self.assertEqual(self.sql("SELECT 1", "lk", "wrong")["code"], 401)
        doc = self.sql("SELECT 1", "lk", PW)
        self.assertIn("Account is blocked", doc["data"])
        self.ok("ALTER USER lk ACCOUNT_UNLOCK")
        self.assertEqual(self.sql("SELECT 1", "lk", PW)["code"], 0)
        doc = self.sql("CREATE USER h IDENTIFIED BY 'x' PASSWORD_HISTORY 5")
        self.assertIn("PASSWORD_HISTORY is not supported", doc["data"])

    def test_show_backends_and_frontends(self):
        doc = self.ok("SHOW BACKENDS")["data"]
        names = [m["name"] for m in doc["meta"]]
        self.assertEqual(names[:3], ["BackendId", "Host", "HttpPort"])
        self.assertEqual(len(doc["data"]), 1)
        row = dict(zip(names, doc["data"][0]))
        self.assertEqual((row["HttpPort"], row["Alive"], row["IsCurrent"]),
                         (str(self.s.be), "true", "true"))
        doc = self.ok("SHOW FRONTENDS")["data"]
        row = dict(zip([m["name"] for m in doc["meta"]], doc["data"][0]))
        self.assertEqual(row["HttpPort"], str(self.s.fe))


if __name__ == "__main__":
    unittest.main()
