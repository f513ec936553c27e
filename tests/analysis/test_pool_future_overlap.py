"""pool-future-overlap: Docker's next subnets against ranges it does not avoid."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from analysis.atlas_kit import VANTAGES, iface, network, node, route, z820
from netatlas.analysis import Options
from netatlas.analysis.pool_future_overlap import check, engine_node
from netatlas.model import Vantage, VantageKind
from netatlas.model.atlas import Atlas


def _with_routes(atlas: Atlas, node_id: str, *routes: object) -> Atlas:
    nodes = tuple(replace(n, routes=n.routes + routes) if n.id == node_id else n for n in atlas.nodes)
    return replace(atlas, nodes=nodes)


def test_z820_as_is_has_no_future_overlap() -> None:
    atlas = z820()
    assert engine_node(atlas) is not None and engine_node(atlas).id == "node:docker-desktop"  # type: ignore[union-attr]
    assert check(atlas, Options()) == []


def test_vpn_route_via_gateway_is_not_avoided() -> None:
    atlas = _with_routes(z820(), "node:host", route("172.16.0.0/12", "10.8.0.1", "tun0"))
    found = check(atlas, Options())
    assert len(found) == 1
    f = found[0]
    assert "172.19.0.0/16" in f.title and "172.16.0.0/12" in f.title
    assert "172.19.0.0/16 (1st next)" in f.detail and "172.23.0.0/16 (5th next)" in f.detail
    assert "avoids only on-link routes and nameservers" in f.detail
    assert f.fix is not None and "default-address-pools" in f.fix
    assert "172.16" not in f.fix.split("base")[1][:20]


def test_reserved_range_is_reported() -> None:
    found = check(z820(), Options(reserved=(ipaddress.ip_network("172.20.0.0/14"),)))
    assert len(found) == 1 and "172.20.0.0/16" in found[0].detail and "--reserve" in found[0].title


def test_host_lan_is_invisible_to_the_docker_desktop_vm() -> None:
    # the host's LAN lies where Docker's 2nd next allocation will go
    atlas = z820()
    lan = network("172.20.0.0/16", "lan", "Office", [("node:host", "Ethernet 2", "172.20.4.4")])
    found = check(replace(atlas, networks=(*atlas.networks, lan)), Options())
    assert len(found) == 1 and "cannot see it" in found[0].detail and "172.20.0.0/16 (2nd next)" in found[0].detail


def _linux_engine(*routes: object) -> Atlas:
    host = node(
        "node:host",
        "host",
        [iface("eth0", "192.168.1.7/24"), iface("docker0", "172.17.0.1/16")],
        [
            route("0.0.0.0/0", "192.168.1.1", "eth0"),
            route("192.168.1.0/24", dev="eth0"),
            route("172.17.0.0/16", dev="docker0"),
            *routes,
        ],
        vantages=["host"],
    )
    nets = [
        network("192.168.1.0/24", "lan", "eth0", [("node:host", "eth0", "192.168.1.7")]),
        network("172.17.0.0/16", "docker-bridge", "docker network bridge", [("node:host", "docker0", "172.17.0.1")]),
    ]
    return Atlas("netatlas-atlas/1", (Vantage("host", VantageKind.LINUX_HOST, "box"),), (host,), tuple(nets))


def test_linux_engine_gateway_route_is_reported() -> None:
    found = check(_linux_engine(route("172.18.0.0/16", "192.168.1.254", "eth0")), Options())
    assert len(found) == 1 and "172.18.0.0/16 (1st next)" in found[0].detail


def test_linux_engine_on_link_route_is_avoided_by_docker() -> None:
    # an on-link VPN route is in the daemon's reserved list: Docker skips it by itself
    assert check(_linux_engine(route("172.18.0.0/16", dev="tun0")), Options()) == []


def test_configured_pools_away_from_the_vpn() -> None:
    atlas = _with_routes(
        z820(settings={"default_address_pools": [{"base": "10.200.0.0/16", "size": 24}]}),
        "node:host",
        route("172.16.0.0/12", "10.8.0.1", "tun0"),
    )
    assert check(atlas, Options()) == []


def test_no_engine_no_finding() -> None:
    atlas = z820()
    atlas = replace(
        atlas,
        vantages=tuple(v for v in VANTAGES if v.kind is not VantageKind.DOCKER_DESKTOP_VM),
        networks=tuple(n for n in atlas.networks if n.kind != "docker-bridge"),
    )
    assert check(atlas, Options(reserved=(ipaddress.ip_network("172.16.0.0/12"),))) == []
