"""The ends of a question: the source and destination as asked (node, vantage, address, name, ``lan``)."""

from __future__ import annotations

import ipaddress

from netatlas.model import Address, Interface
from netatlas.model.atlas import Node
from netatlas.model.facts import IPAddress
from netatlas.reach.result import LAN
from netatlas.reach.world import _LOOP4, _World


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
    """The node ``what`` names; a container sharing another's network namespace is that node."""
    found = _named_node(world, what)
    seen: set[str] = set()
    while found is not None and found.shares in world.nodes and found.id not in seen:
        seen.add(found.id)
        found = world.nodes[found.shares]
    return found


def _named_node(world: _World, what: str) -> Node | None:
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
    from netatlas.names import normalize, resolve, resolver_servers

    key = normalize(name)
    if key == "localhost" or key.endswith(".localhost"):
        return _LOOP4, f"{name} is {_LOOP4}: localhost is every system's own loopback (RFC 6761)"
    answers = [r for r in resolve(world.atlas, name) if r.addresses]
    mine = [r for r in answers if r.vantage in src.vantages]
    own = {v.id for v in world.atlas.vantages if asked in (v.id, v.name)}
    mine.sort(key=lambda r: r.vantage not in own)  # stable: lookup order kept within each
    for r in mine:
        return r.addresses[0], f"{name} is {r.addresses[0]} from {r.vantage} ({r.provenance})"
    asks = resolver_servers(world.atlas, set(src.vantages) | {src.id})
    for r in answers:
        # another vantage's DNS answer counts only from a server SRC's own resolver asks
        if r.source == "dns" and r.server is not None and r.server in asks:
            return r.addresses[0], f"{name} is {r.addresses[0]} ({r.provenance}, as {r.vantage} asked it)"
    if answers:
        r = answers[0]
        return (
            f"{name!r} does not resolve from {world.label(src.id)}: only {r.vantage} knows it "
            f"({r.provenance}: {r.addresses[0]})"
        )
    return f"unknown destination {name!r}: not a node, vantage, address or known name"
