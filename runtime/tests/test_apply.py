import json
import os
import subprocess
import unittest

from helpers import IS_ROOT, RUNTIME, TestNamespace
import netlab_ns


def apply(ops):
    """Runs the apply helper as netlab does: one request on stdin."""
    request = json.dumps({"protocol": netlab_ns.PROTOCOL, "ops": ops})
    return subprocess.run(["python3", os.path.join(RUNTIME, "netlab-apply.py")], input=request, text=True, capture_output=True)


@unittest.skipUnless(IS_ROOT, "needs root to make a namespace")
class Apply(unittest.TestCase):
    """What the helper makes must be what `ip` would have made for the same op."""

    def setUp(self):
        self.netns = TestNamespace("pod.a")
        self.addCleanup(self.netns.remove)
        self.netns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "peer0")

    def addresses(self):
        out = subprocess.run(["ip", "-n", self.netns.name, "-j", "-4", "addr", "show", "dev", "eth0"], check=True, capture_output=True, text=True).stdout
        return json.loads(out)[0]["addr_info"]

    def test_an_address_gets_its_broadcast_only_when_asked(self):
        r = apply(
            [
                {"netns": self.netns.name, "kind": "addr.add", "dev": "eth0", "address": "10.244.0.2/24", "broadcast": "10.244.0.255"},
                {"netns": self.netns.name, "kind": "addr.add", "dev": "eth0", "address": "10.245.0.2/24"},
            ]
        )
        self.assertEqual(r.returncode, 0, r.stderr)
        by_address = {a["local"]: a for a in self.addresses()}
        self.assertEqual(by_address["10.244.0.2"].get("broadcast"), "10.244.0.255")
        self.assertNotIn("broadcast", by_address["10.245.0.2"])

    def test_a_route_without_a_gateway_is_on_the_link(self):
        n = self.netns.name
        r = apply(
            [
                {"netns": n, "kind": "link.up", "name": "eth0"},
                {"netns": n, "kind": "route.add", "verb": "add", "dst": "169.254.1.1/32", "dev": "eth0"},
                {"netns": n, "kind": "route.add", "verb": "add", "dst": "default", "via": "169.254.1.1", "dev": "eth0"},
            ]
        )
        self.assertEqual(r.returncode, 0, r.stderr)
        routes = json.loads(subprocess.run(["ip", "-n", n, "-j", "route", "show"], check=True, capture_output=True, text=True).stdout)
        self.assertIn({"dst": "169.254.1.1", "dev": "eth0", "scope": "link", "flags": ["linkdown"]}, routes)
        self.assertTrue(any(x["dst"] == "default" and x.get("gateway") == "169.254.1.1" for x in routes))

    def test_sysctls_by_netlink_and_by_proc_land_in_the_namespace(self):
        n = self.netns.name
        keys = {"net.ipv4.conf.eth0.arp_notify": "1", "net.ipv4.conf.eth0.proxy_arp": "1", "net.ipv6.conf.eth0.accept_dad": "0", "net.ipv4.ip_forward": "1"}
        r = apply([{"netns": n, "kind": "sysctl.set", "key": k, "value": v} for k, v in keys.items()])
        self.assertEqual(r.returncode, 0, r.stderr)
        for key, value in keys.items():
            got = subprocess.run(["ip", "netns", "exec", n, "sysctl", "-n", key], check=True, capture_output=True, text=True).stdout.strip()
            self.assertEqual(got, value, key)

    def test_bridge_ports_neighbours_and_fdb_entries_are_what_ip_and_bridge_make(self):
        n = self.netns.name
        self.netns.ip("link", "add", "br0", "type", "bridge")
        self.netns.ip("link", "add", "vx0", "type", "vxlan", "id", "1", "local", "10.0.0.1", "dstport", "8472", "nolearning")
        r = apply(
            [
                {"netns": n, "kind": "link.master", "name": "peer0", "master": "br0"},
                {"netns": n, "kind": "link.hairpin", "name": "peer0"},
                {"netns": n, "kind": "neigh.replace", "address": "10.244.1.0", "lladdr": "02:00:00:00:01:00", "dev": "vx0"},
                {"netns": n, "kind": "fdb.replace", "mac": "02:00:00:00:01:00", "dev": "vx0", "dst": "10.0.0.2"},
                # replace, twice: the second finds the entries there and keeps them
                {"netns": n, "kind": "neigh.replace", "address": "10.244.1.0", "lladdr": "02:00:00:00:01:00", "dev": "vx0"},
                {"netns": n, "kind": "fdb.replace", "mac": "02:00:00:00:01:00", "dev": "vx0", "dst": "10.0.0.2"},
            ]
        )
        self.assertEqual(r.returncode, 0, r.stderr)
        show = lambda *args, tool="ip": json.loads(subprocess.run([tool, "-n", n, "-j", *args], check=True, capture_output=True, text=True).stdout)
        port = show("-d", "link", "show", "dev", "peer0")[0]
        self.assertEqual(port["master"], "br0")
        self.assertTrue(port["linkinfo"]["info_slave_data"]["hairpin"])
        self.assertEqual(show("neigh", "show", "dev", "vx0"), [{"dst": "10.244.1.0", "lladdr": "02:00:00:00:01:00", "state": ["PERMANENT"]}])
        fdb = [e for e in show("fdb", "show", "dev", "vx0", tool="bridge") if e["mac"] == "02:00:00:00:01:00"]
        self.assertEqual([(e.get("dst"), e["flags"], e["state"]) for e in fdb], [("10.0.0.2", ["self"], "permanent")])

    def test_a_veth_pair_is_what_ip_link_add_makes(self):
        pod = TestNamespace("pod.b")
        self.addCleanup(pod.remove)
        op = {"netns": self.netns.name, "kind": "link.add.veth", "name": "veth1", "mac": "02:00:00:00:00:01", "mtu": 1450, "txqueuelen": 0}
        r = apply([{**op, "peer": {"netns": pod.name, "name": "eth0", "mac": "02:00:00:00:00:02"}}])
        self.assertEqual(r.returncode, 0, r.stderr)
        show = lambda ns, dev: json.loads(subprocess.run(["ip", "-n", ns, "-j", "-d", "link", "show", "dev", dev], check=True, capture_output=True, text=True).stdout)[0]
        host, peer = show(self.netns.name, "veth1"), show(pod.name, "eth0")
        self.assertEqual((host["address"], host["mtu"], host.get("txqlen", 0), host["linkinfo"]["info_kind"]), ("02:00:00:00:00:01", 1450, 0, "veth"))
        self.assertEqual((peer["address"], peer["mtu"], peer.get("txqlen", 0), peer["linkinfo"]["info_kind"]), ("02:00:00:00:00:02", 1450, 0, "veth"))
        again = apply([{**op, "peer": {"netns": pod.name, "name": "eth1", "mac": "02:00:00:00:00:03"}}])
        self.assertEqual(again.returncode, 1)
        self.assertRegex(again.stderr, r"^error: 0: File exists")

    def test_a_sysctl_of_a_missing_interface_names_the_op(self):
        r = apply([{"netns": self.netns.name, "kind": "sysctl.set", "key": "net.ipv4.conf.nope0.arp_notify", "value": "1"}])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^error: 0: ")


if __name__ == "__main__":
    unittest.main()
