"""Neighbour tables and nsswitch.conf: collected, merged into the map, used for names.

Real namespaces (root only): two namespaces joined by a veth pair, a ping between
them *inside the namespaces only* (nothing else is pinged), then the in-process
netlink dump shows the peer in the neighbour table. Replayed bundles: the default
gateway's router node gets its MAC from the host's neighbour table, and a vantage's
``hosts:`` line decides whether the hosts file or DNS answers first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle
from netatlas.collect import netlink
from netatlas.collect.runner import ReplayRunner
from netatlas.collect.scan import scan
from netatlas.model import Evidence, Vantage, VantageKind
from netatlas.names import lookup_order, resolve
from netatlas.parsers import parse

HOST = Vantage("host", VantageKind.LINUX_HOST, "devbox")
NS = Vantage("netns:blue", VantageKind.NETNS, "blue", parent="host", channel="netns")

ADDR = json.dumps(
    [
        {
            "ifindex": 2,
            "ifname": "eth0",
            "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
            "mtu": 1500,
            "operstate": "UP",
            "link_type": "ether",
            "address": "02:00:5e:00:00:0a",
            "addr_info": [{"family": "inet", "local": "192.0.2.10", "prefixlen": 24, "scope": "global"}],
        }
    ]
).encode()
ROUTES = json.dumps(
    [
        {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0", "protocol": "dhcp", "flags": []},
        {"dst": "192.0.2.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link", "prefsrc": "192.0.2.10"},
    ]
).encode()
NEIGH = json.dumps(
    [
        {"dst": "192.0.2.1", "dev": "eth0", "lladdr": "02:00:5e:00:00:01", "state": ["REACHABLE"]},
        {"dst": "192.0.2.77", "dev": "eth0", "state": ["FAILED"]},
    ]
).encode()


def _net(vantage: str, neigh: bytes | None) -> list[Evidence]:
    out = [
        Evidence(f"{vantage}/ip-addr-json", vantage, "ip-addr-json", ("netlink",), ADDR),
        Evidence(f"{vantage}/ip-route-json", vantage, "ip-route-json", ("netlink",), ROUTES),
    ]
    if neigh is not None:
        out.append(Evidence(f"{vantage}/ip-neigh-json", vantage, "ip-neigh-json", ("netlink", "RTM_GETNEIGH"), neigh))
    return out


# --------------------------------------------------------------------------- merge


def test_router_gets_its_mac_from_the_hosts_neighbour_table() -> None:
    atlas = build_atlas(Bundle(vantages=(HOST,), evidence=tuple(_net("host", NEIGH))))
    router = atlas.node("node:router:192.0.2.1")
    assert router is not None and router.kind == "router"
    assert router.interfaces[0].mac == "02:00:5e:00:00:01"
    assert [str(a.address) for a in router.interfaces[0].addresses] == ["192.0.2.1"]


def test_router_without_a_neighbour_entry_has_no_mac() -> None:
    unrelated = json.dumps([{"dst": "192.0.2.1", "dev": "wlan0", "lladdr": "02:00:5e:00:00:99", "state": ["STALE"]}])
    for neigh in (None, b"[]", unrelated.encode()):
        atlas = build_atlas(Bundle(vantages=(HOST,), evidence=tuple(_net("host", neigh))))
        router = atlas.node("node:router:192.0.2.1")
        assert router is not None and router.interfaces[0].mac is None


# --------------------------------------------------------------------------- names


def _names_bundle(nsswitch: bytes | None, *, netns: bool = False) -> Bundle:
    hosts = b"127.0.0.1 localhost\n192.0.2.7 db.example\n"
    answers = json.dumps(
        [
            {
                "name": "db.example",
                "server": "192.0.2.53",
                "port": 53,
                "rdtype": "A",
                "status": "NOERROR",
                "addresses": ["192.0.2.9"],
                "cnames": [],
                "authority": [],
            }
        ]
    ).encode()
    vid = NS.id if netns else HOST.id
    evidence = [
        Evidence(f"{vid}/hosts", vid, "hosts", ("read", "/etc/hosts"), hosts),
        Evidence(f"{vid}/dns-answers", vid, "dns-answers-json", ("dns",), answers),
    ]
    if nsswitch is not None:
        evidence.append(
            Evidence("host/nsswitch-conf", "host", "nsswitch-conf", ("read", "/etc/nsswitch.conf"), nsswitch)
        )
    return Bundle(vantages=(HOST, NS) if netns else (HOST,), evidence=tuple(evidence))


def _first(bundle: Bundle, vantage: str) -> tuple[str, str]:
    got = resolve(build_atlas(bundle), "db.example", vantage=vantage)
    first = next(r for r in got if r.first)
    return first.source, str(first.addresses[0])


def test_hosts_file_first_without_nsswitch_and_with_files_dns() -> None:
    assert _first(_names_bundle(None), "host") == ("hosts", "192.0.2.7")
    assert _first(_names_bundle(b"hosts: files mdns4_minimal [NOTFOUND=return] dns\n"), "host") == (
        "hosts",
        "192.0.2.7",
    )


def test_dns_files_puts_dns_first() -> None:
    bundle = _names_bundle(b"passwd: files\nhosts: dns [!UNAVAIL=return] files\n")
    assert _first(bundle, "host") == ("dns", "192.0.2.9")
    got = resolve(build_atlas(bundle), "db.example", vantage="host")
    assert [(r.source, r.order) for r in got] == [("dns", 0), ("hosts", 1)]


def test_named_namespace_without_its_own_file_uses_the_hosts_order() -> None:
    bundle = _names_bundle(b"hosts: dns files\n", netns=True)
    atlas = build_atlas(bundle)
    assert atlas.settings["nss_hosts"] == {"host": ["dns", "files"]}
    assert lookup_order(atlas, NS.id)["dns"] == 0
    assert _first(bundle, NS.id) == ("dns", "192.0.2.9")


def test_nsswitch_source_is_optional_and_read_from_etc() -> None:
    b = scan(ReplayRunner(files={"/etc/nsswitch.conf": b"hosts: files dns\n"}), only=["nsswitch-conf"], netns=[])
    assert [(e.id, e.argv) for e in b.evidence] == [("host/nsswitch-conf", ("read", "/etc/nsswitch.conf"))]
    assert scan(ReplayRunner(), only=["nsswitch-conf"], netns=[]).evidence == ()  # absent: not news


def test_missing_namespace_neighbours_are_a_failure() -> None:
    name = f"na-missing-{uuid.uuid4().hex[:6]}"
    a, r, n = netlink.dump_all(name)
    assert a.failure == r.failure == n.failure
    assert n.failure is not None and n.failure.code == "not-installed"
    assert n.argv == ("netlink", "netns", name, "RTM_GETNEIGH")
    assert not os.path.exists(f"/run/netns/{name}")


# --------------------------------------------------------------------------- real namespaces

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("ping") is None,
    reason="needs root, iproute2 and ping",
)


@pytest.fixture
def pinged_pair() -> Iterator[tuple[str, str, str]]:
    """Namespaces A and B on one veth pair (198.51.100.0/24); A pinged B, inside only."""
    tag = uuid.uuid4().hex[:6]
    a, b = f"na-n{tag}a", f"na-n{tag}b"
    mac_b = "02:00:5e:10:00:0b"

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)

    ip("netns", "add", a)
    ip("netns", "add", b)
    try:
        ip("link", "add", f"v{tag}a", "netns", a, "type", "veth", "peer", "name", f"v{tag}b", "netns", b)
        ip("-n", b, "link", "set", f"v{tag}b", "address", mac_b)
        ip("-n", a, "addr", "add", "198.51.100.1/24", "dev", f"v{tag}a")
        ip("-n", b, "addr", "add", "198.51.100.2/24", "dev", f"v{tag}b")
        for ns, dev in ((a, f"v{tag}a"), (b, f"v{tag}b")):
            ip("-n", ns, "link", "set", dev, "up")
        ip(
            "-n",
            a,
            "neigh",
            "add",
            "198.51.100.254",
            "lladdr",
            "02:00:5e:10:00:fe",
            "dev",
            f"v{tag}a",
            "nud",
            "permanent",
        )
        # the only packets: from A to B, on the veth inside the pair
        subprocess.run(
            ["ip", "netns", "exec", a, "ping", "-c", "1", "-W", "2", "198.51.100.2"], check=True, capture_output=True
        )
        os.makedirs(f"/etc/netns/{a}", exist_ok=True)
        with open(f"/etc/netns/{a}/nsswitch.conf", "w") as fh:
            fh.write("hosts: dns files\n")
        yield a, b, mac_b
    finally:
        shutil.rmtree(f"/etc/netns/{a}", ignore_errors=True)
        subprocess.run(["ip", "netns", "del", a], check=False)
        subprocess.run(["ip", "netns", "del", b], check=False)


@needs_root
def test_scan_shows_the_pinged_peer_in_the_neighbour_table(pinged_pair: tuple[str, str, str]) -> None:
    a, b, mac_b = pinged_pair
    bundle = scan(netns=[a, b], only=["ip-neigh-json", "nsswitch-conf"])
    by_id = {e.id: e for e in bundle.evidence}
    ev = by_id[f"netns:{a}/ip-neigh-json"]
    assert ev.failure is None and ev.argv == ("netlink", "netns", a, "RTM_GETNEIGH")
    table = {str(n.address): n for n in parse("ip-neigh-json", ev.data).neighbours}
    peer = table["198.51.100.2"]
    assert peer.mac == mac_b and peer.interface is not None and peer.interface.startswith("v")
    assert peer.state in {"REACHABLE", "STALE", "DELAY", "PROBE"}
    assert table["198.51.100.254"].state == "PERMANENT"
    # A's own nsswitch.conf (ip netns exec bind-mounts it); B has none: not news
    assert parse("nsswitch-conf", by_id[f"netns:{a}/nsswitch-conf"].data).settings["nss_hosts"] == ["dns", "files"]
    assert f"netns:{b}/nsswitch-conf" not in by_id
    # the same table as iproute2 prints it (states may age between the two reads)
    shown = subprocess.run(["ip", "-n", a, "-j", "neigh"], check=True, capture_output=True).stdout

    def entries(data: bytes) -> set[tuple[str, str | None, str | None, bool]]:
        return {(str(n.address), n.mac, n.interface, n.router) for n in parse("ip-neigh-json", data).neighbours}

    assert entries(shown) == entries(ev.data)
