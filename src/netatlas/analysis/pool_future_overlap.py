"""pool-future-overlap: the subnets Docker hands out next would land on a range in use.

Docker's allocator avoids only the nameservers of its host's ``resolv.conf`` and the
host's **on-link** routes (moby ``InferReservedNetworks``). A VPN that routes
``172.16.0.0/12`` through a gateway is not avoided, so the next ``docker compose up``
takes ``172.18.0.0/16`` and the VPN's hosts there vanish for the containers. With
Docker Desktop the engine runs in a VM that does not see the host's LAN or VPN at all.

This check predicts the next five allocations with
:func:`netatlas.planning.docker_state.docker_forecast`, which models the engine's own
allocator by its version (round-robin before 27.0; pools: ``default_address_pools``
from the settings, else Docker's defaults; allocated: the engine's existing networks;
reserved: what the daemon infers on the engine's node) and reports each one that
overlaps a range Docker does not avoid:

* a ``--reserve`` range (``Options.reserved``);
* a route through a gateway on any node (a VPN's split-tunnel routes);
* when the engine runs in a VM (Docker Desktop), the host's LAN, VPN and WSL networks,
  which the VM cannot see.

The fix is a ``default-address-pools`` entry on a free range.
"""

from __future__ import annotations

import ipaddress

from netatlas.analysis import Options
from netatlas.analysis.pool_overlap import (
    FreeRanges,
    Prefix,
    collect,
    fix_for,
    overlapping_pairs,
    settings_pools,
)
from netatlas.errors import NetatlasError
from netatlas.model.atlas import Atlas, Finding
from netatlas.planning import docker_reserved_prefixes
from netatlas.planning.docker_ipam import Prediction
from netatlas.planning.docker_state import docker_forecast, docker_networks_seen, engine_node, engine_version
from netatlas.reach import host_node

__all__ = ["CODE", "COUNT", "DESCRIPTION", "check", "engine_node"]

CODE = "pool-future-overlap"
DESCRIPTION = "Subnets Docker will allocate next that overlap a reserved range or a VPN route."

COUNT = 5
"""How many future allocations to predict."""

_HOST_SIDE = frozenset({"lan", "vpn", "wsl-nat", "hyperv-default-switch"})
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd"}


def _predict(atlas: Atlas) -> Prediction | None:
    """Up to :data:`COUNT` next subnets, per engine version; fewer when the pools run out."""
    for count in range(COUNT, 0, -1):
        try:
            return docker_forecast(atlas, count)
        except NetatlasError:
            continue
    return None


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """Each range in use that one of Docker's next allocations would overlap."""
    engine = engine_node(atlas)
    if engine is None:
        return []
    configured = settings_pools(atlas.settings)
    allocated = [x.subnet for x in docker_networks_seen(atlas)]
    reserved = docker_reserved_prefixes(engine.dns.servers, engine.routes, engine_version=engine_version(atlas))
    prediction = _predict(atlas)
    if not prediction:
        return []
    predicted = list(prediction)
    how = {
        "linear": "the lowest free subnet (Docker 27.0+)",
        "round-robin": f"round-robin from start index {prediction.start_index} (Docker 18.06 to 26.x)",
        "first-fit": "the first free subnet from the top (Docker before 18.06)",
    }[prediction.algorithm]
    host = host_node(atlas)
    in_vm = host is not None and host.id != engine.id
    conflicts: list[Prefix] = [
        Prefix(r, f"reserved range {r} (--reserve)", "pool", "reserved", f"reserved:{r}", seen="--reserve")
        for r in options.reserved
    ]
    for p in collect(atlas):
        gateway_route = p.origin == "route" and (p.via or "").startswith("via")
        unseen = in_vm and p.origin == "network" and p.kind in _HOST_SIDE and engine.id not in p.nodes
        if gateway_route or unseen:
            conflicts.append(p)
    future = [Prefix(ipaddress.ip_network(c), c, "future", "docker-future", f"future:{c}") for c in predicted]
    order = {p.what: i + 1 for i, p in enumerate(future)}
    hits: dict[str, tuple[Prefix, list[Prefix]]] = {}
    for a, b in overlapping_pairs(future + conflicts):
        fut, other = (a, b) if a.origin == "future" else (b, a)
        if fut.origin != "future" or other.origin == "future":
            continue
        hits.setdefault(other.group, (other, []))[1].append(fut)
    pools_text = (
        "default-address-pools from the engine settings"
        if configured
        else "Docker's default pools (172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16 in /20s)"
    )
    free = FreeRanges([*(p.cidr for p in collect(atlas)), *(p.cidr for p in conflicts), *allocated])
    found: list[Finding] = []
    for other, futs in hits.values():
        futs.sort(key=lambda f: order[f.what])
        which = ", ".join(f"{f.what} ({_ORDINAL.get(order[f.what], f'{order[f.what]}th')} next)" for f in futs)
        why_not = (
            "it is a route through a gateway, and Docker avoids only on-link routes and nameservers"
            if other.origin == "route"
            else "the engine runs in a VM that cannot see it"
            if other.origin == "network"
            else "Docker does not know about it"
        )
        fix = fix_for(Prefix(futs[0].cidr, "next network", "pool", "docker-pool", "x"), free)
        found.append(
            Finding(
                code=CODE,
                severity="warning",
                title=f"Docker's next networks would take {which.split(' (')[0]}, overlapping {other.what}",
                detail=(
                    f"Predicted next allocations on {engine.name} ({how}) from {pools_text}, with existing networks "
                    f"{', '.join(map(str, allocated)) or 'none'} and reserved (nameservers, on-link routes) "
                    f"{', '.join(map(str, reserved)) or 'none'}: {', '.join(predicted)}. "
                    f"{which} overlap {other.what}, which Docker will not avoid: {why_not}. "
                    f"Evidence: {other.seen}."
                ),
                fix=fix,
                networks=(other.network,) if other.network else (),
                nodes=tuple(dict.fromkeys((engine.id, *other.nodes))),
            )
        )
    return found
