"""Windows ``route print`` / ``route print -4`` / ``route print -6``, in any display language.

Schema:

* ``Facts.interfaces``: one per *Interface List* row: ``name`` and ``description``
  the adapter description, ``index`` the interface index, ``mac`` from
  ``00 15 5d b3 93 cc`` (``None`` for the loopback and 8-byte tunnel placeholders);
* ``Facts.routes``: IPv4 *Active Routes* (``destination`` from Network Destination
  and Netmask, ``gateway`` or ``None`` with ``scope="link"`` for ``On-link``,
  ``interface`` the local address of the interface as printed, ``metric``);
  IPv6 *Active Routes* (``interface`` the ``If`` index as a string, so it joins
  ``Interface.index``); *Persistent Routes* of both families with
  ``table="persistent"``. A metric printed as a word (``Default``) is ``None``.

Example::

     15...b4 2e 99 35 1e 86 ......Intel(R) Ethernet Connection (7) I219-V
              0.0.0.0          0.0.0.0         10.0.0.1       10.0.0.185     25
           10.0.0.0    255.255.255.0         On-link        10.0.0.185    281

gives an interface ``{"name": "Intel(R) Ethernet Connection (7) I219-V", "index": 15,
"mac": "b4:2e:99:35:1e:86", …}`` and routes ``0.0.0.0/0 via 10.0.0.1`` and
``10.0.0.0/24`` (``scope: link``), both on interface ``10.0.0.185``.

Why not jc's ``route_print`` parser: it finds sections by the English headings
(``Interface List``, ``IPv4 Route Table``, ``Active Routes``), so a German
``Schnittstellenliste`` / ``Aktive Routen`` output yields nothing; it cuts the
interface list at fixed columns (``line[:5]``, ``line[5:30]``), which breaks when a
paste loses indentation; one short row raises IndexError and loses the whole
output; and it keeps no line numbers. Here every row is recognised by its shape
(``N...mac ......text``; address, mask, gateway-or-word, address, metric;
``If Metric prefix/len gateway``, with the wrapped second line of long IPv6
destinations), and headings in any language only switch between the active and
persistent block of a table: the first ``…:`` heading after a table title is the
active block, the second the persistent one.
"""

from __future__ import annotations

import ipaddress
import re

from netatlas.errors import ParseError
from netatlas.model import Facts, Interface, IPAddress, Route
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    mac,
    network,
    prefix_from_mask,
    run_stages,
)
from netatlas.parsers._windows import RULE, parse_oem, redacted_address

INFO = ParserInfo(
    kind="route-print",
    description="Windows route print (IPv4 and IPv6 tables, any display language)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\broute(?:\.exe)?\s+print\b",),
    source="route print",
)

_IFROW = re.compile(
    r"^\s*(?P<idx>\d+)\s*\.{2,}\s*(?P<mac>(?:[0-9a-fA-F]{2}[ -]){5,7}[0-9a-fA-F]{2})?[\s.]*(?P<desc>.*?)\s*$"
)
_V6ROW = re.compile(
    r"^\s*(?P<if>\d+)\s+(?P<metric>\S+)\s+(?P<dest>[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/\d+)\s*(?P<gw>.*?)\s*$"
)
_V4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_ADDRISH = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:]*/\d+")


