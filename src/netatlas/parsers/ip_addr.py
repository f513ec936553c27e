"""``ip address`` (iproute2) text output: ``ip a``, ``ip addr show``, ``ip -6 addr``.

Schema: fills ``Facts.interfaces``, one :class:`~netatlas.model.Interface` per
``N: name: <FLAGS>`` header, in input order:

* ``name`` without the ``@peer`` suffix (``eth0@if5`` → ``eth0``), ``index`` (``N``),
  ``mtu``;
* ``peer``: that suffix as written (``if5``: the veth peer's ifindex in another
  namespace; ``lan0``: its name, or a VLAN's parent, in this one); ``@NONE`` (tunnels
  with no underlying link) is ``None``;
* ``master``: the bridge or bond of ``master br0`` in the header;
* ``up``: ``state UP``, or for ``state UNKNOWN`` (loopback, tun, WireGuard) the ``UP``
  flag without ``NO-CARRIER``;
* ``type`` and ``mac`` from ``link/<type> <mac>`` (``ether``, ``loopback``, ``none``,
  ``sit`` …; ``mac`` is ``None`` where the link address is no MAC);
* ``addresses``: one :class:`~netatlas.model.Address` per ``inet``/``inet6`` line, in
  order (primary, then ``secondary``). A point-to-point address without its own
  length (``inet 10.0.0.2 peer 10.0.0.1/32``) takes the peer's length.

An address that was cut out of a pasted output (``inet scope host lo``,
``inet brd scope global eth0``) or replaced by a placeholder becomes
``{"address": null, "prefixlen": null, "family": "inet"}`` plus a warning, so the
interface is still on the map. ``altname``, ``valid_lft`` and ``link-netnsid``
lines/attributes are read past. Lines flattened into one (a terminal
paste that lost its line breaks) are split again at ``link/``, ``inet``, ``inet6``,
``altname`` and ``valid_lft``. ``ip -br addr`` lines are not this format: each is
skipped with a warning.

Example::

    2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP
        link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0
        inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0

gives ``{"name": "eth0", "index": 2, "mtu": 1500, "up": true, "type": "ether",
"mac": "02:42:ac:11:00:02", "addresses": [{"address": "172.17.0.2", "prefixlen":
16, "family": "inet"}], "peer": "if5", "master": null, …}``.

jc 1.26 has no parser for ``ip address`` output, so the tokenising is done here.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import Address, Facts, Family, Interface
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
    mac,
    run_stages,
)
from netatlas.parsers._linux import is_up, to_int

INFO = ParserInfo(
    kind="ip-addr",
    description="Linux 'ip address' text output (iproute2)",
    platforms=(Platform.LINUX,),
    commands=(r"^(?:sudo\s+)?ip\s+(?:-\S+\s+)*a(?:d(?:d(?:r(?:e(?:ss?)?)?)?)?)?\b",),
    source="ip address",
)

_HEADER = re.compile(
    r"^\s*(?P<index>\d+):\s+(?P<name>[^\s:@]+)(?:@(?P<peer>[^\s:]+))?:\s+<(?P<flags>[^>]*)>\s*(?P<rest>.*)$"
)
_BRIEF = re.compile(r"^\S+\s+(?:UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)(?:\s+\S+/\d+)*\s*$")
_CHUNK_START = {"inet", "inet6", "altname", "valid_lft"}
_INET_KEYWORDS = {
    "brd",
    "scope",
    "peer",
    "metric",
    "secondary",
    "dynamic",
    "noprefixroute",
    "temporary",
    "mngtmpaddr",
    "tentative",
    "deprecated",
    "nodad",
    "optimistic",
    "dadfailed",
    "home",
    "global",
    "host",
    "link",
    "valid_lft",
    "preferred_lft",
}


def sniff(text: str) -> float:
    """High when ``N: name: <FLAGS>`` headers come with ``link/`` or ``inet`` lines."""
    head = text[:20000]
    if not re.search(r"(?m)^\s*\d+:\s+[^\s:]+:\s+<[^>]*>", head):
        return 0.0
    if re.search(r"(?m)^\s*(?:link/\S+|inet6?\s)", head):
        return 0.95
    return 0.6


def _chunks(text: str) -> list[list[str]]:
    """Split a line at the keywords that start a body line (undoes lost line breaks)."""
    out: list[list[str]] = []
    for tok in text.split():
        if not out or tok in _CHUNK_START or tok.startswith("link/"):
            out.append([tok])
        else:
            out[-1].append(tok)
    return out


def _header_attrs(tokens: list[str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for key, value in itertools.pairwise(tokens):
        if key in ("mtu", "state", "master", "qdisc", "qlen") and key not in attrs:
            attrs[key] = value
    return attrs


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: one dict per interface with its ``link`` and ``inet`` chunks and lines."""
    out: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    brief = 0
    for ln in lines:
        text = ln.text
        if not text.strip():
            continue
        m = _HEADER.match(text)
        body = text
        if m:
            rest = _chunks(m["rest"])
            attr_tokens = rest[0] if rest and rest[0][0] not in _CHUNK_START else []
            cur = {
                "line": ln.no,
                "index": m["index"],
                "name": m["name"],
                "peer": m["peer"],
                "flags": [f for f in m["flags"].split(",") if f],
                **_header_attrs(attr_tokens),
                "link": None,
                "inet": [],
            }
            out.append(cur)
            body = " ".join(" ".join(c) for c in (rest[1:] if attr_tokens else rest))
            if not body:
                continue
        elif _BRIEF.match(text.strip()):
            brief += 1
            warnings.add(ln.no, "skipped 'ip -br' brief line: brief output is not supported")
            continue
        for chunk in _chunks(body):
            head = chunk[0]
            if cur is None:
                warnings.add(ln.no, f"skipped line before any interface header: {text.strip()[:60]!r}")
                break
            if head.startswith("link/"):
                cur["link"] = {"line": ln.no, "tokens": chunk}
            elif head in ("inet", "inet6"):
                cur["inet"].append({"line": ln.no, "tokens": chunk})
            elif head in ("altname", "valid_lft"):
                continue
            elif text[:1].isspace():
                continue  # detail lines of ip -d (vxlan, bridge_slave …): not needed
            else:
                warnings.add(ln.no, f"skipped line that is not 'ip address' output: {text.strip()[:60]!r}")
                break
    if not out:
        why = " (only 'ip -br' brief lines; paste plain 'ip address' output)" if brief else ""
        raise ParseError("no 'N: name: <FLAGS>' interface header found" + why, line=first_content_line(lines))
    return out


