"""HTML map, checked without a browser: offline, escaped, data intact (see tests/browser)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from tests.render.kit import HOSTILE, tiny, z820

from netatlas.render import html
from netatlas.render.scene import build_scene

VENDOR = Path(html.__file__).parent / "vendor"


def _page(atlas: object = None) -> str:
    return html.export(build_scene(tiny() if atlas is None else atlas)).decode()  # type: ignore[arg-type]


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, flags=re.S)


def test_no_external_references() -> None:
    page = _page(z820())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, flags=re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, flags=re.I)
    assert '<link rel="icon" href="data:,">' in page  # no favicon request either


def test_csp_allows_exactly_the_inline_scripts() -> None:
    page = _page()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    scripts = _scripts(page)
    assert len(scripts) == 2  # the library and the app; the data block is type=application/json
    for code in scripts:
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_data_block_round_trips_hostile_text() -> None:
    page = _page()
    assert HOSTILE not in page
    assert page.count("</script>") == 3  # the data block and two scripts close once each
    block = re.search(r'<script type="application/json" id="netatlas-data">(.*?)</script>', page, flags=re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert any(n["name"] == HOSTILE for n in data["nodes"])
    assert any(f["title"].endswith(HOSTILE) for f in data["findings"])


def test_script_json_escapes_what_html_parsers_see() -> None:
    text = html.script_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_library_is_vendored_with_its_licence() -> None:
    meta = json.loads((VENDOR / "VENDOR.json").read_text())["cytoscape"]
    js = (VENDOR / meta["file"]).read_bytes()
    assert hashlib.sha256(js).hexdigest() == meta["sha256"]
    assert meta["license"] == "MIT"
    licence = (VENDOR / meta["licence_file"]).read_text()
    assert "Permission is hereby granted" in licence
    page = _page()
    assert "cytoscape (MIT), vendored by netatlas" in page and "Permission is hereby granted" in page


def test_every_node_and_finding_is_in_the_data() -> None:
    atlas = z820()
    block = re.search(r'id="netatlas-data">(.*?)</script>', _page(atlas), flags=re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert [n["name"] for n in data["nodes"]] == [n.name for n in atlas.nodes]
    assert [g["cidr"] for g in data["groups"]] == [str(n.cidr) for n in atlas.networks]
    assert len(data["findings"]) == len(atlas.findings)
    assert all("x" in n["pos"] and "y" in n["pos"] for n in data["nodes"])
