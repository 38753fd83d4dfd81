#!/usr/bin/env python3
"""Watches a lab's pod namespaces for changes, so `status` need not read 10,000 of them.

Started by `up` inside the lab's fabric namespace when the lab is built as
planned (that moment is the baseline), it gives each watched namespace an
id (RTM_NEWNSID) in a nameless namespace of its own sockets (one per shard
of SHARD_SIZE namespaces), and listens on their rtnetlink sockets with
NETLINK_LISTEN_ALL_NSID: the kernel then tells it of every link, IPv4
address, IPv4 route and IPv4 netconf change in any of them, each message
marked with the id of the namespace it came from. Any of them marks
its namespace changed, but a link's news that leaves what netlab planned
of the link as the baseline has it (a carrier coming up a moment later).

What the kernel does not notify is checked when asked:
  - an interface's settings (arp_notify, accept_ra, ... written to /proc/sys
    send no message): each device netlab sets some on is asked for by id
    (IFLA_TARGET_NETNSID, no setns) and all its IPv4 and IPv6 settings
    compared with the baseline's, byte for byte;
  - the namespace itself: the file under /run/netns must still be the
    namespace watched (a namespace deleted and made again under the same
    name is another one, and has no id here).
A namespace found changed stays changed: only a new baseline (`up`) clears it.
If the socket ever overflows (ENOBUFS), events were lost and every namespace
counts as changed.

Usage: netlab-watch.py CONFIG, CONFIG a JSON file:
  {"protocol": 1, "socket": PATH, "namespaces": [{"netns", "devices": [DEV, ...]}, ...], "peers"?: [NETNS, ...],
   "receiveBuffer"?: BYTES}
where "devices" are those whose settings are compared, and "peers" the namespaces at the other end of the
watched ones' veths (not watched: given the first ids, see Watch).
Says "ready PID" on stdout once the baseline is taken, then answers each
connection to the Unix socket PATH: a request line {"protocol": 1} gets one
line back:
  {"protocol": 1, "pid", "watched": SHA256, "lost": bool, "changed": [NETNS, ...]}
where SHA256 is the hex sha256 of the watched names joined by newlines (which list it was given).

What it reads and writes is described once, in runtime/protocol.json: `watch.config`, `watch.request`, `watch.reply` and `watch.error`.
"""
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys

from netlab_ns import (
    IFF_NOARP,
    IFF_UP,
    IFLA_ADDRESS,
    IFLA_AF_SPEC,
    IFLA_EXT_MASK,
    IFLA_IFNAME,
    IFLA_INET6_ADDR_GEN_MODE,
    IFLA_INFO_KIND,
    IFLA_LINK,
    IFLA_LINKINFO,
    IFLA_MASTER,
    IFLA_MTU,
    IFLA_TARGET_NETNSID,
    NETLINK_NETFILTER,
    NETNSA_FD,
    NETNSA_NSID,
    NETNS_DIR,
    RTEXT_FILTER_SKIP_STATS,
    RTM_DELNSID,
    RTM_GETLINK,
    RTM_NEWLINK,
    RTM_NEWNSID,
    PROTOCOL,
    Netlink,
    ProtocolError,
    attr,
    check_protocol,
    find_attr,
    ifinfomsg,
    link_settings,
    messages,
    nameless_netns,
    parse_attrs,
    pick_attrs,
)

SOL_NETLINK, SO_RCVBUFFORCE = 270, 33
NETLINK_ADD_MEMBERSHIP, NETLINK_LISTEN_ALL_NSID = 1, 8
# The rtnetlink groups whose messages change what `status` compares (linux/rtnetlink.h, enum rtnetlink_groups).
RTNLGRP_LINK, RTNLGRP_TC, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_NETCONF, RTNLGRP_NSID = 1, 4, 5, 7, 24, 28
# RTNLGRP_TC: a qdisc added by hand (netem loss 100%) changes packets and is in no other group.
GROUPS = (RTNLGRP_LINK, RTNLGRP_TC, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_NETCONF)
DEFAULT_RECEIVE_BUFFER = 16 << 20
REQUEST_TIMEOUT_S = 5