def _address(tok: dict[str, Any], warnings: Warnings) -> Address:
    line: int = tok["line"]
    tokens: list[str] = tok["tokens"]
    family: Family = "inet6" if tokens[0] == "inet6" else "inet"
    text = tokens[1] if len(tokens) > 1 else ""
    if not text or text in _INET_KEYWORDS:
        warnings.add(line, f"{family} address cut out or missing; kept as unknown")
        return Address(None, None, family)
    addr_text, _, len_text = text.partition("/")
    address = ip_or_none(addr_text)
    if address is None or address.version != (4 if family == "inet" else 6):
        warnings.add(line, f"{family} address is not an address: {text!r}; kept as unknown")
        return Address(None, None, family)
    if not len_text and "peer" in tokens:
        peer = tokens[tokens.index("peer") + 1] if tokens.index("peer") + 1 < len(tokens) else ""
        len_text = peer.partition("/")[2]
    prefixlen = to_int(len_text) if len_text else (32 if family == "inet" else 128)
    if prefixlen is None or prefixlen > address.max_prefixlen:
        warnings.add(line, f"bad prefix length in {text!r}; kept as unknown")
        prefixlen = None
    return Address(address, prefixlen, family)


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    interfaces: list[Interface] = []
    for tok in raw:
        link = tok["link"]
        link_type: str | None = None
        hw: str | None = None
        if link is not None:
            link_type = link["tokens"][0].removeprefix("link/") or None
            if len(link["tokens"]) > 1 and link["tokens"][1] not in ("brd", "link-netnsid", "link-netns"):
                hw = mac(link["tokens"][1])
        interfaces.append(
            Interface(
                name=tok["name"],
                mac=hw,
                mtu=to_int(tok.get("mtu")),
                up=is_up(tok["flags"], tok.get("state")),
                addresses=tuple(_address(a, warnings) for a in tok["inet"]),
                type=link_type,
                index=to_int(tok["index"]),
                master=tok.get("master") or None,
                peer=tok["peer"] if tok["peer"] and tok["peer"] != "NONE" else None,
            )
        )
    return Facts(kind=INFO.kind, interfaces=tuple(interfaces), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``ip address`` output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
