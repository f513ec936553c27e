"""``ifconfig`` / ``ifconfig -a`` output: Linux net-tools (2.x and the old 1.60
``Link encap:``/``inet addr:`` form) and macOS/BSD.

Schema: fills ``Facts.interfaces``, one :class:`~netatlas.model.Interface` per
interface header, in input order:

* ``name`` (``eth0``, ``en0``, ``eth0:1`` for an alias), ``mtu``;
* ``up``: the ``UP`` and ``RUNNING`` flags (link up with carrier, as ``ip``'s
  ``state UP``), and on macOS not ``status: inactive``;
* ``type``: ``ether``, ``loopback`` (``loop``, ``Local Loopback``), ``unspec``,
  ``sit``, ``ppp`` … from the link line or ``Link encap:``; ``mac`` from ``ether``,
  ``lladdr`` or ``HWaddr``;
* ``addresses``: each ``inet``/``inet6`` line, with the prefix length from
  ``netmask 255.255.240.0`` / ``netmask 0xfffff000`` / ``Mask:`` / ``prefixlen`` /
  ``/64``; a ``%en0`` zone is dropped.

An address cut out of a pasted output (``inet  netmask  broadcast``,
``inet addr:  Mask:``) becomes ``{"address": null, "prefixlen": null, "family":
"inet"}`` plus a warning. Counters (``RX``/``TX``), ``media:``, ``options=``,
``nd6``, bridge ``member:`` lines and the like are read past. ``index`` stays
``None``: ifconfig does not print it.

Example (Linux net-tools 2.10)::

    eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500
            inet 192.168.71.184  netmask 255.255.240.0  broadcast 192.168.79.255
            ether 00:15:5d:7b:9b:15  txqueuelen 1000  (Ethernet)

gives ``{"name": "eth0", "mtu": 1500, "up": true, "type": "ether", "mac":
"00:15:5d:7b:9b:15", "addresses": [{"address": "192.168.71.184", "prefixlen": 20,
"family": "inet"}], …}``.

jc 1.26 has an ``ifconfig`` parser, but it silently drops an ``inet`` line whose
address was cut out (netatlas must keep the interface's unknown address and say
so, on its line) and keeps no line numbers, so the tokenising is done here.
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
    prefix_from_mask,
    run_stages,
)
from netatlas.parsers._linux import to_int

INFO = ParserInfo(
    kind="ifconfig",
    description="ifconfig output: Linux net-tools (new and old format), macOS/BSD",
    platforms=(Platform.LINUX, Platform.MACOS),
    commands=(r"^(?:sudo\s+)?(?:/s?bin/|/usr/s?bin/)?ifconfig\b",),
    source="ifconfig -a",
)

_HEAD_NEW = re.compile(r"^(?P<name>[^\s<>]+?):?\s+flags=[0-9a-fA-F]*<(?P<flags>[^>]*)>(?P<rest>.*)$")
_HEAD_OLD = re.compile(r"^(?P<name>\S+)\s+Link encap:\s*(?P<encap>.+?)(?:\s+HWaddr\s+(?P<hw>\S+))?\s*$")
_LINK_TYPES = {
    "ether": "ether",
    "lladdr": "ether",
    "loop": "loopback",
    "unspec": "unspec",
    "sit": "sit",
    "infiniband": "infiniband",
    "ppp": "ppp",
    "tunnel": "tunnel",
    "ipip": "ipip",
}
_ENCAP = {
    "ethernet": "ether",
    "local loopback": "loopback",
    "unspec": "unspec",
    "point-to-point protocol": "ppp",
    "ipv6-in-ipv4": "sit",
    "infiniband": "infiniband",
}
_BODY = re.compile(
    r"^(?:inet6?|ether|lladdr|loop|unspec|sit|infiniband|ppp|tunnel|ipip|RX|TX|collisions|Interrupt|"
    r"device|UP|BROADCAST|LOOPBACK|POINTOPOINT|NOARP|MULTICAST|RUNNING|options=|nd6|media:|status:|"
    r"member:|Configuration:|groups:|txqueuelen|inet6addr|Base|Memory)\b"
)
_INET_WORDS = {"netmask", "broadcast", "destination", "-->", "prefixlen", "scopeid", "Bcast:", "Mask:"}


def sniff(text: str) -> float:
    """High for ``name: flags=N<…>`` or ``name Link encap:`` headers."""
    head = text[:20000]
    if re.search(r"(?m)^\S+?:?\s+flags=[0-9a-fA-F]*<[^>]*>", head) or re.search(r"(?m)^\S+\s+Link encap:", head):
        return 0.95
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, Any]]:
    """Tokens: one dict per interface, with its body lines as ``(line, words)``."""
    out: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    for ln in lines:
        text = ln.text
        if not text.strip():
            continue
        indented = text[:1].isspace()
        m = None if indented else _HEAD_NEW.match(text)
        if m:
            rest = m["rest"].split()
            cur = {"line": ln.no, "name": m["name"], "flags": [f for f in m["flags"].split(",") if f]}
            for key, value in itertools.pairwise(rest):
                if key == "mtu":
                    cur["mtu"] = value
            cur["body"] = []
            out.append(cur)
            continue
        o = None if indented else _HEAD_OLD.match(text)
        if o:
            cur = {"line": ln.no, "name": o["name"], "encap": o["encap"], "hw": o["hw"], "body": []}
            out.append(cur)
            continue
        stripped = text.strip()
        if cur is None or (not indented and not _BODY.match(stripped)):
            warnings.add(ln.no, f"skipped line that is not ifconfig output: {stripped[:60]!r}")
            continue
        cur["body"].append((ln.no, stripped.split()))
    if not out:
        raise ParseError(
            "no ifconfig interface header ('name: flags=…' or 'name Link encap:…') found",
            line=first_content_line(lines),
        )
    return out


def _after(words: list[str], key: str) -> str | None:
    """The word after ``key``, or the text after ``key`` glued to it (``Mask:255…``)."""
    for i, w in enumerate(words):
        if w == key:
            return words[i + 1] if i + 1 < len(words) and words[i + 1] not in _INET_WORDS else None
        if key.endswith(":") and w.startswith(key):
            return w[len(key) :] or None
    return None


def _inet(words: list[str], line: int, warnings: Warnings) -> Address:
    family: Family = "inet6" if words[0] == "inet6" else "inet"
    rest = words[1:]
    old = bool(rest) and (rest[0].startswith("addr:"))
    if old:
        first = rest[0][len("addr:") :] or (rest[1] if family == "inet6" and len(rest) > 1 else "")
    else:
        first = rest[0] if rest else ""
    if not first or first in _INET_WORDS or first.endswith(":"):
        warnings.add(line, f"{family} address cut out or missing; kept as unknown")
        return Address(None, None, family)
    addr_text, _, len_text = first.partition("/")
    address = ip_or_none(addr_text)
    if address is None or address.version != (4 if family == "inet" else 6):
        warnings.add(line, f"{family} address is not an address: {first!r}; kept as unknown")
        return Address(None, None, family)
    prefixlen: int | None = None
    if len_text:
        prefixlen = to_int(len_text)
    elif family == "inet6":
        prefixlen = to_int(_after(rest, "prefixlen"))
    else:
        mask = _after(rest, "Mask:") if old else _after(rest, "netmask")
        if mask:
            try:
                prefixlen = prefix_from_mask(mask, line=line)
            except ParseError as exc:
                warnings.add(line, exc.message)
    if prefixlen is not None and prefixlen > address.max_prefixlen:
        prefixlen = None
    if prefixlen is None:
        warnings.add(line, f"no usable prefix length or netmask for {address}")
    return Address(address, prefixlen, family)


def _process(raw: list[dict[str, Any]], warnings: Warnings) -> Facts:
    interfaces: list[Interface] = []
    for tok in raw:
        flags: list[str] = list(tok.get("flags", []))
        mtu = to_int(tok.get("mtu"))
        link_type: str | None = None
        hw: str | None = None
        status: str | None = None
        if "encap" in tok:
            link_type = _ENCAP.get(str(tok["encap"]).lower(), str(tok["encap"]).lower())
            hw = mac(tok["hw"])
        addresses: list[Address] = []
        for line, words in tok["body"]:
            head = words[0]
            if head in ("inet", "inet6"):
                addresses.append(_inet(words, line, warnings))
            elif head in _LINK_TYPES and link_type is None:
                link_type = _LINK_TYPES[head]
                if head in ("ether", "lladdr") and len(words) > 1:
                    hw = mac(words[1])
            elif head == "status:" and len(words) > 1:
                status = words[1]
            elif any(w.startswith("MTU:") for w in words):
                for w in words:
                    if w.startswith("MTU:"):
                        mtu = to_int(w[4:])
                        break
                    flags.append(w)
        if link_type is None and "LOOPBACK" in flags:
            link_type = "loopback"  # macOS lo0 prints no link line
        up = "UP" in flags and "RUNNING" in flags and status != "inactive"
        interfaces.append(
            Interface(
                name=str(tok["name"]),
                mac=hw,
                mtu=mtu,
                up=up,
                addresses=tuple(addresses),
                type=link_type,
            )
        )
    return Facts(kind=INFO.kind, interfaces=tuple(interfaces), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ifconfig output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
