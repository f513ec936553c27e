"""The keyed pseudonymisation behind redaction: addresses, MACs and name labels.

Addresses use a prefix-preserving map in the form Crypto-PAn proved correct (Xu, Fan,
Ammar, Moon 2002): output bit ``i`` is input bit ``i`` XOR ``f(first i bits)``. Any
``f`` gives a bijection that keeps the common-prefix length of every pair, so two
networks overlap, nest or stay apart after redaction exactly as before. Crypto-PAn
takes ``f`` from AES; here it is one bit of HMAC-SHA256 (stdlib ``hmac``) over the
bit position and the prefix. The security argument is the same (a keyed PRF per
prefix) and netatlas needs no ``cryptography`` wheel, which matters on the Windows
and WSL machines it is run on. Cost: 32 (IPv4) or 128 (IPv6) HMACs per *distinct*
address, cached; a bundle has hundreds, not millions.

``f`` is forced to 0 for some prefixes, from :func:`default_rules`:

* *kept* ranges (loopback, link-local, multicast, 0.0.0.0, 255.255.255.255) map to
  themselves, since they say nothing about the user and analyses recognise them by
  value;
* *structure* blocks (RFC 1918, CGNAT, ULA, Docker's and podman's wide pools) keep
  their membership: an address inside stays inside, one outside stays outside, but
  its bits below the block are pseudonymised. WSL's NAT /20 stays in 172.16.0.0/12, so
  it is classified the same after redaction.

Because ``f`` is also 0 on every *ancestor* of a rule's network (the prefixes on the
way down to it), an address outside a kept range can never be mapped into it: at the
first bit where it leaves the range's path that bit is kept, so its image leaves at
the same bit. That leaks the bits shared with the nearest rule's path (typically the
first 5 to 12 bits), the price Crypto-PAn's "class-preserving" variants also pay.
Netmask values (``255.255.240.0``) are not rules: they would pin every address whose
bits run ones-then-zeros (``192.0.2.x``); the text rewriter leaves them alone instead.

The specific engine defaults of ``knowledge/pools.json`` (Docker's 172.17.0.0/16,
Rancher Desktop's 192.168.1.0/24, k8s pods' 10.244.0.0/16 …, :func:`engine_rules`)
are *not* rules of the map: a home LAN or a VPN may use the same range, and a rule
would pin its prefix bit for bit. A scheme is given the ones a bundle evidently uses
for an engine (``_kept.kept_ranges``) as ``kept``, an overlay on top of the map:
an address inside one is itself, every other address has the same image with or
without the overlay, so the image of an address never depends on which engine ranges
a bundle kept (what the fleet needs: one key, one map, on every machine).

Example (RFC 5737 addresses):
    >>> s = Scheme(b"k" * 32)
    >>> a, b = s.address(ip_address("192.0.2.10")), s.address(ip_address("192.0.2.77"))
    >>> a != ip_address("192.0.2.10") and common_prefix(a, b) == 25
    True
    >>> str(s.address(ip_address("127.0.0.1"))), str(s.address(ip_address("172.17.0.2"))) != "172.17.0.2"
    ('127.0.0.1', True)
    >>> kept = Scheme(b"k" * 32, kept=[ip_network("172.17.0.0/16")])
    >>> str(kept.address(ip_address("172.17.0.2"))), kept.address(ip_address("192.0.2.10")) == a
    ('172.17.0.2', True)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from netatlas.knowledge import load
from netatlas.model import IPAddress, IPNetwork

__all__ = [
    "Rule",
    "Scheme",
    "common_prefix",
    "default_rules",
    "engine_rules",
    "eui64_mac",
    "ip_address",
    "ip_network",
]

ip_address = ipaddress.ip_address
ip_network = ipaddress.ip_network

_V4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")

# Wide blocks whose membership analyses test (classify.py kind_hints, pool_overlap's
# private-range searches): kept as blocks, pseudonymised inside.
_STRUCTURE = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",  # CGNAT: Tailscale
    "198.18.0.0/15",  # benchmarking: OrbStack
    "240.0.0.0/4",
    "fc00::/7",
    "fd00::/8",
    "2001::/32",  # Teredo: its low bits hold an obfuscated public IPv4
    "2002::/16",  # 6to4: bits 16..48 are a public IPv4
    "2001:db8::/32",
)
# Ranges that say nothing about the user: kept bit for bit (depth = all bits), or
# down to ``depth`` (link-local IPv6 keeps fe80::/64, its interface id is a MAC).
_KEPT: tuple[tuple[str, int | None], ...] = (
    ("0.0.0.0/32", None),
    ("127.0.0.0/8", None),
    ("169.254.0.0/16", None),
    ("224.0.0.0/4", None),
    ("255.255.255.255/32", None),
    ("::/128", None),
    ("::1/128", None),
    ("fe80::/10", 64),
    ("fe00::/128", None),  # ip6-localnet in every Debian-style hosts file
    ("ff00::/8", None),
    ("ff02::1:ff00:0/104", 104),  # solicited-node groups end in a host's low 24 bits
)
# Engine defaults can be kept verbatim only when they are at least this specific: a /8
# or /12 default (Docker swarm's 10.0.0.0/8, k8s services 10.96.0.0/12) would keep a
# whole corporate range; those become structure blocks instead.
_MIN_KEPT_PREFIX = {4: 16, 6: 48}


@dataclass(frozen=True, slots=True)
class Rule:
    """Force ``f = 0`` on the way down to ``network`` and inside it down to ``depth``.

    Args:
        network: the range.
        depth: bits kept verbatim for addresses inside it (``network.prefixlen`` for
            a structure block, the full width for a kept range).
        why: where the rule comes from, for ``--explain`` style output and tests.
    """

    network: IPNetwork
    depth: int
    why: str


def _pool_entries() -> Iterable[tuple[IPNetwork, int | None, str, bool]]:
    """(range, pool size, why, exact) of every default and kind hint in ``knowledge/pools.json``.

    ``exact`` is True for a ``cidr`` or ``address`` (the engine's own range), False for
    a ``within`` bound.
    """
    pools = load("pools")
    for d in pools.get("defaults", []):
        why = f"{d.get('engine')} {d.get('pool')} (knowledge/pools.json)"
        if d.get("address"):
            yield ipaddress.ip_network(d["address"]), None, why, True
        for key in ("cidr", "within"):
            if d.get(key):
                size = d.get("size") if isinstance(d.get("size"), int) else None
                yield ipaddress.ip_network(d[key], strict=False), size, why, key == "cidr"
    for h in pools.get("kind_hints", []):
        why = f"kind hint {h.get('kind')} (knowledge/pools.json)"
        for key in ("cidr", "within"):
            if key in h.get("match", {}):
                yield ipaddress.ip_network(h["match"][key], strict=False), None, why, key == "cidr"


def _specific(net: IPNetwork) -> bool:
    return net.prefixlen >= _MIN_KEPT_PREFIX[net.version]


def _candidate(net: IPNetwork, size: int | None, exact: bool) -> bool:
    """An engine's own specific range: not a pool it cuts smaller networks from, not special-purpose."""
    if not (exact and _specific(net)) or (size is not None and size > net.prefixlen):
        return False
    special = (ipaddress.ip_network(text) for text, _ in _KEPT)
    return not any(net.subnet_of(s) for s in special if s.version == net.version)  # type: ignore[arg-type]


def default_rules() -> tuple[Rule, ...]:
    """The map's fixed rules: special ranges, structure blocks and the wide engine pools.

    Every engine default of ``knowledge/pools.json`` wider than /16 (IPv6 /48) and every
    ``within`` bound becomes a structure block: membership kept, bits below
    pseudonymised. The specific ones are no rule here (:func:`engine_rules`): a bundle
    keeps those only when its evidence shows an engine using them and no host network
    near them (``netatlas.redact._kept``). These rules are the same for every bundle
    and every machine, so one key gives one map.
    """
    out: list[Rule] = []
    for text in _STRUCTURE:
        net = ipaddress.ip_network(text)
        out.append(Rule(net, net.prefixlen, "structure block"))
    for text, depth in _KEPT:
        net = ipaddress.ip_network(text)
        out.append(Rule(net, depth or net.max_prefixlen, "special-purpose range"))
    for net, size, why, exact in _pool_entries():
        if not (exact and _specific(net)):
            out.append(Rule(net, net.prefixlen, why))
        elif size is not None and size > net.prefixlen:
            pass  # a specific pool (podman's 10.89.0.0/16 of /24s): its networks are the user's choice
    return tuple(out)


def engine_rules() -> tuple[Rule, ...]:
    """The specific engine defaults (at least /16, IPv6 /48, or one address), kept only on evidence.

    Pools an engine cuts networks from (podman's 10.89.0.0/16 of /24s) are not
    candidates, nor ranges inside a special-purpose one (kept anyway).

    Each is a candidate for a bundle's ``kept`` overlay (``_kept.kept_ranges``);
    ``depth`` is always the full width: kept means kept bit for bit.

    >>> any(str(r.network) == "192.168.1.0/24" for r in engine_rules())
    True
    """
    seen: dict[IPNetwork, Rule] = {}
    for net, size, why, exact in _pool_entries():
        if _candidate(net, size, exact) and net not in seen:
            seen[net] = Rule(net, net.max_prefixlen, why)
    return tuple(seen.values())


def common_prefix(a: IPAddress, b: IPAddress) -> int:
    """How many leading bits two addresses of one family share.

    >>> common_prefix(ip_address("192.0.2.1"), ip_address("192.0.2.129"))
    24
    """
    width = a.max_prefixlen
    return width - (int(a) ^ int(b)).bit_length()


def eui64_mac(address: ipaddress.IPv6Address) -> int | None:
    """The MAC inside a modified-EUI-64 interface id (``…:215:5dff:feb3:93cc``), if any.

    >>> hex(eui64_mac(ip_address("fe80::215:5dff:feb3:93cc")) or 0)
    '0x155db393cc'
    """
    iid = int(address) & ((1 << 64) - 1)
    if (iid >> 24) & 0xFFFF != 0xFFFE:
        return None
    return (((iid >> 40) ^ 0x020000) << 24) | (iid & 0xFFFFFF)


def _eui64_iid(mac: int) -> int:
    return (((mac >> 24) ^ 0x020000) << 40) | (0xFFFE << 24) | (mac & 0xFFFFFF)


class _Tree:
    """The rules of one family: ancestors with ``f = 0`` and ranges kept to a depth."""

    def __init__(self, width: int, rules: Iterable[Rule]) -> None:
        self.width = width
        self.ancestors: set[tuple[int, int]] = set()
        deepest: dict[tuple[int, int], int] = {}  # (prefix value, prefixlen) -> depth
        for r in rules:
            plen, top = r.network.prefixlen, int(r.network.network_address)
            for i in range(plen):
                self.ancestors.add((i, top >> (width - i)))
            at = (top >> (width - plen), plen)
            deepest[at] = max(deepest.get(at, 0), r.depth)
        # shortest first; one network named twice keeps its deepest rule
        self.ranges = sorted(((v, p, d) for (v, p), d in deepest.items()), key=lambda t: t[1])

    def kept_below(self, value: int) -> list[tuple[int, int]]:
        """(prefixlen, depth) of every range holding ``value``, shortest first."""
        return [(plen, depth) for top, plen, depth in self.ranges if value >> (self.width - plen) == top]


class Scheme:
    """Keyed, deterministic pseudonyms: the same key gives the same output everywhere.

    Args:
        key: the secret (at least 16 bytes); sub-keys for addresses, MACs and names
            are derived from it, so learning one mapping says nothing of the others.
        rules: what stays; :func:`default_rules` when omitted.
        kept: ranges mapped to themselves on top of the map (a bundle's engine ranges,
            ``_kept.kept_ranges``). Addresses outside them map exactly as without
            them; the caller makes sure no address of the bundle maps into one.
    """

    def __init__(self, key: bytes, rules: Sequence[Rule] | None = None, kept: Iterable[IPNetwork] = ()) -> None:
        if len(key) < 16:
            raise ValueError(f"redaction key must be at least 16 bytes, got {len(key)}")
        self._k_addr = hmac.digest(key, b"netatlas-redact/v1/address", "sha256")
        self._k_mac = hmac.digest(key, b"netatlas-redact/v1/mac", "sha256")
        self._k_name = hmac.digest(key, b"netatlas-redact/v1/name", "sha256")
        self._k_opaque = hmac.digest(key, b"netatlas-redact/v1/opaque", "sha256")
        self.key_id = hmac.digest(key, b"netatlas-redact/v1/key-id", "sha256").hex()[:16]
        chosen = default_rules() if rules is None else tuple(rules)
        self.rules = chosen
        self._trees = {
            4: _Tree(32, (r for r in chosen if r.network.version == 4)),
            6: _Tree(128, (r for r in chosen if r.network.version == 6)),
        }
        self.kept = tuple(kept)
        self._kept = {v: [(n.prefixlen, int(n.network_address)) for n in self.kept if n.version == v] for v in (4, 6)}
        self.base = lru_cache(maxsize=65536)(self._prefix)
        self.prefix = lru_cache(maxsize=65536)(self._overlay)
        self.mac = lru_cache(maxsize=65536)(self._mac)
        self.label = lru_cache(maxsize=65536)(self._label)

    # ------------------------------------------------------------------ addresses

    def _bit(self, version: int, i: int, prefix: int) -> int:
        msg = bytes((version, i)) + prefix.to_bytes(16, "big")
        return hmac.digest(self._k_addr, msg, "sha256")[0] & 1

    def _prefix(self, value: int, version: int) -> int:
        """The pure prefix-preserving map of one address (as an integer)."""
        tree = self._trees[version]
        width = tree.width
        ranges = tree.kept_below(value)
        out = 0
        for i in range(width):
            prefix = value >> (width - i) if i else 0
            bit = (value >> (width - 1 - i)) & 1
            keep = (i, prefix) in tree.ancestors
            if not keep:
                inner = [depth for plen, depth in ranges if plen <= i]
                keep = bool(inner) and i < inner[-1]
            flip = 0 if keep else self._bit(version, i, prefix)
            out = (out << 1) | (bit ^ flip)
        return out

    def in_kept(self, value: int, version: int, plen: int | None = None) -> bool:
        """Whether the block ``value/plen`` (an address when ``plen`` is omitted) lies in a kept range."""
        width = 32 if version == 4 else 128
        plen = width if plen is None else plen
        return any(kp <= plen and value >> (width - kp) == top >> (width - kp) for kp, top in self._kept[version])

    def _overlay(self, value: int, version: int) -> int:
        """The map of one address with the kept ranges on top: itself inside one."""
        return value if self.in_kept(value, version) else self.base(value, version)

    def address(self, addr: IPAddress) -> IPAddress:
        """The pseudonym of ``addr``: the prefix map, with two IPv6 refinements.

        An IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) maps its IPv4 part like the
        plain IPv4 address. An interface id built from a MAC (modified EUI-64) is
        rebuilt from the MAC's pseudonym, so ``fe80::215:5dff:feb3:93cc`` agrees with
        the adapter's redacted physical address and never shows the real one; such an
        address keeps its /64 prefix-preserving, not its bits below.
        """
        if isinstance(addr, ipaddress.IPv4Address):
            return ipaddress.IPv4Address(self.prefix(int(addr), 4))
        if addr in _V4_MAPPED:
            v4 = self.prefix(int(addr) & 0xFFFFFFFF, 4)
            return ipaddress.IPv6Address(int(_V4_MAPPED.network_address) | v4)
        mapped = self.prefix(int(addr), 6)
        mac = eui64_mac(addr)
        if mac is not None:
            mapped = (mapped >> 64 << 64) | _eui64_iid(self.mac(mac))
        return ipaddress.IPv6Address(mapped)

    def network(self, net: IPNetwork) -> IPNetwork:
        """The image of a network: its address mapped, host bits cleared.

        A network inside a kept range is itself; a wider one is mapped like any other
        (its image holds the images of its addresses outside the kept ranges).

        >>> s = Scheme(b"k" * 32, kept=[ipaddress.ip_network("172.17.0.0/16")])
        >>> str(s.network(ipaddress.ip_network("172.17.0.0/16"))), str(s.network(ipaddress.ip_network("172.16.0.0/12")))
        ('172.17.0.0/16', '172.16.0.0/12')
        """
        if self.in_kept(int(net.network_address), net.version, net.prefixlen):
            return net
        if isinstance(net, ipaddress.IPv6Network) and net.prefixlen <= 64:
            mapped: IPAddress = ipaddress.IPv6Address(self.base(int(net.network_address), 6))
            return ipaddress.ip_network(f"{mapped}/{net.prefixlen}", strict=False)
        if isinstance(net, ipaddress.IPv4Network):
            mapped = ipaddress.IPv4Address(self.base(int(net.network_address), 4))
            return ipaddress.ip_network(f"{mapped}/{net.prefixlen}", strict=False)
        mapped = self.address(net.network_address)
        return ipaddress.ip_network(f"{mapped}/{net.prefixlen}", strict=False)

    # ------------------------------------------------------------------ MACs

    def _feistel(self, value: int, bits: int, tweak: bytes) -> int:
        half = bits // 2
        left, right = value >> half, value & ((1 << half) - 1)
        mask = (1 << half) - 1
        for rnd in range(4):
            msg = tweak + bytes((rnd,)) + right.to_bytes(8, "big")
            f = int.from_bytes(hmac.digest(self._k_mac, msg, "sha256")[:8], "big") & mask
            left, right = right, left ^ f
        return (left << half) | right

    def _mac(self, mac: int) -> int:
        """Pseudonym of a 48-bit MAC (as an integer); a bijection.

        * all-zero, broadcast and multicast MACs stay (they name protocols, not
          devices), except IPv6 solicited-node ``33:33:ff:…`` whose low 24 bits are a
          host's;
        * Docker's ``02:42:`` + IPv4 MACs get the pseudonym of that IPv4, so the MAC
          never shows the container's real address;
        * vendor MACs keep their OUI (the vendor, e.g. Hyper-V's 00:15:5d, which says
          "virtual adapter") and permute the 24-bit NIC part;
        * other locally administered MACs permute all 46 free bits, avoiding 02:42.
        """
        if mac in (0, (1 << 48) - 1):
            return mac
        first = mac >> 40
        if first & 1:
            if mac >> 24 == 0x3333FF:
                return (mac >> 24 << 24) | self._feistel(mac & 0xFFFFFF, 24, b"sn")
            return mac
        if mac >> 32 == 0x0242:
            return (0x0242 << 32) | self.prefix(mac & 0xFFFFFFFF, 4)
        if first & 2:
            low2 = first & 3
            value = ((first >> 2) << 40) | (mac & ((1 << 40) - 1))
            while True:
                value = self._feistel(value, 46, b"la")
                out = ((value >> 40) << 42) | (low2 << 40) | (value & ((1 << 40) - 1))
                if out >> 32 != 0x0242:
                    return out
        return (mac >> 24 << 24) | self._feistel(mac & 0xFFFFFF, 24, b"nic")

    # ------------------------------------------------------------------ opaque bytes

    def opaque(self, data: bytes) -> bytes:
        """Keyed pseudo-random bytes as long as ``data``, the same for the same input.

        For identifiers with no structure to keep (a DHCPv6 DUID's time and
        enterprise bytes): without the key, two bundles cannot be linked by them.
        """
        out = b""
        block = 0
        while len(out) < len(data):
            out += hmac.digest(self._k_opaque, block.to_bytes(4, "big") + data, "sha256")
            block += 1
        return out[: len(data)]

    # ------------------------------------------------------------------ names

    def _label(self, label: str) -> str:
        """Pseudonym of one DNS label or user name: ``h`` + 7 base32 characters.

        Case style follows the input (``Z820`` → upper), so NetBIOS-style names
        still look like NetBIOS names.
        """
        digest = hmac.digest(self._k_name, label.lower().encode("utf-8"), hashlib.sha256)
        out = "h" + base64.b32encode(digest[:5]).decode("ascii").lower()[:7]
        return out.upper() if label.isupper() else out
