#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/analytic.py - the embedded store as an analytic store (issue 18), against ClickHouse.

Loads the 2,000,000-row lineitem CSV through sluice's load port and through ClickHouse's HTTP
insert (both `curl -T`, streamed), alternately, PAIRS times each, then runs five TPC-H-shaped
single-table queries on both, alternately, PAIRS times each, and checks that both give the same
answers. Every figure is wall time of the client request and the server's CPU time over it
(utime + stime of the server process from /proc, all threads), with the load average.

usage: bench/analytic.py [--pairs N] [--csv FILE] [--sluice BIN] [--no-clickhouse]
       (run from the checkout; make bench runs it as section 6)
"""
import argparse
import decimal
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "bench", "analytic")

DDL = ("CREATE TABLE lineitem (l_orderkey BIGINT, l_partkey INT, l_suppkey INT, "
       "l_linenumber INT, l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), "
       "l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), l_returnflag CHAR(1), "
       "l_linestatus CHAR(1), l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, "
       "l_shipinstruct VARCHAR(25), l_shipmode VARCHAR(10), l_comment VARCHAR(44)) "
       "DUPLICATE KEY(l_orderkey) DISTRIBUTED BY HASH(l_orderkey) BUCKETS 1")
CH_DDL = ("CREATE TABLE lineitem (l_orderkey UInt64, l_partkey UInt32, l_suppkey UInt32, "
          "l_linenumber UInt8, l_quantity Decimal(15,2), l_extendedprice Decimal(15,2), "
          "l_discount Decimal(15,2), l_tax Decimal(15,2), l_returnflag String, "
          "l_linestatus String, l_shipdate Date, l_commitdate Date, l_receiptdate Date, "
          "l_shipinstruct String, l_shipmode String, l_comment String) "
          "ENGINE = MergeTree ORDER BY (l_orderkey, l_linenumber)")

# name, sluice SQL, ClickHouse SQL (the same query; ClickHouse spells positions out)
QUERIES = [
    ("Q1 pricing summary (issue)",
     "SELECT l_returnflag, l_linestatus, count(*), sum(l_extendedprice), avg(l_discount) "
     "FROM lineitem WHERE l_shipdate <= '1998-09-01' GROUP BY 1, 2 ORDER BY 1, 2",
     "SELECT l_returnflag, l_linestatus, count(*), sum(l_extendedprice), avg(l_discount) "
     "FROM lineitem WHERE l_shipdate <= '1998-09-01' GROUP BY l_returnflag, l_linestatus "
     "ORDER BY l_returnflag, l_linestatus"),
    ("Q6 filters + sum",
     "SELECT sum(l_extendedprice * l_discount) FROM lineitem WHERE l_shipdate >= '1994-01-01' "
     "AND l_shipdate < '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24",
     "SELECT sum(l_extendedprice * l_discount) FROM lineitem WHERE l_shipdate >= '1994-01-01' "
     "AND l_shipdate < '1995-01-01' AND l_discount BETWEEN toDecimal64('0.05', 2) AND "
     "toDecimal64('0.07', 2) AND l_quantity < toDecimal64(24, 2)"),
    ("Q3 group by order key, order by + limit",
     "SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM lineitem "
     "WHERE l_shipdate > '1995-03-15' GROUP BY l_orderkey ORDER BY revenue DESC, l_orderkey "
     "LIMIT 10",
     "SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM lineitem "
     "WHERE l_shipdate > '1995-03-15' GROUP BY l_orderkey ORDER BY revenue DESC, l_orderkey "
     "LIMIT 10"),
    ("Q16 count distinct per group",
     "SELECT l_shipmode, count(DISTINCT l_suppkey), count(DISTINCT l_partkey) FROM lineitem "
     "WHERE l_receiptdate >= '1994-01-01' GROUP BY l_shipmode ORDER BY l_shipmode",
     "SELECT l_shipmode, count(DISTINCT l_suppkey), count(DISTINCT l_partkey) FROM lineitem "
     "WHERE l_receiptdate >= '1994-01-01' GROUP BY l_shipmode ORDER BY l_shipmode"),
    ("Q-top rows: filter, order by + limit",
     "SELECT l_orderkey, l_linenumber, l_extendedprice, l_shipdate FROM lineitem WHERE "
     "l_shipmode = 'AIR' AND l_quantity >= 49 ORDER BY l_extendedprice DESC, l_orderkey "
     "LIMIT 10",
     "SELECT l_orderkey, l_linenumber, l_extendedprice, l_shipdate FROM lineitem WHERE "
     "l_shipmode = 'AIR' AND l_quantity >= toDecimal64(49, 2) ORDER BY l_extendedprice DESC, "
     "l_orderkey LIMIT 10"),
]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def request(port, method, path, body=b"", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request(method, path, body, headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


class Sluice:
    name = "sluice"

    def __init__(self, binary):
        self.dir = os.path.join(WORK, "sluice")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(WORK, exist_ok=True)
        self.log = open(os.path.join(WORK, "sluice.log"), "w")
        self.proc = subprocess.Popen([binary, "serve", "--data-dir", self.dir, "--fe-port", "0",
                                      "--be-port", "0", "--tsload-port", "-1", "--mysql-port", "-1"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        for _ in range(400):
            text = open(os.path.join(WORK, "sluice.log")).read()
            m = re.search(r"fe_port=(\d+) be_port=(\d+)", text)
            if m:
                self.fe, self.be = int(m.group(1)), int(m.group(2))
                break
            time.sleep(0.05)
        else:
            raise SystemExit("sluice did not start")
        self.sql("CREATE DATABASE b", "information_schema")
        self.sql(DDL)

    def sql(self, stmt, db="b"):
        st, body = request(self.fe, "POST", "/api/query/default_cluster/" + (db or "b"),
                        json.dumps({"stmt": stmt}).encode(),
                        {"Authorization": "Basic cm9vdDo=", "Content-Type": "application/json"})
        doc = json.loads(body.decode(), parse_float=str, parse_int=str)
        if doc.get("code") not in (0, "0"):
            raise RuntimeError("sluice: %s: %s" % (stmt[:60], doc))
        return doc

    def truncate(self):
        self.sql("TRUNCATE TABLE lineitem")

    def load_cmd(self, csv):
        return ["curl", "-sS", "-u", "root:", "-H", "column_separator:,", "-H", "Expect:",
                "-T", csv, "-XPUT", "http://127.0.0.1:%d/api/b/lineitem/_stream_load" % self.be]

    def loaded(self, out):
        return '"Status": "Success"' in out

    def query(self, q):
        doc = self.sql(q)
        return [[str(v) for v in row] for row in doc["data"]["data"]]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


class ClickHouse:
    name = "ClickHouse"

    def __init__(self):
        self.dir = os.path.join(WORK, "ch")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "log"))
        os.makedirs(os.path.join(self.dir, "data"))
        conf = open("/etc/clickhouse-server/config.xml").read()
        conf = (conf.replace("/var/log/clickhouse-server/", self.dir + "/log/")
                .replace("/var/lib/clickhouse/", self.dir + "/data/")
                .replace("<tcp_port>9000</tcp_port>", "<tcp_port>19200</tcp_port>")
                .replace("<http_port>8123</http_port>", "<http_port>18323</http_port>")
                .replace("<interserver_http_port>9009</interserver_http_port>",
                         "<interserver_http_port>19209</interserver_http_port>")
                .replace("<!-- <listen_try>0</listen_try> -->",
                         "<listen_host>127.0.0.1</listen_host>"))
        open(os.path.join(self.dir, "config.xml"), "w").write(conf)
        shutil.copy("/etc/clickhouse-server/users.xml", self.dir)
        subprocess.run(["chown", "-R", "clickhouse:clickhouse", self.dir], check=False)
        self.proc = subprocess.Popen(
            ["su", "clickhouse", "-s", "/bin/sh", "-c",
             "cd %s && exec clickhouse-server --config-file=%s/config.xml" % (self.dir, self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = 18323
        for _ in range(600):
            try:
                if request(self.port, "GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("ClickHouse did not start")
        out = subprocess.run(["pgrep", "-u", "clickhouse", "-f", "config-file=" + self.dir],
                             capture_output=True, text=True).stdout.split()
        self.pid = int(out[0])
        self.sql(CH_DDL)

    def sql(self, stmt):
        st, body = request(self.port, "POST", "/", stmt.encode())
        if st != 200:
            raise RuntimeError("ClickHouse: %s: %s" % (stmt[:60], body[:300]))
        return body.decode()

    def truncate(self):
        self.sql("TRUNCATE TABLE lineitem")

    def load_cmd(self, csv):
        return ["curl", "-sS", "-X", "POST", "-T", csv,
                "http://127.0.0.1:%d/?query=INSERT%%20INTO%%20lineitem%%20FORMAT%%20CSV"
                % self.port]

    def loaded(self, out):
        return out.strip() == ""

    def query(self, q):
        return [line.split("\t") for line in self.sql(q).splitlines()]

    def close(self):
        subprocess.run(["kill", str(self.pid)])
        self.proc.wait()


def timed(server, fn):
    c0, t0 = cpu_seconds(server.pid), time.monotonic()
    out = fn()
    return out, time.monotonic() - t0, cpu_seconds(server.pid) - c0


def load_once(server, csv):
    server.truncate()
    out, wall, cpu = timed(server, lambda: subprocess.run(server.load_cmd(csv),
                                                           capture_output=True, text=True).stdout)
    if not server.loaded(out):
        raise RuntimeError("%s load failed: %s" % (server.name, out[:300]))
    return wall, cpu


def same(a, b):
    """Rows equal; numbers compared at the other side's precision (ClickHouse 18.16 gives
    avg(Decimal(15,2)) at scale 2, Doris at scale 4)."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb):
            if x == y:
                continue
            try:
                dx, dy = decimal.Decimal(x), decimal.Decimal(y)
            except decimal.InvalidOperation:
                return False
            places = min(-dx.as_tuple().exponent, -dy.as_tuple().exponent, 10)
            unit = decimal.Decimal(1).scaleb(-places)
            if abs(dx - dy) >= unit:
                return False
    return True


