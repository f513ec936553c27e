"""Properties of cutting a transcript at prompts and into runs (hypothesis).

Transcripts are built from prompts of every form, commands (the parser's own, repeated,
and others) and output lines (random text, or real fixture lines), so the tests say
what must hold for any paste: no traceback, every line accounted for exactly once, the
last run of a repeated command is the one read, and a parser fed such a paste fails, if
at all, with one located line.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import parser_cases
from netatlas.errors import ParseError
from netatlas.parsers import get_parser, kinds, parse_parts
from netatlas.parsers._base import Warnings, prompt_command, same_command, segments, select_runs

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PROMPTS = ["PS C:\\Users\\me> ", "PS> ", "> ", "C:\\Users\\me>", "$ ", "# ", "/ # ", "me@box:~$ ", ">>> "]
OURS = ["wsl -l -v", "wsl --list --verbose", "wsl.exe -l -v"]
OTHERS = ["ipconfig /all", "Get-NetIPAddress", "docker network ls", "echo hi", "wsl --shutdown"]
WSL = [r"\bwsl(?:\.exe)?\s+(?:-l|--list)\b"]

# output lines: anything without a line break that no prompt pattern takes for a prompt
_line = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).filter(
    lambda t: (
        prompt_command(t) is None
        and not t.lstrip().startswith(("```", "~~~"))
        and not t.rstrip().endswith(("```", "~~~"))
    )
)


@st.composite
def transcript(draw: st.DrawFn) -> tuple[str, list[tuple[str, list[str]]]]:
    """A paste: ``[(command, output lines)]`` behind random prompts, and its text."""
    blocks = draw(
        st.lists(
            st.tuples(st.sampled_from(OURS + OTHERS), st.lists(_line, max_size=4)),
            min_size=0,
            max_size=6,
        )
    )
    head = draw(st.lists(_line, max_size=2))
    text = "".join(f"{t}\n" for t in head)
    for command, body in blocks:
        text += draw(st.sampled_from(PROMPTS)) + command + "\n" + "".join(f"{t}\n" for t in body)
    return text, [("", head), *blocks]


@PROPS
@given(st.text(max_size=800))
def test_cutting_any_text_never_raises(text: str) -> None:
    sel = select_runs(text, WSL, warnings=Warnings())
    for run in sel.earlier:
        assert 1 <= run.number < run.of
    segments(text, warnings=Warnings())


@PROPS
@given(transcript())
def test_every_prompt_is_found_and_every_line_lands_in_one_segment(
    paste: tuple[str, list[tuple[str, list[str]]]],
) -> None:
    text, blocks = paste
    segs = segments(text, warnings=Warnings())
    assert [s.command for s in segs if s.command is not None] == [c for c, _ in blocks[1:]]
    numbers = [ln.no for s in segs for ln in s.lines] + [s.prompt_line for s in segs if s.prompt_line is not None]
    assert sorted(numbers) == list(range(1, len(text.split("\n")) + 1))


@PROPS
@given(transcript())
def test_the_last_run_of_a_repeated_command_is_the_one_read(paste: tuple[str, list[tuple[str, list[str]]]]) -> None:
    text, blocks = paste
    sel = select_runs(text, WSL, warnings=Warnings())
    ours = [(c, [t for t in b]) for c, b in blocks[1:] if c in OURS and any(t.strip() for t in b)]
    if not ours:
        return
    groups: dict[str, list[list[str]]] = {}
    for command, body in ours:
        groups.setdefault(same_command(command), []).append(body)
    read = [ln.text for ln in sel.lines if ln.text.strip()]
    latest = [t.rstrip() for bodies in groups.values() for t in bodies[-1] if t.strip()]
    assert sorted(read) == sorted(latest)
    assert len(sel.earlier) == sum(len(bodies) - 1 for bodies in groups.values())
    assert all(run.of == len(groups[same_command(run.command)]) for run in sel.earlier)


_FIXTURE_LINES = [
    ln for p in parser_cases() for ln in p.read_bytes().decode("utf-8", "replace").splitlines()[:40] if ln.strip()
]
_LOC = re.compile(r"^x:\d+: \S")


@st.composite
def pasted_fixture(draw: st.DrawFn) -> str:
    """Real output lines of any kind, cut into runs behind prompts of any form."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        command = draw(
            st.sampled_from(OURS + OTHERS + ["ip addr", "route print", "netsh interface portproxy show all"])
        )
        body = draw(st.lists(st.sampled_from(_FIXTURE_LINES), max_size=12))
        parts.append(draw(st.sampled_from(PROMPTS)) + command + "\n" + "\n".join(body) + "\n")
    chosen = draw(st.lists(st.sampled_from(parts), min_size=1, max_size=5))  # repeats make repeated runs
    return "".join(chosen)


@pytest.mark.parametrize(
    "kind", ["wsl-list", "ipconfig", "ip-addr", "route-print", "docker-network-ls", "netsh-portproxy"]
)
@PROPS
@given(text=pasted_fixture())
def test_pasted_runs_parse_or_fail_on_one_located_line(kind: str, text: str) -> None:
    try:
        facts = get_parser(kind).parse(text, source="x")
    except ParseError as exc:
        assert _LOC.match(str(exc)) and "\n" not in str(exc), str(exc)
        return
    facts.to_dict()
    for w in facts.warnings:
        assert "\n" not in w.message and w.line >= 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=pasted_fixture())
def test_parse_auto_on_any_paste_gives_parts_or_one_located_error(text: str) -> None:
    try:
        facts, parts = parse_parts(text, source="x")
    except ParseError as exc:
        assert _LOC.match(str(exc)) and "\n" not in str(exc), str(exc)
        return
    assert parts and facts.kind == parts[0].kind and all(p.kind in kinds() for p in parts)
    assert list(facts.warnings) == sorted(facts.warnings, key=lambda w: w.line)
