#!/usr/bin/env python3
"""MetalLB's layer 2 speaker, for one node of a lab.

One process per node, started inside the node's network namespace, so
`netlab down` finds it by namespace. It does what MetalLB's speaker does in
L2 mode (metallb/metallb speaker/layer2_controller.go, internal/layer2):

- every speaker elects, on its own, the node that announces each address:
  among the nodes whose speaker is alive (and, under externalTrafficPolicy
  Local, that hold a ready endpoint), the first by sha256(node + "#" + ip);
- the elected one answers ARP requests for the address from its eth0 MAC,
  without ever putting the address on an interface;
- on every claim it sends MetalLB's gratuitous ARP: a broadcast request and
  a broadcast reply at 0, 1.1, 2.2, 3.3 and 4.4 s, so clients' neighbour
  tables follow the address to its new node.

MetalLB learns which speakers are alive from hashicorp/memberlist (UDP and
TCP on 7946). This speaker says "alive" in a UDP datagram to every peer every
HEARTBEAT_S and counts a peer dead after DEAD_AFTER_S of silence: the same
idea, with a simpler and faster detector (docs/loadbalancer.md compares them).

It logs each decision to stderr (the lab's speaker log), one line each.
Only the Python standard library. What it reads is described once, in
runtime/protocol.json: `speaker.config`.
"""
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time

from netlab_ns import ProtocolError, check_protocol

ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6
ARP_REQUEST = 1
ARP_REPLY = 2
# internal/layer2/announcer.go: the first burst at once, then a 1100 ms ticker for as long as the address is in the
# "spam" map, which is 5 s after the claim: five rounds.
GRATUITOUS_AT_S = (0.0, 1.1, 2.2, 3.3, 4.4)
HEARTBEAT_S = 0.2
DEAD_AFTER_S = 1.0
# A speaker that has just started has heard nobody yet: it listens this long before it decides, so it does not
# claim every address for a moment (memberlist's join plays this part in MetalLB).
WARM_UP_S = DEAD_AFTER_S
TICK_S = 0.05


def election_order(nodes, ip):
    """speaker/layer2_controller.go ShouldAnnounce: sha256(node + "#" + ip), compared bytewise, ascending."""
    return sorted(nodes, key=lambda n: hashlib.sha256(f"{n}#{ip}".encode()).digest())


def candidates(entry, alive):
    """The nodes that may announce `entry` while the speakers in `alive` are up, in election order; none without an endpoint."""
    if not entry["endpointNodes"]:
        return []
    nodes = [n for n in entry["nodes"] if n in alive]
    if entry["local"]:
        nodes = [n for n in nodes if n in entry["endpointNodes"]]
    return election_order(nodes, entry["ip"])


def owner(entry, alive):
    """The node that announces `entry` when the speakers in `alive` are up, or None."""
    order = candidates(entry, alive)
    return order[0] if order else None


def ip_bytes(ip):
    return socket.inet_aton(ip)


def mac_bytes(mac):
    return bytes(int(b, 16) for b in mac.split(":"))


def arp_frame(dst_mac, src_mac, op, sha, spa, tha, tpa):
    """An Ethernet frame carrying one IPv4-over-Ethernet ARP packet (RFC 826)."""
    return dst_mac + src_mac + struct.pack("!H", ETH_P_ARP) + struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def parse_arp(frame):
    """(eth dst, op, sender MAC, sender IP, target IP) of an ARP frame, or None."""
    if len(frame) < 42 or frame[12:14] != struct.pack("!H", ETH_P_ARP):
        return None
    htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", frame[14:22])
    if (htype, ptype, hlen, plen) != (1, 0x0800, 6, 4):
        return None
    return frame[0:6], op, frame[22:28], frame[28:32], frame[38:42]


def gratuitous(mac, ip):
    """MetalLB's pair (internal/layer2/arp.go gratuitous): a request and a reply, both broadcast, sender = target = ip."""
    m, a = mac_bytes(mac), ip_bytes(ip)
    return [arp_frame(BROADCAST, m, op, m, a, BROADCAST, a) for op in (ARP_REQUEST, ARP_REPLY)]


def reply_to(request_sha, request_spa, mac, ip):
    """arp.Client.Reply: to the asker, from this interface's MAC, saying ip is here."""
    m = mac_bytes(mac)
    return arp_frame(request_sha, m, ARP_REPLY, m, ip_bytes(ip), request_sha, request_spa)


