"""The atlas: every vantage's facts merged into one graph, and the findings on it.

Parts (all frozen; JSON via ``to_dict``, described by ``docs/schema/atlas.schema.json``):

* :class:`Node`: a host, VM, distro, container, pod or router. Several vantages may
  be one node (two WSL distros share one VM); ``reason`` says why they were merged.
* :class:`Network`: a CIDR with a kind (``lan``, ``wsl-nat``, ``docker-bridge`` …),
  an owner and a label, and the :class:`Attachment` of each node interface on it.
* :class:`NameRecord`: what a name resolves to from one vantage, and who wrote that
  answer (file, line, marker; or DNS server).
* :class:`PortForward` and :class:`ListenerRecord`: how traffic is relayed and where
  services wait.
* :class:`Finding`: one answer of an analysis, with the evidence it rests on and a fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from netatlas.model._serde import JSON
from netatlas.model.evidence import Vantage
from netatlas.model.facts import (
    DnsConfig,
    Interface,
    IPAddress,
    IPNetwork,
    Route,
    _Model,
)
from netatlas.model.firewall import Ruleset

__all__ = [
    "ATLAS_SCHEMA",
    "Atlas",
    "Attachment",
    "Finding",
    "FirewallRecord",
    "ListenerRecord",
    "NameRecord",
    "Network",
    "Node",
    "NodeKind",
    "PortForward",
    "Problem",
    "Severity",
]

ATLAS_SCHEMA = "netatlas-atlas/1"
NodeKind = Literal["host", "vm", "distro", "container", "pod", "router", "netns"]
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Node(_Model):
    """A thing with interfaces: host, VM, distro, container, pod, router or namespace.

    Args:
        id: stable id (``node:host``, ``node:wsl-vm``, ``node:container:web``).
        kind: what it is.
        name: for people.
        vantages: ids of the vantages that see the network as this node does.
        parent: node this one runs inside (a container in the Docker Desktop VM).
        interfaces: merged from every vantage of the node.
        routes: the node's routing table (merged, de-duplicated).
        dns: the resolver configuration as this node's applications see it.
        reason: why vantages were merged into this node, or how it was inferred.
        shares: the node whose network namespace this one shares (a ``--network host``
            container shares its engine's host, ``--network container:X`` shares X's):
            its addresses, routes and listeners are that node's.
        service: for a container, the compose ``PROJECT/SERVICE`` it is a replica of
            (from the engine's labels), so pictures can draw replicas as one box.
        state: a container's state as its engine reports it (``running``,
            ``created``, ``exited`` …); ``None`` when no engine said.
    """

    id: str
    kind: NodeKind
    name: str
    vantages: tuple[str, ...] = ()
    parent: str | None = None
    interfaces: tuple[Interface, ...] = ()
    routes: tuple[Route, ...] = ()
    dns: DnsConfig = field(default_factory=DnsConfig)
    reason: str | None = None
    shares: str | None = None
    service: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment(_Model):
    """A node's interface on a network, with its address there."""

    node: str
    interface: str
    address: IPAddress | None
    vantage: str | None = None


