"""Shared pieces of the PowerShell ``… | ConvertTo-Json`` parsers.

Private to ``ps_netipaddress``, ``ps_netroute``, ``ps_dnsclientserver`` and
``ps_netadapter``. What every such output has in common:

* ``ConvertTo-Json`` prints a single object, not an array, when the pipeline held one
  item, and nothing at all when it held none;
* Windows PowerShell 5.1 indents with 4 spaces and writes ``"Key":  value`` (two
  spaces), PowerShell 7 indents with 2; redirected with ``>`` in 5.1 the file is
  UTF-16LE with a BOM (``read_text`` decodes all of these);
* enums are numbers in 5.1 (``"AddressFamily": 2``) and may be names in 7 with
  ``-EnumsAsStrings`` (``"AddressFamily": "IPv4"``);
* CIM objects carry ``CimClass``/``CimInstanceProperties``/``CimSystemProperties``
  strings, which are ignored.

JSON has no per-object line numbers; warnings point at the line that names the
object (its ``InterfaceAlias``, ``Name`` …).
"""

from __future__ import annotations

from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Family
from netatlas.parsers._base import Line, first_content_line
from netatlas.parsers._linux import load_json

__all__ = ["family", "integer", "load_objects", "text"]

_FAMILIES: dict[object, Family] = {
    2: "inet",
    23: "inet6",
    "ipv4": "inet",
    "ipv6": "inet6",
    "internetwork": "inet",
    "internetworkv6": "inet6",
    "2": "inet",
    "23": "inet6",
}


def load_objects(lines: list[Line], required: tuple[str, ...], what: str) -> list[dict[str, Any]]:
    """The JSON objects of a ``ConvertTo-Json`` output, one or many.

    Objects lacking every key of ``required`` are dropped; when no object has one,
    this is not the format at all.

    Raises:
        ParseError: not JSON, not objects, or none of them has a ``required`` key.
    """
    doc = load_json(lines)
    items = [doc] if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ParseError(f"expected a JSON object or array of {what}", line=first_content_line(lines))
    out = [i for i in items if isinstance(i, dict) and any(k in i for k in required)]
    if not out:
        raise ParseError(
            f"no {what} in the JSON (no object with {' or '.join(map(repr, required))})",
            line=first_content_line(lines),
        )
    return out


def text(obj: dict[str, Any], *keys: str) -> str | None:
    """The first non-empty string value among ``keys``."""
    for k in keys:
        v = obj.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def integer(obj: dict[str, Any], *keys: str) -> int | None:
    """The first non-negative integer among ``keys`` (JSON number or digit string)."""
    for k in keys:
        v = obj.get(k)
        if isinstance(v, bool):
            continue
        if isinstance(v, int) and 0 <= v < 1 << 63:
            return v
        if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) < 19:
            return int(v)
    return None


def family(value: object) -> Family | None:
    """``AddressFamily`` (``2``/``23``, ``IPv4``/``IPv6``) as ``inet``/``inet6``."""
    if isinstance(value, bool):
        return None
    key = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(key, (int, str)):
        return None
    return _FAMILIES.get(key)
