#!/usr/bin/env python3
"""Reads the kernel state of many namespaces from one process, for `status` and `up`'s repair.

`ip -j` per namespace and per kind of object would be thousands of program
starts for a big lab; this helper enters each namespace (setns), dumps its
links, IPv4 addresses, routes of every table but `local`, permanent neighbours, FDB
entries and root qdiscs over rtnetlink, and reads the sysctls it is asked for.

Input (stdin, JSON): {"protocol": 1, "namespaces": [{"netns", "sysctls": [KEY, ...], "read"?: [KIND, ...],
                                                     "devices"?: {"neighbours"?: [DEV, ...], "fdb"?: [DEV, ...]}}, ...]}
where KIND is links, addresses, routes, neighbours, fdb, qdiscs or nftables: what to report (all when "read" is absent; a
kind not read comes back empty, and is not dumped, but for the links, which name the others' devices).
A pod has no neighbour or FDB entries worth a dump each; "devices" limits those dumps to some devices
(a node's bridge learns an FDB entry and a neighbour per pod: hundreds nobody asked for).
Output (stdout, JSON): {NETNS: STATE | null} where null means the namespace is
gone, and STATE is
  {"links": [{"name", "index", "kind", "mac", "mtu", "up", "arp", "master"?, "hairpin"?, "peerIndex"?, "addrGenMode"?,
              "vxlan"?: {"id", "local", "port"}}],
   "addresses": [{"dev", "address": "IP/PLEN"}],
   "routes": [{"dst": "default"|"CIDR", "via"?, "dev"?, "onlink", "table"?, "type"?, "kernel"?, "protocol"?}],
              (table only outside main, type only when not unicast, kernel for the connected routes the kernel made,
              protocol when neither the kernel's nor boot's: BIRD's 12, felix's 80)
   "qdiscs": [{"dev", "kind"}] (root qdiscs only),
   "nftables": ["FAMILY NAME", ...] (every nftables table, iptables-nft's included),
   "neighbours": [{"dev", "address", "lladdr", "permanent"}],
   "fdb": [{"dev", "mac", "dst"?}],
   "sysctls": {KEY: VALUE | null}}

What it reads and writes is described once, in runtime/protocol.json: `observe.request` and `observe.reply`.
"""
import json
import os
import socket
import struct
import sys

from netlab_ns import (
    ADDR_GEN_MODES,
    AF_BRIDGE,
    DEVCONF,
    IFA_ADDRESS,
    IFA_LOCAL,
    IFF_NOARP,
    IFF_UP,
    IFLA_ADDRESS,
    IFLA_AF_SPEC,
    IFLA_BRPORT_MODE,
    IFLA_IFNAME,
    IFLA_INET6_ADDR_GEN_MODE,
    IFLA_INFO_DATA,
    IFLA_INFO_KIND,
    IFLA_INFO_SLAVE_DATA,
    IFLA_LINK,
    IFLA_LINKINFO,
    IFLA_MASTER,
    IFLA_MTU,
    IFLA_VXLAN_ID,
    IFLA_VXLAN_LOCAL,
    IFLA_VXLAN_PORT,
    NDA_DST,
    NDA_IFINDEX,
    NDA_LLADDR,
    NETLINK_NETFILTER,
    NUD_PERMANENT,
    RTA_DST,
    RTA_GATEWAY,
    RTA_OIF,
    RTA_TABLE,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_GETQDISC,
    RTM_GETROUTE,
    RTNH_F_ONLINK,
    RTN_UNICAST,
    RTPROT_BOOT,
    RTPROT_KERNEL,
    RT_TABLE_LOCAL,
    RT_TABLE_MAIN,
    Namespaces,
    Netlink,
    attr,
    find_attr,
    ifinfomsg,
    ifinfomsg_of,
    interface_setting,
    link_settings,
    parse_attrs,
    pick_attrs,
    proc_net_path,
    read_request,
)

