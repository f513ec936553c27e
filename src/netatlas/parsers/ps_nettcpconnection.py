"""PowerShell ``Get-NetTCPConnection -State Listen | ConvertTo-Json``: Windows' TCP listeners.

Schema: fills ``Facts.listeners``, one :class:`~netatlas.model.Listener` per object
in state ``Listen``, in output order:

* ``protocol`` ``"tcp"``;
* ``address`` from ``LocalAddress`` (``0.0.0.0`` and ``::`` are kept: the wildcard of
  their family, as ``ss`` shows them); ``port`` from ``LocalPort``;
* ``pid`` from ``OwningProcess``; ``process`` from ``ProcessName`` when the object
  carries one (the cmdlet names only the process id; a user's ``Select-Object`` may
  add the name with a calculated property, the collector does not, as its scripts
  hold no script blocks).

``State`` is the ``MSFT_NetTCPConnection`` enumeration: a number in Windows
PowerShell 5.1 (``2`` is ``Listen``), a name with PowerShell 7's ``-EnumsAsStrings``.
Objects in any other state (a pasted ``Get-NetTCPConnection`` without ``-State
Listen`` lists every connection) are not listeners and are left out; a ``State`` that
is no TCP state is left out with a warning. Objects without a ``State`` are not this
cmdlet's (``Get-NetUDPEndpoint`` prints the same ports and processes, but no state):
output with none is refused.

Example (PowerShell 7, one listener, so a single object)::

  {
    "LocalAddress": "0.0.0.0",
    "LocalPort": 8080,
    "State": 2,
    "OwningProcess": 15852,
    "ProcessName": "com.docker.backend"
  }

gives ``[{"protocol": "tcp", "address": "0.0.0.0", "port": 8080, "process":
"com.docker.backend", "pid": 15852, "interface": null}]``.

An object whose ``LocalAddress`` is not an address or whose ``LocalPort`` is not a
port (1–65535) is skipped with a warning at the line naming its port.
"""

from __future__ import annotations

from typing import Any

from netatlas.model import Facts, Listener
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
    kind="ps-nettcpconnection",
    description="PowerShell Get-NetTCPConnection -State Listen as JSON (ConvertTo-Json): Windows TCP listeners",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-NetTCPConnection\b",),
    source=(
        'powershell -Command "Get-NetTCPConnection -State Listen | '
        'Select-Object LocalAddress,LocalPort,State,OwningProcess | ConvertTo-Json -Depth 3"'
    ),
)

_LISTEN = 2
"""``MSFT_NetTCPConnection.State``: 1 Closed, 2 Listen, 3 SynSent, … 5 Established, … 100 Bound."""


_STATES = {
    "closed": 1,
    "listen": 2,
    "synsent": 3,
    "synreceived": 4,
    "established": 5,
    "finwait1": 6,
    "finwait2": 7,
    "closewait": 8,
    "closing": 9,
    "lastack": 10,
    "timewait": 11,
    "deletetcb": 12,
    "bound": 100,
}


def sniff(text: str) -> float:
    """High for JSON objects with ``LocalPort``, ``OwningProcess`` and a ``State``."""
    head = text[:20000]
    if '"LocalPort"' in head and '"OwningProcess"' in head and '"State"' in head:
        return 0.95 if '"LocalAddress"' in head else 0.6
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the JSON objects that carry a ``State``, each with the line naming its port."""
    objs = load_objects(lines, ("State",), "Get-NetTCPConnection objects")
    seen = Occurrences(lines)
    return [{**o, "line": seen.line("LocalPort", o.get("LocalPort"))} for o in objs]


def _state(value: object) -> int | None:
    """The ``MSFT_NetTCPConnection.State`` number of a JSON value (number, digits or name)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in _STATES.values() else None
    if isinstance(value, str):
        key = value.strip().lower()
        if key.isascii() and key.isdigit() and len(key) < 4:
            return int(key) if int(key) in _STATES.values() else None
        return _STATES.get(key)
    return None


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    listeners: list[Listener] = []
    for o in raw:
        line: int = o["line"]
        state = _state(o.get("State"))
        if state is None:
            warnings.add(line, f"skipped object: State {str(o.get('State'))[:40]!r} is no TCP connection state")
            continue
        if state != _LISTEN:
            continue
        port = integer(o, "LocalPort")
        if port is None or not 0 < port < 65536:
            warnings.add(line, f"skipped listener: LocalPort {o.get('LocalPort')!r} is not a port")
            continue
        local = text(o, "LocalAddress")
        address = ip_or_none(local)
        if address is None:
            warnings.add(
                line, f"skipped listener on port {port}: LocalAddress {o.get('LocalAddress')!r} is not an address"
            )
            continue
        listeners.append(
            Listener(
                protocol="tcp",
                address=address,
                port=port,
                process=text(o, "ProcessName"),
                pid=integer(o, "OwningProcess"),
            )
        )
    return Facts(kind=INFO.kind, listeners=tuple(listeners), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``Get-NetTCPConnection | ConvertTo-Json`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
