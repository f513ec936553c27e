"""Windows Firewall's inbound rules evaluated for one packet.

Windows Firewall does not go rule by rule: a matching *Block* rule wins over any
*Allow* rule, a matching Allow rule lets the packet in, and with none the profile's
default inbound action decides (Block out of the box). A profile that is off does not
filter. Which profile applies is the network's category (Domain, Private, Public),
which the evidence does not give per interface, so every enabled profile is tried:
when they agree that is the answer, else it is unknown and says why. Only inbound
connections are judged (``input`` and ``publish`` crossings: a portproxy, a listener);
traffic Windows routes or NATs for its VMs meets no inbound rule.

A rule limited to one program (``-Program``), or with a port or address keyword
netatlas does not resolve (``RPC``, ``LocalSubnet``), makes the answer unknown when it
is the one that would decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netatlas.model.atlas import FirewallRecord
from netatlas.model.firewall import FirewallChain, FirewallRule
from netatlas.reach.filters import Crossing, Verdict
from netatlas.reach.rulesets import Packet, common_match

if TYPE_CHECKING:
    from netatlas.reach.world import _World

__all__ = ["evaluate"]


def _hit(rule: FirewallRule, p: Packet, profile: str) -> bool | None:
    unknown = False
    for m in rule.matches:
        if m.kind == "profile":
            if not ({"Any", profile} & set(m.values)):
                return False
            continue
        h = common_match(m, p)
        if h is False:
            return False
        unknown = unknown or h is None
    return None if unknown else True


def _first(rules: list[FirewallRule], p: Packet, profile: str) -> tuple[bool | None, FirewallRule | None]:
    maybe: FirewallRule | None = None
    for r in rules:
        h = _hit(r, p, profile)
        if h is True:
            return True, r
        if h is None and maybe is None:
            maybe = r
    return (None, maybe) if maybe is not None else (False, None)


def _profile(chain: FirewallChain, rules: list[FirewallRule], p: Packet) -> tuple[str, str, FirewallRule | None]:
    if chain.type == "profile-off":
        return "accept", f"the {chain.name} profile is off", None
    blocks = [r for r in rules if r.action == "Block"]
    allows = [r for r in rules if r.action == "Allow"]
    hit, rule = _first(blocks, p, chain.name)
    if hit is True:
        return "drop", f"Block rule {rule.text if rule else ''}", rule
    if hit is None:
        return "unknown", f"Block rule {rule.text if rule else ''} may match (netatlas cannot tell)", rule
    hit, rule = _first(allows, p, chain.name)
    if hit is True:
        return "accept", f"Allow rule {rule.text if rule else ''}", rule
    if hit is None:
        return "unknown", f"Allow rule {rule.text if rule else ''} may match (netatlas cannot tell)", rule
    policy = chain.policy or "Block"
    what = "no inbound rule allows it"
    return ("drop" if policy == "Block" else "accept"), f"{what}; the {chain.name} profile's default is {policy}", None


def evaluate(world: _World, crossing: Crossing, packet: Packet, records: list[FirewallRecord]) -> Verdict | None:
    """The verdict of Windows Firewall for an inbound ``packet``; ``None`` for a crossing it does not judge."""
    if crossing.hook not in ("input", "publish"):
        return None
    rec = records[0]
    chains = [c for t in rec.ruleset.tables for c in t.chains]
    rules = [r for c in chains if c.name == "Rules" for r in c.rules]
    profiles = [c for c in chains if c.type in ("profile", "profile-off")]
    if not profiles:
        return None
    results = [(c.name, *_profile(c, rules, packet)) for c in profiles]
    auth = f"Windows Firewall read on {crossing.node.name} (Get-NetFirewallProfile, Get-NetFirewallRule)"
    decisions = {d for _n, d, _w, _r in results}
    if len(decisions) > 1:
        per = "; ".join(f"{n}: {d} ({w})" for n, d, w, _r in results)
        return Verdict(
            "unknown", f"the answer depends on the network's profile, which was not read — {per}", auth, rec.evidence
        )
    decision = decisions.pop()
    _name, _d, why, rule = results[0]
    text = why if len(results) == 1 else f"{why} (same in every profile: {', '.join(n for n, *_ in results)})"
    if decision != "drop":
        return Verdict(decision, text, auth, rec.evidence)  # type: ignore[arg-type]
    port = packet.dport
    fixes = []
    if rule is not None:
        fixes.append(f'Disable-NetFirewallRule -DisplayName "{rule.comment}"   # the Block rule that stops it')
    fixes.append(
        f'New-NetFirewallRule -DisplayName "netatlas: allow TCP {port}" -Direction Inbound -Action Allow '
        f"-Protocol TCP -LocalPort {port}"
        if port is not None
        else 'New-NetFirewallRule -DisplayName "netatlas: allow ping" -Direction Inbound -Action Allow -Protocol ICMPv4'
    )
    return Verdict("drop", text, auth, rec.evidence, tuple(fixes))
