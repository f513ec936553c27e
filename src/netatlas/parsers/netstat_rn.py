"""``netstat -rn`` / ``netstat -nr`` routing tables: Linux net-tools (also
``netstat -rne``, ``netstat -rn -A inet6``, ``route -n``) and macOS/BSD
(``Internet:`` and ``Internet6:`` sections).

Schema: fills ``Facts.routes``, one :class:`~netatlas.model.Route` per table row:

* ``destination``: Linux gives the address and ``Genmask`` (IPv6: ``addr/len``).
  macOS abbreviates: ``default`` (``0.0.0.0/0`` or ``::/0`` by section), ``127`` is
  ``127.0.0.0/8``, ``192.168.1`` is ``192.168.1.0/24``, ``224.0.0/4`` is
  ``224.0.0.0/4``; a full address without length is a host route; a ``%en0`` zone
  is dropped (``fe80::%lo0/64`` → ``fe80::/64``);
* ``gateway``: the address of a ``G`` (gateway) row; ``0.0.0.0``, ``::``, ``*``,
  ``-``, ``link#N``, MAC addresses (macOS ARP/ND entries), macOS's per-link
  ``fe80::%utun0`` and the interface's own address on non-``G`` rows are no gateway;
* ``interface`` (``Iface``/``If``/``Netif``; ``*``/``-`` is none), ``metric``
  (``Metric``/``Met``, when printed);
* ``scope``: ``link`` for on-link rows (no ``G`` flag, an interface; these are the
  routes Docker's allocator avoids), else ``None``;
* ``type``: ``reject`` for ``!``/``R`` rows (unreachable or prohibit: netstat does
  not tell them apart), ``blackhole`` for ``B``, else ``None``;
* ``table``: ``scoped`` for macOS rows with the ``I`` flag (``RTF_IFSCOPE``): routes
  bound to one interface, used only by traffic bound to it. A recent Mac has several
  (``default … en0 UGScIg`` once a VPN owns the main default, ``default fe80::%utun0
  UGcIg`` for every tunnel); they are not the main table's defaults, so route lookups
  (``why``, overlap checks, which read the main table only) leave them alone.

macOS also prints its ARP and ND cache in the table: host rows with the ``L`` flag
(``RTF_LLINFO``) and no ``G``, whose gateway is the neighbour's MAC address (``r``: it is a router)
(``192.168.1.80  0:90:a9:ed:e4:35  UHLWIi  en0``) or ``link#N`` while unresolved.
Those are ``Facts.neighbours`` (address, MAC, interface; ``INCOMPLETE`` without a
MAC), not /32 routes. Broadcast and multicast mappings (``b``/``m`` flags, or a
group MAC) are neither and are left out; rows on ``lo0`` (the Mac's own addresses)
stay routes.

Example (macOS)::

    Internet:
    Destination        Gateway            Flags        Netif Expire
    default            192.168.1.254      UGScg          en0
    192.168.1          link#4             UCS            en0      !

gives ``[{"destination": "0.0.0.0/0", "gateway": "192.168.1.254", "interface":
"en0", …}, {"destination": "192.168.1.0/24", "scope": "link", "interface": "en0",
…}]``.

jc 1.26's ``netstat`` parser reads these tables, but it keeps neither line numbers
nor the ``Internet:``/``Internet6:`` section a row came from, and that section is
the only way to tell the family of macOS's ``default … link#N`` rows. The columns
are named by the header line, so tokenising is a split and is done here.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts, Family, IPAddress, IPNetwork, Neighbour, Route
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    mac,
    prefix_from_mask,
    run_stages,
)
from netatlas.parsers._linux import to_int

INFO = ParserInfo(
    kind="netstat-rn",
    description="'netstat -rn' routing tables (Linux net-tools, macOS/BSD)",
    platforms=(Platform.LINUX, Platform.MACOS),
    commands=(r"^(?:sudo\s+)?netstat\s+-\w*r", r"^(?:sudo\s+)?route\s+-\w*n"),
    source="netstat -rn",
)

_SECTION = {
    "kernel ip routing table": "inet",
    "kernel ipv6 routing table": "inet6",
    "internet:": "inet",
    "internet6:": "inet6",
}
_COLUMNS = {
    "destination": "dst",
    "gateway": "gateway",
    "next_hop": "gateway",
    "genmask": "mask",
    "flags": "flags",
    "flag": "flags",
    "metric": "metric",
    "met": "metric",
    "iface": "dev",
    "if": "dev",
    "netif": "dev",
}
_NO_GATEWAY = {"*", "-", ""}  # and 0.0.0.0 / ::, see is_unspecified


def sniff(text: str) -> float:
    """High when a ``Destination … Gateway|Next Hop … Flags`` header is present."""
    head = text[:20000]
    if re.search(r"(?mi)^\s*Destination\s+(?:Gateway|Next Hop)\s+.*\bFlags?\b", head):
        return 0.95
    return 0.0


def _header(text: str) -> list[str] | None:
    t = re.sub(r"(?i)next hop", "next_hop", text.strip())
    words = t.split()
    if len(words) >= 3 and words[0].lower() == "destination":
        return [w.lower() for w in words]
    return None


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: one dict per row, named by the header columns, with its family."""
    out: list[dict[str, Any]] = []
    family: str | None = None
    bsd = False  # macOS/BSD sections, whose flags include I (scoped) and L (ARP/ND)
    columns: list[str] | None = None
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        low = text.lower()
        if low in _SECTION:
            family, columns = _SECTION[low], None
            bsd = low.startswith("internet")
            continue
        if low == "routing tables":
            continue
        cols = _header(text)
        if cols is not None:
            columns = cols
            continue
        if columns is None:
            warnings.add(ln.no, f"skipped line outside a routing table: {text[:60]!r}")
            continue
        words = text.split()
        if len(words) < 2:
            warnings.add(ln.no, f"skipped short line: {text[:60]!r}")
            continue
        row: dict[str, Any] = {"line": ln.no, "family": family, "bsd": bsd}
        for name, value in zip(columns, words, strict=False):
            key = _COLUMNS.get(name)
            if key:
                row[key] = value
        if len(words) > len(columns):
            warnings.add(ln.no, f"extra columns ignored: {' '.join(words[len(columns) :])[:40]!r}")
        out.append(row)
    if not out:
        raise ParseError(
            "no routing table rows found (expected a 'Destination Gateway … Flags' header)",
            line=first_content_line(lines),
        )
    return out


