"""``iptables -S`` (and ``ip6tables -S``): one table's chains and rules as the arguments that add them.

People paste this in issues more often than ``iptables-save``. Schema: fills
``Facts.firewall`` with one :class:`~netatlas.model.firewall.Ruleset` (``dialect``
``iptables``, ``complete`` ``False``: the output shows a single table and does not say
which; it is recorded as ``filter``, what ``iptables -S`` shows unless ``-t`` was given,
or the table a pasted ``iptables -t nat -S`` prompt line names). ``-P CHAIN POLICY`` gives
a built-in chain's policy, ``-N CHAIN`` a user chain, and each ``-A CHAIN …`` a rule
numbered within its chain, read as in :mod:`netatlas.parsers.iptables_save`.

Example::

    -P INPUT DROP
    -N DOCKER-USER
    -A DOCKER-USER -d 172.18.0.2/32 -p tcp -m tcp --dport 5432 -j DROP

gives chain ``INPUT`` with policy ``DROP`` and chain ``DOCKER-USER`` with one rule.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model.firewall import FirewallChain, FirewallRule, FirewallTable, Ruleset
from netatlas.parsers._base import (
    Line,
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    prompt_command,
    run_stages,
    select,
)
from netatlas.parsers._iptables import BUILTIN_CHAINS, rule_from_args, split_args

INFO = ParserInfo(
    kind="iptables-s",
    description="iptables -S / ip6tables -S: one table's rules as iptables arguments",
    platforms=(Platform.LINUX,),
    commands=(r"\bip6?tables(?:-legacy|-nft)?\b(?:(?!-save).)*\s(?:-S|--list-rules)\b",),
    source="iptables -S",
)

_LINE = re.compile(r"^-(?:P|N|A)\s+\S+")
_TABLE_ARG = re.compile(r"(?:-t|--table)\s+(\w+)")


def sniff(text: str) -> float:
    """Every line starts ``-P``, ``-N`` or ``-A``, with the built-in chains' ``-P`` lines."""
    lines = [t.strip() for t in text.splitlines()[:400] if t.strip()]
    if not lines:
        return 0.0
    ours = sum(1 for t in lines if _LINE.match(t))
    policies = any(t.startswith("-P ") for t in lines)
    return 0.9 if policies and ours >= 0.8 * len(lines) else 0.0


def _split(text: str, warnings: Warnings) -> tuple[list[Line], str]:
    """This command's lines, and the table a pasted prompt's ``-t`` names (``filter`` by default)."""
    typed = [t for ln in text.splitlines() if (t := prompt_command(ln)) and re.search(INFO.commands[0], t)]
    m = _TABLE_ARG.search(typed[0]) if typed else None
    return select(text, INFO.commands, warnings=warnings), m[1] if m else "filter"


def _raw(split: tuple[list[Line], str], warnings: Warnings) -> tuple[list[Line], str]:
    return split


def _process(raw: tuple[list[Line], str], warnings: Warnings) -> Facts:
    lines, table = raw
    return Facts(kind=INFO.kind, firewall=(read_rules(lines, warnings, table=table),), warnings=warnings.sorted())


def read_rules(lines: list[Line], warnings: Warnings, *, table: str = "filter") -> Ruleset:
    """The ruleset of ``-P``/``-N``/``-A`` lines.

    Raises:
        ParseError: not one such line.
    """
    names = {t.split()[1] for ln in lines if _LINE.match(t := ln.text.strip())}
    if not names:
        raise ParseError("no -P/-N/-A line: not iptables -S output", line=first_content_line(lines))
    chains: dict[str, FirewallChain] = {}
    rules: list[tuple[str, FirewallRule]] = []
    counts: dict[str, int] = {}
    six = False
    for ln in lines:
        t = ln.text.strip()
        if not t:
            continue
        if not _LINE.match(t):
            warnings.add(ln.no, f"not an iptables -S line: {t[:60]!r}")
            continue
        args = split_args(t, line=ln.no)
        if len(args) < 2 or args[0] not in ("-P", "-N", "-A"):  # \s (\x1c, NBSP …) is no break for split_args
            warnings.add(ln.no, f"not an iptables -S line: {t[:60]!r}")
            continue
        chain = args[1]
        if args[0] == "-P":
            chains[chain] = FirewallChain(chain, args[2] if len(args) > 2 else None)
        elif args[0] == "-N":
            chains.setdefault(chain, FirewallChain(chain))
        else:
            counts[chain] = counts.get(chain, 0) + 1
            rule = rule_from_args(args[2:], number=counts[chain], text=t, line=ln.no, chains=frozenset(names))
            six = six or any(m.kind in ("source", "destination") and ":" in "".join(m.values) for m in rule.matches)
            if chain not in chains:
                if chain not in BUILTIN_CHAINS:
                    warnings.add(ln.no, f"chain {chain} has no -N line")
                chains[chain] = FirewallChain(chain)
            rules.append((chain, rule))
    built = tuple(FirewallChain(c.name, c.policy, tuple(r for n, r in rules if n == c.name)) for c in chains.values())
    return Ruleset("iptables", (FirewallTable("ip6" if six else "ip", table, built),), complete=False)


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse one input. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process, split=_split)
