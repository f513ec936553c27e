"""PowerShell ``Get-DnsClientServerAddress | ConvertTo-Json``: DNS servers per adapter.

Schema:

* ``Facts.interfaces``: one :class:`~netatlas.model.Interface` per ``InterfaceAlias``
  (first-seen order; the IPv4 and IPv6 objects of one adapter are merged), with
  ``index`` from ``InterfaceIndex`` and ``dns_servers`` from ``ServerAddresses``
  (IPv4 first when Windows lists IPv4 first, as it does);
* ``Facts.dns.servers``: every adapter's servers, deduplicated, in order, *without*
  the ``fec0:0:0:ffff::1``/``::2``/``::3`` placeholders that Windows lists on adapters
  with no DNS configured (deprecated site-local "well-known" resolvers, RFC 3879);
  they stay on the adapter.

Example (Windows PowerShell 5.1)::

    [
        {
            "InterfaceAlias":  "Ethernet",
            "InterfaceIndex":  12,
            "AddressFamily":  2,
            "ServerAddresses":  [
                                    "192.168.1.1"
                                ]
        }
    ]

gives an interface ``{"name": "Ethernet", "index": 12, "dns_servers":
["192.168.1.1"], …}`` and ``dns.servers`` ``["192.168.1.1"]``.

An entry of ``ServerAddresses`` that is not an address is skipped with a warning. A
single string instead of an array is accepted.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netatlas.model import DnsConfig, Facts, Interface, IPAddress
from netatlas.parsers._base import (
    Line,
    Occurrences,
    ParserInfo,
    Platform,
    Warnings,
    ip_or_none,
    run_stages,
)
from netatlas.parsers._powershell import integer, load_objects, text

INFO = ParserInfo(
    kind="ps-dnsclientserver",
    description="PowerShell Get-DnsClientServerAddress as JSON (ConvertTo-Json): DNS servers per adapter",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-DnsClientServerAddress\b",),
    source='powershell -Command "Get-DnsClientServerAddress | ConvertTo-Json -Depth 3"',
)

PLACEHOLDERS = frozenset(ipaddress.ip_address(f"fec0:0:0:ffff::{i}") for i in (1, 2, 3))
"""Windows' default IPv6 DNS servers on adapters without any (site-local, RFC 3879)."""


def sniff(text: str) -> float:
    """High for JSON objects with ``ServerAddresses`` and ``InterfaceAlias``."""
    head = text[:20000]
    if '"ServerAddresses"' in head:
        return 0.95 if '"InterfaceAlias"' in head or '"InterfaceIndex"' in head else 0.6
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the JSON objects that carry ``ServerAddresses``, each with its ``line``."""
    objs = load_objects(lines, ("ServerAddresses",), "Get-DnsClientServerAddress objects")
    seen = Occurrences(lines)
    return [{**o, "line": seen.line("InterfaceAlias", o.get("InterfaceAlias"))} for o in objs]


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    by_alias: dict[str, dict[str, Any]] = {}
    for o in raw:
        line: int = o["line"]
        alias = text(o, "InterfaceAlias", "ifAlias")
        index = integer(o, "InterfaceIndex", "ifIndex")
        if alias is None:
            if index is None:
                warnings.add(line, "skipped DNS servers without InterfaceAlias or InterfaceIndex")
                continue
            alias = f"ifIndex {index}"
        entry = by_alias.setdefault(alias, {"index": index, "servers": []})
        if entry["index"] is None:
            entry["index"] = index
        value = o.get("ServerAddresses")
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if value is not None and not isinstance(value, (str, list)):
            warnings.add(line, f"ServerAddresses of {alias!r} is neither a list nor a string")
        for item in items:
            addr = ip_or_none(item) if isinstance(item, str) else None
            if addr is None:
                warnings.add(line, f"skipped DNS server {item!r} of {alias!r}: not an address")
                continue
            if addr not in entry["servers"]:
                entry["servers"].append(addr)
    interfaces = tuple(
        Interface(name=alias, index=e["index"], dns_servers=tuple(e["servers"])) for alias, e in by_alias.items()
    )
    servers: list[IPAddress] = []
    for iface in interfaces:
        for s in iface.dns_servers:
            if s not in PLACEHOLDERS and s not in servers:
                servers.append(s)
    return Facts(
        kind=INFO.kind,
        interfaces=interfaces,
        dns=DnsConfig(servers=tuple(servers)),
        warnings=warnings.sorted(),
    )


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``Get-DnsClientServerAddress | ConvertTo-Json``. Raises only ParseError."""
    return run_stages(data, source, INFO, _raw, _process)
