"""What a live verify probes: every listener and published port from every place, one refused port each, names.

From each place (:mod:`netatlas.verify.places`):

* a TCP connect to every listener the scan found, and to every forward (a ``-p``
  published port, a portproxy rule, WSL's localhost relay) on its listen side and on
  its target. Which address: from the listener's own node, its loopback (or the bound
  address); from anywhere else, the node's address on a network the two share, else
  its first address, one per family the bind takes (a ``127.0.0.1`` bind is still tried
  from elsewhere, through an address of its node: it must be refused);
* one connect to a port nothing on the place's own node listens on (its loopback):
  the refused side;
* the names the scan asked the place's own resolver (its ``dns`` name records) and that
  the server answered from its own table (a container's name, answered by Docker's
  embedded DNS or podman's aardvark-dns with the address of a container on a network
  the place is on), asked again of the same server. Any other name is held back: a
  resolver on the machine forwards what it does not hold to its upstream, beyond the
  machine. Docker's embedded DNS does so even with the RD bit clear and for one-label
  names (checked against a real dockerd 20.10 in ``tests/engine/test_verify_dns.py``),
  so clearing RD would not keep the question home;
* and, for every address probed from a place whose kernel can be asked, the kernel's
  own route answer, compared with netatlas's longest-prefix walk.

At most ``limit`` TCP probes are run, taken in turn from each place so every place is
probed when the cap cuts in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netatlas.model import IPAddress
from netatlas.model.atlas import Atlas, Network
from netatlas.reach.world import _World
from netatlas.verify.door import Target
from netatlas.verify.places import Place

__all__ = ["MAX_PROBES", "NameQuestion", "Plan", "plan"]

MAX_PROBES = 5000
"""TCP probes per run at most (``--max-probes``)."""
_LOOP = {4: ipaddress.ip_address("127.0.0.1"), 6: ipaddress.ip_address("::1")}


@dataclass(frozen=True)
class NameQuestion:
    """Ask ``server`` about ``name`` from ``place``; the scan's answer was ``expected``."""

    place: Place
    server: IPAddress
    name: str
    expected: tuple[IPAddress, ...]
    evidence: str | None = None


@dataclass(frozen=True)
class Plan:
    """The probes of one run, and how many TCP probes the cap left out."""

    tcp: tuple[Target, ...]
    names: tuple[NameQuestion, ...]
    routes: tuple[tuple[Place, IPAddress], ...]
    over_limit: int = 0
    held_back: tuple[NameQuestion, ...] = ()
    """Names the scan asked but verify does not ask again: the server would forward them."""


def _families(bind: IPAddress | None) -> tuple[int, ...]:
    if bind is None or (bind.version == 4 and bind.is_unspecified):
        return (4,)
    if bind.is_unspecified:  # '::' takes IPv4 too on Linux (bindv6only=0)
        return (4, 6)
    return (bind.version,)


def _addresses(world: _World, node: str) -> list[tuple[str, IPAddress]]:
    """(network id or '', address) of a node: its attachments, then its interfaces' other addresses."""
    out: list[tuple[str, IPAddress]] = []
    seen: set[IPAddress] = set()
    for net, _iface, a in world.attached.get(node, []):
        if a is not None and not a.is_loopback and not a.is_link_local and a not in seen:
            out.append((net.id, a))
            seen.add(a)
    n = world.nodes.get(node)
    for i in n.interfaces if n is not None else ():
        for x in i.addresses:
            a = x.address
            if a is not None and not a.is_loopback and not a.is_link_local and a not in seen:
                out.append(("", a))
                seen.add(a)
    return out


def _aims(
    world: _World, src: str, node: str, bind: IPAddress | None, known: dict[str, list[tuple[str, IPAddress]]]
) -> list[IPAddress]:
    """The addresses to try a service of ``node`` bound to ``bind`` at, from ``src``.

    ``known`` holds each node's :func:`_addresses` once worked out: every place asks
    for every node's, and a busy machine has hundreds of both.
    """
    fams = _families(bind)
    if node == src:
        if bind is not None and not bind.is_unspecified:
            return [bind]  # its loopback, or a specific address of its own
        return [_LOOP[f] for f in fams]
    if bind is not None and not bind.is_unspecified and not bind.is_loopback:
        return [bind]
    mine = {net.id for net, _i, _a in world.attached.get(src, [])}
    theirs = known.get(node)
    if theirs is None:
        theirs = known[node] = _addresses(world, node)
    out = []
    for f in (bind.version,) if bind is not None and bind.is_loopback else fams:
        fam = [(nid, a) for nid, a in theirs if a.version == f]
        pick = next((a for nid, a in fam if nid in mine), fam[0][1] if fam else None)
        if pick is not None:
            out.append(pick)
    return out