def sniff(text: str) -> float:
    """``====`` rules with interface-list rows or route rows between them."""
    sample = text.splitlines()[:400]
    rules = sum(1 for t in sample if RULE.match(t))
    ifrows = sum(1 for t in sample if re.match(r"^\s*\d+\s*\.{3}", t))
    v4rows = sum(1 for t in sample if len(re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", t)) >= 3)
    v6rows = sum(1 for t in sample if _V6ROW.match(t))
    rows = ifrows + v4rows + v6rows
    if rules >= 2 and rows >= 2:
        return 0.95
    if rules >= 1 and rows >= 1:
        return 0.7
    if ifrows >= 2:
        return 0.6
    return 0.0


def _metric(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, object]]:
    """Tokens: ``{"kind": "if"|"v4"|"v6", "line", "persistent", ...strings}`` per row."""
    body = [ln for ln in lines if ln.text.strip()]
    out: list[dict[str, object]] = []
    headings = 0  # '...:' lines since the last table title: 1 = active block, 2 = persistent
    pending: dict[str, object] | None = None  # an IPv6 row whose gateway wrapped to the next line
    for i, ln in enumerate(body):
        text = ln.text.strip()
        tokens = text.split()
        if pending is not None:
            pending_row, pending = pending, None
            if len(tokens) == 1 and not text.endswith(":") and not RULE.match(text):
                pending_row["gw"] = tokens[0]
                continue
        if RULE.match(text):
            continue
        m = _IFROW.match(ln.text)
        if m and not _V4.match(tokens[0]):
            out.append({"kind": "if", "line": ln.no, "idx": m["idx"], "mac": m["mac"] or "", "desc": m["desc"]})
            continue
        m6 = _V6ROW.match(ln.text)
        if m6:
            row: dict[str, object] = {
                "kind": "v6",
                "line": ln.no,
                "persistent": headings >= 2,
                "if": m6["if"],
                "metric": m6["metric"],
                "dest": m6["dest"],
                "gw": m6["gw"],
            }
            out.append(row)
            if not m6["gw"]:
                pending = row
            continue
        if len(tokens) >= 4 and _V4.match(tokens[0]) and _V4.match(tokens[1]) and not _V4.match(tokens[-1]):
            # active rows have the interface address before the metric; persistent rows do not
            active = len(tokens) >= 5 and _V4.match(tokens[-2]) is not None
            out.append(
                {
                    "kind": "v4",
                    "line": ln.no,
                    "persistent": not active,
                    "dest": tokens[0],
                    "mask": tokens[1],
                    "gw": " ".join(tokens[2:-2] if active else tokens[2:-1]),
                    "iface": tokens[-2] if active else "",
                    "metric": tokens[-1],
                }
            )
            continue
        if text.endswith(":"):
            headings += 1
            continue
        nxt = body[i + 1].text if i + 1 < len(body) else ""
        if RULE.match(nxt):
            headings = 0  # a table title ("IPv6 Route Table", "IPv4-Routentabelle") or a closing "None"
            continue
        if _ADDRISH.search(text) or any(redacted_address(t) for t in tokens):
            warnings.add(ln.no, f"skipped line that looks like a route but is not one: {text[:70]!r}")
        # anything else is a column heading or "None" in the display language
    if not out:
        raise ParseError("no route print interface list or route rows found", line=first_content_line(lines))
    return out


def _process(raw: list[dict[str, object]], warnings: Warnings) -> Facts:
    interfaces: list[Interface] = []
    routes: list[Route] = []
    for tok in raw:
        line = int(str(tok["line"]))
        if tok["kind"] == "if":
            mac_text = str(tok["mac"]).replace(" ", "-")
            desc = str(tok["desc"]) or f"interface {tok['idx']}"
            interfaces.append(
                Interface(
                    name=desc,
                    description=str(tok["desc"]) or None,
                    mac=mac(mac_text),
                    index=int(str(tok["idx"])),
                )
            )
            continue
        persistent = "persistent" if tok["persistent"] else None
        gw_text = str(tok["gw"])
        gateway: IPAddress | None = ip_or_none(gw_text)
        scope = None
        if gateway is None:
            if not gw_text or redacted_address(gw_text):
                if gw_text:
                    warnings.add(line, f"gateway {gw_text!r} is cut out or redacted; recorded as unknown")
            else:
                scope = "link"  # "On-link" in the display language
        if tok["kind"] == "v6":
            try:
                dest = network(str(tok["dest"]), line=line)
            except ParseError:
                warnings.add(line, f"skipped IPv6 route: not a network: {tok['dest']!r}")
                continue
            routes.append(
                Route(
                    destination=dest,
                    gateway=gateway,
                    interface=str(tok["if"]),
                    metric=_metric(str(tok["metric"])),
                    scope=scope,
                    table=persistent,
                )
            )
            continue
        try:
            prefix = prefix_from_mask(str(tok["mask"]), line=line)
            dest4 = ipaddress.IPv4Network(f"{tok['dest']}/{prefix}", strict=False)
        except (ParseError, ValueError):
            warnings.add(line, f"skipped IPv4 route: bad destination {tok['dest']!r} / {tok['mask']!r}")
            continue
        iface = str(tok["iface"])
        if iface and ip_or_none(iface) is None:
            warnings.add(line, f"interface address {iface!r} is not an address; recorded as unknown")
        routes.append(
            Route(
                destination=dest4,
                gateway=gateway,
                interface=str(ip_or_none(iface)) if ip_or_none(iface) else None,
                metric=_metric(str(tok["metric"])),
                scope=scope,
                table=persistent,
            )
        )
    return Facts(kind=INFO.kind, interfaces=tuple(interfaces), routes=tuple(routes), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``route print`` output. Raises only :class:`~netatlas.errors.ParseError`.

    Bytes that are not UTF-8 or UTF-16 are read in an OEM code page (``route`` writes
    the console's when redirected), the one whose non-ASCII characters (adapter names,
    localized headings) are letters; a warning says which.
    """
    return parse_oem(data, source, lambda text: run_stages(text, source, INFO, _raw, _process))
