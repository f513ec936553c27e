"""Listeners read over netlink ``sock_diag``, as netatlas records them (``sock-diag-json``).

The input is the JSON list :mod:`netatlas.collect.sock_diag` writes: one record per
listening TCP or bound UDP endpoint of one network namespace (what ``ss -ltnup``
shows), with the processes holding it::

    [
    {"protocol": "tcp", "state": "LISTEN", "family": "inet", "local": "0.0.0.0", "port": 8080,
     "v6only": null, "interface": null, "ifindex": 0, "inode": 31902, "uid": 0,
     "processes": [{"pid": 13356, "name": "docker-proxy", "fd": 4}]},
    {"protocol": "udp", "state": "UNCONN", "family": "inet6", "local": "::", "port": 5353,
     "v6only": false, "interface": null, "ifindex": 0, "inode": 2811, "uid": 0, "processes": [],
     "owner_error": "no process visible here holds it (another pid namespace's, or the kernel's)"}
    ]

Schema: fills ``Facts.listeners``, one :class:`~netatlas.model.Listener` per record
in state ``LISTEN`` (TCP) or ``UNCONN`` (UDP), the same facts the ``ss-listen``
parser takes from ``ss -ltnup``:

* ``protocol``: ``tcp`` or ``udp``;
* ``address``: the local address; ``::`` with ``v6only`` false (the listener takes
  IPv4 too, ``ss`` prints ``*``) is ``None``, every address of both families; an
  IPv4-mapped address (``::ffff:127.0.0.1``) is its IPv4 address;
* ``port``: the local port (a record with none is skipped with a warning);
* ``interface``: the device the listener is bound to, if any;
* ``process`` and ``pid``: the first process holding it (lowest pid), else
  ``None``. Records without a process say why (``owner_error``); the first such
  record gets one warning with the count and the reason.

The second example gives ``{"protocol": "udp", "address": null, "port": 5353,
"process": null, "pid": null, "interface": null}``.

A record in another state, or of another protocol, is skipped with a warning; a
local address that is not one is kept as unknown with a warning. jc has nothing for
this (it is netatlas's own JSON).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from netatlas.model import Facts, IPAddress, Listener
from netatlas.parsers._base import ParserInfo, Platform, Warnings, guard, ip_or_none, read_text
from netatlas.parsers._docker import extract_json

INFO = ParserInfo(
    kind="sock-diag-json",
    description="listening TCP/UDP ports over netlink sock_diag, with their processes (netatlas's JSON records)",
    platforms=(Platform.LINUX,),
    commands=(),
    source="netatlas scan (netlink SOCK_DIAG_BY_FAMILY, owners from /proc/PID/fd)",
)

_STATES = {"tcp": "LISTEN", "udp": "UNCONN"}
_ANY6 = ipaddress.IPv6Address("::")


def sniff(text: str) -> float:
    """High for a JSON list of records with ``inode``, ``state`` and ``processes``."""
    head = text[:4000]
    if head.lstrip().startswith("[") and '"inode"' in head and '"state"' in head and '"processes"' in head:
        return 0.95
    return 0.0


def _raw(text: str, warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens ``{"line", "obj"}``: one per record object, in input order."""
    out: list[dict[str, Any]] = []
    for value in extract_json(text, warnings):
        for first, _last, item in value.items:
            if isinstance(item, Mapping):
                out.append({"line": first, "obj": item})
            else:
                warnings.add(first, f"skipped a JSON {type(item).__name__} where a listener record belongs")
    return out


def _port(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value < 65536 else None


def _address(obj: Mapping[str, Any], line: int, warnings: Warnings) -> IPAddress | None:
    local = obj.get("local")
    address = ip_or_none(local) if isinstance(local, str) else None
    if address is None:
        warnings.add(line, f"local address is not an address: {local!r}; kept as unknown")
        return None
    if address.version == 6:
        if address == _ANY6 and obj.get("v6only") is False:
            return None  # a dual-stack wildcard: every address of both families
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


def _owner(obj: Mapping[str, Any]) -> tuple[str | None, int | None]:
    procs = obj.get("processes")
    for p in procs if isinstance(procs, list) else []:
        if isinstance(p, Mapping) and isinstance(p.get("pid"), int) and not isinstance(p.get("pid"), bool):
            name = p.get("name")
            return (name if isinstance(name, str) and name else None), int(p["pid"])
    return None, None


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    listeners: list[Listener] = []
    unowned: list[tuple[int, str]] = []
    for tok in raw:
        obj: Mapping[str, Any] = tok["obj"]
        line = int(tok["line"])
        proto, state = obj.get("protocol"), obj.get("state")
        if proto not in _STATES:
            warnings.add(line, f"skipped a {proto!r} record (only tcp and udp are read)")
            continue
        if state != _STATES[str(proto)]:
            warnings.add(line, f"skipped a {proto} record in state {state!r} (not listening)")
            continue
        port = _port(obj.get("port"))
        if port is None:
            warnings.add(line, f"skipped a {proto} record without a usable local port ({obj.get('port')!r})")
            continue
        process, pid = _owner(obj)
        if pid is None:
            why = obj.get("owner_error")
            unowned.append((line, why if isinstance(why, str) and why else "no process recorded"))
        iface = obj.get("interface")
        listeners.append(
            Listener(
                protocol=str(proto),
                address=_address(obj, line, warnings),
                port=port,
                process=process,
                pid=pid,
                interface=iface if isinstance(iface, str) and iface else None,
            )
        )
    if unowned:
        reasons = sorted({why for _line, why in unowned})
        warnings.add(unowned[0][0], f"process unknown for {len(unowned)} listener(s): {'; '.join(reasons)}")
    return Facts(kind=INFO.kind, listeners=tuple(listeners), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse one ``sock-diag-json`` list. Raises only :class:`~netatlas.errors.ParseError`."""

    def run() -> Facts:
        warnings = Warnings()
        return _process(_raw(read_text(data), warnings), warnings)

    return guard(run, source=source)
