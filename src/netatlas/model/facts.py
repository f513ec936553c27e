"""Typed facts that parsers produce from one piece of evidence.

Every class is a frozen, slotted dataclass holding :mod:`ipaddress` objects (never
address strings), with ``None`` for what the evidence does not say. :class:`Facts` is
what every parser returns; its JSON form (``Facts.to_dict``) is the ``netatlas parse
--json`` output and is described by ``docs/schema/facts.schema.json``.

Example:
    >>> from ipaddress import ip_address
    >>> a = Address(ip_address("192.0.2.10"), 24, "inet")
    >>> a.to_dict()
    {'address': '192.0.2.10', 'prefixlen': 24, 'family': 'inet'}
    >>> str(a.network)
    '192.0.2.0/24'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from netatlas.model._serde import JSON
from netatlas.model._serde import _Model as _Model  # re-exported: the other model modules import it from here
from netatlas.model.firewall import Ruleset

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Family = Literal["inet", "inet6"]

__all__ = [
    "Address",
    "Container",
    "Distro",
    "DnsConfig",
    "EngineNetwork",
    "Facts",
    "Family",
    "Forward",
    "Hop",
    "HostEntry",
    "IPAddress",
    "IPNetwork",
    "Interface",
    "Listener",
    "Member",
    "NameAnswer",
    "Neighbour",
    "PublishedPort",
    "Route",
    "Warning",
    "family_of",
    "hostport",
]


def hostport(address: object, port: int | None) -> str:
    """``address:port`` as people write it: IPv6 in brackets (``[::1]:8000``).

    >>> hostport("0.0.0.0", 8080), hostport(ipaddress.ip_address("::"), 445)
    ('0.0.0.0:8080', '[::]:445')
    """
    text = str(address)
    return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"


def family_of(address: IPAddress | IPNetwork) -> Family:
    """``inet`` or ``inet6``, as ``ip`` names them."""
    return "inet" if address.version == 4 else "inet6"


@dataclass(frozen=True, slots=True)
class Address(_Model):
    """One address on an interface. ``address`` is ``None`` where it was cut out."""

    address: IPAddress | None
    prefixlen: int | None
    family: Family

    @property
    def network(self) -> IPNetwork | None:
        """The connected network, or ``None`` when address or length is unknown."""
        if self.address is None or self.prefixlen is None:
            return None
        return ipaddress.ip_network(f"{self.address}/{self.prefixlen}", strict=False)


@dataclass(frozen=True, slots=True)
class Interface(_Model):
    """A network interface (Linux link, Windows adapter, macOS interface)."""

    name: str
    description: str | None = None
    mac: str | None = None
    mtu: int | None = None
    up: bool | None = None
    addresses: tuple[Address, ...] = ()
    gateways: tuple[IPAddress, ...] = ()
    dns_servers: tuple[IPAddress, ...] = ()
    type: str | None = None
    """Link or adapter type as the source names it (``ether``, ``loopback``,
    ``Ethernet``, ``Wireless LAN`` …)."""
    index: int | None = None
    master: str | None = None
    """The bridge or bond this link is enslaved to (``master docker0`` in ``ip addr``):
    the edge that hangs a container's host-side veth on its Docker bridge."""
    peer: str | None = None
    """The ``@`` suffix of the link name as written (``if5`` in ``eth0@if5``, ``eth0`` in
    ``veth1@eth0``): the veth peer's ifindex or name (a VLAN's parent), which pairs a
    container's ``eth0`` with its host-side veth across namespaces."""
    dhcp: bool | None = None
    """Whether the address comes from DHCP (ipconfig's "DHCP Enabled"): a leased address
    may change, so a map pinned to it can go stale."""
    dns_suffix: str | None = None
    """The adapter's own DNS suffix (ipconfig's "Connection-specific DNS Suffix"): a
    search domain this adapter adds, which decides how short names resolve."""


@dataclass(frozen=True, slots=True)
class Route(_Model):
    """One route. ``destination`` is a network (``0.0.0.0/0`` for default)."""

    destination: IPNetwork
    gateway: IPAddress | None = None
    interface: str | None = None
    metric: int | None = None
    scope: str | None = None
    """``link`` for on-link routes (Docker's allocator avoids these), ``host``,
    ``global``; ``None`` when the source does not say."""
    table: str | None = None
    source: IPAddress | None = None
    type: str | None = None
    """``unicast`` (None), ``local``, ``broadcast``, ``blackhole`` …"""


