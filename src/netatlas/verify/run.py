"""``netatlas verify`` on this machine: scan, build the atlas, enter each namespace, probe, compare."""

from __future__ import annotations

import platform
import socket
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from netatlas.bundle import Bundle
from netatlas.model import IPAddress
from netatlas.model.atlas import Atlas
from netatlas.verify import churn
from netatlas.verify.door import PARALLEL, Door, Maker, Observed, make_sockets
from netatlas.verify.fence import Fence
from netatlas.verify.judge import Check, judge_name, judge_route, judge_tcp, world_of
from netatlas.verify.kernel import KernelRoute, Link, Namespace, open_namespace
from netatlas.verify.places import Place, places
from netatlas.verify.plan import MAX_PROBES, plan
from netatlas.verify.report import LiveReport

__all__ = ["TIMEOUT", "verify_machine"]

TIMEOUT = 1.0
"""Seconds one probe may take (``--timeout``): a connect on the machine is answered in
well under a millisecond, so only a dropped one waits this long."""

Opener = Callable[[str | None], Namespace]
_FORWARDED = "the server does not hold these names itself and would forward them beyond the machine"


def _enter(
    chosen: list[Place], opener: Opener, runner: Any
) -> tuple[list[Place], dict[str, Namespace], list[tuple[str, str]]]:
    """Open each namespace place (its netlink socket proves it can be entered)."""
    kept: list[Place] = []
    spaces: dict[str, Namespace] = {}
    failed: list[tuple[str, str]] = []
    for p in chosen:
        if p.how == "exec" or not p.kernel:
            kept.append(p)
            continue
        if p.container_id is not None and p.path is not None and runner is not None:
            from netatlas.collect.containers import owns_container

            pid = int(p.path.split("/")[2])
            why = owns_container(runner, pid, p.container_id)
            if why is not None:
                failed.append((p.vantage, why.message))
                continue
        try:
            spaces[p.node] = opener(p.path if p.how == "netns" else None)
        except PermissionError as exc:
            failed.append((p.vantage, f"entering {p.path} is not permitted ({exc.strerror}); run as root"))
            continue
        except OSError as exc:
            failed.append((p.vantage, f"{p.path}: {exc.strerror or exc}"))
            continue
        kept.append(p)
    return kept, spaces, failed


def verify_machine(
    *,
    bundle: Bundle | None = None,
    atlas: Atlas | None = None,
    runner: Any = None,
    limit: int = MAX_PROBES,
    timeout: float = TIMEOUT,
    parallel: int = PARALLEL,
    system: str | None = None,
    maker: Maker = make_sockets,
    opener: Opener = open_namespace,
) -> LiveReport:
    """Probe this machine's own namespaces and compare every answer with the atlas.

    Args:
        bundle: the scan (default: scan now); ``atlas`` its atlas (default: built from it).
        runner: runs channel commands and reads ``/proc`` (default: the real one).
        limit: TCP probes at most (``--max-probes``).
        timeout: seconds per probe.
        parallel: sockets in flight at once.
        system: ``platform.system()`` of the machine.
        maker: makes sockets inside a place; ``opener`` opens a namespace's netlink
            socket (tests hand in their own).
    """
    from netatlas.atlas import build_atlas
    from netatlas.collect.runner import SubprocessRunner
    from netatlas.collect.scan import scan

    run = runner or SubprocessRunner()
    system = system or platform.system()
    if bundle is None:
        bundle = scan(run, system=system)
    if atlas is None:
        atlas = build_atlas(bundle)
    chosen, skipped = places(bundle, atlas, system=system)
    kept, spaces, not_entered = _enter(chosen, opener, run)
    pinned = churn.pin(kept)
    try:
        return _verify(atlas, kept, spaces, not_entered, skipped, run, limit, timeout, parallel, maker, pinned)
    finally:
        for ns in spaces.values():
            ns.close()


