#!/usr/bin/env python3
"""pg_nodes.py URL CSV PAIRS SLUICE - sluice serving a PostgreSQL store, end to end over HTTP.

Called by bench/pg.sh (section 5 of `make bench`) with a throwaway PostgreSQL at URL.

A. One node: the CSV through HTTP Stream Load (`curl -T` to the load port) against `psql \\copy`
   of the same file into an identical table, alternating, PAIRS pairs. Per run: wall seconds,
   the client's CPU (sluice's process, or psql), PostgreSQL's CPU (all its processes).
B. 1, 2 and 3 nodes (separate sluice processes on this machine, one engine) loading the CSV cut
   in 6 parts at once (node i loads parts i, i+k, ...): rows/s, sluice's CPU, the engine's CPU.
C. 64 concurrent loads (the CSV in 64 parts) sent to one node's front door, which redirects each
   to the least busy node of 3: wall time, how many succeeded, how the nodes shared them.

Every load is durable when acknowledged (PostgreSQL with fsync on) and atomic.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from pg_bench import cpu_of, psql, server_cpu

DDL = ("CREATE TABLE b.lineitem (l_orderkey BIGINT, l_partkey INT, l_suppkey INT, "
       "l_linenumber INT, l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), "
       "l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), l_returnflag CHAR(1), "
       "l_linestatus CHAR(1), l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, "
       "l_shipinstruct VARCHAR(25), l_shipmode VARCHAR(10), l_comment VARCHAR(44)) "
       "DUPLICATE KEY(l_orderkey) DISTRIBUTED BY HASH(l_orderkey) BUCKETS 1")
PG_DDL = ("CREATE TABLE IF NOT EXISTS public.copy_lineitem (l_orderkey BIGINT, l_partkey INT, "
          "l_suppkey INT, l_linenumber INT, l_quantity NUMERIC(15,2), "
          "l_extendedprice NUMERIC(15,2), l_discount NUMERIC(15,2), l_tax NUMERIC(15,2), "
          "l_returnflag CHAR(1), l_linestatus CHAR(1), l_shipdate DATE, l_commitdate DATE, "
          "l_receiptdate DATE, l_shipinstruct VARCHAR(25), l_shipmode VARCHAR(10), "
          "l_comment VARCHAR(44))")


class Node:
    def __init__(self, sluice, url):
        self.dir = tempfile.mkdtemp(prefix="sluice-bench-node-")
        self.proc = subprocess.Popen(
            [sluice, "serve", "--data-dir", self.dir, "--bind", "127.0.0.1", "--fe-port", "0",
             "--be-port", "0", "--tsload-port", "-1", "--mysql-port", "-1", "--set", "store=" + url],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        m = re.search(r"fe_port=(\d+) be_port=(\d+)", self.proc.stdout.readline())
        if not m:
            raise RuntimeError("sluice did not start")
        self.fe, self.be = int(m.group(1)), int(m.group(2))

    def cpu(self):
        return cpu_of([self.proc.pid])

    def sql(self, stmt, db="b"):
        subprocess.run(["curl", "-sS", "-u", "root:", "-H", "Content-Type: application/json",
                        "-d", '{"stmt": "%s"}' % stmt.replace('"', '\\"'),
                        "http://127.0.0.1:%d/api/query/default_cluster/%s" % (self.fe, db)],
                       check=True, capture_output=True)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def stream_load(port, path, fe=False):
    """One Stream Load of path; True when it succeeded. fe: through the front door (307)."""
    args = ["curl", "-sS", "-u", "root:", "-H", "column_separator:,", "-H", "Expect:", "-T", path,
            "-XPUT", "http://127.0.0.1:%d/api/b/lineitem/_stream_load" % port]
    if fe:  # a front door wants Expect: 100-continue, as Doris's FE does
        args[args.index("Expect:")] = "Expect: 100-continue"
        args.insert(1, "--location-trusted")
    out = subprocess.run(args, capture_output=True, text=True).stdout
    return '"Status": "Success"' in out or '"Status":"Success"' in out


def split(csv, n, into):
    """The CSV in n files of whole lines under into; their paths."""
    with open(csv, "rb") as f:
        lines = f.readlines()
    per = (len(lines) + n - 1) // n
    paths = []
    for i in range(n):
        p = os.path.join(into, "part%02d.csv" % i)
        with open(p, "wb") as f:
            f.writelines(lines[i * per:(i + 1) * per])
        paths.append(p)
    return paths


def section_a(url, csv, pairs, node):
    print("A. one node, HTTP Stream Load (curl -T) vs psql \\copy, %d pairs" % pairs)
    psql(url, PG_DDL)
    runs = {"sluice": [], "psql": []}

    def run_sluice():
        node.sql("TRUNCATE TABLE lineitem")
        c0, s0, t0 = node.cpu(), server_cpu(url), time.time()
        ok = stream_load(node.be, csv)
        t, c, s = time.time() - t0, node.cpu() - c0, server_cpu(url) - s0
        runs["sluice"].append(t)
        print("  sluice  %6.2f s wall  sluice cpu %6.2f s  postgres cpu %6.2f s%s"
              % (t, c, s, "" if ok else "  FAILED"))

    def run_psql():
        psql(url, "TRUNCATE public.copy_lineitem")
        s0, t0 = server_cpu(url), time.time()
        r = subprocess.run(["bash", "-c", "time -p psql -qAtX '%s' -c \"\\copy public.copy_lineitem "
                            "FROM '%s' WITH (FORMAT csv)\"" % (url, csv)],
                           capture_output=True, text=True)
        t, s = time.time() - t0, server_cpu(url) - s0
        m = dict(re.findall(r"(user|sys) ([\d.]+)", r.stderr))
        runs["psql"].append(t)
        print("  psql    %6.2f s wall  psql cpu   %6.2f s  postgres cpu %6.2f s"
              % (t, float(m.get("user", 0)) + float(m.get("sys", 0)), s))

    for i in range(pairs):
        for f in ((run_psql, run_sluice) if i % 2 == 0 else (run_sluice, run_psql)):
            f()
    ms, mp = statistics.median(runs["sluice"]), statistics.median(runs["psql"])
    print("  median: sluice %.2f s, psql \\copy %.2f s: ratio %.2fx (> 1: sluice faster)"
          % (ms, mp, mp / ms))


def section_b(url, parts, nodes, rows):
    print("B. k nodes loading at once (6 parts, node i loads parts i, i+k, ...)")
    for k in (1, 2, 3):
        nodes[0].sql("TRUNCATE TABLE lineitem")
        use = nodes[:k]
        c0 = [n.cpu() for n in use]
        s0, t0 = server_cpu(url), time.time()

        def work(i):
            return all(stream_load(use[i].be, p) for p in parts[i::k])

        with ThreadPoolExecutor(k) as ex:
            ok = all(ex.map(work, range(k)))
        t = time.time() - t0
        c = sum(n.cpu() - c for n, c in zip(use, c0))
        s = server_cpu(url) - s0
        print("  %d node%s %6.2f s wall  %8.0f rows/s  sluice cpu %6.2f s  postgres cpu %6.2f s%s"
              % (k, " " if k == 1 else "s", t, rows / t, c, s, "" if ok else "  FAILED"))


def per_node(url):
    """{node id: successful loads into lineitem so far} from the load history."""
    out = subprocess.run(["psql", "-qAtX", url, "-c", "SELECT node, count(*) FROM sluice.loads "
                          "WHERE tbl = 'lineitem' AND status = 'Success' GROUP BY node"],
                         capture_output=True, text=True).stdout.split()
    return {x.split("|")[0]: int(x.split("|")[1]) for x in out}


def section_c(url, parts, nodes):
    print("C. 64 concurrent loads to one front door, spread over 3 nodes")
    nodes[0].sql("TRUNCATE TABLE lineitem")
    before = per_node(url)
    c0 = [n.cpu() for n in nodes]
    s0, t0 = server_cpu(url), time.time()
    with ThreadPoolExecutor(64) as ex:
        ok = list(ex.map(lambda p: stream_load(nodes[0].fe, p, fe=True), parts))
    t = time.time() - t0
    c = sum(n.cpu() - c for n, c in zip(nodes, c0))
    s = server_cpu(url) - s0
    after = per_node(url)
    shares = sorted((n - before.get(k, 0) for k, n in after.items()), reverse=True)
    print("  %d/64 succeeded in %.2f s wall, sluice cpu %.2f s, postgres cpu %.2f s"
          % (sum(ok), t, c, s))
    print("  loads per node: %s" % ", ".join(str(n) for n in shares))


def main():
    url, csv, pairs, sluice = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rows = sum(1 for _ in open(csv, "rb"))
    tmp = tempfile.mkdtemp(prefix="sluice-bench-parts-")
    nodes = []
    try:
        nodes = [Node(sluice, url) for _ in range(3)]
        nodes[0].sql("CREATE DATABASE b", "information_schema")
        nodes[0].sql(DDL)
        section_a(url, csv, pairs, nodes[0])
        section_b(url, split(csv, 6, tmp), nodes, rows)
        shutil.rmtree(tmp)
        os.mkdir(tmp)
        section_c(url, split(csv, 64, tmp), nodes)
    finally:
        for n in nodes:
            n.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
