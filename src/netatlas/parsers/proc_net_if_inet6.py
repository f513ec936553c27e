"""Linux ``/proc/net/if_inet6``: every IPv6 address with its interface, in hex.

Read where ``ip -j address`` is missing: Docker Desktop's ``docker-desktop`` WSL
distro has a BusyBox userland. The kernel writes one line per address
(``net/ipv6/addrconf.c``, ``if6_seq_show``): the address as 32 hex digits, then the
interface index, prefix length, scope and flags in hex, then the interface name.

Schema:

* ``Facts.interfaces``: one :class:`~netatlas.model.Interface` per name (first-seen
  order) with ``index`` and ``addresses`` (family ``inet6``, ``prefixlen``).

Example::

    00000000000000000000000000000001 01 80 10 80       lo
    20010db8000500000000000000000007 03 40 00 82     eth0

gives ``lo`` (index 1) with ``::1/128`` and ``eth0`` (index 3) with
``2001:db8:5::7/64``.

A line that is not six fields with a 32-digit address is skipped with a warning;
input without any such line is not this format.
"""

from __future__ import annotations

import ipaddress
import re

from netatlas.errors import ParseError
from netatlas.model import Address, Facts, Interface
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line, run_stages

INFO = ParserInfo(
    kind="proc-net-if-inet6",
    description="Linux /proc/net/if_inet6 (IPv6 addresses per interface, hex), where ip -j is missing (BusyBox)",
    platforms=(Platform.LINUX,),
    commands=(r"\bcat\s+/proc/net/if_inet6\b",),
    source="cat /proc/net/if_inet6",
)

_ROW = re.compile(
    r"^([0-9a-fA-F]{32})\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]{2})\s+([0-9a-fA-F]{2})\s+([0-9a-fA-F]{2})\s+(\S+)$"
)


def sniff(text: str) -> float:
    """High when the first lines are all ``if_inet6`` rows."""
    rows = [ln.strip() for ln in text.splitlines()[:5] if ln.strip()]
    return 0.97 if rows and all(_ROW.match(r) for r in rows) else 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    """Tokens: the six fields of each row, with its ``line``."""
    out: list[dict[str, str | int]] = []
    for ln in lines:
        if not ln.text.strip():
            continue
        m = _ROW.match(ln.text.strip())
        if m is None:
            warnings.add(ln.no, f"skipped line that is not an if_inet6 row: {ln.text.strip()[:60]!r}")
            continue
        addr, index, plen, _scope, _flags, name = m.groups()
        out.append({"line": ln.no, "address": addr, "index": index, "prefixlen": plen, "name": name})
    if not out:
        raise ParseError(
            "not /proc/net/if_inet6: no 'ADDRESS IDX PLEN SCOPE FLAGS NAME' row", line=first_content_line(lines)
        )
    return out


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    by_name: dict[str, tuple[int, list[Address]]] = {}
    for r in raw:
        plen = int(str(r["prefixlen"]), 16)
        if plen > 128:
            warnings.add(int(r["line"]), f"skipped {r['address']}: prefix length {plen} is over 128")
            continue
        addr = ipaddress.IPv6Address(bytes.fromhex(str(r["address"])))
        name = str(r["name"])
        entry = by_name.setdefault(name, (int(str(r["index"]), 16), []))
        entry[1].append(Address(addr, plen, "inet6"))
    interfaces = tuple(Interface(name=n, index=i, addresses=tuple(a)) for n, (i, a) in by_name.items())
    return Facts(kind=INFO.kind, interfaces=interfaces, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``/proc/net/if_inet6``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
