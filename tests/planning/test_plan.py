"""`netatlas plan`: free blocks that overlap nothing in use or reserved, with config per layer."""

from __future__ import annotations

import ipaddress
import json
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.atlas import build_atlas
from netatlas.bundle import read_bundle
from netatlas.cli import main
from netatlas.errors import AllocationError, ParseError
from netatlas.planning.plan import free_blocks, make_plan, parse_reserve_file, used_prefixes

Z820 = Path(__file__).resolve().parents[2] / "examples" / "z820"
VPN = ipaddress.ip_network("10.0.0.0/8")


@pytest.fixture(scope="module")
def atlas():  # type: ignore[no-untyped-def]
    return build_atlas(read_bundle(Z820), analyze=False)


def test_plan_avoids_everything_in_use_and_reserved(atlas) -> None:  # type: ignore[no-untyped-def]
    p = make_plan(atlas, [VPN])
    chosen = [ipaddress.ip_network(v.split()[0], strict=False) for v in p.blocks.values()]
    avoid = [*used_prefixes(atlas), VPN, *(ipaddress.ip_network(n) for n in p.docker_next_now)]
    for block in chosen:
        assert not any(block.overlaps(a) for a in avoid), block
    for a, b in combinations(chosen, 2):
        assert not a.overlaps(b), (a, b)


def test_plan_predicts_docker_before_and_after(atlas) -> None:  # type: ignore[no-untyped-def]
    p = make_plan(atlas, [VPN])
    # z820 has 172.17 (docker0) and 172.18 (compose) allocated: next is 172.19.0.0/16
    assert p.docker_next_now[0] == "172.19.0.0/16"
    pool = ipaddress.ip_network(p.blocks["docker_default_address_pool"].split()[0])
    assert all(ipaddress.ip_network(n).subnet_of(pool) for n in p.docker_next_after)


def test_configs_are_exact_and_valid(atlas) -> None:  # type: ignore[no-untyped-def]
    p = make_plan(atlas, [VPN], all_layers=True)
    daemon = json.loads(p.configs["daemon.json"])
    assert daemon["bip"] == p.blocks["docker_bip"]
    assert daemon["default-address-pools"][0]["size"] == 24
    import yaml

    compose = yaml.safe_load(p.configs["compose"])
    assert compose["networks"]["default"]["ipam"]["config"][0]["subnet"] == p.blocks["compose_subnet"]
    kind = yaml.safe_load(p.configs["kind"])
    assert kind["networking"]["podSubnet"] == p.blocks["kind_pod_subnet"]
    assert json.loads("{" + p.configs["docker-desktop"] + "}")["VpnkitCIDR"] == p.blocks["docker_desktop_subnet"]
    assert f"--subnet={p.blocks['minikube_subnet']}" in p.configs["minikube"]
    assert "NatNetwork" in p.configs["wsl"] and "networkingMode=mirrored" in p.configs[".wslconfig"]
    assert set(p.how) == set(p.configs)


def test_reserve_file() -> None:
    assert parse_reserve_file("# corp\n10.0.0.0/8\n\n172.16.0.0/12  # vpn\n") == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("172.16.0.0/12"),
    ]
    with pytest.raises(ParseError, match=r"^f:2: not a CIDR: 'nope'"):
        parse_reserve_file("10.0.0.0/8\nnope\n", source="f")


def test_no_room_is_a_clear_error() -> None:
    everything = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    with pytest.raises(AllocationError, match="no free /24"):
        free_blocks(24, everything)


@settings(max_examples=80, deadline=None)
@given(
    taken=st.lists(st.tuples(st.integers(0, 255), st.integers(18, 28)), max_size=12),
    prefixlen=st.integers(20, 26),
    count=st.integers(1, 4),
)
def test_free_blocks_match_brute_force(taken: list[tuple[int, int]], prefixlen: int, count: int) -> None:
    within = [ipaddress.ip_network("10.0.0.0/16")]
    avoid = [ipaddress.ip_network((0x0A000000 + (o << 8), p), strict=False) for o, p in taken]
    expected = []
    for cand in within[0].subnets(new_prefix=prefixlen):
        if not any(cand.overlaps(a) for a in avoid + expected):
            expected.append(cand)
        if len(expected) == count:
            break
    if len(expected) < count:
        with pytest.raises(AllocationError):
            free_blocks(prefixlen, avoid, count, within)
    else:
        assert free_blocks(prefixlen, avoid, count, within) == expected


def test_cli_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "reserve.txt"
    f.write_text("10.0.0.0/8\n")
    assert main(["plan", "--bundle", str(Z820), "--reserve-file", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "10.0.0.0/8" in out["kept_clear"]
    assert not ipaddress.ip_network(out["blocks"]["compose_subnet"]).overlaps(VPN)


def test_ipv6_reservations_are_said_to_be_ignored(atlas) -> None:  # type: ignore[no-untyped-def]
    p = make_plan(atlas, [ipaddress.ip_network("fd00::/8")])
    assert any("fd00::/8" in n and "IPv6" in n for n in p.notes)


def test_a_corporate_reservation_of_10_8_and_172_16_12_still_gets_a_plan(atlas) -> None:  # type: ignore[no-untyped-def]
    """Only 192.168/16 is left, and it is in use: smaller blocks, each said, instead of an error."""
    reserve = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("172.16.0.0/12")]
    plan = make_plan(atlas, reserve)
    chosen = [ipaddress.ip_network(v.split()[0], strict=False) for v in plan.blocks.values()]
    assert all(c.subnet_of(ipaddress.ip_network("192.168.0.0/16")) for c in chosen)
    for a, b in combinations(chosen, 2):
        assert not a.overlaps(b)
    notes = " | ".join(plan.notes)
    assert "Docker's address pool: no free /16 is left, so a /17 is proposed" in notes
    # networks already inside a reservation are named, so nobody thinks reserving moved them
    assert "172.16.0.0/12 is reserved but in use here: 172.17.0.0/16, 172.18.0.0/16" in notes
