import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from helpers import IS_ROOT, TestNamespace, load
from shapes import shape_problems

speaker = load("netlab-speaker")
MAC = "02:00:00:00:00:01"
ASKER = bytes.fromhex("020000000009")


def entry(ip, nodes, endpoints, local=False):
    return {"ip": ip, "service": "default/web", "pool": "p", "nodes": nodes, "endpointNodes": endpoints, "local": local}


def config(node="iris1", entries=()):
    return {
        "protocol": 1,
        "lab": "t",
        "node": node,
        "interface": "eth0",
        "address": "192.168.19.10",
        "mac": MAC,
        "port": 7946,
        "peers": [{"node": "iris1", "address": "192.168.19.10"}, {"node": "iris2", "address": "192.168.19.11"}],
        "announce": list(entries),
    }


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class Election(unittest.TestCase):
    """MetalLB's own table (speaker/layer2_controller_test.go TestShouldAnnounce, nodes iris1 and iris2)."""

    def test_sha256_of_node_and_ip_ascending(self):
        # "Two services each with two endpoints across two hosts, controller 1 should announce the second, controller 2 the first"
        self.assertEqual(speaker.election_order(["iris1", "iris2"], "10.20.30.1"), ["iris2", "iris1"])
        self.assertEqual(speaker.election_order(["iris1", "iris2"], "10.20.30.2"), ["iris1", "iris2"])

    def test_local_only_nodes_with_an_endpoint(self):
        # "One service, two endpoints, one host, controller 1 should announce" (iris2 would win the hash for .1)
        self.assertEqual(speaker.owner(entry("10.20.30.1", ["iris1", "iris2"], ["iris1"], local=True), {"iris1", "iris2"}), "iris1")
        self.assertEqual(speaker.owner(entry("10.20.30.1", ["iris1", "iris2"], ["iris1", "iris2"], local=True), {"iris1", "iris2"}), "iris2")

    def test_no_ready_endpoint_nobody_announces(self):
        self.assertIsNone(speaker.owner(entry("10.20.30.1", ["iris1", "iris2"], []), {"iris1", "iris2"}))

    def test_a_dead_speaker_is_no_candidate(self):
        self.assertEqual(speaker.owner(entry("10.20.30.1", ["iris1", "iris2"], ["iris1"]), {"iris1"}), "iris1")

    def test_only_nodes_an_advertisement_selects(self):
        self.assertEqual(speaker.owner(entry("10.20.30.1", ["iris1"], ["iris2"]), {"iris1", "iris2"}), "iris1")


class Wire(unittest.TestCase):
    def request(self, target, dst=speaker.BROADCAST):
        return speaker.arp_frame(dst, ASKER, speaker.ARP_REQUEST, ASKER, socket.inet_aton("192.168.19.254"), b"\0" * 6, socket.inet_aton(target))

    def owning(self, ip):
        clock = Clock()
        s = speaker.Speaker(config("iris2", [entry(ip, ["iris1", "iris2"], ["iris1"])]), now=clock)
        s.heard("iris1")
        s.decide()
        return s

    def test_answers_a_request_for_an_owned_address_from_its_mac(self):
        s = self.owning("10.20.30.1")
        reply = s.answers(self.request("10.20.30.1"))
        dst, op, sha, spa, tpa = speaker.parse_arp(reply)
        self.assertEqual((dst, op, sha), (ASKER, speaker.ARP_REPLY, bytes.fromhex(MAC.replace(":", ""))))
        self.assertEqual((socket.inet_ntoa(spa), socket.inet_ntoa(tpa)), ("10.20.30.1", "192.168.19.254"))
        self.assertEqual(reply[6:12], bytes.fromhex(MAC.replace(":", "")))

    def test_silent_for_other_addresses_replies_and_other_destinations(self):
        s = self.owning("10.20.30.1")
        self.assertIsNone(s.answers(self.request("10.20.30.2")))
        self.assertIsNone(s.answers(self.request("10.20.30.1", dst=bytes.fromhex("020000000077"))))
        reply = speaker.reply_to(ASKER, socket.inet_aton("192.168.19.254"), "02:00:00:00:00:09", "10.20.30.1")
        self.assertIsNone(s.answers(reply))
        self.assertIsNone(s.answers(b"short"))

    def test_gratuitous_pair_is_broadcast_with_sender_and_target_the_address(self):
        frames = speaker.gratuitous(MAC, "10.20.30.1")
        self.assertEqual([speaker.parse_arp(f)[1] for f in frames], [speaker.ARP_REQUEST, speaker.ARP_REPLY])
        for f in frames:
            dst, _, sha, spa, tpa = speaker.parse_arp(f)
            self.assertEqual(dst, speaker.BROADCAST)
            self.assertEqual(spa, tpa)
            self.assertEqual(socket.inet_ntoa(spa), "10.20.30.1")
            self.assertEqual(f[32:38], speaker.BROADCAST)  # target hardware address, as mdlayher/arp writes it


