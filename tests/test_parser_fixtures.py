"""Every parser fixture parses to the expected JSON stored beside it.

Layout: ``fixtures/parsers/<kind>/<case>.out`` (the raw output, byte for byte),
``<case>.json`` (``Facts.to_dict()``, checked by hand) and ``<case>.source`` (where
the output came from). ``python tests/tools/regen_expected.py FILE.out`` writes a
first ``.json`` to check by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import PARSER_FIXTURES, parser_cases
from netatlas.parsers import kinds, parse

CASES = parser_cases()


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_parses_to_expected(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    facts = parse(path.parent.name, path.read_bytes(), source=str(path))
    assert facts.to_dict() == expected


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_has_expected_and_source(path: Path) -> None:
    assert path.with_suffix(".json").is_file(), "expected JSON missing"
    src = path.with_suffix(".source")
    assert src.is_file() and src.read_text().strip(), "source note missing"


def test_fixture_folders_are_kinds() -> None:
    folders = {p.name for p in PARSER_FIXTURES.iterdir() if p.is_dir()}
    assert folders <= set(kinds())


@pytest.mark.parametrize("kind", kinds())
def test_every_kind_has_a_fixture(kind: str) -> None:
    assert list((PARSER_FIXTURES / kind).glob("*.out")), f"no fixture for {kind}"


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_auto_detects_fixture_kind(path: Path) -> None:
    """``parse auto`` names the same kind (fixtures marked ``.noauto`` are ambiguous)."""
    if path.with_suffix(".noauto").exists():
        pytest.skip("ambiguous on purpose: " + path.with_suffix(".noauto").read_text().strip())
    assert parse("auto", path.read_bytes()).kind == path.parent.name