def rtgen(family=socket.AF_UNSPEC):
    return struct.pack("=Bxxx", family)


def give_id(nl, fd, nsid):
    """Gives the namespace open at `fd` the id `nsid` here."""
    nl.request(RTM_NEWNSID, 0, rtgen() + attr(NETNSA_FD, struct.pack("=I", fd)) + attr(NETNSA_NSID, struct.pack("=i", nsid)))


def device_settings(link):
    """A link's index and all its IPv4 and IPv6 settings, raw bytes, from an RTM_NEWLINK's body."""
    return (link[4:8], *link_settings(find_attr(link, IFLA_AF_SPEC, 16) or b""))


def settings_of(nl, nsid, device):
    """The index and the IPv4 and IPv6 settings of `device` in the namespace with id `nsid`, raw bytes.
    One link is asked for by name (IFLA_TARGET_NETNSID: no setns): half the cost of dumping a pod's two."""
    body = ifinfomsg() + attr(IFLA_TARGET_NETNSID, struct.pack("=i", nsid))
    body += attr(IFLA_EXT_MASK, struct.pack("=I", RTEXT_FILTER_SKIP_STATS)) + attr(IFLA_IFNAME, device.encode() + b"\0")
    return device_settings(nl.get(RTM_GETLINK, body))


def all_settings(nl, nsid, devices):
    return tuple(settings_of(nl, nsid, d) for d in devices)


# What netlab plans of a link, as an RTM_NEWLINK carries it. Its operational state is not: the kernel
# notifies carrier and operstate changes up to a second after a link comes up, and `status` checks neither.
LINK_FACTS = frozenset((IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER))


def link_facts(body):
    """(ifindex, what netlab plans of the link) from an RTM_NEWLINK's body."""
    index, flags = struct.unpack_from("=iI", body, 4)
    a = pick_attrs(body, LINK_FACTS, 16)
    inet6 = find_attr(find_attr(body, IFLA_AF_SPEC, 16) or b"", socket.AF_INET6) or b""
    kind = find_attr(find_attr(body, IFLA_LINKINFO, 16) or b"", IFLA_INFO_KIND)
    # ARP off (`ip link set eth0 arp off`) is planned state too: the pod stops answering for its address.
    return index, (flags & (IFF_UP | IFF_NOARP), tuple(sorted(a.items())), kind, find_attr(inet6, IFLA_INET6_ADDR_GEN_MODE))


def baseline_of(nl, nsid, devices):
    """The namespace with id `nsid` as it is now, from one dump of its links: every link's facts by
    ifindex, and the settings of `devices` (None for one it lacks)."""
    body = ifinfomsg() + attr(IFLA_TARGET_NETNSID, struct.pack("=i", nsid))
    body += attr(IFLA_EXT_MASK, struct.pack("=I", RTEXT_FILTER_SKIP_STATS))
    links, settings = {}, {}
    for _, link in nl.dump(RTM_GETLINK, body):
        index, facts = link_facts(link)
        links[index] = facts
        name = dict(facts[1]).get(IFLA_IFNAME, b"").rstrip(b"\0").decode()
        if name in devices:
            settings[name] = device_settings(link)
    return links, tuple(settings.get(d) for d in devices)


def identity(path):
    """What tells a namespace file's namespace from another: nsfs device and inode (while it lives)."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


# Namespaces per shard. The kernel finds a namespace's id by walking every id of the namespace asked, in
# order: at each id given, so giving n ids in one namespace is quadratic (2.2 s for 10,000; in shards of 500,
# 0.1 s). At each notification it still walks every shard's ids: the cost to the host the README states.
SHARD_SIZE = 500


NFNLGRP_NFTABLES = 7


def listener(protocol, groups, receive_buffer):
    """A socket that hears these groups of every namespace with an id here, without blocking."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol)
    # Root may size the buffer past rmem_max: a burst of changes must not overflow it.
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer)
    # Bound (the kernel picks the port id): an unbound socket joins the groups but is given nothing.
    sock.bind((0, 0))
    sock.setsockopt(SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, 1)
    for group in groups:
        sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
    sock.setblocking(False)
    return sock


