import json
import os
import subprocess
import unittest

from helpers import IS_ROOT, RUNTIME, TestNamespace, load
import netlab_ns

probe = load("netlab-probe")


class Echoes(unittest.TestCase):
    """Echo replies are matched by socket and sequence; sequence numbers are reused only when free."""

    def test_replies_are_told_apart_by_socket(self):
        e = probe.Echoes()
        a = e.allocate(("pod-a", False), 1)
        b = e.allocate(("pod-b", False), 2)
        self.assertEqual(a, b)  # each socket counts on its own
        self.assertEqual(e.probe_of(("pod-a", False), a), 1)
        self.assertEqual(e.probe_of(("pod-b", False), b), 2)
        self.assertIsNone(e.probe_of(("pod-a", True), a))

    def test_a_finished_probe_frees_its_numbers(self):
        e = probe.Echoes()
        seq = e.allocate("s", 1)
        e.release(1)
        self.assertIsNone(e.probe_of("s", seq))
        self.assertEqual(e.owner, {})
        self.assertEqual(e.held, {})

    def test_sequence_numbers_wrap_without_taking_a_live_one(self):
        e = probe.Echoes()
        live = e.allocate("s", 1)  # seq 1, still in flight
        for i in range(2, 0x10000 + 5):
            e.allocate("s", i)
            e.release(i)
        self.assertEqual(e.probe_of("s", live), 1)
        self.assertNotEqual(e.allocate("s", 99), live)

    def test_a_full_socket_says_so(self):
        e = probe.Echoes()
        for i in range(0xFFFF + 1):
            e.allocate("s", i)
        with self.assertRaises(OSError):
            e.allocate("s", "one too many")


class Http(unittest.TestCase):
    """One HTTP/1.1 request as the conformance suites send it, and its answer read whole."""

    BASE = {"method": "GET", "path": "/foo?x=1", "dst": "10.96.0.1", "headers": []}

    def test_the_request(self):
        raw = probe.http_request(dict(self.BASE, host="foo.bar.com", headers=[["X-Test", "a b"]]))
        self.assertEqual(raw, b"GET /foo?x=1 HTTP/1.1\r\nHost: foo.bar.com\r\nX-Test: a b\r\nUser-Agent: netlab\r\nConnection: close\r\n\r\n")
        self.assertIn(b"Host: 10.96.0.1\r\n", probe.http_request(self.BASE))

    def test_no_field_can_end_a_line_or_the_head(self):
        for bad in (
            dict(self.BASE, method="GET /x HTTP/1.1\r\nX:"),
            dict(self.BASE, path="/a b"),
            dict(self.BASE, path="/a\r\nX: y"),
            dict(self.BASE, headers=[["X-A\r\nX-B", "v"]]),
            dict(self.BASE, headers=[["X-A", "v\r\n\r\nGET /"]]),
            dict(self.BASE, host="a\nb"),
        ):
            with self.assertRaises(OSError):
                probe.http_request(bad)

    def test_the_answer(self):
        r = probe.parse_http_response(b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://x/foo/\r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\n<html>")
        self.assertEqual(r, {"status": 301, "headers": {"location": "http://x/foo/", "set-cookie": "a, b"}, "body": "<html>"})
        self.assertIsNone(probe.parse_http_response(b"hostname\n"))
        self.assertIsNone(probe.parse_http_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5"))


class Checksum(unittest.TestCase):
    def test_the_internet_checksum_of_an_echo_header(self):
        # RFC 1071: the checksum makes the ones' complement sum of the packet zero.
        header = b"\x08\x00\x00\x00\x12\x34\x00\x01" + b"netlab"
        ck = probe.checksum(header)
        with_ck = header[:2] + ck.to_bytes(2, "big") + header[4:]
        self.assertEqual(probe.checksum(with_ck), 0)

    def test_odd_lengths_are_padded(self):
        self.assertEqual(probe.checksum(b"\x01"), probe.checksum(b"\x01\x00"))


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(IS_ROOT, "needs root to make namespaces")
class Rounds(unittest.TestCase):
    """Rounds run one after the other, and each empties the neighbour caches it names when it ends."""

    def setUp(self):
        self.a, self.b = TestNamespace("pod.a"), TestNamespace("pod.b")
        self.addCleanup(self.a.remove)
        self.addCleanup(self.b.remove)
        self.a.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", self.b.name)
        for ns, address in ((self.a, "10.9.0.1/24"), (self.b, "10.9.0.2/24")):
            ns.ip("addr", "add", address, "dev", "eth0")
            ns.ip("link", "set", "eth0", "up")

    def neighbours(self, ns):
        out = subprocess.run(["ip", "-n", ns.name, "-j", "neigh", "show"], check=True, capture_output=True, text=True).stdout
        return [e["dst"] for e in json.loads(out)]

    def test_each_round_forgets_what_its_namespaces_learned(self):
        ping = lambda i, ns, dst: {"id": i, "kind": "icmp", "netns": ns.name, "dst": dst, "count": 1, "timeout": 3}
        rounds = [
            {"probes": [ping(0, self.a, "10.9.0.2")], "forget": [self.a.name, self.b.name]},
            {"probes": [ping(1, self.b, "10.9.0.1")], "forget": [self.a.name]},
        ]
        request = "".join(json.dumps(x) + "\n" for x in [{"protocol": netlab_ns.PROTOCOL}, *rounds])
        r = subprocess.run(["ip", "netns", "exec", self.a.name, "python3", os.path.join(RUNTIME, "netlab-probe.py")], input=request, text=True, capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        results = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([(x["id"], x["ok"]) for x in results], [(0, True), (1, True)])
        # The second round's entries: a's were forgotten, b's (not named) kept.
        self.assertEqual(self.neighbours(self.a), [])
        self.assertEqual(self.neighbours(self.b), ["10.9.0.1"])
