"""Graphviz: DOT text, and the SVG/PNG that the real ``dot`` binary draws."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest
from tests.render.kit import ARTIFACTS, HOSTILE, need_binary, tiny, z820

from netatlas.errors import NetatlasError
from netatlas.render import dot
from netatlas.render.export import FORMATS, render
from netatlas.render.scene import build_scene

SVG = "{http://www.w3.org/2000/svg}"


def _svg_texts(svg: bytes) -> tuple[ET.Element, str]:
    root = ET.fromstring(svg)
    texts = " ".join(" ".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    return root, " ".join(texts.split())


def test_dot_text_escapes_user_data() -> None:
    text = dot.export(build_scene(tiny())).decode()
    assert HOSTILE not in text and "<script>" not in text
    assert "&lt;/script&gt;" in text
    assert text.startswith("digraph netatlas {") and text.rstrip().endswith("}")


def test_z820_svg_holds_every_network_node_and_address() -> None:
    need_binary("dot", "Graphviz draws SVG and PNG")
    atlas = z820()
    svg = render(atlas, "svg")
    root, texts = _svg_texts(svg)
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert len(clusters) == len(atlas.networks)
    for net in atlas.networks:
        assert str(net.cidr) in texts, net.cidr
        assert net.kind in texts, net.kind
        for a in net.attachments:
            assert str(a.address) in texts, (net.cidr, a)
    for node in atlas.nodes:
        assert node.name in texts, node.name
    for f in atlas.forwards:
        assert f"{f.connect_address}" in texts
    assert "held by no node" in texts  # the stale portproxy target
    assert "Legend" in texts
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "z820.svg").write_bytes(svg)


def test_hostile_labels_stay_text_in_svg() -> None:
    need_binary("dot", "Graphviz draws SVG and PNG")
    svg = render(tiny(), "svg")
    root, texts = _svg_texts(svg)  # parses: nothing broke the XML
    assert not list(root.iter(f"{SVG}script"))
    assert "</script><script>window.pwned=1</script>" in texts


def test_png_is_a_png() -> None:
    need_binary("dot", "Graphviz draws SVG and PNG")
    png = render(z820(), "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "z820.png").write_bytes(png)


def test_missing_graphviz_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(dot.GraphvizMissingError) as info:
        render(z820(), "svg")
    message = str(info.value)
    assert isinstance(info.value, NetatlasError)
    assert "\n" not in message
    for hint in (
        "apt-get install graphviz",
        "brew install graphviz",
        "winget install graphviz",
        "mermaid",
        "md",
        "html",
    ):
        assert hint in message
    assert render(z820(), "dot").startswith(b"digraph")  # needs nothing


def test_formats_that_need_nothing() -> None:
    assert {name for name, f in FORMATS.items() if f.needs is None} == {"dot", "mermaid", "md", "html"}
