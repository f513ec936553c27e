"""why(): the path hop by hop, where it stops, and the fix."""

from __future__ import annotations

import ipaddress

import pytest

from analysis.atlas_kit import listener, portproxy, publish, z820
from netatlas.reach import PathResult, diagnose, why


def _actions(r: PathResult) -> list[tuple[str | None, str]]:
    return [(h.node, h.action) for h in r.hops]


def test_lan_cannot_reach_an_unpublished_container() -> None:
    r = why(z820(), "lan", "container:web", 80)
    assert not r.reachable
    assert r.stopped_at == "node:router:192.168.1.1"
    assert r.reason is not None and r.reason.startswith("container web does not publish port 80")
    assert "nothing reaches in without a forward" in r.reason
    assert any("docker run -p 80:80" in f and "192.168.1.155:80" in f for f in r.fixes)


def test_published_container_is_reached_via_the_hosts_lan_address() -> None:
    r = why(z820(forwards=(publish(8080, "web", "172.18.0.2", cport=80),)), "lan", "node:container:web", 80)
    assert r.verdict == "delivered" and r.entry == "192.168.1.155:8080"
    assert _actions(r) == [
        ("node:router:192.168.1.1", "start"),
        ("node:router:192.168.1.1", "route"),
        ("node:host", "forward"),
        ("node:container:web", "deliver"),
    ]
    assert "published port 0.0.0.0:8080" in r.hops[2].note and "172.18.0.2:80" in r.hops[2].note
    assert r.tried and r.tried[0].startswith("172.18.0.2:80")


def test_published_on_loopback_only_stops_at_the_host() -> None:
    r = why(z820(forwards=(publish(80, "web", "172.18.0.2", host_ip="127.0.0.1"),)), "lan", "web", 80)
    assert not r.reachable and r.stopped_at == "node:host"
    assert "published on 127.0.0.1 only" in (r.reason or "")
    assert any("-p 0.0.0.0:80:80" in f for f in r.fixes)
    # Windows itself does reach it on 127.0.0.1
    assert why(z820(forwards=(publish(80, "web", "172.18.0.2", host_ip="127.0.0.1"),)), "host", "web", 80).reachable


def test_wsl_service_needs_portproxy_from_the_lan() -> None:
    r = why(z820(), "lan", "wsl:Ubuntu", 8000)
    assert not r.reachable and r.stopped_at == "node:router:192.168.1.1"
    assert "WSL's NAT network" in (r.reason or "") and "localhost forwarding only helps from Windows" in (
        r.reason or ""
    )
    assert any(
        "netsh interface portproxy add v4tov4 listenport=8000" in f and "New-NetFirewallRule" in f for f in r.fixes
    )
    assert any("networkingMode=mirrored" in f for f in r.fixes)


def test_wsl_service_through_portproxy() -> None:
    r = why(z820(forwards=(portproxy(8000, "172.25.150.37"),)), "lan", "wsl:Ubuntu", 8000)
    assert r.verdict == "delivered" and r.entry == "192.168.1.155:8000"
    assert [h.action for h in r.hops] == ["start", "route", "forward", "route", "deliver"]
    assert r.hops[-1].node == "node:wsl-vm"


def test_windows_reaches_wsl_through_localhost_forwarding() -> None:
    atlas = z820(listeners=(listener("node:wsl-vm", 5000, "127.0.0.1"),))
    r = why(atlas, "host", "wsl:kali-linux", 5000)
    assert r.reachable and r.entry == "127.0.0.1:5000"
    assert "localhost forwarding" in r.hops[1].note
    assert any("127.0.0.1:5000 only" in t for t in r.tried)  # not via the WSL address
    off = why(z820(listeners=atlas.listeners, settings={"localhost_forwarding": False}), "host", "wsl:kali-linux", 5000)
    assert not off.reachable and any("localhostForwarding=true" in f for f in off.fixes)


def test_mirrored_mode_shares_the_hosts_addresses() -> None:
    r = why(z820(settings={"networking_mode": "mirrored"}), "lan", "wsl:Ubuntu", 8000)
    assert r.verdict == "delivered" and r.entry == "192.168.1.155:8000"
    assert "mirrored" in r.hops[2].note


