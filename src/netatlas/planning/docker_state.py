"""Docker's next subnets as the scanned engine will hand them out, with what that rests on.

:func:`docker_forecast` reads the inputs of the allocator from an atlas:

- the engine's version (``docker info``: ``ServerVersion``, in ``atlas.settings``), which
  decides the allocator (:mod:`netatlas.planning.docker_versions`);
- its pools (``default_address_pools`` from daemon.json or ``docker info``, else
  Docker's defaults);
- its networks, with the time each was created (``docker network inspect``:
  ``Created``);
- what it avoids on the node it runs on: resolv.conf nameservers and routes.

For the round-robin engines (18.06 to 26.x) it also needs the start index, which only
the daemon's memory holds. :func:`infer_start_index` works it out the way the daemon
moved it: from 0 at the daemon's start, one allocation per network created since, in
the order of their ``Created`` times. The daemon's start is when it made the default
``bridge`` network, which it deletes and makes anew at every start
(``initNetworkController``: "Clear stale bridge network", moby
``daemon/daemon_unix.go`` v20.10.24 to v26.1.0). Each replayed allocation is checked
against the subnet the network really got; where they differ something the scan cannot
see happened (a network created and removed, a route that came or went), and the
replay takes up again from the subnet the engine gave.

What cannot be seen, and is said: networks created and removed since the daemon started
(each moved the index), a restart with ``live-restore`` and running containers (the
bridge is then not made anew), and a network created with an explicit ``--subnet`` that
happens to be one of the pool's subnets (it did not move the index, but looks as if it
had).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from netatlas.errors import AllocationError
from netatlas.model import VantageKind
from netatlas.model.atlas import Atlas, Node
from netatlas.model.facts import IPNetwork
from netatlas.planning.docker_ipam import (
    DOCKER_DEFAULT_POOLS,
    PoolSpec,
    Prediction,
    docker_reserved_prefixes,
    predict_docker_subnets,
)
from netatlas.planning.docker_round_robin import PredefinedList, allocate_once, spans
from netatlas.planning.docker_versions import docker_allocator, docker_zero_is_dynamic, reserves_every_route

__all__ = [
    "DockerNetworkSeen",
    "StartIndex",
    "docker_forecast",
    "docker_networks_seen",
    "docker_pools",
    "engine_node",
    "engine_version",
    "infer_start_index",
]


@dataclass(frozen=True, slots=True)
class DockerNetworkSeen:
    """One of the engine's networks as the allocator cares about it."""

    name: str
    subnet: IPNetwork
    created: str | None = None
    """``Created`` as the engine wrote it (RFC 3339)."""
    default_bridge: bool = False
    """The ``bridge`` network (docker0), made anew at every daemon start."""


@dataclass(frozen=True, slots=True)
class StartIndex:
    """The inferred round-robin start index and how it was found."""

    index: int
    started: str | None
    """When the daemon started (the default bridge's ``Created``), if known."""
    replayed: tuple[str, ...]
    """``name subnet`` of each network replayed, in order."""
    rests_on: tuple[str, ...]


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", re.IGNORECASE)


def instant(text: str | None) -> tuple[int, int] | None:
    """``(epoch seconds, nanoseconds)`` of an RFC 3339 time with up to nine fraction digits.

    Go writes ``Created`` with nanoseconds and trims trailing zeros; :mod:`datetime`
    keeps microseconds only, and two networks made in one microsecond must still sort.

    Example:
        >>> instant("2026-12-04T17:46:17.4259774Z")
        (1796406377, 425977400)
        >>> instant("yesterday") is None
        True
    """
    if not text:
        return None
    m = _RFC3339.match(text.strip())
    if m is None:
        return None
    zone = "+00:00" if m.group(3).upper() == "Z" else m.group(3)
    try:
        when = datetime.fromisoformat(m.group(1) + zone)
    except ValueError:
        return None
    nanos = int((m.group(2) or "0")[:9].ljust(9, "0"))
    return int(when.timestamp()), nanos


def engine_node(atlas: Atlas) -> Node | None:
    """The node the Docker engine runs on: a Docker Desktop VM or engine vantage, else
    the node holding the gateway of a Docker bridge network."""
    kinds = {v.id: v.kind for v in atlas.vantages}
    for n in atlas.nodes:
        if any(kinds.get(v) in (VantageKind.DOCKER_DESKTOP_VM, VantageKind.DOCKER_ENGINE) for v in n.vantages):
            return n
    for net in atlas.networks:
        if net.kind == "docker-bridge" and net.engine.get("engine") != "podman":
            for a in net.attachments:
                node = atlas.node(a.node)
                if node is not None and node.kind in ("host", "vm", "distro"):
                    return node
    return None


