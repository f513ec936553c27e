"""Shared pieces of the Linux/macOS interface and route parsers.

Private to ``ip_addr``, ``ip_addr_json``, ``ip_route``, ``ip_route_json``,
``ifconfig``, ``netstat_rn`` and ``ss_listen``: reading ``ip -j`` JSON out of a pasted
transcript with the right line number on error, building a :class:`Route` from the
tokens both ``ip route`` forms share, and deciding whether a link is up the same way
for every format.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Facts, Family, IPAddress, IPNetwork, Route
from netatlas.parsers._base import Line, Warnings, first_content_line, ip_or_none

__all__ = ["input_family", "is_up", "load_json", "load_json_array", "make_route", "to_int"]

_DEFAULT: dict[Family, IPNetwork] = {
    "inet": ipaddress.IPv4Network("0.0.0.0/0"),
    "inet6": ipaddress.IPv6Network("::/0"),
}


def load_json(lines: list[Line]) -> Any:
    """Decode the JSON text in ``lines`` (prompts and fences already removed).

    The error line is mapped back through the kept lines, so a pasted transcript
    reports the line number of the original paste, not of the joined text.

    Raises:
        ParseError: not JSON, at the JSONDecodeError's line.
    """
    body = "\n".join(ln.text for ln in lines)
    if not body.strip():
        raise ParseError("no JSON found", line=first_content_line(lines))
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        idx = min(max(exc.lineno - 1, 0), len(lines) - 1)
        raise ParseError(f"invalid JSON: {exc.msg}", line=lines[idx].no) from exc
    except RecursionError as exc:  # absurdly deep nesting: still just bad input
        raise ParseError("invalid JSON: nested too deeply", line=lines[0].no) from exc


def load_json_array(lines: list[Line], what: str) -> list[Any]:
    """The JSON in ``lines`` as a list of items: ``ip -j`` prints an array, a pasted
    single object counts as an array of one.

    Raises:
        ParseError: not JSON, or neither an array nor an object.
    """
    doc = load_json(lines)
    items = [doc] if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ParseError(f"expected a JSON array of {what}", line=first_content_line(lines))
    return items


def to_int(value: object) -> int | None:
    """An int from JSON or text, ``None`` when it is not a (non-negative) integer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) < 19:
        return int(value)
    return None


def is_up(flags: Iterable[str], state: str | None) -> bool:
    """Whether a link is up *and* has carrier, for every Linux format alike.

    ``ip`` reports ``state UP``; loopback, tun and WireGuard devices report
    ``UNKNOWN``, where the ``UP`` and ``LOWER_UP`` flags decide. Without a state the
    ``UP`` flag (set by the administrator) is what there is.
    """
    names = {f.upper() for f in flags}
    if state is not None:
        st = state.upper()
        if st == "UP":
            return True
        if st != "UNKNOWN":
            return False
    if "NO-CARRIER" in names:
        return False
    return "UP" in names


def _family_hint(*addresses: object) -> Family | None:
    for a in addresses:
        parsed = ip_or_none(a) if isinstance(a, str) else None
        if parsed is not None:
            return "inet" if parsed.version == 4 else "inet6"
    return None


def make_route(
    tok: Mapping[str, Any],
    *,
    line: int,
    warnings: Warnings,
    family: Family | None = None,
) -> Route | None:
    """A :class:`Route` from ``ip route`` tokens, or ``None`` (with a warning).

    ``tok`` keys: ``dst`` (``default``, an address or a CIDR), ``gateway``, ``dev``,
    ``metric``, ``scope``, ``table``, ``prefsrc``, ``type``. ``default`` becomes
    ``0.0.0.0/0`` or ``::/0``: the family is ``family`` if the caller knows it
    (``ip -6``), else that of the gateway or source, else IPv6 when the route has
    the IPv6-only ``pref`` attribute, else IPv4.
    """
    dst = str(tok.get("dst") or "")
    gw_text = tok.get("gateway")
    src_text = tok.get("prefsrc")
    fam = family or _family_hint(gw_text, src_text) or ("inet6" if tok.get("pref") else None)
    destination: IPNetwork
    if dst == "default":
        destination = _DEFAULT[fam or "inet"]
    else:
        try:
            destination = ipaddress.ip_network(dst.split("%")[0], strict=False)
        except ValueError:
            warnings.add(line, f"skipped route: destination is not a network: {dst!r}")
            return None
    gateway: IPAddress | None = None
    if gw_text:
        gateway = ip_or_none(str(gw_text))
        if gateway is None:
            # kept without it, ``default via 10.0.0.300`` would become an on-link default
            # route: a route the kernel never had, that sends everything out of eth0
            warnings.add(line, f"skipped route: gateway is not an address: {gw_text!r}")
            return None
    source: IPAddress | None = None
    if src_text:
        source = ip_or_none(str(src_text))
        if source is None:
            warnings.add(line, f"source is not an address: {src_text!r}")
    rtype = tok.get("type")
    return Route(
        destination=destination,
        gateway=gateway,
        interface=str(tok["dev"]) if tok.get("dev") else None,
        metric=to_int(tok.get("metric")),
        scope=str(tok["scope"]) if tok.get("scope") else None,
        table=str(tok["table"]) if tok.get("table") else None,
        source=source,
        type=None if rtype in (None, "", "unicast") else str(rtype),
    )


def input_family(raw: Iterable[Mapping[str, Any]]) -> Family | None:
    """``inet6`` when every route token with an address in it is IPv6 (``ip -6 route``).

    Used to place a ``default`` route that names neither a gateway nor a source.
    """
    seen: set[int] = set()
    for tok in raw:
        for key in ("dst", "gateway", "prefsrc"):
            a = ip_or_none(str(tok.get(key) or "").split("/")[0])
            if a is not None:
                seen.add(a.version)
    return "inet6" if seen == {6} else None


def route_facts(kind: str, raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    """Route tokens (from ``ip route`` text or ``ip -j route``) as facts.

    ``ip`` omits the main table; a token that names it is made to say the same, so
    both forms of one table give equal routes.
    """
    family = input_family(raw)
    routes: list[Route] = []
    for tok in raw:
        tok = dict(tok)
        if tok.get("table") == "main":
            tok["table"] = None
        r = make_route(tok, line=tok["line"], warnings=warnings, family=family)
        if r is not None:
            routes.append(r)
    return Facts(kind=kind, routes=tuple(routes), warnings=warnings.sorted())