def med(xs):
    return statistics.median(xs)


def show(label, sl, ch):
    """One line: medians (min-max) of wall and CPU for both, ratios per pair."""
    def fmt(xs):
        return "%.3f (%.3f-%.3f)" % (med(xs), min(xs), max(xs))
    line = "%-42s sluice wall %s cpu %s" % (label, fmt([w for w, _ in sl]),
                                             fmt([c for _, c in sl]))
    if ch:
        ratios = [c[0] / s[0] for s, c in zip(sl, ch)]
        cpu_ratios = [c[1] / s[1] if s[1] else 0 for s, c in zip(sl, ch)]
        line += "\n%-42s ClickHouse wall %s cpu %s\n%-42s ClickHouse/sluice wall x%.2f " \
                "(%s), cpu x%.2f" % ("", fmt([w for w, _ in ch]), fmt([c for _, c in ch]), "",
                                     med(ratios), " ".join("%.2f" % r for r in ratios),
                                     med(cpu_ratios))
    print(line, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--csv", default=os.path.join(ROOT, "build", "bench", "data", "lineitem.csv"))
    ap.add_argument("--sluice", default=os.path.join(ROOT, "build", "release", "sluice"))
    ap.add_argument("--no-clickhouse", action="store_true")
    ap.add_argument("--skip-loads", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(a.csv):
        raise SystemExit("no %s (make bench generates it)" % a.csv)
    have_ch = not a.no_clickhouse and shutil.which("clickhouse-server") is not None
    print("load average %s; %d pairs, alternating" % (loadavg(), a.pairs), flush=True)
    sl = Sluice(a.sluice)
    ch = ClickHouse() if have_ch else None
    if not have_ch:
        print("ClickHouse: not installed, its figures are skipped")
    try:
        subprocess.run(["cat", a.csv], stdout=subprocess.DEVNULL)
        loads_sl, loads_ch = [], []
        for i in range(1 if a.skip_loads else a.pairs + 1):  # the first pair warms up
            s = load_once(sl, a.csv)
            c = load_once(ch, a.csv) if ch else None
            if i > 0 or a.skip_loads:
                loads_sl.append(s)
                if c:
                    loads_ch.append(c)
        show("load 2 M rows (curl -T)", loads_sl, loads_ch)
        time.sleep(3)  # background work after the loads (ClickHouse merges parts)
        for name, q_sl, q_ch in QUERIES:
            rs, rc_ = [], []
            for i in range(a.pairs + 1):
                rows_s, ws, cs = timed(sl, lambda: sl.query(q_sl))
                if ch:
                    rows_c, wc, cc = timed(ch, lambda: ch.query(q_ch))
                    if i == 0 and not same(rows_s, rows_c):
                        print("%s: DIFFERENT ANSWERS\n  sluice     %s\n  ClickHouse %s"
                              % (name, rows_s[:3], rows_c[:3]))
                if i > 0:
                    rs.append((ws, cs))
                    if ch:
                        rc_.append((wc, cc))
            show(name, rs, rc_)
            print("%-42s first row: %s" % ("", rows_s[0] if rows_s else "(none)"), flush=True)
    finally:
        print("load average %s" % loadavg())
        sl.close()
        if ch:
            ch.close()


if __name__ == "__main__":
    main()
