"""Find every address, MAC and secret name in evidence text and rewrite it in place.

Evidence is kept byte for byte, so redaction rewrites the text itself rather than the
parsed facts: everything else on a line (columns, dot leaders, JSON punctuation, CRLF)
stays as it was, and the parsers read the result like the original. Width changes
are fine for every format netatlas reads (they split on whitespace or parse JSON);
tokens are never joined, because a replacement never contains a space.

Two passes, so a name rule can never reach into an address:

1. addresses and MACs in every textual form (dotted IPv4 and CIDR, IPv6 compressed,
   full, bracketed, with ``%zone``, upper case, IPv4-mapped; reverse-DNS names; MACs
   with ``:``/``-``, Cisco dots, ``route print``'s spaces; DUIDs, whose last six bytes
   are a MAC). Each found span is *protected*.
2. names in the unprotected text: every secret label (host names, DNS suffixes, user
   names, names from hosts files and answers, collected by :class:`Context`), bounded
   by non-alphanumerics so ``z820_default`` and ``z820-web-1`` lose it too; and, as a
   safety net, every dotted name ending in a known top-level domain.

Example (RFC 5737 addresses):
    >>> from netatlas.redact._scheme import Scheme
    >>> rw = Rewriter(Scheme(b"k" * 32), Context(secret_labels={"printer"}))
    >>> out = rw.text("192.0.2.7 printer.example.com  # 127.0.0.1 stays")
    >>> "192.0.2.7" in out or "printer" in out, out.endswith("# 127.0.0.1 stays")
    (False, True)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from netatlas.knowledge import load
from netatlas.model import IPAddress
from netatlas.redact._scheme import Scheme

__all__ = [
    "KEEP_LABELS",
    "KEEP_NAMES",
    "Context",
    "Rewriter",
    "is_kept_name",
    "is_tld",
    "never_secret",
    "version_tokens",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names that say nothing about the user: Debian's /etc/hosts defaults and the names
# Docker Desktop, podman, Lima and OrbStack write (shared/facts/pool-facts.md §8).
KEEP_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "localhost4",
        "localhost6",
        "localhost4.localdomain4",
        "localhost6.localdomain6",
        "broadcasthost",
        "ip6-localhost",
        "ip6-loopback",
        "ip6-localnet",
        "ip6-mcastprefix",
        "ip6-allnodes",
        "ip6-allrouters",
        "ip6-allhosts",
        "host.containers.internal",
        "host.lima.internal",
        "host.orb.internal",
        "docker-desktop",
        "docker-for-desktop",
    }
)
_KEEP_SUFFIXES = (".docker.internal", ".containers.internal", ".orb.internal", ".svc.cluster.local")

# Labels never treated as secret: format keywords (a host called ``bridge`` must not
# turn Docker's ``"Driver": "bridge"`` into a pseudonym), well-known product and
# special-use names, and generic DNS words. Their cost is that a machine literally
# named one of these keeps that name, which reveals nothing.
KEEP_LABELS = _words(
    """
    localhost localdomain local lan home internal intranet corp private test example invalid
    arpa in-addr ip6 www mail dns ns ns1 ns2 gateway router host hosts docker desktop kubernetes
    containers podman lima orb orbstack wsl wsl2 microsoft windows linux ubuntu debian kali
    kali-linux alpine default bridge none null true false inet inet6 link ether loopback lo
    dev via proto kernel scope src metric global eth0 eth1 cni0 docker0 svc cluster cluster-local
    kube-system mshome unknown root admin administrator public user users nobody runner
    com net org io dev app co info biz edu gov mil int cloud
    """
)
# Words of the formats netatlas reads (headers, keywords, JSON keys): never secret,
# so a hosts-file entry named ``network`` cannot rewrite ``Network Destination``.
# ipconfig's localized labels are added from knowledge/ipconfig_labels.json.
_FORMAT_WORDS = _words(
    """
    active routes route persistent destination netmask interface on-link if network address
    addresses name names server servers non-authoritative answer aliases alias canonical
    has pointer for not found mail handled by tracing to over maximum of hops trace complete
    request timed out traceroute byte bytes packets ms listen connect port ipv4 ipv6 tcp udp
    state recv-q send-q peer process users pid fd listening unconn established
    flags mtu qdisc qlen group master up down lower_up no-carrier multicast broadcast brd
    valid_lft preferred_lft forever dynamic noprefixroute secondary temporary tentative
    deprecated link-netnsid static dhcp boot onlink linkdown table unreachable blackhole
    prohibit throw nat anycast netmask prefixlen scopeid txqueuelen rx tx errors dropped
    overruns frame carrier collisions nameserver search domain options ndots timeout
    attempts rotate edns0 trust-ad generated running stopped installing converting version
    kernel wslg msrdc direct3d dxcore driver subnet ipam config containers labels internal
    attachable ingress enableipv6 macaddress ipaddress ipprefixlen endpointid hostname
    id image status networks networksettings ports bridge host overlay macvlan ipvlan
    null none local global swarm routing tables internet refs use netif expire genmask iface
    mss window irtt destination target localhost wsl docker podman kubernetes
    """
)
# Top-level domains that make a dotted word a host name for the safety net. Two-letter
# country codes count, except those that are common file extensions (``.py``, ``.sh``).
_GENERIC_TLDS = _words(
    "com net org io dev app ai co me info biz edu gov mil int cloud corp home lan local "
    "localdomain internal intranet intra private test example invalid site online tech xyz"
)
_NOT_TLDS = _words("py sh md rs ts pl cc so gz xz ps cs fs js db mo po hs rb go ml")


@cache
def never_secret() -> frozenset[str]:
    """Lower-case labels that are never replaced: :data:`KEEP_LABELS`, format words, and
    every word of ipconfig's labels in each language netatlas knows."""
    words = set(KEEP_LABELS) | set(_FORMAT_WORDS)
    for lang in load("ipconfig_labels").get("languages", {}).values():
        texts: list[str] = [*lang.get("title", []), *lang.get("yes", []), *lang.get("no", [])]
        for labels in lang.get("labels", {}).values():
            texts.extend(labels)
        for text in texts:
            words.update(w.lower() for w in re.findall(r"[\w-]+", str(text)))
    return frozenset(words)


