"""``ip -j neigh`` / ``ip -j neighbour show`` (iproute2 JSON) output: the neighbour table.

Schema: fills ``Facts.neighbours`` (:class:`~netatlas.model.facts.Neighbour`), one per
JSON object, from the keys ``dst`` → ``address``, ``lladdr`` → ``mac`` (lowercase
colon form; ``None`` while the kernel has none, as for ``FAILED`` and ``INCOMPLETE``
entries), ``dev`` → ``interface``, ``state`` (a list such as ``["REACHABLE"]``, joined
with ``,`` when it has several) → ``state``, and the key ``router`` (``ip`` prints it
as ``"router": null`` when the ``NTF_ROUTER`` flag is set) → ``router``. The counters
of ``ip -j -s neigh`` (``used``, ``confirmed``, ``refcnt``, ``probes`` …) are ignored.

Example::

    [{"dst": "198.51.100.1", "dev": "eth0", "lladdr": "02:00:5e:10:00:0a",
      "state": ["REACHABLE"]},
     {"dst": "2001:db8::fe", "dev": "eth0", "lladdr": "02:00:5e:10:00:fe",
      "router": null, "state": ["PERMANENT"]}]

gives ``[{"address": "198.51.100.1", "mac": "02:00:5e:10:00:0a", "interface": "eth0",
"state": "REACHABLE", "router": false}, {"address": "2001:db8::fe", …, "router":
true}]``.

This is the shape netatlas's own collector writes from an in-process
``RTM_GETNEIGH`` dump, so a bundle's neighbour tables read the same on any platform.
A link-layer address that is no 48-bit MAC (an IPv4 address on a GRE tunnel, a
20-byte InfiniBand address) is kept as unknown with a warning. Invalid JSON is a
ParseError at the line the JSON decoder names; warnings point at the line that
names the entry's ``dst``.
"""

from __future__ import annotations

import re
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model.facts import Neighbour
from netatlas.parsers._base import (
    Line,
    Occurrences,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    mac,
    run_stages,
)
from netatlas.parsers._linux import load_json_array

INFO = ParserInfo(
    kind="ip-neigh-json",
    description="Linux 'ip -j neigh' JSON output (iproute2): the ARP/NDP neighbour table",
    platforms=(Platform.LINUX,),
    commands=(r"^(?:sudo\s+)?ip\s+(?:(?:-n|-netns)\s+\S+\s+|-\S+\s+)*n(?:e(?:i(?:g(?:h(?:b(?:o(?:u?r)?)?)?)?)?)?)?\b",),
    source="ip -j neigh",
)

_STATE = re.compile(r'"state"\s*:\s*\[')


def sniff(text: str) -> float:
    """High for a JSON array whose objects carry ``dst`` and ``lladdr`` or a ``state`` list."""
    head = text[:20000]
    if "[" not in head or '"dst"' not in head or '"ifname"' in head:
        return 0.0
    if '"lladdr"' in head or _STATE.search(head):
        return 0.97  # above ip-route-json, which also sees "dst" and "dev"
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: one flat dict per neighbour (strings, a bool), with the line naming it."""
    where = Occurrences(lines)
    doc = load_json_array(lines, "neighbours")
    at = first_content_line(lines)
    out: list[dict[str, Any]] = []
    for item in doc:
        if not isinstance(item, dict) or not isinstance(item.get("dst"), str):
            warnings.add(at, f"skipped JSON item that is not a neighbour: {str(item)[:60]!r}")
            continue
        dst: str = item["dst"]
        tok: dict[str, Any] = {"dst": dst, "line": where.line("dst", dst), "router": "router" in item}
        for key in ("dev", "lladdr"):
            if isinstance(item.get(key), str):
                tok[key] = item[key]
        state = item.get("state")
        if isinstance(state, list):
            names = [s for s in state if isinstance(s, str) and s]
            if names:
                tok["state"] = ",".join(names)
        elif isinstance(state, str) and state:
            tok["state"] = state
        if item.get("router") is False:
            tok["router"] = False  # someone's hand-written JSON; ip never prints false
        out.append(tok)
    if not out and doc:
        raise ParseError("no neighbour objects in the JSON", line=at)
    return out


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    neighbours: list[Neighbour] = []
    for tok in raw:
        line: int = tok["line"]
        address = ip_or_none(tok["dst"])
        if address is None:
            warnings.add(line, f"skipped neighbour: {tok['dst']!r} is not an address")
            continue
        lladdr = tok.get("lladdr")
        hw = mac(lladdr)
        if lladdr and hw is None:
            warnings.add(line, f"link-layer address {lladdr!r} of {address} is not a 48-bit MAC; kept as unknown")
        neighbours.append(
            Neighbour(
                address=address,
                mac=hw,
                interface=tok.get("dev") or None,
                state=tok.get("state"),
                router=bool(tok["router"]),
            )
        )
    return Facts(kind=INFO.kind, neighbours=tuple(neighbours), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``ip -j neigh`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
