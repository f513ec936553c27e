"""What the iptables parsers share: a rule's arguments read into matches and a target.

``iptables-save`` and ``iptables -S`` write a rule as the arguments that would add it
(``-A FORWARD -i br0 ! -o br0 -m conntrack --ctstate NEW -j ACCEPT``), so one reader
serves both. Every option of a module netatlas evaluates becomes a typed
:class:`~netatlas.model.firewall.FirewallMatch`; any other (``-m limit``, ``-m recent``,
``--tcp-flags``) is kept whole as an ``other`` match with its text, never dropped, so
the evaluator can say it does not understand it.
"""

from __future__ import annotations

import re
import shlex

from netatlas.errors import ParseError
from netatlas.model.firewall import FirewallMatch, FirewallRule

__all__ = ["BUILTIN_CHAINS", "TERMINAL", "rule_from_args", "split_args"]

BUILTIN_CHAINS = frozenset({"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"})
TERMINAL = frozenset({"ACCEPT", "DROP", "REJECT", "RETURN", "QUEUE", "NFQUEUE"})

_TOP = {"-i": "in_interface", "-o": "out_interface", "-s": "source", "-d": "destination", "-p": "protocol"}
_TOP_LONG = {
    "--in-interface": "-i",
    "--out-interface": "-o",
    "--source": "-s",
    "--src": "-s",
    "--destination": "-d",
    "--dst": "-d",
    "--protocol": "-p",
    "--jump": "-j",
    "--goto": "-g",
    "--match": "-m",
}
_MODULE_OPTIONS: dict[str, dict[str, str]] = {
    "tcp": {"--dport": "dport", "--destination-port": "dport", "--sport": "sport", "--source-port": "sport"},
    "udp": {"--dport": "dport", "--destination-port": "dport", "--sport": "sport", "--source-port": "sport"},
    "multiport": {"--dports": "dport", "--destination-ports": "dport", "--sports": "sport", "--ports": "port"},
    "conntrack": {"--ctstate": "ctstate"},
    "state": {"--state": "ctstate"},
    "addrtype": {"--dst-type": "dst_type", "--src-type": "src_type"},
    "comment": {"--comment": "comment"},
}


_QUOTING = re.compile(r"[\"'\\]")
_SHELL_SPACE = re.compile(r"[ \t\r\n]+")


def split_args(text: str, *, line: int) -> list[str]:
    """The shell words of a rule line (comments are double-quoted by iptables-save).

    A line with no quote and no backslash (most rules) is split on ``shlex``'s own
    whitespace (space, tab, CR, LF) with one regular expression: for such text that
    is exactly what ``shlex.split`` gives, at a tenth of its cost (it reads one
    character at a time in Python).
    """
    if not _QUOTING.search(text):
        return [w for w in _SHELL_SPACE.split(text) if w]
    try:
        return shlex.split(text, posix=True)
    except ValueError as exc:
        raise ParseError(f"cannot split the rule into words ({exc})", line=line) from None


def _is_option(word: str) -> bool:
    return word == "!" or (word.startswith("-") and len(word) > 1 and not word[1:2].isdigit())