def _family_of(tok: dict[str, Any]) -> Family:
    fam = tok.get("family")
    if fam in ("inet", "inet6"):
        return "inet6" if fam == "inet6" else "inet"
    gw = ip_or_none(str(tok.get("gateway", "")))
    if ":" in str(tok.get("dst", "")).split("%")[0] or (gw is not None and gw.version == 6):
        return "inet6"
    return "inet"


def _destination(tok: dict[str, Any], family: Family, warnings: Warnings) -> IPNetwork | None:
    line: int = tok["line"]
    dst = str(tok.get("dst", ""))
    if dst == "default":
        return ipaddress.ip_network("::/0" if family == "inet6" else "0.0.0.0/0")
    addr_text, slash, len_text = dst.partition("/")
    addr_text = addr_text.split("%")[0]
    try:
        if family == "inet6" or ":" in addr_text:
            if slash:
                return ipaddress.ip_network(f"{addr_text}/{len_text}", strict=False)
            return ipaddress.ip_network(addr_text)
        octets = addr_text.split(".")
        if not 1 <= len(octets) <= 4 or not all(o.isdigit() and o.isascii() for o in octets):
            raise ValueError(dst)
        full = ".".join(octets + ["0"] * (4 - len(octets)))
        if slash:
            length = len_text
        elif "mask" in tok:
            length = str(prefix_from_mask(str(tok["mask"]), line=line))
        else:
            length = str(8 * len(octets))
        return ipaddress.ip_network(f"{full}/{length}", strict=False)
    except (ValueError, ParseError):
        warnings.add(line, f"skipped row: destination is not a network: {dst!r}")
        return None


def _no_host_part(address: IPAddress) -> bool:
    """``0.0.0.0``, ``::`` and a bare ``fe80::`` (macOS's per-link default) are no router."""
    return address.is_unspecified or (address.version == 6 and int(address) == 0xFE80 << 112)


def _neighbour(destination: IPNetwork, flags: str, gw_text: str, interface: str | None) -> Neighbour | bool | None:
    """A macOS ARP/ND row as a neighbour; ``False`` when the row is a route; ``None`` to drop it."""
    if "L" not in flags or "H" not in flags or "G" in flags or not interface or interface.startswith("lo"):
        return False
    hw = mac(gw_text)
    if "b" in flags or "m" in flags or (hw is not None and int(hw[:2], 16) & 1):
        return None  # the link's broadcast or a multicast group: nobody answers there
    if hw is None and not gw_text.startswith("link#"):
        return False
    return Neighbour(
        address=destination.network_address,
        mac=hw,
        interface=interface,
        state=None if hw else "INCOMPLETE",
        router="r" in flags,
    )


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    routes: list[Route] = []
    neighbours: list[Neighbour] = []
    for tok in raw:
        family = _family_of(tok)
        destination = _destination(tok, family, warnings)
        if destination is None:
            continue
        flags = str(tok.get("flags", ""))
        dev = tok.get("dev")
        interface = None if dev in (None, "*", "-") else str(dev)
        bsd = bool(tok.get("bsd"))
        if bsd and destination.num_addresses == 1:
            nb = _neighbour(destination, flags, str(tok.get("gateway", "")), interface)
            if nb is None:
                continue
            if isinstance(nb, Neighbour):
                neighbours.append(nb)
                continue
        gw_text = str(tok.get("gateway", "")).split("%")[0]
        gateway = None if gw_text in _NO_GATEWAY else ip_or_none(gw_text)
        if "G" not in flags or (gateway is not None and _no_host_part(gateway)):
            # without G the column holds the interface's own address (macOS) or
            # 0.0.0.0; fe80::%utun0 names a link, not a router
            gateway = None
        reject = "!" in flags or "R" in flags
        rtype = "reject" if reject else ("blackhole" if "B" in flags else None)
        on_link = "G" not in flags and rtype is None and interface is not None
        routes.append(
            Route(
                destination=destination,
                gateway=gateway,
                interface=interface,
                metric=to_int(tok.get("metric")),
                scope="link" if on_link else None,
                type=rtype,
                table="scoped" if bsd and "I" in flags else None,
            )
        )
    return Facts(kind=INFO.kind, routes=tuple(routes), neighbours=tuple(neighbours), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``netstat -rn`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
