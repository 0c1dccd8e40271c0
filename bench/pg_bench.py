#!/usr/bin/env python3
"""pg_bench.py URL CSV PAIRS LOADER - sluice's PostgreSQL writer against `psql \\copy`.

Loads the same CSV into two identical tables of one PostgreSQL, alternating (psql first in odd
pairs, sluice first in even ones, so that neither always meets a warm or a cold server), each
table truncated before its load. Per run: wall seconds, the client's CPU (the loader or psql) and
the server's CPU (every process of the server, WAL writer and checkpointer included, from /proc).
Prints one line per run and the medians, and the ratio of psql's median wall time to sluice's.
"""
import os
import statistics
import subprocess
import sys
import time


def server_pids(url):
    out = subprocess.run(["psql", "-qAtX", url, "-c", "SELECT setting FROM pg_settings WHERE "
                          "name = 'data_directory'"], capture_output=True, text=True,
                         check=True).stdout.strip()
    with open(os.path.join(out, "postmaster.pid")) as f:
        master = int(f.readline())
    pids = [master]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    return pids


def cpu_of(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                v = f.read().rsplit(")", 1)[1].split()
            total += int(v[11]) + int(v[12])  # utime, stime
        except OSError:
            pass
    return total / tick


def psql(url, sql):
    subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                   capture_output=True)


def server_cpu(url):
    """CPU seconds of the server so far: its live processes plus the children it reaped (a
    process that exits between two readings moves from the first sum to the second)."""
    pids = server_pids(url)
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/%d/stat" % pids[0]) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return cpu_of(pids) + (int(v[13]) + int(v[14])) / tick  # + cutime, cstime


def run_one(url, name, cmd):
    psql(url, "CHECKPOINT")  # every run starts with the same amount of dirty data: none
    time.sleep(0.2)
    s0, r0 = server_cpu(url), os.times()
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.monotonic() - t0
    time.sleep(0.2)  # the load's backend has exited: let the postmaster reap it
    s1, r1 = server_cpu(url), os.times()
    client = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    print("%-6s wall %6.2f s   client cpu %5.2f s   server cpu %5.2f s" % (name, wall, client,
                                                                           s1 - s0), flush=True)
    return wall, client, s1 - s0


def main():
    url, csv, pairs, loader = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    subprocess.run([loader, url, csv, "--create"], check=True)
    psql(url, "DROP TABLE IF EXISTS bench.lineitem_psql")
    psql(url, "CREATE TABLE bench.lineitem_psql (LIKE bench.lineitem)")
    runs = {"psql": [], "sluice": []}
    cmds = {
        "psql": ["psql", "-qAtX", url, "-c",
                 "\\copy bench.lineitem_psql FROM '%s' WITH (FORMAT csv)" % csv],
        "sluice": [loader, url, csv],
    }
    tables = {"psql": "bench.lineitem_psql", "sluice": "bench.lineitem"}
    for i in range(pairs):
        order = ["psql", "sluice"] if i % 2 == 0 else ["sluice", "psql"]
        for name in order:
            psql(url, "TRUNCATE " + tables[name])
            runs[name].append(run_one(url, name, cmds[name]))
    med = {k: [statistics.median(x[j] for x in v) for j in range(3)] for k, v in runs.items()}
    for k in ("psql", "sluice"):
        print("median %-6s wall %6.2f s   client cpu %5.2f s   server cpu %5.2f s" %
              (k, *med[k]))
    print("ratio (psql wall / sluice wall): %.2fx   (CPU total: psql %.2f s, sluice %.2f s)" %
          (med["psql"][0] / med["sluice"][0], med["psql"][1] + med["psql"][2],
           med["sluice"][1] + med["sluice"][2]))


if __name__ == "__main__":
    main()
