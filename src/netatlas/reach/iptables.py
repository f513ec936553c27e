"""iptables rulesets (``iptables-save``, ``iptables -S``, ``iptables -L``) evaluated for one packet.

The tables a packet meets, in netfilter's order (priorities raw −300, mangle −150, nat
−100, filter 0, security 50), per hook of :mod:`netatlas.reach.filters`:

* ``input``: PREROUTING (raw, mangle, nat), then INPUT (mangle, filter, security);
* ``output``: OUTPUT alone (raw, mangle, nat, filter, security), the node's own packet;
* ``forward`` and ``bridge`` (a bridged frame goes through iptables when
  ``br_netfilter`` is loaded, as Docker loads it): PREROUTING, then FORWARD;
* ``publish``: PREROUTING, whose nat ``DNAT`` sends the packet on through FORWARD to
  the container (conntrack state ``DNAT``); without a DNAT (Docker's ``-A DOCKER -i
  br -j RETURN`` for bridge traffic) docker-proxy takes it through INPUT.

Within a chain, rules are tried in order: ``ACCEPT`` ends the table's traversal (the
next table still sees the packet), ``DROP``/``REJECT`` end it for good, ``-j CHAIN``
enters a chain and comes back on ``RETURN`` or at its end, ``-g`` does not come back,
a built-in chain's end is its policy. Targets that only log or mark go on. A rule
whose matches netatlas cannot evaluate (``-m limit``, ``-m recent``, a mark) makes the
answer *unknown at that rule*, unless its target cannot change the packet's fate (a
``LOG``, or a jump into chains that only log and return). A NAT rule that sends a
forwarded or local packet somewhere else than the walk goes is also unknown.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from netatlas.model.atlas import FirewallRecord
from netatlas.model.facts import IPAddress
from netatlas.model.firewall import FirewallChain, FirewallMatch, FirewallRule, FirewallTable
from netatlas.reach.filters import Crossing, Verdict
from netatlas.reach.rulesets import Packet, common_match

if TYPE_CHECKING:
    from netatlas.reach.world import _World

__all__ = ["evaluate"]

_ORDER = {
    "PREROUTING": ("raw", "mangle", "nat"),
    "INPUT": ("mangle", "filter", "security"),
    "FORWARD": ("mangle", "filter", "security"),
    "OUTPUT": ("raw", "mangle", "nat", "filter", "security"),
}
_QUIET = frozenset(
    {"LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "CT", "TRACE", "NOTRACK", "TCPMSS", "CHECKSUM", "TOS", "DSCP"}
)
"""Targets that never decide a packet's fate: the next rule sees it."""
_MAX_DEPTH = 64

Outcome = Literal["accept", "drop", "unknown", "return", "fall"]


@dataclass(frozen=True)
class _Result:
    decision: Outcome
    table: str = ""
    chain: str = ""
    rule: FirewallRule | None = None
    dnat: tuple[IPAddress, int | None] | None = None
    why: str = ""


@dataclass(frozen=True)
class _Set:
    """One family's tables of one ruleset."""

    record: FirewallRecord
    tables: dict[str, FirewallTable]

    def chain(self, table: str, name: str) -> FirewallChain | None:
        t = self.tables.get(table)
        return next((c for c in t.chains if c.name == name), None) if t is not None else None


def _matches(rule: FirewallRule, p: Packet) -> tuple[bool | None, FirewallMatch | None]:
    """(whether the rule matches, the first match netatlas could not evaluate)."""
    unknown: FirewallMatch | None = None
    for m in rule.matches:
        hit = common_match(m, p)
        if hit is False:
            return False, None
        if hit is None and unknown is None:
            unknown = m
    return (None, unknown) if unknown is not None else (True, None)


