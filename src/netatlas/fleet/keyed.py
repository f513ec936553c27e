"""The organisation key on the admin's side: undo the address map, seal machine names.

Agents that push with ``--redact`` rewrite every address with the prefix-preserving
map of :mod:`netatlas.redact` (Crypto-PAn's form: output bit ``i`` is input bit ``i``
XOR ``f(first i bits)``). That map is a bijection, and it can be run backwards one
bit at a time: bit ``i`` of the original is bit ``i`` of the image XOR ``f`` of the
original bits already recovered. So the admin's client, holding the same key, turns
the server's answers back into real addresses (:func:`real_network`), and turns a
real query range into the image the server holds (:func:`image_network`).

An agent keeps the engine ranges its scan shows an engine using (Docker's
172.17.0.0/16 …, :mod:`netatlas.redact._kept`) verbatim, and every other address has
the same image on every machine: the kept ranges are an overlay on one map, not rules
of it. The agent lists the ranges it kept in its atlas (``settings["redaction_kept"]``),
because an image inside an engine range is ambiguous without it: the range itself on a
machine that kept it, the image of another block on a machine that did not (a map
cannot keep a range on one machine, hide it on another and stay one bijection). So
:func:`real_address` takes that list (``kept``); without it, an address inside an
engine range is read as kept. A query range inside an engine range is asked in both
forms (:func:`image_networks`).

Names are different: redaction replaces host names with one-way keyed pseudonyms,
which no key reverses. The machine's name is the one name a fleet needs back, so the
agent *seals* it (:func:`seal`): a deterministic authenticated encryption in the SIV
form (Rogaway and Shrimpton 2006) built from HMAC-SHA256 only, like the address map,
so the client needs no ``cryptography`` wheel. The IV is ``HMAC(k_iv, name)``, so the
same name always seals to the same text (the server keys machines by it), and the IV
doubles as the tag that :func:`unseal` checks.

Example (RFC 5737 addresses):
    >>> key = b"k" * 32
    >>> import ipaddress
    >>> net = ipaddress.ip_network("198.51.100.0/24")
    >>> image = image_network(key, net)
    >>> image != net and real_network(key, image) == net
    True
    >>> unseal(key, seal(key, "Z820"))
    'Z820'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from netatlas.model import IPAddress, IPNetwork
from netatlas.redact._scheme import Scheme, engine_rules

__all__ = [
    "SEALED",
    "image_network",
    "image_networks",
    "in_engine_range",
    "kept_of",
    "key_id",
    "real_address",
    "real_network",
    "real_text",
    "seal",
    "unseal",
]

SEALED = "sealed:"
"""Prefix of a sealed machine name as the server stores it."""

_V4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_IV = 16
MAX_NAME_BYTES = 255


@lru_cache(maxsize=8)
def _scheme(key: bytes) -> Scheme:
    return Scheme(key)


def key_id(key: bytes) -> str:
    """The key's public id, as :func:`netatlas.redact.redact_bundle` records it."""
    return _scheme(key).key_id


@lru_cache(maxsize=1)
def _engine_ranges() -> tuple[IPNetwork, ...]:
    return tuple(r.network for r in engine_rules())


def in_engine_range(net: IPNetwork, kept: Iterable[IPNetwork] | None = None) -> bool:
    """Whether ``net`` is inside a kept range: ``kept``, or any engine range when it is not known."""
    ranges = _engine_ranges() if kept is None else kept
    return any(net.version == k.version and net.subnet_of(k) for k in ranges)  # type: ignore[arg-type]


def kept_of(atlas: Mapping[str, Any]) -> tuple[IPNetwork, ...] | None:
    """The ranges a redacted atlas says its agent kept (``None`` when it does not say)."""
    settings = atlas.get("settings")
    listed = settings.get("redaction_kept") if isinstance(settings, Mapping) else None
    if not isinstance(listed, list):
        return None
    out = []
    for text in listed:
        try:
            out.append(ipaddress.ip_network(str(text)))
        except ValueError:
            continue
    return tuple(out)


def image_network(key: bytes, net: IPNetwork) -> IPNetwork:
    """The image of a real range under the key, as a machine that keeps no engine range reports it."""
    return _scheme(key).network(net)


def image_networks(key: bytes, net: IPNetwork) -> tuple[IPNetwork, ...]:
    """Every form a redacted agent can report a real range in.

    Inside an engine range (172.17.0.0/16) it is the range itself on the machines that
    keep it and its image on the others; elsewhere only its image.
    """
    image = image_network(key, net)
    return (net, image) if in_engine_range(net) and image != net else (image,)


