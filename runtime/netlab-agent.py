#!/usr/bin/env python3
"""netlab's container runtime: serves every listening port of a lab's pods.

One process per lab, started inside the lab's fabric namespace, so `netlab
down` finds it by namespace. For each pod it enters the pod's network
namespace (setns), opens that pod's TCP and UDP sockets there, and comes back:
a socket stays in the namespace it was made in, so each pod's ports live in
the pod, and its containers reach each other on 127.0.0.1.

It answers like the Kubernetes e2e tests' netexec (agnhost):
  hostname         the pod's name (also the answer to anything it does not know)
  clientip         the address and port the request came from, as the pod saw it
  container        the name of the container serving this port
  identify         all three as JSON: {"hostname", "clientip", "container"}
  echo TEXT        TEXT
over TCP as one line (or an HTTP GET of /hostname, /clientip, /container,
/echo?msg=TEXT) and over UDP as one datagram. Any other HTTP request (any
method, any path) is answered as the Ingress conformance suite's echo
server answers it (ingress-conformance-echo): 200 and a JSON body with the
request's path, host, method, proto and headers, and the pod that served it.

It also serves kube-proxy's health check ports (healthCheckNodePort, for
LoadBalancer Services under externalTrafficPolicy Local) in each node's
namespace, answering as kube-proxy's service health server does.

Only the Python standard library: it must start on a bare Debian or Ubuntu.

What it reads and writes is described once, in runtime/protocol.json: `agent.config`.
"""
import json
import os
import re
import resource
import selectors
import signal
import socket
import sys
import urllib.parse

from netlab_ns import Namespaces, ProtocolError, check_protocol

MAX_REQUEST = 4096
# An HTTP request's head and body are read whole before the answer: bounded, so a client cannot make the runtime hoard memory.
MAX_HTTP_REQUEST = 65536
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")
NETEXEC_PATHS = ("hostname", "clientip", "container", "echo")


def answer(request, pod, container, peer):
    words = request.strip().split(" ", 1)
    verb = words[0].lower() if words and words[0] else "hostname"
    if verb == "clientip":
        return f"{peer[0]}:{peer[1]}"
    if verb == "container":
        return container
    if verb == "identify":
        return json.dumps({"hostname": pod, "clientip": f"{peer[0]}:{peer[1]}", "container": container})
    if verb == "echo":
        return words[1] if len(words) > 1 else ""
    return pod


def answer_http(first_line, pod, container, peer):
    parts = first_line.split(" ")
    url = urllib.parse.urlsplit(parts[1] if len(parts) > 1 else "/")
    query = urllib.parse.parse_qs(url.query)
    path = url.path.strip("/")
    if path == "echo":
        body = query.get("msg", [""])[0]
    else:
        body = answer(path or "hostname", pod, container, peer)
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
    )


def http_request_complete(data):
    """Whether an HTTP request's head and its Content-Length body have all arrived (or the bound is reached)."""
    if len(data) >= MAX_HTTP_REQUEST:
        return True
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(body) >= min(int(value.strip()), MAX_HTTP_REQUEST)
            except ValueError:
                return True
    return True


def parse_http(data):
    """Method, target, proto and headers (names as sent, in order) of an HTTP/1 request head."""
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    method = parts[0]
    target = parts[1] if len(parts) > 1 else "/"
    proto = parts[2] if len(parts) > 2 else "HTTP/1.0"
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return method, target, proto, headers


def echo_http(data, pod, container, peer):
    """
    ingress-conformance-echo's answer: 200 and JSON of what arrived, so a test sees the routing (which pod, which
    path, which Host) and every header the proxy set. Headers are grouped by canonical name, values in order, as
    Go's http.Header holds them.
    """
    method, target, proto, headers = parse_http(data)
    url = urllib.parse.urlsplit(target)
    grouped = {}
    for name, value in headers:
        grouped.setdefault("-".join(w.capitalize() for w in name.split("-")), []).append(value)
    host = next((v for n, v in headers if n.lower() == "host"), "")
    body = json.dumps({
        "path": url.path,
        "query": url.query,
        "host": host,
        "method": method,
        "proto": proto,
        "headers": grouped,
        "pod": pod,
        "container": container,
        "clientip": f"{peer[0]}:{peer[1]}",
    })
    extra = "".join(f"{name}: {value}\r\n" for name, value in echo_set_headers(headers))
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
        f"{extra}Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
    )


HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
HEADER_VALUE = re.compile(r"^[ -~]{0,256}$")


def echo_set_headers(headers):
    """
    The response headers a request asks for in X-Echo-Set-Header ("Name:value,Name2:value2"), as the Gateway API
    suite's echo-basic sets them, so a test can see what a ResponseHeaderModifier does to a backend's headers. Only
    names of letters, digits and '-' and printable values are taken: nothing in them can end a header line.
    """
    out = []
    for name, value in headers:
        if name.lower() != "x-echo-set-header":
            continue
        for pair in value.split(","):
            key, sep, val = pair.partition(":")
            key, val = key.strip(), val.strip()
            if sep and HEADER_NAME.match(key) and HEADER_VALUE.match(val):
                out.append((key, val))
    return out[:32]


