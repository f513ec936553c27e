"""PowerShell ``Get-NetIPAddress | ConvertTo-Json``: every IP address of a Windows host.

Schema: fills ``Facts.interfaces``, one :class:`~netatlas.model.Interface` per
``InterfaceAlias`` (first-seen order), with ``name`` the alias (the same name
``ipconfig`` prints after "adapter", so both views of an adapter join),
``index`` from ``InterfaceIndex`` (or ``ifIndex``), and ``addresses`` from each
object's ``IPAddress``, ``PrefixLength`` and ``AddressFamily`` (``2`` → ``inet``,
``23`` → ``inet6``; ``IPv4``/``IPv6`` when PowerShell 7 wrote enums as strings). A
``%zone`` suffix on link-local addresses is dropped. Addresses whose
``AddressState`` is ``Duplicate`` or ``Invalid`` (``2``/``0``) are skipped with a
warning: Windows does not use them. Objects from the ``PersistentStore``
(``Store`` ``0``, only with ``-PolicyStore``) are skipped too: they are
configuration, not what the stack holds now.

Example (Windows PowerShell 5.1, one object, so no array)::

    {
        "IPAddress":  "172.25.144.1",
        "InterfaceIndex":  45,
        "InterfaceAlias":  "vEthernet (WSL)",
        "AddressFamily":  2,
        "PrefixLength":  20,
        "AddressState":  4,
        "Store":  1
    }

gives ``[{"name": "vEthernet (WSL)", "index": 45, "addresses": [{"address":
"172.25.144.1", "prefixlen": 20, "family": "inet"}], …}]``.

The family is taken from the address itself when ``AddressFamily`` is missing, with
a warning when the two disagree. 4-space (5.1) and 2-space (7) indentation, UTF-16LE
files (``> out.json`` in 5.1) and pasted transcripts with a ``PS C:\\>`` prompt are
all read.
"""

from __future__ import annotations

from typing import Any

from netatlas.model import Address, Facts, Family, Interface
from netatlas.parsers._base import (
    Line,
    Occurrences,
    ParserInfo,
    Platform,
    Warnings,
    ip_or_none,
    run_stages,
)
from netatlas.parsers._powershell import family, integer, load_objects, text

INFO = ParserInfo(
    kind="ps-netipaddress",
    description="PowerShell Get-NetIPAddress as JSON (ConvertTo-Json): Windows addresses",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bGet-NetIPAddress\b",),
    source='powershell -Command "Get-NetIPAddress | ConvertTo-Json -Depth 3"',
)

_SKIP_STATES: dict[int | str, str] = {0: "Invalid", 2: "Duplicate", "invalid": "Invalid", "duplicate": "Duplicate"}


def sniff(text: str) -> float:
    """High for JSON objects with ``IPAddress``, ``PrefixLength`` and ``InterfaceAlias``."""
    head = text[:20000]
    if '"IPAddress"' in head and '"PrefixLength"' in head:
        return 0.95 if '"InterfaceAlias"' in head or '"InterfaceIndex"' in head else 0.6
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: the JSON objects that carry an ``IPAddress``, each with its ``line``."""
    objs = load_objects(lines, ("IPAddress", "IPv4Address", "IPv6Address"), "Get-NetIPAddress objects")
    seen = Occurrences(lines)
    out = []
    for o in objs:
        addr = text(o, "IPAddress", "IPv4Address", "IPv6Address")
        out.append({**o, "line": seen.line("IPAddress", addr)})
    return out


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    by_alias: dict[str, dict[str, Any]] = {}
    for o in raw:
        line: int = o["line"]
        raw_addr = text(o, "IPAddress", "IPv4Address", "IPv6Address")
        alias = text(o, "InterfaceAlias", "ifAlias")
        index = integer(o, "InterfaceIndex", "ifIndex")
        if alias is None:
            if index is None:
                warnings.add(line, f"skipped address {raw_addr!r} without InterfaceAlias or InterfaceIndex")
                continue
            alias = f"ifIndex {index}"
            warnings.add(line, f"address {raw_addr!r} has no InterfaceAlias; named {alias!r}")
        store = o.get("Store")
        if store == 0 or (isinstance(store, str) and store.lower() == "persistentstore"):
            warnings.add(line, f"skipped {raw_addr!r}: PersistentStore (configured, not active)")
            continue
        state = o.get("AddressState")
        key = state.lower() if isinstance(state, str) else state
        skip = _SKIP_STATES.get(key) if isinstance(key, (int, str)) and not isinstance(key, bool) else None
        if skip is not None:
            warnings.add(line, f"skipped {raw_addr!r} on {alias!r}: AddressState {skip}")
            continue
        entry = by_alias.setdefault(alias, {"index": index, "addresses": []})
        if entry["index"] is None:
            entry["index"] = index
        address = ip_or_none(raw_addr)
        fam: Family | None = family(o.get("AddressFamily"))
        if address is None:
            warnings.add(line, f"not an IP address: {raw_addr!r}; kept as unknown")
            entry["addresses"].append(Address(None, None, fam or "inet"))
            continue
        actual: Family = "inet" if address.version == 4 else "inet6"
        if fam is not None and fam != actual:
            warnings.add(line, f"AddressFamily {o.get('AddressFamily')!r} does not match {address}")
        prefixlen = integer(o, "PrefixLength")
        if prefixlen is None or prefixlen > address.max_prefixlen:
            if o.get("PrefixLength") is not None:
                warnings.add(line, f"bad PrefixLength {o.get('PrefixLength')!r} for {address}")
            prefixlen = None
        a = Address(address, prefixlen, actual)
        if a not in entry["addresses"]:
            entry["addresses"].append(a)
    interfaces = tuple(
        Interface(name=alias, index=e["index"], addresses=tuple(e["addresses"])) for alias, e in by_alias.items()
    )
    return Facts(kind=INFO.kind, interfaces=interfaces, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``Get-NetIPAddress | ConvertTo-Json``. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
