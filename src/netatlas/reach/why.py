"""``why``: every way in to the destination is walked; the shortest arrival, or the most telling failure, is shown."""

from __future__ import annotations

from netatlas.model import hostport
from netatlas.model.atlas import PUBLISH_VIAS, Atlas, Node
from netatlas.model.facts import IPAddress
from netatlas.reach.endpoints import _as_address, _find_node, _lan_device, _resolve_name, _source
from netatlas.reach.fixes import _diagnose
from netatlas.reach.result import LAN, LEAVES_MAP, Diagnosis, Hop, PathResult
from netatlas.reach.walk import _Walk, _walk
from netatlas.reach.world import _LOOP4, _World


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
                        elif f.via in PUBLISH_VIAS:  # to show "published on 127.0.0.1 only"
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


def index(atlas: Atlas) -> _World:
    """The atlas indexed once, to ask :func:`why` many questions about it."""
    return _World(atlas)


def _entry(address: IPAddress, port: int | None) -> str:
    return str(address) if port is None else hostport(address, port)


def why(atlas: Atlas, src: str, dst: str, port: int | None = None, *, world: _World | None = None) -> PathResult:
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

        world: ``atlas`` already indexed (:func:`index`), for many questions about one
            atlas; each question walks a fork of it.

    Returns:
        The path; when it does not arrive, where and why it stops and what would fix it.

    Raises:
        ValueError: ``src`` or ``dst`` is nothing the atlas knows.
    """
    world = _World(atlas) if world is None or world.atlas is not atlas else world.fork()
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
        # a path past no unread filter beats a shorter one that is only "as far as netatlas can see"
        address, entry_port, best = min(ok, key=lambda x: (bool(x[2].unread), len(x[2].hops)))
        return PathResult(
            src=src,
            dst=dst,
            port=port,
            address=address,
            reachable=None if best.unread else True,
            entry=_entry(address, entry_port),
            hops=tuple(best.hops),
            tried=tuple(f"{_entry(a, p)}: {w.reason}" for a, p, w in walks if not w.reached),
            verdict="delivered",
            unread=tuple(best.unread),
        )
    diag = _diagnose(world, dnode, port, s) if dnode is not None and port is not None else Diagnosis()
    if not walks:
        return PathResult(src, dst, port, None, False, reason="no address to try", fixes=diag.fixes, verdict="stopped")
    # an undecided way in may still work: the answer is then unknown, never a confident "does not reach"
    address, entry_port, shown = next(
        (x for x in walks if x[2].unknown), next((x for x in walks if x[2].via_forward), walks[0])
    )
    reason = shown.reason
    if diag.reasons and not shown.unknown:
        reason = "; ".join(diag.reasons) + (f" ({shown.reason})" if shown.reason else "")
    if shown.unknown:
        verdict = "unknown"
    elif (shown.reason or "").startswith(LEAVES_MAP):
        verdict = "beyond"
    else:
        verdict = "stopped"
    return PathResult(
        src=src,
        dst=dst,
        port=port,
        address=address,
        reachable=None if shown.unknown else False,
        entry=_entry(address, entry_port),
        hops=tuple(shown.hops),
        stopped_at=shown.stopped_at,
        reason=reason,
        fixes=tuple(dict.fromkeys((*shown.fixes, *diag.fixes))),
        tried=tuple(f"{_entry(a, p)}: {w.reason}" for a, p, w in walks if w is not shown),
        verdict=verdict,
        unread=tuple(shown.unread),
    )
