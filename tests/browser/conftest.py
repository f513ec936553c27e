"""A real headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven by Selenium.

Skips with the reason where Chromium, its driver or Selenium is missing; fails instead
in CI (``CI`` set), where ``.ci/run`` installs them, so the browser tests never
silently vanish there. Nothing is downloaded: the browser and driver paths are given.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("NETATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NETATLAS_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--window-size=1600,1000",
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason} (.ci/run installs chromium, chromium-driver, selenium)")
    pytest.skip(reason)


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh headless Chromium with console and network logging, and its own profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[test]')")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            _unavailable(f"{path} not found (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="netatlas-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
