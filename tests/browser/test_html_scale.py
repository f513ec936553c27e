"""The HTML map of a 60-container host in a real Chromium: legible at Fit, zooms to hits, expands replicas."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.browser.test_html_map import _click_node, _console_errors, _details, _open
from tests.render.kit import ARTIFACTS
from tests.render.test_scale import _with_replicas, big

from netatlas.model.atlas import Atlas


def _big60() -> Atlas:
    return _with_replicas(big(60, 12), "perf/worker", 4)


def _in_view(browser: Any, eid: str) -> bool:
    return bool(
        browser.execute_script(
            "var cy = window.netatlasMap.cy, e = cy.getElementById(arguments[0]), b = e.renderedBoundingBox();"
            "return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= cy.width() && b.y2 <= cy.height();",
            eid,
        )
    )


def _settle(browser: Any) -> None:
    time.sleep(0.5)  # the 250 ms camera animation


def test_fit_at_60_containers_is_legible(browser: Any, tmp_path: Path) -> None:
    _open(browser, _big60(), tmp_path)
    browser.execute_script("document.getElementById('fit').click();")
    _settle(browser)
    assert _console_errors(browser) == []
    zoom, tallest, visible = browser.execute_script(
        "var cy = window.netatlasMap.cy, ns = cy.nodes('.machine:visible');"
        "return [cy.zoom(), Math.min.apply(null, ns.map(function (n) { return n.renderedHeight(); })), ns.length];"
    )
    assert zoom > 0.2, zoom  # the minimum zoom is 0.1: it used to bottom out there
    assert tallest >= 12, tallest  # the smallest box is still a readable size
    assert visible == 60 - 4 + 1 + 1 + 1  # 56 containers, one replica box, the host, its router
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "html-map-big60-fit.png"))


def test_search_hit_is_brought_into_view(browser: Any, tmp_path: Path) -> None:
    _open(browser, _big60(), tmp_path)
    browser.execute_script("document.getElementById('fit').click();")
    _settle(browser)
    hits = browser.execute_script("return window.netatlasMap.search('svc059');")
    assert hits
    browser.execute_script("document.querySelector('#result-list button').click();")
    _settle(browser)
    target = hits[0]["id"]
    assert browser.execute_script("return window.netatlasMap.cy.zoom()") >= 1
    assert _in_view(browser, target)
    assert browser.execute_script("return window.netatlasMap.cy.getElementById(arguments[0]).selected()", target)
    browser.save_screenshot(str(ARTIFACTS / "html-map-big60-search.png"))


def test_replica_box_expands_into_its_containers(browser: Any, tmp_path: Path) -> None:
    atlas = _big60()
    _open(browser, atlas, tmp_path)
    box = browser.execute_script("return window.netatlasMap.data.replicas[0].id")
    members = browser.execute_script("return window.netatlasMap.data.replicas[0].members")
    assert len(members) == 4
    assert not browser.execute_script("return window.netatlasMap.cy.getElementById(arguments[0]).visible()", members[0])
    _click_node(browser, box)
    text = _details(browser)
    assert "worker ×4" in text and "compose service perf/worker" in text
    browser.execute_script("document.getElementById('expand-replicas').click();")
    _settle(browser)
    shown = browser.execute_script(
        "var cy = window.netatlasMap.cy;"
        "return arguments[0].map(function (m) { return cy.getElementById(m).visible(); });",
        members,
    )
    assert shown == [True] * 4
    assert not browser.execute_script("return window.netatlasMap.cy.getElementById(arguments[0]).visible()", box)
    # expanded, no two boxes overlap
    overlaps = browser.execute_script(
        "var ns = window.netatlasMap.cy.nodes('.machine:visible').map(function (n) { return n.boundingBox(); });"
        "var bad = 0; for (var i = 0; i < ns.length; i++) { for (var j = i + 1; j < ns.length; j++) {"
        "var a = ns[i], b = ns[j]; if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) { bad++; } } }"
        "return bad;"
    )
    assert overlaps == 0
    assert _console_errors(browser) == []