def _decides(rs: _Set, table: str, name: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a chain could decide anything (not just log and return)."""
    chain = rs.chain(table, name)
    if chain is None or name in seen:
        return chain is None
    for r in chain.rules:
        if r.action in ("JUMP", "GOTO") and r.target is not None:
            if _decides(rs, table, r.target, seen | {name}):
                return True
        elif r.action not in _QUIET and r.action not in (None, "RETURN"):
            return True
    return False


def _dnat_to(rule: FirewallRule) -> tuple[IPAddress, int | None] | None:
    args = list(rule.target_args)
    for i, a in enumerate(args):
        text = args[i + 1] if a == "--to-destination" and i + 1 < len(args) else a[3:] if a.startswith("to:") else None
        if text is None:
            continue
        host, _, port = text.rpartition(":") if text.count(":") == 1 or text.startswith("[") else (text, "", "")
        host = host.strip("[]")
        try:
            return ipaddress.ip_address(host), int(port.split("-")[0]) if port else None
        except ValueError:
            return None
    return None


def _run(rs: _Set, table: str, name: str, p: Packet, depth: int = 0) -> _Result:
    chain = rs.chain(table, name)
    if chain is None:
        return _Result("unknown", table, name, why=f"chain {name} is not in the {table} table read")
    if depth > _MAX_DEPTH:
        return _Result("unknown", table, name, why="jumps nest too deep (a loop?)")
    for rule in chain.rules:
        hit, unknown = _matches(rule, p)
        if hit is False:
            continue
        action = rule.action
        if action in _QUIET or action is None:
            continue
        if hit is None:
            if action in ("JUMP", "GOTO") and rule.target is not None and not _decides(rs, table, rule.target):
                continue
            what = unknown.text if unknown is not None and unknown.text else "a match"
            return _Result("unknown", table, name, rule, why=f"netatlas does not evaluate {what!r}")
        if action == "ACCEPT":
            return _Result("accept", table, name, rule)
        if action in ("DROP", "REJECT"):
            return _Result("drop", table, name, rule)
        if action == "RETURN":
            return _Result("return", table, name, rule)
        if action in ("JUMP", "GOTO") and rule.target is not None:
            sub = _run(rs, table, rule.target, p, depth + 1)
            if sub.decision in ("accept", "drop", "unknown"):
                return sub
            if action == "GOTO":
                return _Result("return", table, name, rule)
            continue
        if action == "DNAT" and table == "nat":
            to = _dnat_to(rule)
            if to is None:
                return _Result("unknown", table, name, rule, why="its DNAT destination is not in the evidence")
            return _Result("accept", table, name, rule, dnat=to)
        if action in ("SNAT", "MASQUERADE"):
            continue
        return _Result("unknown", table, name, rule, why=f"netatlas does not model the {action} target")
    return _Result("fall", table, name)


def _hook(rs: _Set, builtin: str, p: Packet) -> _Result:
    """Every table's built-in chain of one hook, in netfilter's order."""
    dnat: _Result | None = None
    for table in _ORDER[builtin]:
        chain = rs.chain(table, builtin)
        if chain is None:
            continue
        r = _run(rs, table, builtin, p)
        if r.decision in ("return", "fall"):
            policy = chain.policy or "ACCEPT"
            if policy == "DROP":
                return _Result("drop", table, builtin, why=f"the {builtin} chain's policy is DROP")
            r = _Result("accept", table, builtin)
        if r.decision in ("drop", "unknown"):
            return r
        if r.dnat is not None:
            dnat = r
    return dnat or _Result("accept", "", builtin)


def _sets(records: list[FirewallRecord], family: int) -> list[_Set]:
    want = "ip" if family == 4 else "ip6"
    out = []
    for rec in records:
        tables = {t.name: t for t in rec.ruleset.tables if t.family == want}
        if tables:
            out.append(_Set(rec, tables))
    return out


def _judge_one(world: _World, c: Crossing, p: Packet, rs: _Set) -> _Result:
    if c.hook == "output":
        out = _hook(rs, "OUTPUT", p)
        if out.dnat is not None and out.dnat[0] != p.dst:
            why = f"it rewrites the destination to {out.dnat[0]}, a path netatlas did not follow"
            return replace(out, decision="unknown", why=why)
        return out
    pre = _hook(rs, "PREROUTING", p)
    if pre.decision != "accept":
        return pre
    if c.hook == "publish":
        to = pre.dnat
        if to is None and "nat" not in rs.tables and c.forward is not None and c.forward.connect_address is not None:
            to = (c.forward.connect_address, c.forward.connect_port)  # the nat table was not read: the walk's forward
        if to is None:
            return _hook(rs, "INPUT", p)  # no DNAT: docker-proxy on the node takes it
        addr, port = to
        net = world.network_of(addr)
        oif = next((i for n, i, _a in world.attached.get(c.node.id, []) if net is not None and n.id == net.id), None)
        q = replace(p, dst=addr, dport=port if port is not None else p.dport, oif=oif, dnat=True)
        return _hook(rs, "FORWARD", q)
    if pre.dnat is not None and pre.dnat[0] != p.dst:
        return replace(
            pre, decision="unknown", why=f"it rewrites the destination to {pre.dnat[0]}, a path netatlas did not follow"
        )
    if c.hook == "input":
        return _hook(rs, "INPUT", p)
    if c.hook == "bridge":
        p = replace(p, oif=p.oif or p.iif)
    return _hook(rs, "FORWARD", p)


def _quote(r: _Result, rec: FirewallRecord) -> str:
    if r.rule is None:
        return f"{r.why or 'the ' + r.chain + ' chain policy'} ({r.table} table)" if r.table else r.why
    where = f"{r.table} {r.chain} rule {r.rule.number}"
    return f"{where}: {r.rule.text}" + (f" ({r.why})" if r.why else "")


def _fixes(c: Crossing, p: Packet, r: _Result) -> tuple[str, ...]:
    port = f" -p tcp --dport {p.dport}" if p.dport is not None else ""
    src = f" -s {p.src}" if p.src is not None else ""
    chain = r.chain
    out: list[str] = []
    if r.rule is not None and chain == "DOCKER-USER":
        out.append(f"remove the DOCKER-USER rule that drops it: iptables -D DOCKER-USER {r.rule.number}")
    if chain.startswith("ufw-"):
        if c.hook == "input" or (c.hook == "publish" and not p.dnat):
            allow = f"ufw allow from {p.src} to any port {p.dport} proto tcp" if p.src else f"ufw allow {p.dport}/tcp"
            out.append(allow if p.dport is not None else "ufw allow proto icmp")
        else:
            out.append(f"ufw route allow proto tcp to {p.dst} port {p.dport}" if p.dport else "ufw route allow")
    if c.hook == "output":
        out.append(f"iptables -I OUTPUT -d {p.dst}{port} -j ACCEPT")
    elif c.hook in ("forward", "bridge") or (c.hook == "publish" and p.dnat):
        out.append(f"iptables -I DOCKER-USER{src} -d {p.dst}{port} -j ACCEPT")
    else:
        out.append(f"iptables -I INPUT{src} -d {p.dst}{port} -j ACCEPT")
    return tuple(dict.fromkeys(out))


def evaluate(world: _World, crossing: Crossing, packet: Packet, records: list[FirewallRecord]) -> Verdict | None:
    """The verdict of the node's iptables rulesets for ``packet``; ``None`` when none is of its family."""
    sets = _sets(records, packet.family)
    if not sets:
        return None
    results = [(s, _judge_one(world, crossing, packet, s)) for s in sets]
    for decision in ("drop", "unknown"):
        for s, r in results:
            if r.decision != decision:
                continue
            auth = f"the iptables ruleset read on {crossing.node.name}" + (
                f" ({s.record.ruleset.backend})" if s.record.ruleset.backend else ""
            )
            if decision == "unknown":
                return Verdict("unknown", _quote(r, s.record), auth, s.record.evidence)
            q = replace(packet, dnat=packet.dnat or (crossing.hook == "publish" and r.chain not in ("INPUT",)))
            return Verdict("drop", _quote(r, s.record), auth, s.record.evidence, _fixes(crossing, q, r))
    s, r = results[0]
    rule = _quote(r, s.record) if r.rule is not None else f"accepted by the {r.chain or 'filter'} chains"
    return Verdict("accept", rule, f"the iptables ruleset read on {crossing.node.name}", s.record.evidence)
