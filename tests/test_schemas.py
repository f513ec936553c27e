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
