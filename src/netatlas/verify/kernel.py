"""The kernel's own route answer: RTM_GETROUTE for one address, inside one namespace.

This is what ``ip route get ADDR`` asks: the kernel runs its own route lookup and
answers with the output interface, the gateway and the source address it would use.
No packet is sent. The netlink socket is made inside the namespace by the one thread
:mod:`netatlas.collect.netns_entry` keeps for that (the caller's thread never moves),
so the question is asked of that namespace's tables.

The same socket also lists the namespace's links, with each one's kind (``veth``,
``bridge``, ``tun``, ``wireguard`` …, from ``IFLA_LINKINFO``): the fence
(:mod:`netatlas.verify.fence`) uses the kind to tell an interface that stays on the
machine from one that leaves it.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from dataclasses import dataclass
from typing import Any

from netatlas.model import IPAddress

__all__ = ["KernelRoute", "Link", "Namespace", "open_namespace"]

_RTYPE = {1: "unicast", 2: "local", 3: "broadcast", 6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw"}


@dataclass(frozen=True)
class KernelRoute:
    """The kernel's answer for one destination: what ``ip route get`` prints.

    ``type`` is ``unicast``, ``local`` (an address of this namespace: delivered here),
    ``unreachable``/``blackhole``/``prohibit``, ``none`` (the kernel answered with an
    error: no route, ``ENETUNREACH``), or ``error`` (the question itself failed: ``error``
    says why). ``interface`` is the output interface's name.
    """

    type: str
    interface: str | None = None
    gateway: IPAddress | None = None
    source: IPAddress | None = None
    error: str | None = None

    def text(self) -> str:
        """Like ``ip route get``: ``via GW dev IFACE src ADDR``, ``local dev lo``, ``no route``."""
        if self.type == "none":
            return f"no route ({self.error})" if self.error else "no route"
        if self.type == "error":
            return f"no answer ({self.error})"
        parts = [] if self.type == "unicast" else [self.type]
        if self.gateway is not None:
            parts.append(f"via {self.gateway}")
        if self.interface is not None:
            parts.append(f"dev {self.interface}")
        if self.source is not None:
            parts.append(f"src {self.source}")
        return " ".join(parts) or self.type


@dataclass(frozen=True)
class Link:
    """One interface of a namespace: its name and kind (``None``: a physical device)."""

    index: int
    name: str
    kind: str | None
    loopback: bool


class Namespace:
    """A netlink socket inside one namespace, for route questions and its link list.

    Args:
        path: ``/proc/PID/ns/net``, ``/run/netns/NAME``, or ``None`` for this process's own.

    Raises:
        OSError: no such namespace, not permitted (``PermissionError``), no netlink here.
    """

    def __init__(self, path: str | None) -> None:
        from netatlas.collect.netlink import _Rtnl, netlink_socket

        self.path = path
        self._rtnl = _Rtnl(netlink_socket(path), timeout=5.0)
        self._links: dict[int, Link] | None = None

    def close(self) -> None:
        """Close the socket."""
        self._rtnl.__exit__()

    def __enter__(self) -> Namespace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def links(self) -> dict[int, Link]:
        """Index → link, read once."""
        if self._links is None:
            out: dict[int, Link] = {}
            for msg in self._rtnl.get_links():
                info = msg.get_attr("IFLA_LINKINFO")
                kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
                name = str(msg.get_attr("IFLA_IFNAME") or msg["index"])
                out[msg["index"]] = Link(msg["index"], name, kind, bool(msg["flags"] & 0x8))
            self._links = out
        return self._links

    def link(self, name: str | None) -> Link | None:
        """The link called ``name``."""
        return next((lk for lk in self.links().values() if lk.name == name), None)

    def route(self, address: IPAddress) -> KernelRoute:
        """The kernel's route for ``address`` (RTM_GETROUTE with ``RTA_DST``; nothing is sent)."""
        from pyroute2.netlink import NLM_F_REQUEST
        from pyroute2.netlink.rtnl import RTM_GETROUTE
        from pyroute2.netlink.rtnl.rtmsg import rtmsg

        rt = self._rtnl
        rt._seq += 1
        req = rtmsg()
        req["family"] = socket.AF_INET if address.version == 4 else socket.AF_INET6
        req["dst_len"] = address.max_prefixlen
        req["attrs"] = [["RTA_DST", str(address)]]
        req["header"]["type"] = RTM_GETROUTE
        req["header"]["flags"] = NLM_F_REQUEST
        req["header"]["sequence_number"] = rt._seq
        req.encode()
        try:
            msg = self._answer(rt._seq, req.data)
        except OSError as exc:
            # no route is an answer (connect then fails at once, sending nothing); anything else is not
            kind = "none" if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) else "error"
            return KernelRoute(kind, error=exc.strerror or str(exc))
        oif = msg.get_attr("RTA_OIF")
        gw = msg.get_attr("RTA_GATEWAY")
        src = msg.get_attr("RTA_PREFSRC")
        links = self.links()
        return KernelRoute(
            _RTYPE.get(msg["type"], str(msg["type"])),
            interface=links[oif].name if oif in links else (None if oif is None else str(oif)),
            gateway=ipaddress.ip_address(gw) if gw else None,
            source=ipaddress.ip_address(src) if src else None,
        )

    def _answer(self, seq: int, request: bytes) -> Any:
        """The one reply to a plain (not dump) request: the message, or its error raised."""
        rt = self._rtnl
        rt._sock.send(request)
        while True:
            for msg in rt._marshal.parse(rt._sock.recv(1 << 16)):
                header = msg["header"]
                if header["sequence_number"] != seq:
                    continue
                if header["type"] == 2:  # NLMSG_ERROR
                    code = -int(msg.get("error") or 0)
                    raise OSError(code, os.strerror(code))
                return msg


def open_namespace(path: str | None) -> Namespace:
    """A :class:`Namespace` for ``path`` (see there)."""
    return Namespace(path)
