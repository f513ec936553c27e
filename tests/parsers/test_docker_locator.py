"""``Locator.find`` (one ``str.find`` per needle over the joined text) against the line-by-line search it replaced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.parsers._base import lines
from netatlas.parsers._docker import Locator


def _by_line(text: str, needles: list[str], start: int, end: int | None) -> int:
    """The search as it was: each line of ``start..end`` in turn."""
    low = [ln.text.lower() for ln in lines(text)]
    stop = min(end if end is not None else len(low), len(low))
    wanted = [n.lower() for n in needles if n]
    for no in range(max(start, 1), stop + 1):
        if any(n in low[no - 1] for n in wanted):
            return no
    return max(start, 1)


_ALPHABET = st.sampled_from(list('ab": \n\r\tİK{}'))  # İ lowers to two characters


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(_ALPHABET, max_size=60),
    needles=st.lists(st.text(_ALPHABET, max_size=4), max_size=3),
    start=st.integers(-1, 12),
    end=st.one_of(st.none(), st.integers(-1, 12)),
)
def test_find_agrees_with_the_line_by_line_search(text: str, needles: list[str], start: int, end: int | None) -> None:
    assert Locator(text).find(needles, start, end) == _by_line(text, needles, start, end)


def test_key_and_value_in_a_docker_inspect() -> None:
    text = '[\n  {\n    "Id": "abc",\n    "Name": "/web"\n  },\n  {\n    "Id": "def",\n    "Name": "/DB"\n  }\n]\n'
    loc = Locator(text)
    assert loc.key("Name") == 4
    assert loc.key("Name", start=5) == 8
    assert loc.value("/db", start=6, end=9) == 8
    assert loc.value("/db", start=1, end=7) == 1  # not in range: the start
