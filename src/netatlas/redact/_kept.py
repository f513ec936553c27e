"""Which engine default ranges a bundle keeps verbatim, and why.

An engine's default range (Docker's 172.17.0.0/16, Rancher Desktop's 192.168.1.0/24,
k8s pods' 10.244.0.0/16, Docker Desktop's 10.1.0.0/16 …, :func:`engine_rules`) says
nothing about the user *when the engine is what uses it*, and keeping it verbatim
keeps a redacted bundle's meaning: analyses recognise it by value. The same range can
also be the user's own: a home LAN on 192.168.1.0/24, a corporate VPN on 10.1.0.0/16.
Kept, its prefix would be revealed bit for bit. So a range is kept only when both
hold:

(a) the scan's parsed evidence shows an engine using it: an engine network
    (``docker network inspect``, podman's), a container's or pod's address, an
    address on an engine's interface (``docker0``, ``br-…``, ``cni0``, ``podman0``,
    ``veth-rd0`` …) or seen from inside an engine (a container, a pod, the Docker
    Desktop VM); for a single engine address (192.168.65.254), being in the scan;
(b) nothing of the host is near it: no address, network, route, gateway, DNS server
    or neighbour seen outside the engines overlaps it or shares all but 4 of the
    longer prefix's leading bits (a home router numbers its neighbours 192.168.0.0/24,
    192.168.2.0/24: such a range is more likely the user's than the engine's), and
    no address or network of the scan would be mapped into it, and every wider
    network of the scan still holds it after mapping (the scheme's map is the same
    with or without kept ranges, so an address outside one must not land in it: the
    bundle's overlaps stay exactly those of the original).

Anything else is mapped under the key like every other address. ``meta.redaction.kept``
of a redacted bundle lists the kept ranges and why (:func:`describe`); ranges not kept
are not listed, since the reason would name the host network near them.

Example (RFC 5737 addresses as the LAN, Docker's bridge as the engine):
    >>> from netatlas.bundle import Bundle
    >>> from netatlas.model import Evidence, Vantage, VantageKind
    >>> ip = (b'[{"ifname": "docker0", "addr_info": [{"family": "inet", "local": "172.17.0.1", "prefixlen": 16}]},'
    ...       b' {"ifname": "eth0", "addr_info": [{"family": "inet", "local": "192.0.2.7", "prefixlen": 24}]}]')
    >>> b = Bundle((Vantage("host", VantageKind.LINUX_HOST, "h"),),
    ...            (Evidence("host/ip", "host", "ip-addr-json", ("ip", "-j", "addr"), ip),))
    >>> [str(k.network) for k in kept_ranges(parsed_evidence(b), Scheme(b"k" * 32))]
    ['172.17.0.0/16']
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from netatlas.bundle import Bundle
from netatlas.model import Evidence, Facts, IPAddress, IPNetwork, VantageKind
from netatlas.parsers import parse
from netatlas.redact._scheme import Rule, Scheme, common_prefix, engine_rules

__all__ = ["NEAR_BITS", "Kept", "Parsed", "bundle_scheme", "describe", "kept_ranges", "parsed_evidence"]

NEAR_BITS = 4
"""A host range that shares all but this many leading bits of the longer of the two
prefixes with an engine range blocks it (192.168.0.0/24 blocks 192.168.1.0/24)."""

# Interfaces an engine creates and owns: their addresses are the engine's networks.
_ENGINE_IFACE = re.compile(
    r"^(?:docker0|docker_gwbridge|br-[0-9a-f]{12}|cni\d*|cbr0|flannel[.\w-]*|cni-podman\d+|podman\d+"
    r"|veth-rd\d+|rd\d+|kube-bridge|kube-ipvs0|cali[0-9a-f]+|vxlan\.calico|weave|nerdctl\d+)$"
)
_LOOPBACK_IFACE = re.compile(r"^(?:lo\d*|Loopback Pseudo-Interface.*)$", re.IGNORECASE)
# Vantages inside an engine: everything they see is the engine's.
_ENGINE_VANTAGES = frozenset(
    {
        VantageKind.CONTAINER,
        VantageKind.POD,
        VantageKind.DOCKER_DESKTOP_VM,
        VantageKind.DOCKER_ENGINE,
        VantageKind.PODMAN_ENGINE,
    }
)


@dataclass(frozen=True, slots=True)
class Kept:
    """An engine range kept verbatim in one bundle.

    Args:
        network: the range.
        rule: where the range comes from (``knowledge/pools.json``).
        seen: what in the scan shows the engine using it (an evidence kind and the
            engine's network, interface or container name).
    """

    network: IPNetwork
    rule: str
    seen: str


@dataclass
class Parsed:
    """What a bundle's parsed evidence says, sorted by who uses each range.

    Args:
        facts: each evidence with its facts (``None`` where the parser refused it).
        engine: networks and addresses an engine evidently uses, each with where it
            was seen.
        host: networks and addresses seen outside the engines (interfaces, routes,
            gateways, DNS servers, neighbours, hosts entries, name answers).
        addresses: every address in the facts (engine, host or neither).
        networks: every network in the facts.
    """

    facts: list[tuple[Evidence, Facts | None]] = field(default_factory=list)
    engine: list[tuple[IPNetwork, str]] = field(default_factory=list)
    host: list[IPNetwork] = field(default_factory=list)
    addresses: set[IPAddress] = field(default_factory=set)
    networks: set[IPNetwork] = field(default_factory=set)
    engine_addresses: set[IPAddress] = field(default_factory=set)
    mentions: list[IPNetwork] = field(default_factory=list)


def _parsed(ev: Evidence) -> Facts | None:
    """The facts of ``ev``, or ``None`` when its parser refuses (or trips over) it."""
    try:
        return parse(ev.kind, ev.content(), source=ev.id)
    except Exception:  # untrusted input: a parser bug must not stop redaction
        return None


def _net(addr: IPAddress | None, plen: int | None = None) -> IPNetwork | None:
    if addr is None:
        return None
    return ipaddress.ip_network(f"{addr}/{addr.max_prefixlen if plen is None else plen}", strict=False)


def leaves(obj: object) -> Iterator[object]:
    """Every scalar inside a facts object (dataclasses, tuples, lists, mappings)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        for f in fields(obj):
            yield from leaves(getattr(obj, f.name))
    elif isinstance(obj, tuple | list):
        for item in obj:
            yield from leaves(item)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from leaves(k)
            yield from leaves(v)
    else:
        yield obj


def ip_value(leaf: object) -> IPAddress | IPNetwork | None:
    """``leaf`` as an address or network: an ``ipaddress`` value, or a short string that parses."""
    if isinstance(leaf, ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network | ipaddress.IPv6Network):
        return leaf
    if isinstance(leaf, str) and 2 <= len(leaf) <= 50 and (":" in leaf or "." in leaf):
        try:
            return ipaddress.ip_address(leaf.split("%")[0])
        except ValueError:
            try:
                return ipaddress.ip_network(leaf, strict=False)
            except ValueError:
                return None
    return None


def parsed_evidence(bundle: Bundle) -> Parsed:
    """Every evidence of ``bundle`` parsed, and its ranges sorted into engine and host."""
    kinds = {v.id: v.kind for v in bundle.vantages}
    out = Parsed()
    for ev in bundle.evidence:
        facts = _parsed(ev) if ev.data else None
        out.facts.append((ev, facts))
        inside = kinds.get(ev.vantage) in _ENGINE_VANTAGES
        if facts is not None:
            _sort(facts, ev.kind, inside, out)
        if not inside:  # every address its text names, parsed or not, stderr too
            for raw in (ev.data, ev.stderr):
                if raw:
                    out.mentions.extend(_mentioned(raw))
    _explain(out)
    return out


_TOKEN = re.compile(
    r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?:/\d{1,3})?(?![\w:])"
)


