"""The crash campaign (issue 17): kill -9 at seeded random moments while loads run, then restart
and check every promise sluice makes about a crash.

Each round starts one scenario's loads (several at once, into one table, each load with its own
`lid` and rows seq 0..n-1), kills the server after a random delay, restarts it and checks:
  - the server starts (and, on the embedded store, no unregistered segment file is left and no
    transaction is left in PREPARE);
  - no load is partly visible: a load's rows are all there (n rows, n distinct seq) or none;
  - every acknowledged load is complete (a Stream Load's "Success", a 2PC commit's "Success",
    a tsload cycle seen DONE, a Yamcs writeRows reply) and its label VISIBLE;
  - the label agrees with the rows: VISIBLE <=> all rows, PRECOMMITTED => none visible (and the
    commit after the restart makes them all visible), ABORTED/UNKNOWN => none and the label is
    reusable (the same load again with that label succeeds); a load that committed but whose
    reply was lost keeps its label (a new load with it gets "Label Already Exists");
  - every load of every earlier round still has the rows it had (nothing lost later, e.g. by a
    compaction cut short).
Scenarios, in turn: mid-body (chunked bodies sent slowly), during commit (whole bodies, short
delays), between 2PC precommit and commit, during compaction (many small loads), during a
tsload commit, during a Yamcs writeRows stream; each with other loads running at the same time.

SLUICE_CRASH_KILLS (default 30 per store: with the suite running on both stores, 60 in all)
sets the number of kills, SLUICE_CRASH_SEED the seed (printed; random by default). `make soak`
runs 1000. The figures (kills, loads, inconsistencies) are printed on stderr.
"""
import http.client
import json
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time
import unittest
import urllib.parse

from harness import STORE, Server, basic, catalog_sql

KILLS = int(os.environ.get("SLUICE_CRASH_KILLS", "30"))
SEED = int(os.environ.get("SLUICE_CRASH_SEED") or random.randrange(1 << 31))
SCENARIOS = ("mid_body", "commit", "2pc", "compaction", "tsload", "yamcs")
TS_BASE = "/ts_dataservice/v1/public"


def rows_csv(lid, n):
    return b"".join(b"%d,%d,L%d-%d\n" % (lid, i, lid, i) for i in range(n))


def read_http_reply(s, timeout=30):
    """(status, body) of one HTTP reply on socket s, skipping 100 Continue; None if the
    connection ends first (the server was killed)."""
    s.settimeout(timeout)
    buf = b""
    while True:
        try:
            c = s.recv(65536)
        except OSError:
            return None
        if not c:
            return None
        buf += c
        while True:
            head, sep, body = buf.partition(b"\r\n\r\n")
            if not sep:
                break
            status = int(head.split(b" ", 2)[1])
            if status == 100:
                buf = body
                continue
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            if len(body) >= n:
                return status, body[:n]
            break


# ---- Yamcs rows, protobuf by hand (Row{columns, cells}, varint-delimited) ---------------------
def _varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _ld(field, data):
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _colinfo(cid, name, typ):
    return _ld(1, _varint(1 << 3) + _varint(cid) + _ld(2, name.encode()) + _ld(3, typ.encode()))


def _cell(cid, data):
    return _ld(2, _varint(1 << 3) + _varint(cid) + _ld(2, data))


def yamcs_rows(lid, n):
    out = []
    for i in range(n):
        info = (_colinfo(1, "lid", "INT") + _colinfo(2, "seq", "INT") +
                _colinfo(3, "v", "STRING")) if i == 0 else b""
        v = b"L%d-%d" % (lid, i)
        row = info + _cell(1, struct.pack("!i", lid)) + _cell(2, struct.pack("!i", i)) + \
            _cell(3, struct.pack("!H", len(v)) + v)
        out.append(_varint(len(row)) + row)
    return b"".join(out)


