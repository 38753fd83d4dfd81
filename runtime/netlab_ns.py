"""What netlab's helpers share: entering network namespaces and talking rtnetlink.

The helpers (netlab-apply.py, netlab-observe.py, netlab-agent.py,
netlab-probe.py) each work in many namespaces from one process: they enter a
namespace (setns), make a socket there (a socket stays in the namespace it
was made in) and come back. Coming back must never fail silently: a socket
made after a failed return would live in the wrong namespace.

Only the Python standard library: the helpers must run on a bare Debian.
"""
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import socket
import struct

# The version of the JSON the helpers read and write, declared once in
# protocol.json (beside this file) with the shape of every request and reply;
# netlab sends it with every request and a helper refuses any other.
PROTOCOL_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "protocol.json")
with open(PROTOCOL_FILE, encoding="utf-8") as _f:
    PROTOCOL = json.load(_f)["version"]

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"

_libc = ctypes.CDLL(None, use_errno=True)


class ProtocolError(Exception):
    """The request was made by a netlab of another version."""


def check_protocol(request):
    """The request's protocol version must be ours."""
    got = request.get("protocol") if isinstance(request, dict) else None
    if got != PROTOCOL:
        raise ProtocolError(f"netlab sent protocol {got!r}, this helper speaks {PROTOCOL}: the helper and netlab are from different versions")


def read_request(stream):
    """The JSON request netlab sent, checked for its protocol; a bad one stops the helper with exit 2."""
    try:
        request = json.load(stream)
        check_protocol(request)
    except (ValueError, ProtocolError) as e:
        raise SystemExit(f"error: request: {e}")
    return request


def setns(fd, what="namespace"):
    """Moves this thread into the network namespace open at `fd`."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns {what}: {os.strerror(err)}")


def return_home(home):
    """Moves the thread back to the namespace open at `home`. A failed return is fatal: nothing may run, and no
    socket may be made, in the wrong namespace."""
    try:
        setns(home, "home")
    except OSError as e:
        raise SystemExit(f"error: could not return to the helper's own namespace: {e.strerror}")


def unshare_net():
    """Moves the thread into a new network namespace of its own."""
    if _libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")


class Namespaces:
    """Enters namespaces by name and always comes back home, or stops the helper."""

    def __init__(self, netns_dir=NETNS_DIR):
        self.dir = netns_dir
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.fds = {}

    def fd(self, netns):
        fd = self.fds.get(netns)
        if fd is None:
            fd = self.fds[netns] = os.open(os.path.join(self.dir, netns), os.O_RDONLY)
        return fd

    @contextlib.contextmanager
    def inside(self, netns):
        """Runs the block inside `netns`. A failed return home is fatal: nothing may run in the wrong namespace."""
        setns(self.fd(netns), netns)
        try:
            yield
        finally:
            return_home(self.home)

    def forget(self, netns):
        """Closes the namespace's file: a process visiting 10,000 namespaces once must not keep 10,000 open."""
        fd = self.fds.pop(netns, None)
        if fd is not None:
            os.close(fd)

    def socket_in(self, netns, *args):
        with self.inside(netns):
            return socket.socket(*args)


