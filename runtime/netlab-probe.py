#!/usr/bin/env python3
"""netlab's prober: many reachability probes from many namespaces, one process.

A full-mesh check of 100 pods is ~10,000 pairs; one `ping` process per pair
would take minutes. This prober enters each source namespace (setns), makes
its sockets there (a socket stays in the namespace it was made in) and drives
every probe from one event loop. It is started inside a lab namespace, so a
socket made by mistake outside a pod still cannot reach the host's network.

Input (stdin, one JSON object per line): {"protocol": 1, "parallel": N}, then rounds
{"probes": [PROBE, ...], "forget": [NETNS, ...]}, each read when the one before has ended: its probes run
together, then the learned neighbour entries of its "forget" namespaces are deleted (every namespace
shares the kernel's one neighbour table: a large mesh is checked in rounds that fit it). PROBE is
  {"id", "kind": "icmp", "netns", "dst", "count", "size", "df", "timeout"}
  {"id", "kind": "tcp" | "udp", "netns", "dst", "port", "timeout"}
  {"id", "kind": "nat", "netns", "dstNetns", "dst", "timeout"}
      a UDP datagram from netns to a socket the prober opens in dstNetns;
      reports the source address the receiver saw ("seen").
  {"id", "kind": "http", "netns", "dst", "port", "method", "path", "host"?, "headers", "tls"?, "timeout"}
      one HTTP/1.1 request (Connection: close), redirects not followed, as the
      Ingress and Gateway API conformance suites send them; reports the
      status, the response's headers and its body ("http"). With "tls":
      {"ca"}, over TLS with the host as SNI, the certificate verified.
Output (stdout): one JSON object per probe as it finishes:
  {"id", "ok", "ms", "error"?, "replies"?, "answer"?, "seen"?, "http"?}

What it reads and writes is described once, in runtime/protocol.json: `probe.header`, `probe.round` and `probe.result`.
"""
import errno
import json
import os
import resource
import selectors
import socket
import ssl
import struct
import sys
import time

from netlab_ns import Namespaces, Netlink, ProtocolError, check_protocol, forget_learned_neighbours

IP_MTU_DISCOVER = 10
IP_PMTUDISC_DO = 2
ICMP_ECHO_REPLY, ICMP_UNREACH, ICMP_ECHO = 0, 3, 8
# An HTTP answer is read whole, up to this: an echo of a request's headers is a few kilobytes.
MAX_HTTP_RESPONSE = 262144
RETRY = 0.2
UNREACHABLE = {0: "network unreachable", 1: "host unreachable", 3: "port unreachable", 4: "fragmentation needed"}


class Echoes:
    """
    Which probe an ICMP echo belongs to. Every raw socket of a namespace sees
    every ICMP packet in it, so an answer is matched by the socket it arrived
    on and its sequence number; a sequence number is reused only once the
    probe that had it is finished, so a long mesh never wraps onto a live one.
    """

    def __init__(self):
        self.owner = {}  # (socket key, seq) -> probe id
        self.held = {}  # probe id -> [(socket key, seq), ...]
        self.next = {}  # socket key -> next sequence number to try

    def allocate(self, key, pid):
        seq = self.next.get(key, 0)
        for _ in range(0x10000):
            seq = (seq + 1) & 0xFFFF
            if (key, seq) not in self.owner:
                break
        else:
            raise OSError(errno.ENOBUFS, "65536 echoes in flight on one socket")
        self.next[key] = seq
        self.owner[(key, seq)] = pid
        self.held.setdefault(pid, []).append((key, seq))
        return seq

    def probe_of(self, key, seq):
        return self.owner.get((key, seq))

    def release(self, pid):
        for entry in self.held.pop(pid, []):
            self.owner.pop(entry, None)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