class TsClient:
    """The tsload calls the campaign needs, over HTTPS, keeping the session cookie."""

    def __init__(self, port):
        self.port, self.cookie = port, None
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    def call(self, method, path, body=b"", headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
        try:
            hs = dict(headers or {})
            if self.cookie:
                hs["Cookie"] = self.cookie
            conn.request(method, path, body=body, headers=hs)
            r = conn.getresponse()
            data = r.read()
            sc = r.getheader("Set-Cookie")
            if sc and sc.startswith("JSESSIONID="):
                self.cookie = sc.split(";")[0]
            return r.status, data.decode("utf-8", "replace")
        finally:
            conn.close()

    def login(self):
        body = urllib.parse.urlencode({"username": "root", "password": ""}).encode()
        return self.call("POST", TS_BASE + "/session", body,
                         {"Content-Type": "application/x-www-form-urlencoded"})

    def status(self, cycle):
        st, text = self.call("GET", TS_BASE + "/loads/" + cycle)
        return json.loads(text) if st == 200 else None


class Load:
    """One load of the campaign: what was sent, what the client saw, what must hold."""

    def __init__(self, kind, lid, n, label=None):
        self.kind, self.lid, self.n, self.label = kind, lid, n, label
        self.acked = False       # the client saw the load succeed
        self.precommitted = False
        self.commit_acked = False
        self.cycle = None        # tsload
        self.expect = None       # rows it must keep from now on, once resolved after a restart


class CrashCampaignTest(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(SEED)
        self.s = Server()
        self.s.sql("CREATE DATABASE d")
        self.s.sql("CREATE TABLE t (lid INT, seq INT, v VARCHAR(40)) DUPLICATE KEY(lid) "
                   "DISTRIBUTED BY HASH(lid) BUCKETS 1", "d")
        r = self.s.request("POST", "/api/archive/d:executeSql",
                           [("Authorization", basic()), ("Content-Type", "application/json")],
                           json.dumps({"statement": "create table y(lid INT, seq INT, v STRING, "
                                                    "primary key(lid, seq))"}).encode(),
                           port=self.s.be)
        self.assertEqual(r.status, 200, r.text)
        self.next_lid = 1
        self.loads = []
        self.bad = []
        self.kills = 0
        self.retired = 0
        self.kinds = {}
        self.outcomes = {}  # how the loads of each round stood after the restart

    def tearDown(self):
        self.s.close()

    # ---- the loads ----------------------------------------------------------------------
    def new_load(self, kind, n, label=True):
        ld = Load(kind, self.next_lid, n, "crash-%d-%d" % (SEED, self.next_lid) if label else None)
        self.next_lid += 1
        self.loads.append(ld)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        return ld

    def doris_chunked(self, ld, pieces, pause):
        """A Stream Load with a chunked body sent in pieces, pause seconds apart."""
        try:
            s = socket.create_connection(("127.0.0.1", self.s.be), timeout=30)
        except OSError:
            return
        try:
            head = ["PUT /api/d/t/_stream_load HTTP/1.1", "Host: 127.0.0.1",
                    "Authorization: " + basic(), "label: " + ld.label, "column_separator: ,",
                    "Transfer-Encoding: chunked"]
            s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            body = rows_csv(ld.lid, ld.n)
            step = max(1, len(body) // pieces)
            for i in range(0, len(body), step):
                c = body[i:i + step]
                s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
                time.sleep(pause)
            s.sendall(b"0\r\n\r\n")
            rep = read_http_reply(s)
            if rep and rep[0] == 200 and json.loads(rep[1])["Status"] == "Success":
                ld.acked = True
        except OSError:
            pass
        finally:
            s.close()

    def doris_whole(self, ld, two_phase=False):
        hs = [("Authorization", basic()), ("label", ld.label), ("column_separator", ",")]
        if two_phase:
            hs.append(("two_phase_commit", "true"))
        try:
            r = self.s.request("PUT", "/api/d/t/_stream_load", hs, rows_csv(ld.lid, ld.n),
                               port=self.s.be, timeout=30)
            doc = r.json()
        except (OSError, http.client.HTTPException, ValueError):
            return
        if doc.get("Status") == "Success":
            if two_phase:
                ld.precommitted = True
            else:
                ld.acked = True

    def commit_2pc(self, ld):
        try:
            doc = self.s.request("PUT", "/api/d/t/_stream_load_2pc",
                                 [("Authorization", basic()), ("label", ld.label),
                                  ("txn_operation", "commit")], b"", timeout=30).json()
        except (OSError, http.client.HTTPException, ValueError):
            return
        if doc.get("status") == "Success":
            ld.commit_acked = ld.acked = True

    def tsload(self, ld, client):
        try:
            st, text = client.call("POST", TS_BASE + "/loads", json.dumps(
                {"target": {"database": "d", "table": "t"}}).encode())
            if st != 202:
                return
            ld.cycle = json.loads(text)["cycle_id"]
            b = b"b0undary7e3c"
            body = (b"--" + b + b"\r\nContent-Disposition: form-data; name=\"documents\"; "
                    b"filename=\"f\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
                    rows_csv(ld.lid, ld.n) + b"\r\n--" + b + b"--\r\n")
            st, _ = client.call("POST", TS_BASE + "/loads/" + ld.cycle, body,
                                {"Content-Type": "multipart/form-data; boundary=" + b.decode()})
            if st != 202:
                return
            st, _ = client.call("POST", TS_BASE + "/loads/%s/commit" % ld.cycle)
            if st != 202:
                return
            for _ in range(400):
                s = client.status(ld.cycle)
                if s and s["internal_stage"] == "DONE":
                    ld.acked = True
                    return
                if s is None or ("code" in s["status"] and s["status"]["code"] != "OK"):
                    return
                time.sleep(0.01)
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            pass

    def yamcs(self, ld, pieces, pause):
        try:
            s = socket.create_connection(("127.0.0.1", self.s.be), timeout=30)
        except OSError:
            return
        try:
            head = ("POST /api/archive/d/tables/y:writeRows HTTP/1.1\r\nHost: x\r\n"
                    "Authorization: %s\r\nContent-Type: application/protobuf\r\n"
                    "Accept: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" % basic())
            s.sendall(head.encode())
            body = yamcs_rows(ld.lid, ld.n)
            step = max(1, len(body) // pieces)
            for i in range(0, len(body), step):
                c = body[i:i + step]
                s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
                time.sleep(pause)
            s.sendall(b"0\r\n\r\n")
            rep = read_http_reply(s)
            if rep and rep[0] == 200 and json.loads(rep[1]) == {"count": ld.n}:
                ld.acked = True
        except OSError:
            pass
        finally:
            s.close()

    # ---- one round ----------------------------------------------------------------------
    def side_load(self, jobs):
        """Another Stream Load running at the same time (several loads into one table)."""
        ld = self.new_load("doris", self.rng.randint(500, 3000))
        jobs.append((self.doris_chunked, (ld, self.rng.randint(3, 10), 0.01)))

    def start_round(self, scen):
        """The scenario's jobs and the window (seconds) the kill is drawn from."""
        rng, jobs = self.rng, []
        if scen == "mid_body":
            for _ in range(3):
                ld = self.new_load("doris", rng.randint(2000, 6000))
                jobs.append((self.doris_chunked, (ld, rng.randint(10, 30), 0.008)))
            window = 0.25
        elif scen == "commit":
            for _ in range(3):
                ld = self.new_load("doris", rng.randint(1000, 8000))
                jobs.append((self.doris_whole, (ld,)))
            window = 0.08
        elif scen == "2pc":
            for _ in range(rng.randint(1, 3)):
                ld = self.new_load("2pc", rng.randint(200, 3000))
                self.doris_whole(ld, two_phase=True)
                if not ld.precommitted:
                    self.bad.append("2PC precommit of %s failed with the server up" % ld.label)
                jobs.append((self.commit_2pc, (ld,)))
            # one precommit in flight too
            ld = self.new_load("2pc", rng.randint(200, 3000))
            jobs.append((self.doris_whole, (ld, True)))
            self.side_load(jobs)
            window = 0.05
        elif scen == "compaction":
            # enough small segments for the background compaction to run (more than 6)
            for _ in range(rng.randint(7, 10)):
                ld = self.new_load("doris", rng.randint(5, 50))
                self.doris_whole(ld)
                if not ld.acked:
                    self.bad.append("small load %s failed with the server up" % ld.label)
            self.side_load(jobs)
            window = 0.05
        elif scen == "tsload":
            for _ in range(2):
                c = TsClient(self.s.ts)
                st, _ = c.login()
                self.assertEqual(st, 200)
                ld = self.new_load("tsload", rng.randint(500, 4000), label=False)
                jobs.append((self.tsload, (ld, c)))
            self.side_load(jobs)
            window = 0.2
        else:
            for _ in range(2):
                ld = self.new_load("yamcs", rng.randint(500, 3000), label=False)
                jobs.append((self.yamcs, (ld, rng.randint(5, 20), 0.01)))
            self.side_load(jobs)
            window = 0.2
        return jobs, window

    def one_round(self, k):
        scen = SCENARIOS[k % len(SCENARIOS)]
        first = len(self.loads)
        jobs, window = self.start_round(scen)
        delay = self.rng.uniform(0, window)
        threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in jobs]
        for t in threads:
            t.start()
        time.sleep(delay)
        self.s.kill9()
        self.kills += 1
        for t in threads:
            t.join(60)
        try:
            self.s.start()
        except RuntimeError as e:
            self.bad.append("round %d (%s): server did not start after kill -9: %s" % (k, scen, e))
            raise
        self.check_clean(k, scen)
        self.check_rows(k, scen, self.loads[first:])

    # ---- the checks ---------------------------------------------------------------------
    def state(self, label):
        return self.s.request("GET", "/api/d/get_load_state?label=" + label,
                              [("Authorization", basic())]).json()["data"]

    def counts(self):
        out = {}
        for tbl in ("t", "y"):
            for lid, cnt, dist in self.s.rows(
                    "select lid, count(*), count(distinct seq) from %s group by lid" % tbl, "d"):
                out[lid] = (cnt, dist)
        return out

    def check_clean(self, k, scen):
        if catalog_sql(self.s.data_dir, "select count(*) from txns where state = 1") not in \
                (0, "0"):
            self.bad.append("round %d (%s): PREPARE transactions left after restart" % (k, scen))
        if STORE != "sqlite":
            return
        seg = os.path.join(self.s.data_dir, "segments")
        for d, _, files in os.walk(seg):
            for f in files:
                if not f.endswith(".db"):
                    continue
                n = catalog_sql(self.s.data_dir, "select count(*) from segments where "
                                "table_id = ? and file = ?", int(os.path.basename(d)), f)
                if n in (0, "0"):
                    self.bad.append("round %d (%s): unregistered segment file %s left" %
                                    (k, scen, f))

    def resolve(self, ld, cnt, where):
        """Check one load of this round after the restart; returns the rows it keeps."""
        if ld.kind == "yamcs":
            if ld.acked and cnt != ld.n:
                self.bad.append("%s: acknowledged Yamcs load %d has %d of %d rows" %
                                (where, ld.lid, cnt, ld.n))
            return cnt
        if ld.kind == "tsload":
            st = TsClient(self.s.ts)
            st.login()
            s = st.status(ld.cycle) if ld.cycle else None
            done = s is not None and s["internal_stage"] == "DONE"
            if ld.cycle and (done != (cnt == ld.n) or (ld.acked and not done)):
                self.bad.append("%s: tsload cycle %s: acked %s, status %s, %d of %d rows" %
                                (where, ld.cycle, ld.acked, s, cnt, ld.n))
            return cnt
        state = self.state(ld.label)
        if (state == "VISIBLE") != (cnt == ld.n) or (ld.acked and state != "VISIBLE") or \
                state not in ("VISIBLE", "PRECOMMITTED", "ABORTED", "UNKNOWN") or \
                (state == "PRECOMMITTED" and not ld.kind == "2pc") or \
                (ld.precommitted and state in ("ABORTED", "UNKNOWN")):
            self.bad.append("%s: load %s (%s, acked %s): state %s with %d of %d rows" %
                            (where, ld.label, ld.kind, ld.acked, state, cnt, ld.n))
            return cnt
        if state == "PRECOMMITTED":  # the second phase after the restart
            self.note("precommitted across the kill")
            self.commit_2pc(ld)
            if not ld.commit_acked:
                self.bad.append("%s: 2PC commit of %s after restart failed" % (where, ld.label))
            return ld.n if ld.commit_acked else cnt
        if state == "VISIBLE":
            if not ld.acked:  # committed, reply lost: the label stays taken
                doc = self.s.load("d", "t", b"", [("column_separator", ",")],
                                  label=ld.label, via_fe=False).json()
                if doc.get("Status") != "Label Already Exists":
                    self.bad.append("%s: label %s of a committed load reusable: %s" %
                                    (where, ld.label, doc))
            return cnt
        # nothing visible: the label is free again, the same load loads
        self.note("label reused")
        ld.acked = False
        self.doris_whole(ld)
        if not ld.acked:
            self.bad.append("%s: label %s (%s) not reusable after the restart" %
                            (where, ld.label, state))
            return cnt
        return ld.n

    def note(self, what):
        self.outcomes[what] = self.outcomes.get(what, 0) + 1

    def check_rows(self, k, scen, fresh):
        where = "round %d (%s)" % (k, scen)
        counts = self.counts()
        for ld in self.loads:
            cnt, dist = counts.get(ld.lid, (0, 0))
            if cnt not in (0, ld.n) or dist != cnt:
                self.bad.append("%s: load %d (%s) partly visible: %d rows (%d distinct) of %d" %
                                (where, ld.lid, ld.kind, cnt, dist, ld.n))
            elif ld.expect is not None and cnt != ld.expect:
                self.bad.append("%s: load %d (%s) had %d rows, now %d" %
                                (where, ld.lid, ld.kind, ld.expect, cnt))
        for ld in fresh:
            cnt = counts.get(ld.lid, (0, 0))[0]
            self.note("acknowledged" if ld.acked else
                      "unacknowledged, visible" if cnt else "unacknowledged, nothing")
            ld.expect = self.resolve(ld, cnt, where)
        after = self.counts()
        for ld in fresh:
            if after.get(ld.lid, (0, 0))[0] != ld.expect:
                self.bad.append("%s: load %d (%s) expected %d rows after the checks, has %s" %
                                (where, ld.lid, ld.kind, ld.expect, after.get(ld.lid)))
                ld.expect = after.get(ld.lid, (0, 0))[0]

    def test_kill9_campaign(self):
        t0 = time.time()
        for k in range(KILLS):
            self.one_round(k)
            if KILLS > 100 and k % 100 == 99:  # a soak shows how far it got
                sys.stderr.write("crash campaign [%s]: %d kills, %d inconsistencies, %.0f s\n"
                                 % (STORE, k + 1, len(self.bad), time.time() - t0))
            if k % 50 == 49:  # a long soak starts over on empty tables now and then
                self.s.sql("TRUNCATE TABLE t", "d")
                self.s.sql("TRUNCATE TABLE y", "d")
                self.retired += len(self.loads)
                self.loads = []
            if len(self.bad) > 20:
                break
        acked = self.outcomes.get("acknowledged", 0)
        sys.stderr.write("\ncrash campaign [%s]: seed %d, kills %d, loads %d (%s), "
                         "acknowledged %d, inconsistencies %d, %.1f s\n  outcomes: %s\n" %
                         (STORE, SEED, self.kills, self.retired + len(self.loads),
                          ", ".join("%s %d" % kv for kv in sorted(self.kinds.items())), acked,
                          len(self.bad), time.time() - t0,
                          ", ".join("%s %d" % kv for kv in sorted(self.outcomes.items()))))
        for b in self.bad:
            sys.stderr.write("  " + b + "\n")
        self.assertEqual(self.bad, [], "seed %d (SLUICE_CRASH_SEED=%d reruns it)" % (SEED, SEED))
        self.assertEqual(self.kills, KILLS)


if __name__ == "__main__":
    unittest.main()
