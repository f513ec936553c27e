"""The walk: a longest-prefix route at each node, NAT on the way out, forwards, and the listener's bind."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cache

from netatlas.knowledge import load
from netatlas.model import hostport
from netatlas.model.atlas import PUBLISH_VIAS, Network, Node, PortForward
from netatlas.model.facts import IPAddress
from netatlas.reach.filters import Crossing, Hook, judge, unread_filter
from netatlas.reach.result import LEAVES_MAP, Hop
from netatlas.reach.world import _LOOP4, _World

_ANY = "0.0.0.0"  # noqa: S104 - the text of a wildcard bind, for people; nothing binds here
_MAX_HOPS = 24
_HOST_STACK_KINDS = frozenset({"docker-desktop-vm"})


@dataclass
class _Walk:
    hops: list[Hop]
    reached: bool
    stopped_at: str | None = None
    reason: str | None = None
    via_forward: bool = False
    final: str | None = None
    unknown: bool = False
    """The walk ended where netatlas cannot tell (a rule it does not model, no listener list)."""
    unread: list[str] = field(default_factory=list)
    """Filters the packet met that netatlas did not read: delivered only as far as it can see."""
    fixes: list[str] = field(default_factory=list)
    """What would let the packet past the filter that stopped it."""

    def stop(
        self, node: str, interface: str | None, address: IPAddress, note: str, reason: str, action: str = "stop"
    ) -> None:
        """End the walk at ``node``: the last hop says what happened there, ``reason`` why it matters."""
        self.hops.append(Hop(node, interface, address, action, note))
        self.stopped_at, self.reason = node, reason

    def undecided(self, node: str, address: IPAddress, note: str) -> None:
        """End the walk where netatlas cannot tell what happens: never a guessed delivery."""
        self.stop(node, None, address, note, note, action="unknown")
        self.unknown = True

    def cross(self, world: _World, crossing: Crossing, interface: str | None = None) -> bool:
        """Meet ``crossing.node``'s filter; ``False`` when it stops the packet (or cannot be judged).

        A drop is a hop of its own kind (``filter``) naming the rule and who decided it;
        a crossing no authority judges is recorded as unread.
        """
        verdict = judge(world, crossing)
        node = crossing.node
        if verdict is None:
            unread = unread_filter(crossing)
            if unread is not None and node.id in world.windows:
                if crossing.hook == "forward":
                    return True  # a VM's traffic NATed out by Windows: no inbound rule applies
                unread = f"Windows Firewall on {node.name} (inbound rules)"
            if unread is not None and unread not in self.unread:
                self.unread.append(unread)
            return True
        where = f" (evidence {verdict.evidence})" if verdict.evidence else ""
        if verdict.decision == "accept":
            return True
        if verdict.decision == "unknown":
            self.undecided(node.id, crossing.dst, f"{verdict.rule}: netatlas cannot tell ({verdict.authority}){where}")
            return False
        self.stop(
            node.id,
            interface,
            crossing.dst,
            f"{verdict.rule}{where}",
            f"{verdict.rule} (decided by {verdict.authority})",
            action="filter",
        )
        self.fixes.extend(verdict.fixes)
        return False


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


def _publisher(world: _World, f: PortForward, machine: str) -> str:
    """Who serves a published port on the node it listens on (the hop's words)."""
    if f.via == "podman-wsl":
        return f"podman -p in {world.label(machine)}, on Windows' loopback by WSL's localhost forwarding"
    if f.via == "gvproxy":
        return f"podman -p in {world.label(machine)}; gvproxy listens on the host and forwards into the VM"
    return "docker -p"


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
    world: _World,
    node: Node,
    address: IPAddress,
    port: int | None,
    walk: _Walk,
    in_net: Network | None = None,
    *,
    arrived: bool = False,
    src: str | None = None,
) -> tuple[str, IPAddress, int | None, str] | None:
    """Deliver at ``node``; return (next node, address, port, origin) when relayed.

    ``arrived``: the packet came from another node over ``in_net``, so ``node``'s filter
    meets it (a published port's DNAT or proxy; else its input).
    """

    def entered(hook: Hook, forward: PortForward | None = None) -> bool:
        if not arrived or address.is_loopback:
            return True
        target_net = None
        if forward is not None and forward.connect_address is not None:
            target_net = world.network_of(forward.connect_address)
        crossing = Crossing(node, hook, src, address, port, in_net, forward=forward, target_net=target_net)
        return walk.cross(world, crossing)

    if port is None:
        if not entered("input"):
            return None
        walk.hops.append(Hop(node.id, None, address, "deliver", f"{address} is held by {node.name}"))
        walk.reached, walk.final = True, node.id
        return None
    for f in world.forwards.get(node.id, []):
        if f.listen_port != port or not _listen_matches(f.listen_address, address, v6only=node.id in world.windows):
            continue
        bind = f.listen_address or _ANY
        if f.via in PUBLISH_VIAS:
            target = f.target_node or (world.holder(f.connect_address) if f.connect_address else None)
            if target is None or f.connect_address is None:
                continue
            if not entered("publish", f):
                return None
            tnode = world.nodes.get(target)
            origin = tnode.parent if tnode is not None and tnode.parent else node.id
            walk.hops.append(
                Hop(
                    node.id,
                    None,
                    address,
                    "forward",
                    f"published port {hostport(bind, port)} ({_publisher(world, f, origin)}, evidence {f.evidence}) "
                    f"relays to {world.label(target)} {f.connect_address}:{f.connect_port}",
                )
            )
            walk.via_forward = True
            return target, f.connect_address, f.connect_port, origin
        if not entered("input"):
            return None
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
        if f.connect_address is None:
            # the forward takes this address but leads nowhere (its target holds no address)
            target = world.label(f.target_node) if f.target_node else "its target"
            walk.stop(
                node.id,
                None,
                address,
                f"port {port} is forwarded to {target}, which holds no address",
                f"{world.label(node.id)} forwards port {port} ({f.via}, evidence {f.evidence}) to {target}, "
                "which holds no address to deliver to (is it running?)",
            )
            return None
        walk.stop(
            node.id,
            None,
            address,
            f"port {port} is forwarded on {f.listen_address} only",
            f"{world.label(node.id)} forwards port {port} on {f.listen_address} only ({f.via}, "
            f"evidence {f.evidence}), not on {address}",
        )
        return None
    if (ok or node.id not in world.listeners) and not entered("input"):
        return None
    if ok:
        li = ok[0]
        bind = li.address or _ANY
        proc = f" ({li.process})" if li.process else ""
        # where Windows Firewall's rules were not read (their inbound default is Block), say so
        unread = node.id in world.windows and not address.is_loopback and not world.firewalls.get(node.id)
        firewall = "; Windows Firewall rules are not read" if unread else ""
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
        walk.undecided(
            node.id,
            address,
            f"arrives at {node.name}; netatlas has no listener list from it, so whether anything accepts "
            f"port {port} is unknown",
        )
        walk.final = node.id
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
    if not _left_sender(world, walk, src, address, port):
        return walk
    cur, origin = src, src.id
    in_net: Network | None = None  # the network the packet arrived on at cur
    came = False  # whether it arrived at cur from another node (its filter then decides)
    seen: set[tuple[str, IPAddress, int | None]] = set()
    for _ in range(_MAX_HOPS):
        key = (cur.id, address, port)
        if key in seen:
            walk.stopped_at, walk.reason = cur.id, f"routing loop at {cur.name}"
            return walk
        seen.add(key)
        local = address.is_loopback or any(p[0] == cur.id for p in world.held.get(address, []))
        if local:
            nxt = _deliver(world, cur, address, port, walk, in_net if came else None, arrived=came, src=src.id)
            if nxt is None:
                return walk
            target, address, port, origin = nxt
            if target != cur.id:
                in_net, came = None, True
            cur = world.nodes.get(target, cur)
            continue
        if (
            cur.id != origin
            and cur.kind != "router"
            and origin not in world.descendants(cur.id)
            and not _into_engine_bridge(world, cur, address)
        ):
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
        if route is not None and came and cur.id != src.id:
            out_net = _link(world, cur, route[1], route[0] or address)
            if not walk.cross(world, Crossing(cur, "forward", src.id, address, port, in_net, out_net), route[1]):
                return walk
        if route is None:
            if cur.parent is not None and cur.parent in world.nodes and not cur.routes:
                # its routing table was not read: it leaves the way a container or VM does, through its parent
                parent = world.nodes[cur.parent]
                walk.hops.append(Hop(cur.id, None, address, "route", f"leaves through its parent {parent.name}"))
                cur, in_net, came = parent, None, True
                continue
            if cur.kind == "router" and not cur.vantages and world.network_of(address) is None:
                # a router netatlas only inferred: its routes are unknown, and the address is on
                # no network of the map (the internet, or what lies beyond): the path goes on unseen
                note = f"{address} is beyond {cur.name}"
                walk.stop(cur.id, None, address, note, f"{LEAVES_MAP} {cur.name}; netatlas cannot see further")
                return walk
            walk.stop(cur.id, None, address, f"no route to {address}", _no_route_reason(world, cur, address))
            walk.fixes.extend(_internal_fixes(world, cur))
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
                    cur, in_net, came = parent, None, True
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
        link = _link(world, cur, iface, gw or address)
        if gw is None and link is not None and not _crossed_bridge(world, walk, cur, nid, link, src.id, address, port):
            return walk
        walk.hops.append(Hop(cur.id, iface, address, "route", f"{note} → {world.label(nid)}"))
        cur, in_net, came = world.nodes[nid], link, True
    walk.stopped_at, walk.reason = cur.id, "too many hops"
    return walk


