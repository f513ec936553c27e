"""``traceroute`` output: Linux (modern, inetutils, busybox), macOS and FreeBSD.

Schema: fills ``Facts.hops``, one :class:`~netatlas.model.Hop` per (ttl, answering
address): ``ttl``, ``address`` (``None`` for a hop where every probe timed out, or
whose address was cut out), ``rtt_ms`` (the round-trip times that followed that
address, in order), ``name`` (the reverse name when one is shown and differs from
the address) and ``flags`` (the ``!H``/``!N``/``!X``/``!P``… annotations that
followed that address, once each in printed order: host, network unreachable,
administratively prohibited …, the "why can't A reach B" evidence). When several
routers answered one ttl (ECMP: ``1  10.0.0.1  0.1 ms  10.0.0.2  0.2 ms`` or
macOS/FreeBSD continuation lines), each gets its own Hop in order of first
appearance. ``Facts.settings`` holds ``target`` (the name as typed),
``target_address``, ``max_hops``, ``packet_bytes`` and ``source_address``
(``traceroute6 … from X``) when the header shows them.

Example::

    traceroute to 10.77.9.1 (10.77.9.1), 30 hops max, 60 byte packets
     1  r1.lab.test (10.77.1.1)  0.053 ms  0.006 ms  0.008 ms
     2  * * *

gives ``hops = [{"ttl": 1, "address": "10.77.1.1", "rtt_ms": [0.053, 0.006, 0.008],
"name": "r1.lab.test", "flags": []}, {"ttl": 2, "address": null, "rtt_ms": [], "name":
null, "flags": []}]``.

jc has a traceroute parser, but it is not used: on inetutils output (``64 hops max``
header without packet size, ``0.476ms`` with no space, as WSL distros print) it
returns every hop with no probes; it drops the line numbers our warnings need; and it
cannot tell ``10.0.0.1 (gw.example)`` (inetutils ``--resolve-hostnames``: address
first) from ``gw.example (10.0.0.1)``. The tokeniser here is a small regex scanner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from netatlas.errors import ParseError
from netatlas.model import Facts, Hop, IPAddress
from netatlas.model._serde import JSON
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    run_stages,
)

INFO = ParserInfo(
    kind="traceroute",
    description="traceroute output (Linux traceroute/inetutils/busybox, macOS, FreeBSD)",
    platforms=(Platform.LINUX, Platform.MACOS),
    commands=(r"^(?:sudo\s+)?(?:\S*/)?(?:traceroute6?|inetutils-traceroute|busybox\s+traceroute)\b",),
    source="traceroute [-n] HOST",
)

_HEADER = re.compile(
    r"^\s*(?:inetutils-)?traceroute6?\s+to\s+(?P<target>\S+?)\s*\((?P<addr>[^)]*)\)"
    r"(?:\s+from\s+(?P<src>[^,\s]+))?"
    r"(?:\s*,\s*(?P<max>\d+)\s+hops\s+max)?"
    r"(?:\s*,\s*(?P<bytes>\d+)\s+byte\s+packets)?",
    re.I,
)
_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})\s+(?P<rest>\S.*)$")
_TOKEN = re.compile(
    r"""
      (?P<rtt>\d+(?:\.\d+)?)\s*ms(?=\s|$)
    | (?P<star>\*)(?=\s|$)
    | (?P<flag>![A-Za-z]?(?:<\d+>|\d+)?)(?=\s|$)
    | (?P<asn>\[(?:AS[^\]]*|\*)\])
    | (?P<host>[^\s()]+)\s*\((?P<paren>[^)]*)\)
    | (?P<bare>[^\s()]+)
    """,
    re.X,
)
# What may follow the ttl: stars, or an answer (``[ASn]``, host, ``(addr)``) then a
# time, a star or a flag. Anything else (``64 bytes from …``) is not a hop line.
_HOP_START = re.compile(
    r"^(?:\*|(?:\[[^\]]*\]\s*)?[^\s()]+\s*(?:\([^)]*\)\s*)?(?:\[[^\]]*\]\s*)?(?:\d+(?:\.\d+)?\s*ms|\*|!))"
)
_ADDRESSY = re.compile(r"^[0-9A-Fa-f:.%]+$")


def sniff(text: str) -> float:
    """High for a ``traceroute to X (A), N hops max`` header; else by hop-line share."""
    head = text[:4000]
    if re.search(
        r"^\s*(?:inetutils-)?traceroute6?\s+to\s+\S+\s*\([^)]*\)\s*(?:from\s+\S+\s*)?,\s*\d+\s+hops\s+max",
        head,
        re.M | re.I,
    ):
        return 0.95
    body = [t for t in head.splitlines() if t.strip()]
    if not body:
        return 0.0
    hop = re.compile(r"^\s*\d{1,3}\s+(?:(?:\*\s*){1,6}$|\S+(?:\s+\([^)]*\))?\s+\d+(?:\.\d+)?\s*ms\b)")
    hits = sum(1 for t in body if hop.match(t))
    return 0.85 * hits / len(body) if hits >= 2 else 0.0


def _tokens(rest: str) -> Iterator[dict[str, str]]:
    for m in _TOKEN.finditer(rest):
        yield {k: v for k, v in m.groupdict().items() if v is not None}


def _raw(lines: list[Line], warnings: Warnings) -> dict[str, object]:
    """Tokens: ``{"header": {...} | None, "hops": [{"line", "ttl", "probes": [...]}]}``.

    Each probe is ``{"kind": "host"|"rtt"|"star"|"flag", ...}`` in printed order;
    continuation lines (no ttl) extend the previous hop's probes.
    """
    header: dict[str, str] | None = None
    hops: list[dict[str, object]] = []
    done = False
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        if done:
            warnings.add(ln.no, "skipped line after the end of the first trace")
            continue
        if h := _HEADER.match(text):
            if header is not None or hops:
                warnings.add(ln.no, "a second traceroute starts here; only the first is read")
                done = True
                continue
            header = {k: v for k, v in h.groupdict().items() if v is not None}
            header["line"] = str(ln.no)
            continue
        if re.match(r"^\s*(?:traceroute6?|inetutils-traceroute):", text):
            warnings.add(ln.no, f"skipped traceroute message: {text[:80]!r}")
            continue
        m = _HOP.match(ln.text)
        if m and _HOP_START.match(m["rest"]):
            probes = _probes(m["rest"], ln.no, warnings)
            if probes is None:
                continue
            hops.append({"line": ln.no, "ttl": int(m["ttl"]), "probes": probes})
            continue
        if hops and _continuation(text):
            more = _probes(text, ln.no, warnings)
            if more:
                probes_list = hops[-1]["probes"]
                assert isinstance(probes_list, list)
                probes_list.extend(more)
            continue
        warnings.add(ln.no, f"skipped line that is not a traceroute hop: {text[:60]!r}")
    if header is None and not hops:
        raise ParseError("no traceroute header or hop lines found", line=first_content_line(lines))
    return {"header": header, "hops": hops}


def _continuation(text: str) -> bool:
    """A hop's extra answer on its own line (indentation may be lost in a paste)."""
    return bool(
        re.match(r"^(?:\[[^\]]*\]\s*)?[^\s()]+\s*(?:\([^)]*\)\s*)?(?:\[[^\]]*\]\s*)?\d+(?:\.\d+)?\s*ms\b", text)
    )