@contextlib.contextmanager
def nameless_netns():
    """Runs the block in a new network namespace with no name and no file: what is made in it (a socket)
    keeps it alive, and it ends with the last of those. The thread comes back home after, or the helper stops."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        unshare_net()
        try:
            yield
        finally:
            return_home(home)
    finally:
        os.close(home)


def enter(netns, netns_dir=NETNS_DIR):
    """Moves the process into `netns` for good (for helpers that work in one namespace at a time)."""
    fd = os.open(os.path.join(netns_dir, netns), os.O_RDONLY)
    try:
        setns(fd, netns)
    finally:
        os.close(fd)


MS_BIND, MS_REC, MS_SHARED = 0x1000, 0x4000, 0x100000


def _mount(source, target, flags):
    if _libc.mount(source.encode() if source else None, target.encode(), b"none", flags, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def share_netns_dir(netns_dir=NETNS_DIR):
    """Makes `netns_dir` a shared mount point, as `ip netns add` does before each namespace (under the same
    flock, so an `ip` running at the same time does not mount it twice): a namespace mounted there shows in
    every mount namespace, and unmounting it anywhere frees it."""
    os.makedirs(netns_dir, mode=0o755, exist_ok=True)
    lock = os.open(netns_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _mount("", netns_dir, MS_SHARED | MS_REC)
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise
            # Not a mount point yet: make it one (a bind mount onto itself), then share it.
            _mount(netns_dir, netns_dir, MS_BIND | MS_REC)
            _mount("", netns_dir, MS_SHARED | MS_REC)
    finally:
        os.close(lock)


def make_netns(netns, netns_dir=NETNS_DIR):
    """Makes a named network namespace as `ip netns add` does (a file in `netns_dir`, a new namespace, the
    namespace bind-mounted on the file) and leaves the thread inside it. `ip netns add` also shares
    `netns_dir` again each time, recursively over every namespace mounted there, which makes a large lab
    quadratic; call share_netns_dir() once first instead."""
    path = os.path.join(netns_dir, netns)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    try:
        unshare_net()
        _mount("/proc/thread-self/ns/net", path, MS_BIND)
    except OSError:
        os.unlink(path)
        raise


def sysctl_path(key):
    """`net.ipv6.conf.flannel/1.accept_ra` → /proc/sys/net/ipv6/conf/flannel.1/accept_ra (sysctl's own notation)."""
    return "/proc/sys/" + "/".join(part.replace("/", ".") for part in key.split("."))


def proc_net_path(key):
    """A net.* sysctl's file relative to /proc/sys/net: opened from a directory fd, looked up once per namespace
    (every namespace's first lookup of /proc/sys/net walks all the others' entries)."""
    return sysctl_path(key)[len("/proc/sys/net/") :]


# IFLA_INET6_ADDR_GEN_MODE's values in order (IN6_ADDR_GEN_MODE_*, linux/if_link.h), as `ip -d link` names them.
ADDR_GEN_MODES = ("eui64", "none", "stable_secret", "random")

# The per-interface settings netlab sets or checks, as rtnetlink numbers them in a link's IFLA_AF_SPEC:
# IPv4's from 1 (IPV4_DEVCONF_*, linux/ip.h), IPv6's from 0 (DEVCONF_*, linux/ipv6.h).
DEVCONF = {
    "ipv4": {"forwarding": 1, "proxy_arp": 3, "rp_filter": 8, "arp_notify": 22, "route_localnet": 26},
    "ipv6": {"forwarding": 0, "accept_ra": 3, "accept_dad": 27},
}


IFLA_INET_CONF, IFLA_INET6_CONF = 1, 2


def link_settings(spec):
    """A link's IPv4 and IPv6 settings as the kernel sends them (IFLA_INET_CONF, IFLA_INET6_CONF: arrays of
    DEVCONF values), raw, from its IFLA_AF_SPEC; empty for a family it lacks."""
    inet = find_attr(find_attr(spec, socket.AF_INET) or b"", IFLA_INET_CONF) or b""
    inet6 = find_attr(find_attr(spec, socket.AF_INET6) or b"", IFLA_INET6_CONF) or b""
    return inet, inet6


def interface_setting(key):
    """`net.ipv4.conf.IF.NAME` → ("ipv4", IF, NAME) when rtnetlink carries it; None for any other key
    (all, default, a setting not in DEVCONF, or no interface's at all)."""
    parts = key.split(".")
    if len(parts) != 5 or parts[0] != "net" or parts[2] != "conf" or parts[3] in ("all", "default"):
        return None
    family, dev, name = parts[1], parts[3].replace("/", "."), parts[4]
    return (family, dev, name) if name in DEVCONF.get(family, {}) else None


# -- the kernel's numbers, one definition for every helper --------------------
# linux/rtnetlink.h, if_link.h, if_addr.h, neighbour.h, net_namespace.h, pkt_sched.h
RTM_NEWLINK, RTM_GETLINK, RTM_SETLINK = 16, 18, 19
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
RTM_NEWNEIGH = 28
RTM_GETQDISC = 38
RTM_NEWNSID, RTM_DELNSID = 88, 89
NETNSA_NSID, NETNSA_FD = 1, 3
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_TXQLEN, IFLA_LINKINFO, IFLA_AF_SPEC, IFLA_NET_NS_FD, IFLA_EXT_MASK, IFLA_TARGET_NETNSID = 13, 18, 26, 28, 29, 46
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
IFLA_INET6_ADDR_GEN_MODE = 8
IFLA_VXLAN_ID, IFLA_VXLAN_LOCAL, IFLA_VXLAN_PORT = 1, 4, 15
IFLA_BRPORT_MODE = 4
VETH_INFO_PEER = 1
IFF_UP, IFF_NOARP = 0x1, 0x80
RTEXT_FILTER_SKIP_STATS = 1 << 3
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST = 1, 2, 4
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE = 1, 4, 5, 15
RT_TABLE_MAIN, RT_TABLE_LOCAL = 254, 255
RTPROT_KERNEL, RTPROT_BOOT = 2, 3
RTN_UNICAST = 1
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK = 0, 253
RTNH_F_ONLINK = 0x4
NTF_SELF = 0x02
AF_BRIDGE = 7

_IFINFOMSG = struct.Struct("=BxHiII")


def ifinfomsg(index=0, flags=0, change=0, family=socket.AF_UNSPEC):
    """struct ifinfomsg: a link by index (0: every link, or a new one), the flags to set and which change."""
    return _IFINFOMSG.pack(family, 0, index, flags, change)


def ifinfomsg_of(body):
    """(family, type, index, flags, change) of a link message's header."""
    return _IFINFOMSG.unpack_from(body)


# -- rtnetlink -------------------------------------------------------------
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x100, 0x200, 0x400
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000


def attr(kind, data):
    """One rtnetlink attribute, padded to 4 bytes."""
    length = 4 + len(data)
    return struct.pack("=HH", length, kind) + data + b"\0" * ((4 - length % 4) % 4)


def parse_attrs(data):
    """Attributes of a message body: {type: bytes}; the last one of a type wins."""
    out = {}
    i = 0
    while i + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, i)
        if length < 4:
            break
        out[kind & ~NLA_F_NESTED] = data[i + 4 : i + length]
        i += (length + 3) & ~3
    return out