def is_tld(label: str) -> bool:
    """Whether ``label`` ends host names (``com``, ``home``, ``de``; not ``py``).

    >>> is_tld("home"), is_tld("de"), is_tld("py"), is_tld("conf")
    (True, True, False, False)
    """
    low = label.lower()
    if low in _GENERIC_TLDS:
        return True
    return len(low) == 2 and low.isalpha() and low not in _NOT_TLDS


def is_kept_name(name: str) -> bool:
    """True for a name that stays as written (``host.docker.internal``, ``ip6-*`` …).

    >>> is_kept_name("gateway.docker.internal."), is_kept_name("z820.example.com")
    (True, False)
    """
    n = name.lower().rstrip(".")
    return n in KEEP_NAMES or n.endswith(_KEEP_SUFFIXES) or n.endswith(".arpa")


@dataclass
class Context:
    """What a whole bundle says is secret or known, gathered before any rewriting.

    Args:
        secret_labels: lower-case labels to replace everywhere (host, domain, user).
        secret_names: lower-case dotted names whose top-level label is no known TLD
            (``nas.fritz.box``), so the safety net for dotted names would miss them.
        addresses: every address the parsers found (tells an address with a port
            glued on from a longer address, and a version number from an address).
        network_ends: network and broadcast addresses of known networks, each with the
            longest prefix length it ends, so a route's ``172.29.16.0`` is shown as
            the redacted network's own network address, not a host inside it.
        macs: every MAC the parsers found (also matched in bare 12-hex-digit form).
        versions: dotted quads that are version numbers somewhere in the bundle.
    """

    secret_labels: set[str] = field(default_factory=set)
    secret_names: set[str] = field(default_factory=set)
    addresses: set[IPAddress] = field(default_factory=set)
    network_ends: dict[IPAddress, tuple[int, bool]] = field(default_factory=dict)
    macs: set[int] = field(default_factory=set)
    versions: set[str] = field(default_factory=set)


