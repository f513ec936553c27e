"""Merge per-vantage observations into one :class:`~netatlas.model.atlas.Atlas`.

Steps, each a small function:

1. :func:`_group_vantages`: vantages that show the same interface (same MAC and a
   same address) are one node, e.g. every WSL 2 distro lives in one VM.
2. :func:`_engine_nodes`: containers an engine reports but that were not scanned
   as vantages still become nodes; default gateways not held by any node become
   routers, with the MAC the host's neighbour table (``ip neigh``) holds for them.
3. :func:`_networks`: every address's connected network, every engine subnet and
   every loopback alias in a hosts file becomes a network, classified by
   :mod:`netatlas.atlas.classify` from knowledge data.
4. names, forwards and listeners are collected per vantage with their provenance;
   each vantage's ``hosts:`` lookup order (``nsswitch.conf``) goes to
   ``settings["nss_hosts"]`` as ``{vantage id: [sources]}``, for :mod:`netatlas.names`;
   portproxy rules that cannot forward as ``settings["portproxy_dead_rules"]``, each
   with its ``node`` and ``evidence``, for :mod:`netatlas.analysis.dead_forward`; Windows'
   NRPT rules (split DNS) as ``settings["nrpt_rules"]`` the same way, for :mod:`netatlas.names`.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from netatlas.atlas.classify import Candidate, classify, known_address
from netatlas.atlas.engine_state import engine_state
from netatlas.atlas.observe import Observation, observe
from netatlas.bundle import Bundle
from netatlas.model import (
    Address,
    Container,
    Interface,
    IPAddress,
    IPNetwork,
    Route,
    Vantage,
    VantageKind,
    family_of,
)
from netatlas.model._serde import JSON
from netatlas.model.atlas import (
    ATLAS_SCHEMA,
    Atlas,
    Attachment,
    FirewallRecord,
    ListenerRecord,
    NameRecord,
    Network,
    Node,
    NodeKind,
    PortForward,
)

__all__ = ["build_atlas"]

_NODE_KIND: dict[VantageKind, NodeKind] = {
    VantageKind.WINDOWS_HOST: "host",
    VantageKind.LINUX_HOST: "host",
    VantageKind.MACOS_HOST: "host",
    VantageKind.WSL_DISTRO: "distro",
    VantageKind.DOCKER_DESKTOP_VM: "vm",
    VantageKind.DOCKER_ENGINE: "vm",
    VantageKind.PODMAN_ENGINE: "vm",
    VantageKind.PODMAN_MACHINE: "vm",
    VantageKind.CONTAINER: "container",
    VantageKind.POD: "pod",
    VantageKind.NETNS: "netns",
}


_WSL_VM_KINDS = (VantageKind.WSL_DISTRO, VantageKind.DOCKER_DESKTOP_VM)


def _identity(iface: Interface) -> set[tuple[str, str]]:
    """(mac, address) pairs that identify one interface across vantages."""
    if not iface.mac or iface.mac == "00:00:00:00:00:00" or iface.type == "loopback":
        return set()
    return {(iface.mac, str(a.address)) for a in iface.addresses if a.address is not None}


_ENGINE_KINDS = (VantageKind.DOCKER_ENGINE, VantageKind.PODMAN_ENGINE)
"""Vantages of a container engine's API or CLI: they describe the machine the engine runs on."""


def _desktop_engine(o: Observation) -> bool:
    """A Docker Desktop engine (``docker-info`` says ``Operating System: Docker Desktop``)."""
    return o.vantage.kind is VantageKind.DOCKER_ENGINE and str(o.settings.get("operating_system") or "").startswith(
        "Docker Desktop"
    )


def _own_vm(obs: dict[str, Observation], vid: str) -> bool:
    """Docker Desktop's engine is a VM of its own, unless it hangs off the VM vantage it runs in.

    Its bridges and containers live in a Linux VM, not on the Windows/macOS host it
    reports to (pool-facts §2). On Windows with the WSL 2 backend the collector makes
    the ``docker-desktop`` distro its parent: that distro *is* the VM, so they merge.
    """
    o = obs[vid]
    if not _desktop_engine(o):
        return False
    up = obs.get(o.vantage.parent or "")
    return up is None or up.vantage.kind is not VantageKind.DOCKER_DESKTOP_VM


