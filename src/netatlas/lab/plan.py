"""Apply a :func:`netatlas.planning.plan.make_plan` proposal to a lab topology.

The plan proposes a new Docker ``default-address-pools`` block and predicts the subnets
Docker hands out from it (``docker_next_after``). Applying it to a lab recreates each
Docker network of the topology (every network an engine's containers are on, and any
``docker0``) on the next of those subnets, in order, as ``docker compose down && up``
would after the ``daemon.json`` change: :func:`~netatlas.lab.topology.renumber` keeps
each address's offset.
"""

from __future__ import annotations

import ipaddress

from netatlas.errors import LabError
from netatlas.lab.topology import Topology, renumber
from netatlas.planning.plan import Plan

__all__ = ["apply_plan", "docker_networks"]


def docker_networks(topo: Topology) -> list[str]:
    """Names of the topology's Docker networks, in topology order."""
    engine = {c.network for n in topo.nodes for c in n.containers}
    return [net.name for net in topo.networks if net.name in engine or any(m.iface == "docker0" for m in net.members)]


def apply_plan(topo: Topology, plan: Plan) -> tuple[Topology, dict[str, str]]:
    """The topology with its Docker networks moved to the plan's blocks.

    Returns:
        The new topology, and network name → new CIDR.

    Raises:
        LabError: the plan has fewer subnets than the topology has Docker networks.
    """
    blocks = [ipaddress.ip_network(b) for b in plan.docker_next_after]
    names = docker_networks(topo)
    if len(blocks) < len(names):
        raise LabError(f"the plan gives {len(blocks)} Docker subnets for {len(names)} Docker networks")
    moved: dict[str, str] = {}
    for name, block in zip(names, blocks, strict=False):
        topo = renumber(topo, name, block)
        moved[name] = str(block)
    return topo, moved