_H = r"[0-9A-Fa-f]"
_PATTERN = re.compile(
    rf"""
    (?P<rev4>(?<![\w.])\d{{1,3}}(?:\.\d{{1,3}}){{0,3}})(?=\.in-addr\.arpa(?![\w-]))
  | (?P<rev6>(?<![\w.])(?:{_H}\.){{1,32}})(?=ip6\.arpa(?![\w-]))
  | (?P<mac6>(?<![0-9A-Fa-f:.-]){_H}{{1,2}}(?P<s6>[:-]){_H}{{1,2}}(?:(?P=s6){_H}{{1,2}}){{4}})
        (?![0-9A-Fa-f]|[:-][0-9A-Fa-f])
  | (?P<run>(?<![0-9A-Fa-f:.-]){_H}{{2}}(?P<sr>[:-]){_H}{{2}}(?:(?P=sr){_H}{{2}}){{5,}})
        (?![0-9A-Fa-f]|[:-][0-9A-Fa-f])
  | (?P<dots>(?<![\w.]){_H}{{4}}\.{_H}{{4}}\.{_H}{{4}})(?![\w.])
  | (?<=\.\.\.)(?P<spaced>{_H}{{2}}(?:\ {_H}{{2}}){{5,}})(?=\ |$)
  | (?P<v6>(?<![\w:.%])(?:{_H}{{0,4}}:){{2,7}}(?:\d{{1,3}}(?:\.\d{{1,3}}){{3}}|{_H}{{1,4}})?)
        (?P<zone>%[\w.-]+)?(?:/(?P<len6>\d{{1,3}}))?(?![\w:]|\.\d)
  | (?P<v4>(?<![\d.])\d{{1,3}}(?:\.\d{{1,3}}){{3}})(?:/(?P<len4>\d{{1,2}})(?!\d))?(?!\.?\d)
  | (?P<hex12>(?<![\w.:-]){_H}{{12}})(?![\w.:-])
  | ^(?P<abbr>\d{{1,3}}(?:\.\d{{1,3}}){{0,2}})(?:/(?P<alen>\d{{1,2}}))?(?=[ \t])
    """,
    re.VERBOSE | re.MULTILINE,
)
_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}\s")
_V4_WORD = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)")
_VERSION_BEFORE = re.compile(r"(?:(?:versi[oó]n|release|build|バージョン|版本)[^\n\d]{0,16}|\bv)$", re.I)
_VERSION_AFTER = re.compile(r"-(?:[A-Za-z]|\d+(?![\d.]))")


def version_tokens(text: str) -> set[str]:
    """Dotted quads that are version numbers here (``Kernel version: 5.15.90.1``,
    ``5.15.90.1-microsoft-standard-WSL2``), so the same token is left alone in every
    file of the bundle: rewriting it in one place and not another would be both a
    leak and a broken version.

    >>> sorted(version_tokens("Kernel version: 5.15.90.1\\nvia 192.0.2.1"))
    ['5.15.90.1']
    """
    out: set[str] = set()
    for m in _V4_WORD.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[max(line_start, m.start() - 30) : m.start()]
        if _VERSION_BEFORE.search(before) or _VERSION_AFTER.match(text, m.end()):
            out.add(m.group(0))
    return out


_FQDN = re.compile(
    # Unicode labels too: an internationalised name (café-server.megacorp.io) must not
    # slip past the safety net with its company domain
    r"(?<![\w.-])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-]|\.[^\W_])"
)


def _is_netmask(addr: ipaddress.IPv4Address) -> bool:
    inverted = ~int(addr) & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0