def rule_from_args(
    args: list[str], *, number: int, text: str, line: int, chains: frozenset[str] = frozenset()
) -> FirewallRule:
    """One rule from the words after ``-A CHAIN``; ``chains`` are the table's chain names.

    ``-j NAME`` is a jump when ``NAME`` is a chain of the table, else a target
    (``ACCEPT``, ``DNAT``, ``LOG`` …).

    Raises:
        ParseError: an option that needs a value has none.
    """
    matches: list[FirewallMatch] = []
    action: str | None = None
    target: str | None = None
    target_args: tuple[str, ...] = ()
    comment: str | None = None
    module: str | None = None
    negate = False
    i = 0

    def value(at: int) -> str:
        if at >= len(args):
            raise ParseError(f"option {args[at - 1]!r} has no value", line=line)
        return args[at]

    while i < len(args):
        tok = _TOP_LONG.get(args[i], args[i])
        if tok == "!":
            negate = True
            i += 1
            continue
        if tok in _TOP:
            val = value(i + 1)
            shown = ("! " if negate else "") + f"{args[i]} {val}"
            matches.append(FirewallMatch(_TOP[tok], tuple(val.split(",")), negate, shown))
            negate = False
            i += 2
            continue
        if tok == "-m":
            module = value(i + 1)
            i += 2
            if module not in _MODULE_OPTIONS:
                # a module netatlas does not evaluate: keep it and its options whole
                j = i
                while j < len(args) and _TOP_LONG.get(args[j], args[j]) not in ("-m", "-j", "-g", *_TOP):
                    if args[j] == "!" and j + 1 < len(args) and _TOP_LONG.get(args[j + 1], args[j + 1]) in _TOP:
                        break
                    j += 1
                matches.append(FirewallMatch("other", tuple(args[i:j]), False, " ".join(["-m", module, *args[i:j]])))
                i = j
            continue
        if tok in ("-j", "-g"):
            name = value(i + 1)
            target_args = tuple(args[i + 2 :])
            if tok == "-g":
                action, target = "GOTO", name
            elif name in chains and name not in TERMINAL:
                action, target = "JUMP", name
            else:
                action = name
            break
        if tok.startswith("--"):
            kind = _MODULE_OPTIONS.get(module or "", {}).get(tok)
            if kind is None and tok in ("--dport", "--sport") and module is None:
                kind = tok[2:]  # -p tcp --dport 80 loads the tcp module implicitly
            if kind is not None:
                val = value(i + 1)
                shown = ("! " if negate else "") + f"{args[i]} {shlex.quote(val) if ' ' in val else val}"
                if kind == "comment":
                    comment = val
                    matches.append(FirewallMatch("comment", (val,), False, shown))
                else:
                    vals = tuple(val.split(","))
                    matches.append(FirewallMatch(kind, vals, negate, ("-m " + module + " " if module else "") + shown))
                negate = False
                i += 2
                continue
            # an option netatlas does not evaluate: it and its values, up to the next option
            j = i + 1
            while j < len(args) and not _is_option(args[j]):
                j += 1
            shown = ("! " if negate else "") + " ".join(args[i:j])
            matches.append(FirewallMatch("other", tuple(args[i + 1 : j]), negate, shown))
            negate = False
            i = j
            continue
        if tok.startswith("-"):
            j = i + 1
            while j < len(args) and not _is_option(args[j]):
                j += 1
            matches.append(FirewallMatch("other", tuple(args[i + 1 : j]), negate, " ".join(args[i:j])))
            negate = False
            i = j
            continue
        raise ParseError(f"unexpected word {tok!r} in the rule", line=line)
    return FirewallRule(
        number=number,
        text=text,
        action=action,
        matches=_with_sets(tuple(matches)),
        target=target,
        target_args=target_args,
        line=line,
        comment=comment,
    )


def _with_sets(matches: tuple[FirewallMatch, ...]) -> tuple[FirewallMatch, ...]:
    """``-m set --match-set NAME src`` as a set membership match (one direction only)."""
    out = []
    for m in matches:
        if m.kind == "other" and m.text and m.text.startswith("-m set") and "--match-set" in m.values:
            at = m.values.index("--match-set")
            rest = m.values[at + 1 :]
            extra = [v for v in m.values if v not in ("--match-set", "!") and v not in rest[:2]]
            if len(rest) >= 2 and rest[1] in ("src", "dst") and not extra:
                neg = "!" in m.values[:at]
                kind = "set_source" if rest[1] == "src" else "set_destination"
                out.append(FirewallMatch(kind, (rest[0],), neg, m.text))
                continue
        out.append(m)
    return tuple(out)