def _group_vantages(obs: dict[str, Observation]) -> list[list[str]]:
    """Union vantages that share an interface identity; keep first-seen order."""
    parent = {vid: vid for vid in obs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    seen: dict[tuple[str, str], str] = {}
    for vid, o in obs.items():
        v = o.vantage
        if v.kind in _ENGINE_KINDS and v.parent in parent and not _own_vm(obs, vid):
            # the engine's API answers describe the machine it runs on: same node
            parent[find(vid)] = find(v.parent)
        for iface in o.interfaces.values():
            for ident in _identity(iface):
                if ident in seen:
                    parent[find(vid)] = find(seen[ident])
                else:
                    seen[ident] = vid
    groups: dict[str, list[str]] = defaultdict(list)
    for vid in obs:
        groups[find(vid)].append(vid)
    return list(groups.values())


def _shared_reason(members: list[Vantage], ifaces: Iterable[Interface]) -> str:
    shared = sorted({f"{i.name} (MAC {i.mac})" for i in ifaces if _identity(i)})
    names = " and ".join(v.name for v in members)
    why = ""
    if all(v.kind in _WSL_VM_KINDS for v in members):
        why = ": WSL 2 runs every distribution in one VM with one network namespace (MicrosoftDocs/WSL about.md)"
    return f"{names} show the same interface {', '.join(shared)} with the same addresses{why}"


def _nodes(obs: dict[str, Observation]) -> tuple[list[Node], dict[str, str]]:
    nodes: list[Node] = []
    node_of: dict[str, str] = {}
    for group in _group_vantages(obs):
        members = [obs[v].vantage for v in group if obs[v].vantage.kind not in _ENGINE_KINDS]
        members = members or [obs[v].vantage for v in group]
        # a named namespace that is a container's (podman's CNI names them netns-<uuid>) takes the container's name
        members.sort(key=lambda m: m.kind is VantageKind.NETNS)
        first = members[0]
        ifaces: dict[str, Interface] = {}
        routes: list[Route] = []
        seen: set[Route] = set()
        for vid in group:
            for iface in obs[vid].completed_interfaces():
                ifaces.setdefault(iface.name, iface)
            for r in obs[vid].routes:
                if r not in seen:
                    seen.add(r)
                    routes.append(r)
        if len(members) > 1:
            # WSL 2 runs every distro, docker-desktop included, in one VM: a group of them is that VM
            in_wsl_vm = all(m.kind in _WSL_VM_KINDS for m in members)
            kind: NodeKind = "vm" if in_wsl_vm else _NODE_KIND[first.kind]
            node_id = "node:wsl-vm" if in_wsl_vm else f"node:{first.id}"
            name = "WSL 2 VM" if in_wsl_vm else first.name
            reason: str | None = _shared_reason(members, ifaces.values())
        elif _own_vm(obs, first.id):
            kind, node_id, name = "vm", f"node:{first.id}", "Docker Desktop VM"
            reason = "Docker Desktop runs the engine, its bridges and containers in a Linux VM (docker-info)"
        else:
            kind, node_id, name, reason = _NODE_KIND[first.kind], f"node:{first.id}", first.name, None
        for vid in group:
            node_of[vid] = node_id
        nodes.append(
            Node(
                id=node_id,
                kind=kind,
                name=name,
                vantages=tuple(group),
                parent=first.parent,  # rewritten to node ids below
                interfaces=tuple(ifaces.values()),
                routes=tuple(routes),
                dns=obs[group[0]].dns,
                reason=reason,
            )
        )
    fixed = []
    for n in nodes:
        parent = node_of.get(n.parent) if n.parent else None
        fixed.append(_with(n, parent=parent if parent != n.id else None))
    return fixed, node_of


def _with(node: Node, **changes: object) -> Node:
    from dataclasses import replace

    return replace(node, **changes)  # type: ignore[arg-type]


_LIVE_STATES = frozenset({"running", "paused"})
"""Container states in which its endpoints and published ports exist (a paused
container keeps them; a created, exited or dead one has none)."""


def _live(c: Container) -> bool:
    """True unless the engine says the container is not running (no state: as before, live)."""
    return c.state is None or c.state in _LIVE_STATES


def _shared_namespace(mode: str | None, engine_node: str, by_id: dict[str, str]) -> str | None:
    """The node a container's network mode makes it share a namespace with, or ``None``.

    ``host`` is the engine's own node; ``container:<id or name>`` the container named.
    """
    if mode == "host":
        return engine_node
    if mode and mode.startswith("container:"):
        ref = mode.removeprefix("container:")
        name = next((n for cid, n in by_id.items() if cid.startswith(ref)), ref)
        return f"node:container:{name}"
    return None


def _with_services(obs: dict[str, Observation], nodes: list[Node]) -> list[Node]:
    """Containers marked with the compose service they are a replica of (engine labels)."""
    service = {f"node:container:{c.name}": c.service for o in obs.values() for c, _ev in o.containers if c.service}
    return [_with(n, service=service[n.id]) if n.id in service else n for n in nodes]


def _engine_nodes(obs: dict[str, Observation], nodes: list[Node], node_of: dict[str, str]) -> None:
    """Containers known only from the engine, and routers known only as gateways.

    A container the engine reports as not running (created, exited, dead …) is a node
    with its state and no address: whatever its inspect still names, nobody holds it.
    """
    known = {n.name for n in nodes if n.kind in ("container", "pod")}  # pods scanned from inside
    states = {c.name: c.state for o in obs.values() for c, _ev in o.containers if c.state}
    reported = {c.name: (c, o.vantage.name) for o in obs.values() for c, _ev in o.containers}
    for i, n in enumerate(nodes):
        if n.kind == "container" and n.name in states:
            nodes[i] = n = _with(n, state=states[n.name])
        if n.kind == "container" and n.name in reported and not any(x.addresses for x in n.interfaces):
            # entered, but its addresses were not read (BusyBox's ip has no -j): the engine's say
            c, engine = reported[n.name]
            ifaces = _reported_interfaces(c)
            if any(x.addresses for x in ifaces):
                why = f"addresses as reported by the engine ({engine}); not read from inside"
                nodes[i] = _with(n, interfaces=ifaces, reason=f"{n.reason}; {why}" if n.reason else why)
    for vid, o in obs.items():
        by_id = {c.id: c.name for c, _ev in o.containers if c.id}
        for c, _ev in o.containers:
            if c.name in known:
                continue
            known.add(c.name)
            shares = _shared_namespace(c.network_mode, node_of[vid], by_id)
            if shares is not None:
                nodes.append(
                    Node(
                        id=f"node:container:{c.name}",
                        kind="container",
                        name=c.name,
                        parent=node_of[vid],
                        reason=f"shares the network namespace of {shares} (--network {c.network_mode}): "
                        "its addresses and listeners are that node's",
                        shares=shares,
                        state=c.state,
                    )
                )
                continue
            live = _live(c)
            ifaces = _reported_interfaces(c)
            reason = f"reported by the engine ({o.vantage.name}); not scanned from inside"
            if not live:
                ports = [f"{p.host_port}->{p.container_port}/{p.protocol}" for p in c.ports if p.host_port]
                reason = f"{c.state}, not running: reported by the engine ({o.vantage.name}); it holds no address" + (
                    f" and publishes no port ({', '.join(ports)} only while it runs)" if ports else ""
                )
            nodes.append(
                Node(
                    id=f"node:container:{c.name}",
                    kind="container",
                    name=c.name,
                    parent=node_of[vid],
                    interfaces=ifaces,
                    reason=reason,
                    state=c.state,
                )
            )
    held = {a.address for n in nodes for i in n.interfaces for a in i.addresses if a.address is not None}
    for n in list(nodes):
        if n.kind not in ("host", "vm", "distro"):
            continue
        for r in n.routes:
            if r.destination.prefixlen == 0 and r.gateway is not None and r.gateway not in held:
                rid = f"node:router:{r.gateway}"
                if any(x.id == rid for x in nodes):
                    continue
                held.add(r.gateway)
                nodes.append(
                    Node(
                        id=rid,
                        kind="router",
                        name=known_address(r.gateway) or f"router {r.gateway}",
                        interfaces=(
                            Interface(
                                name="lan",
                                mac=_gateway_mac(obs, n, r.gateway, r.interface),
                                addresses=(_addr(r.gateway, _onlink_prefix(n, r.gateway)),),
                            ),
                        ),
                        reason=f"default gateway of {n.name}",
                    )
                )
        for iface in n.interfaces:
            for gw in iface.gateways:
                if gw not in held and not gw.is_unspecified:
                    held.add(gw)
                    nodes.append(
                        Node(
                            id=f"node:router:{gw}",
                            kind="router",
                            name=known_address(gw) or f"router {gw}",
                            interfaces=(
                                Interface(
                                    name="lan",
                                    mac=_gateway_mac(obs, n, gw, iface.name),
                                    addresses=(_addr(gw, _iface_prefix(iface, gw)),),
                                ),
                            ),
                            reason=f"default gateway of {n.name} ({iface.name})",
                        )
                    )


def _reported_interfaces(c: Container) -> tuple[Interface, ...]:
    """A container's interfaces as its engine reports them (none holds an address unless it runs)."""
    live = _live(c)
    return tuple(
        Interface(
            name=f"eth{i}",
            mac=m.mac if live else None,
            addresses=() if m.address is None or not live else (_addr(m.address, m.prefixlen),),
            description=f"on {m.name}",
        )
        for i, m in enumerate(c.networks)
    )


def _gateway_mac(obs: dict[str, Observation], node: Node, gw: IPAddress, interface: str | None) -> str | None:
    """The gateway's MAC from the neighbour table of one of ``node``'s vantages, if there."""
    for vid in node.vantages:
        o = obs.get(vid)
        found = o.neighbour_mac(gw, interface) if o is not None else None
        if found is not None and found != "00:00:00:00:00:00":
            return found
    return None


def _addr(address: IPAddress, prefixlen: int | None) -> Address:
    return Address(address, prefixlen, family_of(address))


def _onlink_prefix(node: Node, gw: IPAddress) -> int | None:
    for iface in node.interfaces:
        p = _iface_prefix(iface, gw)
        if p is not None:
            return p
    return None


def _iface_prefix(iface: Interface, gw: IPAddress) -> int | None:
    for a in iface.addresses:
        net = a.network
        if net is not None and gw in net:
            return a.prefixlen
    return None


def _networks(obs: dict[str, Observation], nodes: list[Node]) -> list[Network]:
    cands: dict[IPNetwork, Candidate] = {}

    def cand(cidr: IPNetwork) -> Candidate:
        if cidr not in cands:
            cands[cidr] = Candidate(cidr)
        return cands[cidr]

    engines: dict[IPNetwork, dict[str, JSON]] = {}
    vantage_kind = {vid: o.vantage.kind for vid, o in obs.items()}
    for n in nodes:
        for iface in n.interfaces:
            for a in iface.addresses:
                net = a.network
                if net is None or a.address is None or (a.address.is_link_local and a.address.version == 6):
                    continue
                c = cand(net)
                c.attachments.append(Attachment(n.id, iface.name, a.address, n.vantages[0] if n.vantages else None))
                c.interfaces.append((n.kind, iface, vantage_kind.get(n.vantages[0]) if n.vantages else None))
    for o in obs.values():
        for en, ev in o.networks:
            for subnet in en.subnets:
                c = cand(subnet)
                c.engine.append(en)
                engines.setdefault(subnet, engine_state(en, ev.id, o.settings))
                for m in en.members:
                    if m.address is not None and not any(x.address == m.address for x in c.attachments):
                        c.attachments.append(Attachment(f"node:container:{m.name}", "eth0", m.address))
        for h, _ev in o.hosts:
            if h.address.is_loopback and h.address not in (
                ipaddress.ip_address("127.0.0.1"),
                ipaddress.ip_address("::1"),
            ):
                c = cand(ipaddress.ip_network(h.address))
                node = next((n.id for n in nodes if o.vantage.id in n.vantages), None)
                if node and not any(x.node == node for x in c.attachments):
                    c.attachments.append(Attachment(node, "(hosts file)", h.address, o.vantage.id))
                c.aliases.extend(h.names)
    out = []
    for cidr in sorted(cands, key=lambda x: (x.version, x)):
        c = cands[cidr]
        verdict = classify(c)
        state = engines.get(cidr, {})
        if state.get("engine") == "podman" and verdict.kind == "docker-bridge":
            name = state.get("name")
            verdict = replace(verdict, kind="podman-bridge", label=f"podman network {name}", owner="podman")
        out.append(
            Network(
                id=f"net:{cidr}",
                cidr=cidr,
                kind=verdict.kind,
                label=verdict.label,
                owner=verdict.owner,
                reason=verdict.reason,
                attachments=tuple(c.attachments),
                engine=engines.get(cidr, {}),
            )
        )
    return out


DOCKER_OWN_LINE = "the container's own hostname on one of its networks (Docker Engine writes one line per network)"
"""The marker of a line in a container's ``/etc/hosts`` that names one of its own
addresses. Docker writes such a line, without a comment, for the container's hostname
on each network it joins (libnetwork ``sandbox.updateHostsFile``/``etchosts.Add``), so
a container on two networks has two lines for its own name. Nobody else writes the
container's own addresses there (an ``--add-host`` naming one would be marked too,
and says the same)."""


PODMAN_HOST_NAME = "host.containers.internal"
PODMAN_HOST_LINE = "the host as this container's gateway (Podman writes host.containers.internal per network)"
"""The marker of Podman's ``host.containers.internal`` line in a container's ``/etc/hosts``:
Podman names the host by the container's gateway on its network (podman-run(1),
``--add-host``; containers.conf ``host_containers_internal_ip``), so containers on two
networks legitimately get two addresses for it."""


def _own_addresses(o: Observation) -> set[IPAddress]:
    """The non-loopback addresses on a vantage's own interfaces."""
    return {
        a.address
        for i in o.interfaces.values()
        for a in i.addresses
        if a.address is not None and not a.address.is_loopback
    }


def _names(obs: dict[str, Observation]) -> list[NameRecord]:
    out: list[NameRecord] = []
    for vid, o in obs.items():
        own = _own_addresses(o) if o.vantage.kind is VantageKind.CONTAINER else set()
        gateways = {r.gateway for r in o.routes if r.gateway is not None} if own else set()
        for h, ev in o.hosts:
            file = ev.argv[1] if len(ev.argv) > 1 and ev.argv[0] == "read" else None
            marker, writer = h.marker, h.writer
            if writer is None and h.address in own:
                marker, writer = DOCKER_OWN_LINE, "docker"
            elif writer is None and h.address in gateways and PODMAN_HOST_NAME in h.names:
                marker, writer = PODMAN_HOST_LINE, "podman"
            for name in h.names:
                out.append(
                    NameRecord(
                        vantage=vid,
                        name=name,
                        addresses=(h.address,),
                        source="hosts",
                        file=file or "hosts",
                        line=h.line,
                        marker=marker,
                        writer=writer,
                        evidence=ev.id,
                    )
                )
        for a, ev in o.answers:
            source = a.source or "dns"
            if source == "dns" and a.server is not None and str(a.server) == "127.0.0.11":
                source = "docker-dns"
            out.append(
                NameRecord(
                    vantage=vid,
                    name=a.name,
                    addresses=a.addresses,
                    source=source,
                    server=a.server,
                    evidence=ev.id,
                    status=None if a.addresses else a.status,
                )
            )
    return out


def _forwards(obs: dict[str, Observation], node_of: dict[str, str]) -> list[PortForward]:
    out = []
    for vid, o in obs.items():
        for f, ev in o.forwards:
            out.append(
                PortForward(
                    node=node_of[vid],
                    via="portproxy",
                    listen_address=f.listen_address,
                    listen_port=f.listen_port,
                    connect_address=f.connect_address,
                    connect_port=f.connect_port,
                    protocol=f.protocol,
                    evidence=ev.id,
                )
            )
        engine_host = _publish_host(obs, vid, node_of)
        via = _publish_via(obs, vid)
        for c, ev in o.containers:
            if not _live(c):
                continue  # created or stopped: no docker-proxy, no DNAT rule until it runs
            target = f"node:container:{c.name}"
            for p in c.ports:
                if p.host_port is None:
                    continue
                addr = next((m.address for m in c.networks if m.address is not None), None)
                out.extend(
                    PortForward(
                        node=engine_host,
                        via=via,
                        listen_address=listen,
                        listen_port=p.host_port,
                        connect_address=addr,
                        connect_port=p.container_port,
                        protocol=p.protocol,
                        target_node=target,
                        evidence=ev.id,
                    )
                    for listen in _publish_listens(via, p.host_ip)
                )
    return out


_LOOPBACKS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def _publish_listens(via: str, host_ip: IPAddress | None) -> tuple[IPAddress | None, ...]:
    """Where a published port listens on the node it is forwarded to.

    A WSL machine's port reaches Windows by WSL's localhost forwarding, which listens
    on both of Windows' loopbacks only (as for a distro's own listeners), and only for
    a port bound to the machine's wildcard or loopback; one bound to another address
    of the machine is not carried to Windows at all.
    """
    if via != "podman-wsl":
        return (host_ip,)
    if host_ip is None or host_ip.is_unspecified or host_ip.is_loopback:
        return _LOOPBACKS
    return ()


def _machine(obs: dict[str, Observation], vid: str) -> Observation | None:
    """The Podman machine an engine vantage runs in, if it runs in one."""
    v = obs[vid].vantage
    up = obs.get(v.parent or "")
    if v.kind is VantageKind.PODMAN_ENGINE and up is not None and up.vantage.kind is VantageKind.PODMAN_MACHINE:
        return up
    return None


def _publish_via(obs: dict[str, Observation], vid: str) -> str:
    """How an engine's ``-p`` ports reach the node they listen on (:data:`PUBLISH_VIAS`).

    A Podman machine on WSL without user-mode networking is reached through WSL's
    localhost forwarding (``podman-wsl``); every other machine (macOS, Hyper-V, WSL
    with ``UserModeNetworking``) has gvproxy listen on the host (``gvproxy``).
    """
    m = _machine(obs, vid)
    if m is None:
        return "docker-publish"
    if m.vantage.channel == "wsl" and not _user_mode_networking(obs, m.vantage.name):
        return "podman-wsl"
    return "gvproxy"


def _user_mode_networking(obs: dict[str, Observation], name: str) -> bool:
    """Whether ``podman machine list`` says machine ``name`` uses user-mode networking."""
    for o in obs.values():
        listed = o.settings.get("podman_machines")
        for m in listed if isinstance(listed, list) else []:
            if isinstance(m, dict) and m.get("name") == name:
                return m.get("user_mode_networking") is True
    return False


def _publish_host(obs: dict[str, Observation], vid: str, node_of: dict[str, str]) -> str:
    """Where ``-p`` ports listen: the host of Docker Desktop or of a Podman machine, else the engine's node."""
    v = obs[vid].vantage
    if v.kind is VantageKind.DOCKER_DESKTOP_VM and v.parent and v.parent in node_of:
        return node_of[v.parent]
    machine = _machine(obs, vid)
    if machine is not None and machine.vantage.parent in node_of:
        # Podman Desktop publishes a machine's -p ports on the host it runs on (_publish_via)
        return node_of[machine.vantage.parent or ""]
    if _desktop_engine(obs[vid]):
        # Docker Desktop forwards -p ports from the VM to the host it runs on
        up, seen = v.parent, {vid}
        vm_kinds = (VantageKind.DOCKER_DESKTOP_VM, VantageKind.DOCKER_ENGINE)
        while up in obs and up not in seen and obs[up].vantage.kind in vm_kinds:
            seen.add(up)
            up = obs[up].vantage.parent
        if up is not None and up in node_of:
            return node_of[up]
    return node_of[vid]


def _listeners(obs: dict[str, Observation], node_of: dict[str, str]) -> list[ListenerRecord]:
    out = []
    for vid, o in obs.items():
        for li, ev in o.listeners:
            out.append(
                ListenerRecord(
                    node=node_of[vid],
                    protocol=li.protocol,
                    address=li.address,  # 0.0.0.0 and :: kept: a wildcard takes its own family only
                    port=li.port,
                    process=li.process,
                    evidence=ev.id,
                )
            )
    return out


_LISTENER_KINDS = frozenset({"ss-listen", "sock-diag-json", "ps-nettcpconnection"})
"""Evidence kinds that list a node's listeners: a node with one read and no listener has none."""


def _firewalls(obs: dict[str, Observation], node_of: dict[str, str]) -> list[FirewallRecord]:
    return [FirewallRecord(node_of[vid], rs, ev.id) for vid, o in obs.items() for rs, ev in o.firewall]


_PER_VANTAGE = frozenset({"nss", "nss_hosts", "fib_local_addresses"})
"""Settings that belong to one vantage (its ``nsswitch.conf``; the local addresses of its
``/proc/net/fib_trie``, already placed on its interfaces), not to the machine: kept
per vantage id rather than taken from whichever vantage came first."""

_RULES = ("portproxy_dead_rules", "nrpt_rules")
"""Settings that are lists of rules a node holds (portproxy rules netsh stored but cannot
serve): every vantage's rules are kept, each with its node and evidence, for the checks."""


def _rules(obs: dict[str, Observation], node_of: dict[str, str], key: str) -> list[object]:
    """Every vantage's ``key`` rules, each with the node that holds it and its evidence."""
    out: list[object] = []
    for vid, o in obs.items():
        rules = o.settings.get(key)
        if not isinstance(rules, list):
            continue
        where = {"node": node_of[vid], "evidence": o.settings_evidence.get(key)}
        out.extend({**rule, **where} for rule in rules if isinstance(rule, dict))
    return out


def build_atlas(bundle: Bundle, *, analyze: bool = True) -> Atlas:
    """The atlas of a bundle: merged nodes, classified networks, names, forwards, findings.

    Pure: works from the bundle alone, so a bundle gives the same atlas on any OS.
    """
    obs, problems = observe(bundle.vantages, bundle.evidence)
    nodes, node_of = _nodes(obs)
    _engine_nodes(obs, nodes, node_of)
    nodes = _with_services(obs, nodes)
    settings: dict[str, object] = {}
    nss_hosts: dict[str, object] = {}
    for vid, o in obs.items():
        for k, v in o.settings.items():
            if k in _PER_VANTAGE or k in _RULES:
                continue
            settings.setdefault(k, v)
        if isinstance(o.settings.get("nss_hosts"), list):
            nss_hosts[vid] = o.settings["nss_hosts"]
    if nss_hosts:
        settings["nss_hosts"] = nss_hosts
    read = sorted({node_of[vid] for vid, o in obs.items() if o.kinds & _LISTENER_KINDS and vid in node_of})
    if read:
        settings["listeners_read"] = read
    for key in _RULES:
        if found := _rules(obs, node_of, key):
            settings[key] = found
    atlas = Atlas(
        schema=ATLAS_SCHEMA,
        vantages=bundle.vantages,
        nodes=tuple(nodes),
        networks=tuple(_networks(obs, nodes)),
        names=tuple(_names(obs)),
        forwards=tuple(_forwards(obs, node_of)),
        listeners=tuple(_listeners(obs, node_of)),
        firewalls=tuple(_firewalls(obs, node_of)),
        settings=settings,  # type: ignore[arg-type]
        problems=tuple(problems),
    )
    if not analyze:
        return atlas
    from dataclasses import replace

    from netatlas.analysis import run_checks

    return replace(atlas, findings=tuple(run_checks(atlas)))