AF_INET6 = 10
ROUTE_TYPES = {1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw"}
TCA_KIND, TC_H_ROOT = 1, 0xFFFFFFFF
# nf_tables over nfnetlink: a table dump, as `nft list tables` asks for it.
NFT_MSG_GETTABLE, NFNL_SUBSYS_NFTABLES, NFTA_TABLE_NAME = 1, 10, 1
NFT_FAMILIES = {1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}


def mac(raw):
    return raw.hex(":")


def u32(raw):
    return struct.unpack("=I", raw)[0]


LINK_ATTRS = frozenset((IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_AF_SPEC))


def link_of(body):
    _, _, index, flags, _ = ifinfomsg_of(body)
    a = pick_attrs(body, LINK_ATTRS, 16)
    link = {
        "name": a.get(IFLA_IFNAME, b"").rstrip(b"\0").decode(),
        "index": index,
        "kind": "other",
        "mac": mac(a.get(IFLA_ADDRESS, b"")),
        "mtu": u32(a[IFLA_MTU]) if IFLA_MTU in a else 0,
        "up": bool(flags & IFF_UP),
        "arp": not flags & IFF_NOARP,
    }
    if IFLA_MASTER in a:
        link["master_index"] = u32(a[IFLA_MASTER])
    info = a.get(IFLA_LINKINFO, b"")
    kind = find_attr(info, IFLA_INFO_KIND)
    if kind:
        link["kind"] = kind.rstrip(b"\0").decode()
    if link["kind"] == "veth" and IFLA_LINK in a:
        link["peerIndex"] = u32(a[IFLA_LINK])
    if link["kind"] == "vxlan":
        data = parse_attrs(find_attr(info, IFLA_INFO_DATA) or b"")
        link["vxlan"] = {
            "id": u32(data[IFLA_VXLAN_ID]) if IFLA_VXLAN_ID in data else 0,
            "local": socket.inet_ntoa(data[IFLA_VXLAN_LOCAL]) if IFLA_VXLAN_LOCAL in data else "",
            "port": struct.unpack("!H", data[IFLA_VXLAN_PORT])[0] if IFLA_VXLAN_PORT in data else 0,
        }
    hairpin = find_attr(find_attr(info, IFLA_INFO_SLAVE_DATA) or b"", IFLA_BRPORT_MODE)
    if hairpin:
        link["hairpin"] = bool(hairpin[0])
    spec = a.get(IFLA_AF_SPEC, b"")
    inet6 = find_attr(spec, AF_INET6) or b""
    link["conf"] = link_settings(spec)
    mode = find_attr(inet6, IFLA_INET6_ADDR_GEN_MODE)
    if mode:
        link["addrGenMode"] = ADDR_GEN_MODES[mode[0]] if mode[0] < len(ADDR_GEN_MODES) else str(mode[0])
    return link


def conf_value(conf, family, name):
    """One of DEVCONF's settings, as sysctl prints it, from a link's raw IPv4 and IPv6 settings
    (IPv4's numbered from 1, IPv6's from 0); None when the kernel did not send it."""
    raw, first = (conf[0], 1) if family == "ipv4" else (conf[1], 0)
    at = (DEVCONF[family][name] - first) * 4
    if at + 4 > len(raw):
        return None
    return str(struct.unpack_from("=I" if family == "ipv4" else "=i", raw, at)[0])


ALL_KINDS = ("links", "addresses", "routes", "neighbours", "fdb", "qdiscs", "nftables")


def on_devices(names, index_of):
    """The ifindexes to dump entries of: 0 (every device) when no names are given; a device that is gone has none."""
    if names is None:
        return [0]
    return [index_of[n] for n in names if n in index_of]


def observe(nl, sysctls, read=ALL_KINDS, devices=None):
    links = [link_of(body) for _, body in nl.dump(RTM_GETLINK, ifinfomsg())]
    names = {l["index"]: l["name"] for l in links}
    for l in links:
        if "master_index" in l:
            l["master"] = names.get(l.pop("master_index"), "?")
    addresses = []
    for _, body in nl.dump(RTM_GETADDR, struct.pack("=BBBBI", socket.AF_INET, 0, 0, 0, 0)) if "addresses" in read else []:
        _, plen, _, _, index = struct.unpack_from("=BBBBI", body)
        a = parse_attrs(body[8:])
        raw = a.get(IFA_LOCAL) or a.get(IFA_ADDRESS)
        if raw:
            addresses.append({"dev": names.get(index, "?"), "address": f"{socket.inet_ntoa(raw)}/{plen}"})
    routes = []
    for _, body in nl.dump(RTM_GETROUTE, struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)) if "routes" in read else []:
        _, plen, _, _, table, proto, _, kind, flags = struct.unpack_from("=BBBBBBBBI", body)
        a = parse_attrs(body[12:])
        table = struct.unpack("=I", a[RTA_TABLE])[0] if RTA_TABLE in a else table
        # The local table is the kernel's own (one entry per address); every other table can steer a packet.
        if table == RT_TABLE_LOCAL:
            continue
        route = {"dst": f"{socket.inet_ntoa(a[RTA_DST])}/{plen}" if RTA_DST in a else "default", "onlink": bool(flags & RTNH_F_ONLINK)}
        if table != RT_TABLE_MAIN:
            route["table"] = table
        if kind != RTN_UNICAST:
            route["type"] = ROUTE_TYPES.get(kind, str(kind))
        if proto == RTPROT_KERNEL:
            route["kernel"] = True
        elif proto != RTPROT_BOOT:
            # Who owns it, when not `ip route` by hand or netlab: BIRD's 12, felix's 80.
            route["protocol"] = proto
        if RTA_GATEWAY in a:
            route["via"] = socket.inet_ntoa(a[RTA_GATEWAY])
        if RTA_OIF in a:
            route["dev"] = names.get(struct.unpack("=i", a[RTA_OIF])[0], "?")
        routes.append(route)
    index_of = {l["name"]: l["index"] for l in links}
    devices = devices or {}
    neighbours = []
    for index in on_devices(devices.get("neighbours"), index_of) if "neighbours" in read else []:
        # A neighbour dump is filtered by NDA_IFINDEX; an FDB dump (below) by the index in an ifinfomsg header
        # (the kernel's legacy FDB request, as `bridge fdb show dev DEV` sends it: an ndmsg one is not filtered).
        request = struct.pack("=BxxxiHBB", socket.AF_INET, 0, 0, 0, 0) + (attr(NDA_IFINDEX, struct.pack("=I", index)) if index else b"")
        for _, body in nl.dump(RTM_GETNEIGH, request):
            _, index, state, _, _ = struct.unpack_from("=BxxxiHBB", body)
            a = parse_attrs(body[12:])
            if NDA_DST in a:
                neighbours.append({"dev": names.get(index, "?"), "address": socket.inet_ntoa(a[NDA_DST]), "lladdr": mac(a.get(NDA_LLADDR, b"")), "permanent": bool(state & NUD_PERMANENT)})
    fdb = []
    for index in on_devices(devices.get("fdb"), index_of) if "fdb" in read else []:
        for _, body in nl.dump(RTM_GETNEIGH, ifinfomsg(index, family=AF_BRIDGE)):
            _, index, _, _, _ = struct.unpack_from("=BxxxiHBB", body)
            a = parse_attrs(body[12:])
            entry = {"dev": names.get(index, "?"), "mac": mac(a.get(NDA_LLADDR, b""))}
            if len(a.get(NDA_DST, b"")) == 4:
                entry["dst"] = socket.inet_ntoa(a[NDA_DST])
            fdb.append(entry)
    qdiscs = []
    for _, body in nl.dump(RTM_GETQDISC, struct.pack("=BxxxiIII", socket.AF_UNSPEC, 0, 0, 0, 0)) if "qdiscs" in read else []:
        _, index, _, parent, _ = struct.unpack_from("=BxxxiIII", body)
        kind = find_attr(body, TCA_KIND, 20)
        if parent == TC_H_ROOT and kind:
            qdiscs.append({"dev": names.get(index, "?"), "kind": kind.rstrip(b"\0").decode()})
    # Each link's settings answer the sysctls asked of it; they are not part of what is reported of the link.
    values = read_sysctls(sysctls, {link["name"]: link.pop("conf") for link in links})
    return {"links": links if "links" in read else [], "addresses": addresses, "routes": routes, "neighbours": neighbours, "fdb": fdb, "qdiscs": qdiscs, "sysctls": values}