def queued(sock, watch):
    """Every message queued on a listening socket, with the id of the namespace it came from (None: the
    socket's own). ENOBUFS means the kernel dropped some: the watch says so, and status reads everything."""
    while True:
        try:
            data, ancillary, _, _ = sock.recvmsg(1 << 16, socket.CMSG_SPACE(4))
        except BlockingIOError:
            return
        except OSError as e:
            if e.errno != 105:  # ENOBUFS
                raise
            watch.lost = True
            continue
        nsid = None
        for level, kind, value in ancillary:
            if level == SOL_NETLINK and kind == NETLINK_LISTEN_ALL_NSID:
                nsid = struct.unpack("=i", value[:4])[0]
        yield data, nsid


class Shard:
    """Some of the watched namespaces, with ids in a namespace of the shard's own sockets: a nameless one, so
    the lab's fabric keeps the ids the kernel gave its veths, and a watcher started again starts with none."""

    def __init__(self, receive_buffer):
        with nameless_netns():
            self.events = listener(socket.NETLINK_ROUTE, GROUPS, receive_buffer)
            # nf_tables news (a table, chain or rule added in a pod: a drop-all table) comes over nfnetlink; its
            # ids are the same, given in this namespace.
            self.nf_events = listener(NETLINK_NETFILTER, (NFNLGRP_NFTABLES,), receive_buffer)
            # Requests go on a socket of their own: their answers must not queue behind notifications.
            self.nl = Netlink()
        self.names = {}  # nsid -> watched namespace
        self.links = {}  # nsid -> {ifindex: facts} at the baseline
        self.next_id = 0

    def give(self, path):
        """Gives the namespace at `path` the next id here; returns the id and the namespace file's stat."""
        fd = os.open(path, os.O_RDONLY)
        try:
            give_id(self.nl, fd, self.next_id)
            self.next_id += 1
            return self.next_id - 1, os.fstat(fd)
        finally:
            os.close(fd)

    def close(self):
        self.events.close()
        self.nf_events.close()
        self.nl.close()

    def drain(self, watch):
        """Takes in every notification the kernel has queued: each marks the namespace it came from."""
        self.drain_nf(watch)
        self.drain_route(watch)

    def drain_nf(self, watch):
        """nf_tables news: netlab plans no table in a watched pod, so any news marks it."""
        for _, nsid in queued(self.nf_events, watch):
            if nsid in self.names:
                watch.changed.add(self.names[nsid])

    def drain_route(self, watch):
        for data, nsid in queued(self.events, watch):
            if nsid is not None:
                if nsid in self.names and any(not self.as_built(nsid, kind, body) for kind, _, _, body in messages(data)):
                    watch.changed.add(self.names[nsid])
                continue
            # From the shard's own namespace: a watched namespace that ended loses its id here (RTM_DELNSID).
            for kind, _, _, body in messages(data):
                gone = parse_attrs(body[4:]).get(NETNSA_NSID) if kind == RTM_DELNSID else None
                name = self.names.get(struct.unpack("=i", gone)[0]) if gone is not None else None
                if name is not None:
                    watch.changed.add(name)

    def as_built(self, nsid, kind, body):
        """Whether a notification leaves what netlab planned as it was: only a link's news can (RTM_NEWLINK
        saying what the baseline says, as for a carrier that came up); any other change counts."""
        if kind != RTM_NEWLINK:
            return False
        index, facts = link_facts(body)
        return self.links[nsid].get(index) == facts