TOKEN = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def http_request(p):
    """
    The request's bytes. Every field was checked by netlab's schema; checked again here, so no value can end a
    line or the head early: a method and header names are HTTP tokens, values and the path have no control bytes.
    """
    method, path, host = p["method"], p["path"], p.get("host")
    if not method or set(method) - TOKEN:
        raise OSError(errno.EINVAL, f"bad method {method!r}")
    if not path.startswith("/") or any(c <= " " or c == "\x7f" for c in path):
        raise OSError(errno.EINVAL, f"bad path {path!r}")
    headers = [("Host", host or p["dst"])] + [(n, v) for n, v in p.get("headers", [])]
    lines = [f"{method} {path} HTTP/1.1"]
    for name, value in headers:
        if not name or set(name) - TOKEN or any(ord(c) < 32 and c != "\t" or c == "\x7f" for c in value):
            raise OSError(errno.EINVAL, f"bad header {name!r}")
        lines.append(f"{name}: {value}")
    lines += ["User-Agent: netlab", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_http_response(data):
    """Status, headers (names lowercased, repeated ones joined by ', ') and body of an HTTP/1 response, or None."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if not sep or len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return {"status": int(parts[1]), "headers": headers, "body": body.decode("utf-8", "replace")}


class Prober:
    def __init__(self, parallel):
        self.ns = Namespaces()
        self.sel = selectors.DefaultSelector()
        self.waiting = []
        self.parallel = parallel
        self.active = {}  # id -> probe state
        self.icmp = {}  # (netns, df) -> raw socket
        self.echoes = Echoes()
        self.ident = os.getpid() & 0xFFFF

    # -- bookkeeping -------------------------------------------------------
    def finish(self, pid, ok, **fields):
        p = self.active.pop(pid, None)
        if p is None:
            return
        self.echoes.release(pid)
        for s in p.get("sockets", []):
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        out = {"id": pid, "ok": ok, "ms": round((time.monotonic() - p["start"]) * 1000, 1)}
        out.update({k: v for k, v in fields.items() if v is not None})
        sys.stdout.write(json.dumps(out) + "\n")

    def start_more(self):
        while self.waiting and len(self.active) < self.parallel:
            probe = self.waiting.pop()
            state = dict(probe, start=time.monotonic(), sockets=[], next_send=0.0, replies=set())
            state["deadline"] = state["start"] + float(probe.get("timeout", 3))
            self.active[probe["id"]] = state
            try:
                getattr(self, "start_" + probe["kind"])(state)
            except OSError as e:
                self.finish(probe["id"], False, error=e.strerror or str(e))

    # -- ICMP echo over one raw socket per source namespace ---------------
    def icmp_socket(self, netns, df):
        key = (netns, df)
        s = self.icmp.get(key)
        if s is None:
            s = self.ns.socket_in(netns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            if df:
                s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, ("icmp", key))
            self.icmp[key] = s
        return s

    def start_icmp(self, p):
        p["icmp_key"] = (p["netns"], bool(p.get("df")))
        p["icmp"] = self.icmp_socket(*p["icmp_key"])

    def send_icmp(self, p):
        s = p["icmp"]
        seq = self.echoes.allocate(p["icmp_key"], p["id"])
        payload = b"netlab".ljust(int(p.get("size", 56)), b"\0")
        header = struct.pack("!BBHHH", ICMP_ECHO, 0, 0, self.ident, seq)
        packet = struct.pack("!BBHHH", ICMP_ECHO, 0, checksum(header + payload), self.ident, seq) + payload
        try:
            s.sendto(packet, (p["dst"], 0))
        except OSError as e:
            if e.errno == errno.EMSGSIZE:
                self.finish(p["id"], False, error="message too long: larger than the path MTU, and DF is set")
            else:
                self.finish(p["id"], False, error=e.strerror)

    def read_icmp(self, s, key):
        while True:
            try:
                data, addr = s.recvfrom(65535)
            except BlockingIOError:
                return
            ihl = (data[0] & 0x0F) * 4
            kind, _, _, ident, seq = struct.unpack("!BBHHH", data[ihl : ihl + 8])
            if kind == ICMP_ECHO_REPLY and ident == self.ident:
                pid = self.echoes.probe_of(key, seq)
                p = self.active.get(pid)
                if p and p["kind"] == "icmp" and addr[0] == p["dst"]:
                    p["replies"].add(seq)
                    if len(p["replies"]) >= int(p.get("count", 1)):
                        self.finish(pid, True, replies=len(p["replies"]))
            elif kind == ICMP_UNREACH and len(data) >= ihl + 8 + 28:
                code = data[ihl + 1]
                inner = data[ihl + 8 :]
                inner_ihl = (inner[0] & 0x0F) * 4
                inner_dst = socket.inet_ntoa(inner[16:20])
                _, _, _, ident, seq = struct.unpack("!BBHHH", inner[inner_ihl : inner_ihl + 8])
                pid = self.echoes.probe_of(key, seq) if ident == self.ident else None
                p = self.active.get(pid)
                if p and p["kind"] == "icmp" and inner_dst == p["dst"]:
                    why = UNREACHABLE.get(code, f"code {code}")
                    if code == 4:
                        why += f" (next-hop MTU {struct.unpack('!H', data[ihl + 6 : ihl + 8])[0]})"
                    self.finish(pid, False, error=f"destination unreachable: {why} (ICMP from {addr[0]})")

    # -- TCP: connect, ask "identify", read the answer ---------------------
    def start_tcp(self, p):
        s = self.ns.socket_in(p["netns"], socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        p["sockets"].append(s)
        p["buffer"] = b""
        err = s.connect_ex((p["dst"], int(p["port"])))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, os.strerror(err))
        self.sel.register(s, selectors.EVENT_WRITE, ("tcp", p["id"]))
        p["next_send"] = float("inf")

    def on_tcp(self, s, pid, events):
        p = self.active.get(pid)
        if p is None:
            return
        if events & selectors.EVENT_WRITE and "sent" not in p:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return self.finish(pid, False, error=os.strerror(err))
            s.send(b"identify\n")
            p["sent"] = True
            self.sel.modify(s, selectors.EVENT_READ, ("tcp", pid))
            return
        try:
            chunk = s.recv(4096)
        except BlockingIOError:
            return
        except OSError as e:
            return self.finish(pid, False, error=e.strerror)
        p["buffer"] += chunk
        if not chunk or b"\n" in p["buffer"]:
            self.answered(pid, p["buffer"])

    def answered(self, pid, raw):
        text = raw.decode("utf-8", "replace").strip()
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {"hostname": text}
        if not text:
            return self.finish(pid, False, error="connection closed without an answer")
        self.finish(pid, True, answer=answer)

    # -- HTTP: one request, read to the end (Connection: close) -------------
    def start_http(self, p):
        request = http_request(p)
        s = self.ns.socket_in(p["netns"], socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        p["sockets"].append(s)
        p["buffer"] = b""
        p["request"] = request
        err = s.connect_ex((p["dst"], int(p["port"])))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, os.strerror(err))
        self.sel.register(s, selectors.EVENT_WRITE, ("http", p["id"]))
        p["next_send"] = float("inf")

    def on_http(self, s, pid, events):
        p = self.active.get(pid)
        if p is None:
            return
        if "connected" not in p:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return self.finish(pid, False, error=os.strerror(err))
            p["connected"] = True
            if "tls" in p:
                s = self.start_tls(p, s)
        if "tls" in p and "handshaken" not in p:
            if not self.handshake(p, s):
                return
        if "sent" not in p:
            s.setblocking(True)
            s.settimeout(max(0.1, p["deadline"] - time.monotonic()))
            s.sendall(p["request"])
            s.setblocking(False)
            p["sent"] = True
            self.sel.modify(s, selectors.EVENT_READ, ("http", pid))
            return
        try:
            chunk = s.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            chunk = b""
        except OSError as e:
            return self.finish(pid, False, error=e.strerror or str(e))
        p["buffer"] += chunk
        if chunk and len(p["buffer"]) < MAX_HTTP_RESPONSE:
            return
        response = parse_http_response(p["buffer"])
        if response is None:
            return self.finish(pid, False, error="connection closed without an HTTP answer")
        self.finish(pid, True, http=response)

    def start_tls(self, p, s):
        """The connected socket wrapped for TLS: the host as SNI, the server's certificate checked against the CA."""
        context = ssl.create_default_context(cafile=p["tls"]["ca"])
        # The Host header's name without its port: the schema allows only NAME or NAME:PORT there.
        name = (p.get("host") or p["dst"]).split(":")[0]
        wrapped = context.wrap_socket(s, server_hostname=name, do_handshake_on_connect=False)
        self.sel.unregister(s)
        p["sockets"] = [wrapped]
        self.sel.register(wrapped, selectors.EVENT_READ | selectors.EVENT_WRITE, ("http", p["id"]))
        return wrapped

    def handshake(self, p, s):
        """One step of the TLS handshake; True once it is done, False while it waits (or failed and finished the probe)."""
        try:
            s.do_handshake()
        except ssl.SSLWantReadError:
            self.sel.modify(s, selectors.EVENT_READ, ("http", p["id"]))
            return False
        except ssl.SSLWantWriteError:
            self.sel.modify(s, selectors.EVENT_WRITE, ("http", p["id"]))
            return False
        except ssl.SSLCertVerificationError as e:
            self.finish(p["id"], False, error=f"TLS: the certificate does not verify: {e.verify_message}")
            return False
        except (ssl.SSLError, OSError) as e:
            self.finish(p["id"], False, error=f"TLS: {getattr(e, 'reason', None) or e}")
            return False
        p["handshaken"] = True
        return True

    # -- UDP: a connected socket, so ICMP port-unreachable shows as ECONNREFUSED
    def start_udp(self, p):
        s = self.ns.socket_in(p["netns"], socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        p["sockets"].append(s)
        s.connect((p["dst"], int(p["port"])))
        self.sel.register(s, selectors.EVENT_READ, ("udp", p["id"]))

    def send_udp(self, p):
        try:
            p["sockets"][0].send(b"identify")
        except OSError as e:
            self.finish(p["id"], False, error=e.strerror)

    def on_udp(self, s, pid):
        try:
            data = s.recv(65535)
        except BlockingIOError:
            return
        except OSError as e:
            return self.finish(pid, False, error=e.strerror)
        self.answered(pid, data)

    # -- no NAT: what source address does the receiver see? ----------------
    def start_nat(self, p):
        rx = self.ns.socket_in(p["dstNetns"], socket.AF_INET, socket.SOCK_DGRAM)
        rx.bind(("0.0.0.0", 0))
        rx.setblocking(False)
        tx = self.ns.socket_in(p["netns"], socket.AF_INET, socket.SOCK_DGRAM)
        tx.setblocking(False)
        p["sockets"] += [rx, tx]
        p["port"] = rx.getsockname()[1]
        self.sel.register(rx, selectors.EVENT_READ, ("nat", p["id"]))

    def send_nat(self, p):
        try:
            p["sockets"][1].sendto(b"netlab", (p["dst"], p["port"]))
        except OSError as e:
            self.finish(p["id"], False, error=e.strerror)

    def on_nat(self, s, pid):
        try:
            _, addr = s.recvfrom(65535)
        except BlockingIOError:
            return
        self.finish(pid, True, seen=addr[0])

    # -- the loop -----------------------------------------------------------
    def run_rounds(self, rounds):
        for r in rounds:
            self.run(r["probes"])
            self.forget(r.get("forget", []))

    def forget(self, namespaces):
        """Empties what a round taught the namespaces' neighbour caches, and lets go of their files and sockets."""
        for key in list(self.icmp):
            self.sel.unregister(self.icmp[key])
            self.icmp.pop(key).close()
        for netns in namespaces:
            with self.ns.inside(netns):
                nl = Netlink()
                try:
                    forget_learned_neighbours(nl)
                finally:
                    nl.close()
        for netns in list(self.ns.fds):
            self.ns.forget(netns)

    def run(self, probes):
        self.waiting = list(reversed(probes))
        self.start_more()
        while self.active or self.waiting:
            now = time.monotonic()
            for pid, p in list(self.active.items()):
                if now >= p["deadline"]:
                    got = len(p["replies"])
                    why = f"timed out after {p['timeout']} s" + (f" ({got} of {p.get('count')} replies)" if p["kind"] == "icmp" else "")
                    self.finish(pid, False, error=why, replies=got if p["kind"] == "icmp" else None)
                elif now >= p["next_send"]:
                    p["next_send"] = now + RETRY
                    sender = getattr(self, "send_" + p["kind"], None)
                    if sender:
                        sender(p)
            self.start_more()
            if not self.active:
                continue
            wake = min(min(p["deadline"], p["next_send"]) for p in self.active.values())
            for key, events in self.sel.select(max(0.0, wake - time.monotonic())):
                role, ref = key.data
                if role == "icmp":
                    self.read_icmp(key.fileobj, ref)
                elif role == "tcp":
                    self.on_tcp(key.fileobj, ref, events)
                elif role == "udp":
                    self.on_udp(key.fileobj, ref)
                elif role == "http":
                    self.on_http(key.fileobj, ref, events)
                else:
                    self.on_nat(key.fileobj, ref)
            sys.stdout.flush()
        sys.stdout.flush()


def main():
    # One socket per port per pod: a big lab needs more than the usual 1024 files.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        header = json.loads(sys.stdin.readline())
        check_protocol(header)
    except (ValueError, ProtocolError) as e:
        raise SystemExit(f"error: request: {e}")
    # Rounds are read one at a time: netlab writes the next while this one runs.
    Prober(int(header.get("parallel", 256))).run_rounds(json.loads(line) for line in sys.stdin if line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
