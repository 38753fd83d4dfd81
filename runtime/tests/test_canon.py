import json
import os
import subprocess
import sys
import unittest

from helpers import IS_ROOT, RUNTIME

HELPER = os.path.join(RUNTIME, "netlab-canon.py")


def canon(rulesets):
    """Runs the helper as netlab does: one request on stdin, the answers on stdout."""
    done = subprocess.run([sys.executable, HELPER], input=json.dumps({"protocol": 1, "rulesets": rulesets}), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def host_tables():
    return subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, check=True).stdout


@unittest.skipUnless(IS_ROOT, "needs root to make a namespace")
class Canon(unittest.TestCase):
    """The plan read back as the kernel holds it, in a namespace of the helper's own."""

    def test_reads_back_nft_and_iptables_and_leaves_nothing_on_the_host(self):
        before = host_tables()
        nft = "add table ip t\nadd chain ip t c { type nat hook prerouting priority -100 ; }\nadd rule ip t c ip daddr 10.96.0.1 tcp dport 80 dnat to 10.244.1.3:80\n"
        ipt = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-X - [0:0]\n-A PREROUTING -j KUBE-X\n-A KUBE-X -p tcp -j DNAT --to-destination 10.244.0.2:80\nCOMMIT\n"
        first, second = canon([{"kind": "nft", "table": "ip t", "ruleset": nft}, {"kind": "iptables", "ruleset": ipt}])
        rules = [i["rule"] for i in first["nft"] if "rule" in i]
        self.assertEqual(len(rules), 1)
        self.assertIn({"dnat": {"addr": "10.244.1.3", "port": 80}}, rules[0]["expr"])
        self.assertIn("-A KUBE-X -p tcp -j DNAT --to-destination 10.244.0.2:80", second["iptables"]["nat"])
        # Each ruleset is read back alone: the nft table is gone when the iptables one is read.
        self.assertNotIn("table ip t", subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout)
        self.assertEqual(host_tables(), before)

    def test_a_ruleset_the_kernel_refuses_is_an_error_not_a_stop(self):
        bad, good = canon([{"kind": "nft", "table": "ip t", "ruleset": "add rule ip nope nope accept\n"}, {"kind": "nft", "table": "ip u", "ruleset": "add table ip u\n"}])
        self.assertIn("error", bad)
        self.assertIn("nft", good)

    def test_refuses_another_protocol(self):
        done = subprocess.run([sys.executable, HELPER], input=json.dumps({"protocol": 99}), capture_output=True, text=True)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("protocol 99", done.stderr)


if __name__ == "__main__":
    unittest.main()
