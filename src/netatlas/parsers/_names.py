"""Shared by the name-resolution and path parsers: runs of one command in a transcript.

:func:`netatlas.parsers._base.select` flattens a transcript into lines, but
``nslookup``, ``host`` and ``getent`` print the *queried name* only on the prompt line
(a timeout or ``getent`` output never repeats it), so these parsers need each
command's output together with the command that produced it. :func:`runs` keeps that
pairing. It also recognises the command lines users paste *without* a standard prompt
(``>>> host xps``, ``[app]php:/app$ nslookup x``, ``docker run busybox nslookup x``,
a bare ``nslookup foo.test 127.0.0.1``), which ``_base``'s prompt pattern leaves as
output lines.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netatlas.model import Facts, IPAddress, NameAnswer
from netatlas.parsers._base import Line, ParserInfo, Warnings, ip_or_none, run_stages, segments

__all__ = [
    "Query",
    "Run",
    "answers_from",
    "dns_answer_facts",
    "positional_args",
    "reverse_address",
    "run_tool_stages",
    "runs",
    "strip_dot",
]

# Wrappers a pasted command line may start with before the tool itself.
_WRAPPERS = r"(?:(?:sudo|doas|docker|podman|nerdctl|kubectl|wsl(?:\.exe)?|ip\s+netns\s+exec)\b[^\n]*?\s)?"


@dataclass(frozen=True, slots=True)
class Run:
    """One command's output: the command line typed (if shown) and its lines."""

    command: str | None
    line: int | None
    lines: tuple[Line, ...]


def _command_line(tool: str) -> re.Pattern[str]:
    """A line that *is* a command of ``tool``, with or without an odd prompt before it.

    The tool word must be followed by whitespace and an argument, so output such as
    ``host.docker.internal has address`` or ``traceroute to x (…)`` never matches
    (the caller's ``tool`` pattern excludes ``traceroute to``).
    """
    return re.compile(
        rf"^\s*(?:.{{0,60}}?(?:[$#%>❯➜»]|~)\s+)?{_WRAPPERS}(?P<cmd>(?:{tool})(?:\.exe)?\s+\S.*)$",
    )


def runs(text: str, tool: str, *, warnings: Warnings) -> list[Run]:
    """Split ``text`` into runs of ``tool``; other commands' output is dropped with a warning.

    Args:
        text: the decoded input.
        tool: a regex for the command word (``nslookup``, ``host``, ``getent``).
        warnings: where skipped prompts and foreign output are reported.

    Returns:
        The runs to parse. When no prompt or command line names ``tool``, the whole
        input is one run with ``command=None`` (plain captured output).
    """
    own = _command_line(tool)
    word = re.compile(rf"(?:^|[\s/\\]){tool}(?:\.exe)?(?:\s|$)")
    out: list[Run] = []
    prompts: set[str] = set()
    for seg in segments(text, warnings=warnings):
        cmd, at = seg.command, seg.prompt_line
        cur: list[Line] = []
        if at is not None:
            warnings.add(at, f"skipped prompt line ({cmd!r})")
        for ln in seg.lines:
            m = own.match(ln.text)
            if m and not _looks_like_output(ln.text):
                if cur or cmd is not None:
                    out.append(Run(cmd, at, tuple(cur)))
                cmd, at, cur = m["cmd"].strip(), ln.no, []
                prefix = ln.text[: m.start("cmd")].strip()
                if len(prefix) >= 2 and prefix[-1] in "$#%>❯➜»~":
                    prompts.add(prefix)
                warnings.add(ln.no, f"skipped command line ({cmd!r})")
                continue
            other = next((p for p in prompts if ln.text.strip().startswith(p)), None)
            if other is not None:
                # the same odd prompt typing another command (``[app]php:/app$ echo $?``)
                if cur or cmd is not None:
                    out.append(Run(cmd, at, tuple(cur)))
                cmd, at, cur = ln.text.strip()[len(other) :].strip(), ln.no, []
                warnings.add(ln.no, f"skipped prompt line ({cmd!r})")
                continue
            cur.append(ln)
        if cur or cmd is not None:
            out.append(Run(cmd, at, tuple(cur)))
    ours = [r for r in out if r.command is not None and word.search(" " + r.command)]
    if not ours:
        return [Run(None, None, tuple(ln for r in out for ln in r.lines))]
    kept: list[Run] = []
    for r in out:
        if r in ours:
            kept.append(r)
            continue
        body = [ln for ln in r.lines if ln.text.strip()]
        if body:
            warnings.add(body[0].no, f"skipped {len(body)} line(s) of another command's output ({r.command!r})")
    return kept


def _looks_like_output(text: str) -> bool:
    """Output lines that happen to contain the tool word (``Name: host ...``)."""
    return bool(re.match(r"^\s*[^\s:]{1,30}:\s", text)) and "$" not in text and ">" not in text


