"""``iptables -L -n -v`` (and ``-L -n``): one table as the columns people paste in issues.

Schema: fills ``Facts.firewall`` with one :class:`~netatlas.model.firewall.Ruleset`
(``dialect`` ``iptables``, ``complete`` ``False``: the listing shows one table, recorded
as ``filter`` unless a pasted ``iptables -t nat -L`` prompt names another). Each
``Chain NAME (policy P …)`` or ``Chain NAME (N references)`` heading starts a chain; each
row is a rule numbered within it. The columns give ``target``, ``prot`` (a name, or
the number iptables 1.8.9 prints: ``6`` is tcp, ``0`` all), ``in``/``out`` (``-v`` only;
``*`` is any, ``!`` negates), ``source`` and ``destination``. What follows the
columns is read as iptables prints it: ``tcp dpt:80``, ``dpts:8000:8080``,
``multiport dports 5432,6379``, ``ctstate NEW``, ``state …``, ``ADDRTYPE match
dst-type LOCAL``, ``match-set NAME src``, ``/* comment */``; a target's own options
(``to:10.0.0.2:80``, ``reject-with …``, ``LOG flags …``) become its ``target_args``;
anything else (``limit: avg 3/min``, ``icmptype 8``) is kept as an ``other`` match.

Example::

    Chain DOCKER-USER (1 references)
     pkts bytes target     prot opt in     out     source               destination
        0     0 DROP       6    --  *      *       10.91.1.0/24         10.91.2.0/24         multiport dports 5432,6379

gives chain ``DOCKER-USER`` with rule 1: ``source 10.91.1.0/24``, ``destination
10.91.2.0/24``, ``protocol tcp``, ``dport 5432,6379``, action ``DROP``.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.model.firewall import FirewallChain, FirewallMatch, FirewallRule, FirewallTable, Ruleset
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
from netatlas.parsers._iptables import TERMINAL

INFO = ParserInfo(
    kind="iptables-l",
    description="iptables -L -n -v / -L -n: one table's rules as the columns people paste",
    platforms=(Platform.LINUX,),
    commands=(r"\bip6?tables(?:-legacy|-nft)?\b(?:(?!-save).)*\s(?:-[a-zA-Z]*L[a-zA-Z]*|--list)\b",),
    source="iptables -L -n -v",
)

_CHAIN = re.compile(r"^Chain (\S+) \((?:policy (\S+)(?: \d+ packets, \d+ bytes)?|(\d+) references?)\)\s*$")
_HEAD = re.compile(r"^\s*(?:num\s+)?(?:pkts\s+bytes\s+)?target\s+prot\s+opt\s+")
_TABLE_ARG = re.compile(r"(?:-t|--table)\s+(\w+)")
_PROTO = {"0": "all", "1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "47": "gre", "50": "esp"}
_OPT = frozenset({"--", "-f", "!f"})
_EXTRA = re.compile(
    r"""\s*(?:
      /\*\s(?P<comment>.*?)\s\*/
    | (?P<l4>tcp|udp)(?=\s+(?:dpts?|spts?):)
    | (?P<port>dpts?|spts?):(?P<pv>\S+)
    | multiport\s+(?P<mp>dports|sports|ports)\s+(?P<mpv>\S+)
    | (?P<ct>ctstate|state)\s+(?P<ctv>\S+)
    | ADDRTYPE\smatch\s(?P<at>dst-type|src-type)\s(?P<atv>\S+)
    | (?P<neg>!\s?)?match-set\s(?P<set>\S+)\s(?P<dir>src|dst)
    | (?P<targ>to:\S+|reject-with\s\S+|LOG\sflags\s.*|masq\sports:\s\S+|redir\sports\s\S+)
    | (?P<other>\S+(?:\s(?!(?:tcp|udp|multiport|ctstate|state|ADDRTYPE|match-set)\b
                          |dpts?:|spts?:|/\*|!?\s?match-set|LOG\sflags|to:|reject-with)\S+)*)
    )""",
    re.X,
)


def sniff(text: str) -> float:
    """``Chain NAME (policy …)`` headings and the ``target prot opt`` column line."""
    sample = text.splitlines()[:400]
    chains = sum(1 for t in sample if _CHAIN.match(t.strip()))
    heads = sum(1 for t in sample if _HEAD.match(t))
    return 0.95 if chains and heads else 0.0


def _split(text: str, warnings: Warnings) -> tuple[list[Line], str]:
    """This command's lines, and the table a pasted prompt's ``-t`` names (``filter`` by default)."""
    typed = [t for ln in text.splitlines() if (t := prompt_command(ln)) and re.search(INFO.commands[0], t)]
    m = _TABLE_ARG.search(typed[0]) if typed else None
    return select(text, INFO.commands, warnings=warnings), m[1] if m else "filter"


def _raw(split: tuple[list[Line], str], warnings: Warnings) -> tuple[list[Line], str]:
    return split


def _side(kind: str, value: str, text: str) -> FirewallMatch | None:
    """A column value as a match; ``None`` for the any values (``*``, ``0.0.0.0/0``, ``::/0``)."""
    neg = value.startswith("!")
    v = value[1:] if neg else value
    if v in ("*", "0.0.0.0/0", "::/0", "anywhere"):
        return None
    return FirewallMatch(kind, (v,), neg, text)


def _extras(rest: str, proto: str | None) -> tuple[list[FirewallMatch], tuple[str, ...], str | None]:
    matches: list[FirewallMatch] = []
    targs: list[str] = []
    comment = None
    pos = 0
    while pos < len(rest) and rest[pos:].strip():
        m = _EXTRA.match(rest, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m["comment"] is not None:
            comment = m["comment"]
            matches.append(FirewallMatch("comment", (comment,), False, f"/* {comment} */"))
        elif m["port"]:
            kind = "dport" if m["port"].startswith("d") else "sport"
            matches.append(FirewallMatch(kind, (m["pv"],), False, f"{proto or ''} {m['port']}:{m['pv']}".strip()))
        elif m["mp"]:
            kind = {"dports": "dport", "sports": "sport", "ports": "port"}[m["mp"]]
            matches.append(FirewallMatch(kind, tuple(m["mpv"].split(",")), False, m.group(0).strip()))
        elif m["ct"]:
            matches.append(FirewallMatch("ctstate", tuple(m["ctv"].split(",")), False, m.group(0).strip()))
        elif m["at"]:
            kind = "dst_type" if m["at"] == "dst-type" else "src_type"
            matches.append(FirewallMatch(kind, (m["atv"],), False, m.group(0).strip()))
        elif m["set"]:
            kind = "set_source" if m["dir"] == "src" else "set_destination"
            matches.append(FirewallMatch(kind, (m["set"],), bool(m["neg"]), m.group(0).strip()))
        elif m["targ"]:
            targs.append(m["targ"])
        elif m["other"]:
            matches.append(FirewallMatch("other", tuple(m["other"].split()), False, m["other"]))
    return matches, tuple(targs), comment


def _row(text: str, verbose: bool, number: int, line: int, chains: frozenset[str]) -> FirewallRule | None:
    toks = text.split()
    opt_at = next((i for i, t in enumerate(toks[:5]) if t in _OPT), None)
    if opt_at is None:
        return None
    lead = 2 if verbose else 0
    target = toks[lead] if opt_at == lead + 2 else None
    proto = toks[opt_at - 1]
    cols = toks[opt_at + 1 :]
    need = 4 if verbose else 2
    if len(cols) < need:
        return None
    if verbose:
        iface_in, iface_out, src, dst = cols[:4]
    else:
        iface_in, iface_out, (src, dst) = "*", "*", cols[:2]
    # the extras start after the destination column, as printed
    cut = text.index(dst, text.index(src) + len(src)) + len(dst)
    proto_name = _PROTO.get(proto.lstrip("!"), proto.lstrip("!"))
    matches = [
        m
        for m in (
            _side("in_interface", iface_in, f"-i {iface_in}"),
            _side("out_interface", iface_out, f"-o {iface_out}"),
            _side("source", src, f"-s {src}"),
            _side("destination", dst, f"-d {dst}"),
            None if proto_name == "all" else FirewallMatch("protocol", (proto_name,), proto.startswith("!"), proto),
        )
        if m is not None
    ]
    extra, targs, comment = _extras(text[cut:], proto_name)
    if target is None:
        action, jump = None, None
    elif target in chains and target not in TERMINAL:
        action, jump = "JUMP", target
    else:
        action, jump = target, None
    return FirewallRule(number, text.strip(), action, tuple(matches + extra), jump, targs, line, comment)


def _process(raw: tuple[list[Line], str], warnings: Warnings) -> Facts:
    lines, table = raw
    names = frozenset(m[1] for ln in lines if (m := _CHAIN.match(ln.text.strip())))
    if not names:
        raise ParseError("no 'Chain NAME (policy …)' heading: not iptables -L output", line=first_content_line(lines))
    chains: list[FirewallChain] = []
    rules: list[FirewallRule] = []
    name: str | None = None
    policy: str | None = None
    verbose = False
    six = False

    def close() -> None:
        if name is not None:
            chains.append(FirewallChain(name, policy, tuple(rules)))

    for ln in lines:
        t = ln.text.rstrip()
        if not t.strip():
            continue
        c = _CHAIN.match(t.strip())
        if c:
            close()
            name, policy, rules = c[1], c[2], []
            continue
        if _HEAD.match(t):
            verbose = "pkts" in t.split()[:2]
            continue
        if name is None:
            warnings.add(ln.no, "a row before any Chain heading: skipped")
            continue
        rule = _row(t, verbose, len(rules) + 1, ln.no, names)
        if rule is None:
            warnings.add(ln.no, f"not a rule row: {t.strip()[:60]!r}")
            continue
        six = six or any(m.kind in ("source", "destination") and ":" in m.values[0] for m in rule.matches)
        rules.append(rule)
    close()
    ruleset = Ruleset("iptables", (FirewallTable("ip6" if six else "ip", table, tuple(chains)),), complete=False)
    return Facts(kind=INFO.kind, firewall=(ruleset,), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse one input. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process, split=_split)