def _unprefix(scheme: Scheme, value: int, version: int) -> int:
    """The inverse of ``Scheme._prefix``: recover the original bit by bit.

    Whether bit ``i`` was flipped depends only on the original's first ``i`` bits
    (a rule's range holds the value iff its first ``plen <= i`` bits match), which
    are known by the time bit ``i`` is read.
    """
    tree = scheme._trees[version]
    width = tree.width
    orig = 0
    for i in range(width):
        keep = (i, orig) in tree.ancestors
        if not keep:
            inner = [depth for top, plen, depth in tree.ranges if plen <= i and orig >> (i - plen) == top]
            keep = bool(inner) and i < inner[-1]
        flip = 0 if keep else scheme._bit(version, i, orig)
        orig = (orig << 1) | (((value >> (width - 1 - i)) & 1) ^ flip)
    return orig


def real_address(key: bytes, addr: IPAddress, kept: Iterable[IPNetwork] | None = None) -> IPAddress:
    """The real address behind a redacted one.

    An IPv6 interface id that redaction rebuilt from a MAC pseudonym (EUI-64) keeps
    that pseudonym: only its /64 is given back. An address inside an engine range is
    read as kept (itself) when it is in ``kept``, or, with ``kept`` unknown, in any
    engine range (see the module docstring).
    """
    if in_engine_range(ipaddress.ip_network(addr), kept):
        return addr
    return _real_mapped(key, addr)


def _real_mapped(key: bytes, addr: IPAddress) -> IPAddress:
    """The inverse of the map itself, with no kept range on top."""
    scheme = _scheme(key)
    if isinstance(addr, ipaddress.IPv4Address):
        return ipaddress.IPv4Address(_unprefix(scheme, int(addr), 4))
    if addr in _V4_MAPPED:
        v4 = _unprefix(scheme, int(addr) & 0xFFFFFFFF, 4)
        return ipaddress.IPv6Address(int(_V4_MAPPED.network_address) | v4)
    return ipaddress.IPv6Address(_unprefix(scheme, int(addr), 6))


def real_network(key: bytes, net: IPNetwork, kept: Iterable[IPNetwork] | None = None) -> IPNetwork:
    """The real range behind a redacted one (the map keeps prefixes, so a block stays a block)."""
    if in_engine_range(net, kept):
        return net
    addr = _real_mapped(key, net.network_address)
    return ipaddress.ip_network(f"{addr}/{net.prefixlen}", strict=False)


_ADDRESS_TOKEN = re.compile(
    r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?![\w.])"
    r"|(?<![\w.:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:/\d{1,3})?(?![\w.:])"
)


def real_text(key: bytes, text: str, kept: Iterable[IPNetwork] | None = None) -> str:
    """``text`` with every address and CIDR in it given back (finding titles, labels)."""
    kept = None if kept is None else tuple(kept)

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        try:
            if "/" in token:
                return str(real_network(key, ipaddress.ip_network(token, strict=False), kept))
            return str(real_address(key, ipaddress.ip_address(token), kept))
        except ValueError:
            return token

    return _ADDRESS_TOKEN.sub(one, text)


def _keys(key: bytes) -> tuple[bytes, bytes]:
    return (
        hmac.digest(key, b"netatlas-fleet/v1/seal-iv", "sha256"),
        hmac.digest(key, b"netatlas-fleet/v1/seal-enc", "sha256"),
    )


def _stream(k_enc: bytes, iv: bytes, n: int) -> bytes:
    out = b""
    block = 0
    while len(out) < n:
        out += hmac.digest(k_enc, iv + block.to_bytes(4, "big"), hashlib.sha256)
        block += 1
    return out[:n]


def seal(key: bytes, name: str) -> str:
    """``name`` encrypted under the key, the same text for the same name and key.

    Raises:
        ValueError: the name is empty or longer than 255 bytes.
    """
    data = name.encode("utf-8")
    if not data or len(data) > MAX_NAME_BYTES:
        raise ValueError(f"machine name must be 1 to {MAX_NAME_BYTES} bytes, got {name!r}")
    k_iv, k_enc = _keys(key)
    iv = hmac.digest(k_iv, data, hashlib.sha256)[:_IV]
    body = bytes(a ^ b for a, b in zip(data, _stream(k_enc, iv, len(data)), strict=True))
    return SEALED + base64.urlsafe_b64encode(iv + body).decode("ascii").rstrip("=")


def unseal(key: bytes, text: str) -> str | None:
    """The name inside a sealed text, or ``None`` when it is not sealed under this key."""
    if not text.startswith(SEALED):
        return None
    raw = text[len(SEALED) :]
    try:
        blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return None
    if len(blob) <= _IV:
        return None
    k_iv, k_enc = _keys(key)
    iv, body = blob[:_IV], blob[_IV:]
    data = bytes(a ^ b for a, b in zip(body, _stream(k_enc, iv, len(body)), strict=True))
    if not hmac.compare_digest(hmac.digest(k_iv, data, hashlib.sha256)[:_IV], iv):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
