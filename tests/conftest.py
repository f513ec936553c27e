"""Shared test helpers: where fixtures live and how to load them."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PARSER_FIXTURES = FIXTURES / "parsers"


def parser_cases() -> list[Path]:
    """Every ``tests/fixtures/parsers/<kind>/<case>.out`` input."""
    return sorted(PARSER_FIXTURES.glob("*/*.out"))


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
