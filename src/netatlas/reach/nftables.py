"""nftables rulesets (``nft -j list ruleset``) evaluated for one packet.

Every base chain of a hook sees the packet, lowest priority first, across all tables of
its family (``ip`` or ``ip6``, and ``inet`` for both): ``accept`` ends one base chain
and the next still sees the packet, ``drop``/``reject`` end it for good, a base
chain's end (or ``return`` in it) is its policy. ``jump`` comes back, ``goto`` does
not. The hooks per crossing (see :mod:`netatlas.reach.filters`): ``prerouting`` then
``input`` or ``forward``; a published port's ``dnat`` in a prerouting nat chain sends
it through ``forward`` (``ct status dnat``), else through ``input``; the node's own
packet (``output``) meets the ``output`` hook alone.

Named sets are looked up in the ruleset (``ip saddr @allowed``). Expressions netatlas
does not read (``xt`` matches iptables-nft wrote, verdict maps, marks, limits) make the
answer unknown at that rule unless the rule cannot decide. Where iptables rules were
also read on the node, the tables iptables-nft keeps (``ip filter``, ``ip nat`` …) are
left to :mod:`netatlas.reach.iptables`, which reads them with their options.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from netatlas.model.atlas import FirewallRecord
from netatlas.model.facts import IPAddress
from netatlas.model.firewall import FirewallChain, FirewallMatch, FirewallRule, FirewallTable
from netatlas.reach.filters import Crossing, Verdict
from netatlas.reach.rulesets import Packet, common_match, in_prefixes

if TYPE_CHECKING:
    from netatlas.reach.world import _World

__all__ = ["evaluate"]

_IPTABLES_NFT = frozenset({"filter", "nat", "raw", "mangle", "security"})
_MAX_DEPTH = 64


@dataclass(frozen=True)
class _Result:
    decision: str  # accept, drop, unknown, return, fall
    table: FirewallTable | None = None
    chain: str = ""
    rule: FirewallRule | None = None
    dnat: tuple[IPAddress, int | None] | None = None
    why: str = ""


def _set_match(m: FirewallMatch, p: Packet, rec: FirewallRecord, table: FirewallTable) -> bool | None:
    found = next((s for s in rec.ruleset.sets if s.name == m.values[0] and s.table in (None, table.name)), None)
    if found is None:
        return None
    hit = in_prefixes(found.elements, p.src if m.kind == "set_source" else p.dst)
    return None if hit is None else hit != m.negated


def _matches(rule: FirewallRule, p: Packet, rec: FirewallRecord, table: FirewallTable) -> tuple[bool | None, str]:
    unknown = ""
    for m in rule.matches:
        if m.kind in ("set_source", "set_destination"):
            hit = _set_match(m, p, rec, table)
        elif m.kind == "nfproto":
            hit = any(v == f"ipv{p.family}" for v in m.values) != m.negated
        else:
            hit = common_match(m, p)
        if hit is False:
            return False, ""
        if hit is None and not unknown:
            unknown = m.text or m.kind
    return (None, unknown) if unknown else (True, "")


def _chain(table: FirewallTable, name: str) -> FirewallChain | None:
    return next((c for c in table.chains if c.name == name), None)


def _dnat(rule: FirewallRule) -> tuple[IPAddress, int | None] | None:
    addr: IPAddress | None = None
    port: int | None = None
    for a in rule.target_args:
        key, _, val = a.partition(" ")
        try:
            if key == "addr":
                addr = ipaddress.ip_address(val)
            elif key == "port":
                port = int(val)
        except ValueError:
            return None
    return (addr, port) if addr is not None else None


def _run(rec: FirewallRecord, table: FirewallTable, name: str, p: Packet, depth: int = 0) -> _Result:
    chain = _chain(table, name)
    if chain is None or depth > _MAX_DEPTH:
        return _Result("unknown", table, name, why=f"chain {name} is not in the ruleset, or jumps nest too deep")
    for rule in chain.rules:
        hit, unknown = _matches(rule, p, rec, table)
        if hit is False or rule.action is None or rule.action in ("LOG", "MARK", "CONNMARK", "MASQUERADE", "SNAT"):
            continue
        if hit is None:
            return _Result("unknown", table, name, rule, why=f"netatlas does not evaluate {unknown!r}")
        if rule.action == "ACCEPT":
            return _Result("accept", table, name, rule)
        if rule.action in ("DROP", "REJECT"):
            return _Result("drop", table, name, rule)
        if rule.action == "RETURN":
            return _Result("return", table, name, rule)
        if rule.action in ("JUMP", "GOTO") and rule.target:
            sub = _run(rec, table, rule.target, p, depth + 1)
            if sub.decision in ("accept", "drop", "unknown"):
                return sub
            if rule.action == "GOTO":
                return _Result("return", table, name, rule)
            continue
        if rule.action == "DNAT":
            to = _dnat(rule)
            if to is None:
                return _Result("unknown", table, name, rule, why="its dnat destination is not in the evidence")
            return _Result("accept", table, name, rule, dnat=to)
        return _Result("unknown", table, name, rule, why=f"netatlas does not model {rule.action}")
    return _Result("fall", table, name)


def _hook(recs: list[tuple[FirewallRecord, FirewallTable]], hook: str, p: Packet) -> _Result:
    base = [
        (c.priority or 0, rec, t, c)
        for rec, t in recs
        for c in t.chains
        if c.hook == hook and (c.type != "nat" or hook == "prerouting")
    ]
    dnat: _Result | None = None
    for _prio, rec, table, chain in sorted(base, key=lambda x: x[0]):
        r = _run(rec, table, chain.name, p)
        if r.decision in ("return", "fall"):
            if (chain.policy or "ACCEPT") == "DROP":
                return _Result("drop", table, chain.name, why=f"base chain {chain.name}'s policy is drop")
            continue
        if r.decision in ("drop", "unknown"):
            return r
        if r.dnat is not None:
            dnat = r
    return dnat or _Result("accept")


def _tables(
    records: list[FirewallRecord], family: int, skip_iptables: bool
) -> list[tuple[FirewallRecord, FirewallTable]]:
    fams = {"inet", "ip" if family == 4 else "ip6"}
    return [
        (rec, t)
        for rec in records
        for t in rec.ruleset.tables
        if t.family in fams and not (skip_iptables and t.family != "inet" and t.name in _IPTABLES_NFT)
    ]


def _fixes(c: Crossing, p: Packet, r: _Result) -> tuple[str, ...]:
    tname = r.table.name if r.table else "TABLE"
    fam = r.table.family if r.table else "inet"
    port = f" tcp dport {p.dport}" if p.dport is not None else ""
    out = []
    if tname == "firewalld":
        if c.hook in ("input", "publish"):
            out.append(f"firewall-cmd --add-port={p.dport}/tcp" if p.dport else "firewall-cmd --add-protocol=icmp")
            out.append("firewall-cmd --runtime-to-permanent   # keep it")
        else:
            out.append("firewall-cmd --policy=<policy> --add-port=" + (f"{p.dport}/tcp" if p.dport else "…"))
    out.append(f"nft insert rule {fam} {tname} {r.chain} ip daddr {p.dst}{port} accept")
    return tuple(out)


def evaluate(world: _World, crossing: Crossing, packet: Packet, records: list[FirewallRecord]) -> Verdict | None:
    """The verdict of the node's nftables rulesets for ``packet``; ``None`` when none applies."""
    iptables_read = any(r.ruleset.dialect == "iptables" for r in world.firewalls.get(crossing.node.id, []))
    recs = _tables(records, packet.family, iptables_read)
    if not recs:
        return None
    p = packet
    pre = _hook(recs, "prerouting", p) if crossing.hook != "output" else _Result("accept")
    if crossing.hook == "output":
        r = _hook(recs, "output", p)
    elif pre.decision == "accept" and crossing.hook == "publish" and pre.dnat is not None:
        addr, port = pre.dnat
        net = world.network_of(addr)
        oif = next(
            (i for n, i, _a in world.attached.get(crossing.node.id, []) if net is not None and n.id == net.id), None
        )
        p = replace(p, dst=addr, dport=port or p.dport, oif=oif, dnat=True)
        r = _hook(recs, "forward", p)
    elif pre.decision == "accept" and pre.dnat is not None and pre.dnat[0] != p.dst:
        r = replace(pre, decision="unknown", why=f"it rewrites the destination to {pre.dnat[0]}, not followed")
    elif pre.decision != "accept":
        r = pre
    elif crossing.hook in ("input", "publish"):
        r = _hook(recs, "input", p)
    else:
        r = _hook(recs, "forward", replace(p, oif=p.oif or (p.iif if crossing.hook == "bridge" else None)))
    auth = f"the nftables ruleset read on {crossing.node.name}"
    evidence = recs[0][0].evidence
    where = f"{r.table.family} {r.table.name} " if r.table else ""
    text = f"{where}{r.chain} rule {r.rule.number}: {r.rule.text}" if r.rule else f"{where}{r.why}"
    if r.rule is not None and r.why:
        text += f" ({r.why})"
    if r.decision == "drop":
        return Verdict("drop", text, auth, evidence, _fixes(crossing, p, r))
    if r.decision == "unknown":
        return Verdict("unknown", text, auth, evidence)
    return Verdict("accept", text if r.rule else "accepted by every base chain", auth, evidence)
