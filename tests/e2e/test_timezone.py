"""One time zone setting, used wherever sluice shows or computes a time (issue 21): the load
history, the `timezone` header's default, now() and from_unixtime with daylight-saving time
right for each value, and a clear refusal of an unknown zone."""
import datetime
import subprocess
import tempfile
import unittest

from harness import BIN, Server


def history_start(s, label):
    row = s.rows("SHOW STREAM LOAD WHERE LABEL = '%s'" % label, "tz")[0]
    return datetime.datetime.strptime(row[12], "%Y-%m-%d %H:%M:%S")


class ZoneTest(unittest.TestCase):
    def server(self, zone=None):
        s = Server(extra=["--set", "time_zone=%s" % zone] if zone else [])
        self.addCleanup(s.close)
        s.sql("CREATE DATABASE tz")
        s.sql("CREATE TABLE tz.t (k INT, d DATETIME, w DATETIME) DISTRIBUTED BY HASH(k) BUCKETS 1")
        return s

    def test_history_follows_the_setting(self):
        for zone, hours in (("UTC", 0), (None, 8), ("+05:30", 5.5)):  # None: Doris's default
            s = self.server(zone)
            before = datetime.datetime.utcnow().replace(microsecond=0)
            r = s.load("tz", "t", b"1,2024-01-01 00:00:00,2024-01-01 00:00:00\n",
                       [("column_separator", ","), ("label", "h1")]).json()
            self.assertEqual(r["Status"], "Success", r)
            shown = history_start(s, "h1") - datetime.timedelta(hours=hours)
            self.assertLessEqual(abs((shown - before).total_seconds()), 5, (zone, shown, before))

    def test_dst_is_right_for_each_value(self):
        s = self.server()
        # 1720000000 = 2024-07-03 09:46:40 UTC (EDT, -4); 1705000000 = 2024-01-11 19:06:40 UTC (EST, -5)
        r = s.load("tz", "t", b"1\n", [("columns", "k, d = from_unixtime(1720000000), "
                                       "w = from_unixtime(1705000000)"),
                                      ("timezone", "America/New_York")]).json()
        self.assertEqual(r["Status"], "Success", r)
        self.assertEqual(s.rows("SELECT d, w FROM t WHERE k = 1", "tz"),
                         [["2024-07-03 05:46:40", "2024-01-11 14:06:40"]])
        # a datetime text with its own zone lands on the load's wall clock, per its instant
        r = s.load("tz", "t", b"2,2024-07-03 12:00:00+00:00,2024-01-11 12:00:00Z\n",
                   [("column_separator", ","), ("timezone", "America/New_York")]).json()
        self.assertEqual(r["Status"], "Success", r)
        self.assertEqual(s.rows("SELECT d, w FROM t WHERE k = 2", "tz"),
                         [["2024-07-03 08:00:00", "2024-01-11 07:00:00"]])

    def test_unknown_zones_are_refused(self):
        s = self.server()
        r = s.load("tz", "t", b"1\n", [("timezone", "Mars/Olympus")]).json()
        self.assertEqual(r["Status"], "Fail")
        self.assertIn("Unknown or incorrect time zone: 'Mars/Olympus'", r["Message"])
        with tempfile.TemporaryDirectory() as d:
            p = subprocess.run([BIN, "serve", "--data-dir", d, "--fe-port", "0", "--be-port", "0",
                                "--tsload-port", "-1", "--set", "time_zone=Mars/Olympus"],
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("Unknown or incorrect time zone: 'Mars/Olympus'", p.stderr)


if __name__ == "__main__":
    unittest.main()