class Speaker:
    def __init__(self, config, now=time.monotonic):
        self.config = config
        self.now = now
        self.me = config["node"]
        self.mac = config["mac"]
        self.peers = {p["node"]: p["address"] for p in config["peers"] if p["node"] != self.me}
        self.seen = {}
        self.owned = {}  # ip -> the moment this speaker (re)claimed it: its gratuitous rounds count from there
        self.entries = config["announce"]
        self.members = None

    def alive(self):
        t = self.now()
        return {self.me} | {n for n, at in self.seen.items() if t - at < DEAD_AFTER_S}

    def heard(self, node):
        if node in self.peers:
            self.seen[node] = self.now()

    def decide(self):
        """
        The addresses this speaker announces now: (claimed, released, refreshed) since the last call. A change of
        membership makes MetalLB's speaker process every Service again, and SetBalancer on an address it keeps
        restarts the gratuitous rounds (internal/layer2/announcer.go): clients that followed another node come back.
        """
        alive = self.alive()
        changed = self.members is not None and alive != self.members
        self.members = alive
        mine = {}
        order = {}
        for e in self.entries:
            ranked = candidates(e, alive)
            if ranked and ranked[0] == self.me:
                mine.setdefault(e["ip"], []).append(e["service"])
                order[e["ip"]] = ranked
        claimed = [(ip, svcs, order[ip]) for ip, svcs in mine.items() if ip not in self.owned]
        released = [ip for ip in self.owned if ip not in mine]
        refreshed = [ip for ip in self.owned if ip in mine] if changed else []
        t = self.now()
        for ip, _, _ in claimed:
            self.owned[ip] = t
        for ip in refreshed:
            self.owned[ip] = t
        for ip in released:
            del self.owned[ip]
        return claimed, released, refreshed

    def due(self, last, t):
        """The gratuitous rounds that fell due between `last` and `t` for each owned address."""
        out = []
        for ip, since in self.owned.items():
            for at in GRATUITOUS_AT_S:
                if last < since + at <= t:
                    out.append(ip)
        return out

    def answers(self, frame):
        """The reply to an ARP request for an address this speaker owns, or None."""
        arp = parse_arp(frame)
        if arp is None:
            return None
        dst, op, sha, spa, tpa = arp
        if op != ARP_REQUEST or dst not in (BROADCAST, mac_bytes(self.mac)):
            return None
        ip = socket.inet_ntoa(tpa)
        if ip not in self.owned:
            return None
        return reply_to(sha, spa, self.mac, ip)


def log(line):
    """One decision, stamped with the wall clock to the millisecond, so a failover can be timed from the logs."""
    t = time.time()
    print(f"{time.strftime('%H:%M:%S', time.localtime(t))}.{int(t * 1000) % 1000:03d} {line}", file=sys.stderr, flush=True)


def serve(speaker, config):
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    raw.bind((config["interface"], ETH_P_ARP))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((config["address"], config["port"]))
    hello = json.dumps({"lab": config["lab"], "node": speaker.me}).encode()
    next_beat = 0.0
    warm_until = speaker.now() + WARM_UP_S
    last = speaker.now() - 1.0
    ready = False
    while True:
        t = speaker.now()
        if t >= next_beat:
            for address in speaker.peers.values():
                try:
                    udp.sendto(hello, (address, config["port"]))
                except OSError:
                    pass  # unplugged: the peers will count this node dead, as memberlist would
            next_beat = t + HEARTBEAT_S
        if t < warm_until:
            listen(speaker, raw, udp, config)
            continue
        claimed, released, refreshed = speaker.decide()
        for ip, services, order in claimed:
            log(f"announce {ip} ({', '.join(services)}): first of {', '.join(order)} by sha256(node#ip)")
        for ip in released:
            log(f"withdraw {ip}")
        for ip in refreshed:
            log(f"reannounce {ip}: the speakers alive are now {', '.join(sorted(speaker.members))}")
        t = speaker.now()
        for ip in speaker.due(last, t):
            for frame in gratuitous(speaker.mac, ip):
                try:
                    raw.send(frame)
                except OSError:
                    pass
            log(f"gratuitous {ip}")
        last = t
        if not ready:
            # Tell netlab the peers are heard and the first claims made; then let go of its pipe.
            sys.stdout.write(f"ready {os.getpid()}\n")
            sys.stdout.flush()
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            ready = True
        listen(speaker, raw, udp, config)


def listen(speaker, raw, udp, config):
    """One tick of listening: peers' heartbeats, and ARP requests answered for the addresses this speaker owns."""
    readable, _, _ = select.select([raw, udp], [], [], TICK_S)
    for sock in readable:
        if sock is udp:
            data, _ = udp.recvfrom(512)
            try:
                msg = json.loads(data)
            except ValueError:
                continue
            if isinstance(msg, dict) and msg.get("lab") == config["lab"] and isinstance(msg.get("node"), str):
                speaker.heard(msg["node"])
        else:
            frame, where = raw.recvfrom(2048)
            if where[2] == socket.PACKET_OUTGOING:
                continue  # this node's own ARP (its kernel asking, or this speaker's answers), seen on the way out
            answer = speaker.answers(frame)
            if answer is not None:
                try:
                    raw.send(answer)
                except OSError:
                    pass


def main():
    if len(sys.argv) != 2:
        print("usage: netlab-speaker.py CONFIG.json", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            config = json.load(f)
        check_protocol(config)
    except (OSError, ValueError, ProtocolError) as e:
        print(f"error: config: {e}", file=sys.stderr)
        return 2
    try:
        serve(Speaker(config), config)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
