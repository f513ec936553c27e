"""Windows ``tracert`` (and ``tracert -d``), in any display language.

Schema: fills ``Facts.hops``, one :class:`~netatlas.model.Hop` per numbered row:
``ttl``; ``address`` (``None`` for a row of ``*`` with "Request timed out." or its
translation); ``name`` when tracert printed ``name [address]``; ``rtt_ms`` the probe
times that came back, in order, as floats. Two decisions, because the model keeps
floats only:

* ``<1 ms`` is recorded as ``1.0``: tracert's resolution is 1 ms and ``<1`` says
  "at most 1", so the upper bound is the honest number (the sum of RTTs then never
  under-states a path);
* a ``*`` probe is left out of ``rtt_ms`` (``2 ms * 2 ms`` gives ``(2.0, 2.0)``); a
  hop with only stars has ``rtt_ms == ()``.

The header goes to ``settings``: ``target_name`` (when a name was traced),
``target_address`` and ``max_hops``.

Example::

    Tracing route to neosmart.net [65.182.170.12]
    over a maximum of 30 hops:

      1    <1 ms    <1 ms    <1 ms  172.28.0.1
      2     *        *        *     Request timed out.
      3     2 ms     2 ms     2 ms  pfSense.lan [192.168.1.1]

gives hops ``{"ttl": 1, "address": "172.28.0.1", "rtt_ms": [1.0, 1.0, 1.0]}``,
``{"ttl": 2, "address": null, "rtt_ms": []}`` and ``{"ttl": 3, "address":
"192.168.1.1", "name": "pfSense.lan", "rtt_ms": [2.0, 2.0, 2.0]}``.

jc has no tracert parser (its ``traceroute`` reads the Unix tool, whose rows put
the address before the times), so the tokenising is done here, by layout: a row is
a TTL, up to three probe columns (``N ms``, ``<N ms`` or ``*``, any unit word),
then ``name [address]``, ``address`` or a message in the display language.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts, Hop
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
from netatlas.parsers._windows import redacted_address

INFO = ParserInfo(
    kind="tracert",
    description="Windows tracert (any display language)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\btracert(?:\.exe)?\b",),
    source="tracert HOST",
)

_PROBE = r"(?:<?\d+\s*[^\s\d*<]{1,3}|\*)"
_ROW = re.compile(rf"^\s*(?P<ttl>\d{{1,3}})\s+(?P<probes>{_PROBE}(?:\s+{_PROBE}){{0,2}})(?:\s+(?P<rest>.*?))?\s*$")
_NAMED = re.compile(r"^(?P<name>\S+)\s+\[(?P<addr>[^\]]+)\]")
_TARGET = re.compile(r"(?P<name>[^\s\[\]]+)\s+\[(?P<addr>[0-9A-Fa-f:.%]+)\]")


def sniff(text: str) -> float:
    """Rows whose probe times come *before* the address, as only Windows prints them."""
    sample = text.splitlines()[:200]
    timed = sum(1 for t in sample if (m := _ROW.match(t)) and "ms" in m["probes"] and m["rest"])
    starred = sum(1 for t in sample if (m := _ROW.match(t)) and m["probes"].count("*") == 3 and m["rest"])
    if timed >= 2 or (timed and starred):
        return 0.9
    if timed or starred >= 2:
        return 0.6
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> tuple[dict[str, str], list[dict[str, str | int]]]:
    """Tokens: header ``{"target_name", "target_address", "max_hops"}`` and one dict per row."""
    header: dict[str, str] = {}
    rows: list[dict[str, str | int]] = []
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        m = _ROW.match(ln.text)
        if m and (m["rest"] or "*" not in m["probes"] or m["probes"].count("*") < 3):
            rows.append({"line": ln.no, "ttl": m["ttl"], "probes": m["probes"], "rest": m["rest"] or ""})
            continue
        if rows:
            if re.match(r"^\d", text):
                warnings.add(ln.no, f"skipped line that is not a tracert hop: {text[:70]!r}")
            continue  # "Trace complete." in the display language
        t = _TARGET.search(text)
        if t and "target_address" not in header:
            header["target_name"], header["target_address"] = t["name"], t["addr"]
        elif "target_address" not in header:
            bare = [tok for tok in text.split() if ip_or_none(tok.rstrip(":"))]
            if bare:
                header["target_address"] = bare[0].rstrip(":")
        numbers = [tok.rstrip(":") for tok in text.split() if tok.rstrip(":").isdigit()]
        if numbers:
            header["max_hops"] = numbers[-1]
    if not rows and "target_address" not in header:
        raise ParseError("no tracert header or hop rows found", line=first_content_line(lines))
    return header, rows


def _rtts(probes: str) -> tuple[float, ...]:
    out: list[float] = []
    for p in re.findall(_PROBE, probes):
        if p == "*":
            continue
        value = float(re.sub(r"\D", "", p))
        out.append(max(value, 1.0) if p.startswith("<") else value)
    return tuple(out)


def _process(raw: tuple[dict[str, str], list[dict[str, str | int]]], warnings: Warnings) -> Facts:
    header, rows = raw
    settings: dict[str, JSON] = {}
    if header.get("target_name"):
        settings["target_name"] = header["target_name"]
    target = ip_or_none(header.get("target_address"))
    if target is not None:
        settings["target_address"] = str(target)
    if header.get("max_hops"):
        settings["max_hops"] = int(header["max_hops"])
    hops: list[Hop] = []
    for row in rows:
        line = int(row["line"])
        rest = str(row["rest"])
        name: str | None = None
        token = rest.split()[0] if rest else ""
        named = _NAMED.match(rest)
        if named:
            name, token = named["name"], named["addr"]
        addr = ip_or_none(token)
        if addr is None and token and (redacted_address(token) or named):
            warnings.add(line, f"hop address {token!r} is cut out or redacted; recorded as unknown")
        elif addr is None and "*" not in str(row["probes"]):
            warnings.add(line, f"hop with times but no address (line cut off?): {rest[:60]!r}")
        hops.append(Hop(ttl=int(row["ttl"]), address=addr, rtt_ms=_rtts(str(row["probes"])), name=name))
    return Facts(kind=INFO.kind, hops=tuple(hops), settings=settings, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``tracert`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