def _v4(text: str) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    if len(parts) != 4 or any(int(p) > 255 for p in parts):
        return None
    return ipaddress.IPv4Address(".".join(str(int(p)) for p in parts))


def _mixed_v6(out: IPAddress) -> str:
    """``out`` with its low 32 bits as a dotted quad (``::ffff:192.0.2.1``), RFC 5952 §5."""
    value = int(out)
    groups = [(value >> (112 - 16 * i)) & 0xFFFF for i in range(6)]
    best, best_len, run = -1, 1, 0
    for i, g in enumerate(groups):
        run = run + 1 if g == 0 else 0
        if run > best_len:
            best, best_len = i - run + 1, run
    hexes = [f"{g:x}" for g in groups]
    if best >= 0:
        head = ":".join(hexes[:best]) + "::" + ":".join(hexes[best + best_len :])
        head = head if head.endswith(":") else head + ":"
    else:
        head = ":".join(hexes) + ":"
    return head + str(ipaddress.IPv4Address(value & 0xFFFFFFFF))


def _styled_v6(out: IPAddress, original: str) -> str:
    """``out`` written like ``original``: full form, embedded dotted quad, case."""
    if "." in original:  # nft and ss write ::ffff:0.0.0.0; keep that form
        text = _mixed_v6(out)
    else:
        full = "::" not in original and original.count(":") == 7
        text = out.exploded if full and all(len(g) == 4 for g in original.split(":")) else str(out)
    return text.upper() if any(c.isupper() for c in original) else text


def _styled_mac(value: int, original: str, sep: str) -> str:
    """``value`` written like ``original``: separator, case, zero padding."""
    octets = [(value >> (8 * (5 - i))) & 0xFF for i in range(6)]
    padded = all(len(p) == 2 for p in re.split(r"[:\-. ]", original)) or sep in (".", "")
    if sep == ".":
        text = ".".join(f"{octets[i]:02x}{octets[i + 1]:02x}" for i in range(0, 6, 2))
    elif sep == "":
        text = "".join(f"{o:02x}" for o in octets)
    else:
        text = sep.join(f"{o:02x}" if padded else f"{o:x}" for o in octets)
    return text.upper() if any(c.isupper() for c in original) else text