def engine_version(atlas: Atlas) -> str | None:
    """The Docker engine's ``ServerVersion``: ``docker info``, else a network's engine state."""
    v = atlas.settings.get("server_version")
    if isinstance(v, str) and v:
        return v
    for n in atlas.networks:
        if n.engine.get("engine") == "docker" and isinstance(n.engine.get("version"), str):
            return str(n.engine["version"])
    return None


def docker_pools(settings: Mapping[str, object]) -> tuple[list[PoolSpec], bool]:
    """``default-address-pools`` from the settings, else Docker's defaults; and whether configured."""
    raw = settings.get("default_address_pools")
    pools: list[PoolSpec] = []
    if isinstance(raw, list):
        for p in raw:
            if isinstance(p, dict) and isinstance(p.get("base"), str):
                try:
                    pools.append((str(p["base"]), int(str(p.get("size")))))
                except ValueError:
                    continue
    if pools:
        return pools, True
    return list(DOCKER_DEFAULT_POOLS), False


def _is_docker(n: object) -> bool:
    from netatlas.model.atlas import Network

    assert isinstance(n, Network)
    engine = n.engine.get("engine")
    if engine == "podman":
        return False
    return engine == "docker" or n.owner == "docker-engine"


def docker_networks_seen(atlas: Atlas) -> list[DockerNetworkSeen]:
    """The Docker engine's IPv4 networks in the atlas, with their creation times."""
    out: list[DockerNetworkSeen] = []
    for n in atlas.networks:
        if n.cidr.version != 4 or not _is_docker(n):
            continue
        name = n.engine.get("name")
        created = n.engine.get("created")
        out.append(
            DockerNetworkSeen(
                name=str(name) if isinstance(name, str) else n.label,
                subnet=n.cidr,
                created=str(created) if isinstance(created, str) else None,
                default_bridge=name == "bridge" and n.engine.get("driver") in ("bridge", None),
            )
        )
    return out


def infer_start_index(
    pools: Iterable[PoolSpec],
    networks: Sequence[DockerNetworkSeen],
    reserved: Sequence[IPNetwork | str] = (),
    *,
    version: str | None = None,
) -> StartIndex:
    """The round-robin start index of the daemon now, replayed from the networks' creation order.

    Args:
        pools: the engine's ``default-address-pools`` (config order).
        networks: every network of the engine, with ``Created`` where known.
        reserved: what the engine avoids now (nameservers, routes); the route of a
            network of this engine is left out while replaying the time before it
            existed.
        version: ``ServerVersion``; from 24.0 a docker0 without an address took its
            subnet through the allocator at start.

    Example:
        >>> nets = [DockerNetworkSeen("bridge", ipaddress.ip_network("172.17.0.0/16"), "2026-01-01T00:00:00Z", True),
        ...         DockerNetworkSeen("a", ipaddress.ip_network("172.18.0.0/16"), "2026-01-01T00:01:00Z"),
        ...         DockerNetworkSeen("b", ipaddress.ip_network("172.19.0.0/16"), "2026-01-01T00:02:00Z")]
        >>> infer_start_index(DOCKER_DEFAULT_POOLS, nets, version="20.10.24").index
        3
    """
    predefined = PredefinedList(pools)
    n = len(predefined)
    bridge = next((x for x in networks if x.default_bridge and instant(x.created) is not None), None)
    started = instant(bridge.created) if bridge is not None else None
    timed = sorted(
        (x for x in networks if instant(x.created) is not None and x is not bridge),
        key=lambda x: instant(x.created) or (0, 0),
    )
    after = [x for x in timed if started is None or (instant(x.created) or (0, 0)) > started]
    allocated: list[IPNetwork] = [x.subnet for x in networks if x not in after]
    if bridge is not None and docker_zero_is_dynamic(version) and predefined.position(bridge.subnet) is not None:
        allocated.remove(bridge.subnet)
    said: list[str] = []
    if bridge is not None:
        said.append(
            f"the daemon started at {bridge.created}, when it made the default bridge network anew "
            "(docker network inspect bridge: Created)"
        )
    else:
        said.append(
            "no default bridge network was seen, so the daemon's start is unknown: it is taken to have run "
            "since before the oldest network was created"
        )
    index = 0
    replayed: list[str] = []
    diverged: list[str] = []
    order = ([bridge] if bridge is not None and bridge.subnet not in allocated else []) + after
    for k, x in enumerate(order):
        position = predefined.position(x.subnet)
        if position is None:  # an explicit --subnet outside the pools: allocated, the index stays
            allocated.append(x.subnet)
            continue
        # the bridge routes of this network and the ones after it did not exist yet
        not_yet = {y.subnet for y in order[k:]}
        avoid_now = [r for r in map(_net, reserved) if r not in not_yet]
        try:
            addr, bits, _pos, new = allocate_once(predefined, index, spans(allocated), spans(avoid_now), 4)
            got: IPNetwork | None = ipaddress.ip_network((addr, bits))
        except AllocationError:
            got, new = None, 0
        if got == x.subnet:
            index = new
        else:
            diverged.append(f"{x.name} got {x.subnet} where the replay gave {got or 'nothing'}")
            index = position + 1 if position + 1 < n else 0
        replayed.append(f"{x.name} {x.subnet}")
        allocated.append(x.subnet)
    if replayed:
        said.append(
            f"replayed the {len(replayed)} network(s) created since, in order of Created: "
            + ", ".join(replayed)
            + f"; the start index is now {index} of {n}"
        )
    else:
        said.append(f"no network was created since, so the start index is {index} of {n}")
    if diverged:
        said.append(
            "the replay differed from the engine at "
            + "; ".join(diverged)
            + " (a network created and removed since, or a route that came or went), so it went on from the "
            "subnet the engine gave"
        )
    said.append(
        "networks created and removed since the daemon started leave no trace in a scan; each moved the index further"
    )
    return StartIndex(
        index=index,
        started=bridge.created if bridge is not None else None,
        replayed=tuple(replayed),
        rests_on=tuple(said),
    )


