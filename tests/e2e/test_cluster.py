"""The cluster as a client sees it: the node list (GET /api/nodes) and where the FE sends a
load. Several nodes need a shared PostgreSQL engine: those tests are in test_scaleout.py."""
import unittest

from harness import Server, basic


class NodesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_node_list(self):
        r = self.s.request("GET", "/api/nodes", [("Authorization", basic())], port=self.s.fe)
        doc = r.json()
        self.assertEqual((doc["code"], doc["msg"]), (0, "success"))
        nodes = doc["data"]
        self.assertEqual(len(nodes), 1)
        me = nodes[0]
        self.assertTrue(me["self"] and me["alive"])
        self.assertEqual((me["fe_port"], me["be_port"]), (self.s.fe, self.s.be))
        self.assertEqual(me["running_loads"], 0)

    def test_node_list_needs_credentials(self):
        r = self.s.request("GET", "/api/nodes", [], port=self.s.fe)
        self.assertEqual(r.json()["code"], 401)
        r = self.s.request("GET", "/api/nodes", [("Authorization", basic("root", "wrong"))],
                           port=self.s.fe)
        self.assertEqual(r.json()["code"], 401)

    def test_redirect_goes_to_the_live_node(self):
        hs = [("Authorization", basic()), ("Expect", "100-continue")]
        r = self.s.request("PUT", "/api/d/t/_stream_load", hs, b"", port=self.s.fe)
        self.assertEqual(r.status, 307)
        self.assertIn(":%d/api/d/t/_stream_load" % self.s.be, r.header("Location"))


if __name__ == "__main__":
    unittest.main()