class Watch:
    """The watched namespaces, their baseline, and what the kernel has said of them since."""

    def __init__(self, namespaces, peers=(), receive_buffer=DEFAULT_RECEIVE_BUFFER, netns_dir=NETNS_DIR):
        self.dir = netns_dir
        self.changed = set()
        self.lost = False
        self.digest = hashlib.sha256("\n".join(n["netns"] for n in namespaces).encode()).hexdigest()
        self.shards = [Shard(receive_buffer) for _ in range(0, len(namespaces), SHARD_SIZE)]
        self.watched = {}
        # Ids before any read: reading a pod's links gives its veth's other end (a node) an id too, and that
        # is looked up at every read of the veth: the peers get the first ids, found first.
        for shard in self.shards:
            for peer in peers:
                shard.give(os.path.join(self.dir, peer))
        given = []
        for i, item in enumerate(namespaces):
            shard = self.shards[i // SHARD_SIZE]
            given.append((shard, *shard.give(os.path.join(self.dir, item["netns"]))))
        # Deaths (RTM_DELNSID) are listened to once the ids are given: each id given is announced to the
        # group, and every shard listening would walk its ids for each.
        for shard in self.shards:
            shard.events.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_NSID)
        for item, (shard, nsid, st) in zip(namespaces, given):
            name, devices = item["netns"], tuple(item.get("devices", ()))
            shard.links[nsid], settings = baseline_of(shard.nl, nsid, devices)
            shard.names[nsid] = name
            self.watched[name] = (shard, nsid, st.st_dev, st.st_ino, devices, settings)

    def close(self):
        for shard in self.shards:
            shard.close()

    def drain(self):
        for shard in self.shards:
            shard.drain(self)

    def report(self):
        """What changed since the baseline: notified, or found by comparing what the kernel does not notify."""
        self.drain()
        for name, (shard, nsid, dev, ino, devices, settings) in self.watched.items():
            if name in self.changed:
                continue
            try:
                same = identity(os.path.join(self.dir, name)) == (dev, ino) and all_settings(shard.nl, nsid, devices) == settings
            except OSError:
                same = False
            if not same:
                self.changed.add(name)
        self.drain()
        return {"watched": self.digest, "lost": self.lost, "changed": sorted(self.changed)}


def answer(conn, watch):
    conn.settimeout(REQUEST_TIMEOUT_S)
    reader = conn.makefile("rb")
    try:
        try:
            check_protocol(json.loads(reader.readline() or b"null"))
            reply = {"protocol": PROTOCOL, "pid": os.getpid(), **watch.report()}
        except (ValueError, ProtocolError) as e:
            reply = {"error": f"request: {e}"}
        conn.sendall(json.dumps(reply).encode() + b"\n")
    except OSError:
        pass  # The asker went away: nothing to tell.
    finally:
        reader.close()
        conn.close()


def serve(watch, path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    old = os.umask(0o077)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    server.listen(8)
    print(f"ready {os.getpid()}", flush=True)
    poller = select.poll()
    shards = {sock.fileno(): shard for shard in watch.shards for sock in (shard.events, shard.nf_events)}
    for fd in shards:
        poller.register(fd, select.POLLIN)
    poller.register(server, select.POLLIN)
    while True:
        for fd, _ in poller.poll():
            if fd == server.fileno():
                conn, _ = server.accept()
                answer(conn, watch)
            else:
                shards[fd].drain(watch)


def main(argv):
    if len(argv) != 2:
        raise SystemExit("usage: netlab-watch.py CONFIG")
    with open(argv[1], encoding="utf-8") as f:
        config = json.load(f)
    try:
        check_protocol(config)
    except ProtocolError as e:
        raise SystemExit(f"error: config: {e}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    watch = Watch(config["namespaces"], config.get("peers", []), config.get("receiveBuffer", DEFAULT_RECEIVE_BUFFER))
    try:
        serve(watch, config["socket"])
    finally:
        watch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
