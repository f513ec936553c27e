"""Linux ``/proc/net/fib_trie``: the IPv4 routing trie, whose ``host LOCAL`` leaves are the addresses.

Read where ``ip -j address`` is missing: Docker Desktop's ``docker-desktop`` WSL
distro has a BusyBox userland. The file (``net/ipv4/fib_trie.c``,
``fib_trie_seq_show``) lists each table (``Main:``, ``Local:``, or a table id) as a
trie: ``+--`` lines are inner nodes, ``|--`` lines are leaves (a network address),
and each leaf has one line per route on it: ``/LEN SCOPE TYPE``.

Schema:

* ``Facts.settings["fib_local_addresses"]``: each address of a ``/32 host LOCAL``
  route (what ``ip addr add`` creates in the local table), deduplicated, as
  ``{"address", "prefixlen"}``. ``prefixlen`` is that of the longest ``link
  UNICAST`` route that holds the address (the connected route the kernel added with
  it), else of a wider ``host LOCAL`` route (``127.0.0.0/8``), else ``null``.

The file has no interface names; :mod:`netatlas.atlas.observe` puts each address on
the interface of its connected route from ``/proc/net/route``.

Example::

    Main:
      +-- 0.0.0.0/0 3 0 5
         +-- 192.168.65.0/24 2 0 2
            |-- 192.168.65.0
               /24 link UNICAST
            |-- 192.168.65.3
               /32 host LOCAL

gives ``[{"address": "192.168.65.3", "prefixlen": 24}]``.

A route line without a leaf before it is skipped with a warning; input without any
table header and leaf is not this format.
"""

from __future__ import annotations

import ipaddress
import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, first_content_line, run_stages

INFO = ParserInfo(
    kind="proc-net-fib-trie",
    description="Linux /proc/net/fib_trie (IPv4 local addresses), where ip -j is missing (BusyBox)",
    platforms=(Platform.LINUX,),
    commands=(r"\bcat\s+/proc/net/fib_trie\b",),
    source="cat /proc/net/fib_trie",
)

_TABLE = re.compile(r"^(\S+):\s*$")
_NODE = re.compile(r"^\s+\+--\s+\d{1,3}(?:\.\d{1,3}){3}/\d+\s")
_LEAF = re.compile(r"^[\s|]*\|--\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$")
_ROUTE = re.compile(r"^\s+/(\d{1,2})\s+(\S+)\s+(\S+)\s*$")


def sniff(text: str) -> float:
    """High for a table header followed by ``+--`` trie nodes."""
    head = text.lstrip().splitlines()[:3]
    return 0.97 if len(head) >= 2 and _TABLE.match(head[0]) and _NODE.match(head[1]) else 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    """Tokens: one ``{table, leaf, len, scope, type, line}`` per route line."""
    table: str | None = None
    leaf: str | None = None
    out: list[dict[str, str | int]] = []
    for ln in lines:
        if not ln.text.strip():
            continue
        if m := _TABLE.match(ln.text):
            table, leaf = m.group(1), None
        elif m := _LEAF.match(ln.text):
            leaf = m.group(1)
        elif m := _ROUTE.match(ln.text):
            if table is None or leaf is None:
                warnings.add(ln.no, f"skipped route without a leaf before it: {ln.text.strip()!r}")
                continue
            out.append(
                {
                    "line": ln.no,
                    "table": table,
                    "leaf": leaf,
                    "len": m.group(1),
                    "scope": m.group(2),
                    "type": m.group(3),
                }
            )
        elif not _NODE.match(ln.text):
            warnings.add(ln.no, f"skipped line that is not part of the trie: {ln.text.strip()[:60]!r}")
    if not out:
        raise ParseError("not /proc/net/fib_trie: no table with '|-- ADDRESS' leaves", line=first_content_line(lines))
    return out


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    local: list[ipaddress.IPv4Address] = []
    link: list[ipaddress.IPv4Network] = []
    wide_local: list[ipaddress.IPv4Network] = []
    for r in raw:
        try:
            net = ipaddress.IPv4Network(f"{r['leaf']}/{r['len']}")
        except ValueError as exc:
            warnings.add(int(r["line"]), f"skipped route {r['leaf']}/{r['len']}: {exc}")
            continue
        if r["type"] == "LOCAL" and r["scope"] == "host":
            if net.prefixlen == 32:
                if net.network_address not in local:
                    local.append(net.network_address)
            else:
                wide_local.append(net)
        elif r["type"] == "UNICAST" and r["scope"] == "link":
            link.append(net)
    found: list[JSON] = []
    for addr in local:
        holders = [n for n in link if addr in n] or [n for n in wide_local if addr in n]
        plen = max(n.prefixlen for n in holders) if holders else None
        found.append({"address": str(addr), "prefixlen": plen})
    settings: dict[str, JSON] = {"fib_local_addresses": found} if found else {}
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``/proc/net/fib_trie``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
