"""Why can't A reach B: the path, hop by hop, and what is missing.

:func:`why` walks a packet through the atlas the way the machines would: at each node a
longest-prefix match over the node's routes (its connected networks when it has none),
NAT on the way out of containers, WSL and the Docker Desktop VM (they reach out through
their parent, and nothing reaches *in* without a forward), the forwards that relay a
port (``-p`` published ports on the host, ``netsh interface portproxy`` rules, WSL's
localhost forwarding and mirrored mode), and finally the listener's bind address
(``127.0.0.1`` is reachable only from the same node).

When the destination is a node rather than an address, every way in is tried (its own
addresses, each forward that leads to it, localhost forwarding, mirrored mode) and the
shortest working path wins; if none works, the most telling failure is shown with the
concrete remedies. :func:`remedies` is shared with the ``unreachable-service`` check so
both say the same thing.

Example:
    >>> from netatlas.model.atlas import Atlas
    >>> why(Atlas("netatlas-atlas/1", (), (), ()), "192.0.2.1", "192.0.2.1").reachable
    True
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property

from netatlas.knowledge import load
from netatlas.model import Address, Interface, VantageKind, hostport
from netatlas.model.atlas import Atlas, ListenerRecord, Network, Node, PortForward
from netatlas.model.facts import IPAddress, _Model

__all__ = [
    "LAN",
    "LEAVES_MAP",
    "Diagnosis",
    "Hop",
    "PathResult",
    "diagnose",
    "host_node",
    "hostport",
    "lan_address",
    "why",
    "wsl_address",
    "wsl_nodes",
]

LAN = "lan"
"""The default vantage of a reachability question: any other device on the LAN."""

_LOOP4 = ipaddress.IPv4Address("127.0.0.1")
_LOOP6 = ipaddress.IPv6Address("::1")
LEAVES_MAP = "the path leaves the map at"
"""How a ``PathResult.reason`` begins when the path goes where netatlas cannot see
(the internet, beyond an inferred router): not reached as far as the map shows, but
not refused either."""
_ANY = "0.0.0.0"  # noqa: S104 - the text of a wildcard bind, for people; nothing binds here
_MAX_HOPS = 24
_HOST_STACK_KINDS = frozenset({"docker-desktop-vm"})


@dataclass(frozen=True, slots=True)
class Hop(_Model):
    """One step of a path.

    Args:
        node: the node id where it happens (``None`` for a place outside the map).
        interface: the interface used, when known.
        address: the address the packet is addressed to at this step.
        action: ``start``, ``route``, ``nat``, ``forward``, ``deliver`` or ``stop``.
        note: what happened, in plain words.
    """

    node: str | None
    interface: str | None
    address: IPAddress | None
    action: str
    note: str


@dataclass(frozen=True, slots=True)
class PathResult(_Model):
    """The answer of :func:`why`.

    Args:
        src: the source as asked, and ``dst`` the destination as asked.
        port: the TCP port, if one was asked.
        address: the destination address of the path shown.
        entry: the address and port the path enters by (``192.168.1.20:8080`` for a
            container port 80 published as 8080).
        reachable: whether the packet arrives (and, with a port, something accepts it).
        hops: the path shown.
        stopped_at: the node where it stops, when it does not arrive.
        reason: why it stops.
        fixes: concrete remedies (commands or config), most direct first.
        tried: the other ways in that were tried, each with why it failed.
    """

    src: str
    dst: str
    port: int | None
    address: IPAddress | None
    reachable: bool
    entry: str | None = None
    hops: tuple[Hop, ...] = ()
    stopped_at: str | None = None
    reason: str | None = None
    fixes: tuple[str, ...] = ()
    tried: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """Why a listener cannot be reached from a vantage, and what would fix it."""

    reasons: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()


# --------------------------------------------------------------------- the world


def _flag(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return default


def _vantage_kinds(atlas: Atlas) -> dict[str, VantageKind]:
    return {v.id: v.kind for v in atlas.vantages}


def wsl_nodes(atlas: Atlas) -> list[Node]:
    """Nodes that are WSL distributions (or the one VM they share)."""
    kinds = _vantage_kinds(atlas)
    return [
        n
        for n in atlas.nodes
        if n.kind in ("vm", "distro") and any(kinds.get(v) is VantageKind.WSL_DISTRO for v in n.vantages)
    ]


def host_node(atlas: Atlas) -> Node | None:
    """The Windows (or macOS, or Linux) host: the node every VM runs inside."""
    kinds = _vantage_kinds(atlas)
    for want in (VantageKind.WINDOWS_HOST, VantageKind.MACOS_HOST, VantageKind.LINUX_HOST):
        for n in atlas.nodes:
            if any(kinds.get(v) is want for v in n.vantages):
                return n
    return next((n for n in atlas.nodes if n.kind == "host"), None)


def _addr_on(atlas: Atlas, node: Node, kinds: Iterable[str]) -> IPAddress | None:
    wanted = tuple(kinds)
    for net in atlas.networks:
        if net.kind not in wanted:
            continue
        for a in net.attachments:
            if a.node == node.id and a.address is not None:
                return a.address
    return None


def lan_address(atlas: Atlas, node: Node | None = None) -> IPAddress | None:
    """The address other LAN devices use for ``node`` (default: the host)."""
    node = node or host_node(atlas)
    return None if node is None else _addr_on(atlas, node, ("lan",))


def wsl_address(atlas: Atlas, node: Node | None = None) -> IPAddress | None:
    """The current address of the WSL VM on its NAT network (``eth0``)."""
    nodes = [node] if node is not None else wsl_nodes(atlas)
    for n in nodes:
        found = _addr_on(atlas, n, ("wsl-nat",))
        if found is not None:
            return found
        for i in n.interfaces:
            if i.name == "eth0":
                for a in i.addresses:
                    if a.address is not None and a.address.version == 4:
                        return a.address
    return None


@dataclass
class _World:
    """The atlas, indexed for walking, plus the relays that are settings, not rules."""

    atlas: Atlas
    extra: list[Node] = field(default_factory=list)

    @cached_property
    def nodes(self) -> dict[str, Node]:
        out = {n.id: n for n in self.atlas.nodes}
        out.update({n.id: n for n in self.extra})
        return out

    @cached_property
    def windows(self) -> set[str]:
        """Nodes seen from a Windows host vantage (IPv6-only wildcard sockets, Windows Firewall)."""
        kinds = {v.id: v.kind for v in self.atlas.vantages}
        return {n.id for n in self.nodes.values() if any(kinds.get(v) is VantageKind.WINDOWS_HOST for v in n.vantages)}

    @cached_property
    def held(self) -> dict[IPAddress, list[tuple[str, str]]]:
        out: dict[IPAddress, list[tuple[str, str]]] = {}
        for n in self.nodes.values():
            for i in n.interfaces:
                for a in i.addresses:
                    if a.address is not None and not a.address.is_loopback:
                        out.setdefault(a.address, []).append((n.id, i.name))
        for net in self.atlas.networks:
            for att in net.attachments:
                if att.address is not None and not att.address.is_loopback:
                    pairs = out.setdefault(att.address, [])
                    if not any(p[0] == att.node for p in pairs):
                        pairs.append((att.node, att.interface))
        return out

    @cached_property
    def attached(self) -> dict[str, list[tuple[Network, str, IPAddress | None]]]:
        out: dict[str, list[tuple[Network, str, IPAddress | None]]] = {}
        for net in self.atlas.networks:
            if net.kind in ("loopback", "host-alias"):
                continue
            for att in net.attachments:
                out.setdefault(att.node, []).append((net, att.interface, att.address))
        for n in self.extra:
            for i in n.interfaces:
                for a in i.addresses:
                    net_ = a.network
                    if net_ is None:
                        continue
                    known = next((x for x in self.atlas.networks if x.cidr == net_), None)
                    if known is not None:
                        out.setdefault(n.id, []).append((known, i.name, a.address))
        return out

    @cached_property
    def mode(self) -> str:
        value = self.atlas.settings.get("networking_mode")
        return value.lower() if isinstance(value, str) else "nat"

    @cached_property
    def localhost_forwarding(self) -> bool:
        return _flag(self.atlas.settings.get("localhost_forwarding"), True)

    @cached_property
    def host(self) -> Node | None:
        return host_node(self.atlas)

    @cached_property
    def wsl(self) -> set[str]:
        return {n.id for n in wsl_nodes(self.atlas)}

    @cached_property
    def listeners(self) -> dict[str, list[ListenerRecord]]:
        out: dict[str, list[ListenerRecord]] = {}
        for li in self.atlas.listeners:
            out.setdefault(li.node, []).append(li)
        return out

    @cached_property
    def forwards(self) -> dict[str, list[PortForward]]:
        out: dict[str, list[PortForward]] = {}
        for f in self.atlas.forwards:
            out.setdefault(f.node, []).append(f)
        if self.host is None:
            return out
        for w in self.wsl:
            for li in self.listeners.get(w, []):
                if li.protocol != "tcp":
                    continue
                local = li.address is None or li.address.is_unspecified or li.address.is_loopback
                if self.mode == "mirrored":
                    out.setdefault(self.host.id, []).append(
                        PortForward(
                            node=self.host.id,
                            via="wsl-mirrored",
                            listen_address=None if li.address is None else li.address,
                            listen_port=li.port,
                            connect_address=_LOOP4 if li.address is None or li.address.is_unspecified else li.address,
                            connect_port=li.port,
                            target_node=w,
                            evidence=li.evidence,
                        )
                    )
                elif self.mode == "nat" and self.localhost_forwarding and local:
                    # wslrelay listens on both of Windows' loopbacks
                    out.setdefault(self.host.id, []).extend(
                        PortForward(
                            node=self.host.id,
                            via="wsl-localhost",
                            listen_address=loop,
                            listen_port=li.port,
                            connect_address=_LOOP4,
                            connect_port=li.port,
                            target_node=w,
                            evidence=li.evidence,
                        )
                        for loop in (_LOOP4, _LOOP6)
                    )
        return out

    def add(self, node: Node) -> None:
        """Add a node the atlas lacks (a LAN device, an outside address); reindex."""
        self.extra.append(node)
        for cached in ("nodes", "held", "attached"):
            self.__dict__.pop(cached, None)

    def label(self, node_id: str | None) -> str:
        if node_id is None:
            return "outside the map"
        n = self.nodes.get(node_id)
        return n.name if n is not None else node_id

    def descendants(self, node_id: str) -> set[str]:
        out = {node_id}
        changed = True
        while changed:
            changed = False
            for n in self.nodes.values():
                if n.parent in out and n.id not in out:
                    out.add(n.id)
                    changed = True
        return out

    def holder(self, address: IPAddress, prefer_net: Network | None = None) -> str | None:
        pairs = self.held.get(address, [])
        if prefer_net is not None:
            for nid, _iface in pairs:
                if any(net.id == prefer_net.id and a == address for net, _i, a in self.attached.get(nid, [])):
                    return nid
        return pairs[0][0] if pairs else None

    def network_of(self, address: IPAddress) -> Network | None:
        best: Network | None = None
        for net in self.atlas.networks:
            if (
                net.cidr.version == address.version
                and address in net.cidr
                and net.kind != "loopback"
                and (best is None or net.cidr.prefixlen > best.cidr.prefixlen)
            ):
                best = net
        return best


# --------------------------------------------------------------------- walking


@dataclass
class _Walk:
    hops: list[Hop]
    reached: bool
    stopped_at: str | None = None
    reason: str | None = None
    via_forward: bool = False
    final: str | None = None

    def stop(self, node: str, interface: str | None, address: IPAddress, note: str, reason: str) -> None:
        """End the walk at ``node``: the last hop says what happened there, ``reason`` why it matters."""
        self.hops.append(Hop(node, interface, address, "stop", note))
        self.stopped_at, self.reason = node, reason


def _route(world: _World, node: Node, address: IPAddress) -> tuple[IPAddress | None, str | None, str] | None:
    """(gateway, interface, note) of the best route at ``node``, or ``None``.

    Longest prefix wins, then the lowest metric; a node without a routing table uses
    its connected networks.
    """
    best = None
    for r in node.routes:
        if r.destination.version != address.version or address not in r.destination:
            continue
        if r.type not in (None, "unicast") or r.table not in (None, "main", "254"):
            continue
        key = (r.destination.prefixlen, -(r.metric or 0))
        if best is None or key > best[0]:
            best = (key, r)
    if best is not None:
        r = best[1]
        gw = None if r.gateway is None or r.gateway.is_unspecified else r.gateway
        how = f"via {gw}" if gw is not None else "on-link"
        return (
            gw,
            r.interface,
            f"route {r.destination} {how}" + (f" dev {r.interface}" if r.interface else ""),
        )
    for net, iface, _a in sorted(world.attached.get(node.id, []), key=lambda x: -x[0].cidr.prefixlen):
        if address.version == net.cidr.version and address in net.cidr:
            return None, iface, f"connected network {net.cidr} on {iface}"
    return None


def _listen_matches(listen: IPAddress | None, address: IPAddress, *, v6only: bool = False) -> bool:
    """Whether a socket bound to ``listen`` takes a packet for ``address``.

    ``0.0.0.0`` takes IPv4 only. ``::`` takes IPv6, and IPv4 too where wildcard IPv6
    sockets are dual-stack, as on Linux (``net.ipv6.bindv6only=0``); Windows makes
    them IPv6-only (``v6only``), and lists the IPv4 wildcard as a socket of its own.
    A loopback bind takes loopback of its own family.
    """
    if listen is None:
        return True
    if listen.is_unspecified:
        return address.version == listen.version or (listen.version == 6 and not v6only)
    if listen.is_loopback:
        return address.is_loopback and address.version == listen.version
    return listen == address


def _deliver(
    world: _World, node: Node, address: IPAddress, port: int | None, walk: _Walk
) -> tuple[str, IPAddress, int | None, str] | None:
    """Deliver at ``node``; return (next node, address, port, origin) when relayed."""
    if port is None:
        walk.hops.append(Hop(node.id, None, address, "deliver", f"{address} is held by {node.name}"))
        walk.reached, walk.final = True, node.id
        return None
    for f in world.forwards.get(node.id, []):
        if f.listen_port != port or not _listen_matches(f.listen_address, address, v6only=node.id in world.windows):
            continue
        bind = f.listen_address or _ANY
        if f.via == "docker-publish":
            target = f.target_node or (world.holder(f.connect_address) if f.connect_address else None)
            if target is None or f.connect_address is None:
                continue
            tnode = world.nodes.get(target)
            origin = tnode.parent if tnode is not None and tnode.parent else node.id
            walk.hops.append(
                Hop(
                    node.id,
                    None,
                    address,
                    "forward",
                    f"published port {hostport(bind, port)} (docker -p, evidence {f.evidence}) relays to "
                    f"{world.label(target)} {f.connect_address}:{f.connect_port}",
                )
            )
            walk.via_forward = True
            return target, f.connect_address, f.connect_port, origin
        if f.via in ("wsl-localhost", "wsl-mirrored") and f.target_node is not None:
            what = (
                "WSL localhost forwarding (localhostForwarding, on by default in NAT mode)"
                if f.via == "wsl-localhost"
                else "WSL mirrored mode (the VM shares the host's addresses)"
            )
            walk.hops.append(
                Hop(
                    node.id,
                    None,
                    address,
                    "forward",
                    f"{what} carries {address}:{port} into {world.label(f.target_node)}",
                )
            )
            walk.via_forward = True
            return f.target_node, f.connect_address or _LOOP4, f.connect_port, f.target_node
        if f.via == "portproxy" and f.connect_address is not None:
            walk.hops.append(
                Hop(
                    node.id,
                    None,
                    address,
                    "forward",
                    f"netsh portproxy {hostport(bind, port)} → {hostport(f.connect_address, f.connect_port)} "
                    f"(evidence {f.evidence})",
                )
            )
            walk.via_forward = True
            return node.id, f.connect_address, f.connect_port, node.id
    mine = [li for li in world.listeners.get(node.id, []) if li.port == port and li.protocol == "tcp"]
    ok = [li for li in mine if _listen_matches(li.address, address, v6only=node.id in world.windows)]
    shut = [f for f in world.forwards.get(node.id, []) if f.listen_port == port and f.via != "wsl-localhost"]
    if not ok and shut:
        f = shut[0]
        walk.stop(
            node.id,
            None,
            address,
            f"port {port} is forwarded on {f.listen_address} only",
            f"{world.label(node.id)} forwards port {port} on {f.listen_address} only ({f.via}, "
            f"evidence {f.evidence}), not on {address}",
        )
        return None
    if ok:
        li = ok[0]
        bind = li.address or _ANY
        proc = f" ({li.process})" if li.process else ""
        # netatlas reads no Windows Firewall rules, and their inbound default is Block
        firewall = (
            "; Windows Firewall rules are not read" if node.id in world.windows and not address.is_loopback else ""
        )
        walk.hops.append(
            Hop(
                node.id,
                None,
                address,
                "deliver",
                f"{hostport(bind, port)}{proc} accepts it (evidence {li.evidence}){firewall}",
            )
        )
        walk.reached, walk.final = True, node.id
        return None
    if mine:
        li = mine[0]
        if li.address is not None and li.address.is_loopback:
            reason = (
                f"{world.label(node.id)} listens on {hostport(li.address, port)} only (evidence {li.evidence}); "
                "a loopback bind is reachable only from the same node"
            )
        else:
            reason = f"{world.label(node.id)} listens on {hostport(li.address, port)}, not on {address}"
        walk.stop(node.id, None, address, f"the service listens on {hostport(li.address, port)} only", reason)
        return None
    if node.id not in world.listeners:
        walk.hops.append(
            Hop(
                node.id,
                None,
                address,
                "deliver",
                f"arrives at {node.name}; netatlas has no listener list from it, so it assumes port {port} is served",
            )
        )
        walk.reached, walk.final = True, node.id
        return None
    walk.stop(
        node.id,
        None,
        address,
        f"nothing listens on port {port}",
        f"nothing on {world.label(node.id)} listens on port {port} (connection refused)",
    )
    return None


def _walk(world: _World, src: Node, address: IPAddress, port: int | None) -> _Walk:
    walk = _Walk(
        hops=[Hop(src.id, None, address, "start", f"from {src.name} to {address}" + (f":{port}" if port else ""))],
        reached=False,
    )
    cur, origin = src, src.id
    seen: set[tuple[str, IPAddress, int | None]] = set()
    for _ in range(_MAX_HOPS):
        key = (cur.id, address, port)
        if key in seen:
            walk.stopped_at, walk.reason = cur.id, f"routing loop at {cur.name}"
            return walk
        seen.add(key)
        local = address.is_loopback or any(p[0] == cur.id for p in world.held.get(address, []))
        if local:
            nxt = _deliver(world, cur, address, port, walk)
            if nxt is None:
                return walk
            target, address, port, origin = nxt
            cur = world.nodes.get(target, cur)
            continue
        if cur.id != origin and cur.kind != "router" and origin not in world.descendants(cur.id):
            walk.stop(
                cur.id,
                None,
                address,
                "does not forward traffic from outside",
                f"{cur.name} does not route traffic from outside into its own networks: "
                "nothing reaches in without a forward",
            )
            return walk
        if cur.id != origin:  # transit allowed above: outbound from a node inside this one
            walk.hops.append(Hop(cur.id, None, address, "nat", f"{cur.name} masquerades it (outbound NAT)"))
        route = _route(world, cur, address)
        if route is None:
            if cur.parent is not None and cur.parent in world.nodes:
                parent = world.nodes[cur.parent]
                walk.hops.append(Hop(cur.id, None, address, "route", f"leaves through its parent {parent.name}"))
                cur = parent
                continue
            if cur.kind == "router" and not cur.vantages and world.network_of(address) is None:
                # a router netatlas only inferred: its routes are unknown, and the address is on
                # no network of the map (the internet, or what lies beyond): the path goes on unseen
                note = f"{address} is beyond {cur.name}"
                walk.stop(cur.id, None, address, note, f"{LEAVES_MAP} {cur.name}; netatlas cannot see further")
                return walk
            walk.stop(cur.id, None, address, f"no route to {address}", _no_route_reason(world, cur, address))
            return walk
        gw, iface, note = route
        if gw is not None:
            nid = world.holder(gw)
            if nid is not None and cur.parent is not None and _host_stack(world, nid, gw):
                nid = None
            if nid is None:
                if cur.parent is not None and cur.parent in world.nodes:
                    parent = world.nodes[cur.parent]
                    walk.hops.append(
                        Hop(
                            cur.id,
                            iface,
                            address,
                            "route",
                            f"{note}; the gateway is {parent.name}'s network stack",
                        )
                    )
                    cur = parent
                    continue
                walk.stop(
                    cur.id,
                    iface,
                    address,
                    f"{note}; {gw} is outside the map",
                    f"{LEAVES_MAP} {cur.name} via {gw}; netatlas cannot see further",
                )
                return walk
        else:
            net = world.network_of(address)
            nid = world.holder(address, net)
            host = world.host
            if nid is None:
                if (
                    host is not None
                    and net is not None
                    and net.kind in _HOST_STACK_KINDS
                    and address in _host_aliases()
                ):
                    walk.hops.append(
                        Hop(
                            cur.id,
                            iface,
                            address,
                            "forward",
                            f"{note}; Docker Desktop answers {address} (host.docker.internal) itself and "
                            f"opens the connection on {host.name}'s loopback",
                        )
                    )
                    cur, address, origin = host, _LOOP4, host.id
                    continue
                walk.stop(
                    cur.id,
                    iface,
                    address,
                    f"{note}; no node holds {address}",
                    f"no node on {net.label if net else 'that network'} holds {address}",
                )
                return walk
        walk.hops.append(Hop(cur.id, iface, address, "route", f"{note} → {world.label(nid)}"))
        cur = world.nodes[nid]
    walk.stopped_at, walk.reason = cur.id, "too many hops"
    return walk


@cache
def _host_aliases() -> frozenset[IPAddress]:
    """Addresses Docker Desktop answers for the host (knowledge: ``pools.json``)."""
    out: set[IPAddress] = set()
    for d in load("pools").get("defaults", []):
        pool = str(d.get("pool", ""))
        if d.get("engine") == "docker-desktop" and ("host.docker.internal" in pool or "vpnkit-host" in pool):
            net = ipaddress.ip_network(d["cidr"], strict=False)
            if net.num_addresses == 1:
                out.add(net.network_address)
    return frozenset(out)


def _host_stack(world: _World, node_id: str, gateway: IPAddress) -> bool:
    """Whether a VM's gateway is really its host's network stack (Docker Desktop's vpnkit).

    Merge turns a default gateway no node holds into a router; Docker Desktop's
    ``192.168.65.1`` is no router but the host relaying for the VM, so the walk goes on
    at the VM's parent.
    """
    node = world.nodes.get(node_id)
    if node is None or node.kind != "router" or node.vantages:
        return False
    net = world.network_of(gateway)
    return net is not None and net.kind in _HOST_STACK_KINDS


def _no_route_reason(world: _World, at: Node, address: IPAddress) -> str:
    net = world.network_of(address)
    if net is None:
        return f"{at.name} has no route to {address}"
    holders = {a.node for a in net.attachments}
    gates = [world.nodes[h] for h in holders if h in world.nodes and world.nodes[h].kind in ("host", "vm")]
    behind = next((g for g in gates if all(h in world.descendants(g.id) for h in holders)), None)
    where = f"{net.label} ({net.cidr})"
    if behind is not None and behind.id != at.id:
        return (
            f"{address} is in {where} inside {behind.name}; {at.name} has no route to it, and "
            f"{behind.name} does not route into it from outside: nothing reaches in without a forward"
        )
    return f"{at.name} has no route to {where}"


# ------------------------------------------------------------------- endpoints


def _lan_device(world: _World, version: int | None = None) -> Node | None:
    """A device on the LAN: its router, or one standing for "any other device" there.

    With ``version``, one that has an address of that family: asked for an IPv6
    address, a LAN device talks IPv6 on the LAN's IPv6 network, not through a router
    that netatlas knows only by its IPv4 address.
    """
    lans = [n for n in world.atlas.networks if n.kind == "lan" and (version is None or n.cidr.version == version)]

    def speaks(node: Node) -> bool:
        return version is None or any(
            x.address is not None and x.address.version == version for i in node.interfaces for x in i.addresses
        )

    for net in lans:
        for a in net.attachments:
            node = world.nodes.get(a.node)
            if node is not None and node.kind == "router" and speaks(node):
                return node
    if not lans:
        return None
    net = lans[0]
    node_id = "lan-device" if version in (None, 4) else f"lan-device-v{version}"
    if node_id in world.nodes:
        return world.nodes[node_id]
    used = {a.address for a in net.attachments}
    free = next((h for h in net.cidr.hosts() if h not in used), None)
    node = Node(
        id=node_id,
        kind="router",
        name=f"a device on {net.label}",
        interfaces=(
            Interface(
                "lan",
                addresses=(Address(free, net.cidr.prefixlen, "inet" if net.cidr.version == 4 else "inet6"),),
            ),
        ),
        reason="another device on the LAN (synthetic)",
    )
    world.add(node)
    return node


def _find_node(world: _World, what: str) -> Node | None:
    if what in world.nodes:
        return world.nodes[what]
    for n in world.nodes.values():
        if what in n.vantages or what == n.name or what == f"node:{what}":
            return n
    for v in world.atlas.vantages:
        if what == v.name:
            return next((n for n in world.nodes.values() if v.id in n.vantages), None)
    return None


def _as_address(what: str) -> IPAddress | None:
    """An address, an IPv4-mapped IPv6 one (``::ffff:127.0.0.1``) as the IPv4 it carries."""
    try:
        address = ipaddress.ip_address(what)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _external(world: _World, address: IPAddress) -> Node:
    net = world.network_of(address)
    prefix = net.cidr.prefixlen if net is not None else address.max_prefixlen
    node = Node(
        id=f"ext:{address}",
        kind="router",
        name=f"the device at {address}",
        interfaces=(
            Interface("ext", addresses=(Address(address, prefix, "inet" if address.version == 4 else "inet6"),)),
        ),
    )
    world.add(node)
    return node


def _source(world: _World, src: str) -> Node:
    if src.lower() == LAN:
        node = _lan_device(world)
        if node is None:
            raise ValueError("the atlas has no LAN network to ask from; name a node or vantage")
        return node
    node = _find_node(world, src)
    if node is not None:
        return node
    address = _as_address(src)
    if address is not None:
        owner = world.holder(address)
        return world.nodes[owner] if owner is not None else _external(world, address)
    raise ValueError(f"unknown source {src!r}: not a node, vantage, address or 'lan'")


def _resolve_name(world: _World, src: Node, name: str, asked: str = "") -> tuple[IPAddress, str] | str:
    """The address ``name`` has from ``src``, with where the answer came from; or why none.

    Only answers ``src`` itself would get: its own vantages' (hosts file, resolver),
    else a DNS server's answer, which anyone asking that server gets. Another
    vantage's hosts file or getent is its own business: a container's ``/etc/hosts``
    names nothing for the host. ``localhost`` is every system's loopback (RFC 6761).
    When ``asked`` names one vantage of a node with several (``Ubuntu`` in the WSL VM),
    that vantage's own answer comes first.
    """
    from netatlas.names import normalize, resolve

    key = normalize(name)
    if key == "localhost" or key.endswith(".localhost"):
        return _LOOP4, f"{name} is {_LOOP4}: localhost is every system's own loopback (RFC 6761)"
    answers = [r for r in resolve(world.atlas, name) if r.addresses]
    mine = [r for r in answers if r.vantage in src.vantages]
    own = {v.id for v in world.atlas.vantages if asked in (v.id, v.name)}
    mine.sort(key=lambda r: r.vantage not in own)  # stable: lookup order kept within each
    for r in mine:
        return r.addresses[0], f"{name} is {r.addresses[0]} from {r.vantage} ({r.provenance})"
    for r in answers:
        if r.source == "dns":
            return r.addresses[0], f"{name} is {r.addresses[0]} ({r.provenance}, as {r.vantage} asked it)"
    if answers:
        r = answers[0]
        return (
            f"{name!r} does not resolve from {world.label(src.id)}: only {r.vantage} knows it "
            f"({r.provenance}: {r.addresses[0]})"
        )
    return f"unknown destination {name!r}: not a node, vantage, address or known name"


# --------------------------------------------------------------------- remedies


def _publishes(world: _World, node_id: str, port: int) -> list[PortForward]:
    return [
        f
        for fs in world.forwards.values()
        for f in fs
        if f.via == "docker-publish" and f.target_node == node_id and f.connect_port == port
    ]


def _portproxies(world: _World, node: Node, port: int) -> list[PortForward]:
    mine = {a.address for i in node.interfaces for a in i.addresses if a.address is not None}
    return [
        f
        for fs in world.forwards.values()
        for f in fs
        if f.via == "portproxy"
        and f.connect_port == port
        and f.connect_address is not None
        and (f.connect_address in mine or (f.connect_address.is_loopback and world.localhost_forwarding))
    ]


def _container_name(node: Node) -> str:
    return node.name.removeprefix("container:")


def _firewall(port: int) -> str:
    return (
        f'New-NetFirewallRule -DisplayName "netatlas {port}/tcp" -Direction Inbound '
        f"-LocalPort {port} -Protocol TCP -Action Allow"
    )


def _portproxy_add(port: int, wsl: IPAddress | None) -> str:
    to = wsl if wsl is not None else "<WSL address: wsl hostname -I>"
    return (
        f"netsh interface portproxy add v4tov4 listenport={port} listenaddress=0.0.0.0 "
        f"connectport={port} connectaddress={to}"
    )


def _diagnose(world: _World, node: Node, port: int, src: Node) -> Diagnosis:
    reasons: list[str] = []
    fixes: list[str] = []
    mine = [li for li in world.listeners.get(node.id, []) if li.port == port and li.protocol == "tcp"]
    loopback_only = bool(mine) and all(li.address is not None and li.address.is_loopback for li in mine)
    same = src.id == node.id
    host = world.host
    from_host = host is not None and src.id == host.id
    in_wsl = node.id in world.wsl
    if loopback_only and not same and not (in_wsl and from_host and world.localhost_forwarding):
        li = mine[0]
        reasons.append(f"it listens on {hostport(li.address, port)} only (evidence {li.evidence})")
        fixes.append(
            f"make the service listen on 0.0.0.0:{port} instead of {hostport(li.address, port)} "
            f"(e.g. --host 0.0.0.0 / --bind 0.0.0.0:{port})"
        )
    if node.kind == "container" and not same:
        pubs = _publishes(world, node.id, port)
        name = _container_name(node)
        behind_same_host = host is not None and node.id in world.descendants(host.id) and from_host
        if not pubs:
            reasons.append(f"container {name} does not publish port {port}")
            fixes.append(
                f"publish it: docker run -p {port}:{port} … {name}\n"
                f'# compose.yaml, under services.{name}:\n    ports:\n      - "{port}:{port}"'
            )
            lan = lan_address(world.atlas)
            if lan is not None:
                fixes[-1] += f"\n# then reach it at {lan}:{port} (the host's LAN address)"
        elif all(f.listen_address is not None and f.listen_address.is_loopback for f in pubs) and not behind_same_host:
            f = pubs[0]
            reasons.append(f"port {port} is published on {f.listen_address} only (evidence {f.evidence})")
            fixes.append(
                f"publish on every address: docker run -p 0.0.0.0:{f.listen_port}:{port} … {name}\n"
                f"# compose.yaml, under services.{name}:\n"
                f'    ports:\n      - "0.0.0.0:{f.listen_port}:{port}"'
            )
    if in_wsl and not same and world.mode == "nat":
        if from_host:
            if not world.localhost_forwarding:
                reasons.append("WSL localhost forwarding is off (.wslconfig localhostForwarding=false)")
                fixes.append("%UserProfile%\\.wslconfig:\n[wsl2]\nlocalhostForwarding=true\n# then: wsl --shutdown")
        elif not _portproxies(world, node, port):
            wsl = wsl_address(world.atlas, node)
            then = "then forward the port: " if loopback_only else ""
            reasons.append(
                f"it is inside WSL's NAT network ({wsl}) and no netsh portproxy rule forwards port {port}; "
                "localhost forwarding only helps from Windows itself"
            )
            fixes.append(then + _portproxy_add(port, wsl) + "\n" + _firewall(port))
            fixes.append(
                "or share the host's addresses: %UserProfile%\\.wslconfig\n[wsl2]\nnetworkingMode=mirrored\n"
                f"# then: wsl --shutdown, and allow the port: {_firewall(port)}"
            )
    return Diagnosis(tuple(reasons), tuple(fixes))


def diagnose(atlas: Atlas, node_id: str, port: int, src: str = LAN) -> Diagnosis:
    """Why ``src`` cannot reach port ``port`` on node ``node_id``, and the remedies.

    The causes it knows: a loopback bind, a container port not published or published
    on ``127.0.0.1`` only, a WSL (NAT mode) service without a portproxy rule, and WSL
    localhost forwarding turned off (the one way in from Windows itself).
    """
    world = _World(atlas)
    node = _find_node(world, node_id)
    if node is None:
        raise ValueError(f"unknown node {node_id!r}")
    return _diagnose(world, node, port, _source(world, src))


# ------------------------------------------------------------------------- why


def _candidates(world: _World, src: Node, dst: Node, port: int | None) -> list[tuple[IPAddress, int | None]]:
    """Ways in to ``dst`` from ``src``: (address, port) to aim at, forwards first.

    A forward that leads to ``dst``'s port is entered on its own listen port (``-p
    8080:80`` is entered on 8080); ``dst``'s own addresses are aimed at directly.
    """
    out: list[tuple[IPAddress, int | None]] = []
    src_nets = {net.id for net, _i, _a in world.attached.get(src.id, [])}

    def addrs(node: Node) -> list[IPAddress]:
        found = [
            (net.id in src_nets, a)
            for net, _i, a in world.attached.get(node.id, [])
            if a is not None and not a.is_loopback and not a.is_link_local
        ]
        found.sort(key=lambda x: (not x[0], x[1].version))
        shared = [a for s, a in found if s]
        return shared or [a for _s, a in found]

    if port is not None:
        for fs in world.forwards.values():
            for f in fs:
                leads = f.target_node == dst.id or (
                    f.connect_address is not None and world.holder(f.connect_address) == dst.id
                )
                if not leads or f.connect_port != port:
                    continue
                entry = world.nodes.get(f.node)
                if entry is None:
                    continue
                lp = f.listen_port
                if f.listen_address is not None and not f.listen_address.is_unspecified:
                    if f.listen_address.is_loopback:
                        if entry.id == src.id:
                            out.append((f.listen_address, lp))
                        elif f.via == "docker-publish":  # to show "published on 127.0.0.1 only"
                            out += [(a, lp) for a in addrs(entry)]
                    else:
                        out.append((f.listen_address, lp))
                else:
                    if entry.id == src.id:
                        out.append((_LOOP4, lp))
                    out += [(a, lp) for a in addrs(entry)]
    if src.id == dst.id:
        out.append((_LOOP4, port))
    out += [(a, port) for a in addrs(dst)]
    return list(dict.fromkeys(out))


def _entry(address: IPAddress, port: int | None) -> str:
    return str(address) if port is None else hostport(address, port)


def why(atlas: Atlas, src: str, dst: str, port: int | None = None) -> PathResult:
    """Simulate the path from ``src`` to ``dst`` (and ``port``), hop by hop.

    Args:
        atlas: the map.
        src: a node id, vantage id or name, an address, or ``lan`` (any other device on
            the LAN).
        dst: a node id, vantage id or name, an address, or a name (resolved from
            ``src``'s vantages with the atlas' name table).
        port: a TCP port; ``None`` asks only whether the address is reached. For a
            node, the port its service listens on (a published ``-p 8080:80`` is then
            entered on 8080: see ``PathResult.entry``).

    Returns:
        The path; when it does not arrive, where and why it stops and what would fix it.

    Raises:
        ValueError: ``src`` or ``dst`` is nothing the atlas knows.
    """
    world = _World(atlas)
    s = _source(world, src)
    dnode = _find_node(world, dst)
    asked_node = dnode is not None
    note = None
    if dnode is not None:
        cands = _candidates(world, s, dnode, port)
    else:
        address = _as_address(dst)
        if address is None:
            found = _resolve_name(world, s, dst, src)
            if isinstance(found, str):
                raise ValueError(found)
            address, note = found
        owner = world.holder(address)
        dnode = world.nodes.get(owner) if owner else None
        cands = [(address, port)]
    walks: list[tuple[IPAddress, int | None, _Walk]] = []
    for address, entry_port in cands:
        start = s
        if src.lower() == LAN and address.version == 6:
            start = _lan_device(world, 6) or s  # IPv6 on the LAN from a device that has it
        if src.lower() == LAN and address.is_loopback:
            # 127.0.0.1 from another device is that device itself, never this machine
            w = _Walk(hops=[], reached=False)
            w.stop(
                start.id,
                None,
                address,
                f"{address} is the sender's own loopback",
                f"{address} is every device's own loopback: from the LAN it never reaches this machine; "
                "ask for its LAN address instead",
            )
            walks.append((address, entry_port, w))
            continue
        w = _walk(world, start, address, entry_port)
        if note:
            w.hops.insert(1, Hop(start.id, None, address, "start", note))
        walks.append((address, entry_port, w))
    if dnode is not None and asked_node:
        for _a, _p, w in walks:
            # a forward on the asked node (its -p port, a portproxy rule) answering for it is arrival:
            # `Z820:8080` is reached when Z820 relays 8080 to a container
            relayed = any(h.node == dnode.id and h.action == "forward" for h in w.hops)
            if w.reached and w.final != dnode.id and not relayed:
                w.reached, w.stopped_at = False, w.final
                w.reason = f"it arrives at {world.label(w.final)}, and nothing there leads on to {dnode.name}"
    ok = [x for x in walks if x[2].reached]
    if ok:
        address, entry_port, best = min(ok, key=lambda x: len(x[2].hops))
        return PathResult(
            src=src,
            dst=dst,
            port=port,
            address=address,
            reachable=True,
            entry=_entry(address, entry_port),
            hops=tuple(best.hops),
            tried=tuple(f"{_entry(a, p)}: {w.reason}" for a, p, w in walks if not w.reached),
        )
    diag = _diagnose(world, dnode, port, s) if dnode is not None and port is not None else Diagnosis()
    if not walks:
        return PathResult(src, dst, port, None, False, reason="no address to try", fixes=diag.fixes)
    address, entry_port, shown = next((x for x in walks if x[2].via_forward), walks[0])
    reason = shown.reason
    if diag.reasons:
        reason = "; ".join(diag.reasons) + (f" ({shown.reason})" if shown.reason else "")
    return PathResult(
        src=src,
        dst=dst,
        port=port,
        address=address,
        reachable=False,
        entry=_entry(address, entry_port),
        hops=tuple(shown.hops),
        stopped_at=shown.stopped_at,
        reason=reason,
        fixes=diag.fixes,
        tried=tuple(f"{_entry(a, p)}: {w.reason}" for a, p, w in walks if w is not shown),
    )
