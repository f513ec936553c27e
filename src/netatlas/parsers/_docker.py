"""What the Docker parsers share: the JSON value inside a pasted transcript.

Docker prints JSON (``docker network inspect``, ``docker inspect``, ``docker info
--format '{{json .}}'``) and people paste it with the prompt line above it, a code
fence around it and the next command below it. :func:`extract_json` finds the JSON
value(s) in such text, warns about everything it skips, and turns a JSON syntax error
into a :class:`~netatlas.errors.ParseError` that names the line *in the original
text* (not in the cut-out JSON), so users can find the broken spot.

Configuration files (``daemon.json``, Docker Desktop's ``settings.json``) are written
by hand and pasted with ``//`` comments and trailing commas. ``tolerant=True`` blanks
those out (keeping every other character where it was, so line numbers stay right)
and warns, because the programs that read the files would refuse them.

:class:`Locator` answers "on which line is this key or value", since :mod:`json` keeps
no positions and every warning needs a line.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from netatlas.errors import ParseError
from netatlas.model import IPAddress
from netatlas.parsers._base import Warnings, ip_or_none, lines, prompt_command

__all__ = ["JsonValue", "Locator", "extract_json", "get_ci", "json_address", "line_of_offset"]

_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True, slots=True)
class JsonValue:
    """One decoded top-level JSON value and where it sat in the input.

    ``items`` holds ``(first_line, last_line, element)`` for each element when the
    value is an array, or one entry for the whole value when it is an object.
    """

    value: Any
    first_line: int
    last_line: int
    items: tuple[tuple[int, int, Any], ...]


_BREAK = re.compile(r"\r\n|\r|\n")


def line_of_offset(text: str, offset: int) -> int:
    """1-based line number of character ``offset``, counting breaks as ``lines`` does."""
    return len(_BREAK.findall(text, 0, offset)) + 1


def _line_offsets(text: str) -> list[int]:
    """Offset of the first character of each line, matching ``_base.lines``."""
    return [0] + [m.end() for m in _BREAK.finditer(text)]


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] not in "\r\n":
            chars[i] = " "


def _strip_jsonc(text: str, start: int, warnings: Warnings, consequence: str) -> str:
    """Blank out comments and trailing commas after ``start``, warning for each.

    Offsets are kept, so JSON error positions still point into the original text.
    """
    chars = list(text)
    i, n = start, len(text)
    in_str = False
    last_comma: int | None = None
    while i < n:
        c = text[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str, last_comma = True, None
        elif text.startswith("//", i) or c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            warnings.add(
                line_of_offset(text, i),
                f"removed comment {text[i:end].strip()[:50]!r}: JSON has no comments ({consequence})",
            )
            _blank(chars, i, end)
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            warnings.add(line_of_offset(text, i), f"removed /* comment */: JSON has no comments ({consequence})")
            _blank(chars, i, end)
            i = end
            continue
        elif c == ",":
            last_comma = i
        elif c in "]}":
            if last_comma is not None:
                warnings.add(line_of_offset(text, last_comma), f"removed trailing comma before {c!r} ({consequence})")
                chars[last_comma] = " "
            last_comma = None
        elif not c.isspace():
            last_comma = None
        i += 1
    return "".join(chars)


def _array_items(text: str, start: int, end: int) -> list[tuple[int, int, Any]]:
    """Positions of the elements of the (already valid) array at ``text[start:end]``."""
    decoder = json.JSONDecoder()
    out: list[tuple[int, int, Any]] = []
    i = start + 1
    ws = re.compile(r"[\s,]*")
    while True:
        m = ws.match(text, i)
        i = m.end() if m else i
        if i >= end or text[i] == "]":
            return out
        item, stop = decoder.raw_decode(text, i)
        out.append((line_of_offset(text, i), line_of_offset(text, stop - 1), item))
        i = stop


def extract_json(
    text: str,
    warnings: Warnings,
    *,
    tolerant: bool = False,
    consequence: str = "the program that reads it would refuse it",
) -> list[JsonValue]:
    """Every top-level JSON array/object in ``text``, skipping transcript noise.

    Prompt lines, code fences and other lines outside the JSON are skipped with a
    warning. Several values (``docker network inspect a`` then ``… b``) are all
    returned, in order.

    Args:
        text: the decoded input.
        warnings: where skipped lines are reported.
        tolerant: blank out comments and trailing commas (with a warning naming
            ``consequence``) instead of failing on them.
        consequence: what happens to such a file in real life, for the warning.

    Raises:
        ParseError: no JSON value at all, or one that is not valid JSON; the line is
            the line of the original text where the JSON breaks.
    """
    decoder = json.JSONDecoder()
    found: list[JsonValue] = []
    skipped: list[int] = []
    numbered = lines(text)
    offsets = _line_offsets(text)
    idx = 0
    resume_at = 0
    while idx < len(numbered):
        ln = numbered[idx]
        start_off = offsets[idx] if idx < len(offsets) else len(text)
        if start_off < resume_at:
            idx += 1
            continue
        stripped = ln.text.strip()
        if not stripped:
            idx += 1
            continue
        if _FENCE.match(ln.text):
            warnings.add(ln.no, "skipped code-fence line")
            idx += 1
            continue
        first = stripped[0]
        if first in "[{":
            at = start_off + ln.text.index(first)
            work = _strip_jsonc(text, at, warnings, consequence) if tolerant else text
            try:
                value, stop = decoder.raw_decode(work, at)
            except json.JSONDecodeError as exc:
                if first == "[" and _looks_like_log_line(stripped):
                    skipped.append(ln.no)
                    idx += 1
                    continue
                raise ParseError(f"invalid JSON: {exc.msg}", line=line_of_offset(work, exc.pos)) from None
            if isinstance(value, list):
                items = tuple(_array_items(work, at, stop))
            else:
                items = ((ln.no, line_of_offset(work, stop - 1), value),)
            found.append(JsonValue(value, ln.no, line_of_offset(work, stop - 1), items))
            if tolerant:
                text = work
            resume_at = stop
            # the rest of the closing line (e.g. "]$ next-command") is noise
            idx += 1
            while idx < len(numbered) and offsets[idx] < stop:
                idx += 1
            continue
        cmd = prompt_command(ln.text)
        if cmd is not None:
            warnings.add(ln.no, f"skipped prompt line ({cmd!r})")
        else:
            skipped.append(ln.no)
        idx += 1
    _report_skipped(skipped, numbered, warnings)
    if not found:
        first_line = next((ln.no for ln in numbered if ln.text.strip()), 1)
        raise ParseError("no JSON array or object found", line=first_line)
    return found


def _looks_like_log_line(stripped: str) -> bool:
    """``[21:50:42.593][GoBackend…]`` or ``[WARN] …``: brackets that start a log line."""
    return bool(re.match(r"^\[[^\]\"{}\[]*\]", stripped))


def _report_skipped(skipped: list[int], numbered: list[Any], warnings: Warnings) -> None:
    """One warning per run of consecutive skipped lines, quoting the first."""
    runs: list[list[int]] = []
    for no in skipped:
        if runs and no == runs[-1][-1] + 1:
            runs[-1].append(no)
        else:
            runs.append([no])
    for run in runs:
        first = numbered[run[0] - 1].text.strip()
        warnings.add(run[0], f"skipped {len(run)} line(s) that are not JSON: {first[:60]!r}")


def get_ci(obj: Mapping[str, Any], *names: str) -> Any:
    """``obj[name]`` for the first of ``names`` present, compared case-insensitively.

    Go's ``encoding/json`` matches keys case-insensitively, so dockerd reads
    ``"Base"`` as ``"base"``; Docker Desktop wrote camelCase and now PascalCase.
    """
    lowered = {k.lower(): v for k, v in obj.items() if isinstance(k, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


class Locator:
    """Finds the line of a key or value, for warnings (``json`` keeps no positions).

    The lowered lines are kept joined, with each line's offset, so a search is one
    ``str.find`` per needle over the span asked for and a bisection for its line,
    not a Python loop over lines: a ``docker inspect`` of 200 containers asks some
    800 times, each from its container's first line onwards.
    """

    def __init__(self, text: str) -> None:
        self._lines = [ln.text.lower() for ln in lines(text)]
        self._text = "\n".join(self._lines)
        self._starts = list(accumulate((len(t) + 1 for t in self._lines[:-1]), initial=0))

    def find(self, needles: Iterable[str], start: int = 1, end: int | None = None) -> int:
        """First line in ``start..end`` containing any needle (case-insensitive), else ``start``."""
        stop = min(end if end is not None else len(self._lines), len(self._lines))
        first = max(start, 1)
        wanted = [n.lower() for n in needles if n]
        if first > stop or not wanted:
            return first
        if any("\n" in n for n in wanted):  # could span lines in the joined text: look line by line
            for no in range(first, stop + 1):
                if any(n in self._lines[no - 1] for n in wanted):
                    return no
            return first
        lo, hi = self._starts[first - 1], self._starts[stop - 1] + len(self._lines[stop - 1])
        hits = [at for at in (self._text.find(n, lo, hi) for n in wanted) if at >= 0]
        return bisect_right(self._starts, min(hits)) if hits else first

    def key(self, name: str, start: int = 1, end: int | None = None) -> int:
        """Line of ``"name":`` in ``start..end``."""
        return self.find([f'"{name}"'], start, end)

    def value(self, value: str, start: int = 1, end: int | None = None) -> int:
        """Line of the JSON string ``"value"`` in ``start..end``."""
        return self.find([json.dumps(value)[1:-1].join('""')], start, end)


def json_address(value: Any, line: int, warnings: Warnings, what: str, consequence: str) -> IPAddress | None:
    """An address from a JSON string value; anything else there warns at ``line``.

    Empty and missing values are simply no address. A string that is no address is
    usually a redaction or a cut-out paste, so the warning says so, then what the
    parser does instead (``consequence``: ``kept as unknown``, ``left out``).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    addr = ip_or_none(value)
    if addr is None:
        warnings.add(line, f"unreadable {what} {value!r} (redacted or cut?); {consequence}")
    return addr
