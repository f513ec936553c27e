"""One pure parser per evidence kind, found by name.

A kind's module is ``netatlas.parsers.<kind with - as _>``: adding a parser is adding
one module (plus fixtures), with no list to edit. Modules are imported only when
asked for, so the CLI stays fast to start.

``auto`` recognises the format. A pasted transcript may hold the output of several
commands netatlas can read (``docker network ls``, then ``docker network inspect
bridge``, then ``ip addr show`` in a container): :func:`parse_parts` names each part
and reads it with its own parser, and ``parse("auto", …)`` returns their facts together.

>>> facts = parse("hosts", "192.0.2.7 printer.example\\n")
>>> [str(h.address) for h in facts.hosts]
['192.0.2.7']
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from typing import cast

from netatlas.errors import ParseError, UnknownKindError
from netatlas.model import Facts
from netatlas.model._serde import JSON
from netatlas.parsers._base import ParserInfo, ParserModule, Platform, decode

__all__ = [
    "ParserInfo",
    "ParserModule",
    "Part",
    "Platform",
    "detect",
    "get_parser",
    "kinds",
    "parse",
    "parse_parts",
]

_KIND = re.compile(r"^[a-z][a-z0-9-]*$")


@cache
def kinds() -> tuple[str, ...]:
    """Every parser kind, sorted (``ip-addr``, ``ipconfig`` …)."""
    import pkgutil

    found = (m.name.replace("_", "-") for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return tuple(sorted(found))


def get_parser(kind: str) -> ParserModule:
    """The parser module for ``kind``.

    Raises:
        UnknownKindError: no such kind; the message lists the known ones.
    """
    name = f"{__name__}.{kind.replace('-', '_')}"
    if _KIND.match(kind) and "_" not in kind:
        # imported straight away: listing every module (kinds()) costs a CLI start ~1 ms
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
        else:
            if hasattr(module, "parse") and hasattr(module, "INFO"):  # not a stray folder (namespace package)
                return cast(ParserModule, module)
    raise UnknownKindError(f"unknown kind {kind!r}; known kinds: auto, {', '.join(kinds())}")


def _any_text(data: bytes | str) -> str:
    """The text of ``data``: UTF-8/UTF-16, else the OEM code page whose labels it matches.

    Windows tools write their OEM code page when redirected; the shape is what sniffs.
    """
    try:
        return decode(data)
    except ParseError:
        from netatlas.parsers._windows import decode_oem
        from netatlas.parsers.ipconfig import label_count

        return decode_oem(data, known=label_count)


def detect(data: bytes | str) -> str:
    """The kind whose parser recognises ``data`` best.

    Raises:
        ParseError: no parser recognises it.
    """
    text = _any_text(data)
    best, score = "", 0.0
    for kind in kinds():
        s = get_parser(kind).sniff(text)
        if s > score:
            best, score = kind, s
    if score < 0.3:
        raise ParseError("cannot tell what format this is; name the kind instead of 'auto'")
    return best


@dataclass(frozen=True, slots=True)
class Part:
    """One command's output in a pasted transcript, and the parser that read it.

    Args:
        kind: the parser kind.
        commands: the command lines typed for it, as typed (empty: no prompt named it).
        lines: the line of each of those prompts.
    """

    kind: str
    commands: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, JSON]:
        """The ``parts`` item of ``netatlas parse auto --json``."""
        return {"kind": self.kind, "commands": list(self.commands), "lines": list(self.lines)}


_MIN_SCORE = 0.3
"""A sniff score below this is no recognition (``detect`` and the parts of a transcript)."""


def _typed_parts(text: str) -> tuple[list[Part], dict[str, list[tuple[int, int]]]]:
    """The parts named by prompts whose output a parser recognises, and the lines each spans.

    A prompt's command picks the parsers whose command patterns match it; of those that
    recognise the output, the one whose pattern names the command most fully reads it
    (``getent hosts x`` is getent-hosts, not hosts), then the one that sniffs it best.
    Output no parser recognises (an error message, a PowerShell table netatlas has no
    parser for) makes no part.
    """
    from netatlas.parsers._base import Warnings, segments

    found: dict[str, list[tuple[str, int]]] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for seg in segments(text, warnings=Warnings()):
        body = [ln for ln in seg.lines if ln.text.strip()]
        if seg.command is None or seg.prompt_line is None or not body:
            continue
        output = "\n".join(ln.text for ln in seg.lines)
        best, rank = "", (0, 0.0)
        for kind in kinds():
            module = get_parser(kind)
            hits = (re.search(c, seg.command) for c in module.INFO.commands)
            span = max((m.end() - m.start() for m in hits if m), default=0)
            score = module.sniff(output) if span else 0.0
            if score >= _MIN_SCORE and (span, score) > rank:
                best, rank = kind, (span, score)
        if best:
            found.setdefault(best, []).append((seg.command, seg.prompt_line))
            spans.setdefault(best, []).append((seg.prompt_line, seg.lines[-1].no))
    parts = [Part(k, tuple(c for c, _ in runs), tuple(n for _, n in runs)) for k, runs in found.items()]
    return parts, spans


def _combined(read: list[tuple[Part, Facts]], spans: dict[str, list[tuple[int, int]]]) -> Facts:
    """The facts of several parts as one: lists joined in part order, warnings merged.

    A part's warnings about lines another part read (``skipped 5 line(s) of another
    command's output``, ``… that are not JSON``) are dropped: that part read them.
    Warnings several parts gave alike are given once.
    """
    facts = [f for _, f in read]
    lists = ("interfaces", "routes", "hosts", "answers", "forwards", "networks", "containers", "distros", "hops")
    joined = {name: tuple(x for f in facts for x in getattr(f, name)) for name in (*lists, "listeners", "neighbours")}
    dns = next((f.dns for f in facts if f.dns.servers or f.dns.search or f.dns.generated_by), facts[0].dns)
    settings: dict[str, JSON] = {}
    for f in facts:
        for key, value in f.settings.items():
            settings.setdefault(key, value)
    warnings = {
        (w.line, w.message): w
        for part, f in read
        for w in f.warnings
        if not any(a <= w.line <= b for kind, runs in spans.items() if kind != part.kind for a, b in runs)
    }
    return Facts(
        kind=read[0][0].kind,
        dns=dns,
        settings=settings,
        warnings=tuple(sorted(warnings.values(), key=lambda w: w.line)),
        **joined,
    )


def parse_parts(data: bytes | str, *, source: str = "-") -> tuple[Facts, tuple[Part, ...]]:
    """Recognise every readable command's output in ``data``; read each with its parser.

    Without prompts naming readable commands, the whole input is one part of the kind
    :func:`detect` names. With several, each part's parser reads the whole text (its
    own command's output, the rest skipped), so line numbers stay those of the input;
    the facts come back together with ``kind`` the first part's. A part whose parser
    refuses its output is dropped with a warning, unless no part is left.

    Raises:
        ParseError: nothing in ``data`` is recognised, or no part could be read.
    """
    from netatlas.model import Warning

    try:
        parts, spans = _typed_parts(_any_text(data))
        if not parts:
            parts = [Part(detect(data))]
    except ParseError as exc:
        raise exc.with_source(source) from None
    read: list[tuple[Part, Facts]] = []
    refused: list[tuple[Part, ParseError]] = []
    for part in parts:
        try:
            read.append((part, get_parser(part.kind).parse(data, source=source)))
        except ParseError as exc:
            refused.append((part, exc))
    if not read:
        raise refused[0][1]
    if len(read) == 1 and not refused:
        return read[0][1], (read[0][0],)
    facts = _combined(read, spans)
    notes = [Warning(p.lines[0] if p.lines else 1, f"not read as {p.kind}: {e.message}") for p, e in refused]
    if notes:
        from dataclasses import replace

        facts = replace(facts, warnings=tuple(sorted((*facts.warnings, *notes), key=lambda w: w.line)))
    return facts, tuple(p for p, _ in read)


def parse(kind: str, data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``data`` as ``kind`` (or ``auto``) and return its facts.

    With ``auto``, a transcript holding several readable commands' outputs gives their
    facts together (see :func:`parse_parts`, which also says which parts there were).

    Raises:
        UnknownKindError: ``kind`` does not exist.
        ParseError: ``data`` is not that format; the message names ``source`` and line.
    """
    if kind == "auto":
        return parse_parts(data, source=source)[0]
    return get_parser(kind).parse(data, source=source)
