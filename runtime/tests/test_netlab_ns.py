import json
import os
import struct
import subprocess
import unittest
from unittest import mock

from helpers import IS_ROOT, TestNamespace  # noqa: E402 (sets the path first)
import netlab_ns  # noqa: E402


class Attributes(unittest.TestCase):
    def test_an_attribute_is_padded_to_four_bytes(self):
        self.assertEqual(netlab_ns.attr(3, b"eth0\0"), struct.pack("=HH", 9, 3) + b"eth0\0" + b"\0\0\0")

    def test_attributes_parse_back(self):
        data = netlab_ns.attr(3, b"cni0\0") + netlab_ns.attr(4, struct.pack("=I", 1450))
        parsed = netlab_ns.parse_attrs(data)
        self.assertEqual(parsed[3], b"cni0\0")
        self.assertEqual(struct.unpack("=I", parsed[4])[0], 1450)

    def test_a_nested_flag_is_ignored_in_the_type(self):
        parsed = netlab_ns.parse_attrs(netlab_ns.attr(18 | netlab_ns.NLA_F_NESTED, b"x"))
        self.assertIn(18, parsed)

    def test_a_truncated_attribute_stops_parsing(self):
        self.assertEqual(netlab_ns.parse_attrs(struct.pack("=HH", 2, 1)), {})

    def test_messages_are_split(self):
        one = struct.pack("=IHHII", 20, 16, 0, 7, 0) + b"abcd"
        two = struct.pack("=IHHII", 16, 3, 0, 7, 0)
        self.assertEqual([(k, s, b) for k, _, s, b in netlab_ns.messages(one + two)], [(16, 7, b"abcd"), (3, 7, b"")])


class Protocol(unittest.TestCase):
    def test_the_same_version_passes(self):
        netlab_ns.check_protocol({"protocol": netlab_ns.PROTOCOL})

    def test_another_version_or_none_is_refused(self):
        for request in ({"protocol": netlab_ns.PROTOCOL + 1}, {}, [], None):
            with self.assertRaises(netlab_ns.ProtocolError):
                netlab_ns.check_protocol(request)


class Requests(unittest.TestCase):
    def test_a_request_of_another_version_stops_the_helper_with_a_message(self):
        import io

        with self.assertRaises(SystemExit) as stop:
            netlab_ns.read_request(io.StringIO('{"protocol": 99}'))
        self.assertIn("protocol 99", str(stop.exception))
        self.assertEqual(netlab_ns.read_request(io.StringIO(f'{{"protocol": {netlab_ns.PROTOCOL}, "ops": []}}'))["ops"], [])

    def test_garbage_stops_it_too(self):
        import io

        with self.assertRaises(SystemExit):
            netlab_ns.read_request(io.StringIO("not json"))


class Sysctls(unittest.TestCase):
    def test_a_slash_in_a_device_name_stands_for_its_dot(self):
        self.assertEqual(netlab_ns.sysctl_path("net.ipv6.conf.flannel/1.accept_ra"), "/proc/sys/net/ipv6/conf/flannel.1/accept_ra")
        self.assertEqual(netlab_ns.sysctl_path("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward")
        self.assertEqual(netlab_ns.proc_net_path("net.ipv6.conf.flannel/1.accept_ra"), "ipv6/conf/flannel.1/accept_ra")

    def test_only_one_interfaces_known_settings_go_by_rtnetlink(self):
        self.assertEqual(netlab_ns.interface_setting("net.ipv4.conf.eth0.arp_notify"), ("ipv4", "eth0", "arp_notify"))
        self.assertEqual(netlab_ns.interface_setting("net.ipv6.conf.flannel/1.accept_ra"), ("ipv6", "flannel.1", "accept_ra"))
        for key in ("net.ipv4.conf.all.forwarding", "net.ipv4.conf.default.arp_notify", "net.ipv4.conf.eth0.log_martians", "net.ipv4.ip_forward"):
            self.assertIsNone(netlab_ns.interface_setting(key), key)


class ComingHome(unittest.TestCase):
    """The agent once ignored a failed return home: later sockets could bind in a pod's namespace."""

    def setUp(self):
        self.ns = netlab_ns.Namespaces()
        self.ns.fds["pod"] = os.open("/dev/null", os.O_RDONLY)
        self.addCleanup(os.close, self.ns.fds["pod"])

    def test_a_failed_return_home_stops_the_helper(self):
        calls = []

        def setns(fd, what="namespace"):
            calls.append(what)
            if what == "home":
                raise OSError(22, "Invalid argument")

        with mock.patch.object(netlab_ns, "setns", setns):
            with self.assertRaises(SystemExit) as stop:
                with self.ns.inside("pod"):
                    pass
        self.assertEqual(calls, ["pod", "home"])
        self.assertIn("could not return", str(stop.exception))

    def test_an_error_inside_still_returns_home(self):
        calls = []
        with mock.patch.object(netlab_ns, "setns", lambda fd, what="namespace": calls.append(what)):
            with self.assertRaises(ValueError):
                with self.ns.inside("pod"):
                    raise ValueError("boom")
        self.assertEqual(calls, ["pod", "home"])


@unittest.skipUnless(IS_ROOT, "needs root to make a namespace")
class RealNamespaces(unittest.TestCase):
    def setUp(self):
        self.netns = TestNamespace("ns")
        self.addCleanup(self.netns.remove)

    def test_a_socket_made_inside_lives_there_and_the_helper_comes_back(self):
        home = os.stat("/proc/self/ns/net").st_ino
        ns = netlab_ns.Namespaces()
        with ns.inside(self.netns.name):
            inside = os.stat("/proc/thread-self/ns/net").st_ino
        self.assertNotEqual(inside, home)
        self.assertEqual(os.stat("/proc/thread-self/ns/net").st_ino, home)

    def test_a_dump_sees_the_namespace_links(self):
        ns = netlab_ns.Namespaces()
        with ns.inside(self.netns.name):
            nl = netlab_ns.Netlink()
            try:
                links = nl.dump(18, struct.pack("=BxHiII", 0, 0, 0, 0, 0))
            finally:
                nl.close()
        self.assertEqual(len(links), 1)  # lo only


    def test_forgetting_learned_neighbours_keeps_permanent_ones(self):
        n = self.netns
        n.ip("link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
        n.ip("link", "set", "eth0", "up")
        n.ip("addr", "add", "10.9.0.1/24", "dev", "eth0")
        n.ip("neigh", "add", "10.9.0.7", "lladdr", "02:00:00:00:00:07", "dev", "eth0", "nud", "reachable")
        n.ip("neigh", "add", "10.9.0.8", "lladdr", "02:00:00:00:00:08", "dev", "eth0", "nud", "permanent")
        ns = netlab_ns.Namespaces()
        with ns.inside(n.name):
            nl = netlab_ns.Netlink()
            try:
                netlab_ns.forget_learned_neighbours(nl)
            finally:
                nl.close()
        out = subprocess.run(["ip", "-n", n.name, "-j", "neigh", "show"], check=True, capture_output=True, text=True).stdout
        self.assertEqual([e["dst"] for e in json.loads(out)], ["10.9.0.8"])


if __name__ == "__main__":
    unittest.main()

