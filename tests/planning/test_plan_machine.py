"""`plan` on the machine it runs on (issue 16) and the engines' layers in it (issues 11 and 17).

Only the layers present are planned (``--all`` for the rest); no block inside the common
home/office LAN ranges unless nothing else fits, and then it is said; a predicted
subnet inside a reserved range is a warning printed first; "Kept clear" lists each
range once; the Docker prediction says its allocator and what it rests on; podman gets
its containers.conf when podman is there.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from netatlas.atlas import build_atlas
from netatlas.atlas.merge import ATLAS_SCHEMA
from netatlas.bundle import read_bundle
from netatlas.cli import main
from netatlas.model import Vantage, VantageKind
from netatlas.model.atlas import Atlas, Network, Node
from netatlas.model.facts import Address, Interface, Route
from netatlas.planning.layers import LAYERS
from netatlas.planning.plan import LAN_RANGES, make_plan
from netatlas.planning.podman_ipam import containers_conf_pools

Z820 = Path(__file__).resolve().parents[2] / "examples" / "z820"


@pytest.fixture(scope="module")
def z820() -> Atlas:
    return build_atlas(read_bundle(Z820), analyze=False)


def linux(
    bridges: dict[str, str],
    docker: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    settings: dict[str, object] | None = None,
) -> Atlas:
    """A plain Linux host: ``bridges`` (name → gateway/len) with their on-link routes, and
    Docker networks ``(name, subnet, created)`` with the engine's state."""
    ifaces = [Interface("eth0", addresses=(Address(ipaddress.ip_address("192.0.2.2"), 24, "inet"),))]
    routes = [Route(ipaddress.ip_network("192.0.2.0/24"), interface="eth0", scope="link")]
    for name, cidr in bridges.items():
        iface = ipaddress.ip_interface(cidr)
        ifaces.append(Interface(name, addresses=(Address(iface.ip, iface.network.prefixlen, "inet"),)))
        routes.append(Route(iface.network, interface=name, scope="link"))
    networks = [
        Network(
            id=f"net:{subnet}",
            cidr=ipaddress.ip_network(subnet),
            kind="docker-bridge",
            label=f"docker network {name}",
            owner="docker-engine",
            engine={"engine": "docker", "name": name, "driver": "bridge", "created": created},
        )
        for name, subnet, created in docker
    ]
    vantages = [Vantage("host", VantageKind.LINUX_HOST, "host")]
    if docker:
        vantages.append(Vantage("docker-engine", VantageKind.DOCKER_ENGINE, "docker", parent="host"))
    host = Node("node:host", "host", "host", vantages=tuple(v.id for v in vantages), interfaces=tuple(ifaces),
                routes=tuple(routes))  # fmt: skip
    return Atlas(ATLAS_SCHEMA, tuple(vantages), (host,), tuple(networks), settings=settings or {})


ENGINE_20_10 = linux(
    {"docker0": "172.17.0.1/16", "br-a": "172.18.0.1/16", "br-b": "172.19.0.1/16"},
    [
        ("bridge", "172.17.0.0/16", "2026-12-04T17:44:12.617539919Z"),
        ("old", "172.19.0.0/16", "2026-12-01T09:00:00Z"),  # before the daemon's start: no part of the index
        ("a", "172.18.0.0/16", "2026-12-04T17:46:16.99422Z"),
        ("b", "172.24.0.0/16", "2026-12-04T17:46:17.1Z"),
    ],
    {"server_version": "20.10.24+dfsg1"},
)


def test_plain_linux_with_dockerd_plans_docker_only() -> None:
    p = make_plan(ENGINE_20_10)
    assert p.layers == ("docker",)
    assert set(p.layers_absent) == set(LAYERS) - {"docker"}
    assert set(p.configs) == {"daemon.json", "compose"} == set(p.how)
    assert set(p.blocks) == {"docker_default_address_pool", "docker_bip", "compose_subnet"}
    everything = make_plan(ENGINE_20_10, all_layers=True)
    assert everything.layers == LAYERS and not everything.layers_absent
    assert {"kind", "minikube", ".wslconfig", "docker-desktop", "containers.conf"} <= set(everything.configs)


def test_z820_plans_its_own_layers(z820: Atlas) -> None:
    assert make_plan(z820).layers == ("docker", "docker-desktop", "wsl")


