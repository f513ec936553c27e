"""Docker's own filtering in ``why``, per engine version and network option, on hand-built atlases.

The real engine in tests/engine is one version (Debian's 20.10); these cases pin the
rules of the others (docs/engine-rules.md) on a Linux host with two user networks, an
internal one and one with ICC off, and a LAN the host sits on.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from analysis.atlas_kit import atlas_of, iface, listener, network, node, publish, route
from netatlas.model.atlas import Atlas, Network
from netatlas.reach import why

NETS = {
    "a": ("172.30.0.0/16", "br-aaaa", "172.30.0.1"),
    "b": ("172.31.0.0/16", "br-bbbb", "172.31.0.1"),
    "int": ("10.9.0.0/24", "br-iiii", "10.9.0.1"),
    "noicc": ("10.8.0.0/24", "br-nnnn", "10.8.0.1"),
}
CONTAINERS = {"a1": ("a", "172.30.0.2"), "a2": ("a", "172.30.0.3"), "b1": ("b", "172.31.0.2")}
CONTAINERS |= {"i1": ("int", "10.9.0.2"), "n1": ("noicc", "10.8.0.2"), "n2": ("noicc", "10.8.0.3")}


def _engine(name: str, bridge: str, version: str | None, **opts: object) -> dict[str, object]:
    state: dict[str, object] = {"engine": "docker", "version": version, "desktop": False, "name": name}
    state |= {"driver": "bridge", "bridge": bridge, "internal": False, "icc": True}
    state |= {"gateway_mode_ipv4": "nat", "gateway_mode_ipv6": "nat", "evidence": "docker-engine/networks"}
    return state | opts


def linux_engine(version: str | None = "20.10.24+dfsg1", **per_net: dict[str, object]) -> Atlas:
    host_ifaces = [iface("eth0", "192.168.1.20/24")]
    host_ifaces += [iface(br, f"{gw}/{cidr.split('/')[1]}") for cidr, br, gw in NETS.values()]
    host_routes = [route("0.0.0.0/0", "192.168.1.1", "eth0"), route("192.168.1.0/24", dev="eth0")]
    host_routes += [route(cidr, dev=br) for cidr, br, _gw in NETS.values()]
    nodes = [node("node:host", "host", host_ifaces, host_routes, vantages=["host"], name="devbox")]
    networks: list[Network] = [
        network("192.168.1.0/24", "lan", "Home LAN", [("node:host", "eth0", "192.168.1.20")]),
    ]
    for short, (cidr, br, gw) in NETS.items():
        members = [(f"node:container:{c}", "eth0", a) for c, (n, a) in CONTAINERS.items() if n == short]
        opts = {"internal": True} if short == "int" else {"icc": False} if short == "noicc" else {}
        net = network(cidr, "docker-bridge", f"docker network {short}", [("node:host", br, gw), *members])
        networks.append(replace(net, engine=_engine(short, br, version, **opts | per_net.get(short, {}))))
    for c, (n, a) in CONTAINERS.items():
        cidr, _br, gw = NETS[n]
        nodes.append(
            node(
                f"node:container:{c}",
                "container",
                [iface("eth0", f"{a}/{cidr.split('/')[1]}")],
                [route("0.0.0.0/0", gw, "eth0"), route(cidr, dev="eth0")],
                parent="node:host",
                vantages=[f"container:{c}"],
                name=c,
            )
        )
    listeners = [listener(f"node:container:{c}", 80, "0.0.0.0") for c in CONTAINERS]
    listeners.append(listener("node:host", 8080, "0.0.0.0", process="docker-proxy"))
    return atlas_of(
        nodes,
        networks,
        listeners=tuple(listeners),
        forwards=(publish(8080, "b1", "172.31.0.2", cport=80),),
        settings={"server_version": version},
    )


def _last(atlas: Atlas, src: str, dst: str, port: int) -> tuple[str, str, str]:
    r = why(atlas, src, dst, port)
    return r.verdict, r.hops[-1].action, r.hops[-1].note


@pytest.mark.parametrize("version", ["20.10.24", "27.5.1", "28.2.2"])
def test_bridge_networks_are_isolated_up_to_28(version: str) -> None:
    verdict, action, note = _last(linux_engine(version), "a1", "172.31.0.2", 80)
    assert (verdict, action) == ("stopped", "filter")
    assert "DOCKER-ISOLATION-STAGE-2 drops br-aaaa → br-bbbb" in note


def test_docker_29_drops_direct_access_in_raw_and_routed_or_unprotected_networks_differ() -> None:
    verdict, _a, note = _last(linux_engine("29.1.0"), "a1", "172.31.0.2", 80)
    assert verdict == "stopped" and "raw PREROUTING -d 172.31.0.2" in note
    unprotected = linux_engine("29.1.0", b={"gateway_mode_ipv4": "nat-unprotected"})
    assert why(unprotected, "a1", "172.31.0.2", 80).verdict == "delivered"
    routed = linux_engine("29.1.0", b={"gateway_mode_ipv4": "routed"})
    assert why(routed, "a1", "172.31.0.2", 80).verdict == "unknown"  # only published ports: not modelled
    routed28 = linux_engine("28.2.2", b={"gateway_mode_ipv4": "routed"})
    assert why(routed28, "a1", "172.31.0.2", 80).verdict == "delivered"


def test_an_unknown_gateway_mode_or_version_is_unknown_never_a_guess() -> None:
    odd = linux_engine(b={"gateway_mode_ipv4": "quantum"})
    assert why(odd, "a1", "172.31.0.2", 80).verdict == "unknown"
    assert why(linux_engine(None), "a1", "172.31.0.2", 80).verdict == "unknown"


def test_iptables_off_leaves_the_decision_to_the_hosts_own_filter() -> None:
    off = linux_engine(a={"iptables": False}, b={"iptables": False})
    r = why(off, "a1", "172.31.0.2", 80)
    assert r.verdict == "unknown" and r.reachable is None and "iptables disabled" in (r.reason or "")


def test_internal_networks_keep_everything_in_but_the_hosts_own_address() -> None:
    atlas = linux_engine()
    verdict, action, note = _last(atlas, "i1", "172.30.0.2", 80)
    assert (verdict, action) == ("stopped", "filter") and "network int is --internal: nothing leaves it" in note
    inbound = why(atlas, "a1", "10.9.0.2", 80)
    assert inbound.verdict == "stopped" and "nothing from outside enters it" in inbound.hops[-1].note
    published = why(atlas, "i1", "10.9.0.1", 8080)  # the host's published 8080, from the internal network
    assert published.verdict == "stopped" and "published port is DNATed" in published.hops[-1].note
    assert any("drop --internal" in f for f in published.fixes)


def test_icc_off_drops_between_its_containers_but_not_to_the_host() -> None:
    atlas = replace(linux_engine(), listeners=(*linux_engine().listeners, listener("node:host", 22, "0.0.0.0")))
    verdict, action, note = _last(atlas, "n1", "10.8.0.3", 80)
    assert (verdict, action) == ("stopped", "filter") and "ICC is off on network noicc" in note
    assert why(atlas, "n1", "10.8.0.1", 22).verdict == "delivered"  # INPUT: Docker filters none


@pytest.mark.parametrize(
    ("version", "proxy", "verdict"), [("20.10.24", True, "delivered"), ("28.2.2", False, "stopped")]
)
def test_published_ports_from_another_network_need_the_proxy_before_29(version: str, proxy: bool, verdict: str) -> None:
    atlas = linux_engine(version, a={"userland_proxy": proxy}, b={"userland_proxy": proxy})
    r = why(atlas, "a1", "172.30.0.1", 8080)
    assert r.verdict == verdict, r
    if verdict == "delivered":
        assert r.hops[-1].node == "node:container:b1"
    assert why(linux_engine("29.0.1", b={"userland_proxy": False}), "a1", "172.30.0.1", 8080).verdict == "delivered"


def test_direct_access_from_the_lan_per_version() -> None:
    """A LAN router that routes a bridge's subnet to the host: 28+ drops it, before 28 the policy decides."""
    for version, published, expected in (
        ("28.2.2", True, "stopped"),
        ("27.5.1", True, "delivered"),
        ("27.5.1", False, "unknown"),
    ):
        atlas = linux_engine(version)
        router = node(
            "node:router:192.168.1.1",
            "router",
            [iface("lan", "192.168.1.1/24")],
            [route("172.31.0.0/16", "192.168.1.20", "lan"), route("172.30.0.0/16", "192.168.1.20", "lan")],
        )
        atlas = replace(atlas, nodes=(*atlas.nodes, router))
        target = "172.31.0.2" if published else "172.30.0.2"
        r = why(atlas, "192.168.1.1", target, 80)
        assert r.verdict == expected, (version, published, r.reason, r.hops[-1].note)