@dataclass(frozen=True, slots=True)
class DnsConfig(_Model):
    """Resolver configuration: ``resolv.conf``, or a Windows adapter's servers."""

    servers: tuple[IPAddress, ...] = ()
    search: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    generated_by: str | None = None
    """Who wrote the file, from its header (``wsl``, ``systemd-resolved`` …)."""
    upstream: tuple[IPAddress, ...] = ()
    """The servers a forwarding resolver asks in turn (Docker's ``# ExtServers:``
    comment): where a container's ``127.0.0.11`` queries really go, so the map can
    follow a name lookup past the embedded DNS."""


@dataclass(frozen=True, slots=True)
class HostEntry(_Model):
    """A hosts-file line. ``marker`` is the comment block it sits under."""

    address: IPAddress
    names: tuple[str, ...]
    marker: str | None = None
    writer: str | None = None
    """Who generated the block (``docker-desktop``, ``wsl``), from knowledge data."""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class NameAnswer(_Model):
    """What a name resolved to, and who answered."""

    name: str
    addresses: tuple[IPAddress, ...] = ()
    source: str | None = None
    """``hosts``, ``dns`` or ``nss``."""
    server: IPAddress | None = None
    aliases: tuple[str, ...] = ()
    status: str | None = None
    """``NXDOMAIN``, ``SERVFAIL``, ``timeout`` … when there was no answer."""


@dataclass(frozen=True, slots=True)
class Forward(_Model):
    """A port forward: ``netsh interface portproxy``, a published port, a relay."""

    listen_address: IPAddress | None
    listen_port: int
    connect_address: IPAddress | None
    connect_port: int
    protocol: str = "tcp"
    listen_any: bool = False
    """True when the listen side is a wildcard (``*``, ``0.0.0.0``, ``::``)."""
    connect_host: str | None = None
    """The connect side as written when it is a name rather than an address."""


@dataclass(frozen=True, slots=True)
class Listener(_Model):
    """A socket in LISTEN (TCP) or bound (UDP) state."""

    protocol: str
    address: IPAddress | None
    port: int
    process: str | None = None
    pid: int | None = None
    interface: str | None = None
    """Bound device (``%lo`` in ss output), if any."""


@dataclass(frozen=True, slots=True)
class Neighbour(_Model):
    """An entry of the neighbour table (ARP for IPv4, NDP for IPv6): who answers at an address.

    ``mac`` is ``None`` while the kernel has no link-layer address (``FAILED``,
    ``INCOMPLETE``). ``router`` is the ``NTF_ROUTER`` flag (IPv6 neighbours that sent
    router advertisements, or ``ip neigh add ... router``).
    """

    address: IPAddress
    mac: str | None = None
    interface: str | None = None
    state: str | None = None
    """``REACHABLE``, ``STALE``, ``DELAY``, ``PROBE``, ``FAILED``, ``INCOMPLETE``,
    ``NOARP``, ``PERMANENT`` as ``ip`` prints them (several joined with ``,``)."""
    router: bool = False


@dataclass(frozen=True, slots=True)
class Member(_Model):
    """An endpoint on an engine network."""

    name: str
    address: IPAddress | None
    prefixlen: int | None = None
    mac: str | None = None
    id: str | None = None
    gateway: IPAddress | None = None
    """The endpoint's default gateway on that network (``docker inspect`` gives one per
    network): the next hop the container's traffic leaves by."""


