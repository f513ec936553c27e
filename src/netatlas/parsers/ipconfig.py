"""Windows ``ipconfig`` and ``ipconfig /all``, in any display language.

Schema: fills ``Facts.interfaces``, one :class:`~netatlas.model.Interface` per adapter
section, in output order:

* ``name``: the adapter name from the section header (``vEthernet (WSL)``);
  ``type``: the header's adapter type as printed, without the word "adapter"
  (``Ethernet``, ``Wireless LAN``, ``Unknown``, ``Drahtlos-LAN``, ``イーサネット``,
  ``以太网`` …);
* ``description``, ``mac`` (``Physical Address`` ``00-15-5D-…`` → ``00:15:5d:…``);
* ``up``: ``False`` when a ``Media State`` line is present (ipconfig prints it only
  for disconnected media), ``True`` otherwise;
* ``addresses``: each IPv4 address paired in order with the following subnet mask
  (as a prefix length), then IPv6, temporary and link-local IPv6 addresses (prefix
  length ``None``: ipconfig does not print it); ``(Preferred)``-style suffixes in any
  language and ``%zone`` suffixes are dropped;
* ``gateways`` (``Default Gateway`` and its continuation lines, IPv6 and
  ``0.0.0.0`` kept as printed), ``dns_servers``;
* ``dhcp``: ``DHCP Enabled`` as a bool (``None`` when the line is absent, as in plain
  ``ipconfig``, or its value is neither yes nor no in a known language);
* ``dns_suffix``: ``Connection-specific DNS Suffix`` (``None`` when empty).

Host-wide lines (before the first adapter) go to ``settings``: ``host_name``,
``primary_dns_suffix``; ``DNS Suffix Search List`` goes to ``dns.search``.

Example::

    Ethernet adapter vEthernet (WSL):

       Connection-specific DNS Suffix  . :
       IPv4 Address. . . . . . . . . . . : 172.28.224.1
       Subnet Mask . . . . . . . . . . . : 255.255.240.0

gives ``{"name": "vEthernet (WSL)", "type": "Ethernet", "up": true, "addresses":
[{"address": "172.28.224.1", "prefixlen": 20, "family": "inet"}], …}``.

Why not jc's ``ipconfig`` parser: it keys every field on English labels, so on a
Japanese or German output it returns adapters with no addresses (and drops the first
adapter of corpus case 001), and on a paste whose indentation was lost it finds no
fields at all; it also keeps no line numbers. This module parses by layout instead:
a header is a line at the outermost indentation ending in ``:`` without a dot
leader, a field is ``Label . . . : value``, a continuation is a bare value. Labels
are only *named* with the localized sets in ``knowledge/ipconfig_labels.json``; an
unknown label falls back to the value's shape (an IPv4 followed by a mask is an
address, a mask-shaped value is a mask) with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from netatlas.errors import ParseError
from netatlas.knowledge import load
from netatlas.model import Address, DnsConfig, Facts, Interface, IPAddress
from netatlas.model._serde import JSON
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    mac,
    prefix_from_mask,
    run_stages,
)
from netatlas.parsers._windows import (
    address,
    address_token,
    indent_of,
    label_key,
    parse_oem,
    redacted_address,
    split_field,
    strip_suffix,
)

INFO = ParserInfo(
    kind="ipconfig",
    description="Windows ipconfig and ipconfig /all (any display language)",
    platforms=(Platform.WINDOWS,),
    commands=(r"\bipconfig(?:\.exe)?\b",),
    source="ipconfig /all",
)

_MULTI = frozenset({"dns_servers", "default_gateway", "dns_suffix_search_list", "ignore", None})
"""Fields whose value may continue on the following lines."""
_HEADER_ORDER = ("ja", "zh-Hans", "fr", "es", "en", "de")
"""Specific scripts first, so a German ``-Adapter`` pattern never eats a Japanese header."""
_DOTTED = re.compile(r"\.\s?\.\s?\..*:")
_HEADERISH = re.compile(r"(?:adapter|Adapter|アダプター|适配器|^Carte |^Adaptador )")
_MASK_SHAPE = re.compile(r"^(?:255|254|252|248|240|224|192|128|0)(?:\.(?:255|254|252|248|240|224|192|128|0)){3}$")


@dataclass(frozen=True, slots=True)
class _Labels:
    keys: dict[str, str]
    yes: frozenset[str]
    no: frozenset[str]
    titles: frozenset[str]
    headers: tuple[re.Pattern[str], ...]


@cache
def _labels() -> _Labels:
    data = load("ipconfig_labels")["languages"]
    keys: dict[str, str] = {}
    yes: set[str] = set()
    no: set[str] = set()
    titles: set[str] = set()
    for lang in data.values():
        for key, names in lang["labels"].items():
            for name in names:
                keys[label_key(name)] = key
        yes.update(label_key(v) for v in lang["yes"])
        no.update(label_key(v) for v in lang["no"])
        titles.update(label_key(v) for v in lang["title"])
    order = [*_HEADER_ORDER, *(k for k in data if k not in _HEADER_ORDER)]
    headers = tuple(re.compile(h) for k in order if k in data for h in data[k]["headers"])
    return _Labels(keys, frozenset(yes), frozenset(no), frozenset(titles), headers)


def sniff(text: str) -> float:
    """Dot-leader fields (``IPv4 Address. . . :``) plus an adapter header line."""
    sample = text.splitlines()[:300]
    dotted = sum(1 for t in sample if _DOTTED.search(t))
    headers = sum(1 for t in sample if t.rstrip().endswith(":") and _HEADERISH.search(t) and not _DOTTED.search(t))
    if dotted >= 2 and headers:
        return 0.95
    if dotted >= 3:
        return 0.7
    if headers and dotted:
        return 0.6
    return 0.0


@dataclass
class _Field:
    line: int
    label: str
    key: str | None
    values: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Section:
    line: int
    name: str
    type: str | None
    fields: list[_Field] = field(default_factory=list)


def _header(text: str) -> tuple[str, str | None]:
    """``(name, type)`` of an adapter header line (colon already removed)."""
    for pattern in _labels().headers:
        m = pattern.match(text)
        if m:
            return m["name"].strip(), m["type"].strip()
    return text, None


def _raw(lines: list[Line], warnings: Warnings) -> tuple[list[_Field], list[_Section]]:
    """Tokens: the host-wide fields and the adapter sections, each field with its lines."""
    labels = _labels()
    body = [ln for ln in lines if ln.text.strip()]
    parsed = {ln.no: split_field(ln.text) for ln in body}

    def known(label: str) -> bool:
        return label_key(label) in labels.keys

    candidates = [
        indent_of(ln.text)
        for ln in body
        if (f := parsed[ln.no]) is not None and not f[1] and not f[2] and not known(f[0])
    ]
    base = min(candidates) if candidates else -1
    preamble: list[_Field] = []
    sections: list[_Section] = []
    last: _Field | None = None
    seen_title = False

    for ln in body:
        text = ln.text
        f = parsed[ln.no]
        bare = address_token(text.strip()) is not None
        if bare or (f is None and last is not None and last.key in _MULTI and indent_of(text) >= 20):
            if last is not None and last.key in _MULTI:
                last.values.append((ln.no, text.strip()))
            else:
                warnings.add(ln.no, f"skipped value without a label: {text.strip()[:60]!r}")
            continue
        if f is None:
            if last is not None and last.key in _MULTI and " " not in text.strip():
                last.values.append((ln.no, text.strip()))  # continuation whose indentation was lost
            elif not seen_title and not sections and not preamble:
                seen_title = True
                if label_key(text) not in labels.titles:
                    warnings.add(ln.no, f"took {text.strip()[:60]!r} as the title line")
            else:
                warnings.add(ln.no, f"skipped line that is not 'Label . . . : value': {text.strip()[:60]!r}")
            continue
        label, value, leader = f
        if not value and not leader and not known(label) and indent_of(text) <= base:
            name, kind = _header(label)
            if kind is None:
                warnings.add(ln.no, f"adapter header of unknown form; whole line taken as the name: {name!r}")
            sections.append(_Section(ln.no, name, kind))
            last = None
            continue
        last = _Field(ln.no, label, labels.keys.get(label_key(label)))
        if value:
            last.values.append((ln.no, value))
        (sections[-1].fields if sections else preamble).append(last)

    if not sections and not preamble:
        raise ParseError(
            "no ipconfig adapter sections or 'Label . . . : value' fields found",
            line=first_content_line(lines),
        )
    for section in sections:
        _guess_unknown(section.fields, warnings)
    return preamble, sections


def _guess_unknown(fields: list[_Field], warnings: Warnings) -> None:
    """Name fields with unknown labels by the shape of their value (an IPv4 before a mask …)."""
    for i, f in enumerate(fields):
        if f.key is not None:
            continue
        value = strip_suffix(f.values[0][1]) if f.values else ""
        nxt = strip_suffix(fields[i + 1].values[0][1]) if i + 1 < len(fields) and fields[i + 1].values else ""
        ip = address(value)
        guess: str | None = None
        if _MASK_SHAPE.match(value) and value != "0.0.0.0":  # noqa: S104 (a gateway value, not a bind)
            guess = "subnet_mask"
        elif ip is not None and ip.version == 4 and _MASK_SHAPE.match(nxt):
            guess = "ipv4_address"
        elif ip is not None and ip.version == 6 and ip.is_link_local:
            guess = "link_local_ipv6_address"
        elif value and mac(value) is not None and "-" in value:
            guess = "physical_address"
        if guess is None:
            if value:
                warnings.add(f.line, f"ignored field with unknown label {f.label!r}")
            f.key = "ignore"
        else:
            warnings.add(f.line, f"unknown label {f.label!r}: taken as {guess.replace('_', ' ')} by the value's shape")
            f.key = guess


def _addr(line: int, value: str, family: str, warnings: Warnings, what: str) -> tuple[bool, IPAddress | None]:
    """``(present, address)``: present is False for an empty value; None address means cut out."""
    token = strip_suffix(value)
    if not token:
        return False, None
    ip = address(token)
    if ip is not None and (ip.version == 4) == (family == "inet"):
        return True, ip
    if redacted_address(token):
        warnings.add(line, f"{what} {token!r} is cut out or redacted; recorded as unknown")
    else:
        warnings.add(line, f"{what} is not an address: {token[:60]!r}")
    return True, None


def _interface(section: _Section, warnings: Warnings) -> Interface:
    labels = _labels()
    by: dict[str, list[tuple[int, str]]] = {}
    for f in section.fields:
        by.setdefault(f.key or "ignore", []).extend(f.values)
        if f.key == "media_state":
            by.setdefault("media_state_line", []).append((f.line, ""))

    def first(key: str) -> str | None:
        vals = by.get(key)
        return vals[0][1] if vals else None

    mac_text = first("physical_address")
    hw = mac(mac_text)
    if mac_text and hw is None:
        warnings.add(by["physical_address"][0][0], f"physical address is not a 48-bit MAC: {mac_text[:60]!r}")
    dhcp_text = first("dhcp_enabled")
    dhcp: bool | None = None
    if dhcp_text is not None:
        if label_key(dhcp_text) in labels.yes:
            dhcp = True
        elif label_key(dhcp_text) in labels.no:
            dhcp = False
        else:
            warnings.add(by["dhcp_enabled"][0][0], f"DHCP enabled value {dhcp_text!r} is neither yes nor no")

    masks: list[int | None] = []
    for line, value in by.get("subnet_mask", []):
        try:
            masks.append(prefix_from_mask(strip_suffix(value), line=line))
        except ParseError:
            warnings.add(line, f"subnet mask is not a netmask: {value[:60]!r}")
            masks.append(None)
    addresses: list[Address] = []
    v4 = [(line, v) for line, v in by.get("ipv4_address", []) if strip_suffix(v)]
    for i, (line, value) in enumerate(v4):
        _, ip = _addr(line, value, "inet", warnings, "IPv4 address")
        addresses.append(Address(ip, masks[i] if i < len(masks) else None, "inet"))
    for key in ("ipv6_address", "temporary_ipv6_address", "link_local_ipv6_address"):
        for line, value in by.get(key, []):
            present, ip = _addr(line, value, "inet6", warnings, key.replace("_", " "))
            if present:
                addresses.append(Address(ip, None, "inet6"))

    def ips(key: str, what: str) -> tuple[IPAddress, ...]:
        out: list[IPAddress] = []
        for line, value in by.get(key, []):
            ip = address(value)
            if ip is not None:
                out.append(ip)
            elif strip_suffix(value):
                _addr(line, value, "inet6" if ":" in value else "inet", warnings, what)
        return tuple(out)

    return Interface(
        name=section.name,
        description=first("description") or None,
        mac=hw,
        up="media_state_line" not in by,
        addresses=tuple(addresses),
        gateways=ips("default_gateway", "default gateway"),
        dns_servers=ips("dns_servers", "DNS server"),
        type=section.type,
        dhcp=dhcp,
        dns_suffix=first("dns_suffix") or None,
    )


def _process(raw: tuple[list[_Field], list[_Section]], warnings: Warnings) -> Facts:
    preamble, sections = raw
    settings: dict[str, JSON] = {}
    search: list[str] = []
    for f in preamble:
        if f.key in ("host_name", "primary_dns_suffix") and f.values:
            settings[f.key] = f.values[0][1]
        elif f.key == "dns_suffix_search_list":
            search.extend(v for _, v in f.values)
        elif f.key is None:
            warnings.add(f.line, f"ignored host-wide field with unknown label {f.label!r}")
    interfaces = tuple(_interface(s, warnings) for s in sections)
    return Facts(
        kind=INFO.kind,
        interfaces=interfaces,
        dns=DnsConfig(search=tuple(search)),
        settings=settings,
        warnings=warnings.sorted(),
    )


def label_count(text: str) -> int:
    """How many lines carry a label this parser knows (any language): the code page test."""
    labels = _labels()
    count = 0
    for line in text.splitlines()[:400]:
        field = split_field(line)
        if field is not None and label_key(field[0]) in labels.keys:
            count += 1
    return count


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``ipconfig`` output. Raises only :class:`~netatlas.errors.ParseError`.

    Bytes that are not UTF-8 or UTF-16 are read in the OEM code page whose text has
    the most known localized labels (``ipconfig`` writes the console's OEM code page
    when redirected); a warning says which (:func:`~netatlas.parsers._windows.decode_oem`).
    """
    return parse_oem(data, source, lambda text: run_stages(text, source, INFO, _raw, _process), known=label_count)