def test_loopback_bind_is_reachable_only_from_the_same_node() -> None:
    atlas = z820(listeners=(listener("node:wsl-vm", 5000, "127.0.0.1"),), forwards=(portproxy(5000, "172.25.150.37"),))
    r = why(atlas, "lan", "wsl:Ubuntu", 5000)
    assert not r.reachable and r.stopped_at == "node:wsl-vm"
    assert "127.0.0.1:5000 only" in (r.reason or "")
    assert why(atlas, "wsl:Ubuntu", "node:wsl-vm", 5000).reachable


def test_container_reaches_the_lan_through_nat() -> None:
    r = why(z820(), "container:web", "192.168.1.1")
    # this atlas has no engine state for the VM's networks: its filter is unread; Windows' NAT takes no inbound rule
    assert r.verdict == "delivered" and r.unread == ("the packet filter of docker-desktop (forward)",)
    assert [h.node for h in r.hops if h.action == "nat"] == ["node:docker-desktop", "node:host"]
    assert r.hops[-1].node == "node:router:192.168.1.1"


def test_names_are_resolved_from_the_source() -> None:
    from analysis.atlas_kit import dns, hosts

    atlas = z820(
        names=(
            dns("container:web", "host.docker.internal", "192.168.65.254", server="127.0.0.11"),
            hosts("wsl:Ubuntu", "host.docker.internal", "192.168.1.155", 6, writer="wsl"),
        ),
        forwards=(publish(8080, "web", "172.18.0.2", cport=80),),
    )
    r = why(atlas, "container:web", "host.docker.internal", 8080)
    assert r.verdict == "delivered" and r.address == ipaddress.ip_address("192.168.65.254")
    assert "Docker's embedded DNS" in r.hops[1].note
    assert any("host.docker.internal" in h.note and "loopback" in h.note for h in r.hops)
    w = why(atlas, "wsl:Ubuntu", "host.docker.internal", 8080)
    assert w.address == ipaddress.ip_address("192.168.1.155") and w.verdict == "delivered"


def test_unknown_endpoints_raise() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        why(z820(), "nowhere", "host")
    with pytest.raises(ValueError, match="unknown destination"):
        why(z820(), "host", "no-such-name.example")


def test_result_round_trips_through_json() -> None:
    r = why(z820(), "lan", "container:web", 80)
    again = PathResult.from_dict(r.to_dict())
    assert again == r
    assert isinstance(r.to_dict()["hops"], list)


def test_diagnose_is_what_why_says() -> None:
    d = diagnose(z820(), "node:container:web", 80)
    assert d.fixes == why(z820(), "lan", "node:container:web", 80).fixes


@pytest.mark.parametrize(
    ("listen", "address", "v6only", "takes"),
    [
        ("0.0.0.0", "192.0.2.5", False, True),
        ("0.0.0.0", "2001:db8::5", False, False),  # an IPv4 wildcard never takes IPv6
        ("::", "192.0.2.5", False, True),  # Linux: IPv6 wildcard sockets are dual-stack
        ("::", "192.0.2.5", True, False),  # Windows: IPv6-only
        ("::", "2001:db8::5", True, True),
        ("127.0.0.1", "127.0.0.1", False, True),
        ("127.0.0.1", "::1", False, False),  # loopback of its own family only
        ("192.0.2.5", "192.0.2.5", False, True),
        ("192.0.2.5", "192.0.2.6", False, False),
    ],
)
def test_a_bind_address_takes_its_own_family(listen: str, address: str, v6only: bool, takes: bool) -> None:
    from ipaddress import ip_address

    from netatlas.reach import _listen_matches

    assert _listen_matches(ip_address(listen), ip_address(address), v6only=v6only) is takes
    assert _listen_matches(None, ip_address(address)) is True  # no bind address known: every address


def _z820_bundle_atlas():  # type: ignore[no-untyped-def]
    from pathlib import Path

    from netatlas.atlas import build_atlas
    from netatlas.bundle import read_bundle

    return build_atlas(read_bundle(Path(__file__).resolve().parents[1] / "examples" / "z820"))