@dataclass(frozen=True, slots=True)
class Network(_Model):
    """A network (CIDR) and what sits on it.

    Args:
        id: stable id (``net:192.168.1.0/24``).
        cidr: the network.
        kind: ``loopback``, ``host-alias``, ``lan``, ``wsl-nat``,
            ``hyperv-default-switch``, ``docker-desktop-vm``, ``docker-bridge``,
            ``k8s-pods``, ``k8s-services``, ``vpn``, ``link-local`` or ``unknown``.
        label: for people (``Home LAN``, ``vEthernet (WSL)``, ``docker network z820_default``).
        owner: who made it (``wsl``, ``docker-engine``, ``docker-desktop``, ``kubernetes``,
            ``hyper-v``, a VPN client …) or ``None``.
        reason: the knowledge rule (with its source) that decided the kind.
        attachments: node interfaces on it.
        engine: for a container engine's network, what that engine enforces on it, as
            its own state says (flat keys: ``engine`` (``docker``), ``version``,
            ``name``, ``driver``, ``bridge``, ``internal``, ``icc``,
            ``gateway_mode_ipv4``, ``gateway_mode_ipv6``, ``evidence``); empty otherwise.
            ``why`` judges paths through the network by it where no packet filter was read.
    """

    id: str
    cidr: IPNetwork
    kind: str
    label: str
    owner: str | None = None
    reason: str | None = None
    attachments: tuple[Attachment, ...] = ()
    engine: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NameRecord(_Model):
    """One answer for a name from one vantage, with its provenance.

    ``source`` is ``hosts`` (a hosts file), ``dns`` (a DNS server), ``docker-dns``
    (Docker's embedded resolver at 127.0.0.11) or ``nss`` (the system resolver as an
    application sees it: hosts then DNS, per nsswitch). A query that got no address
    has ``addresses`` empty and ``status`` what the server said (``NXDOMAIN``,
    ``SERVFAIL``, ``timeout`` …).
    """

    vantage: str
    name: str
    addresses: tuple[IPAddress, ...]
    source: str
    file: str | None = None
    line: int | None = None
    marker: str | None = None
    writer: str | None = None
    server: IPAddress | None = None
    evidence: str | None = None
    status: str | None = None


PUBLISH_VIAS = frozenset({"docker-publish", "podman-wsl", "gvproxy"})
"""Forwards that are a container's published port (``-p``), wherever they listen."""


@dataclass(frozen=True, slots=True)
class PortForward(_Model):
    """A relay from a listen address/port on one node to a connect address/port.

    ``via`` is ``portproxy`` (netsh), ``docker-publish`` (``-p``),
    ``wsl-localhost`` (WSL's localhost forwarding in NAT mode), or a port a Podman
    machine publishes on its host: ``podman-wsl`` (a WSL machine's ``-p``, carried
    to Windows' loopback by WSL's localhost forwarding) or ``gvproxy`` (macOS, or a
    WSL machine with user-mode networking: gvproxy listens on the host). Every
    ``via`` in :data:`PUBLISH_VIAS` is a published port of a container.
    """

    node: str
    via: str
    listen_address: IPAddress | None
    listen_port: int
    connect_address: IPAddress | None
    connect_port: int
    protocol: str = "tcp"
    target_node: str | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class ListenerRecord(_Model):
    """A service waiting on a node.

    ``address`` is the bind address: ``0.0.0.0`` or ``::`` for every address of that
    family, ``None`` when the evidence names none (every address).
    """

    node: str
    protocol: str
    address: IPAddress | None
    port: int
    process: str | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class FirewallRecord(_Model):
    """A packet filter ruleset read on a node: the rules ``why`` evaluates on every path through it."""

    node: str
    ruleset: Ruleset
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class Finding(_Model):
    """One thing an analysis found.

    Args:
        code: stable code (``pool-overlap``, ``stale-name`` …).
        severity: ``error``, ``warning`` or ``info``.
        title: one line.
        detail: plain words, naming the evidence it rests on.
        fix: exact commands or config, or ``None``.
        networks: ids of the networks it concerns (for highlighting).
        nodes: ids of the nodes it concerns.
        evidence: ids of the evidence it rests on.
    """

    code: str
    severity: Severity
    title: str
    detail: str
    fix: str | None = None
    networks: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem(_Model):
    """A source that failed or evidence that did not parse; the map is drawn without it."""

    evidence: str
    vantage: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Atlas(_Model):
    """The merged map of one scan."""

    schema: str
    vantages: tuple[Vantage, ...]
    nodes: tuple[Node, ...]
    networks: tuple[Network, ...]
    names: tuple[NameRecord, ...] = ()
    forwards: tuple[PortForward, ...] = ()
    listeners: tuple[ListenerRecord, ...] = ()
    settings: Mapping[str, JSON] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    findings: tuple[Finding, ...] = ()
    firewalls: tuple[FirewallRecord, ...] = ()

    def node(self, node_id: str) -> Node | None:
        """The node with this id, or ``None``."""
        return next((n for n in self.nodes if n.id == node_id), None)

    def network(self, network_id: str) -> Network | None:
        """The network with this id, or ``None``."""
        return next((n for n in self.networks if n.id == network_id), None)
