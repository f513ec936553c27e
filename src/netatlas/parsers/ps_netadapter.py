"""PowerShell ``Get-NetAdapter | ConvertTo-Json``: the Windows network adapters.

Schema: fills ``Facts.interfaces``, one :class:`~netatlas.model.Interface` per
object, in output order:

* ``name`` from ``Name`` (``vEthernet (WSL)``; the same name ``ipconfig`` and
  ``Get-NetIPAddress`` use, so the views join), ``description`` from
  ``InterfaceDescription`` (``Hyper-V Virtual Ethernet Adapter #2``);
* ``mac`` from ``MacAddress`` (``00-15-5D-2A-8F-31`` → ``00:15:5d:2a:8f:31``; an empty
  or all-zero value is ``None``);
* ``mtu`` from ``MtuSize``, ``index`` from ``ifIndex``/``InterfaceIndex``;
* ``up`` from ``Status`` (``Up`` → true; ``Disconnected``, ``Disabled``,
  ``Not Present`` … → false), or from ``ifOperStatus``/``InterfaceOperationalStatus``
  (``1`` is up) when there is no ``Status`` string;
* ``type`` from ``MediaType`` when it is a string (``802.3``, ``Native 802.11``).

Example (Windows PowerShell 5.1, one adapter, so no array)::

    {
        "Name":  "vEthernet (WSL)",
        "InterfaceDescription":  "Hyper-V Virtual Ethernet Adapter #2",
        "ifIndex":  45,
        "Status":  "Up",
        "MacAddress":  "00-15-5D-2A-8F-31",
        "MtuSize":  1500
    }

gives ``[{"name": "vEthernet (WSL)", "description": "Hyper-V Virtual Ethernet Adapter
#2", "mac": "00:15:5d:2a:8f:31", "mtu": 1500, "up": true, "index": 45, …}]``.
"""

from __future__ import annotations

from typing import Any

from netatlas.model import Facts, Interface
from netatlas.parsers._base import Line, Occurrences, ParserInfo, Platform, Warnings, mac, run_stages
from netatlas.parsers._powershell import integer, load_objects, text

INFO = ParserInfo(
    kind="ps-netadapter",
    description="PowerShell Get-NetAdapter as JSON (ConvertTo-Json): Windows adapters",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-NetAdapter\b",),
    source='powershell -Command "Get-NetAdapter | ConvertTo-Json -Depth 3"',
)


def sniff(text: str) -> float:
    """High for JSON objects with ``InterfaceDescription`` and ``MacAddress``."""
    head = text[:20000]
    if '"InterfaceDescription"' in head and '"MacAddress"' in head:
        return 0.95 if '"Status"' in head or '"MtuSize"' in head or '"LinkSpeed"' in head else 0.6
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the JSON objects that name an adapter, each with its ``line``."""
    objs = load_objects(lines, ("Name", "InterfaceAlias"), "Get-NetAdapter objects")
    seen = Occurrences(lines)
    out = []
    for o in objs:
        name = text(o, "Name", "InterfaceAlias", "ifAlias")
        out.append({**o, "line": seen.line("Name", name)})
    return out


def _up(o: dict[str, Any], line: int, warnings: Warnings) -> bool | None:
    status = text(o, "Status")
    if status is not None:
        return status.casefold() == "up"
    oper = integer(o, "ifOperStatus", "InterfaceOperationalStatus")
    if oper is not None:
        return oper == 1
    return None


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    interfaces: list[Interface] = []
    for o in raw:
        line: int = o["line"]
        name = text(o, "Name", "InterfaceAlias", "ifAlias")
        if name is None:
            warnings.add(line, "skipped adapter without a Name")
            continue
        raw_mac = text(o, "MacAddress", "PermanentAddress")
        hw = mac(raw_mac)
        if raw_mac is not None and hw is None:
            warnings.add(line, f"MacAddress {raw_mac!r} of {name!r} is not a MAC address")
        if hw == "00:00:00:00:00:00":
            hw = None
        media = o.get("MediaType")
        interfaces.append(
            Interface(
                name=name,
                description=text(o, "InterfaceDescription", "ifDesc"),
                mac=hw,
                mtu=integer(o, "MtuSize"),
                up=_up(o, line, warnings),
                type=media.strip() if isinstance(media, str) and media.strip() else None,
                index=integer(o, "ifIndex", "InterfaceIndex"),
            )
        )
    return Facts(kind=INFO.kind, interfaces=tuple(interfaces), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``Get-NetAdapter | ConvertTo-Json``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