def _probes(rest: str, line: int, warnings: Warnings) -> list[dict[str, str]] | None:
    out: list[dict[str, str]] = []
    for tok in _tokens(rest):
        if "rtt" in tok:
            out.append({"kind": "rtt", "value": tok["rtt"]})
        elif "star" in tok:
            out.append({"kind": "star"})
        elif "flag" in tok:
            out.append({"kind": "flag", "value": tok["flag"]})
        elif "asn" in tok:
            continue
        elif "host" in tok:
            out.append({"kind": "host", "host": tok["host"], "paren": tok["paren"].strip()})
        elif tok.get("bare") == "ms":
            continue
        else:
            out.append({"kind": "host", "host": tok["bare"], "paren": ""})
    if not out:
        warnings.add(line, f"skipped hop line with nothing readable: {rest[:60]!r}")
        return None
    return out


def _address_and_name(host: str, paren: str, line: int, warnings: Warnings) -> tuple[IPAddress | None, str | None]:
    """``name (addr)``, ``addr (name)`` (inetutils), ``addr (addr)``, or a bare token."""
    a_host, a_paren = ip_or_none(host), ip_or_none(paren) if paren else None
    if a_paren is not None:
        return a_paren, None if a_host is not None or host == paren else host
    if a_host is not None:
        return a_host, paren if paren and not _ADDRESSY.match(paren) else None
    shown = paren or host
    warnings.add(line, f"hop address {shown!r} is not an IP address (cut out or a placeholder); kept as None")
    name = host if host != paren and not _ADDRESSY.match(host) and "*" not in host else None
    if name is None and paren and paren == host and "*" not in host:
        name = host
    return None, name


def _process(raw: dict[str, object], warnings: Warnings) -> Facts:
    settings: dict[str, JSON] = {}
    header = raw["header"]
    if isinstance(header, dict):
        settings["target"] = header["target"]
        target = ip_or_none(header["addr"])
        if target is None:
            warnings.add(int(header["line"]), f"target address {header['addr']!r} is not an IP address")
        settings["target_address"] = str(target) if target is not None else None
        if "max" in header:
            settings["max_hops"] = int(header["max"])
        if "bytes" in header:
            settings["packet_bytes"] = int(header["bytes"])
        if "src" in header:
            src = ip_or_none(header["src"])
            settings["source_address"] = str(src) if src is not None else None
    hops: list[Hop] = []
    hop_list = raw["hops"]
    assert isinstance(hop_list, list)
    for hop in hop_list:
        line, ttl, probes = int(hop["line"]), int(hop["ttl"]), hop["probes"]
        order: list[tuple[IPAddress | None, str | None]] = []
        rtts: dict[tuple[IPAddress | None, str | None], list[float]] = {}
        flags: dict[tuple[IPAddress | None, str | None], list[str]] = {}
        current: tuple[IPAddress | None, str | None] | None = None
        for p in probes:
            if p["kind"] == "host":
                current = _address_and_name(p["host"], p["paren"], line, warnings)
                if current not in rtts:
                    order.append(current)
                    rtts[current] = []
                    flags[current] = []
            elif p["kind"] == "rtt":
                if current is None:
                    warnings.add(line, f"round-trip time {p['value']} ms without an address; dropped")
                    continue
                rtts[current].append(float(p["value"]))
            elif p["kind"] == "flag" and current is not None and p["value"] not in flags[current]:
                flags[current].append(p["value"])
        if not order:
            hops.append(Hop(ttl=ttl, address=None))
            continue
        for key in order:
            hops.append(Hop(ttl=ttl, address=key[0], rtt_ms=tuple(rtts[key]), name=key[1], flags=tuple(flags[key])))
    return Facts(kind=INFO.kind, hops=tuple(hops), settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse traceroute output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
