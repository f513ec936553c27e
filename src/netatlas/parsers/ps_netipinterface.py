"""PowerShell ``Get-NetIPInterface | ConvertTo-Json``: each interface's metric per family.

Windows picks among routes to the same prefix by the *sum* of the route's own metric
(``Get-NetRoute``'s ``RouteMetric``) and its interface's metric, which only
``Get-NetIPInterface`` shows (``route print``'s Metric column is already the sum).
Without it a VPN's default route and Wi-Fi's, both ``RouteMetric`` 0, tie.

Schema: fills ``Facts.settings["interface_metrics"]``, ``{"inet": {ALIAS: METRIC},
"inet6": {ALIAS: METRIC}}``, from ``InterfaceAlias`` (or ``InterfaceIndex`` as text),
``AddressFamily`` (``2``/``23`` or ``IPv4``/``IPv6``) and ``InterfaceMetric``. The
map adds these to the ``RouteMetric`` of ``ps-netroute`` routes of the same vantage.

Example (Windows PowerShell 5.1, ``Select-Object … | ConvertTo-Json -Compress``)::

    [{"InterfaceAlias":"Wi-Fi","InterfaceIndex":18,"AddressFamily":2,"InterfaceMetric":35,"ConnectionState":1}]

gives ``{"interface_metrics": {"inet": {"Wi-Fi": 35}}}``.
"""

from __future__ import annotations

from typing import Any

from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import Line, Occurrences, ParserInfo, Platform, Warnings, run_stages
from netatlas.parsers._powershell import family, integer, load_objects, text

INFO = ParserInfo(
    kind="ps-netipinterface",
    description="PowerShell Get-NetIPInterface as JSON (ConvertTo-Json): interface metrics per family",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-NetIPInterface\b",),
    source='powershell -Command "Get-NetIPInterface | Select-Object InterfaceAlias,InterfaceIndex,'
    'AddressFamily,InterfaceMetric,ConnectionState | ConvertTo-Json -Compress"',
)


def sniff(text: str) -> float:
    """High for JSON objects with ``InterfaceMetric`` and ``AddressFamily`` but no route or address."""
    head = text[:20000]
    if '"InterfaceMetric"' in head and '"AddressFamily"' in head:
        if '"DestinationPrefix"' in head or '"IPAddress"' in head:
            return 0.0
        return 0.9
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the JSON objects that carry an ``InterfaceMetric``, each with its ``line``."""
    objs = load_objects(lines, ("InterfaceMetric",), "Get-NetIPInterface objects")
    seen = Occurrences(lines)
    return [{**o, "line": seen.line("InterfaceAlias", o.get("InterfaceAlias"))} for o in objs]


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    metrics: dict[str, JSON] = {}
    for o in raw:
        line: int = o["line"]
        alias = text(o, "InterfaceAlias", "ifAlias")
        if alias is None:
            index = integer(o, "InterfaceIndex", "ifIndex")
            alias = None if index is None else str(index)
        fam = family(o.get("AddressFamily"))
        metric = integer(o, "InterfaceMetric")
        if alias is None or fam is None or metric is None:
            warnings.add(line, f"skipped interface {alias!r}: no alias, address family or InterfaceMetric")
            continue
        per = metrics.setdefault(fam, {})
        assert isinstance(per, dict)
        per[alias] = metric
    settings: dict[str, JSON] = {"interface_metrics": metrics} if metrics else {}
    return Facts(kind=INFO.kind, settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``Get-NetIPInterface | ConvertTo-Json``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
