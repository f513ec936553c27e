"""The published JSON Schemas describe what netatlas really prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import parser_cases
from netatlas.parsers import parse

jsonschema = pytest.importorskip("jsonschema")
SCHEMAS = Path(__file__).parents[1] / "docs" / "schema"


@pytest.mark.parametrize("path", parser_cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parse_output_matches_facts_schema(path: Path) -> None:
    schema = json.loads((SCHEMAS / "facts.schema.json").read_text())
    facts = parse(path.parent.name, path.read_bytes())
    jsonschema.validate(facts.to_dict(), schema)


def test_schemas_are_valid_json_schema() -> None:
    for file in SCHEMAS.glob("*.json"):
        jsonschema.Draft202012Validator.check_schema(json.loads(file.read_text()))


Z820 = str(Path(__file__).resolve().parents[1] / "examples" / "z820")


@pytest.mark.parametrize(
    ("schema", "args"),
    [
        ("plan", ["plan", "--bundle", Z820, "--reserve", "10.0.0.0/8"]),
        ("why", ["why", "lan", "db:5432", "--bundle", Z820]),
        ("why", ["why", "lan", "web:80", "--bundle", Z820]),
        ("resolve", ["resolve", "host.docker.internal", "--bundle", Z820]),
        ("diff", ["diff", Z820, Z820]),
        ("atlas", ["map", "--bundle", Z820]),
    ],
)
def test_cli_json_outputs_match_their_schemas(schema: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from netatlas.cli import EXIT_NO, main

    try:
        status = main([*args, "--json"])
    except SystemExit as exc:  # why's "does not reach" is an answer, with its own status
        status = int(exc.code or 0)
    assert status in ((0, EXIT_NO) if schema == "why" else (0,))
    jsonschema.validate(
        json.loads(capsys.readouterr().out), json.loads((SCHEMAS / f"{schema}.schema.json").read_text())
    )


def test_history_and_scan_json_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from netatlas.cli import main

    monkeypatch.setenv("NETATLAS_HOME", str(tmp_path))
    assert main(["scan", "-o", str(tmp_path / "b.zip"), "--only", "hosts", "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), json.loads((SCHEMAS / "scan.schema.json").read_text()))
    assert main(["history", "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), json.loads((SCHEMAS / "history.schema.json").read_text()))


def test_redact_render_and_lab_json_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from netatlas.cli import main
    from netatlas.lab.build import LabStatus

    def check(schema: str, doc: object) -> None:
        jsonschema.validate(doc, json.loads((SCHEMAS / f"{schema}.schema.json").read_text()))

    key = tmp_path / "k.key"
    assert main(["redact", Z820, "-o", str(tmp_path / "red"), "--key-file", str(key), "--json"]) == 0
    check("redact", json.loads(capsys.readouterr().out))
    assert main(["render", "--bundle", Z820, "--format", "mermaid", "-o", str(tmp_path / "m.mmd"), "--json"]) == 0
    check("render", json.loads(capsys.readouterr().out))
    monkeypatch.setattr("netatlas.lab.status", lambda: [])
    assert main(["lab", "status", "--json"]) == 0
    check("lab", json.loads(capsys.readouterr().out))
    st = LabStatus("z820", "z820", (("win", "na-lab-x-win", ("host",)),), 8, 8, 9, 9, "2026-11-28T12:00:00+00:00")
    check("lab", st.to_dict())  # lab up prints the lab's status
    check("lab", {"labs": [st.to_dict()]})
    check("lab", {"lab": "z820", "removed": ["netns na-lab-x-win"]})  # lab down
