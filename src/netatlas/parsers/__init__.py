"""One pure parser per evidence kind, found by name.

A kind's module is ``netatlas.parsers.<kind with - as _>``: adding a parser is adding
one module (plus fixtures), with no list to edit. Modules are imported only when
asked for, so the CLI stays fast to start.

>>> facts = parse("hosts", "192.0.2.7 printer.example\\n")
>>> [str(h.address) for h in facts.hosts]
['192.0.2.7']
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import cast

from netatlas.errors import ParseError, UnknownKindError
from netatlas.model import Facts
from netatlas.parsers._base import ParserInfo, ParserModule, Platform, decode

__all__ = ["ParserInfo", "ParserModule", "Platform", "detect", "get_parser", "kinds", "parse"]

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


def detect(data: bytes | str) -> str:
    """The kind whose parser recognises ``data`` best.

    Raises:
        ParseError: no parser recognises it.
    """
    try:
        text = decode(data)
    except ParseError:
        # Windows tools write their OEM code page when redirected; the shape is what sniffs
        from netatlas.parsers._windows import decode_oem
        from netatlas.parsers.ipconfig import label_count

        text = decode_oem(data, known=label_count)
    best, score = "", 0.0
    for kind in kinds():
        s = get_parser(kind).sniff(text)
        if s > score:
            best, score = kind, s
    if score < 0.3:
        raise ParseError("cannot tell what format this is; name the kind instead of 'auto'")
    return best


def parse(kind: str, data: bytes | str, *, source: str = "-") -> Facts:
    """Parse ``data`` as ``kind`` (or ``auto``) and return its facts.

    Raises:
        UnknownKindError: ``kind`` does not exist.
        ParseError: ``data`` is not that format; the message names ``source`` and line.
    """
    if kind == "auto":
        try:
            kind = detect(data)
        except ParseError as exc:
            raise exc.with_source(source) from None
    return get_parser(kind).parse(data, source=source)
