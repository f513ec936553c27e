"""A packet filter's ruleset as the evidence has it: one shape for every dialect.

iptables (``iptables-save``, ``iptables -S``, ``iptables -L -n -v``), nftables
(``nft -j list ruleset``) and Windows Firewall (PowerShell's ``Get-NetFirewall*``) all
come down to tables of chains of rules, each rule a list of matches and an action. The
shape keeps what a packet's fate depends on, and each rule's text as the evidence
wrote it, so an answer can quote the rule itself. Evaluating a ruleset is
:mod:`netatlas.reach` 's job (one module per dialect); this module only holds values.

Match kinds the evaluators understand (``values`` as written, ``negated`` for ``!``):

* ``in_interface``, ``out_interface``: names, ``+`` (iptables) or ``*`` (nft) as a
  trailing wildcard;
* ``source``, ``destination``: prefixes (``10.0.0.0/8``), ranges (``a-b``);
* ``protocol``: ``tcp``, ``udp``, ``icmp``, ``all`` or a number;
* ``dport``, ``sport``: ports and ranges (``8000:8080`` or ``8000-8080``);
* ``ctstate``: ``NEW``, ``ESTABLISHED`` …;
* ``dst_type``, ``src_type``: addrtype's ``LOCAL``, ``MULTICAST`` …;
* ``set_source``, ``set_destination``: membership of a named set (ipset, nft set);
* ``comment``: never decides, kept for people;
* ``profile``: a Windows rule's profiles (``Domain``, ``Private``, ``Public``, ``Any``).

Any other match is kept with ``kind="other"`` and its text, so an evaluator can say it
does not understand it instead of skipping it.

>>> r = FirewallRule(1, "-A INPUT -p tcp --dport 22 -j ACCEPT", "ACCEPT")
>>> r.to_dict()["action"]
'ACCEPT'
"""

from __future__ import annotations

from dataclasses import dataclass

from netatlas.model._serde import _Model

__all__ = ["FirewallChain", "FirewallMatch", "FirewallRule", "FirewallSet", "FirewallTable", "Ruleset"]


@dataclass(frozen=True, slots=True)
class FirewallMatch(_Model):
    """One condition of a rule (see the module docstring for the kinds)."""

    kind: str
    values: tuple[str, ...] = ()
    negated: bool = False
    text: str | None = None
    """The condition as written (``-m multiport --dports 80,443``), for quoting."""


@dataclass(frozen=True, slots=True)
class FirewallRule(_Model):
    """One rule of a chain.

    Args:
        number: its position in the chain, from 1 (as ``iptables -L --line-numbers``).
        text: the rule as the evidence wrote it.
        action: ``ACCEPT``, ``DROP``, ``REJECT``, ``RETURN``, ``JUMP``, ``GOTO``, a
            target's name (``DNAT``, ``LOG``, ``MASQUERADE`` …), ``Allow``/``Block``
            (Windows), or ``None`` (a rule that only counts).
        matches: its conditions, all of which must hold.
        target: the chain a ``JUMP``/``GOTO`` goes to.
        target_args: the target's options as written (``--to-destination 10.0.0.2:80``).
        line: its line in the evidence, where the format has lines.
        comment: ``-m comment`` / nft ``comment`` / a Windows rule's display name.
    """

    number: int
    text: str
    action: str | None
    matches: tuple[FirewallMatch, ...] = ()
    target: str | None = None
    target_args: tuple[str, ...] = ()
    line: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class FirewallChain(_Model):
    """A chain: the built-in ones have a policy; nftables base chains a hook and priority."""

    name: str
    policy: str | None = None
    rules: tuple[FirewallRule, ...] = ()
    hook: str | None = None
    """nftables: ``prerouting``, ``input``, ``forward`` …; iptables: ``None`` (the built-in
    chain's name says it)."""
    priority: int | None = None
    type: str | None = None
    """nftables base chain type: ``filter``, ``nat``, ``route``."""


@dataclass(frozen=True, slots=True)
class FirewallTable(_Model):
    """A table: ``filter``, ``nat`` … (iptables), ``inet firewalld`` (nftables)."""

    family: str
    """``ip``, ``ip6`` (iptables and nft), ``inet``, ``bridge`` … (nft), ``windows``."""
    name: str
    chains: tuple[FirewallChain, ...] = ()


@dataclass(frozen=True, slots=True)
class FirewallSet(_Model):
    """A named set (an nftables set, an ipset) with the elements the evidence lists."""

    name: str
    family: str | None = None
    table: str | None = None
    type: str | None = None
    elements: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ruleset(_Model):
    """One packet filter as one source showed it.

    ``dialect`` is ``iptables``, ``nftables`` or ``windows-firewall``; ``backend`` what
    the source says about itself (``nf_tables``, ``legacy``, ``iptables-save v1.8.9``).
    ``complete`` is ``False`` for a format that shows one table only (``iptables -S``
    shows the filter table unless ``-t`` was given), so an evaluator knows the nat and
    raw tables were not read.
    """

    dialect: str
    tables: tuple[FirewallTable, ...] = ()
    sets: tuple[FirewallSet, ...] = ()
    backend: str | None = None
    complete: bool = True