def answer_health(check):
    """
    kube-proxy's service health server (pkg/proxy/healthcheck/service_health.go): any path, JSON, 200 when the node
    has a local ready endpoint of the Service, 503 when it has none, so a load balancer sends only to nodes that serve.
    """
    body = json.dumps({
        "service": {"namespace": check["namespace"], "name": check["name"]},
        "localEndpoints": check["localEndpoints"],
        "serviceProxyHealthy": True,
    })
    status = "200 OK" if check["localEndpoints"] > 0 else "503 Service Unavailable"
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
    )


def netexec_path(line):
    """A GET of netexec's own verbs (/hostname, /clientip, /container, /echo): answered as netexec does."""
    parts = line.split(" ")
    if parts[0] not in ("GET", "HEAD") or len(parts) < 2:
        return False
    return urllib.parse.urlsplit(parts[1]).path.strip("/") in NETEXEC_PATHS


class Runtime:
    def __init__(self, config):
        self.sel = selectors.DefaultSelector()
        self.buffers = {}
        namespaces = Namespaces()
        for check in config.get("healthChecks", []):
            # kube-proxy's health server listens in the node's namespace, on every address of the node.
            with namespaces.inside(check["netns"]):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", check["port"]))
                s.listen(128)
                s.setblocking(False)
                self.sel.register(s, selectors.EVENT_READ, ("health", check))
            namespaces.forget(check["netns"])
        for pod in config["pods"]:
            # inside() comes back home or stops the runtime: a socket of the next
            # pod must never be bound in this one's namespace.
            with namespaces.inside(pod["netns"]):
                for c in pod["containers"]:
                    for l in c["listen"]:
                        self.open(pod["name"], c["name"], l["port"], l["protocol"])
            # Its sockets stay in the namespace; the runtime needs no way back in.
            namespaces.forget(pod["netns"])

    def open(self, pod, container, port, protocol):
        kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        if protocol == "tcp":
            s.listen(128)
        s.setblocking(False)
        self.sel.register(s, selectors.EVENT_READ, (protocol, pod, container))

    def serve(self):
        while True:
            for key, _ in self.sel.select():
                role = key.data
                try:
                    if role[0] in ("tcp", "health"):
                        self.accept(key.fileobj, role)
                    elif role[0] == "udp":
                        self.datagram(key.fileobj, role)
                    else:
                        self.read(key.fileobj, role)
                except OSError:
                    self.close(key.fileobj)

    def accept(self, listener, role):
        conn, peer = listener.accept()
        conn.setblocking(False)
        self.buffers[conn] = b""
        data = ("health-conn", role[1]) if role[0] == "health" else ("conn", role[1], role[2], peer)
        self.sel.register(conn, selectors.EVENT_READ, data)

    def read(self, conn, role):
        chunk = conn.recv(MAX_REQUEST)
        data = self.buffers.get(conn, b"") + chunk
        http = data.split(b" ", 1)[0].decode("latin-1") in HTTP_METHODS
        if chunk and (not http_request_complete(data) if http else b"\n" not in data and len(data) < MAX_REQUEST):
            self.buffers[conn] = data
            return
        line = data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
        if role[0] == "health-conn":
            reply = answer_health(role[1])
        elif http and not netexec_path(line):
            reply = echo_http(data, role[1], role[2], role[3])
        else:
            reply = self.answer_pod(line, role)
        conn.setblocking(True)
        conn.settimeout(2)
        conn.sendall(reply.encode())
        self.close(conn)

    @staticmethod
    def answer_pod(line, role):
        _, pod, container, peer = role
        if line.startswith(("GET ", "HEAD ")):
            return answer_http(line, pod, container, peer)
        return answer(line, pod, container, peer) + "\n"

    def datagram(self, s, role):
        data, peer = s.recvfrom(65535)
        reply = answer(data.decode("utf-8", "replace").strip(), role[1], role[2], peer)
        s.sendto(reply.encode(), peer)

    def close(self, conn):
        self.buffers.pop(conn, None)
        try:
            self.sel.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()


def main():
    if len(sys.argv) != 2:
        print("usage: netlab-agent.py CONFIG.json", file=sys.stderr)
        return 2
    # One socket per port per pod: a big lab needs more than the usual 1024 files.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            config = json.load(f)
        check_protocol(config)
    except (OSError, ValueError, ProtocolError) as e:
        print(f"error: config: {e}", file=sys.stderr)
        return 2
    sockets = sum(len(c["listen"]) for p in config["pods"] for c in p["containers"]) + len(config.get("healthChecks", []))
    if sockets + 64 > hard:
        print(f"error: the lab's containers listen on {sockets} ports, one socket each, but this process may open"
              f" only {hard} files (ulimit -Hn); raise the limit (ulimit -n {sockets + 1024}) or listen on fewer ports",
              file=sys.stderr)
        return 1
    try:
        runtime = Runtime(config)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    # Tell netlab every socket is bound, then let go of its pipe.
    sys.stdout.write(f"ready {os.getpid()}\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    runtime.serve()


if __name__ == "__main__":
    sys.exit(main())