def _mentioned(raw: bytes | str) -> Iterator[IPNetwork]:
    """Each address (as a host network) or CIDR the text names, whatever its format."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace").replace("\x00", "")
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        try:
            yield ipaddress.ip_network(word, strict=False)
        except ValueError:
            continue


def _explain(out: Parsed) -> None:
    """Mentions outside the engines that are not an engine's own address or network go to ``host``.

    The parsers place what they understand (:func:`_sort`); this catches the rest: text no
    parser read (a truncated dump, an unknown kind), stderr, and fields the sort does not
    look at (a firewall rule's ``-s``/``-d``). Only an exact engine address (a container's,
    a gateway, a network's first and last) or an exact engine network explains a mention:
    an address merely inside an engine range may be the user's own (a home router on
    172.17.8.1), and when in doubt the range is not kept.
    """
    nets = {e for e, _s in out.engine}
    known = set(out.engine_addresses)
    for n in nets:
        known.update((n.network_address, n.broadcast_address))
    for n in out.mentions:
        if n in nets:
            continue
        if n.prefixlen == n.max_prefixlen and n.network_address in known:
            continue
        if n.network_address.is_loopback or n.network_address.is_unspecified:
            continue
        out.host.append(n)


def _sort(facts: Facts, kind: str, inside_engine: bool, out: Parsed) -> None:
    engine = out.engine
    host: list[IPNetwork] = []
    for leaf in leaves((replace(facts, settings={}), dict(facts.settings))):
        value = ip_value(leaf)
        if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
            out.addresses.add(value)
            if inside_engine:
                out.engine_addresses.add(value)
        elif value is not None:
            out.networks.add(value)
    for en in facts.networks:
        engine.extend((s, f"{kind} network {en.name}") for s in en.subnets)
        engine.extend((m, f"{kind} network {en.name}") for m in map(_net, en.gateways) if m)
        out.engine_addresses.update(g for g in en.gateways if g is not None)
        out.engine_addresses.update(mem.address for mem in en.members if mem.address is not None)
        for mem in en.members:
            if (m := _net(mem.address, mem.prefixlen)) is not None:
                engine.append((m, f"{kind} network {en.name}"))
    for c in facts.containers:
        for mem in c.networks:
            if (m := _net(mem.address, mem.prefixlen)) is not None:
                engine.append((m, f"{kind} container {c.name.lstrip('/')}"))
            if mem.address is not None:
                out.engine_addresses.add(mem.address)
    engine_ifaces = set()
    for i in facts.interfaces:
        nets = [n for a in i.addresses if (n := _net(a.address, a.prefixlen)) is not None]
        if inside_engine or _ENGINE_IFACE.match(i.name):
            engine_ifaces.add(i.name)
            engine.extend((n, f"{kind} interface {i.name}") for n in nets)
            out.engine_addresses.update(a.address for a in i.addresses if a.address is not None)
        elif not _LOOPBACK_IFACE.match(i.name) and i.type != "loopback":
            host.extend(nets)
            host.extend(n for n in map(_net, (*i.gateways, *i.dns_servers)) if n)

    # /proc/net/fib_trie's local addresses: the machine's own, on interfaces it does not name
    fib = facts.settings.get("fib_local_addresses")
    for entry in fib if isinstance(fib, list) else []:
        a = ip_value(entry.get("address")) if isinstance(entry, dict) else None
        if not isinstance(a, ipaddress.IPv4Address | ipaddress.IPv6Address) or a.is_loopback:
            continue
        plen = entry.get("prefixlen") if isinstance(entry, dict) else None
        n = ipaddress.ip_network(f"{a}/{plen if isinstance(plen, int) else a.max_prefixlen}", strict=False)
        out.networks.add(n)
        if inside_engine:
            engine.append((n, f"{kind} local address"))
        else:
            host.append(n)

    def engine_iface(name: str | None) -> bool:
        return name is not None and (name in engine_ifaces or _ENGINE_IFACE.match(name) is not None)

    for r in facts.routes:
        if inside_engine or engine_iface(r.interface):
            if r.destination.prefixlen:
                engine.append((r.destination, f"{kind} route on {r.interface or 'the engine'}"))
            out.engine_addresses.update(a for a in (r.gateway, r.source) if a is not None)
        elif r.interface is None or not _LOOPBACK_IFACE.match(r.interface):
            if r.destination.prefixlen:
                host.append(r.destination)
            host.extend(n for n in (_net(r.gateway), _net(r.source)) if n)
    if inside_engine:
        return
    host.extend(n for n in map(_net, facts.dns.servers) if n)
    host.extend(n for n in (_net(h.address) for h in facts.hosts) if n)
    host.extend(n for nb in facts.neighbours if not engine_iface(nb.interface) if (n := _net(nb.address)))
    host.extend(n for a in facts.answers for n in map(_net, a.addresses) if n)
    host.extend(n for h in facts.hops if (n := _net(h.address)))
    out.host.extend(host)


def _within(inner: IPNetwork, outer: IPNetwork) -> bool:
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _near(host: IPNetwork, k: IPNetwork) -> bool:
    """Whether a host range overlaps ``k`` or shares all but :data:`NEAR_BITS` of the shorter prefix."""
    if host.version != k.version:
        return False
    if host.prefixlen == host.max_prefixlen and host == k:
        return False  # the engine's own address (nameserver 10.255.255.254) seen from the host
    if host.overlaps(k):
        return host.prefixlen >= k.prefixlen  # wider ones: see _lands_inside
    shared = common_prefix(host.network_address, k.network_address)
    return shared >= max(host.prefixlen, k.prefixlen) - NEAR_BITS


def _lands_inside(scheme: Scheme, parsed: Parsed, k: IPNetwork) -> bool:
    """Whether some address or network of the scan outside ``k`` would be mapped into it."""
    for a in parsed.addresses:
        if a.version == k.version and a not in k and scheme.address(a) in k:
            return True
    for n in (*parsed.networks, *parsed.host, *(e for e, _ in parsed.engine)):
        if n.version != k.version or _within(n, k):
            continue
        img = scheme.network(n)
        if _within(k, n):
            if not _within(k, img):
                return True  # a wider range must still hold the kept one
        elif img.overlaps(k):
            return True
    return False


def kept_ranges(parsed: Parsed, scheme: Scheme, rules: Iterable[Rule] | None = None) -> tuple[Kept, ...]:
    """The engine ranges a bundle keeps verbatim (see the module docstring).

    Args:
        parsed: the bundle's evidence (:func:`parsed_evidence`).
        scheme: the map without kept ranges, under the key the bundle is redacted with.
        rules: the candidates; :func:`~netatlas.redact._scheme.engine_rules` when omitted.
    """
    out: list[Kept] = []
    for rule in engine_rules() if rules is None else rules:
        k = rule.network
        seen = next((s for e, s in parsed.engine if _within(e, k)), None)
        if seen is None and k.prefixlen == k.max_prefixlen and k.network_address in parsed.addresses:
            seen = "an engine address in the scan"
        if seen is None:
            continue
        if any(_near(h, k) for h in parsed.host) or _lands_inside(scheme, parsed, k):
            continue
        out.append(Kept(k, rule.why, seen))
    return tuple(out)


def bundle_scheme(bundle: Bundle, key: bytes, parsed: Parsed | None = None) -> tuple[Scheme, tuple[Kept, ...]]:
    """The scheme that redacts ``bundle`` under ``key``: the fixed map plus the ranges it keeps.

    ``netatlas redact``, ``scan --redact`` and ``netatlas push --redact`` all use it, so
    a range is kept (or not) the same way everywhere, and every address outside the
    kept ranges has the same image on every machine under one key.
    """
    base = Scheme(key)
    kept = kept_ranges(parsed if parsed is not None else parsed_evidence(bundle), base)
    return Scheme(key, kept=[k.network for k in kept]), kept


def describe(kept: Iterable[Kept]) -> list[dict[str, Any]]:
    """``meta.redaction.kept``: each kept range with the rule and the evidence behind it."""
    return [{"cidr": str(k.network), "rule": k.rule, "seen": k.seen} for k in kept]
