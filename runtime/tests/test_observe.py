import unittest

from helpers import IS_ROOT, TestNamespace, load
import netlab_ns

observe = load("netlab-observe")


@unittest.skipUnless(IS_ROOT, "needs root to make a namespace")
class Observe(unittest.TestCase):
    """What the observer reads must be what `ip` shows."""

    def setUp(self):
        self.netns = TestNamespace("node.n1")
        self.addCleanup(self.netns.remove)
        n = self.netns
        n.ip("link", "add", "br0", "address", "02:00:00:00:00:aa", "type", "bridge")
        n.ip("link", "add", "v1", "type", "veth", "peer", "name", "v2")
        n.ip("link", "set", "v2", "addrgenmode", "none")
        n.ip("link", "set", "v1", "master", "br0")
        n.ip("link", "set", "v1", "type", "bridge_slave", "hairpin", "on")
        n.ip("link", "set", "br0", "mtu", "1400")
        n.ip("link", "add", "vx0", "type", "vxlan", "id", "7", "local", "10.0.0.1", "dstport", "8472", "nolearning")
        n.ip("addr", "add", "10.244.0.1/24", "dev", "br0")
        n.ip("link", "set", "br0", "up")
        n.ip("link", "set", "vx0", "up")
        n.ip("route", "add", "10.244.9.0/24", "via", "10.244.9.0", "dev", "vx0", "onlink")
        n.ip("neigh", "replace", "10.244.9.0", "lladdr", "02:00:00:00:00:09", "dev", "vx0", "nud", "permanent")
        subprocess_bridge = ["bridge", "-n", n.name, "fdb", "replace", "02:00:00:00:00:09", "dev", "vx0", "dst", "10.0.0.9", "self", "permanent"]
        __import__("subprocess").run(subprocess_bridge, check=True)

    def read(self):
        ns = netlab_ns.Namespaces()
        with ns.inside(self.netns.name):
            nl = netlab_ns.Netlink()
            try:
                return observe.observe(nl, ["net.ipv4.ip_forward", "net.ipv4.conf.nope.arp_notify"])
            finally:
                nl.close()

    def test_links(self):
        links = {l["name"]: l for l in self.read()["links"]}
        self.assertEqual(links["br0"]["kind"], "bridge")
        self.assertEqual(links["br0"]["mac"], "02:00:00:00:00:aa")
        self.assertEqual(links["br0"]["mtu"], 1400)
        self.assertTrue(links["br0"]["up"])
        self.assertEqual(links["v1"]["master"], "br0")
        self.assertTrue(links["v1"]["hairpin"])
        self.assertEqual(links["v1"]["peerIndex"], links["v2"]["index"])
        self.assertEqual(links["vx0"]["vxlan"], {"id": 7, "local": "10.0.0.1", "port": 8472})
        self.assertEqual((links["v1"]["addrGenMode"], links["v2"]["addrGenMode"]), ("eui64", "none"))

    def test_addresses_routes_neighbours_fdb_sysctls(self):
        state = self.read()
        self.assertIn({"dev": "br0", "address": "10.244.0.1/24"}, state["addresses"])
        self.assertIn({"dst": "10.244.9.0/24", "via": "10.244.9.0", "dev": "vx0", "onlink": True}, state["routes"])
        self.assertIn({"dev": "vx0", "address": "10.244.9.0", "lladdr": "02:00:00:00:00:09", "permanent": True}, state["neighbours"])
        self.assertIn({"dev": "vx0", "mac": "02:00:00:00:00:09", "dst": "10.0.0.9"}, state["fdb"])
        self.assertEqual(state["sysctls"], {"net.ipv4.ip_forward": "0", "net.ipv4.conf.nope.arp_notify": None})

    def test_what_else_decides_a_packet_arp_route_types_and_tables_qdiscs(self):
        n = self.netns
        n.ip("link", "set", "v2", "arp", "off")
        n.ip("route", "add", "blackhole", "10.244.7.0/24")
        n.ip("route", "add", "blackhole", "10.244.8.0/26", "proto", "80")
        n.ip("route", "add", "blackhole", "10.244.8.64/26", "proto", "bird")
        n.ip("route", "add", "10.9.0.0/16", "dev", "br0", "table", "100")
        __import__("subprocess").run(["ip", "netns", "exec", n.name, "tc", "qdisc", "add", "dev", "v1", "root", "tbf", "rate", "1kbit", "burst", "1600", "latency", "1ms"], check=True)
        state = self.read()
        links = {l["name"]: l for l in state["links"]}
        self.assertEqual((links["v1"]["arp"], links["v2"]["arp"]), (True, False))
        self.assertIn({"dst": "10.244.7.0/24", "onlink": False, "type": "blackhole"}, state["routes"])
        # Whose a route is, when neither boot's (ip, netlab) nor the kernel's: felix's 80, BIRD's 12.
        self.assertIn({"dst": "10.244.8.0/26", "onlink": False, "type": "blackhole", "protocol": 80}, state["routes"])
        self.assertIn({"dst": "10.244.8.64/26", "onlink": False, "type": "blackhole", "protocol": 12}, state["routes"])
        self.assertIn({"dst": "10.9.0.0/16", "onlink": False, "table": 100, "dev": "br0"}, state["routes"])
        self.assertIn({"dst": "10.244.0.0/24", "onlink": False, "kernel": True, "dev": "br0"}, state["routes"])
        # The kernel reports its own defaults too (noqueue on a link that is up): netlab judges those, not the helper.
        self.assertIn({"dev": "v1", "kind": "tbf"}, state["qdiscs"])
        self.assertIn({"dev": "br0", "kind": "noqueue"}, state["qdiscs"])


if __name__ == "__main__":
    unittest.main()
