"""A small kit for building atlases by hand in tests, and the Z820 machine as one.

Checks and ``why`` are tested on hand-built atlases rather than bundles, so each test
states exactly the facts it rests on. :func:`z820` is the blog post's machine: a
Windows host on a home LAN, WSL 2 in NAT mode, Docker Desktop with a compose network
and one container; tests change one thing of it with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import replace

from netatlas.model import Address, DnsConfig, Interface, Route, Vantage, VantageKind
from netatlas.model.atlas import (
    ATLAS_SCHEMA,
    Atlas,
    Attachment,
    ListenerRecord,
    NameRecord,
    Network,
    Node,
    NodeKind,
    PortForward,
)
from netatlas.model.facts import IPAddress

ip = ipaddress.ip_address
net_ = ipaddress.ip_network


def iface(name: str, *cidrs: str, mac: str | None = None, description: str | None = None) -> Interface:
    """An interface with addresses given as ``"192.0.2.5/24"``."""
    addrs = []
    for c in cidrs:
        i = ipaddress.ip_interface(c)
        addrs.append(Address(i.ip, i.network.prefixlen, "inet" if i.version == 4 else "inet6"))
    return Interface(name=name, addresses=tuple(addrs), mac=mac, description=description)


def route(dest: str, gw: str | None = None, dev: str | None = None, scope: str | None = None) -> Route:
    """A route; ``scope`` defaults to ``link`` for routes without a gateway."""
    return Route(
        destination=net_(dest),
        gateway=ip(gw) if gw else None,
        interface=dev,
        scope=scope or ("link" if gw is None else None),
    )


def node(
    id: str,
    kind: NodeKind,
    interfaces: Sequence[Interface] = (),
    routes: Sequence[Route] = (),
    parent: str | None = None,
    vantages: Sequence[str] = (),
    name: str | None = None,
) -> Node:
    return Node(
        id=id,
        kind=kind,
        name=name or id.removeprefix("node:"),
        vantages=tuple(vantages),
        parent=parent,
        interfaces=tuple(interfaces),
        routes=tuple(routes),
    )


def network(
    cidr: str,
    kind: str,
    label: str | None = None,
    attachments: Iterable[tuple[str, str, str | None]] = (),
    owner: str | None = None,
) -> Network:
    """A network; attachments as ``(node id, interface, address or None)``."""
    return Network(
        id=f"net:{net_(cidr)}",
        cidr=net_(cidr),
        kind=kind,
        label=label or cidr,
        owner=owner,
        attachments=tuple(Attachment(n, i, ip(a) if a else None) for n, i, a in attachments),
    )


def atlas_of(nodes: Sequence[Node] = (), networks: Sequence[Network] = (), **kw: object) -> Atlas:
    """An atlas whose networks are ``networks`` plus, when not given, those of the nodes."""
    vantages = kw.pop("vantages", ())
    return Atlas(
        schema=ATLAS_SCHEMA,
        vantages=tuple(vantages),  # type: ignore[arg-type]
        nodes=tuple(nodes),
        networks=tuple(networks),
        **kw,  # type: ignore[arg-type]
    )


def listener(node_id: str, port: int, address: str | None = None, process: str | None = None) -> ListenerRecord:
    return ListenerRecord(
        node=node_id,
        protocol="tcp",
        address=ip(address) if address else None,
        port=port,
        process=process,
        evidence=f"ev-ss-{node_id.split(':')[-1]}",
    )


def publish(port: int, container: str, addr: str, cport: int | None = None, host_ip: str | None = None) -> PortForward:
    return PortForward(
        node="node:host",
        via="docker-publish",
        listen_address=ip(host_ip) if host_ip else None,
        listen_port=port,
        connect_address=ip(addr),
        connect_port=cport or port,
        target_node=f"node:container:{container}",
        evidence="ev-docker-ps",
    )


def portproxy(port: int, connect: str, cport: int | None = None, listen: str | None = "0.0.0.0") -> PortForward:
    return PortForward(
        node="node:host",
        via="portproxy",
        listen_address=ip(listen) if listen else None,
        listen_port=port,
        connect_address=ip(connect),
        connect_port=cport or port,
        evidence="ev-netsh-portproxy",
    )


def hosts(
    vantage: str,
    name: str,
    address: str,
    line: int,
    file: str = "/etc/hosts",
    writer: str | None = None,
    marker: str | None = None,
    evidence: str = "ev-hosts",
) -> NameRecord:
    return NameRecord(
        vantage, name, (ip(address),), "hosts", file=file, line=line, writer=writer, marker=marker, evidence=evidence
    )


def dns(vantage: str, name: str, *addresses: str, server: str = "192.168.1.1", evidence: str = "ev-dig") -> NameRecord:
    source = "docker-dns" if server == "127.0.0.11" else "dns"
    return NameRecord(vantage, name, tuple(ip(a) for a in addresses), source, server=ip(server), evidence=evidence)


WIN_HOSTS = r"C:\Windows\System32\drivers\etc\hosts"
COPIED = r"copied by WSL from the Windows hosts file (%WINDIR%\System32\drivers\etc\hosts)"

VANTAGES = (
    Vantage("host", VantageKind.WINDOWS_HOST, "Z820"),
    Vantage("wsl:Ubuntu", VantageKind.WSL_DISTRO, "Ubuntu", parent="host", channel="wsl"),
    Vantage("wsl:kali-linux", VantageKind.WSL_DISTRO, "kali-linux", parent="host", channel="wsl"),
    Vantage("docker-desktop", VantageKind.DOCKER_DESKTOP_VM, "docker-desktop", parent="host", channel="wsl"),
    Vantage("container:web", VantageKind.CONTAINER, "web", parent="docker-desktop", channel="docker-exec"),
)


def z820(**changes: object) -> Atlas:
    """The Z820 machine: Windows host, WSL 2 (NAT), Docker Desktop, one container.

    Keyword arguments replace atlas fields (``forwards=``, ``listeners=``, ``settings=``…).
    """
    host = node(
        "node:host",
        "host",
        [
            iface("Ethernet", "192.168.1.155/24", mac="aa:bb:cc:00:00:01"),
            iface("vEthernet (WSL)", "172.25.144.1/20", mac="00:15:5d:00:00:01"),
            iface("Loopback Pseudo-Interface 1", "127.0.0.1/8"),
        ],
        [route("0.0.0.0/0", "192.168.1.1"), route("192.168.1.0/24"), route("172.25.144.0/20")],
        vantages=["host"],
        name="Z820",
    )
    host = replace(
        host,
        interfaces=(replace(host.interfaces[0], gateways=(ip("192.168.1.1"),)), *host.interfaces[1:]),
    )
    wsl = node(
        "node:wsl-vm",
        "vm",
        [iface("eth0", "172.25.150.37/20", mac="00:15:5d:b3:93:cc"), iface("lo", "127.0.0.1/8")],
        [route("0.0.0.0/0", "172.25.144.1", "eth0"), route("172.25.144.0/20", dev="eth0")],
        parent="node:host",
        vantages=["wsl:Ubuntu", "wsl:kali-linux"],
        name="WSL 2 VM",
    )
    dd = node(
        "node:docker-desktop",
        "vm",
        [
            iface("eth0", "192.168.65.3/24"),
            iface("docker0", "172.17.0.1/16"),
            iface("br-0123456789ab", "172.18.0.1/16"),
        ],
        [
            route("0.0.0.0/0", "192.168.65.1", "eth0"),
            route("192.168.65.0/24", dev="eth0"),
            route("172.17.0.0/16", dev="docker0"),
            route("172.18.0.0/16", dev="br-0123456789ab"),
        ],
        parent="node:host",
        vantages=["docker-desktop"],
    )
    web = node(
        "node:container:web",
        "container",
        [iface("eth0", "172.18.0.2/16")],
        [route("0.0.0.0/0", "172.18.0.1", "eth0"), route("172.18.0.0/16", dev="eth0")],
        parent="node:docker-desktop",
        vantages=["container:web"],
        name="web",
    )
    web = replace(web, dns=DnsConfig(servers=(ip("127.0.0.11"),), generated_by="docker"))
    router = node("node:router:192.168.1.1", "router", [iface("lan", "192.168.1.1/24")], name="router 192.168.1.1")
    nets = [
        network(
            "192.168.1.0/24",
            "lan",
            "Ethernet",
            [("node:host", "Ethernet", "192.168.1.155"), ("node:router:192.168.1.1", "lan", "192.168.1.1")],
        ),
        network(
            "172.25.144.0/20",
            "wsl-nat",
            "vEthernet (WSL)",
            [("node:host", "vEthernet (WSL)", "172.25.144.1"), ("node:wsl-vm", "eth0", "172.25.150.37")],
            owner="wsl",
        ),
        network(
            "192.168.65.0/24",
            "docker-desktop-vm",
            "Docker Desktop VM",
            [("node:docker-desktop", "eth0", "192.168.65.3")],
            owner="docker-desktop",
        ),
        network(
            "172.17.0.0/16",
            "docker-bridge",
            "docker network bridge",
            [("node:docker-desktop", "docker0", "172.17.0.1")],
            owner="docker-engine",
        ),
        network(
            "172.18.0.0/16",
            "docker-bridge",
            "docker network z820_default",
            [("node:docker-desktop", "br-0123456789ab", "172.18.0.1"), ("node:container:web", "eth0", "172.18.0.2")],
            owner="docker-engine",
        ),
        network(
            "127.0.0.0/8",
            "loopback",
            "loopback",
            [("node:host", "Loopback Pseudo-Interface 1", "127.0.0.1"), ("node:wsl-vm", "lo", "127.0.0.1")],
        ),
    ]
    fields: dict[str, object] = {
        "vantages": VANTAGES,
        "listeners": (
            listener("node:container:web", 80, process="nginx"),
            listener("node:wsl-vm", 8000, process="python3"),
        ),
    }
    fields.update(changes)
    return atlas_of([host, wsl, dd, web, router], nets, **fields)


def addr(text: str) -> IPAddress:
    return ip(text)
