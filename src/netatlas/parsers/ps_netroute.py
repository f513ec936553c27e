"""PowerShell ``Get-NetRoute | ConvertTo-Json``: the Windows routing table, both families.

Schema: fills ``Facts.routes``, one :class:`~netatlas.model.Route` per object, in
output order:

* ``destination`` from ``DestinationPrefix`` (``0.0.0.0/0``, ``::/0``, ``172.25.144.0/20``);
* ``gateway`` from ``NextHop``; the unspecified next hop (``0.0.0.0``, ``::``) means
  on-link: ``gateway`` ``None`` and ``scope`` ``"link"``, as the ``route-print`` parser
  says for ``On-link``;
* ``interface`` the ``InterfaceAlias`` (``vEthernet (WSL)``), so routes join the
  interfaces of ``ps-netipaddress``/``ipconfig`` by name;
* ``metric`` the effective metric Windows compares, ``RouteMetric`` plus the
  interface metric (``InterfaceMetric``/``ifMetric``) when the object carries it, as
  ``route print`` shows it; ``RouteMetric`` alone otherwise, and then
  ``settings["route_metric_only"]`` is true: the map adds each interface's metric
  from ``Get-NetIPInterface`` (``ps-netipinterface``) of the same vantage;
* ``table`` ``"persistent"`` for ``PersistentStore`` objects (``Store`` ``0``), as
  ``route-print`` marks its Persistent Routes; ``None`` for the active store.

Example (PowerShell 7, two spaces)::

  {
    "DestinationPrefix": "0.0.0.0/0",
    "NextHop": "192.168.1.1",
    "RouteMetric": 0,
    "InterfaceMetric": 25,
    "InterfaceAlias": "Ethernet",
    "AddressFamily": 2
  }

gives ``[{"destination": "0.0.0.0/0", "gateway": "192.168.1.1", "interface":
"Ethernet", "metric": 25, …}]``.

A next hop whose family differs from the destination's, or a destination that is
not a prefix, is skipped with a warning at the line naming that prefix.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netatlas.model import Facts, IPNetwork, Route
from netatlas.model._serde import JSON
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
    kind="ps-netroute",
    description="PowerShell Get-NetRoute as JSON (ConvertTo-Json): Windows routes",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-NetRoute\b",),
    source='powershell -Command "Get-NetRoute | ConvertTo-Json -Depth 3"',
)


def sniff(text: str) -> float:
    """High for JSON objects with ``DestinationPrefix`` and ``NextHop``."""
    head = text[:20000]
    if '"DestinationPrefix"' in head and '"NextHop"' in head:
        return 0.95
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the JSON objects that carry a ``DestinationPrefix``, each with its ``line``."""
    objs = load_objects(lines, ("DestinationPrefix",), "Get-NetRoute objects")
    seen = Occurrences(lines)
    return [{**o, "line": seen.line("DestinationPrefix", o.get("DestinationPrefix"))} for o in objs]


def _network(value: str | None) -> IPNetwork | None:
    if value is None:
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _persistent(o: dict[str, Any]) -> bool:
    for key in ("Store", "PolicyStore"):
        v = o.get(key)
        if v == 0 and not isinstance(v, bool):
            return True
        if isinstance(v, str) and v.strip().lower() == "persistentstore":
            return True
    return False


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    routes: list[Route] = []
    partial = not any(integer(o, "InterfaceMetric", "ifMetric") is not None for o in raw)
    for o in raw:
        line: int = o["line"]
        prefix = text(o, "DestinationPrefix")
        dest = _network(prefix)
        if dest is None:
            warnings.add(line, f"skipped route: DestinationPrefix {o.get('DestinationPrefix')!r} is not a prefix")
            continue
        hop_text = text(o, "NextHop")
        hop = ip_or_none(hop_text)
        if hop_text is not None and hop is None:
            warnings.add(line, f"skipped route to {dest}: NextHop {hop_text!r} is not an address")
            continue
        if hop is not None and hop.version != dest.version:
            warnings.add(line, f"skipped route to {dest}: next hop {hop} is of the other family")
            continue
        on_link = hop is None or hop.is_unspecified
        metric = integer(o, "RouteMetric")
        if_metric = integer(o, "InterfaceMetric", "ifMetric")
        if metric is not None and if_metric is not None:
            metric += if_metric
        alias = text(o, "InterfaceAlias", "ifAlias")
        if alias is None:
            index = integer(o, "InterfaceIndex", "ifIndex")
            alias = None if index is None else str(index)
        routes.append(
            Route(
                destination=dest,
                gateway=None if on_link else hop,
                interface=alias,
                metric=metric,
                scope="link" if on_link else None,
                table="persistent" if _persistent(o) else None,
            )
        )
    settings: dict[str, JSON] = {"route_metric_only": True} if partial and routes else {}
    return Facts(kind=INFO.kind, routes=tuple(routes), settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``Get-NetRoute | ConvertTo-Json``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
