"""Mermaid: golden files (tiny hand-built atlas and z820) and label escaping."""

from __future__ import annotations

import pytest
from tests.render.kit import HOSTILE, check_golden, tiny, z820

from netatlas.render import mermaid
from netatlas.render.scene import build_scene


def test_golden_tiny() -> None:
    check_golden("tiny.mmd", mermaid.export(build_scene(tiny())).decode())


def test_golden_z820() -> None:
    check_golden("z820.mmd", mermaid.export(build_scene(z820())).decode())


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ('say "hi"', "say #34;hi#34;"),
        ("fe80::1%eth0", "fe80::1#37;eth0"),
        ("<b>&", "#60;b#62;#38;"),
        ("a|b", "a#124;b"),
        ("#35;", "#35;35;"),
        ("`x`", "#96;x#96;"),
        ("two\nlines", "two lines"),
        ("[::]:80", "[::]:80"),
    ],
)
def test_label_escaping(raw: str, safe: str) -> None:
    assert mermaid.label(raw) == safe


def test_no_raw_user_markup_reaches_the_chart() -> None:
    text = mermaid.export(build_scene(tiny())).decode()
    assert HOSTILE not in text and "<script" not in text and "<img" not in text
    for line in text.splitlines():
        assert line.count('"') % 2 == 0, line  # every label closes where it opened
