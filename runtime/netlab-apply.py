#!/usr/bin/env python3
"""Applies simple per-namespace operations in many namespaces from one process.

A 500-pod lab needs the same four operations in each pod (lo up, the address,
eth0 up, the default route). `ip -n POD -batch` costs a program start per pod
namespace; this helper enters each namespace in turn (setns), opens a netlink
socket there and sends the same rtnetlink requests `ip` would, so the whole
wave is one program start. It also sets sysctls: net.* sysctls belong to the
namespace of the process that opens them.

Input (stdin, JSON): {"protocol": 1, "ops": [OP, ...]}, applied in order:
  {"netns", "kind": "link.up", "name"}
  {"netns", "kind": "addr.add", "dev", "address": "10.244.0.2/24", "broadcast"?: "10.244.0.255"}
  {"netns", "kind": "route.add", "verb": "add"|"replace", "dst": "default"|"CIDR", "via"?, "dev", "onlink"?}
  {"netns", "kind": "sysctl.set", "key", "value"}
On the first failure it prints `error: INDEX: reason` and exits 1, so netlab
can name the operation; nothing is retried or skipped.
"""
import socket
import struct
import sys

from netlab_ns import NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, Netlink, attr, enter, read_request, sysctl_path

RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 20, 24
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST = 1, 2, 4
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5
IFF_UP = 0x1
RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST = 254, 3, 1
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK = 0, 253
RTNH_F_ONLINK = 0x4


def index_of(name):
    try:
        return socket.if_nametoindex(name)
    except OSError:
        raise OSError(19, f"Cannot find device \"{name}\"")


def link_up(nl, op):
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index_of(op["name"]), IFF_UP, IFF_UP)
    nl.request(RTM_NEWLINK, 0, body)


def addr_add(nl, op):
    ip, plen = op["address"].split("/")
    raw = socket.inet_aton(ip)
    body = struct.pack("=BBBBI", socket.AF_INET, int(plen), 0, RT_SCOPE_UNIVERSE, index_of(op["dev"]))
    attrs = attr(IFA_LOCAL, raw) + attr(IFA_ADDRESS, raw)
    if op.get("broadcast"):
        attrs += attr(IFA_BROADCAST, socket.inet_aton(op["broadcast"]))
    nl.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body + attrs)


def route_message(op):
    """The rtmsg and attributes `ip route add|replace` sends for this op."""
    dst, plen = ("0.0.0.0", 0) if op["dst"] == "default" else (op["dst"].split("/")[0], int(op["dst"].split("/")[1]))
    via = op.get("via")
    scope = RT_SCOPE_UNIVERSE if via else RT_SCOPE_LINK
    flags = RTNH_F_ONLINK if op.get("onlink") else 0
    body = struct.pack("=BBBBBBBBI", socket.AF_INET, plen, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, scope, RTN_UNICAST, flags)
    if plen:
        body += attr(RTA_DST, socket.inet_aton(dst))
    if via:
        body += attr(RTA_GATEWAY, socket.inet_aton(via))
    return body


def route_add(nl, op):
    body = route_message(op) + attr(RTA_OIF, struct.pack("=i", index_of(op["dev"])))
    how = NLM_F_CREATE | (NLM_F_REPLACE if op.get("verb") == "replace" else NLM_F_EXCL)
    nl.request(RTM_NEWROUTE, how, body)


def sysctl_set(_nl, op):
    with open(sysctl_path(op["key"]), "w", encoding="ascii") as f:
        f.write(f"{op['value']}\n")


APPLY = {"link.up": link_up, "addr.add": addr_add, "route.add": route_add, "sysctl.set": sysctl_set}


def main():
    request = read_request(sys.stdin)
    current, nl = None, None
    for index, op in enumerate(request["ops"]):
        try:
            if op["netns"] != current:
                if nl:
                    nl.close()
                enter(op["netns"])
                current, nl = op["netns"], Netlink()
            APPLY[op["kind"]](nl, op)
        except OSError as e:
            print(f"error: {index}: {e.strerror or e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