def _left_sender(world: _World, walk: _Walk, src: Node, address: IPAddress, port: int | None) -> bool:
    """The sender's own ``output`` filter, met where the packet leaves it for another node.

    Judged by the sender's ruleset where it was read, listed as unread where not (a
    container's is taken as empty, see :func:`netatlas.reach.filters.unread_filter`).
    Not met: by a packet that stays on the sender (as its input is not judged either);
    by the Windows host, whose outbound Windows Firewall default is Allow and whose
    inbound rules are what netatlas reads; by a LAN sender, another device whose
    filter is no part of this machine's map.
    """
    if address.is_loopback or any(p[0] == src.id for p in world.held.get(address, [])):
        return True
    host = world.host
    if src.id in world.windows or host is None or src.id not in world.descendants(host.id):
        return True
    route = _route(world, src, address)
    iface = route[1] if route is not None else None
    out_net = _link(world, src, iface, route[0] or address) if route is not None else None
    mine = (
        a
        for net, _i, a in world.attached.get(src.id, [])
        if out_net is not None and net.id == out_net.id and a is not None and a.version == address.version
    )
    crossing = Crossing(src, "output", src.id, address, port, out_net=out_net, src=next(mine, None), out_iface=iface)
    return walk.cross(world, crossing, iface)


def _into_engine_bridge(world: _World, node: Node, address: IPAddress) -> bool:
    """Whether ``node`` routes ``address`` onto a container engine's bridge it owns.

    A Linux engine host forwards between its interfaces (Docker turns ``ip_forward`` on),
    so traffic from outside is not stopped by NAT here: the engine's rules decide it at
    the ``forward`` crossing (direct routing; see :mod:`netatlas.reach.engine`).
    """
    route = _route(world, node, address)
    net = _link(world, node, route[1], route[0] or address) if route is not None else None
    if net is None or not net.engine:
        return False
    bridge = net.engine.get("bridge")
    return any(a.node == node.id and a.interface == bridge for a in net.attachments)