def positional_args(command: str | None, tool: str) -> list[str]:
    """The non-option arguments after ``tool`` in ``command`` (``-type=A`` etc. dropped).

    >>> positional_args("sudo nslookup -type=A db.example 192.0.2.53", "nslookup")
    ['db.example', '192.0.2.53']
    """
    if not command:
        return []
    try:
        words = shlex.split(command, posix=True)
    except ValueError:
        words = command.split()
    pat = re.compile(rf"^(?:.*[/\\])?(?:{tool})(?:\.exe)?$")
    for i, w in enumerate(words):
        if pat.match(w):
            return [a for a in words[i + 1 :] if not a.startswith("-")]
    return []


def strip_dot(name: str) -> str:
    """A DNS name without its root dot (``web.example.`` → ``web.example``)."""
    return name[:-1] if name.endswith(".") and len(name) > 1 else name


@dataclass
class Query:
    """One lookup's tokens: from a ``Server:`` line, prompt or run start to the next.

    ``records`` maps a name to the ``(line, address text)`` pairs printed for it,
    ``edges`` are CNAME links ``(alias, target)`` in printed order, and ``failures``
    are ``(line, name, status)`` with name ``""`` meaning "the queried name".
    """

    line: int
    query: str | None
    server_arg: str | None
    server: str | None = None
    server_line: int | None = None
    records: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[int, str, str]] = field(default_factory=list)


def answers_from(q: Query, *, source: str, warnings: Warnings) -> list[NameAnswer]:
    """Typed answers of one query: one per CNAME chain root, then one per failure.

    A chain ``a → b → c`` with addresses on ``c`` becomes ``NameAnswer(name="a",
    aliases=("b", "c"), addresses=…)``: the name asked for first, as the map needs.
    A failure for a name that resolved in the same query (another record type, e.g.
    Docker's DNS answering AAAA with NXDOMAIN) is a warning, not a second answer.
    """
    answers: list[NameAnswer] = []
    server = ip_or_none(q.server) if q.server else None
    if q.server and server is None and q.server.lower() != "unknown":
        warnings.add(q.server_line or q.line, f"server address {q.server!r} is not an IP address")
    if server is None and q.server_arg:
        server = ip_or_none(q.server_arg)
    nxt = dict(q.edges)
    targets = set(nxt.values())
    names = list(dict.fromkeys([*(s for s, _ in q.edges), *q.records]))
    done: set[str] = set()
    resolved: set[str] = set()
    for root in names:
        if root in targets or root in done:
            continue
        chain = [root]
        while chain[-1] in nxt and nxt[chain[-1]] not in chain:
            chain.append(nxt[chain[-1]])
        done.update(chain)
        addrs: list[IPAddress] = []
        for n in chain:
            for line, text in q.records.get(n, []):
                a = ip_or_none(text)
                if a is None:
                    warnings.add(line, f"answer address {text!r} is not an IP address (cut out?); dropped")
                elif a not in addrs:
                    addrs.append(a)
        if not addrs and root not in nxt:
            continue
        resolved.update(chain)
        answers.append(
            NameAnswer(name=root, addresses=tuple(addrs), source=source, server=server, aliases=tuple(chain[1:]))
        )
    statuses: dict[str, str] = {}
    for line, name, status in q.failures:
        name = name or (q.query or "")
        if not name:
            warnings.add(line, f"{status}: the queried name is not shown (no command line); skipped")
            continue
        if name in resolved:
            warnings.add(line, f"{name!r} resolved above; its later {status} (another record type) is ignored")
            continue
        if name in statuses:
            if statuses[name] != status:
                warnings.add(line, f"second status {status} for {name!r} ignored (first was {statuses[name]})")
            continue
        statuses[name] = status
        answers.append(NameAnswer(name=name, source=source, server=server, status=status))
    return answers


def reverse_address(rev: str) -> IPAddress | None:
    """The address a ``…in-addr.arpa``/``…ip6.arpa`` name stands for."""
    labels = rev.lower().rstrip(".").split(".")
    try:
        if labels[-2:] == ["in-addr", "arpa"] and len(labels) == 6:
            return ipaddress.IPv4Address(".".join(reversed(labels[:4])))
        if labels[-2:] == ["ip6", "arpa"] and len(labels) == 34:
            nibbles = "".join(reversed(labels[:32]))
            return ipaddress.IPv6Address(int(nibbles, 16))
    except ValueError:
        return None
    return None


def run_tool_stages(
    data: bytes | str,
    source: str,
    info: ParserInfo,
    tool: str,
    raw: Callable[[list[Run], Warnings], Any],
    process: Callable[[Any, Warnings], Facts],
) -> Facts:
    """:func:`~netatlas.parsers._base.run_stages` for a name tool, whose text is cut into runs.

    A transcript may hold several runs of the tool (``nslookup a`` then ``nslookup
    b``), each kept with its command.

    Raises:
        ParseError: located, naming ``source``.
    """
    return run_stages(data, source, info, raw, process, split=lambda text, w: runs(text, tool, warnings=w))


def dns_answer_facts(kind: str, queries: list[Query], warnings: Warnings) -> Facts:
    """The facts of DNS tool output: every query's answers, as :func:`answers_from` types them."""
    answers = [a for q in queries for a in answers_from(q, source="dns", warnings=warnings)]
    return Facts(kind=kind, answers=tuple(answers), warnings=warnings.sorted())
