"""The helpers' side of runtime/protocol.json: what they accept and what they answer is what it describes."""
import json
import os
import subprocess
import sys
import unittest

from helpers import IS_ROOT, RUNTIME, TestNamespace
import netlab_ns
from shapes import PROTOCOL, shape_problems, unknown_keywords


class TheDescription(unittest.TestCase):
    def test_its_version_is_the_one_the_helpers_speak(self):
        self.assertEqual(netlab_ns.PROTOCOL, PROTOCOL["version"])
        netlab_ns.check_protocol({"protocol": PROTOCOL["version"]})

    def test_it_uses_only_keywords_the_checker_knows(self):
        self.assertEqual(unknown_keywords(), [])

    def test_the_checker_sees_a_keyword_it_does_not_know(self):
        self.assertEqual(unknown_keywords({"type": "object", "properties": {"a": {"format": "ipv4"}}}), ["#/properties/a/format"])


class TheChecker(unittest.TestCase):
    """The checker must fail what does not fit, or the helpers' tests below prove nothing."""

    def test_a_request_of_another_version_or_shape_does_not_fit(self):
        self.assertEqual(shape_problems("observe.request", {"protocol": 1, "namespaces": [{"netns": "x", "sysctls": []}]}), [])
        self.assertNotEqual(shape_problems("observe.request", {"protocol": 2, "namespaces": []}), [])
        self.assertNotEqual(shape_problems("observe.request", {"protocol": 1, "namespaces": [{"netns": "x"}]}), [])
        self.assertNotEqual(shape_problems("observe.request", {"protocol": 1, "namespaces": [], "extra": 1}), [])
        self.assertNotEqual(shape_problems("observe.request", {"protocol": True, "namespaces": []}), [])

    def test_one_of_means_exactly_one(self):
        good = {"id": 1, "kind": "tcp", "netns": "a", "dst": "10.0.0.1", "port": 80, "timeout": 1}
        self.assertEqual(shape_problems("probe.probe", good), [])
        self.assertNotEqual(shape_problems("probe.probe", {**good, "port": 0}), [])
        self.assertNotEqual(shape_problems("probe.probe", {**good, "kind": "sctp"}), [])

    def test_references_and_patterns(self):
        self.assertEqual(shape_problems("observe.reply", {"netlab.x.pod.a": None}), [])
        self.assertNotEqual(shape_problems("observe.reply", {"netlab.x.pod.a": {"links": []}}), [])
        self.assertNotEqual(shape_problems("watch.reply", {"protocol": 1, "pid": 1, "watched": "abc", "lost": False, "changed": []}), [])


class WhatTheHelpersAccept(unittest.TestCase):
    """The requests the helpers' docstrings and tests send are the described ones."""

    def test_the_probe_header_and_a_round(self):
        self.assertEqual(shape_problems("probe.header", {"protocol": 1}), [])
        self.assertEqual(shape_problems("probe.header", {"protocol": 1, "parallel": 256}), [])
        ping = {"id": 0, "kind": "icmp", "netns": "a", "dst": "10.9.0.2", "count": 1, "timeout": 3}
        self.assertEqual(shape_problems("probe.round", {"probes": [ping], "forget": ["a"]}), [])

    def test_a_canon_request(self):
        request = {"protocol": 1, "rulesets": [{"kind": "nft", "table": "ip t", "ruleset": "table ip t {}"}, {"kind": "iptables", "ruleset": "*nat\nCOMMIT\n"}]}
        self.assertEqual(shape_problems("canon.request", request), [])


