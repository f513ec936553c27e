"""Packet filters that were read decide: one authority over every dialect's evaluator.

A crossing (:class:`~netatlas.reach.filters.Crossing`) at a node whose ruleset netatlas
read is judged by that ruleset, before the engine semantics. The packet is made
concrete first (:class:`Packet`: source and destination address, protocol, port, the
node's in and out interface names, the node's own addresses); each dialect module
(:mod:`netatlas.reach.iptables`, :mod:`netatlas.reach.nftables`,
:mod:`netatlas.reach.windows_firewall`) evaluates its rulesets for it. A new dialect
is one module with an ``evaluate`` function, named in :data:`DIALECTS`.

Several rulesets on one node all see the packet (netfilter runs every table's base
chains: iptables' and nftables' alike), so the verdicts combine: a drop by any of
them drops it, else one that cannot be evaluated makes the answer unknown, else it is
accepted. A verdict quotes the rule that decided (chain, number, text, evidence id).

Docker bridge traffic is judged by a read ruleset only when that ruleset holds
Docker's rules (:func:`has_docker_rules`): a ``DOCKER`` or ``DOCKER-…`` chain, or
the nftables backend's ``docker-bridges`` table, of the packet's family. Without
them Docker's rules live where netatlas did not look (the other iptables backend,
a Docker Desktop engine whose VM shows a ruleset of its own), so an *accept* of
what was read says nothing and the engine semantics decide
(:mod:`netatlas.reach.engine`); a *drop* or an unknown rule still stands, since
every ruleset on the hook sees the packet.
"""

from __future__ import annotations

import importlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netatlas.model.atlas import FirewallRecord, Network, Node
from netatlas.model.facts import IPAddress
from netatlas.model.firewall import FirewallMatch
from netatlas.reach.filters import Crossing, Verdict

if TYPE_CHECKING:
    from netatlas.reach.world import _World

__all__ = [
    "DIALECTS",
    "Packet",
    "ReadRulesets",
    "has_docker_rules",
    "iface_matches",
    "in_ports",
    "in_prefixes",
    "packet_of",
]

DIALECTS: dict[str, str] = {
    "iptables": "netatlas.reach.iptables",
    "nftables": "netatlas.reach.nftables",
    "windows-firewall": "netatlas.reach.windows_firewall",
}
"""Ruleset dialect → the module whose ``evaluate(world, crossing, packet, records)`` judges it."""

Evaluate = Callable[["_World", Crossing, "Packet", list[FirewallRecord]], "Verdict | None"]


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection as a node's filter sees it (conntrack state NEW)."""

    src: IPAddress | None
    dst: IPAddress
    protocol: str
    """``tcp`` when a port is asked, else ``icmp`` (a ping)."""
    dport: int | None
    iif: str | None
    """The node's interface it arrives on (``None``: not known)."""
    oif: str | None
    """The node's interface it leaves by (``None`` at ``input``, or not known)."""
    local: frozenset[IPAddress]
    """The node's own addresses (addrtype ``LOCAL``)."""
    dnat: bool = False
    """Whether a NAT rule rewrote its destination on the way (conntrack state ``DNAT``)."""

    @property
    def family(self) -> int:
        return self.dst.version


def _iface_on(world: _World, node: Node, net: Network | None) -> str | None:
    if net is None:
        return None
    for n, iface, _a in world.attached.get(node.id, []):
        if n.id == net.id:
            return iface
    if net.engine.get("bridge") and any(a.node == node.id for a in net.attachments):
        return str(net.engine["bridge"])
    return None


def _source(world: _World, crossing: Crossing) -> IPAddress | None:
    """The source address: the sender's address on the network the packet arrived by."""
    if crossing.src is not None:
        return crossing.src
    src = world.nodes.get(crossing.src_node or "")
    if src is None:
        return None
    fam = crossing.dst.version
    for net, _i, addr in world.attached.get(src.id, []):
        if addr is not None and addr.version == fam and (crossing.in_net is None or net.id == crossing.in_net.id):
            return addr
    return None


