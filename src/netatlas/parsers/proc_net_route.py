"""Linux ``/proc/net/route``: the kernel's main IPv4 routing table, in hex.

Read where ``ip -j route`` is missing: Docker Desktop's ``docker-desktop`` WSL distro
has a BusyBox userland without iproute2's JSON output, but every Linux kernel has
this file (``net/ipv4/fib_trie.c``, ``fib_route_seq_show``).

Schema:

* ``Facts.routes``: one :class:`~netatlas.model.Route` per row, with ``destination``
  from ``Destination``/``Mask``, ``gateway`` from ``Gateway`` when the ``RTF_GATEWAY``
  flag (``0x0002``) is set, ``interface`` from ``Iface``, ``metric`` from ``Metric``,
  ``scope`` ``link`` for a route without gateway (as ``ip route`` shows it), ``type``
  ``unreachable`` for ``RTF_REJECT`` (``0x0200``, interface ``*``); ``table`` is
  ``None`` (the file shows only the main table).

Addresses are 32-bit hex words in the kernel's byte order (little-endian on x86 and
arm64, the machines Docker Desktop runs on): ``0100A8C0`` is ``192.168.0.1``.

Example::

    Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
    eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
    eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0

gives ``0.0.0.0/0 via 192.168.0.1 dev eth0`` and ``192.168.0.0/24 dev eth0 scope link``.

A row that is not eleven hex fields, or a mask that is not contiguous, is skipped with
a warning; a file without the header line is not this format.
"""

from __future__ import annotations

import ipaddress
import re

from netatlas.errors import ParseError
from netatlas.model import Facts, Route
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line, run_stages

INFO = ParserInfo(
    kind="proc-net-route",
    description="Linux /proc/net/route (main IPv4 table, hex), where ip -j is missing (BusyBox)",
    platforms=(Platform.LINUX,),
    commands=(r"\bcat\s+/proc/net/route\b",),
    source="cat /proc/net/route",
)

RTF_GATEWAY = 0x0002
RTF_REJECT = 0x0200
_HEADER = re.compile(r"^Iface\s+Destination\s+Gateway\s+Flags\s+RefCnt\s+Use\s+Metric\s+Mask\b")
_HEX = re.compile(r"^[0-9A-Fa-f]{8}$")


def sniff(text: str) -> float:
    """Certain for the header line of ``/proc/net/route``."""
    return 0.99 if _HEADER.match(text.lstrip()) else 0.0


def hex_ipv4(word: str) -> ipaddress.IPv4Address:
    """An address as the kernel prints it (little-endian hex).

    >>> str(hex_ipv4("0100A8C0"))
    '192.168.0.1'
    """
    return ipaddress.IPv4Address(bytes.fromhex(word)[::-1])


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    """Tokens: one dict of the row's fields per route line, with its ``line``."""
    body = [ln for ln in lines if ln.text.strip()]
    if not body or not _HEADER.match(body[0].text.strip()):
        raise ParseError("not /proc/net/route: no 'Iface Destination Gateway …' header", line=first_content_line(lines))
    out: list[dict[str, str | int]] = []
    for ln in body[1:]:
        f = ln.text.split()
        if len(f) < 8 or not all(_HEX.match(x) for x in (f[1], f[2], f[7])) or not f[6].isdigit():
            warnings.add(ln.no, f"skipped row that is not a route: {ln.text.strip()[:60]!r}")
            continue
        out.append({"line": ln.no, "iface": f[0], "dst": f[1], "gw": f[2], "flags": f[3], "metric": f[6], "mask": f[7]})
    return out


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    routes: list[Route] = []
    for r in raw:
        line = int(r["line"])
        try:
            flags = int(str(r["flags"]), 16)
            dst, mask = hex_ipv4(str(r["dst"])), hex_ipv4(str(r["mask"]))
            net = ipaddress.IPv4Network(f"{dst}/{mask}")
        except ValueError as exc:
            warnings.add(line, f"skipped route {r['dst']}/{r['mask']}: {exc}")
            continue
        gw = hex_ipv4(str(r["gw"])) if flags & RTF_GATEWAY else None
        iface = str(r["iface"])
        reject = bool(flags & RTF_REJECT)
        routes.append(
            Route(
                destination=net,
                gateway=gw,
                interface=None if reject or iface == "*" else iface,
                metric=int(r["metric"]),
                scope="link" if gw is None and not reject else None,
                type="unreachable" if reject else None,
            )
        )
    return Facts(kind=INFO.kind, routes=tuple(routes), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``/proc/net/route``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
