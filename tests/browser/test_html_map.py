"""The HTML map in a real browser: loads offline, clicks, highlights, searches, escapes."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.render.kit import ARTIFACTS, HOSTILE, tiny, z820

from netatlas.model.atlas import Atlas, Finding
from netatlas.render.export import render


def _open(browser: Any, atlas: Atlas, tmp_path: Path, name: str = "map.html") -> str:
    page = tmp_path / name
    page.write_bytes(render(atlas, "html"))
    url = page.as_uri()
    browser.get(url)
    deadline = time.monotonic() + 15
    while not browser.execute_script("return !!(window.netatlasMap && window.netatlasMap.ready)"):
        assert time.monotonic() < deadline, "the map did not start"
        time.sleep(0.05)
    return url


def _console_errors(browser: Any) -> list[dict[str, Any]]:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _requests(browser: Any, url: str) -> list[str]:
    """Every URL the page asked for (except itself), and anything at all sent to a network.

    The log also holds the browser's own start-up (its new-tab page on ``chrome://``),
    so a request counts when our page started it or when it leaves the machine.
    """
    out = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] != "Network.requestWillBeSent":
            continue
        requested = msg["params"]["request"]["url"]
        ours = msg["params"].get("documentURL") == url
        remote = requested.split(":", 1)[0].lower() in {"http", "https", "ws", "wss", "ftp"}
        if requested != url and (ours or remote):
            out.append(requested)
    return out


def _click_node(browser: Any, node_id: str) -> None:
    """A real mouse click on the node's place on the canvas."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.ID, "cy")
    x, y = browser.execute_script(
        "var p = window.netatlasMap.cy.getElementById(arguments[0]).renderedPosition(); return [p.x, p.y];", node_id
    )
    size = box.size
    ActionChains(browser).move_to_element_with_offset(
        box, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()


def _details(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.ID, "details").text)


def test_z820_loads_offline_without_errors(browser: Any, tmp_path: Path) -> None:
    url = _open(browser, z820(), tmp_path)
    time.sleep(0.3)
    assert _console_errors(browser) == []
    assert _requests(browser, url) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    counts = browser.execute_script("var cy = window.netatlasMap.cy; return [cy.nodes().length, cy.edges().length];")
    atlas = z820()
    assert counts[0] == len(atlas.networks) + len(atlas.nodes) + 1  # + the stale forward's target
    assert counts[1] > 0
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "html-map-z820.png"))


def test_click_on_the_kali_vm_shows_its_eth0(browser: Any, tmp_path: Path) -> None:
    _open(browser, z820(), tmp_path)
    kali = browser.execute_script(
        "return window.netatlasMap.data.nodes"
        ".filter(function (n) { return n.vantages.indexOf('kali-linux') >= 0; })[0].id"
    )
    _click_node(browser, kali)
    text = _details(browser)
    assert "WSL 2 VM" in text and "kali-linux" in text
    assert "eth0" in text and "172.25.150.37" in text
    assert "z820" in text and "127.0.1.1" in text  # what names resolve to from there
    assert "/etc/hosts line 5" in text
    assert browser.execute_script("return window.netatlasMap.cy.getElementById(arguments[0]).selected()", kali)
    browser.save_screenshot(str(ARTIFACTS / "html-map-z820-kali.png"))
    assert _console_errors(browser) == []


def test_click_on_a_finding_highlights_its_networks(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    atlas = z820()
    nets = {str(n.cidr): n.id for n in atlas.networks}
    overlap = Finding(
        "pool-overlap",
        "error",
        "172.18.0.0/16 and 192.168.65.0/24 are highlighted together",
        "A finding added by the test, so one with networks exists whatever the analyses say.",
        networks=(nets["172.18.0.0/16"], nets["192.168.65.0/24"]),
        nodes=("node:container:web",),
    )
    atlas = replace(atlas, findings=(*atlas.findings, overlap))
    _open(browser, atlas, tmp_path)
    fid = f"k{len(atlas.findings) - 1}"
    browser.find_element(By.ID, f"finding-{fid}").click()
    time.sleep(0.4)
    state = browser.execute_script(
        """var m = window.netatlasMap, out = {};
           m.data.groups.forEach(function (g) { var e = m.cy.getElementById(g.id);
             out[g.cidr] = e.hasClass('hl') ? 'hl' : (e.hasClass('faded') ? 'faded' : ''); });
           m.data.nodes.forEach(function (n) { var e = m.cy.getElementById(n.id);
             out[n.name] = e.hasClass('hl') ? 'hl' : (e.hasClass('faded') ? 'faded' : ''); });
           return out;"""
    )
    assert state["172.18.0.0/16"] == "hl" and state["192.168.65.0/24"] == "hl"
    assert state["web"] == "hl" and state["db"] == "hl"  # inside a highlighted network
    assert state["10.1.0.0/16"] == "faded" and state["Z820"] == "faded"
    assert "highlighted together" in _details(browser)
    browser.save_screenshot(str(ARTIFACTS / "html-map-z820-finding.png"))
    # a finding of the analyses themselves: the stale portproxy rule concerns the host
    stale = next(i for i, f in enumerate(atlas.findings) if f.code == "stale-forward")
    browser.find_element(By.ID, f"finding-k{stale}").click()
    time.sleep(0.3)
    assert browser.execute_script("return window.netatlasMap.cy.getElementById('n0').hasClass('hl')")
    assert "netsh interface portproxy" in _details(browser)
    assert _console_errors(browser) == []


def test_search_finds_names_and_addresses(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, z820(), tmp_path)
    box = browser.find_element(By.ID, "search")
    box.send_keys("172.18.0.3")
    results = browser.find_element(By.ID, "results").text
    assert "db" in results and "172.18.0.3" in results
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("host.docker.internal")
    results = browser.find_element(By.ID, "results").text
    assert "192.168.65.254" in results and "192.168.1.155" in results
    box.send_keys(Keys.ENTER)  # selects the first hit and shows it
    assert "host.docker.internal" in _details(browser)
    assert _console_errors(browser) == []


def test_hostile_names_stay_text(browser: Any, tmp_path: Path) -> None:
    url = _open(browser, tiny(), tmp_path)
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert browser.execute_script("return document.scripts.length") == 3
    browser.execute_script("window.netatlasMap.select('n2')")
    assert HOSTILE in _details(browser)
    assert browser.execute_script("return window.pwned === undefined")
    assert _requests(browser, url) == []
    assert _console_errors(browser) == []


def test_the_request_log_would_see_a_request(browser: Any, tmp_path: Path) -> None:
    """Control: the check above is not blind (a page that loads an image is caught)."""
    (tmp_path / "dot.png").write_bytes(b"")
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><img src="dot.png"></body></html>'
    )
    browser.get(page.as_uri())
    time.sleep(0.3)
    assert _requests(browser, page.as_uri()) == [(tmp_path / "dot.png").as_uri()]