def _link(world: _World, node: Node, iface: str | None, next_hop: IPAddress) -> Network | None:
    """The network between ``node`` and its next hop: the one on ``iface`` holding it, else the best match."""
    for net, name, _a in world.attached.get(node.id, []):
        if name == iface and next_hop.version == net.cidr.version and next_hop in net.cidr:
            return net
    return world.network_of(next_hop)


def _crossed_bridge(
    world: _World,
    walk: _Walk,
    cur: Node,
    nid: str,
    net: Network,
    src: str,
    address: IPAddress,
    port: int | None,
) -> bool:
    """Between two nodes on one engine bridge, the bridge's owner filters the frames (ICC)."""
    if not net.engine:
        return True
    bridge = net.engine.get("bridge")
    owners = [a.node for a in net.attachments if a.interface == bridge and a.node in world.nodes]
    owner = world.nodes[owners[0]] if owners else None
    if owner is None or owner.id in (cur.id, nid):
        return True  # the host itself talks to its containers (OUTPUT), which no engine filters
    return walk.cross(world, Crossing(owner, "bridge", src, address, port, in_net=net, out_net=net))


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


def _internal_only(world: _World, at: Node) -> list[Network]:
    """The ``--internal`` engine networks ``at`` is on, when it is on no other: no route leads out."""
    nets = [net for net, _i, _a in world.attached.get(at.id, []) if net.engine]
    internal = [net for net in nets if net.engine.get("internal")]
    return internal if internal and len(internal) == len(nets) else []


def _internal_fixes(world: _World, at: Node) -> list[str]:
    out = []
    for net in _internal_only(world, at):
        cli = "podman" if net.engine.get("engine") == "podman" else "docker"
        name = net.engine.get("name")
        out.append(
            f"connect it to a second, non-internal network: {cli} network connect <network> {at.name}\n"
            f"# or recreate {name} without --internal: {cli} network rm {name} && {cli} network create {name}"
        )
    return out


def _no_route_reason(world: _World, at: Node, address: IPAddress) -> str:
    internal = _internal_only(world, at)
    if internal:
        names = ", ".join(str(n.engine.get("name")) for n in internal)
        return f"{at.name} is only on --internal network {names}: the engine gives it no route out"
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