@unittest.skipUnless(IS_ROOT, "needs root to make a namespace")
class WhatTheHelpersAnswer(unittest.TestCase):
    """Real answers of the helpers, from a namespace with one of each kind of object they report."""

    def setUp(self):
        self.netns = TestNamespace("node.shape")
        self.addCleanup(self.netns.remove)
        n = self.netns
        n.ip("link", "add", "br0", "type", "bridge")
        n.ip("link", "add", "v1", "type", "veth", "peer", "name", "v2")
        n.ip("link", "set", "v1", "master", "br0")
        n.ip("link", "set", "v1", "type", "bridge_slave", "hairpin", "on")
        n.ip("link", "add", "vx0", "type", "vxlan", "id", "7", "local", "10.0.0.1", "dstport", "8472", "nolearning")
        n.ip("addr", "add", "10.244.0.1/24", "dev", "br0")
        for dev in ("br0", "v1", "v2", "vx0"):
            n.ip("link", "set", dev, "up")
        n.ip("route", "add", "10.244.9.0/24", "via", "10.244.9.0", "dev", "vx0", "onlink")
        n.ip("route", "add", "blackhole", "10.9.0.0/16", "table", "100")
        n.ip("neigh", "replace", "10.244.9.0", "lladdr", "02:00:00:00:00:09", "dev", "vx0", "nud", "permanent")
        subprocess.run(["bridge", "-n", n.name, "fdb", "replace", "02:00:00:00:00:09", "dev", "vx0", "dst", "10.0.0.9", "self", "permanent"], check=True)
        subprocess.run(["ip", "netns", "exec", n.name, "nft", "add", "table", "inet", "shape"], check=True)

    def run_helper(self, script, request):
        done = subprocess.run([sys.executable, os.path.join(RUNTIME, script)], input=json.dumps(request), capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_observe(self):
        request = {"protocol": 1, "namespaces": [{"netns": self.netns.name, "sysctls": ["net.ipv4.ip_forward", "net.ipv4.conf.v1.arp_notify", "net.ipv4.conf.gone.arp_notify"]},
                                                  {"netns": "netlab.pytest-gone.x", "sysctls": []}]}
        self.assertEqual(shape_problems("observe.request", request), [])
        reply = self.run_helper("netlab-observe.py", request)
        self.assertEqual(shape_problems("observe.reply", reply), [])
        state = reply[self.netns.name]
        # Every optional part the description names was in this answer: the check saw them.
        self.assertTrue(state["nftables"] and state["fdb"] and state["neighbours"] and any("table" in r for r in state["routes"]))
        self.assertTrue(any("vxlan" in l for l in state["links"]) and any("hairpin" in l for l in state["links"]))
        self.assertIsNone(reply["netlab.pytest-gone.x"])

    def test_canon(self):
        request = {"protocol": 1, "rulesets": [{"kind": "nft", "table": "ip t", "ruleset": "table ip t {\n chain c {\n  ip daddr 10.0.0.1 accept\n }\n}\n"},
                                                {"kind": "iptables", "ruleset": "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -d 10.0.0.1/32 -j ACCEPT\nCOMMIT\n"},
                                                {"kind": "nft", "table": "ip t", "ruleset": "table ip t { nonsense }\n"}]}
        reply = self.run_helper("netlab-canon.py", request)
        self.assertEqual(shape_problems("canon.reply", reply), [])
        self.assertEqual([next(iter(a)) for a in reply], ["nft", "iptables", "error"])

    def test_probe(self):
        request = "".join(json.dumps(x) + "\n" for x in [{"protocol": 1}, {"probes": [
            {"id": 0, "kind": "icmp", "netns": self.netns.name, "dst": "10.244.0.1", "count": 1, "timeout": 2},
            {"id": 1, "kind": "tcp", "netns": self.netns.name, "dst": "10.244.0.1", "port": 9, "timeout": 1},
            {"id": 2, "kind": "udp", "netns": self.netns.name, "dst": "10.244.0.1", "port": 9, "timeout": 1}], "forget": []}])
        done = subprocess.run(["ip", "netns", "exec", self.netns.name, sys.executable, os.path.join(RUNTIME, "netlab-probe.py")], input=request, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        self.assertEqual(sorted(r["id"] for r in results), [0, 1, 2])
        for r in results:
            self.assertEqual(shape_problems("probe.result", r), [], r)


if __name__ == "__main__":
    unittest.main()