class Rewriter:
    """Rewrites text with one scheme and one bundle's :class:`Context`."""

    def __init__(self, scheme: Scheme, context: Context) -> None:
        self.scheme = scheme
        self.context = context
        labels = sorted(context.secret_labels, key=lambda s: (-len(s), s))
        self._secret = (
            re.compile(
                r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(s) for s in labels) + r")(?![A-Za-z0-9])",
                re.I,
            )
            if labels
            else None
        )
        names = sorted(context.secret_names, key=lambda s: (-len(s), s))
        self._dotted = (
            re.compile(
                r"(?<![\w.-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-]|\.[A-Za-z0-9])",
                re.I,
            )
            if names
            else None
        )
        self._ends = self._network_ends()
        self.seen_addresses: set[IPAddress] = set()
        self.images: set[IPAddress] = set()
        self.seen_macs: set[int] = set()

    # ------------------------------------------------------------------ addresses

    def _network_ends(self) -> dict[IPAddress, IPAddress]:
        """Image of each known network/broadcast address, dropped where two collide."""
        out: dict[IPAddress, IPAddress] = {}
        for addr, (plen, broadcast) in self.context.network_ends.items():
            net = self.scheme.network(ipaddress.ip_network(f"{addr}/{plen}", strict=False))
            out[addr] = net.broadcast_address if broadcast else net.network_address
        plain = {self.scheme.address(a) for a in self.context.addresses if a not in out}
        seen: dict[IPAddress, int] = {}
        for img in out.values():
            seen[img] = seen.get(img, 0) + 1
        return {a: img for a, img in out.items() if seen[img] == 1 and img not in plain}

    def address(self, addr: IPAddress) -> IPAddress:
        """The image of one address as it is written in this bundle (and remember both)."""
        end = self._ends.get(addr)
        img = end if end is not None else self.scheme.address(addr)
        self.seen_addresses.add(addr)
        self.images.add(img)
        return img

    def _mac(self, value: int) -> int:
        self.seen_macs.add(value)
        return self.scheme.mac(value)

    def _cidr(self, addr: IPAddress, plen: int) -> IPAddress:
        """``a/n``: the image, with zero host bits when the original had them."""
        if plen > addr.max_prefixlen:
            return self.address(addr)
        net = ipaddress.ip_network(f"{addr}/{plen}", strict=False)
        if net.network_address == addr and plen < addr.max_prefixlen:
            img = self.scheme.network(net).network_address
            self.seen_addresses.add(addr)
            self.images.add(img)
            return img
        return self.address(addr)

    def _sub_v4(self, m: re.Match[str]) -> str | None:
        addr = _v4(m["v4"])
        if addr is None:
            return None
        if m["v4"] in self.context.versions and addr not in self.context.addresses:
            return None  # a version number (see version_tokens)
        if m["len4"] is None and _is_netmask(addr):
            return None  # 255.255.240.0 says nothing; as a route's 128.0.0.0 it maps to itself
        if m["len4"] is not None:
            return f"{self._cidr(addr, int(m['len4']))}/{m['len4']}"
        return str(self.address(addr))

    def _sub_v6(self, m: re.Match[str]) -> str | None:
        raw = m["v6"]
        try:
            addr = ipaddress.IPv6Address(raw)
        except ValueError:
            head, _, port = raw.rpartition(":")
            try:
                addr = ipaddress.IPv6Address(head)
            except ValueError:
                return None
            if not port.isdigit():
                return None
            rest = m.group(0)[len(raw) :]
            return _styled_v6(self.address(addr), head) + ":" + port + rest
        if addr not in self.context.addresses and not raw.endswith("::"):
            head, _, port = raw.rpartition(":")
            try:
                short = ipaddress.IPv6Address(head)
            except ValueError:
                short = None
            if short is not None and short in self.context.addresses and port.isdigit():
                return _styled_v6(self.address(short), head) + ":" + port + m.group(0)[len(raw) :]
        zone = m["zone"] or ""
        if m["len6"] is not None:
            return f"{_styled_v6(self._cidr(addr, int(m['len6'])), raw)}{zone}/{m['len6']}"
        return _styled_v6(self.address(addr), raw) + zone

    def _sub_rev4(self, text: str) -> str:
        octets = [int(p) for p in text.split(".")][::-1]
        if any(o > 255 for o in octets):
            return text
        k = len(octets)
        value = int.from_bytes(bytes(octets + [0] * (4 - k)), "big")
        img = int(self.address(ipaddress.IPv4Address(value))) if k == 4 else self.scheme.prefix(value, 4)
        out = list(img.to_bytes(4, "big"))[:k]
        return ".".join(str(o) for o in out[::-1])

    def _sub_rev6(self, text: str) -> str:
        nibbles = [c for c in text.split(".") if c][::-1]
        k = len(nibbles)
        value = int("".join(nibbles).ljust(32, "0"), 16)
        addr = ipaddress.IPv6Address(value)
        img = int(self.address(addr)) if k == 32 else self.scheme.prefix(value, 6)
        digits = f"{img:032x}"[:k]
        out = ".".join(digits[::-1]) + "."
        return out.upper() if any(c.isupper() for c in text) else out

    def _sub_mac(self, hexes: list[str], original: str, sep: str) -> str:
        """A MAC, or a longer run ending in one (a DHCPv6 DUID): every byte rewritten.

        A DUID's type and hardware type (``00-01-00-01``) say nothing about the
        machine and are kept; its time and enterprise bytes are as identifying as the
        MAC (stable per install), so they become keyed bytes too.
        """
        head, tail = hexes[:-6], hexes[-6:]
        value = int("".join(h.zfill(2) for h in tail), 16)
        new = _styled_mac(self._mac(value), sep.join(tail), sep)
        if not head:
            return new
        keep = 4 if len(head) >= 4 and head[0] == "00" and head[1] in ("01", "02", "03", "04") else 0
        hidden = self.scheme.opaque(bytes(int(h, 16) for h in head[keep:]))
        lead = sep.join([*head[:keep], *(f"{b:02x}" for b in hidden)]) + sep
        return (lead.upper() if any(c.isupper() for c in original) else lead) + new

    def _sub_abbr(self, m: re.Match[str]) -> str | None:
        """BSD ``netstat -rn``'s short destinations: ``192.168.1`` is 192.168.1.0/24."""
        octets = [int(p) for p in m["abbr"].split(".")]
        if any(o > 255 for o in octets):
            return None
        k = len(octets)
        plen = int(m["alen"]) if m["alen"] is not None else 8 * k
        base = ipaddress.IPv4Address(bytes(octets + [0] * (4 - k)))
        if plen > 32:
            return None
        img = self.scheme.network(ipaddress.IPv4Network(f"{base}/{min(plen, 8 * k)}", strict=False))
        self.seen_addresses.add(base)
        self.images.add(img.network_address)
        out = ".".join(str(b) for b in img.network_address.packed[:k])
        return out + (f"/{m['alen']}" if m["alen"] is not None else "")

    def _pass1(self, m: re.Match[str], abbreviated: bool) -> str | None:
        """The replacement of one match, or ``None`` to leave it (and not protect it)."""
        kind = m.lastgroup
        g = m.group(0)
        if m["rev4"] is not None:
            return self._sub_rev4(m["rev4"])
        if m["rev6"] is not None:
            return self._sub_rev6(m["rev6"])
        if m["mac6"] is not None:
            return self._sub_mac(m["mac6"].split(m["s6"]), g, m["s6"])
        if m["run"] is not None:
            hexes = m["run"].split(m["sr"])
            if m["sr"] == ":" and len(hexes) == 8:
                try:
                    return _styled_v6(self.address(ipaddress.IPv6Address(g)), g)
                except ValueError:
                    pass
            return self._sub_mac(hexes, g, m["sr"])
        if m["dots"] is not None:
            value = int(g.replace(".", ""), 16)
            if value not in self.context.macs and not re.search("[A-Fa-f]", g):
                return None
            return _styled_mac(self._mac(value), g, ".")
        if m["spaced"] is not None:
            return self._sub_mac(g.split(" "), g, " ")
        if m["v6"] is not None:
            return self._sub_v6(m)
        if m["v4"] is not None:
            return self._sub_v4(m)
        if m["abbr"] is not None:
            return self._sub_abbr(m) if abbreviated else None
        if m["hex12"] is not None:
            value = int(g, 16)
            if value in self.context.macs:
                return _styled_mac(self._mac(value), g, "")
            return None
        raise AssertionError(kind)  # pragma: no cover: every group is handled above

    def _split_prefix(self, m: re.Match[str], plen: int) -> str | None:
        """An address whose prefix length sits in another field (nft's JSON prefix)."""
        raw = m["v6"] if m["v6"] is not None and m["len6"] is None and m["zone"] is None else None
        raw4 = m["v4"] if m["v4"] is not None and m["len4"] is None else None
        if raw is not None and m.end() - m.start() == len(raw):
            try:
                addr6 = ipaddress.IPv6Address(raw)
            except ValueError:
                return self._pass1(m, False)
            return _styled_v6(self._cidr(addr6, plen), raw)
        if raw4 is not None and (addr4 := _v4(raw4)) is not None:
            return str(self._cidr(addr4, plen))
        return self._pass1(m, False)

    # ------------------------------------------------------------------ names

    def _label(self, word: str) -> str:
        return self.scheme.label(word)

    def _dotted_name(self, name: str) -> str:
        """Every label but the top-level one and well-known ones replaced."""
        labels = name.split(".")
        keep = never_secret()
        out = [lab if lab.lower() in keep else self._label(lab) for lab in labels[:-1]]
        return ".".join([*out, labels[-1]])

    def _names(self, text: str) -> str:
        def fqdn(m: re.Match[str]) -> str:
            name = m.group(0)
            if is_kept_name(name) or not is_tld(name.rsplit(".", 1)[-1]):
                return self._secret_sub(name)
            return self._dotted_name(name)

        def safety_net(part: str) -> str:
            return _sub_outside(_FQDN, part, fqdn, self._secret_sub)

        if self._dotted is None:
            return safety_net(text)
        return _sub_outside(self._dotted, text, lambda m: self._dotted_name(m.group(0)), safety_net)

    def _secret_sub(self, text: str) -> str:
        if self._secret is None:
            return text
        return self._secret.sub(lambda m: self._label(m.group(0)), text)

    # ------------------------------------------------------------------ public

    def _proc_hex(self, text: str, kind: str) -> str:
        """The kernel's hex addresses of ``/proc/net/route`` (little-endian IPv4 words in
        the Destination and Gateway columns) and ``/proc/net/if_inet6`` (32 hex digits),
        replaced by their images in the same form; 0.0.0.0 stays."""
        out: list[str] = []
        for line in text.splitlines(keepends=True):
            if kind == "proc-net-route":
                fields = line.split("\t")
                if len(fields) > 7 and not line.startswith("Iface"):
                    mask = fields[7].strip()
                    for i in (1, 2):
                        if _HEX8.fullmatch(fields[i]) and int(fields[i], 16):
                            addr = ipaddress.IPv4Address(bytes.fromhex(fields[i])[::-1])
                            if i == 1 and _HEX8.fullmatch(mask):  # a destination: a network, by its mask
                                plen = bin(int.from_bytes(bytes.fromhex(mask)[::-1], "big")).count("1")
                                img = self._cidr(addr, plen)
                            else:
                                img = self.address(addr)
                            fields[i] = img.packed[::-1].hex().upper()
                    line = "\t".join(fields)
            elif _HEX32.match(line):
                addr6 = ipaddress.IPv6Address(bytes.fromhex(line[:32]))
                line = self.address(addr6).packed.hex() + line[32:]
            out.append(line)
        return "".join(out)

    def _fib_trie(self, text: str) -> str:
        """``/proc/net/fib_trie`` with each leaf's key read together with its route lines.

        A leaf (``|-- 192.168.0.0``) stands alone on its line; its prefix lengths are on
        the lines below (``/20 link UNICAST``, ``/32 host LOCAL``). Read alone, a key
        that is a network address would be mapped like a host address, with
        pseudonymised host bits, and ``192.168.0.0/20`` would no longer be a network
        (the parser drops it, and the local address loses its prefix length). So the
        key of a leaf with a route shorter than /32 becomes the image of that network
        (the shortest, whose host bits are zero for all of them), a ``BROADCAST`` key
        the broadcast address of its link network's image, and any other key the
        address's image. Inner nodes (``+-- 172.16.0.0/12 …``) carry their length on
        their own line and are rewritten as networks by :meth:`text`.
        """
        lines = text.splitlines(keepends=True)
        leaves: list[tuple[int, ipaddress.IPv4Address, list[tuple[int, str]]]] = []
        for no, line in enumerate(lines):
            if (m := _FIB_LEAF.match(line)) is not None and (addr := _v4(m["key"])) is not None:
                leaves.append((no, addr, []))
            elif (r := _FIB_ROUTE.match(line)) is not None and leaves and int(r["len"]) <= 32:
                leaves[-1][2].append((int(r["len"]), r["type"]))
        links = [
            ipaddress.IPv4Network(f"{addr}/{plen}", strict=False)
            for _, addr, routes in leaves
            for plen, kind in routes
            if kind == "UNICAST" and plen < 32
        ]
        for no, addr, routes in leaves:
            shorter = [plen for plen, _ in routes if plen < 32]
            if shorter:
                img = self._cidr(addr, min(shorter))
            elif any(kind == "BROADCAST" for _, kind in routes) and (
                held := [n for n in links if n.prefixlen < 31 and n.broadcast_address == addr]
            ):
                net = max(held, key=lambda n: n.prefixlen)
                img = self.scheme.network(net).broadcast_address
                self.seen_addresses.add(addr)
                self.images.add(img)
            else:
                img = self.address(addr)
            m = _FIB_LEAF.match(lines[no])
            assert m is not None
            lines[no] = lines[no][: m.start("key")] + str(img) + lines[no][m.end("key") :]
        return "".join(lines)

    def text(self, text: str, *, kind: str | None = None) -> str:
        """``text`` with every address, MAC and secret name replaced.

        ``kind`` enables format-specific forms: ``netstat-rn`` (BSD) writes network
        destinations with fewer than four octets (``192.168.1``, ``224.0.0/4``); the
        ``/proc/net`` files write addresses in hex (:meth:`_proc_hex`);
        ``/proc/net/fib_trie`` puts a leaf's prefix lengths on the lines below it
        (:meth:`_fib_trie`).
        """
        if kind in ("proc-net-route", "proc-net-if-inet6"):
            text = self._proc_hex(text, kind)
        if kind == "proc-net-fib-trie":
            done = self._fib_trie(text)
            # leaf keys are rewritten; the rest (inner nodes, names) as any text
            return "".join(
                line if _FIB_LEAF.match(line) else self._generic(line, False) for line in done.splitlines(keepends=True)
            )
        return self._generic(text, kind == "netstat-rn")

    def _generic(self, text: str, abbreviated: bool) -> str:
        split_prefixes = _split_prefixes(text)
        pieces: list[str] = []
        pos = 0
        for m in _PATTERN.finditer(text):
            plen = split_prefixes.get(m.start())
            new = self._split_prefix(m, plen) if plen is not None else self._pass1(m, abbreviated)
            if new is None:
                continue
            pieces.append(self._names(text[pos : m.start()]))
            pieces.append(new)
            pos = m.end()
        pieces.append(self._names(text[pos:]))
        return "".join(pieces)