def test_cli_prints_only_present_layers_and_says_what_all_adds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--bundle", str(Z820)]) == 0
    out = capsys.readouterr().out
    assert "Layers planned: docker, docker-desktop, wsl (not seen here: kind, minikube, podman; --all" in out
    assert "== kind" not in out and "== minikube" not in out
    assert main(["plan", "--bundle", str(Z820), "--all"]) == 0
    assert "== kind" in capsys.readouterr().out


def test_round_robin_engine_is_predicted_round_robin_and_says_why() -> None:
    p = make_plan(ENGINE_20_10)
    assert p.docker_algorithm == "round-robin" and p.docker_engine_version == "20.10.24+dfsg1"
    # index after b (172.24, position 7) is 8: 172.25, 172.26, 172.27; a linear allocator would say 172.20
    assert p.docker_next_now == ("172.25.0.0/16", "172.26.0.0/16", "172.27.0.0/16")
    said = " ".join(p.docker_rests_on)
    assert "round-robin" in said and "2026-12-04T17:44:12.617539919Z" in said
    assert "a 172.18.0.0/16, b 172.24.0.0/16" in said and "old" not in said.split("replayed")[1].split(";")[0]
    linear = make_plan(linux({"docker0": "172.17.0.1/16"}, [("bridge", "172.17.0.0/16", "")], {}))
    assert linear.docker_algorithm == "linear" and linear.docker_next_now[0] == "172.18.0.0/16"


def test_reserving_10_8_keeps_every_block_off_the_home_lan_ranges(z820: Atlas) -> None:
    p = make_plan(z820, [ipaddress.ip_network("10.0.0.0/8")], all_layers=True)
    for key, value in p.blocks.items():
        block = ipaddress.ip_network(value.split()[0], strict=False)
        assert not any(block.overlaps(lan) for lan in LAN_RANGES), (key, value)
    assert not any("home and office LANs" in n for n in p.notes)


def test_when_only_the_lan_ranges_are_left_the_plan_says_so(z820: Atlas) -> None:
    reserve = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("172.16.0.0/12")]
    p = make_plan(z820, reserve)
    assert any("inside 192.168.0.0/16, where home and office LANs often are" in n for n in p.notes)


def test_a_predicted_subnet_in_a_reserved_range_is_a_warning_first(
    z820: Atlas, capsys: pytest.CaptureFixture[str]
) -> None:
    p = make_plan(z820, [ipaddress.ip_network("172.19.0.0/16")])
    assert p.docker_next_now[0] == "172.19.0.0/16"
    assert p.warnings and "172.19.0.0/16" in p.warnings[0]
    assert main(["plan", "--bundle", str(Z820), "--reserve", "172.19.0.0/16"]) == 0
    assert capsys.readouterr().out.startswith("WARNING: Docker's next network would take 172.19.0.0/16")


def test_kept_clear_lists_each_range_once(z820: Atlas) -> None:
    p = make_plan(z820, [ipaddress.ip_network("172.19.0.0/16"), ipaddress.ip_network("172.17.0.0/16")])
    assert len(p.kept_clear) == len(set(p.kept_clear))
    assert p.kept_clear.count("172.19.0.0/16") == 1


PODMAN_HOST = linux({"cni-podman1": "10.89.0.1/24", "cni-podman2": "10.89.1.1/24"})


def test_podman_layer_when_podman_is_there() -> None:
    p = make_plan(PODMAN_HOST)
    assert p.layers == ("podman",)
    # what Debian's podman 4.3 handed out on this host (issue 17)
    assert p.podman_next_now == ("10.89.2.0/24", "10.89.3.0/24", "10.89.4.0/24")
    pools = containers_conf_pools(p.configs["containers.conf"])
    assert pools is not None and len(pools) == 1
    assert f"{pools[0].base} size {pools[0].size}" == p.blocks["podman_default_subnet_pool"]
    assert all(ipaddress.ip_network(n).subnet_of(pools[0].base) for n in p.podman_next_after)  # type: ignore[arg-type]
    assert "/etc/containers/containers.conf" in p.how["containers.conf"]
    assert p.docker_algorithm is None and not p.docker_next_now


def test_podman_prediction_in_a_reserved_range_is_a_warning() -> None:
    p = make_plan(PODMAN_HOST, [ipaddress.ip_network("10.89.0.0/16")])
    assert any(w.startswith("podman's next network would take 10.89.2.0/24") for w in p.warnings)


def test_plan_json_carries_the_new_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--bundle", str(Z820), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["layers"] == ["docker", "docker-desktop", "wsl"]
    assert out["docker_algorithm"] == "linear" and out["docker_engine_version"] == "27.3.1"
    assert out["docker_rests_on"] and out["warnings"] == []
