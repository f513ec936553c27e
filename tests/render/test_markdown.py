"""Markdown report: golden file, sections, escaping."""

from __future__ import annotations

from tests.render.kit import HOSTILE, check_golden, tiny, z820

from netatlas.render import markdown
from netatlas.render.scene import build_scene


def test_golden_tiny() -> None:
    check_golden("tiny.md", markdown.export(build_scene(tiny())).decode())


def test_z820_report_has_map_names_findings_and_diagram() -> None:
    atlas = z820()
    text = markdown.export(build_scene(atlas)).decode()
    for heading in ("## Networks", "## Forwards", "## Names", f"## Findings ({len(atlas.findings)})", "## Map"):
        assert f"\n{heading}\n" in text
    for net in atlas.networks:
        assert f"| `{net.cidr}` |" in text
    assert "```mermaid\nflowchart TB\n" in text
    assert "| z820 | kali-linux | `127.0.1.1` | hosts | /etc/hosts line 5, written by WSL | yes |" in text
    for f in atlas.findings:
        assert markdown.md(f.title) in text
        if f.fix:
            assert f.fix.splitlines()[0] in text


def test_escaping_keeps_user_text_in_its_cell_and_block() -> None:
    text = markdown.export(build_scene(tiny())).decode()
    assert HOSTILE not in text and "<script>" not in text
    assert "br-\\[x\\] \\| \\*y\\*" in text  # brackets, pipe and stars escaped in the table
    assert "````text\n" in text  # the fix holds ``` so its fence is longer
    table_rows = [ln for ln in text.splitlines() if ln.startswith("| ")]
    widths = {
        ln.count(" | ") - ln.count("\\| ") for ln in table_rows if "Applications get it" in ln or "`192.0.2.99`" in ln
    }
    assert len(widths) == 1


def test_md_escape() -> None:
    assert markdown.md("C:\\x|y <b> *z*") == "C:\\\\x\\|y &lt;b&gt; \\*z\\*"
    assert markdown.fence("a\n```\nb") == ["````", "a", "```", "b", "````"]


def test_report_has_each_name_row_once() -> None:
    from collections import Counter

    from netatlas.render.export import render

    text = render(z820(), "md").decode()
    rows = Counter(ln for ln in text.splitlines() if ln.startswith("| ") and "---" not in ln)
    assert [r for r, n in rows.items() if n > 1] == []
    assert sum(1 for r in rows if r.startswith("| Z820.fios-router.home |")) == 1


def test_text_map_does_not_double_parentheses() -> None:
    from netatlas.render import atlas_text

    out = "\n".join(atlas_text.lines(z820()))
    assert "WSL 2 VM (hosts file)" in out and "((" not in out