def _local(world: _World, node: Node) -> frozenset[IPAddress]:
    """The node's own addresses (``addrtype LOCAL``), worked out once per node and atlas."""
    known = world.local_addresses.get(node.id)
    if known is not None:
        return known
    out: set[IPAddress] = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    for i in node.interfaces:
        out.update(a.address for a in i.addresses if a.address is not None)
    out.update(a for _n, _i, a in world.attached.get(node.id, []) if a is not None)
    known = world.local_addresses[node.id] = frozenset(out)
    return known


def packet_of(world: _World, crossing: Crossing) -> Packet:
    """The packet of ``crossing`` with the node's interface names filled in from the map."""
    node = crossing.node
    iif = crossing.in_iface or _iface_on(world, node, crossing.in_net)
    out_net = crossing.target_net if crossing.hook == "publish" else crossing.out_net
    oif = crossing.out_iface or (None if crossing.hook == "input" else _iface_on(world, node, out_net))
    return Packet(
        src=_source(world, crossing),
        dst=crossing.dst,
        protocol="tcp" if crossing.port is not None else "icmp",
        dport=crossing.port,
        iif=iif,
        oif=oif,
        local=_local(world, node),
    )


# ------------------------------------------------------------------ shared matchers


def iface_matches(pattern: str, name: str | None) -> bool | None:
    """``br-+`` (iptables) and ``br-*`` (nft) match any name starting ``br-``; ``None``: name unknown."""
    if pattern in ("+", "*"):
        return True
    if name is None:
        return None
    if pattern.endswith(("+", "*")):
        return name.startswith(pattern[:-1])
    return name == pattern


def in_prefixes(values: tuple[str, ...], address: IPAddress | None) -> bool | None:
    """Whether ``address`` is in any of the prefixes or ranges; ``None`` when it or a value cannot be read."""
    if address is None:
        return None
    for v in values:
        try:
            if "-" in v and "/" not in v:
                lo, hi = (ipaddress.ip_address(x.strip()) for x in v.split("-", 1))
                if lo.version == address.version and lo <= address <= hi:  # type: ignore[operator]
                    return True
                continue
            net = ipaddress.ip_network(v, strict=False)
        except ValueError:
            return None
        if net.version == address.version and address in net:
            return True
    return False


def in_ports(values: tuple[str, ...], port: int | None) -> bool | None:
    """Whether ``port`` is one of the ports or ranges (``a:b``, ``a-b``); ``None`` when a value is no port."""
    if port is None:
        return False
    for v in values:
        lo, sep, hi = v.replace("-", ":").partition(":")
        try:
            if port == int(lo) if not sep else int(lo or 0) <= port <= int(hi or 65535):
                return True
        except ValueError:
            return None
    return False


def common_match(m: FirewallMatch, p: Packet) -> bool | None:
    """The match kinds every dialect shares; ``None``: not understood, or the packet's value is unknown."""
    if m.kind == "comment":
        return True
    if m.kind == "in_interface":
        hit = _any(iface_matches(v, p.iif) for v in m.values)
    elif m.kind == "out_interface":
        hit = _any(iface_matches(v, p.oif) for v in m.values)
    elif m.kind == "source":
        hit = in_prefixes(m.values, p.src)
    elif m.kind == "destination":
        hit = in_prefixes(m.values, p.dst)
    elif m.kind == "protocol":
        hit = _protocol(m.values, p)
    elif m.kind in ("dport", "port"):
        hit = in_ports(m.values, p.dport) if p.protocol in ("tcp", "udp") else False
    elif m.kind == "sport":
        return None if p.protocol in ("tcp", "udp") else False  # the client's port is not known
    elif m.kind == "ctstate":
        states = {v.upper() for v in m.values}
        hit = "NEW" in states or (p.dnat and "DNAT" in states)
    elif m.kind == "ctstatus":
        hit = p.dnat and "DNAT" in {v.upper() for v in m.values}
    elif m.kind in ("dst_type", "src_type"):
        addr = p.dst if m.kind == "dst_type" else p.src
        hit = _any(_addrtype(v, addr, p) for v in m.values)
    else:
        return None
    return None if hit is None else hit != m.negated


