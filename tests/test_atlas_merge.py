"""The z820 example merges into the seed's map: six networks, one WSL VM, forwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netatlas.atlas import build_atlas
from netatlas.bundle import read_bundle
from netatlas.cli import main
from netatlas.model.atlas import Atlas

ROOT = Path(__file__).resolve().parents[1]
Z820 = ROOT / "examples" / "z820"


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return build_atlas(read_bundle(Z820))


def kinds(atlas: Atlas) -> dict[str, str]:
    return {str(n.cidr): n.kind for n in atlas.networks}


def test_the_seeds_six_networks_with_their_kinds(atlas: Atlas) -> None:
    k = kinds(atlas)
    assert k["172.25.144.0/20"] == "wsl-nat"  # 1. Hyper-V Ethernet (WSL)
    assert k["192.168.1.0/24"] == "lan"  # 2. home network with the FIOS router
    assert k["192.168.65.0/24"] == "docker-desktop-vm"  # 3. Docker Desktop network
    assert k["172.18.0.0/16"] == "docker-bridge"  # 4. container pool (compose network)
    assert k["127.0.0.0/8"] == "loopback"  # 5. localhost
    assert k["127.0.1.1/32"] == "host-alias"  # 6. hostname on 127.0.1.1
    assert k["172.30.224.0/20"] == "hyperv-default-switch"
    assert k["10.1.0.0/16"] == "k8s-pods"


def test_kali_and_ubuntu_share_one_wsl_vm_and_the_reason_is_given(atlas: Atlas) -> None:
    vm = atlas.node("node:wsl-vm")
    assert vm is not None and vm.kind == "vm"
    assert set(vm.vantages) == {"wsl:kali-linux", "wsl:Ubuntu"}
    assert vm.reason and "00:15:5d:b3:93:cc" in vm.reason and "one VM" in vm.reason


def test_cut_out_address_is_filled_from_the_connected_route(atlas: Atlas) -> None:
    """The seed redacted eth0's IPv4; the kernel's route `src` still says it."""
    net = atlas.network("net:172.25.144.0/20")
    assert net is not None
    got = {(a.node, str(a.address)) for a in net.attachments}
    assert ("node:wsl-vm", "172.25.150.37") in got
    assert ("node:host", "172.25.144.1") in got


def test_lan_router_and_docker_desktop_gateway(atlas: Atlas) -> None:
    lan = atlas.network("net:192.168.1.0/24")
    assert lan is not None
    assert {str(a.address) for a in lan.attachments} >= {"192.168.1.1", "192.168.1.20", "192.168.1.21"}
    names = {n.name for n in atlas.nodes}
    assert "docker-desktop vpnkit-gateway" in names  # 192.168.65.1, from knowledge data


def test_forwards_and_names_carry_provenance(atlas: Atlas) -> None:
    vias = {(f.via, f.listen_port, str(f.connect_address)) for f in atlas.forwards}
    assert ("docker-publish", 8080, "172.18.0.2") in vias
    assert ("portproxy", 2222, "172.25.139.5") in vias
    alias = [
        n for n in atlas.names if n.vantage == "wsl:kali-linux" and n.name.lower() == "z820" and n.source == "hosts"
    ]
    assert alias and str(alias[0].addresses[0]) == "127.0.1.1" and alias[0].writer == "wsl"
    assert alias[0].file == "/etc/hosts" and alias[0].line is not None


def test_every_network_kind_has_a_reason_with_a_source(atlas: Atlas) -> None:
    for n in atlas.networks:
        assert n.reason, n.id


def test_map_json_matches_schema(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert main(["map", "--bundle", str(Z820), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    schema = json.loads((ROOT / "docs/schema/atlas.schema.json").read_text())
    jsonschema.validate(out, schema)
    assert out["schema"] == "netatlas-atlas/1"
    assert {v["id"] for v in out["vantages"]} >= {"host", "wsl:kali-linux", "wsl:Ubuntu", "docker-desktop"}


def test_map_text_lists_networks_then_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--bundle", str(Z820)]) == 0
    text = capsys.readouterr().out
    assert text.index("172.25.144.0/20  [wsl-nat]") < text.index("Findings")


def test_a_source_that_does_not_parse_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    from dataclasses import replace

    from netatlas.bundle import write_bundle

    b = read_bundle(Z820)
    broken = tuple(replace(e, data=b"\x00garbage") if e.kind == "route-print" else e for e in b.evidence)
    atlas = build_atlas(replace(b, evidence=broken))
    assert any(p.code == "parse-error" and "route-print" in p.evidence for p in atlas.problems)
    assert atlas.network("net:192.168.1.0/24") is not None
    write_bundle(replace(b, evidence=broken), tmp_path / "b")  # still writable