@dataclass(frozen=True, slots=True)
class EngineNetwork(_Model):
    """A Docker/Podman network as the engine reports it."""

    name: str
    id: str | None = None
    driver: str | None = None
    subnets: tuple[IPNetwork, ...] = ()
    gateways: tuple[IPAddress, ...] = ()
    members: tuple[Member, ...] = ()
    scope: str | None = None
    internal: bool | None = None
    bridge: str | None = None
    """The Linux bridge device (``docker0``, ``br-<id12>``)."""
    ip_ranges: tuple[IPNetwork, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    enable_ipv6: bool | None = None
    """Whether the network gives containers IPv6 addresses (``EnableIPv6``): decides
    whether an IPv6 path through it can exist at all."""
    attachable: bool | None = None
    """Whether standalone containers may join (``Attachable``, swarm overlays): who else
    can appear on this network."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Driver options as the engine reports them (``com.docker.network.bridge.host_binding_ipv4``
    decides which host address published ports bind to, ``…bridge.enable_ip_masquerade``
    whether traffic is NATed on the way out)."""
    created: str | None = None
    """When the engine created the network (``Created``, RFC 3339 as the engine wrote it).
    The order of creation since the daemon started is what Docker's round-robin
    allocator (before 27.0) depends on; the default ``bridge`` network is made anew at
    each daemon start, so its time is the daemon's start."""


@dataclass(frozen=True, slots=True)
class PublishedPort(_Model):
    """A container port and where the host publishes it (``-p``)."""

    container_port: int
    protocol: str = "tcp"
    host_ip: IPAddress | None = None
    host_port: int | None = None


@dataclass(frozen=True, slots=True)
class Container(_Model):
    """A container with its endpoints and published ports."""

    name: str
    id: str | None = None
    image: str | None = None
    state: str | None = None
    networks: tuple[Member, ...] = ()
    """One entry per network; ``Member.name`` is the network's name."""
    ports: tuple[PublishedPort, ...] = ()
    pid: int | None = None
    network_mode: str | None = None
    extra_hosts: tuple[str, ...] = ()
    """``HostConfig.ExtraHosts`` as written (``host.docker.internal:host-gateway``): the
    names ``--add-host`` writes into the container's /etc/hosts, which win over DNS."""
    dns: tuple[IPAddress, ...] = ()
    """``HostConfig.Dns`` (``--dns``): the servers the container's resolver is told to
    use instead of the daemon's defaults."""
    service: str | None = None
    """``PROJECT/SERVICE`` from the ``com.docker.compose.project`` and
    ``com.docker.compose.service`` labels: the compose service this container is one
    replica of, so pictures can draw a service's replicas as one box with a count."""


@dataclass(frozen=True, slots=True)
class Distro(_Model):
    """A WSL distribution from ``wsl -l -v``."""

    name: str
    state: str | None = None
    version: int | None = None
    default: bool = False


@dataclass(frozen=True, slots=True)
class Hop(_Model):
    """One traceroute hop. ``address`` is ``None`` for ``* * *``."""

    ttl: int
    address: IPAddress | None
    rtt_ms: tuple[float, ...] = ()
    name: str | None = None
    flags: tuple[str, ...] = ()
    """Annotations printed after this hop's times (``!H``, ``!N``, ``!X``, ``!P`` …, once
    each, in order): an ICMP unreachable says *why* the path ends here."""


@dataclass(frozen=True, slots=True)
class Warning(_Model):
    """Something skipped or guessed while parsing; never fatal."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Facts(_Model):
    """Everything one parser learned from one input.

    Every list is always present (empty where the format has nothing of that kind),
    so consumers never test for missing keys.
    """

    kind: str
    interfaces: tuple[Interface, ...] = ()
    routes: tuple[Route, ...] = ()
    hosts: tuple[HostEntry, ...] = ()
    answers: tuple[NameAnswer, ...] = ()
    forwards: tuple[Forward, ...] = ()
    networks: tuple[EngineNetwork, ...] = ()
    containers: tuple[Container, ...] = ()
    distros: tuple[Distro, ...] = ()
    hops: tuple[Hop, ...] = ()
    listeners: tuple[Listener, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    warnings: tuple[Warning, ...] = ()
    dns: DnsConfig = field(default_factory=DnsConfig)
    settings: Mapping[str, JSON] = field(default_factory=dict)
    """Engine settings, flat snake_case keys (``bip``, ``default_address_pools``,
    ``networking_mode`` …) with JSON values; addresses as canonical strings."""
    firewall: tuple[Ruleset, ...] = ()
    """Packet filter rulesets (``iptables-save`` has one per input; see :mod:`netatlas.model.firewall`)."""
