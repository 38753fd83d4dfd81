import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

from helpers import IS_ROOT, RUNTIME, TestNamespace, load
from shapes import shape_problems

WATCHER = os.path.join(RUNTIME, "netlab-watch.py")


@unittest.skipUnless(IS_ROOT, "needs root to make namespaces")
class Watcher(unittest.TestCase):
    """The watcher as netlab runs it: a process in a namespace of the lab, asked over its socket."""

    def setUp(self):
        self.home = TestNamespace("fabric")
        self.pods = [TestNamespace("pod.a"), TestNamespace("pod.b")]
        for ns in (self.home, *self.pods):
            self.addCleanup(ns.remove)
        a, b = self.pods
        # A veth between the pods: each has an eth0 whose settings the watcher compares.
        a.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b.name)
        for p in self.pods:
            p.ip("link", "set", "eth0", "up")
        self.dir = tempfile.mkdtemp(prefix="netlab-watch-test-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.dir], check=False))
        self.socket = os.path.join(self.dir, "watch.sock")

    def start(self, **extra):
        config = {"protocol": 1, "socket": self.socket, "namespaces": [{"netns": p.name, "devices": ["eth0"]} for p in self.pods], **extra}
        self.assertEqual(shape_problems("watch.config", config), [])
        path = os.path.join(self.dir, "watch.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)
        proc = subprocess.Popen(["ip", "netns", "exec", self.home.name, sys.executable, WATCHER, path], stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        self.assertEqual(proc.stdout.readline(), f"ready {proc.pid}\n")
        return proc

    def ask(self, request=None):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.socket)
            s.sendall(json.dumps(request or {"protocol": 1}).encode() + b"\n")
            reply = json.loads(s.makefile("rb").readline())
        # Every answer is one runtime/protocol.json describes: the report, or the refusal of a request.
        self.assertEqual(shape_problems("watch.error" if "error" in reply else "watch.reply", reply), [])
        return reply

    def changed(self):
        # Notifications arrive as the kernel makes the change; a request drains them before it answers.
        return self.ask()["changed"]

    def test_a_lab_as_built_has_changed_nowhere(self):
        proc = self.start()
        answer = self.ask()
        names = "\n".join(p.name for p in self.pods)
        self.assertEqual(answer, {"protocol": 1, "pid": proc.pid, "watched": hashlib.sha256(names.encode()).hexdigest(), "lost": False, "changed": []})

    def test_notified_changes_mark_their_namespace(self):
        self.start()
        a, b = self.pods
        a.ip("addr", "add", "10.9.9.9/32", "dev", "eth0")
        self.assertEqual(self.changed(), [a.name])
        b.ip("route", "add", "10.8.0.0/16", "dev", "eth0")
        self.assertEqual(self.changed(), sorted([a.name, b.name]))

    def test_arp_off_a_qdisc_and_a_route_in_another_table_mark_their_namespace(self):
        self.start()
        a, b = self.pods
        a.ip("link", "set", "eth0", "arp", "off")
        self.assertEqual(self.changed(), [a.name])
        subprocess.run(["ip", "netns", "exec", b.name, "tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "1kbit", "burst", "1600", "latency", "1ms"], check=True)
        self.assertEqual(self.changed(), sorted([a.name, b.name]))

    def test_an_nftables_table_made_in_a_pod_marks_it(self):
        self.start()
        a = self.pods[0]
        subprocess.run(["ip", "netns", "exec", a.name, "nft", "add", "table", "ip", "dropall"], check=True)
        self.assertEqual(self.changed(), [a.name])

    def test_a_route_in_another_table_marks_its_namespace(self):
        self.start()
        a = self.pods[0]
        a.ip("route", "add", "blackhole", "10.7.0.0/16", "table", "100")
        self.assertEqual(self.changed(), [a.name])

    def test_a_change_undone_stays_a_change(self):
        self.start()
        a = self.pods[0]
        a.ip("link", "set", "eth0", "mtu", "1400")
        a.ip("link", "set", "eth0", "mtu", "1500")
        self.assertEqual(self.changed(), [a.name])

    def test_an_interface_setting_written_by_hand_is_found(self):
        # The kernel sends no notification for arp_notify: the watcher compares the device's settings.
        self.start()
        b = self.pods[1]
        subprocess.run(["ip", "netns", "exec", b.name, "sysctl", "-qw", "net.ipv4.conf.eth0.arp_notify=1"], check=True)
        self.assertEqual(self.changed(), [b.name])

    def test_a_namespace_made_anew_under_the_same_name_is_another(self):
        self.start()
        a = self.pods[0]
        subprocess.run(["ip", "netns", "delete", a.name], check=True)
        # (b changes too, once the kernel has freed a: its eth0 goes with a's. When is the kernel's business.)
        self.assertIn(a.name, self.changed())
        subprocess.run(["ip", "netns", "add", a.name], check=True)
        self.assertIn(a.name, self.changed())

    def test_a_namespace_made_anew_is_found_without_notifications(self):
        # A namespace kept alive by a process loses no id and sends nothing when its name is deleted and made
        # again: the file under /run/netns is another namespace's, and that is what the watcher checks.
        self.start()
        a = self.pods[0]
        holder = subprocess.Popen(["ip", "netns", "exec", a.name, "sh", "-c", "echo in; exec sleep 30"], stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.stdout.close)
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        self.assertEqual(holder.stdout.readline(), "in\n")
        subprocess.run(["ip", "netns", "delete", a.name], check=True)
        subprocess.run(["ip", "netns", "add", a.name], check=True)
        self.assertEqual(self.changed(), [a.name])

    def test_lost_notifications_are_said(self):
        # A stopped watcher with a small buffer: the kernel drops what does not fit, and says so (ENOBUFS).
        proc = self.start(receiveBuffer=4096)
        a = self.pods[0]
        proc.send_signal(signal.SIGSTOP)
        try:
            for i in range(64):
                a.ip("addr", "add", f"10.9.{i}.1/32", "dev", "eth0")
        finally:
            proc.send_signal(signal.SIGCONT)
        self.assertTrue(self.ask()["lost"])

    def test_a_request_of_another_protocol_is_refused(self):
        self.start()
        self.assertIn("error", self.ask({"protocol": 999}))
        self.assertEqual(self.changed(), [])

    def test_it_gives_ids_in_a_namespace_of_its_own(self):
        # Neither the lab's namespace it runs in nor the host learns an id for the pods.
        self.start()
        self.assertEqual(self.changed(), [])
        home = subprocess.run(["ip", "-n", self.home.name, "netns", "list-id"], capture_output=True, text=True, check=True).stdout
        self.assertNotIn("nsid", home)
        host = subprocess.run(["ip", "netns", "list-id"], capture_output=True, text=True, check=True).stdout
        for p in self.pods:
            self.assertNotIn(p.name, host)


    def test_shards_each_watch_their_own(self):
        # In this process, with a shard per namespace: the ids of each live in a namespace of its own.
        watch_module = load("netlab-watch")
        watch_module.SHARD_SIZE = 1
        a, b = self.pods
        home = os.readlink("/proc/thread-self/ns/net")
        watch = watch_module.Watch([{"netns": p.name, "devices": ["eth0"]} for p in self.pods], peers=[self.home.name])
        self.addCleanup(watch.close)
        self.assertEqual(len(watch.shards), 2)
        self.assertEqual(watch.report()["changed"], [])
        b.ip("addr", "add", "10.9.9.9/32", "dev", "eth0")
        self.assertEqual(watch.report()["changed"], [b.name])
        # The thread is back in the test's own namespace.
        self.assertEqual(os.readlink("/proc/thread-self/ns/net"), home)


if __name__ == "__main__":
    unittest.main()
