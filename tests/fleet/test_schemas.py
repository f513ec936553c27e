"""Every fleet command's --json output, and the push document, match their schemas in docs/schema/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.fleet.conftest import REPO, Z820, Fleet

from netatlas import read_bundle
from netatlas.cli import main
from netatlas.fleet.push import prepare

jsonschema = pytest.importorskip("jsonschema")
SCHEMAS = REPO / "docs" / "schema"


def _validator(name: str) -> Any:
    from referencing import Registry, Resource

    docs = {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.schema.json")}
    registry = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs.values() if "$id" in doc
    )
    return jsonschema.Draft202012Validator(docs[f"{name}.schema.json"], registry=registry)


def _check(name: str, doc: object) -> None:
    _validator(name).validate(doc)


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_push_document_matches_its_schema() -> None:
    _check("push-document", prepare(read_bundle(Z820)).document)
    _check("push-document", prepare(read_bundle(Z820), key=b"k" * 32).document)


@pytest.mark.parametrize("redacted", [False, True], ids=["plain", "redacted"])
def test_fleet_commands_json_match_their_schemas(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str], redacted: bool
) -> None:
    agent, admin = tmp_path / "agent", tmp_path / "admin"
    agent.write_text(fleet.agent_token())
    admin.write_text(fleet.admin)
    key = tmp_path / "org.key"
    key.write_text("cd" * 32)
    red = ["--redact", "--key-file", str(key)] if redacted else []
    keyed = ["--key-file", str(key)] if redacted else []
    server = ["--server", fleet.url, "--token-file", str(admin), *keyed]

    _check(
        "push", _json(["push", "--server", fleet.url, "--token-file", str(agent), "--bundle", str(Z820), *red], capsys)
    )
    got = _json(["fleet", "collisions", "192.168.65.0/24", "172.16.0.0/12", *server], capsys)
    _check("fleet-collisions", got)
    assert [m["name"] for m in got["machines"]] == ["Z820"]
    _check("fleet-findings", _json(["fleet", "findings", *server], capsys))
    _check("fleet-findings", _json(["fleet", "findings", "--code", "stale-forward", *server], capsys))
    _check("fleet-machines", _json(["fleet", "machines", *server], capsys))
    machine = _json(["fleet", "machine", "Z820", *server], capsys)
    _check("fleet-machine", machine)
    history = _json(["fleet", "history", "Z820", *server], capsys)
    _check("fleet-history", history)
    assert len(history["scans"]) == 1
    plan = _json(["fleet", "plan", *server], capsys)
    _check("fleet-plan", plan)
    used = {o["cidr"] for m in got["machines"] for o in m["overlaps"]}
    import ipaddress

    assert not any(
        ipaddress.ip_network(b["cidr"]).overlaps(ipaddress.ip_network(u)) for b in plan["free"] for u in used
    )


def test_serve_json_matches_its_schema(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    _check("serve", _json(["serve", "--db", fleet.dsn, "--migrate"], capsys))
    token = _json(["serve", "--db", fleet.dsn, "--new-token", "agent", "--machine", "laptop-1"], capsys)
    _check("serve", token)
    assert token["token"].startswith("na_agent_")
    _check("serve", {"listening": "http://127.0.0.1:8765", "api": "http://127.0.0.1:8765/docs"})
