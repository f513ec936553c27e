"""pool-overlap: positive and negative cases on hand-built atlases."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import replace

from analysis.atlas_kit import iface, network, node, route, z820
from netatlas.analysis import Options
from netatlas.analysis.pool_overlap import Prefix, check, free_range, overlapping_pairs
from netatlas.model.atlas import Atlas


def _with_host_routes(atlas: Atlas, *routes: object) -> Atlas:
    host = atlas.node("node:host")
    assert host is not None
    nodes = tuple(replace(host, routes=host.routes + routes) if n.id == host.id else n for n in atlas.nodes)
    return replace(atlas, nodes=nodes)


def _cidrs_in(text: str) -> list[ipaddress.IPv4Network]:
    out = []
    for word in text.replace('"', " ").replace(",", " ").replace("'", " ").split():
        try:
            out.append(ipaddress.IPv4Network(word, strict=False))
        except ValueError:
            continue
    return [n for n in out if "/" in str(n) and n.prefixlen < 32]


def test_z820_as_is_has_no_overlap() -> None:
    assert check(z820(), Options()) == []


def test_docker_bridge_against_vpn_route() -> None:
    atlas = _with_host_routes(z820(), route("172.16.0.0/12", "10.8.0.1", "tun0"))
    found = check(atlas, Options())
    titles = [f.title for f in found]
    assert any("z820_default 172.18.0.0/16" in t and "172.16.0.0/12" in t for t in titles)
    assert any("docker network bridge 172.17.0.0/16" in t for t in titles)
    f = next(f for f in found if "z820_default" in f.title)
    assert f.severity == "error"
    assert "net:172.18.0.0/16" in f.networks and "node:host" in f.nodes
    assert f.fix is not None and "default-address-pools" in f.fix and "ipam" in f.fix
    # the proposed ranges overlap nothing known
    known = [ipaddress.ip_network(c) for c in ("172.16.0.0/12", "192.168.1.0/24", "192.168.65.0/24")]
    for proposed in _cidrs_in(f.fix):
        assert not any(proposed.overlaps(k) for k in known), proposed
    assert "routing table of node:host" in f.detail


def test_wsl_nat_against_the_lan() -> None:
    atlas = z820()
    lan = network(
        "172.25.0.0/16",
        "lan",
        "Office LAN",
        [("node:host", "Ethernet 2", "172.25.3.7"), ("node:router:172.25.0.1", "lan", "172.25.0.1")],
    )
    atlas = replace(atlas, networks=(*atlas.networks, lan))
    found = check(atlas, Options())
    assert len(found) == 1
    f = found[0]
    assert "vEthernet (WSL) 172.25.144.0/20" in f.title and "Office LAN 172.25.0.0/16" in f.title
    assert f.fix is not None and "networkingMode=mirrored" in f.fix and "NatNetwork" in f.fix
    sub = _cidrs_in(f.fix.split("NatNetwork -Value")[1])[0]
    assert not sub.overlaps(ipaddress.ip_network("172.25.0.0/16"))


def test_docker_desktop_subnet_against_office_lan() -> None:
    atlas = z820()
    office = network("192.168.64.0/22", "lan", "Office Wi-Fi", [("node:host", "Wi-Fi", "192.168.66.10")])
    found = check(replace(atlas, networks=(*atlas.networks, office)), Options())
    assert [f.title for f in found] == [
        "Docker Desktop VM 192.168.65.0/24 (docker-desktop-vm, docker-desktop) "
        "overlaps Office Wi-Fi 192.168.64.0/22 (lan)"
    ]
    assert "Docker subnet" in (found[0].fix or "") and "VpnkitCIDR" in (found[0].fix or "")


def test_pod_cidr_against_corporate_route() -> None:
    atlas = z820()
    pods = network("10.1.0.0/16", "k8s-pods", "cni0", [("node:docker-desktop", "cni0", "10.1.0.1")])
    atlas = _with_host_routes(replace(atlas, networks=(*atlas.networks, pods)), route("10.0.0.0/8", "10.8.0.1", "vpn0"))
    found = check(atlas, Options())
    assert len(found) == 1
    assert "cni0 10.1.0.0/16" in found[0].title and "route 10.0.0.0/8 via 10.8.0.1 dev vpn0" in found[0].title
    assert "kind" in (found[0].fix or "")


def test_configured_pool_against_vpn_route_is_a_warning() -> None:
    atlas = _with_host_routes(
        z820(settings={"default_address_pools": [{"base": "10.0.0.0/8", "size": 24}]}),
        route("10.10.0.0/16", "10.8.0.1", "tun0"),
    )
    found = check(atlas, Options())
    assert len(found) == 1 and found[0].severity == "warning"
    assert "default-address-pools entry 10.0.0.0/8" in found[0].title


def test_reserved_range_against_a_network() -> None:
    found = check(z820(), Options(reserved=(ipaddress.ip_network("172.18.0.0/15"),)))
    assert any("reserved range 172.18.0.0/15" in f.title and "172.18.0.0/16" in f.title for f in found)


def test_same_network_seen_from_two_sides_is_not_an_overlap() -> None:
    atlas = z820()
    # the VM sees its eth0 as a /16, Windows as the /20: same addresses, two masks
    wide = network("172.25.0.0/16", "unknown", "eth0", [("node:wsl-vm", "eth0", "172.25.150.37")])
    assert check(replace(atlas, networks=(*atlas.networks, wide)), Options()) == []


def test_connected_and_gateway_routes_to_known_networks_are_not_overlaps() -> None:
    atlas = _with_host_routes(
        z820(),
        route("172.25.144.0/20", None, "172.25.144.1"),  # Windows names the interface by address
        route("172.17.0.0/16", "192.168.65.3"),  # toward the Docker VM, which holds the bridge
    )
    assert check(atlas, Options()) == []


def test_loopback_link_local_and_single_addresses_are_noise() -> None:
    atlas = z820()
    extra = (
        network("127.0.1.1/32", "host-alias", "127.0.1.1", [("node:wsl-vm", "(hosts file)", "127.0.1.1")]),
        network("169.254.0.0/16", "link-local", "APIPA", [("node:host", "Ethernet 3", "169.254.3.4")]),
        network("169.254.73.0/24", "unknown", "x", [("node:wsl-vm", "loopback0", "169.254.73.249")]),
    )
    atlas = _with_host_routes(
        replace(atlas, networks=atlas.networks + extra), route("224.0.0.0/4"), route("0.0.0.0/1", "10.8.0.1")
    )
    assert check(atlas, Options()) == []


def test_sweep_matches_all_pairs() -> None:
    rng = random.Random(7)
    items = []
    for i in range(400):
        plen = rng.choice([8, 12, 16, 20, 24, 28])
        base = rng.choice([10 << 24, (172 << 24) | (16 << 16), (192 << 24) | (168 << 16)])
        net = ipaddress.IPv4Network((base + rng.randrange(1 << 20), plen), strict=False)
        items.append(Prefix(net, f"n{i}", "network", "x", f"g{i}"))
    swept = {(a.what, b.what) for a, b in overlapping_pairs(items)}
    brute = set()
    for i, a in enumerate(items):
        for j, b in enumerate(items):
            if i < j and a.cidr.overlaps(b.cidr):
                ka = (int(a.cidr.network_address), a.cidr.prefixlen, i)
                kb = (int(b.cidr.network_address), b.cidr.prefixlen, j)
                outer, inner = (a, b) if ka < kb else (b, a)
                brute.add((outer.what, inner.what))
    assert swept == brute


def test_sweep_scales() -> None:
    items = [
        Prefix(ipaddress.IPv4Network(((10 << 24) + (i << 8), 24)), str(i), "network", "x", str(i))
        for i in range(100_000)
    ]
    items.append(Prefix(ipaddress.ip_network("172.16.0.0/12"), "vpn", "route", "route", "vpn"))
    # speed is measured by bench/bench_overlap.py, not asserted here
    assert list(overlapping_pairs(items)) == []


def test_free_range_skips_known_and_default_ranges() -> None:
    got = free_range(16, [ipaddress.ip_network("10.200.0.0/16")])
    assert got is not None and not got.overlaps(ipaddress.ip_network("10.200.0.0/16"))
    everything = [ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    assert free_range(24, everything) is None


def test_wsl_node_helper_builds() -> None:
    # the kit builds nodes the way merge does; a guard for the helpers themselves
    n = node("node:x", "host", [iface("eth0", "192.0.2.5/24")])
    assert n.interfaces[0].addresses[0].prefixlen == 24


def test_fix_for_a_network_in_use_gives_the_whole_sequence() -> None:
    """`docker network rm` refuses a network with containers attached: disconnect first."""
    atlas = _with_host_routes(z820(), route("172.16.0.0/12", "10.8.0.1", "tun0"))
    f = next(f for f in check(atlas, Options()) if "z820_default" in f.title)
    fix = f.fix or ""
    attached = [a.node.removeprefix("node:container:") for a in atlas.networks[-1].attachments]
    lines = [ln.strip("# ").strip() for ln in fix.splitlines()]
    order = [
        next(i for i, ln in enumerate(lines) if ln.startswith(step))
        for step in ("for c in", "docker network rm z820_default", "docker network create --subnet")
    ]
    assert order == sorted(order)
    assert "docker network disconnect z820_default" in fix and "docker network connect z820_default" in fix
    assert "web" in fix and attached
    subnet = _cidrs_in(lines[order[2]])[0]
    assert subnet.prefixlen == 24 and not subnet.overlaps(ipaddress.ip_network("172.16.0.0/12"))