def read_sysctls(keys, conf):
    """The values of net.* sysctls of the current namespace, None for one it lacks. An interface's own
    settings come from the link dump (`conf`, by link name); the rest from files under /proc/sys/net."""
    values, rest = {}, []
    for key in keys:
        setting = interface_setting(key)
        if setting:
            family, dev, name = setting
            values[key] = conf_value(conf[dev], family, name) if dev in conf else None
        else:
            rest.append(key)
    if not rest:
        return values
    procnet = os.open("/proc/sys/net", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for key in rest:
            try:
                fd = os.open(proc_net_path(key), os.O_RDONLY, dir_fd=procnet)
                try:
                    values[key] = os.read(fd, 4096).decode("ascii").strip()
                finally:
                    os.close(fd)
            except OSError:
                values[key] = None
    finally:
        os.close(procnet)
    return values


def nft_tables():
    """Every nftables table of the namespace the thread is in, as `FAMILY NAME`: one dump, no `nft` program
    per namespace (a pod's drop-all table is damage status must see, and a lab has thousands of pods)."""
    nl = Netlink(NETLINK_NETFILTER)
    try:
        tables = []
        for _, body in nl.dump((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, struct.pack("=BBH", socket.AF_UNSPEC, 0, 0)):
            family = body[0]
            name = find_attr(body, NFTA_TABLE_NAME, 4)
            if name:
                tables.append(NFT_FAMILIES.get(family, str(family)) + " " + name.rstrip(b"\0").decode())
        return sorted(tables)
    finally:
        nl.close()


def main():
    request = read_request(sys.stdin)
    ns = Namespaces()
    out = {}
    for item in request["namespaces"]:
        netns = item["netns"]
        try:
            ns.fd(netns)
        except OSError:
            out[netns] = None
            continue
        with ns.inside(netns):
            nl = Netlink()
            read = item.get("read", ALL_KINDS)
            try:
                out[netns] = observe(nl, item.get("sysctls", []), read, item.get("devices"))
            finally:
                nl.close()
            if "nftables" in read:
                out[netns]["nftables"] = nft_tables()
        ns.forget(netns)
    # One write of json.dumps (the C encoder): json.dump to a stream encodes in Python, chunk by chunk (2.3 s at 5,000 pods).
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