def _services(world: _World) -> list[tuple[str, IPAddress | None, int, tuple[IPAddress, int] | None]]:
    """(node, bind, port, forward target) of every TCP listener and forward (target ``None``: a listener)."""
    out: list[tuple[str, IPAddress | None, int, tuple[IPAddress, int] | None]] = []
    for node, lis in world.listeners.items():
        out += [(node, li.address, li.port, None) for li in lis if li.protocol == "tcp"]
    for node, fs in world.forwards.items():
        for f in fs:
            if f.protocol != "tcp":
                continue
            target = (f.connect_address, f.connect_port) if f.connect_address is not None else None
            out.append((node, f.listen_address, f.listen_port, target))
    return out


def _unused_port(world: _World, node: str) -> int:
    used = {li.port for li in world.listeners.get(node, [])} | {f.listen_port for f in world.forwards.get(node, [])}
    return next(p for p in range(1, 65536) if p not in used)


def _round_robin(per_place: Sequence[list[Target]], limit: int) -> list[Target]:
    out: list[Target] = []
    i = 0
    while len(out) < limit and any(i < len(ts) for ts in per_place):
        for ts in per_place:
            if i < len(ts) and len(out) < limit:
                out.append(ts[i])
        i += 1
    return out


def plan(atlas: Atlas, places: Iterable[Place], *, limit: int = MAX_PROBES) -> Plan:
    """Every probe of a live verify (see the module docstring)."""
    world = _World(atlas)
    services = _services(world)
    onward: dict[tuple[str, int], list[IPAddress]] = {}
    for node, _bind, port, target in services:
        if target is not None:
            onward.setdefault((node, port), []).append(target[0])
    per_place: list[list[Target]] = []
    names: list[NameQuestion] = []
    held: list[NameQuestion] = []
    chosen = list(places)
    known: dict[str, list[tuple[str, IPAddress]]] = {}
    for p in chosen:
        wanted: dict[tuple[IPAddress, int], tuple[IPAddress, ...]] = {}
        for node, bind, port, target in services:
            relays = tuple(onward.get((node, port), ()))
            for a in _aims(world, p.node, node, bind, known):
                wanted.setdefault((a, port), relays)
            if target is not None and not target[0].is_loopback:
                wanted.setdefault(target, ())
        wanted.setdefault((_LOOP[4], _unused_port(world, p.node)), ())
        per_place.append([Target(p, a, port, relays) for (a, port), relays in wanted.items()])
        if p.how != "exec":
            for q in _names(atlas, p):
                (names if _held_by_server(world, q) else held).append(q)
    total = sum(len(ts) for ts in per_place)
    tcp = _round_robin(per_place, max(0, limit))
    routes: dict[tuple[str, IPAddress], tuple[Place, IPAddress]] = {}
    for t in tcp:
        if t.place.kernel and not t.address.is_loopback:
            routes.setdefault((t.place.vantage, t.address), (t.place, t.address))
    return Plan(tuple(tcp), tuple(names), tuple(routes.values()), total - len(tcp), tuple(held))


_EMBEDDED = ipaddress.ip_address("127.0.0.11")


def _gateways(world: _World, net: Network) -> set[IPAddress]:
    """The addresses of ``net``'s gateway side (aardvark-dns listens there, not a container)."""
    out: set[IPAddress] = set()
    for a in net.attachments:
        n = world.nodes.get(a.node)
        if a.address is not None and (n is None or n.kind not in ("container", "pod")):
            out.add(a.address)
    return out


def _held_by_server(world: _World, q: NameQuestion) -> bool:
    """Whether the scan's answer came from the server's own table, so asking again sends nothing on.

    The server must be one that holds such a table (Docker's embedded DNS at 127.0.0.11,
    or aardvark-dns on a podman network's gateway), not the host's stub resolver, and
    the name a container's: every address in the answer is a container's (or pod's)
    on a network ``q.place`` is attached to, which Docker's embedded DNS and aardvark-dns
    answer themselves. A name that was not found, or found elsewhere, would be forwarded.
    """
    if not q.expected:
        return False
    nets = [net for net, _i, _a in world.attached.get(q.place.node, [])]
    own_table = q.server == _EMBEDDED or any(
        net.kind == "podman-bridge" and q.server in _gateways(world, net) for net in nets
    )
    if not own_table:
        return False
    held: set[IPAddress] = set()
    for net in nets:
        for a in net.attachments:
            n = world.nodes.get(a.node)
            if a.address is not None and n is not None and n.kind in ("container", "pod"):
                held.add(a.address)
    return all(a in held for a in q.expected)


def _names(atlas: Atlas, place: Place) -> list[NameQuestion]:
    """The names the scan asked the place's own resolvers, with the answers it got."""
    got: dict[tuple[IPAddress, str], list[IPAddress]] = {}
    evidence: dict[tuple[IPAddress, str], str | None] = {}
    for r in atlas.names:
        if r.vantage != place.vantage or r.server is None or r.source not in ("dns", "docker-dns"):
            continue
        key = (r.server, r.name)
        got.setdefault(key, []).extend(r.addresses)
        evidence.setdefault(key, r.evidence)
    return [
        NameQuestion(place, server, name, tuple(dict.fromkeys(addrs)), evidence[(server, name)])
        for (server, name), addrs in got.items()
    ]
