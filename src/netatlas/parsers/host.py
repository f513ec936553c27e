"""BIND ``host NAME [SERVER]`` output.

Schema: fills ``Facts.answers`` with ``source="dns"``, one
:class:`~netatlas.model.NameAnswer` per CNAME chain (``name`` the first name of the
chain, ``aliases`` the rest in order, ``addresses`` every ``has address`` / ``has IPv6
address`` of the chain) and one per failure with ``status`` ``NXDOMAIN``,
``SERVFAIL``, ``REFUSED`` … (the mnemonic in ``Host x not found: 3(NXDOMAIN)``) or
``timeout`` (``;; connection timed out; no servers could be reached``, named after the
query on the command line). ``server`` comes from the ``Using domain server:``
preamble (``Address: 10.0.0.53#53``) or the server typed on the command line. A
reverse lookup (``1.9.77.10.in-addr.arpa domain name pointer target.``) gives the
answer ``target`` → that address. ``host`` asks for A, AAAA and MX; a ``not found``
for a name that already has addresses (the MX query failing) is a warning only.

Example::

    alias2.lab.test is an alias for web.lab.test.
    web.lab.test has address 10.77.9.1

gives ``{"name": "alias2.lab.test", "addresses": ["10.77.9.1"], "source": "dns",
"server": null, "aliases": ["web.lab.test"], "status": null}``.

jc has a host parser, but it keeps only the last name of a CNAME chain (the alias
lines vanish), drops ``not found`` lines and the server preamble, and has no line
numbers, so the tokeniser is written here.
"""

from __future__ import annotations

import re

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.parsers._base import ParserInfo, Platform, Warnings, first_content_line
from netatlas.parsers._names import (
    Query,
    Run,
    dns_answer_facts,
    positional_args,
    reverse_address,
    run_tool_stages,
    strip_dot,
)

INFO = ParserInfo(
    kind="host",
    description="BIND host output (host NAME [SERVER])",
    platforms=(Platform.LINUX, Platform.MACOS),
    commands=(r"(?:^|\s)host\s",),
    source="host NAME [SERVER]",
)

_TOOL = r"host"
_ADDR = re.compile(r"^\s*(?P<name>\S+) has (?:IPv6 )?address (?P<addr>\S+)\s*$")
_ALIAS = re.compile(r"^\s*(?P<name>\S+) is an alias for (?P<target>\S+)\s*$")
_PTR = re.compile(r"^\s*(?P<rev>\S+) domain name pointer (?P<target>\S+)\s*$")
_NOTFOUND = re.compile(
    r"^\s*Host (?P<name>\S+) not found:\s*(?:(?P<code>\d+)\((?P<status>[A-Za-z]+)\)|(?P<msg>.*))\s*$"
)
_TIMEOUT = re.compile(r"^\s*;;\s*(?:connection timed out;\s*)?no servers could be reached", re.I)
_QUIET = re.compile(r"^\s*;;\s*(?:communications error to|Warning|Got recursion not available)", re.I)
_OTHER = re.compile(r"^\s*\S+ (?:mail is handled by|has (?:no )?\S+ record|has \S+ address|descriptive text)\b")
_PREAMBLE = re.compile(r"^\s*(?P<label>Using domain server|Name|Address|Aliases)\s*:\s*(?P<value>.*)$")


def sniff(text: str) -> float:
    """BIND host's sentences: ``has address``, ``is an alias for``, ``not found: 3(NXDOMAIN)``."""
    head = text[:4000]
    hits = len(
        re.findall(r"^\S+ (?:has (?:IPv6 )?address \S+|is an alias for \S+|domain name pointer \S+)\s*$", head, re.M)
    )
    hits += len(re.findall(r"^Host \S+ not found: \d+\(\w+\)", head, re.M))
    if hits or re.search(r"^Using domain server:", head, re.M):
        return 0.95 if hits >= 1 else 0.7
    return 0.0


def _raw(run_list: list[Run], warnings: Warnings) -> list[Query]:
    """One :class:`Query` per run (host prints no per-query header of its own)."""
    queries: list[Query] = []
    seen = False
    for run in run_list:
        args = positional_args(run.command, _TOOL)
        q = Query(
            line=run.lines[0].no if run.lines else (run.line or 1),
            query=args[0] if args else None,
            server_arg=args[1] if len(args) > 1 else None,
        )
        queries.append(q)
        in_preamble = False
        for ln in run.lines:
            text = ln.text.strip()
            if not text:
                in_preamble = False
                continue
            if m := _ADDR.match(text):
                q.records.setdefault(strip_dot(m["name"]), []).append((ln.no, m["addr"]))
                seen = True
            elif m := _ALIAS.match(text):
                q.edges.append((strip_dot(m["name"]), strip_dot(m["target"])))
                seen = True
            elif m := _PTR.match(text):
                seen = True
                addr = reverse_address(m["rev"])
                if addr is None:
                    warnings.add(ln.no, f"reverse name {m['rev']!r} does not spell an address; skipped")
                    continue
                q.records.setdefault(strip_dot(m["target"]), []).append((ln.no, str(addr)))
            elif m := _NOTFOUND.match(text):
                seen = True
                status = (m["status"] or "").upper() or "error"
                if status == "error":
                    warnings.add(ln.no, f"unknown failure {m['msg']!r}; status 'error'")
                q.failures.append((ln.no, strip_dot(m["name"]), status))
            elif _TIMEOUT.match(text):
                seen = True
                q.failures.append((ln.no, "", "timeout"))
            elif _QUIET.match(text):
                continue
            elif m := _PREAMBLE.match(text):
                seen = True
                label = m["label"]
                if label == "Using domain server":
                    in_preamble = True
                elif in_preamble and label == "Address":
                    q.server = m["value"].split("#", 1)[0].strip() or None
                    q.server_line = ln.no
                elif not in_preamble:
                    warnings.add(ln.no, f"skipped {label}: line outside a 'Using domain server:' block")
            elif _OTHER.match(text):
                seen = True
                warnings.add(ln.no, f"skipped record that is not an address answer: {text[:60]!r}")
            else:
                warnings.add(ln.no, f"skipped line that is not host output: {text[:60]!r}")
    if not seen:
        lines = [ln for r in run_list for ln in r.lines]
        raise ParseError(
            "no host output found ('has address', 'is an alias for', 'not found')",
            line=first_content_line(lines),
        )
    return queries


def _process(queries: list[Query], warnings: Warnings) -> Facts:
    return dns_answer_facts(INFO.kind, queries, warnings)


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse host output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_tool_stages(data, source, INFO, _TOOL, _raw, _process)
