"""Without root: the namespaces that cannot be entered are named, and the rest is verified."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netatlas.verify.report import LiveReport, table

SRC = Path(__file__).resolve().parents[2] / "src"
_SNIPPET = """
import json
from netatlas.verify.kernel import open_namespace
from netatlas.verify.places import Place
from netatlas.verify.run import _enter
kept, spaces, failed = _enter(
    [Place("container:web", "node:web", "netns", "/proc/1/ns/net", kernel=True),
     Place("host", "node:host", "self", kernel=True)],
    open_namespace, None)
print(json.dumps({"kept": [p.vantage for p in kept], "failed": failed, "asked": sorted(spaces)}))
"""


def test_without_privileges_its_own_namespace_is_entered_and_the_others_named() -> None:
    """A process with no capabilities at all (what a user without root has): ``setns`` is refused."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (to drop every capability) and setpriv")
    argv = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--", sys.executable, "-c", _SNIPPET]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["kept"] == ["host"] and got["asked"] == ["node:host"]
    ((place, why),) = got["failed"]
    assert place == "container:web" and "not permitted" in why and "run as root" in why


def test_the_report_says_which_namespaces_were_not_entered() -> None:
    r = LiveReport(
        "laptop", (), not_entered=(("container:web", "entering /proc/42/ns/net is not permitted"),), places=1
    )
    text = "\n".join(table(r))
    assert "not entered (1), the rest verified:" in text and "container:web" in text
    assert r.to_dict()["not_entered"] == [
        {"place": "container:web", "why": "entering /proc/42/ns/net is not permitted"}
    ]
