"""``getent hosts NAME…`` and ``getent ahosts[v4|v6] NAME`` output (glibc NSS).

This is the system resolver as an application sees it (``/etc/nsswitch.conf``: files,
then DNS, mDNS, ``resolve`` …), which can differ from what ``nslookup`` or ``host``
ask a DNS server directly, e.g. WSL's copied ``/etc/hosts`` winning over DNS.

Schema: fills ``Facts.answers`` with ``source="nss"`` and ``server=None``. ``name`` is
the queried name when the transcript shows the command line (a line whose names
include the key, or extend it with a search domain, answers that key), else the first
name on the line; ``aliases`` are the other names printed. ``ahosts`` prints one line
per address and transport (STREAM, DGRAM, RAW), with the canonical name only on a key's first line:
those lines become one answer per key with the distinct addresses in order, and the
canonical name as an alias when it differs from the key. A key from the command line
with no output line gets ``status="NOTFOUND"`` (NSS's "not found"; getent cannot say
whether DNS said NXDOMAIN or timed out).

Example::

    $ getent hosts target
    10.77.9.1       target.lab.test target

gives ``{"name": "target", "addresses": ["10.77.9.1"], "source": "nss", "server":
null, "aliases": ["target.lab.test"], "status": null}``.

jc has no getent parser (its ``hosts`` parser reads the same columns but knows nothing
of queried keys or the ``ahosts`` transport column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netatlas.errors import ParseError
from netatlas.model import Facts, IPAddress, NameAnswer
from netatlas.parsers._base import (
    ParserInfo,
    Platform,
    Warnings,
    first_content_line,
    ip_or_none,
)
from netatlas.parsers._names import Run, positional_args, run_tool_stages

INFO = ParserInfo(
    kind="getent-hosts",
    description="getent hosts / getent ahosts output (the NSS resolver's answer)",
    platforms=(Platform.LINUX,),
    commands=(r"\bgetent\s+a?hosts",),
    source="getent hosts NAME... / getent ahosts NAME",
)

_TOOL = r"getent"
_AHOSTS = re.compile(r"^\s*(?P<addr>\S+)\s+(?P<sock>STREAM|DGRAM|RAW)\b\s*(?P<name>\S+)?\s*$")
# The address column is checked later, so a cut-out ``10.0.0.x`` still names its line.
_HOSTS = re.compile(r"^\s*(?P<addr>[0-9A-Fa-f]*[0-9:][^\s]*[.:][^\s]*)\s+(?P<names>[^\s#].*?)\s*$")
_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$")


def sniff(text: str) -> float:
    """A ``getent hosts``/``ahosts`` command line, or the ahosts transport column (STREAM/DGRAM/RAW)."""
    head = text[:4000]
    if re.search(r"(?:^|[\s$#>])getent\s+a?hosts(?:v[46])?\b", head, re.M):
        return 0.95
    if re.search(r"^\S+\s+STREAM \S+\s*$", head, re.M) and re.search(r"^\S+\s+(?:DGRAM|RAW)\s*$", head, re.M):
        return 0.95
    body = [t for t in head.splitlines() if t.strip()]
    if not body or any(t.lstrip().startswith("#") for t in body):
        return 0.0
    hits = sum(1 for t in body if (m := _HOSTS.match(t)) and ip_or_none(m["addr"]))
    return 0.5 * hits / len(body)


@dataclass
class _Group:
    """One output line (hosts) or one key's lines (ahosts)."""

    line: int
    addresses: list[tuple[int, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


@dataclass
class _RunTokens:
    database: str | None
    keys: list[str]
    groups: list[_Group]
    line: int


def _raw(run_list: list[Run], warnings: Warnings) -> list[_RunTokens]:
    out: list[_RunTokens] = []
    seen = False
    for run in run_list:
        args = positional_args(run.command, _TOOL)
        database = args[0] if args else None
        if database is not None and not re.fullmatch(r"a?hosts(?:v[46])?", database):
            warnings.add(run.line or 1, f"getent database {database!r} is not hosts/ahosts; lines read as hosts")
        toks = _RunTokens(database, args[1:], [], run.line or 1)
        out.append(toks)
        for ln in run.lines:
            text = ln.text.strip()
            if not text:
                continue
            if m := _AHOSTS.match(text):
                seen = True
                if m["name"] or not toks.groups:
                    toks.groups.append(_Group(ln.no, names=[m["name"]] if m["name"] else []))
                toks.groups[-1].addresses.append((ln.no, m["addr"]))
                continue
            if m := _HOSTS.match(text):
                seen = True
                toks.groups.append(_Group(ln.no, [(ln.no, m["addr"])], m["names"].split()))
                continue
            warnings.add(ln.no, f"skipped line that is not 'ADDRESS NAME...': {text[:60]!r}")
    if not seen and not any(t.keys for t in out):
        lines = [ln for r in run_list for ln in r.lines]
        raise ParseError("no getent hosts output found ('ADDRESS NAME...' lines)", line=first_content_line(lines))
    return out


def _key_for(names: list[str], keys: list[str]) -> str | None:
    """The key a line answers: one of its names, or a name extending it by a domain."""
    low = [n.lower() for n in names]
    for k in keys:
        kl = k.lower().rstrip(".")
        if kl in low or any(n.startswith(kl + ".") for n in low):
            return k
    return None


def _process(tokens: list[_RunTokens], warnings: Warnings) -> Facts:
    answers: list[NameAnswer] = []
    for toks in tokens:
        by_name: dict[str, tuple[list[IPAddress], list[str]]] = {}
        keys = [k for k in toks.keys if ip_or_none(k) is None]
        unmatched = list(keys)
        for i, g in enumerate(toks.groups):
            names = [n for n in g.names if _NAME.match(n)]
            for bad in (n for n in g.names if not _NAME.match(n)):
                warnings.add(g.line, f"ignored invalid host name {bad!r}")
            key = _key_for(names, unmatched)
            if key is None and not names and len(toks.groups) == len(keys):
                key = keys[i]  # ahosts line without a canonical name, one group per key
            if key is None and len(keys) == 1 and len(toks.groups) == 1 and unmatched:
                key = keys[0]
            if key is not None:
                unmatched.remove(key)
                name = key
                aliases = [n for n in names if n.lower() != key.lower()]
            elif names:
                name, aliases = names[0], names[1:]
            else:
                warnings.add(g.line, "addresses without a name and no command line to name them; skipped")
                continue
            addrs, als = by_name.setdefault(name, ([], []))
            for line, text in g.addresses:
                a = ip_or_none(text)
                if a is None:
                    warnings.add(line, f"address {text!r} is not an IP address (cut out?); dropped")
                elif a not in addrs:
                    addrs.append(a)
            als.extend(a for a in aliases if a not in als)
        for name, (addrs, als) in by_name.items():
            answers.append(NameAnswer(name=name, addresses=tuple(addrs), source="nss", aliases=tuple(als)))
        for k in unmatched:
            if k not in by_name:
                answers.append(NameAnswer(name=k, source="nss", status="NOTFOUND"))
    return Facts(kind=INFO.kind, answers=tuple(answers), warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse getent hosts/ahosts output. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_tool_stages(data, source, INFO, _TOOL, _raw, _process)
