"""Template for a new parser: copy to ``<kind>.py`` (``-`` becomes ``_``).

Schema: say here which :class:`~netatlas.model.Facts` lists the parser fills and from
which fields, with a short example input, so ``docs/parsers.md`` can be generated
from it.

Two stages, as in jc: :func:`_raw` turns lines into plain tokens (dicts of strings),
:func:`_process` turns tokens into typed, canonical facts. Value problems become
warnings with ``None`` values; only "this is not the format at all" is a ParseError.
"""

from __future__ import annotations

from netatlas.model import Facts
from netatlas.parsers._base import Line, ParserInfo, Platform, Warnings, run_stages

INFO = ParserInfo(
    kind="template",
    description="what it reads, in one line",
    platforms=(Platform.ANY,),
    commands=(r"^some-command\b",),
    source="some-command --flag",
)


def sniff(text: str) -> float:
    """How sure (0..1) that ``text`` is this format; cheap, for ``parse auto``."""
    return 0.0


def _raw(lines: list[Line], warnings: Warnings) -> list[dict[str, str | int]]:
    return [{"line": ln.no, "text": ln.text} for ln in lines if ln.text.strip()]


def _process(raw: list[dict[str, str | int]], warnings: Warnings) -> Facts:
    return Facts(kind=INFO.kind, warnings=warnings.sorted())


def parse(data: bytes | str, *, source: str = "-") -> Facts:
    """Parse one input. Raises only :class:`~netatlas.errors.ParseError`."""
    return run_stages(data, source, INFO, _raw, _process)
