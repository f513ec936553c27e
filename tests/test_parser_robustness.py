"""Hostile input: random, truncated and mutated text may only raise ParseError.

For every parser kind, hypothesis feeds random bytes, random text and mutations of
the real fixtures (truncation, dropped/duplicated/shuffled lines, flipped characters,
lost indentation, foreign lines spliced in). Anything but ``ParseError`` escaping is
a bug; so is a ParseError whose message does not name a line.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import parser_cases
from netatlas.errors import ParseError
from netatlas.parsers import get_parser, kinds

_ALL = [p.read_bytes() for p in parser_cases()]
_BY_KIND = {k: [p.read_bytes() for p in parser_cases() if p.parent.name == k] for k in kinds()}
_LOC = re.compile(r"^x:\d+: \S")

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check(kind: str, data: bytes | str) -> None:
    try:
        facts = get_parser(kind).parse(data, source="x")
    except ParseError as exc:
        assert _LOC.match(str(exc)), str(exc)
        assert "\n" not in str(exc)
        return
    facts.to_dict()  # must serialise


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    seeds = _BY_KIND.get(kind) or _ALL
    base = draw(st.sampled_from(seeds))
    text = base.decode("utf-8", "replace") if not base.startswith(b"\xff\xfe") else base.decode("utf-16")
    lines = text.splitlines(keepends=True) or [""]
    op = draw(st.sampled_from(["truncate", "drop", "dup", "shuffle", "flip", "dedent", "splice", "bytes"]))
    if op == "truncate":
        return base[: draw(st.integers(0, len(base)))]
    if op == "drop":
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(i, min(len(lines), i + 8)))
        lines = lines[:i] + lines[j:]
    elif op == "dup":
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
    elif op == "shuffle":
        lines = draw(st.permutations(lines))
    elif op == "flip":
        chars = list("".join(lines))
        for _ in range(draw(st.integers(1, 20))):
            if chars:
                chars[draw(st.integers(0, len(chars) - 1))] = draw(st.characters())
        lines = ["".join(chars)]
    elif op == "dedent":
        lines = [re.sub(r"[ \t]+", " ", ln.lstrip()) for ln in lines]
    elif op == "splice":
        other = draw(st.sampled_from(_ALL)).decode("utf-8", "replace").splitlines(keepends=True)
        i = draw(st.integers(0, len(lines)))
        lines = lines[:i] + other[: draw(st.integers(0, 10))] + lines[i:]
    else:
        raw = bytearray(base)
        for _ in range(draw(st.integers(1, 10))):
            if raw:
                raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        return bytes(raw)
    return "".join(lines).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("kind", kinds())
@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(kind: str, data: bytes) -> None:
    _check(kind, data)


@pytest.mark.parametrize("kind", kinds())
@FUZZ
@given(data=st.text(max_size=2000))
def test_random_text(kind: str, data: str) -> None:
    _check(kind, data)


@pytest.mark.parametrize("kind", kinds())
@FUZZ
@given(data=st.data())
def test_mutated_fixtures(kind: str, data: st.DataObject) -> None:
    _check(kind, data.draw(mutated(kind)))


@pytest.mark.parametrize("kind", kinds())
def test_empty_input_is_a_located_error(kind: str) -> None:
    for empty in (b"", b"   \n\r\n", "\ufeff"):
        with pytest.raises(ParseError, match=r"^x:1: "):
            get_parser(kind).parse(empty, source="x")


@pytest.mark.parametrize("kind", kinds())
def test_wrong_encoding_is_a_located_error(kind: str) -> None:
    data = "line one\nzweite Zeile: Gr\u00fc\u00dfe\n".encode("latin-1")
    with pytest.raises(ParseError, match=r"^x:2: not UTF-8"):
        get_parser(kind).parse(data, source="x")
