"""Roles, token binding, size limits and schema validation: refused with a 4xx, nothing stored."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from tests.fleet.conftest import Z820, Fleet

from netatlas import build_atlas, read_bundle
from netatlas.fleet.client import Retry, request
from netatlas.fleet.document import make_document
from netatlas.fleet.errors import BadRequest, Forbidden, Unauthorized

ONCE = Retry(attempts=1)


@pytest.fixture(scope="module")
def z820_doc() -> dict:
    bundle = read_bundle(Z820)
    return make_document(build_atlas(bundle), machine="Z820", scanned=bundle.created, tool_version="test", key_id=None)


def _push(fleet: Fleet, token: str, doc: object, key: str = "sha256:test-key-1") -> tuple[int, dict]:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return request(
        fleet.url, "/api/v1/scans", token, method="POST", body=body, headers={"Idempotency-Key": key}, retry=ONCE
    )


def _stored(fleet: Fleet) -> tuple[int, int, int]:
    return (
        fleet.count("SELECT count(*) FROM scans"),
        fleet.count("SELECT count(*) FROM scan_ranges"),
        fleet.count("SELECT count(*) FROM findings"),
    )


def test_every_endpoint_checks_the_role(fleet: Fleet, z820_doc: dict) -> None:
    agent = fleet.agent_token()
    with pytest.raises(Forbidden, match="admin token"):
        request(fleet.url, "/api/v1/collisions", agent, params=[("cidr", "10.0.0.0/8")], retry=ONCE)
    for path in ("/api/v1/findings", "/api/v1/machines", "/api/v1/plan", "/api/v1/machines/1/history"):
        with pytest.raises(Forbidden):
            request(fleet.url, path, agent, retry=ONCE)
    with pytest.raises(Forbidden, match="agent token"):
        _push(fleet, fleet.admin, z820_doc)
    with pytest.raises(Unauthorized, match="unknown token"):
        request(fleet.url, "/api/v1/machines", "na_admin_not-a-token", retry=ONCE)
    req = urllib.request.Request(f"{fleet.url}/api/v1/machines")
    with pytest.raises(urllib.error.HTTPError) as no_token:
        urllib.request.urlopen(req, timeout=10)
    assert no_token.value.code == 401
    assert _stored(fleet) == (0, 0, 0)


def test_tokens_are_stored_hashed(fleet: Fleet) -> None:
    agent = fleet.agent_token()
    with fleet.pool.connection() as conn:
        hashes = [bytes(r[0]) for r in conn.execute("SELECT hash FROM tokens").fetchall()]
    assert len(hashes) == 2 and all(len(h) == 32 for h in hashes)
    assert not any(t.encode() in h for h in hashes for t in (agent, fleet.admin))


def test_agent_token_pushes_only_for_its_own_machine(fleet: Fleet, z820_doc: dict) -> None:
    agent = fleet.agent_token()
    status, first = _push(fleet, agent, z820_doc)
    assert status == 201 and first["stored"]
    with pytest.raises(Forbidden, match="another machine"):
        _push(fleet, agent, {**z820_doc, "machine": "someone-else"}, key="sha256:other")
    other = fleet.agent_token()  # a second agent cannot take over Z820
    with pytest.raises(Forbidden, match="another agent token"):
        _push(fleet, other, z820_doc, key="sha256:takeover")
    preset = fleet.agent_token(machine="laptop-7")
    with pytest.raises(Forbidden):
        _push(fleet, preset, z820_doc, key="sha256:preset")
    status, _ = _push(fleet, preset, {**z820_doc, "machine": "laptop-7"}, key="sha256:preset")
    assert status == 201
    assert fleet.count("SELECT count(*) FROM scans") == 2


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: b"{not json", "not JSON"),
        (lambda d: [1, 2], "JSON object"),
        (lambda d: {**d, "schema": "netatlas-push/99"}, "schema must be"),
        (lambda d: {**d, "surprise": 1}, "unknown field"),
        (lambda d: {**d, "machine": ""}, "machine must be"),
        (lambda d: {**d, "redacted": True}, "key_id"),
        (lambda d: {**d, "scanned": "yesterday"}, "ISO time"),
        (lambda d: {**d, "atlas": {**d["atlas"], "schema": "netatlas-atlas/9"}}, "atlas.schema"),
        (
            lambda d: {
                **d,
                "atlas": {**d["atlas"], "networks": [{**d["atlas"]["networks"][0], "cidr": "10.0.0.0/33"}]},
            },
            "atlas schema",
        ),
        (lambda d: {**d, "atlas": {k: v for k, v in d["atlas"].items() if k != "nodes"}}, "atlas schema"),
    ],
)
def test_malformed_pushes_get_422_and_store_nothing(fleet: Fleet, z820_doc: dict, mutate, message: str) -> None:
    agent = fleet.agent_token()
    with pytest.raises(BadRequest, match=message) as refused:
        _push(fleet, agent, mutate(z820_doc))
    assert "422" in str(refused.value)
    assert _stored(fleet) == (0, 0, 0)


def test_oversized_push_gets_413_and_stores_nothing(fleet: Fleet, z820_doc: dict) -> None:
    agent = fleet.agent_token()
    big = {**z820_doc, "atlas": {**z820_doc["atlas"], "settings": {"padding": "x" * (5 << 20)}}}
    with pytest.raises(BadRequest, match="413") as refused:
        _push(fleet, agent, big)
    assert "limit" in str(refused.value)
    assert _stored(fleet) == (0, 0, 0)


def test_missing_idempotency_key_is_refused(fleet: Fleet, z820_doc: dict) -> None:
    agent = fleet.agent_token()
    with pytest.raises(BadRequest, match="422"):
        request(fleet.url, "/api/v1/scans", agent, method="POST", body=json.dumps(z820_doc).encode(), retry=ONCE)
    assert _stored(fleet) == (0, 0, 0)


def test_hostile_text_is_data_not_sql(fleet: Fleet, z820_doc: dict) -> None:
    agent = fleet.agent_token()
    name = "x'); DROP TABLE scans; --"
    _push(fleet, agent, {**z820_doc, "machine": name})
    _, got = request(fleet.url, "/api/v1/machines", fleet.admin, retry=ONCE)
    assert [m["name"] for m in got["machines"]] == [name]
    with pytest.raises(BadRequest, match="not a CIDR"):
        request(fleet.url, "/api/v1/collisions", fleet.admin, params=[("cidr", "1.2.3.0/24'::cidr; --")], retry=ONCE)
    assert fleet.count("SELECT count(*) FROM scans") == 1
