"""``netatlas render`` and ``netatlas map --html/--svg``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.render.kit import ROOT, need_binary

from netatlas.cli import main

Z820 = str(ROOT / "examples" / "z820")


@pytest.mark.parametrize(
    ("fmt", "start"),
    [("dot", b"digraph"), ("mermaid", b"flowchart"), ("md", b"# netatlas"), ("html", b"<!DOCTYPE html>")],
)
def test_render_formats_that_need_nothing(tmp_path: Path, fmt: str, start: bytes) -> None:
    out = tmp_path / f"map.{fmt}"
    assert main(["render", "--bundle", Z820, "--format", fmt, "-o", str(out)]) == 0
    assert out.read_bytes().startswith(start)


def test_render_svg(tmp_path: Path) -> None:
    need_binary("dot", "Graphviz draws SVG")
    out = tmp_path / "map.svg"
    assert main(["render", "--bundle", Z820, "--format", "svg", "-o", str(out)]) == 0
    assert b"<svg" in out.read_bytes()


def test_unknown_format_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["render", "--bundle", Z820, "--format", "gif", "-o", str(tmp_path / "x")])
    assert info.value.code == 2
    assert "choose one of svg, png, dot, mermaid, md, html" in capsys.readouterr().err


def test_map_writes_html_beside_the_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "map.html"
    assert main(["map", "--bundle", Z820, "--html", str(out)]) == 0
    assert out.read_bytes().startswith(b"<!DOCTYPE html>")
    assert "172.25.144.0/20" in capsys.readouterr().out


def test_render_json_says_what_was_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    out = tmp_path / "map.mmd"
    assert main(["render", "--bundle", Z820, "--format", "mermaid", "-o", str(out), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said == {"output": str(out), "format": "mermaid", "bytes": out.stat().st_size}