_PROTO_NUM = {"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"}


def _protocol(values: tuple[str, ...], p: Packet) -> bool | None:
    for v in values:
        name = _PROTO_NUM.get(v.strip(), v.strip().lower())
        if name in ("all", "any", "0"):
            return True
        if name == p.protocol or (p.protocol == "icmp" and name in ("icmpv4", "ipv6-icmp", "icmpv6")):
            return True
    return False


def _addrtype(kind: str, addr: IPAddress | None, p: Packet) -> bool | None:
    if addr is None:
        return None
    k = kind.upper()
    if k == "LOCAL":
        return addr in p.local or addr.is_loopback
    if k == "MULTICAST":
        return addr.is_multicast
    if k == "BROADCAST":
        return addr == ipaddress.ip_address("255.255.255.255") if addr.version == 4 else False
    if k == "UNICAST":
        return not addr.is_multicast and addr != ipaddress.ip_address("255.255.255.255")
    return None


def _any(results: object) -> bool | None:
    unknown = False
    for r in results:  # type: ignore[attr-defined]
        if r is True:
            return True
        if r is None:
            unknown = True
    return None if unknown else False


# ------------------------------------------------------------------ the authority


def _dialect(name: str) -> Evaluate | None:
    module = DIALECTS.get(name)
    if module is None:
        return None
    found: Evaluate = importlib.import_module(module).evaluate
    return found


def has_docker_rules(records: list[FirewallRecord], family: int) -> bool:
    """Whether the rulesets of ``family`` hold Docker's own rules (a ``DOCKER…`` chain, or ``docker-bridges``)."""
    fams = {"inet", "ip" if family == 4 else "ip6"}
    for rec in records:
        for t in rec.ruleset.tables:
            if t.family not in fams:
                continue
            if t.name == "docker-bridges" or any(c.name == "DOCKER" or c.name.startswith("DOCKER-") for c in t.chains):
                return True
    return False


def _docker_traffic(crossing: Crossing) -> bool:
    """Whether the crossing carries traffic into, out of or across a Docker bridge network."""
    return any(
        net is not None and net.engine.get("engine") == "docker" and net.engine.get("driver") in (None, "bridge")
        for net in (crossing.in_net, crossing.out_net, crossing.target_net)
    )


class ReadRulesets:
    """The rulesets read on the crossing's node decide, every dialect in turn, combined."""

    def judge(self, world: _World, crossing: Crossing) -> Verdict | None:
        records = world.firewalls.get(crossing.node.id, [])
        if not records:
            return None
        packet = packet_of(world, crossing)
        verdict = self._combined(world, crossing, packet, records)
        if (
            verdict is not None
            and verdict.decision == "accept"
            and _docker_traffic(crossing)
            and not has_docker_rules(records, packet.family)
        ):
            return None  # Docker's rules were not among those read: the engine semantics decide
        return verdict

    def _combined(
        self, world: _World, crossing: Crossing, packet: Packet, records: list[FirewallRecord]
    ) -> Verdict | None:
        by_dialect: dict[str, list[FirewallRecord]] = {}
        for r in records:
            by_dialect.setdefault(r.ruleset.dialect, []).append(r)
        verdicts: list[Verdict] = []
        for dialect, recs in by_dialect.items():
            evaluate = _dialect(dialect)
            if evaluate is None:
                verdicts.append(Verdict("unknown", f"a {dialect} ruleset, which netatlas cannot evaluate", dialect))
                continue
            v = evaluate(world, crossing, packet, recs)
            if v is not None:
                verdicts.append(v)
        if not verdicts:
            return None
        for decision in ("drop", "unknown"):
            hit = next((v for v in verdicts if v.decision == decision), None)
            if hit is not None:
                return hit
        return verdicts[0]