def test_a_name_resolves_only_as_the_source_would_resolve_it() -> None:
    atlas = _z820_bundle_atlas()
    # only container:web's own /etc/hosts names its container id: not an answer for the host
    with pytest.raises(ValueError, match=r"does not resolve from Z820: only container:web knows it"):
        why(atlas, "host", "3c1e5f0b2a4d", 80)
    # localhost needs no hosts line anywhere (Windows has none), and is never another vantage's
    r = why(atlas, "Z820", "localhost", 8000)
    assert any("RFC 6761" in h.note for h in r.hops) and not any("/etc/hosts" in h.note for h in r.hops)
    # a vantage named as the source answers from its own hosts file, not its VM neighbour's
    r = why(atlas, "Ubuntu", "z820", 80)
    assert any("from wsl:Ubuntu" in h.note for h in r.hops)


def test_the_internet_is_beyond_the_map_not_unreachable() -> None:
    """The LAN router is only inferred: past it netatlas sees nothing, and says so."""
    from netatlas.reach import LEAVES_MAP

    atlas = _z820_bundle_atlas()
    for src in ("host", "container:web"):
        r = why(atlas, src, "8.8.8.8", 443)
        assert not r.reachable and (r.reason or "").startswith(LEAVES_MAP), r.reason
        assert "no route" not in (r.reason or "")
    # an address on a network of the map behind that router is still refused as before
    r = why(atlas, "lan", "172.25.150.37", 8000)
    assert not (r.reason or "").startswith(LEAVES_MAP)


def test_lan_reaches_an_ipv6_address_on_the_lan_directly() -> None:
    """A LAN with IPv4 and IPv6: an IPv6 question is asked from a device that speaks IPv6."""
    import json as _json

    from netatlas.atlas import build_atlas
    from netatlas.bundle import Bundle
    from netatlas.model import Evidence, Vantage, VantageKind

    addr = [
        {
            "ifindex": 2,
            "ifname": "eth0",
            "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
            "mtu": 1500,
            "operstate": "UP",
            "link_type": "ether",
            "address": "02:00:5e:00:00:0a",
            "addr_info": [
                {"family": "inet", "local": "192.0.2.2", "prefixlen": 24, "scope": "global"},
                {"family": "inet6", "local": "fd00::2", "prefixlen": 64, "scope": "global"},
            ],
        }
    ]
    routes = [
        {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0", "protocol": "dhcp", "flags": []},
        {"dst": "192.0.2.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link", "prefsrc": "192.0.2.2"},
        {"dst": "fd00::/64", "dev": "eth0", "protocol": "kernel", "metric": 256, "flags": []},
        {"dst": "default", "gateway": "fd00::1", "dev": "eth0", "protocol": "ra", "metric": 1024, "flags": []},
    ]
    listen = b"LISTEN 0 128 [::]:22 [::]:*\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n"
    host = Vantage("host", VantageKind.LINUX_HOST, "devbox")
    evidence = (
        Evidence("host/ip-addr-json", "host", "ip-addr-json", ("netlink",), _json.dumps(addr).encode()),
        Evidence("host/ip-route-json", "host", "ip-route-json", ("netlink",), _json.dumps(routes).encode()),
        Evidence("host/ss-listen", "host", "ss-listen", ("ss", "-ltnH"), listen),
    )
    atlas = build_atlas(Bundle((host,), evidence))
    r6 = why(atlas, "lan", "fd00::2", 22)
    assert r6.verdict == "delivered" and r6.unread == ("the packet filter of devbox (input)",), r6.reason
    r4 = why(atlas, "lan", "192.0.2.2", 22)
    assert r4.verdict == "delivered", r4.reason


def test_an_ipv4_mapped_address_is_the_ipv4_it_carries() -> None:
    atlas = _z820_bundle_atlas()
    mapped, plain = why(atlas, "Z820", "::ffff:127.0.0.1", 8000), why(atlas, "Z820", "127.0.0.1", 8000)
    assert mapped.reachable == plain.reachable is True
    assert str(mapped.address) == "127.0.0.1"


@pytest.mark.parametrize("loopback", ["127.0.0.1", "::1"])
def test_a_loopback_address_from_the_lan_is_the_senders_own(loopback: str) -> None:
    r = why(_z820_bundle_atlas(), "lan", loopback, 80)
    assert not r.reachable and "every device's own loopback" in (r.reason or "")
