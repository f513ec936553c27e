"""``ip -j route`` / ``ip -j route show table all`` (iproute2 JSON) output.

Schema: fills ``Facts.routes`` exactly as the ``ip-route`` parser does, from the JSON
keys ``dst`` (``default``, an address or a CIDR) → ``destination``, ``gateway``,
``dev`` → ``interface``, ``metric``, ``scope``, ``table`` (``None`` for ``main``,
which ``ip`` omits), ``prefsrc`` → ``source`` and ``type`` (absent for unicast). A
multipath route (``nexthops[]``) becomes one route per nexthop. ``default`` is
``::/0`` when the gateway or source is IPv6, the route has the IPv6-only ``pref``
key, or every route in the input is IPv6.

Example::

    [{"dst": "default", "gateway": "172.17.0.1", "dev": "eth0", "flags": []}]

gives ``[{"destination": "0.0.0.0/0", "gateway": "172.17.0.1", "interface":
"eth0", …}]``.

Invalid JSON is a ParseError at the line the JSON decoder names, counted in the
original paste. JSON has no per-route line numbers: warnings point at the first
line of the JSON.
"""

from __future__ import annotations

from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    run_stages,
)
from netatlas.parsers._linux import load_json_array, route_facts

INFO = ParserInfo(
    kind="ip-route-json",
    description="Linux 'ip -j route' JSON output (iproute2), any table, IPv4 and IPv6",
    platforms=(Platform.LINUX,),
    commands=(r"^(?:sudo\s+)?ip\s+(?:-\S+\s+)*r(?:o(?:u(?:te?)?)?)?\b",),
    source="ip -j route show table all",
)

_KEYS = ("dst", "gateway", "dev", "metric", "scope", "table", "prefsrc", "type", "pref")


def sniff(text: str) -> float:
    """High for a JSON array whose objects carry ``dst`` and ``dev``/``gateway``."""
    head = text[:20000]
    if "[" not in head or '"dst"' not in head:
        return 0.0
    return 0.95 if ('"dev"' in head or '"gateway"' in head or '"type"' in head) else 0.5


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: one flat dict of strings per route (one per nexthop)."""
    doc = load_json_array(lines, "routes")
    at = first_content_line(lines)
    out: list[dict[str, Any]] = []
    for item in doc:
        if not isinstance(item, dict) or not isinstance(item.get("dst"), str):
            warnings.add(at, f"skipped JSON item that is not a route: {str(item)[:60]!r}")
            continue
        base = {k: item[k] for k in _KEYS if k in item and isinstance(item[k], str | int)}
        base["line"] = at
        hops = item.get("nexthops")
        if isinstance(hops, list) and hops:
            for hop in hops:
                if not isinstance(hop, dict):
                    continue
                extra = {k: hop[k] for k in ("gateway", "dev") if isinstance(hop.get(k), str)}
                out.append({**base, **extra})
        else:
            out.append(base)
    if not out:
        raise ParseError("no routes in the JSON", line=at)
    return out


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    return route_facts(INFO.kind, raw, warnings)


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``ip -j route`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
