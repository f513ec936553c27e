"""The fence: the machine's own addresses and loopback only, and a kernel route that stays on the machine."""

from __future__ import annotations

import ipaddress

import pytest

from netatlas.model import IPAddress
from netatlas.model.atlas import Atlas, Attachment, Network
from netatlas.verify.fence import Fence
from netatlas.verify.kernel import KernelRoute, Link

from .conftest import ip, node


def _machine() -> Atlas:
    """A host (LAN 192.168.1.20, docker0 172.17.0.1, tun0 10.8.0.2), a container 172.17.0.2,
    the LAN router 192.168.1.1, and the VPN's office network, where 172.17.0.9 is also a server."""
    host = node(
        "node:host",
        "host",
        ("eth0", "192.168.1.20", 24),
        ("docker0", "172.17.0.1", 16),
        ("tun0", "10.8.0.2", 24),
        vantage="host",
    )
    c = node("node:container:web", "container", ("eth0", "172.17.0.2", 16), vantage="container:web")
    c9 = node("node:container:db", "container", ("eth0", "172.17.0.9", 16))
    router = node("node:router:192.168.1.1", "router", ("lan", "192.168.1.1", 24))
    office = Network(
        "net:office",
        ipaddress.ip_network("172.17.0.0/24"),
        "vpn",
        "office",
        attachments=(Attachment("ext:172.17.0.9", "vpn", ip("172.17.0.9")),),
    )
    return Atlas("netatlas-atlas/1", (), (host, c, c9, router), (office,))


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("172.17.0.2", True),
        ("192.168.1.20", True),
        ("192.168.1.1", False),  # the router
        ("8.8.8.8", False),  # the internet
        ("192.168.1.77", False),  # another device on the LAN
        ("172.17.0.9", False),  # a container here, and a server behind the VPN
        ("224.0.0.251", False),
        ("0.0.0.0", False),
        ("fe80::1", False),
    ],
)
def test_static_rules(address: str, allowed: bool) -> None:
    assert (Fence(_machine()).static(ip(address)) is None) is allowed


VETH = Link(9, "eth0", "veth", False)
BRIDGE = Link(5, "docker0", "bridge", False)
NIC = Link(2, "eth0", None, False)
TUN = Link(7, "tun0", "tun", False)


def _fence(answers: dict[tuple[str, str], tuple[KernelRoute, Link | None]]) -> Fence:
    def ask(node_id: str, address: IPAddress) -> tuple[KernelRoute, Link | None] | None:
        return answers.get((node_id, str(address)))

    return Fence(_machine(), ask)


def test_a_container_route_is_followed_through_its_gateway_on_the_host() -> None:
    via_host = (KernelRoute("unicast", "eth0", ip("172.17.0.1")), VETH)
    fine = _fence(
        {
            ("node:container:web", "192.168.1.20"): via_host,
            ("node:host", "192.168.1.20"): (KernelRoute("local", "lo"), Link(1, "lo", None, True)),
        }
    )
    assert fine.check("node:container:web", ip("192.168.1.20")) is None
    # the host would send it out the VPN: refused, though a node of the machine holds the address
    leaks = _fence(
        {
            ("node:container:web", "172.17.0.2"): via_host,
            ("node:host", "172.17.0.2"): (KernelRoute("unicast", "tun0"), TUN),
        }
    )
    why = leaks.check("node:container:web", ip("172.17.0.2"))
    assert why is not None and "tun0" in why and "tun" in why


def test_physical_interfaces_unknown_gateways_and_unanswered_namespaces_are_refused() -> None:
    out_nic = _fence({("node:host", "172.17.0.2"): (KernelRoute("unicast", "eth0"), NIC)})
    assert "physical interface" in (out_nic.check("node:host", ip("172.17.0.2")) or "")
    via_router = _fence({("node:host", "172.17.0.2"): (KernelRoute("unicast", "docker0", ip("192.168.1.1")), BRIDGE)})
    assert "not this machine's" in (via_router.check("node:host", ip("172.17.0.2")) or "")
    unanswered = _fence({})
    assert "cannot be followed" in (unanswered.check("node:host", ip("172.17.0.2")) or "")
    failed = _fence({("node:host", "172.17.0.2"): (KernelRoute("error", error="timed out"), None)})
    assert "could not be asked" in (failed.check("node:host", ip("172.17.0.2")) or "")


def test_no_route_sends_nothing_so_the_probe_may_see_it() -> None:
    none = _fence({("node:host", "172.17.0.2"): (KernelRoute("none", error="Network is unreachable"), None)})
    assert none.check("node:host", ip("172.17.0.2")) is None


def test_on_link_out_a_bridge_to_a_container() -> None:
    ok = _fence({("node:host", "172.17.0.2"): (KernelRoute("unicast", "docker0", source=ip("172.17.0.1")), BRIDGE)})
    assert ok.check("node:host", ip("172.17.0.2")) is None


def test_without_a_kernel_to_ask_only_the_places_own_networks_are_probed() -> None:
    """Windows (no namespace entered): the host has no route to Docker Desktop's containers; `why` sends
    that packet to the LAN router, so the probe must not go (found by review)."""
    from ipaddress import ip_address

    from netatlas.atlas import build_atlas
    from netatlas.bundle import read_bundle
    from netatlas.verify.fence import Fence

    fence = Fence(build_atlas(read_bundle("examples/z820")), None)
    assert fence.check("node:host", ip_address("172.18.0.2")) is not None
    assert fence.check("node:host", ip_address("192.168.1.20")) is None  # its own address
