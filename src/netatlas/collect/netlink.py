"""Read links, addresses, routes and neighbours in-process over netlink.

No process is spawned, for the host or for any named network namespace, which is
what makes a scan of hundreds of namespaces take well under a second. The dump is
kept as evidence in the same JSON shape ``ip -j address`` / ``ip -j route show table
all`` print, so the ``ip-addr-json`` and ``ip-route-json`` parsers read both alike
and a bundle stays readable on any platform. The route dump leaves out the routes
the kernel adds to the ``local`` table for each address (its host route, broadcast,
anycast and multicast routes): they repeat the address dump, are most of a
namespace's routes, and nothing reads them (:data:`ROUTE_DUMP` names this).

The neighbour table (ARP and NDP, ``RTM_GETNEIGH``, :func:`dump_all`) is kept in the
shape ``ip -j neigh`` prints, for the ``ip-neigh-json`` parser.

The dump is three (four with neighbours) ``NLM_F_DUMP`` requests on one ``AF_NETLINK`` socket
(:class:`_Rtnl`), encoded and decoded with pyroute2's rtnetlink message classes. The
socket itself is ours, not pyroute2's ``IPRoute(netns=...)``: pyroute2 0.9 opens a
namespace's socket from a forked child (~100 ms each, and a fork from the scan's
worker threads can hang), which made a 300-namespace scan take 12 s. A named
namespace's socket is created inside it by the one thread
:mod:`netatlas.collect.netns_entry` keeps for entering namespaces, so no scan
thread ever leaves this process's namespace; a socket stays in the namespace it was
created in. :func:`_links_and_addrs` and :func:`_routes` read pyroute2 messages
through the interface an ``IPRoute`` also has; the skipping of address routes is
this socket's own (:meth:`_Rtnl.get_routes`).

Netlink is Linux-only: on other platforms :func:`dump` records ``unsupported``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from netatlas.collect.runner import Result
from netatlas.model import Failure

__all__ = [
    "NETNS_DIR",
    "ROUTE_DUMP",
    "dump",
    "dump_all",
    "named_namespaces",
    "netlink_socket",
    "read_links",
    "read_netns",
    "read_netns_all",
]

NETNS_DIR = "/run/netns"
ROUTE_DUMP = ("RTM_GETROUTE", "table", "all", "without-address-routes")
"""How a route dump's evidence names what was asked (after ``netlink`` and where):
every table, less the routes the kernel derives from each address (see
:func:`_derived_local_route`)."""


def named_namespaces() -> list[str]:
    """Names of the namespaces ``ip netns`` knows (``/run/netns``), sorted."""
    try:
        return sorted(p.name for p in Path(NETNS_DIR).iterdir() if not p.name.startswith("."))
    except OSError:
        return []


def _netns_exists(name: str) -> bool:
    return "/" not in name and name not in (".", "..") and (Path(NETNS_DIR) / name).exists()


_SCOPE = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
_RTYPE = {
    2: "local",
    3: "broadcast",
    4: "anycast",
    5: "multicast",
    6: "blackhole",
    7: "unreachable",
    8: "prohibit",
    9: "throw",
    10: "nat",
}
_PROTO = {
    1: "redirect",
    2: "kernel",
    3: "boot",
    4: "static",
    16: "dhcp",
    186: "bgp",
    187: "isis",
    188: "ospf",
    189: "rip",
}
_TABLE = {253: "default", 254: "main", 255: "local"}
_FAMILY = {2: "inet", 10: "inet6"}
_LINKTYPE = {1: "ether", 772: "loopback", 65534: "none", 768: "ipip", 776: "sit", 65535: "void"}
_IFF = [
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x1000, "MULTICAST"),
    (0x10000, "LOWER_UP"),
]


def _attrs(msg: Any, wanted: frozenset[str]) -> dict[str, Any]:
    """The values of the ``wanted`` attributes of a pyroute2 message, first of each name.

    One pass over the message's attribute chain (``msg["attrs"]``, pyroute2's list of
    slots), decoding only what is wanted: ``msg.get_attr(name)`` walks the whole chain
    once per name asked, and a link message carries some forty attributes.
    """
    out: dict[str, Any] = {}
    for slot in msg["attrs"]:
        name = slot.name
        if name in wanted and name not in out:
            out[name] = slot.get_value()
    return out


_LINK_ATTRS = frozenset({"IFLA_IFNAME", "IFLA_MTU", "IFLA_OPERSTATE", "IFLA_ADDRESS", "IFLA_MASTER"})
_ADDR_ATTRS = frozenset({"IFA_LOCAL", "IFA_ADDRESS", "IFA_LABEL"})
_ROUTE_ATTRS = frozenset({"RTA_TABLE", "RTA_DST", "RTA_GATEWAY", "RTA_OIF", "RTA_PREFSRC", "RTA_PRIORITY"})
_NEIGH_ATTRS = frozenset({"NDA_DST", "NDA_LLADDR"})


def _links_and_addrs(ipr: Any) -> list[dict[str, Any]]:
    links: dict[int, dict[str, Any]] = {}
    for msg in ipr.get_links():
        idx = msg["index"]
        flags = msg["flags"]
        a = _attrs(msg, _LINK_ATTRS)
        link: dict[str, Any] = {
            "ifindex": idx,
            "ifname": a.get("IFLA_IFNAME"),
            "flags": [name for bit, name in _IFF if flags & bit],
            "mtu": a.get("IFLA_MTU"),
            "operstate": a.get("IFLA_OPERSTATE"),
            "link_type": _LINKTYPE.get(msg["ifi_type"], str(msg["ifi_type"])),
            "addr_info": [],
        }
        mac = a.get("IFLA_ADDRESS")
        if mac:
            link["address"] = mac
        master = a.get("IFLA_MASTER")
        if master:
            link["master_index"] = master
        links[idx] = link
    for msg in ipr.get_addr():
        owner = links.get(msg["index"])
        if owner is None:
            continue
        a = _attrs(msg, _ADDR_ATTRS)
        info: dict[str, Any] = {
            "family": _FAMILY.get(msg["family"], str(msg["family"])),
            "local": a.get("IFA_LOCAL") or a.get("IFA_ADDRESS"),
            "prefixlen": msg["prefixlen"],
            "scope": _SCOPE.get(msg["scope"], str(msg["scope"])),
        }
        peer = a.get("IFA_ADDRESS")
        if peer and peer != info["local"]:
            info["address"] = peer
        label = a.get("IFA_LABEL")
        if label:
            info["label"] = label
        owner["addr_info"].append(info)
    names = {i: link["ifname"] for i, link in links.items()}
    for link in links.values():
        master = link.pop("master_index", None)
        if master in names:
            link["master"] = names[master]
    return list(links.values())


def _routes(ipr: Any, names: dict[int, str]) -> list[dict[str, Any]]:
    out = []
    # table=None dumps every table (main, local, policy tables), like `table all`
    for msg in ipr.get_routes(table=None):
        fam = msg["family"]
        if fam not in (2, 10):
            continue
        a = _attrs(msg, _ROUTE_ATTRS)
        table = a.get("RTA_TABLE") or msg["table"]
        dst = a.get("RTA_DST")
        route: dict[str, Any] = {}
        rtype = _RTYPE.get(msg["type"])
        if rtype:
            route["type"] = rtype
        route["dst"] = f"{dst}/{msg['dst_len']}" if dst else "default"
        if dst and msg["dst_len"] == (32 if fam == 2 else 128):
            route["dst"] = dst
        gw = a.get("RTA_GATEWAY")
        if gw:
            route["gateway"] = gw
        oif = a.get("RTA_OIF")
        if oif in names:
            route["dev"] = names[oif]
        if table != 254:
            route["table"] = _TABLE.get(table, str(table))
        proto = _PROTO.get(msg["proto"])
        if proto:
            route["protocol"] = proto
        if msg["scope"]:
            route["scope"] = _SCOPE.get(msg["scope"], str(msg["scope"]))
        src = a.get("RTA_PREFSRC")
        if src:
            route["prefsrc"] = src
        prio = a.get("RTA_PRIORITY")
        if prio is not None:
            route["metric"] = prio
        route["flags"] = []
        out.append(route)
    return out


_NUD = [
    (0x01, "INCOMPLETE"),
    (0x02, "REACHABLE"),
    (0x04, "STALE"),
    (0x08, "DELAY"),
    (0x10, "PROBE"),
    (0x20, "FAILED"),
    (0x40, "NOARP"),
    (0x80, "PERMANENT"),
]
_NUD_NOARP = 0x40
_NTF_PROXY, _NTF_EXT_LEARNED, _NTF_ROUTER = 0x08, 0x10, 0x80


def _neighbours(ipr: Any, names: dict[int, str]) -> list[dict[str, Any]]:
    """The ARP/NDP table as ``ip -j neigh`` prints it.

    As ``ip neigh show`` does by default, entries in state ``NOARP`` (multicast and
    broadcast mappings the kernel makes itself) and entries with no state at all are
    left out, unless they are proxy or externally learned entries.
    """
    out = []
    for msg in ipr.get_neighbours():
        if msg["family"] not in (2, 10):
            continue
        state, flags = msg["state"], msg["flags"]
        if not state & 0xFF & ~_NUD_NOARP and not flags & (_NTF_PROXY | _NTF_EXT_LEARNED):
            continue
        a = _attrs(msg, _NEIGH_ATTRS)
        entry: dict[str, Any] = {"dst": a.get("NDA_DST")}
        if msg["ifindex"] in names:
            entry["dev"] = names[msg["ifindex"]]
        lladdr = a.get("NDA_LLADDR")
        if lladdr:
            entry["lladdr"] = lladdr
        if flags & _NTF_ROUTER:
            entry["router"] = None  # ip prints the flag as a JSON null
        if flags & _NTF_PROXY:
            entry["proxy"] = None
        entry["state"] = [name for bit, name in _NUD if state & bit]
        out.append(entry)
    return out


# --- rtnetlink on a socket of our own, messages by pyroute2 ----------------------

_RECV = 1 << 17
_NLMSG_ERROR, _NLMSG_DONE = 2, 3


def _field_offsets(msg_class: Any) -> dict[str, int]:
    """Where each fixed field of a pyroute2 message class sits in a reply (header included)."""
    from pyroute2.netlink import nlmsg

    offset = sum(struct.calcsize(fmt) for _name, fmt in nlmsg.header)
    out: dict[str, int] = {}
    for name, fmt in msg_class.fields:
        out[name] = offset
        offset += struct.calcsize(fmt)
    return out


@cache
def _rtmsg_offsets() -> tuple[int, int, int, int, int]:
    from pyroute2.netlink.rtnl.rtmsg import rtmsg

    at = _field_offsets(rtmsg)
    return at["family"], at["dst_len"], at["table"], at["proto"], at["type"]


_RT_TABLE_LOCAL = 255
_RTPROT_KERNEL = 2
_RTN_LOCAL, _RTN_DERIVED = 2, (3, 4, 5)  # broadcast, anycast, multicast


def _derived_local_route(data: bytes, offset: int) -> bool:
    """A route the kernel adds to the ``local`` table for each address it has.

    Every address gets a host route of type ``local`` there (IPv4 also ``broadcast``
    routes, IPv6 ``anycast`` and ``multicast`` ones), all with protocol ``kernel``:
    nine of a typical namespace's fifteen routes, which repeat the address dump and
    which nothing in the atlas reads. They are skipped before pyroute2 decodes them
    (decoding is most of a dump's cost), by the fixed ``rtmsg`` fields alone. What
    the ``local`` table holds beyond that is kept: ``127.0.0.0/8``, a ``local``
    prefix route for AnyIP, and any route somebody added (``ip route add local
    192.0.2.10 dev lo`` goes to this table, with protocol ``boot`` or their own).
    """
    family, dst_len, table, proto, rtype = _rtmsg_offsets()
    if data[offset + table] != _RT_TABLE_LOCAL or data[offset + proto] != _RTPROT_KERNEL:
        return False
    kind = data[offset + rtype]
    full = 32 if data[offset + family] == socket.AF_INET else 128
    return kind in _RTN_DERIVED or (kind == _RTN_LOCAL and data[offset + dst_len] == full)


class _Rtnl:
    """A blocking rtnetlink socket with the dumps a scan needs.

    Requests are built and replies decoded by pyroute2's message classes
    (``ifinfmsg``, ``ifaddrmsg``, ``rtmsg``, ``ndmsg``, ``MarshalRtnl``); only the socket is
    ours, so it can be opened inside a namespace without pyroute2's fork. The
    messages are pyroute2's own, so :func:`_links_and_addrs`, :func:`_routes` and
    :func:`_neighbours` read them exactly as they read an ``IPRoute``'s.
    """

    def __init__(self, sock: socket.socket, timeout: float = 10.0) -> None:
        from pyroute2.netlink.rtnl.marshal import MarshalRtnl

        self._sock = sock
        self._seq = 0
        self._marshal = MarshalRtnl()
        sock.settimeout(timeout)
        sock.bind((0, 0))

    def __enter__(self) -> _Rtnl:
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()

    def _dump(self, msg_class: Any, rtype: int, skip: Callable[[bytes, int], bool] | None = None) -> list[Any]:
        """One ``NLM_F_DUMP`` request and its decoded replies.

        Args:
            skip: given a reply's bytes and offset, True to leave that message
                undecoded (pyroute2's per-request parser hook, ``Marshal.seq_map``,
                the same way its ``get_default_routes`` skips routes it does not want).
        """
        self._seq += 1
        seq = self._seq
        request = bytearray(_dump_request(msg_class, rtype))
        struct.pack_into("I", request, 8, seq)  # nlmsghdr: len, type, flags, then seq
        if skip is not None:
            marshal = self._marshal

            def parser(data: bytes, offset: int, length: int) -> Any:
                key, flags = struct.unpack_from("HH", data, offset + 4)
                if key not in (_NLMSG_ERROR, _NLMSG_DONE) and skip(data, offset):
                    return None
                return marshal.parse_one_message(key, flags, seq, data, offset, length)

            marshal.seq_map[seq] = parser
        try:
            return self._replies(seq, bytes(request))
        finally:
            self._marshal.seq_map.pop(seq, None)

    def _replies(self, seq: int, request: bytes) -> list[Any]:
        self._sock.send(request)
        out: list[Any] = []
        while True:
            for msg in self._marshal.parse(self._sock.recv(_RECV)):
                header = msg["header"]
                if header["sequence_number"] != seq:
                    continue
                if header["type"] == _NLMSG_DONE:
                    return out
                if header["type"] == _NLMSG_ERROR:
                    code = -int(msg.get("error") or 0)
                    if code:
                        raise OSError(code, os.strerror(code))
                    continue
                out.append(msg)

    def get_links(self) -> list[Any]:
        from pyroute2.netlink.rtnl import RTM_GETLINK
        from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

        return self._dump(ifinfmsg, RTM_GETLINK)

    def get_addr(self) -> list[Any]:
        from pyroute2.netlink.rtnl import RTM_GETADDR
        from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg

        return self._dump(ifaddrmsg, RTM_GETADDR)

    def get_routes(self, table: int | None = None) -> list[Any]:
        from pyroute2.netlink.rtnl import RTM_GETROUTE
        from pyroute2.netlink.rtnl.rtmsg import rtmsg

        msgs = self._dump(rtmsg, RTM_GETROUTE, skip=_derived_local_route)
        if table is None:
            return msgs
        return [m for m in msgs if (m.get_attr("RTA_TABLE") or m["table"]) == table]

    def get_neighbours(self) -> list[Any]:
        from pyroute2.netlink.rtnl import RTM_GETNEIGH
        from pyroute2.netlink.rtnl.ndmsg import ndmsg

        return self._dump(ndmsg, RTM_GETNEIGH)


@cache
def _dump_request(msg_class: Any, rtype: int) -> bytes:
    """An ``NLM_F_DUMP`` request for ``rtype``, encoded by pyroute2 once (sequence number 0).

    Each namespace sends the same three; :meth:`_Rtnl._dump` puts its own sequence
    number into a copy, so the encoder does not run three times per container.
    """
    from pyroute2.netlink import NLM_F_DUMP, NLM_F_REQUEST

    req = msg_class()
    req["family"] = 0  # AF_UNSPEC: both IPv4 and IPv6 (some classes default to AF_INET)
    req["header"]["type"] = rtype
    req["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
    req["header"]["sequence_number"] = 0
    req.encode()
    return bytes(req.data)


def netlink_socket(netns_path: str | None = None) -> socket.socket:
    """A ``NETLINK_ROUTE`` socket in the namespace at ``netns_path`` (default: ours).

    The namespace is entered by the one thread :mod:`netatlas.collect.netns_entry`
    keeps for that, so the calling thread (and any process it starts later) stays
    where it was. Nothing is created: a missing path is an error.

    Raises:
        OSError: the path is missing, or entering the namespace is not permitted
            (``PermissionError``).
    """
    family = socket.AF_NETLINK  # type: ignore[attr-defined,unused-ignore]

    def make() -> socket.socket:
        return socket.socket(family, socket.SOCK_RAW, socket.NETLINK_ROUTE)  # type: ignore[attr-defined,unused-ignore]

    if netns_path is None:
        return make()
    from netatlas.collect.netns_entry import run_in

    return run_in(netns_path, make)


def read_netns(netns_path: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    """(links with addresses, routes, seconds the first took) of one namespace.

    Raises:
        OSError: no netlink here, no such namespace, not permitted.
        ValueError: a malformed reply.
    """
    t0 = time.monotonic()
    with _Rtnl(netlink_socket(netns_path)) as rtnl:
        links = _links_and_addrs(rtnl)
        t1 = time.monotonic()
        routes = _routes(rtnl, {link["ifindex"]: link["ifname"] for link in links})
    return links, routes, t1 - t0


Table = list[dict[str, Any]]


def read_links(netns_path: str | None = None) -> Table:
    """Links with their addresses of one namespace (``ip -j address``-shaped).

    Raises:
        OSError: no netlink here, no such namespace, not permitted.
        ValueError: a malformed reply.
    """
    with _Rtnl(netlink_socket(netns_path)) as rtnl:
        return _links_and_addrs(rtnl)


def read_netns_all(netns_path: str | None = None) -> tuple[Table, Table, Table, tuple[float, float, float]]:
    """(links with addresses, routes, neighbours, seconds each took) of one namespace.

    The same socket (opened once, inside the namespace) answers all four dumps.

    Raises:
        OSError: no netlink here, no such namespace, not permitted.
        ValueError: a malformed reply.
    """
    t0 = time.monotonic()
    with _Rtnl(netlink_socket(netns_path)) as rtnl:
        links = _links_and_addrs(rtnl)
        t1 = time.monotonic()
        names = {link["ifindex"]: link["ifname"] for link in links}
        routes = _routes(rtnl, names)
        t2 = time.monotonic()
        neighbours = _neighbours(rtnl, names)
    return links, routes, neighbours, (t1 - t0, t2 - t1, time.monotonic() - t2)


def dump(netns: str | None = None) -> tuple[Result, Result]:
    """``ip -j address``- and ``ip -j route show table all``-shaped dumps.

    Args:
        netns: a name under ``/run/netns``, or ``None`` for this process's namespace.

    Returns:
        Two results (addresses, routes); a failure (no netlink on this platform, no
        such namespace, permission denied) is recorded in them, never raised.
    """
    got = _dump(netns, neighbours=False)
    return got[0], got[1]


def dump_all(netns: str | None = None) -> tuple[Result, Result, Result]:
    """:func:`dump` plus the neighbour table (``ip -j neigh``-shaped), on one socket.

    Returns:
        Three results (addresses, routes, neighbours); failures are recorded in
        them, never raised.
    """
    a, r, n = _dump(netns, neighbours=True)
    return a, r, n


def _precheck(netns: str | None) -> Failure | None:
    """Why netlink cannot be asked here, before anything is opened (or None)."""
    if netns and not _netns_exists(netns):
        # a missing name is news, not an error (and a scan never creates one)
        return Failure("not-installed", f"no network namespace {netns!r}")
    try:
        import pyroute2.netlink.rtnl.marshal  # noqa: F401 - Linux-only dependency
    except ImportError:
        return Failure("unsupported", "pyroute2 is not available on this platform")
    if not hasattr(socket, "AF_NETLINK"):
        return Failure("unsupported", "netlink is not available on this platform")
    return None


def dump_neighbours(netns: str | None, names: dict[int, str]) -> Result:
    """The neighbour table alone (``ip -j neigh``-shaped), for when the links are known.

    Args:
        netns: a name under ``/run/netns``, or ``None`` for this process's namespace.
        names: ifindex → interface name, from an address dump of the same namespace.
    """
    argv = ("netlink", *(["netns", netns] if netns else []), "RTM_GETNEIGH")
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    why = _precheck(netns)
    if why is not None:
        return Result(argv, started=started, failure=why)
    try:
        with _Rtnl(netlink_socket(f"{NETNS_DIR}/{netns}" if netns else None)) as rtnl:
            table = _neighbours(rtnl, names)
    except PermissionError as exc:
        return Result(argv, started=started, failure=Failure("permission-denied", f"netlink: {exc}"))
    except (OSError, ValueError) as exc:
        return Result(argv, started=started, failure=Failure("error", f"netlink: {exc}"))
    return Result(argv, json.dumps(table).encode(), duration_s=time.monotonic() - t0, started=started)


def _dump(netns: str | None, *, neighbours: bool) -> list[Result]:
    where = ["netns", netns] if netns else []
    argvs = [
        ("netlink", *where, "RTM_GETLINK+RTM_GETADDR"),
        ("netlink", *where, *ROUTE_DUMP),
        ("netlink", *where, "RTM_GETNEIGH"),
    ][: 3 if neighbours else 2]
    started = datetime.now(timezone.utc)

    def failed(code: str, msg: str) -> list[Result]:
        return [Result(argv, started=started, failure=Failure(code, msg)) for argv in argvs]

    why = _precheck(netns)
    if why is not None:
        return failed(why.code, why.message)
    path = f"{NETNS_DIR}/{netns}" if netns else None
    where_msg = f"netlink{' in netns ' + netns if netns else ''}"
    try:
        if neighbours:
            links, routes, neigh, took = read_netns_all(path)
            tables, times = [links, routes, neigh], list(took)
        else:
            t0 = time.monotonic()
            links, routes, first = read_netns(path)
            tables, times = [links, routes], [first, time.monotonic() - t0 - first]
    except PermissionError as exc:
        return failed("permission-denied", f"{where_msg}: {exc}")
    except (OSError, ValueError) as exc:
        return failed("error", f"{where_msg}: {exc}")
    return [
        Result(argv, json.dumps(table).encode(), exit_code=None, duration_s=took_s, started=started)
        for argv, table, took_s in zip(argvs, tables, times, strict=True)
    ]