_HEADER = struct.Struct("=HH").unpack_from


def pick_attrs(data, wanted, start=0):
    """Like parse_attrs, for the types in `wanted` only, from data[start:]: the others are stepped over, not
    copied (half the cost of reading a node's 250 links)."""
    out = {}
    i, end = start, len(data)
    while i + 4 <= end:
        length, kind = _HEADER(data, i)
        if length < 4:
            break
        kind &= ~NLA_F_NESTED
        if kind in wanted:
            out[kind] = data[i + 4 : i + length]
        i += (length + 3) & ~3
    return out


def find_attr(data, kind, start=0):
    """The payload of the first attribute `kind` in data[start:], or None. Walks without copying the others:
    a link message has some 40 attributes, a bridge port's data as many, and one or two are wanted."""
    i, end = start, len(data)
    while i + 4 <= end:
        length, found = _HEADER(data, i)
        if length < 4:
            return None
        if found & ~NLA_F_NESTED == kind:
            return data[i + 4 : i + length]
        i += (length + 3) & ~3
    return None


def messages(data):
    """Splits a netlink datagram into (type, flags, seq, body) tuples."""
    i = 0
    while i + 16 <= len(data):
        length, kind, flags, seq, _ = struct.unpack_from("=IHHII", data, i)
        if length < 16:
            break
        yield kind, flags, seq, data[i + 16 : i + length]
        i += (length + 3) & ~3


# A dump's answers come in datagrams of at most 32 KiB. Python allocates the whole size asked on every
# recv: 1 MiB cost 34 us per dump (mmap, then shrinking), a third of reading a pod at 10,000 pods.
RECEIVE_SIZE = 1 << 16


NETLINK_NETFILTER = 12


class Netlink:
    """A netlink socket (rtnetlink unless told) in the namespace the thread is in when it is made."""

    def __init__(self, protocol=socket.NETLINK_ROUTE):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol)
        self.seq = 0

    def close(self):
        self.sock.close()

    def _send(self, kind, flags, body):
        self.seq += 1
        self.sock.send(struct.pack("=IHHII", 16 + len(body), kind, flags | NLM_F_REQUEST, self.seq, 0) + body)
        return self.seq

    def request(self, kind, flags, body):
        """Sends a change and waits for the kernel's answer; a refusal raises OSError."""
        seq = self._send(kind, flags | NLM_F_ACK, body)
        while True:
            for back, _, got, payload in messages(self.sock.recv(65536)):
                if back == NLMSG_ERROR and got == seq:
                    err = struct.unpack_from("=i", payload)[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return

    def get(self, kind, body):
        """Asks for one object: the body of the kernel's answer. A refusal raises OSError."""
        seq = self._send(kind, 0, body)
        while True:
            for back, _, got, payload in messages(self.sock.recv(RECEIVE_SIZE)):
                if got != seq:
                    continue
                if back == NLMSG_ERROR:
                    err = struct.unpack_from("=i", payload)[0]
                    raise OSError(-err, os.strerror(-err))
                return payload

    def dump(self, kind, body):
        """Every object of a kind, as (type, body) of each answer."""
        seq = self._send(kind, NLM_F_DUMP, body)
        out = []
        while True:
            for back, _, got, payload in messages(self.sock.recv(RECEIVE_SIZE)):
                if got != seq:
                    continue
                if back == NLMSG_DONE:
                    return out
                if back == NLMSG_ERROR:
                    err = struct.unpack_from("=i", payload)[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return out
                out.append((back, payload))


RTM_GETNEIGH, RTM_DELNEIGH, NDA_DST, NDA_LLADDR, NDA_IFINDEX, NUD_NOARP, NUD_PERMANENT = 30, 29, 1, 2, 8, 0x40, 0x80


def forget_learned_neighbours(nl):
    """Deletes every IPv4 neighbour entry the namespace of `nl` learned; permanent and no-ARP ones stay, as with
    `ip neigh flush all`. Every namespace shares the kernel's one neighbour table: a large mesh check empties
    what each round learned before the next."""
    learned = []
    for _, body in nl.dump(RTM_GETNEIGH, struct.pack("=BxxxiHBB", socket.AF_INET, 0, 0, 0, 0)):
        family, index, state, flags, kind = struct.unpack_from("=BxxxiHBB", body)
        dst = parse_attrs(body[12:]).get(NDA_DST)
        if dst and not state & (NUD_PERMANENT | NUD_NOARP):
            learned.append(struct.pack("=BxxxiHBB", family, index, state, flags, kind) + attr(NDA_DST, dst))
    for message in learned:
        try:
            nl.request(RTM_DELNEIGH, 0, message)
        except OSError as e:
            if e.errno != errno.ENOENT:  # gone already (expired while we looked)
                raise