def _net(value: IPNetwork | str) -> IPNetwork:
    return value if not isinstance(value, str) else ipaddress.ip_network(value, strict=False)


def docker_forecast(
    atlas: Atlas,
    count: int = 3,
    *,
    pools: Sequence[PoolSpec] | None = None,
    extra_allocated: Iterable[IPNetwork] = (),
) -> Prediction:
    """Docker's next ``count`` subnets on the scanned engine, saying which allocator and why.

    Args:
        atlas: the scan.
        count: networks created in a row.
        pools: the pools to predict from (default: the engine's own).
        extra_allocated: subnets to count as allocated besides the engine's networks.

    Raises:
        AllocationError: the pools have no room left.
    """
    version = engine_version(atlas)
    algorithm = docker_allocator(version)
    own_pools, configured = docker_pools(atlas.settings)
    walk = list(pools) if pools is not None else own_pools
    seen = docker_networks_seen(atlas)
    node = engine_node(atlas)
    reserved = (
        docker_reserved_prefixes(node.dns.servers, node.routes, engine_version=version) if node is not None else []
    )
    allocated = [x.subnet for x in seen] + list(extra_allocated)
    basis: list[str] = []
    start = 0
    if algorithm == "round-robin":
        if pools is None:
            inferred = infer_start_index(walk, seen, reserved, version=version)
            start = inferred.index
            basis += inferred.rests_on
        else:
            basis.append("with new pools the daemon restarts, and its start index is 0 again")
    prediction = predict_docker_subnets(
        walk, allocated, reserved, count=count, family=4, engine_version=version, start_index=start
    )
    where = f"node {node.name}" if node is not None else "no node (the engine's host was not scanned)"
    routes = "every non-default route" if reserves_every_route(version) else "on-link routes"
    if pools is not None:
        source = "the proposed pools"
    elif configured:
        source = "default-address-pools from the engine settings"
    else:
        source = "Docker's default pools"
    basis.append(
        f"pools: {source}; avoided on {where}: resolv.conf nameservers and {routes}"
        + (f" ({', '.join(map(str, reserved))})" if reserved else " (none)")
    )
    return Prediction(
        prediction,
        algorithm=prediction.algorithm,
        engine_version=version,
        start_index=prediction.start_index,
        next_index=prediction.next_index,
        rests_on=(*prediction.rests_on, *basis),
    )
