"""Documentation that is generated stays in step with the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_parser_docs_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "tools" / "gen_parser_docs.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (ROOT / "docs" / "parsers.md").read_text(encoding="utf-8") == gen.render(), (
        "docs/parsers.md is stale: run python3 tools/gen_parser_docs.py"
    )


def test_readme_gives_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m pip install . && netatlas map" in readme
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest -q" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m pip install -q -e '.[test]' && python3 -m pytest -q" in ci
