"""The fleet page in a real headless Chromium: sign in, ask for a range, follow a machine to its map."""

from __future__ import annotations

import time
from typing import Any

from tests.fleet.conftest import Z820, Fleet

from netatlas import read_bundle
from netatlas.fleet.push import prepare, send


def _wait(browser: Any, script: str, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not browser.execute_script(script):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_page_queries_collisions_and_links_each_machine_to_its_map(fleet: Fleet, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    bundle = read_bundle(Z820)
    send(fleet.url, fleet.agent_token(), prepare(bundle))
    hostile = "<img src=x onerror=window.pwned=1>"
    send(fleet.url, fleet.agent_token(), prepare(bundle, machine=hostile))

    browser.get(f"{fleet.url}/")  # no cookie yet: sent to the sign-in form
    assert browser.current_url.endswith("/login")
    browser.find_element(By.ID, "token").send_keys("na_admin_wrong")
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    # the form posts and the page comes back: wait for it (reading at once raced the reply)
    _wait(browser, "return !!document.getElementById('error')", "no error for a wrong token")
    assert "not an admin token" in browser.find_element(By.ID, "error").text
    browser.find_element(By.ID, "token").send_keys(fleet.admin)
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    _wait(browser, "return !!document.getElementById('collisions-form')", "the page did not open after sign-in")

    field = browser.find_element(By.ID, "cidr")
    field.send_keys("192.168.65.0/24")
    browser.find_element(By.CSS_SELECTOR, "#collisions-form button").click()
    _wait(browser, "return !!document.getElementById('results')", "no results table")
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tr.hit")
    machines = {r.get_attribute("data-machine") for r in rows}
    assert machines == {"Z820", hostile}  # the hostile name is text, not markup
    assert browser.execute_script("return window.pwned") is None
    kinds = {
        (r.find_element(By.CSS_SELECTOR, "td.cidr").text, r.find_element(By.CSS_SELECTOR, ".kind").text) for r in rows
    }
    assert ("192.168.65.0/24", "docker-desktop-vm") in kinds
    assert "2 machines overlap 192.168.65.0/24" in browser.find_element(By.ID, "results-title").text

    codes = {r.get_attribute("data-code"): r for r in browser.find_elements(By.CSS_SELECTOR, "#findings tbody tr")}
    assert "stale-forward" in codes and codes["stale-forward"].find_element(By.CLASS_NAME, "machines").text == "2"

    bad = browser.find_element(By.ID, "cidr")
    bad.clear()
    bad.send_keys("10.20.0.0/33")
    browser.find_element(By.CSS_SELECTOR, "#collisions-form button").click()
    _wait(browser, "return !!document.getElementById('error')", "no error for a bad range")
    assert "not a CIDR" in browser.find_element(By.ID, "error").text

    browser.get(f"{fleet.url}/?cidr=192.168.65.0/24")
    browser.get_log("browser")  # the 401 and 400 above were meant; the map must load cleanly
    link = next(a for a in browser.find_elements(By.CSS_SELECTOR, "#results a.machine") if a.text == "Z820")
    link.click()
    _wait(browser, "return !!(window.netatlasMap && window.netatlasMap.ready)", "the machine's map did not start")
    assert "/machines/" in browser.current_url and browser.current_url.endswith("/map")
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not severe, severe
