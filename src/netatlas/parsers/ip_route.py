"""``ip route`` (iproute2) text output: ``ip route``, ``ip -6 route``,
``ip route show table all``.

Schema: fills ``Facts.routes``, one :class:`~netatlas.model.Route` per route line:

* ``destination``: the network; ``default`` is ``0.0.0.0/0`` or ``::/0`` (IPv6 when
  the gateway or source is IPv6, the route has the IPv6-only ``pref`` attribute, or
  the whole input is IPv6), a bare address is a host route (``/32``, ``/128``);
* ``gateway`` (``via``, also ``via inet6 ADDR``), ``interface`` (``dev``),
  ``metric``, ``source`` (``src``), ``table`` (``None`` for ``main``, which ``ip``
  does not print), ``scope`` as printed (``link`` marks on-link routes, which Docker's
  allocator avoids; IPv6 routes print no scope), ``type`` (``local``, ``broadcast``,
  ``blackhole``, ``unreachable``, ``prohibit``, ``multicast`` …; ``None`` for unicast).

A multipath route (``nexthop via … dev … weight N`` continuation lines) becomes one
route per nexthop, each with the destination and attributes of its head line.

Example::

    default via 172.17.0.1 dev eth0
    172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2

gives ``[{"destination": "0.0.0.0/0", "gateway": "172.17.0.1", "interface":
"eth0", …}, {"destination": "172.17.0.0/16", "interface": "eth0", "scope": "link",
"source": "172.17.0.2", …}]``.

jc 1.26 has an ``ip_route`` parser, but on real ``table all`` output it drops the
``table`` attribute, loses the destination of typed routes (``local 10.0.0.1 …``
comes back as ``{"ip": "local"}``, ``blackhole 198.51.100.0/24`` as
``{"ip": "blackhole"}``) and turns ``nexthop`` lines into routes whose destination
is the word ``nexthop``; it also keeps no line numbers. So the (simple, keyword
driven) tokenising is done here.
"""

from __future__ import annotations

import re
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
from netatlas.parsers._linux import route_facts

INFO = ParserInfo(
    kind="ip-route",
    description="Linux 'ip route' text output (iproute2), any table, IPv4 and IPv6",
    platforms=(Platform.LINUX,),
    commands=(r"^(?:sudo\s+)?ip\s+(?:-\S+\s+)*r(?:o(?:u(?:te?)?)?)?\b",),
    source="ip route show table all",
)

TYPES = frozenset(
    {"unicast", "local", "broadcast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat"} | {"anycast"}
)
"""Route types ``ip`` prints before the destination."""

_VALUED = frozenset(
    {
        "via", "dev", "metric", "scope", "table", "src", "proto", "pref", "weight", "expires", "mtu",
        "advmss", "hoplimit", "realm", "realms", "initcwnd", "initrwnd", "quickack", "features",
        "congctl", "rto_min", "from", "tos", "dsfield", "nhid", "error", "window", "rtt", "rttvar",
        "ssthresh", "cwnd", "reordering", "fastopen_no_cookie", "ttl-propagate", "encap", "id",
        "protocol", "preference", "uid", "iif", "cache", "ipid", "used", "age", "users",
    }
)  # fmt: skip
_FLAGS = frozenset(
    {"linkdown", "onlink", "dead", "pervasive", "offload", "trap", "notify", "rt_offload", "rt_trap",
     "offload_failed", "lock", "cached", "cloned"}
)  # fmt: skip
_KEYMAP = {"src": "prefsrc", "via": "gateway", "preference": "pref"}
_DEST = re.compile(r"^(?:default|[0-9a-fA-F:.]+(?:/\d{1,3})?)$")


def sniff(text: str) -> float:
    """High when most lines look like ``DEST [via GW] dev IFACE …``."""
    body = [t.strip() for t in text.splitlines()[:300] if t.strip()]
    if not body:
        return 0.0
    hits = 0
    for t in body:
        toks = t.split()
        if toks and toks[0] in TYPES:
            toks = toks[1:]
        if (
            toks and _DEST.match(toks[0]) and (" dev " in f" {t} " or " via " in f" {t} " or toks[0] in ("default",))
        ) or (toks and toks[0] == "nexthop"):
            hits += 1
    if not hits:
        return 0.0
    return min(0.95, 0.2 + 0.75 * hits / len(body))


def _tokens(words: list[str], line: int, warnings: Warnings) -> dict[str, Any]:
    """Attribute words (after the destination) to a dict; unknown words warn once."""
    tok: dict[str, Any] = {}
    i = 0
    unknown: list[str] = []
    while i < len(words):
        w = words[i]
        if w in _FLAGS:
            tok.setdefault("flags", []).append(w)
            i += 1
        elif w in _VALUED and i + 1 < len(words):
            value = words[i + 1]
            if w == "via" and value in ("inet", "inet6") and i + 2 < len(words):
                value = words[i + 2]
                i += 1
            if w == "mtu" and value == "lock" and i + 2 < len(words):
                value = words[i + 2]
                i += 1
            tok.setdefault(_KEYMAP.get(w, w), value)
            i += 2
        else:
            unknown.append(w)
            i += 1
    if unknown:
        warnings.add(line, f"ignored unknown route attribute(s): {' '.join(unknown)[:60]!r}")
    return tok


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: one dict per route (one per nexthop for multipath routes)."""
    out: list[dict[str, Any]] = []
    head: dict[str, Any] | None = None
    head_used = False
    for ln in lines:
        words = ln.text.split()
        if not words:
            continue
        if words[0] == "nexthop":
            if head is None:
                warnings.add(ln.no, "skipped 'nexthop' line without a route before it")
                continue
            nh = _tokens(words[1:], ln.no, warnings)
            base = {k: v for k, v in head.items() if k not in ("gateway", "dev", "weight")}
            out.append({**base, **nh, "line": ln.no})
            head_used = True
            continue
        if head is not None and not head_used:
            out.append(head)
        head, head_used = None, False
        rtype = None
        if words[0] in TYPES:
            rtype, words = words[0], words[1:]
        if not words or not _DEST.match(words[0]):
            warnings.add(ln.no, f"skipped line that is not an 'ip route' route: {ln.text.strip()[:60]!r}")
            continue
        head = {"line": ln.no, "dst": words[0], "type": rtype, **_tokens(words[1:], ln.no, warnings)}
    if head is not None and not head_used:
        out.append(head)
    if not out:
        raise ParseError("no 'ip route' route lines found", line=first_content_line(lines))
    return out


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    return route_facts(INFO.kind, raw, warnings)


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``ip route`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