class Schedule(unittest.TestCase):
    def test_five_rounds_from_each_claim_and_again_when_membership_changes(self):
        clock = Clock()
        s = speaker.Speaker(config("iris1", [entry("10.20.30.2", ["iris1", "iris2"], ["iris1"])]), now=clock)
        s.heard("iris2")
        claimed, released, refreshed = s.decide()
        self.assertEqual([c[0] for c in claimed], ["10.20.30.2"])
        rounds, last = [], clock.t - 0.001
        while clock.t < 110:
            if clock.t < 104:
                s.heard("iris2")
            s.decide()
            for _ in s.due(last, clock.t):
                rounds.append(round(clock.t - 100, 2))
            last = clock.t
            clock.t = round(clock.t + 0.05, 2)
        # 0, 1.1, 2.2, 3.3, 4.4 from the claim; iris2 falls silent at 104 and is dead at 105: the rounds start again.
        self.assertEqual(rounds[:5], [0.0, 1.1, 2.2, 3.3, 4.4])
        self.assertEqual(len(rounds), 10)
        self.assertAlmostEqual(rounds[5], 5.0, delta=0.06)

    def test_a_peer_silent_past_dead_after_is_dead(self):
        clock = Clock()
        s = speaker.Speaker(config("iris1", [entry("10.20.30.1", ["iris1", "iris2"], ["iris1", "iris2"])]), now=clock)
        s.heard("iris2")
        self.assertEqual(s.decide()[0], [])  # iris2 wins 10.20.30.1
        s.heard("stranger")
        self.assertEqual(s.alive(), {"iris1", "iris2"})
        clock.t += speaker.DEAD_AFTER_S + 0.01
        self.assertEqual([c[0] for c in s.decide()[0]], ["10.20.30.1"])


class Config(unittest.TestCase):
    def test_the_protocol_describes_it(self):
        self.assertEqual(shape_problems("speaker.config", config()), [])

    def test_refuses_another_version(self):
        path = tempfile.mktemp()
        with open(path, "w") as f:
            json.dump({**config(), "protocol": 99}, f)
        self.addCleanup(os.remove, path)
        r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "..", "netlab-speaker.py"), path], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("error: config", r.stderr)


@unittest.skipUnless(IS_ROOT, "needs root to make namespaces")
class OnTheWire(unittest.TestCase):
    """Two namespaces on a veth: the speaker in one answers the other's ARP for an address no interface holds."""

    def test_the_client_learns_the_speakers_mac(self):
        node, client = TestNamespace("spk.node"), TestNamespace("spk.client")
        for ns in (node, client):
            self.addCleanup(ns.remove)
        node.ip("link", "add", "eth0", "address", MAC, "type", "veth", "peer", "name", "eth0", "netns", client.name)
        node.ip("addr", "add", "192.168.19.10/24", "dev", "eth0")
        client.ip("addr", "add", "192.168.19.254/24", "dev", "eth0")
        for ns in (node, client):
            ns.ip("link", "set", "eth0", "up")
            ns.ip("link", "set", "lo", "up")
        cfg = config("iris1", [entry("192.168.19.240", ["iris1"], ["iris1"])])
        cfg["peers"] = [{"node": "iris1", "address": "192.168.19.10"}]
        path = tempfile.mktemp()
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.addCleanup(os.remove, path)
        script = os.path.join(os.path.dirname(__file__), "..", "netlab-speaker.py")
        p = subprocess.Popen(["ip", "netns", "exec", node.name, sys.executable, script, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        self.assertTrue(p.stdout.readline().startswith("ready "))
        deadline = time.monotonic() + 5
        mac = None
        while time.monotonic() < deadline and mac is None:
            subprocess.run(["ip", "netns", "exec", client.name, "ping", "-c", "1", "-W", "1", "192.168.19.240"], capture_output=True)
            out = subprocess.run(["ip", "-j", "-n", client.name, "neigh", "show", "to", "192.168.19.240"], capture_output=True, text=True).stdout
            shown = json.loads(out or "[]")
            mac = next((n.get("lladdr") for n in shown if n.get("state") != ["FAILED"]), None)
        self.assertEqual(mac, MAC)
        addrs = json.loads(subprocess.run(["ip", "-j", "-n", node.name, "addr", "show", "dev", "eth0"], capture_output=True, text=True).stdout)
        self.assertNotIn("192.168.19.240", [a["local"] for a in addrs[0]["addr_info"]])


if __name__ == "__main__":
    unittest.main()