def _verify(
    atlas: Atlas,
    kept: list[Place],
    spaces: dict[str, Namespace],
    not_entered: list[tuple[str, str]],
    skipped: list[str],
    runner: Any,
    limit: int,
    timeout: float,
    parallel: int,
    maker: Maker,
    pinned: Mapping[str, tuple[str, churn.Identity]],
) -> LiveReport:
    from netatlas.reach import why

    asked: dict[tuple[str, IPAddress], tuple[KernelRoute, Link | None]] = {}

    def ask(node: str, address: IPAddress) -> tuple[KernelRoute, Link | None] | None:
        ns = spaces.get(node)
        if ns is None:
            return None
        key = (node, address)
        if key not in asked:
            route = ns.route(address)
            asked[key] = (route, ns.link(route.interface))
        return asked[key]

    fence = Fence(atlas, ask if spaces else None)
    door = Door(fence, timeout=timeout, runner=runner, parallel=parallel, maker=maker)
    p = plan(atlas, kept, limit=limit)
    world = world_of(atlas)
    checks: list[Check] = []
    nodes_of: list[tuple[str, IPAddress | None]] = []  # each check's place node and target address
    # predict first: a path the atlas sees leaving the map is never probed, whatever the fence says
    predicted = {id(t): why(atlas, t.place.vantage, str(t.address), t.port, world=world) for t in p.tcp}
    left: list[tuple[str, str]] = []
    probed = []
    for t in p.tcp:
        if predicted[id(t)].verdict == "beyond":
            left.append((t.place.vantage, "the atlas sees the path leave the map: not probed"))
        else:
            probed.append(t)
    observed = door.tcp(probed)
    for t, obs in zip(probed, observed, strict=True):
        if obs.status in ("fenced", "skipped", "error"):
            left.append((t.place.vantage, f"{obs.status}: {obs.detail}"))
            continue
        checks.append(judge_tcp(world, t.place.vantage, t.address, t.port, predicted[id(t)], obs))
        nodes_of.append((t.place.node, t.address))
    for (vantage, reason), n in Counter(left).items():
        skipped.append(f"{vantage}: {n} tcp probe{'s' if n > 1 else ''} not run ({reason})")
    unasked: Counter[tuple[str, IPAddress, str]] = Counter()
    for q in p.names:
        got: Observed = door.dns(q.place, q.server, q.name)
        if got.status in ("fenced", "skipped"):
            unasked[(q.place.vantage, q.server, got.detail)] += 1
            continue
        checks.append(judge_name(q.place.vantage, q.server, q.name, q.expected, got))
        nodes_of.append((q.place.node, None))
    for q in p.held_back:
        unasked[(q.place.vantage, q.server, _FORWARDED)] += 1
    for (vantage, server, detail), n in unasked.items():
        skipped.append(f"{n} name lookups from {vantage} through its resolver {server}: not asked ({detail})")
    for place, address in p.routes:
        got_route = ask(place.node, address)
        if got_route is not None:
            checks.append(judge_route(world, place.vantage, place.node, address, got_route[0]))
            nodes_of.append((place.node, address))
    # a namespace that left during the run answered nothing: its disagreements prove nothing
    left_ns = churn.gone(pinned)
    touched = [
        (c, (node, world.holder(a) if a is not None else None)) for c, (node, a) in zip(checks, nodes_of, strict=True)
    ]
    checks = churn.discount(touched, left_ns, {n.id: n.name for n in atlas.nodes})
    sent: dict[str, int] = {}
    for kind, *_rest in door.sent:
        sent[kind] = sent.get(kind, 0) + 1
    return LiveReport(
        machine=socket.gethostname() or "this machine",
        checks=tuple(checks),
        skipped=tuple(dict.fromkeys(skipped)),
        not_entered=tuple(not_entered),
        over_limit=p.over_limit,
        places=len(kept),
        sent=sent,
        timeout=timeout,
        max_probes=limit,
    )
