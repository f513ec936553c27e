"""``netatlas verify`` (no --lab): exit status, the bug-report hint, and the JSON against its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netatlas.verify import ATTACH, Check, LiveReport

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema" / "verify.schema.json"


def _report(disagree: bool) -> LiveReport:
    checks = [
        Check("tcp", "host", "127.0.0.1:8080", "delivered (open)", "open", "agree", "vm: 0.0.0.0:8080 accepts it"),
        Check("tcp", "container:a", "172.18.0.3:80", "arrives; accepted? unknown", "open", "unknown", "b: arrives"),
        Check("route", "container:a", "172.19.0.2", "via 172.18.0.1 dev eth0", "via 172.18.0.1 dev eth0", "agree"),
    ]
    if disagree:
        checks.append(
            Check(
                "tcp",
                "container:a",
                "172.19.0.2:80",
                "filtered (no answer)",
                "open",
                "disagree",
                "vm: Docker isolates bridge networks from each other",
            )
        )
    return LiveReport("laptop", tuple(checks), ("host: 6 name lookups not asked",), places=2, sent={"tcp": 3})


@pytest.mark.parametrize("disagree", [True, False])
def test_json_matches_the_schema_and_exit_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], disagree: bool
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from netatlas.cli import main

    seen: dict[str, Any] = {}

    def fake(**kw: Any) -> LiveReport:
        seen.update(kw)
        return _report(disagree)

    monkeypatch.setattr("netatlas.verify.verify_machine", fake)
    code = 0
    try:
        main(["verify", "--json", "--max-probes", "50", "--timeout", "0.5"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert code == (1 if disagree else 0)
    assert seen == {"limit": 50, "timeout": 0.5}
    assert doc["unknown"] == 1 and doc["attach"] == ATTACH
    assert len(doc["disagreements"]) == (1 if disagree else 0)


def test_text_says_what_to_attach_to_a_bug_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from netatlas.cli import main

    monkeypatch.setattr("netatlas.verify.verify_machine", lambda **_k: _report(True))
    with pytest.raises(SystemExit) as exc:
        main(["verify"])
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "XX tcp    container:a 172.19.0.2:80" in out
    assert "decided at vm: Docker isolates bridge networks from each other" in out
    assert "1 unknown (the atlas does not say" in out
    assert f"bug report (netatlas verify --json > verify.json), with the scan, addresses rewritten: {ATTACH}" in out
    assert "only to this machine's own addresses and loopback" in out


@pytest.mark.parametrize("args", [["--max-probes", "0"], ["--timeout", "0"]])
def test_bad_bounds_are_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from netatlas.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["verify", *args])
    assert exc.value.code == 2