# /proc/net/fib_trie (net/ipv4/fib_trie.c, fib_trie_seq_show): a leaf "|-- KEY" and,
# below it, one "/LEN SCOPE TYPE" line per route on that key.
_FIB_LEAF = re.compile(r"^[ \t|]*\|--[ \t]+(?P<key>\d{1,3}(?:\.\d{1,3}){3})[ \t]*\r?$", re.M)
_FIB_ROUTE = re.compile(r"^[ \t]+/(?P<len>\d{1,2})[ \t]+\S+[ \t]+(?P<type>\S+)")

# nft -j writes a prefix as {"prefix": {"addr": "10.20.0.0", "len": 16}}: the length is
# in another field, so the address alone would be read as a host and its image would
# keep pseudonymised host bits; read together, it becomes its network's image.
_NFT_PREFIX = re.compile(
    r'"prefix"\s*:\s*\{\s*"addr"\s*:\s*"(?P<addr>[0-9A-Fa-f:.]{2,45})"\s*,\s*"len"\s*:\s*(?P<len>\d{1,3})\b'
)


def _split_prefixes(text: str) -> dict[int, int]:
    """Offset of each split-prefix address in ``text`` -> its prefix length."""
    if '"prefix"' not in text:
        return {}
    return {m.start("addr"): int(m["len"]) for m in _NFT_PREFIX.finditer(text)}


def _sub_outside(
    pattern: re.Pattern[str], text: str, inside: Callable[[re.Match[str]], str], outside: Callable[[str], str]
) -> str:
    """Apply ``inside`` to each match of ``pattern`` and ``outside`` to the text between."""
    pieces: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        pieces.append(outside(text[pos : m.start()]))
        pieces.append(inside(m))
        pos = m.end()
    pieces.append(outside(text[pos:]))
    return "".join(pieces)
