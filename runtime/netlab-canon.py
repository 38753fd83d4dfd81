#!/usr/bin/env python3
"""Reads back planned rulesets as the kernel holds them, for `status` to compare rule by rule.

netlab plans nftables and iptables rulesets as text; the kernel keeps them in its own form, which `nft -j`
and `iptables-save` print. To compare a live table with its plan, the plan is loaded into a network namespace
of this helper's own (made with unshare, gone when the helper exits: nothing is loaded anywhere else) and
read back the same way the live table is read.

Request on stdin: {"protocol": 1, "rulesets": [{"kind": "nft", "table": "ip kube-proxy", "ruleset": TEXT}
                                              | {"kind": "iptables", "ruleset": TEXT}, ...]}
Reply on stdout: a JSON list, one entry per ruleset in order: {"nft": [ITEM, ...]} (the items of
`nft -j list table`), {"iptables": {"filter": TEXT, "nat": TEXT}} (`iptables-save -t`), or {"error": TEXT}.

What it reads and writes is described once, in runtime/protocol.json: `canon.request` and `canon.reply`.
"""
import json
import subprocess
import sys

from netlab_ns import read_request, unshare_net

TIMEOUT = 60


def run(argv, text=None):
    """A program in this namespace, its output; an error names what it said."""
    done = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


def read_back(entry):
    """One ruleset loaded into an empty namespace, and read back."""
    run(["nft", "flush", "ruleset"])
    if entry.get("kind") == "nft":
        family, name = str(entry["table"]).split(" ", 1)
        run(["nft", "-f", "-"], entry["ruleset"])
        return {"nft": json.loads(run(["nft", "-j", "list", "table", family, name]))["nftables"]}
    if entry.get("kind") == "iptables":
        run(["iptables-restore"], entry["ruleset"])
        return {"iptables": {table: run(["iptables-save", "-t", table]) for table in ("filter", "nat")}}
    return {"error": f"unknown kind {entry.get('kind')!r}"}


def main():
    request = read_request(sys.stdin)
    unshare_net()
    out = []
    for entry in request.get("rulesets", []):
        try:
            out.append(read_back(entry))
        except (RuntimeError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            out.append({"error": str(e)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
