"""knowledge/pools.json: every entry has a source, every CIDR and regex parses."""

from __future__ import annotations

import ipaddress
import re
import types

import pytest

import netatlas.planning
from netatlas import knowledge

DATA = knowledge.load("pools")
MATCH_KEYS = {"cidr", "within", "prefixlen", "adapter_regex", "interface_regex"}


def test_top_level() -> None:
    assert set(DATA) == {"about", "schema_version", "defaults", "kind_hints"}
    assert DATA["schema_version"] == 1


@pytest.mark.parametrize("row", DATA["defaults"], ids=lambda r: f"{r['engine']}:{r['pool']}")
def test_default_entry(row: dict[str, object]) -> None:
    for key in ("engine", "pool", "confidence", "source"):
        assert isinstance(row[key], str) and row[key], key
    assert "cidr" in row
    if row["cidr"] is None:
        assert row.get("pattern") or row.get("within"), "a run-time pool says what it looks like"
    else:
        net = ipaddress.ip_network(str(row["cidr"]))  # strict: canonical network
        if "size" in row:
            assert isinstance(row["size"], int) and net.prefixlen <= row["size"] <= net.max_prefixlen
    if "within" in row:
        ipaddress.ip_network(str(row["within"]))
    if "address" in row:
        addr = ipaddress.ip_address(str(row["address"]))
        assert row["cidr"] is None or addr in ipaddress.ip_network(str(row["cidr"]))


@pytest.mark.parametrize("row", DATA["kind_hints"], ids=lambda r: f"{r['kind']}:{sorted(r['match'].items())[0][1]}")
def test_kind_hint(row: dict[str, object]) -> None:
    assert isinstance(row["kind"], str) and row["kind"]
    assert isinstance(row["source"], str) and row["source"]
    assert isinstance(row["confidence"], str) and row["confidence"]
    match = row["match"]
    assert isinstance(match, dict) and match and set(match) <= MATCH_KEYS
    for key in ("cidr", "within"):
        if key in match:
            ipaddress.ip_network(match[key])
    for key in ("adapter_regex", "interface_regex"):
        if key in match:
            re.compile(match[key])


def test_required_kinds_present() -> None:
    kinds = {row["kind"] for row in DATA["kind_hints"]}
    assert {
        "docker-desktop-vm",
        "k8s-pods",
        "k8s-services",
        "wsl-nat",
        "hyperv-default-switch",
        "docker-bridge",
        "vpn",
        "loopback",
        "host-alias",
        "link-local",
    } <= kinds


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("vEthernet (WSL)", "wsl-nat"),
        ("vEthernet (WSL (Hyper-V firewall))", "wsl-nat"),
        ("vEthernet (Default Switch)", "hyperv-default-switch"),
        ("NordLynx", "vpn"),
        ("TAP-Windows Adapter V9", "vpn"),
        ("WireGuard Tunnel", "vpn"),
        ("ZeroTier One [d5e5fb65371eb4a4]", "vpn"),
    ],
)
def test_adapter_names_from_the_corpus(name: str, kind: str) -> None:
    hits = {
        row["kind"]
        for row in DATA["kind_hints"]
        if "adapter_regex" in row["match"] and re.search(row["match"]["adapter_regex"], name)
    }
    assert hits == {kind}


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("docker0", "docker-bridge"),
        ("br-0123456789ab", "docker-bridge"),
        ("tun0", "vpn"),
        ("wg0", "vpn"),
        ("utun3", "vpn"),
    ],
)
def test_interface_names(name: str, kind: str) -> None:
    hits = {
        row["kind"]
        for row in DATA["kind_hints"]
        if "interface_regex" in row["match"] and re.search(row["match"]["interface_regex"], name)
    }
    assert hits == {kind}


def test_planning_exports() -> None:
    assert sorted(netatlas.planning.__all__) == sorted(
        name
        for name in dir(netatlas.planning)
        if not name.startswith("_")
        and name != "annotations"
        and not isinstance(getattr(netatlas.planning, name), types.ModuleType)
    )
    for name in netatlas.planning.__all__:
        assert getattr(netatlas.planning, name) is not None
