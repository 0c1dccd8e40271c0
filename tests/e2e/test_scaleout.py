"""Several sluice nodes on one PostgreSQL (issue 12), always on a real PostgreSQL 15 started by
the harness (tests/pg/pg.sh): the front door spreads loads over the live nodes, every node sees
the same data, users and labels, a label raced on two nodes has one winner, a precommit on one
node commits on another, and a node killed mid-load loses only that load, whose label becomes
reusable, while the others go on; the killed node rejoins on restart."""
import concurrent.futures
import json
import os
import socket
import tempfile
import time
import unittest
from urllib.parse import urlsplit

from harness import Server, basic, new_label, store_url, wait_for
from test_tsload import BASE, Client

NODE_TIMEOUT = 3  # seconds: short, so that the dead-node test stays quick


def chunked_load(port, db, table, label, first):
    """Open a chunked Stream Load on port, send a first chunk; the socket stays open."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("PUT /api/%s/%s/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
               "label: %s\r\ncolumn_separator: ,\r\nTransfer-Encoding: chunked\r\n\r\n"
               % (db, table, basic(), label)).encode())
    s.sendall(b"%x\r\n" % len(first) + first + b"\r\n")
    return s


class ScaleOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.key = tempfile.mkdtemp(prefix="sluice-e2e-cluster-")  # names the cluster's database
        cls.url = store_url(cls.key)
        extra = ["--set", "node_timeout_second=%d" % NODE_TIMEOUT]
        cls.nodes = [Server(store=cls.url, extra=extra) for _ in range(3)]
        cls.nodes[0].sql("CREATE DATABASE so")
        cls.nodes[0].sql("CREATE TABLE so.t (k INT, v INT) DUPLICATE KEY(k) "
                         "DISTRIBUTED BY HASH(k) BUCKETS 4")
        cls.nodes[0].sql("CREATE TABLE so.ts (id INT, name VARCHAR(20)) DUPLICATE KEY(id) "
                         "DISTRIBUTED BY HASH(id) BUCKETS 1")

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.close()

    def count(self, node):
        return node.rows("SELECT count(*) FROM t", "so")[0][0]

    def state(self, node, label):
        return node.request("GET", "/api/so/get_load_state?label=" + label,
                            [("Authorization", basic())]).json()["data"]

    def test_nodes_listed_on_every_node(self):
        for n in self.nodes:
            doc = n.request("GET", "/api/nodes", [("Authorization", basic())]).json()
            alive = [x for x in doc["data"] if x["alive"]]
            self.assertEqual(sorted(x["be_port"] for x in alive),
                             sorted(m.be for m in self.nodes))
            self.assertEqual(len(n.rows("SHOW BACKENDS", "so")), 3)

    def test_front_door_spreads_loads_and_every_node_sees_them(self):
        before = self.count(self.nodes[2])
        ports = set()
        for i in range(12):
            hs = [("Authorization", basic()), ("Expect", "100-continue")]
            r = self.nodes[0].request("PUT", "/api/so/t/_stream_load", hs, b"",
                                      port=self.nodes[0].fe)
            self.assertEqual(r.status, 307)
            loc = urlsplit(r.header("Location"))
            ports.add(loc.port)
            r = self.nodes[0].request("PUT", loc.path, hs + [("column_separator", ",")],
                                      b"%d,1\n" % i, port=loc.port)
            self.assertEqual(r.json()["Status"], "Success", r.text)
        self.assertGreaterEqual(len(ports), 2, ports)
        self.assertTrue(ports <= {n.be for n in self.nodes})
        for n in self.nodes:
            self.assertEqual(self.count(n), before + 12)

    def test_same_label_on_two_nodes_has_one_winner(self):
        def load(node, label):
            return node.load("so", "t", b"1,1\n2,2\n", [("column_separator", ",")], via_fe=False,
                             label=label).json()
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            for _ in range(20):
                label = new_label()
                a, b = ex.map(lambda n: load(n, label), self.nodes[:2])
                statuses = sorted([a["Status"], b["Status"]])
                self.assertEqual(statuses, ["Label Already Exists", "Success"], (a, b))
                loser = a if a["Status"] != "Success" else b
                self.assertIn(loser["ExistingJobStatus"], ("RUNNING", "FINISHED"))

    def test_precommit_on_one_node_commits_on_another(self):
        label = new_label()
        before = self.count(self.nodes[1])
        r = self.nodes[0].load("so", "t", b"7,7\n8,8\n", [("column_separator", ","),
                                                          ("two_phase_commit", "true")],
                               via_fe=False, label=label).json()
        self.assertEqual(r["Status"], "Success", r)
        self.assertEqual(self.count(self.nodes[1]), before)  # staged: invisible everywhere
        doc = self.nodes[1].request("PUT", "/api/so/_stream_load_2pc",
                                    [("Authorization", basic()), ("label", label),
                                     ("txn_operation", "commit")]).json()
        self.assertEqual(doc["status"], "Success", doc)
        self.assertEqual(self.count(self.nodes[2]), before + 2)

    def test_user_made_on_one_node_loads_on_another(self):
        name = "etl_" + new_label()[:8]
        self.nodes[0].sql("CREATE USER '%s' IDENTIFIED BY 'pw-etl'" % name)
        self.nodes[1].sql("GRANT LOAD_PRIV ON so.* TO '%s'" % name)
        r = self.nodes[2].load("so", "t", b"9,9\n", [("column_separator", ",")], user=name,
                               pw="pw-etl", via_fe=False).json()
        self.assertEqual(r["Status"], "Success", r)

    def test_a_killed_node_loses_only_its_running_load(self):
        victim, other = self.nodes[2], self.nodes[0]
        acked = new_label()
        r = victim.load("so", "t", b"100,1\n101,1\n", [("column_separator", ",")], via_fe=False,
                        label=acked).json()
        self.assertEqual(r["Status"], "Success", r)
        label = new_label()
        sock = chunked_load(victim.be, "so", "t", label,
                            b"".join(b"%d,2\n" % i for i in range(1000, 3000)))
        wait_for(lambda: self.state(other, label) == "PREPARE", what="the load running")
        base = self.count(other)
        victim.kill9()
        sock.close()
        # nothing of the running load is visible; the acknowledged one is intact
        self.assertEqual(self.state(other, acked), "VISIBLE")
        self.assertEqual(self.count(other), base)
        # the other nodes go on loading meanwhile
        r = other.load("so", "t", b"200,3\n", [("column_separator", ",")], via_fe=False).json()
        self.assertEqual(r["Status"], "Success", r)
        # once the dead node is seen dead, its label is free again, on any node
        deadline = time.time() + NODE_TIMEOUT + 15
        while True:
            r = other.load("so", "t", b"300,4\n", [("column_separator", ",")], via_fe=False,
                           label=label).json()
            if r["Status"] == "Success" or time.time() > deadline:
                break
            self.assertEqual(r["Status"], "Label Already Exists", r)
            time.sleep(0.5)
        self.assertEqual(r["Status"], "Success", r)
        self.assertEqual(self.count(other), base + 2)
        # the killed node comes back with its data directory: the same node, alive again
        victim.start()
        doc = other.request("GET", "/api/nodes", [("Authorization", basic())]).json()
        wait_for(lambda: sum(x["alive"] for x in other.request(
            "GET", "/api/nodes", [("Authorization", basic())]).json()["data"]) == 3,
            timeout=15, what="the node rejoining")
        self.assertEqual(len(doc["data"]), 3)  # no ghost of its earlier life
        self.assertEqual(self.count(victim), base + 2)

    # ---- tsload: StartLoad names the node that owns the cycle ----------------------------------
    def ts_client(self, port):
        c = Client(port)
        self.assertEqual(c.login()[0], 200)
        return c

    def test_tsload_start_names_a_node_and_the_client_loads_there(self):
        """The reference client's sequence (spec 8.1): StartLoad and input_summary on the node
        it was given, then login, upload, commit and status polls on node_address."""
        first = self.ts_client(self.nodes[0].ts)
        by_port = {n.ts: n for n in self.nodes}
        params = {"target": {"database": "so", "table": "ts"}}
        before = len(self.nodes[1].rows("SELECT id FROM ts", "so"))
        used = set()
        for i in range(9):
            st, text, _ = first.start(params)
            self.assertEqual(st, 202, text)
            doc = json.loads(text)
            addr, cycle = doc["node_address"], doc["cycle_id"]
            self.assertIn(addr["port"], by_port)
            self.assertEqual(addr["host"], "127.0.0.1")
            used.add(addr["port"])
            st, text, _ = first.call("GET", BASE + "/loads/%s/input_summary" % cycle)
            self.assertEqual(st, 200, text)
            self.assertEqual(json.loads(text)["load_params"]["target"]["table"], "ts")
            c = first if addr["port"] == self.nodes[0].ts else self.ts_client(addr["port"])
            self.assertEqual(c.upload(cycle, b"%d,n%d\n" % (i, i))[:2], (202, "Upload Complete."))
            self.assertEqual(c.commit(cycle)[0], 202)
            self.assertEqual(c.wait_done(cycle)["status"]["code"], "OK")
            if c is not first:  # the cycle lives where it was loaded, not where it started
                st, text, _ = first.upload(cycle, b"99,late\n")
                self.assertEqual(st, 400, text)
                self.assertIn("does not exist", text)
        self.assertGreaterEqual(len(used), 2, used)
        for n in self.nodes:
            self.assertEqual(len(n.rows("SELECT id FROM ts", "so")), before + 9)

    def test_tsload_client_that_stays_on_the_first_node_still_loads(self):
        """cs_tools ignores a loopback node_address and keeps using the node it asked: that
        node then takes the cycle over; the named node no longer can."""
        first = self.ts_client(self.nodes[0].ts)
        params = {"target": {"database": "so", "table": "ts"}}
        for _ in range(12):  # until a cycle is proposed to another node
            st, text, _ = first.start(params)
            self.assertEqual(st, 202, text)
            doc = json.loads(text)
            if doc["node_address"]["port"] != self.nodes[0].ts:
                break
        else:
            self.fail("no cycle was proposed to another node")
        cycle = doc["cycle_id"]
        self.assertEqual(first.upload(cycle, b"500,stay\n")[:2], (202, "Upload Complete."))
        self.assertEqual(first.commit(cycle)[0], 202)
        self.assertEqual(first.wait_done(cycle)["status"]["code"], "OK")
        other = self.ts_client(doc["node_address"]["port"])
        st, text, _ = other.upload(cycle, b"501,late\n")
        self.assertEqual(st, 400, text)
        self.assertEqual(self.nodes[2].rows("SELECT name FROM ts WHERE id = 500", "so"),
                         [["stay"]])


if __name__ == "__main__":
    unittest.main()