def test_same_network_and_the_host_are_not_filtered() -> None:
    atlas = linux_engine()
    assert why(atlas, "a1", "172.30.0.3", 80).reachable is True  # one bridge, ICC on: nothing unread
    host = why(atlas, "host", "172.31.0.2", 80)  # Docker filters none of it, but the host's OUTPUT was not read
    assert host.verdict == "delivered" and host.reachable is None
    assert host.unread == ("the packet filter of devbox (output)",)


def test_a_loopback_publish_served_by_docker_proxy_is_fixed_by_the_publish() -> None:
    """docker-proxy holds 127.0.0.1:6379 for `-p 127.0.0.1:6379:6379`: the fix is the publish, not the bind."""
    base = linux_engine()
    atlas = replace(
        base,
        listeners=(*base.listeners, listener("node:host", 6379, "127.0.0.1", process="docker-proxy")),
        forwards=(*base.forwards, publish(6379, "b1", "172.31.0.2", cport=6379, host_ip="127.0.0.1")),
    )
    r = why(atlas, "a1", "172.30.0.1", 6379)
    assert r.verdict == "stopped"
    assert any("run -p 0.0.0.0:6379:6379" in f and "b1" in f for f in r.fixes), r.fixes
    assert not any("make the service listen" in f for f in r.fixes)


def test_a_forward_that_leads_nowhere_says_so_without_python_none() -> None:
    base = linux_engine()
    dead = replace(publish(9999, "b1", "172.31.0.2", cport=80), connect_address=None)
    r = why(replace(base, forwards=(dead,)), "192.168.1.20", "192.168.1.20", 9999)
    text = " ".join([r.reason or "", *(h.note for h in r.hops)])
    assert r.verdict == "stopped" and "None" not in text and "holds no address" in text
