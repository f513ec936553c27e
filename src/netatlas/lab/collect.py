"""Scan a lab: one vantage per vantage a lab node declares, and nothing of the machine.

Each node is read the way the Linux collector reads a named namespace: links,
addresses and routes in-process over netlink, ``hosts`` and ``resolv.conf`` from
``/etc/netns/<ns>/``. Besides, from inside the namespace (``ip netns exec``): its TCP
listeners (``ss -ltnH``), the answers of its DNS servers (``dns-answers-json``,
asked from inside so the query leaves from the node's own addresses), and, on a node
that carries ``filter`` rules, its ``iptables-save``. And what the
node's control plane reports, as the lab wrote it when it built the node: the
``netsh interface portproxy`` table and Docker's ``inspect`` JSON.

Vantages get the ids, kinds and parents the topology gives them (``host`` is a
``windows-host``, ``wsl:kali-linux`` and ``wsl:Ubuntu`` are two ``wsl-distro``
vantages of one namespace), so the atlas of the z820 lab has the same shape as the
atlas of the z820 example bundle.

The lab plugs into :func:`netatlas.collect.scan.scan` the way a platform's collectors
do, as a planner (:func:`planner`); the scan itself knows no lab. :func:`scan_lab` is
that scan.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from netatlas.collect import netlink
from netatlas.collect.base import Planned, Source
from netatlas.collect.runner import Result, Runner
from netatlas.lab.build import STATE_ROOT, running_topology
from netatlas.lab.topology import NodeSpec, Topology
from netatlas.model import Vantage

if TYPE_CHECKING:
    from netatlas.bundle import Bundle

__all__ = ["lab_names", "plan", "plan_topology", "planner", "scan_lab"]

_SPECIAL = ("localhost", "host.docker.internal", "gateway.docker.internal", "kubernetes.docker.internal")


def lab_names(topo: Topology) -> list[str]:
    """The names every vantage of the lab is asked about."""
    return list(dict.fromkeys([*topo.names, *_SPECIAL]))


def _netlink(prefix: str, ns: str) -> Iterator[Source]:
    cache: dict[str, tuple[Result, Result]] = {}

    def both(_r: Runner) -> tuple[Result, Result]:
        if "d" not in cache:
            cache["d"] = netlink.dump(ns)
        return cache["d"]

    yield Source(f"{prefix}/ip-addr-json", "ip-addr-json", lambda r: both(r)[0], local=True)
    yield Source(f"{prefix}/ip-route-json", "ip-route-json", lambda r: both(r)[1], local=True)


def _sources(topo: Topology, node: NodeSpec, vid: str, first: bool) -> list[Source]:
    ns = topo.namespace(node.name)
    names = lab_names(topo)
    exe = sys.executable
    out = [
        *_netlink(vid, ns),
        Source(f"{vid}/hosts", "hosts", lambda r: r.read(f"/etc/netns/{ns}/hosts"), optional=True, local=True),
        Source(
            f"{vid}/resolv-conf",
            "resolv-conf",
            lambda r: r.read(f"/etc/netns/{ns}/resolv.conf"),
            optional=True,
            local=True,
        ),
        Source(f"{vid}/ss-listen", "ss-listen", lambda r: r.run(["ip", "netns", "exec", ns, "ss", "-ltnH"])),
        Source(
            f"{vid}/dns-answers",
            "dns-answers-json",
            lambda r: r.run(
                ["ip", "netns", "exec", ns, exe, "-m", "netatlas.lab._serve", "dns-answers", *names], timeout=10
            ),
        ),
    ]
    if first and node.filter is not None:
        out += _filter_sources(vid, ns)
    if first:
        state = STATE_ROOT / topo.name / node.name
        for kind, file in (
            ("docker-inspect", "docker-inspect.json"),
            ("docker-network-inspect", "docker-network-inspect.json"),
            ("netsh-portproxy", "netsh-portproxy.txt"),
        ):
            path = str(state / file)
            out.append(Source(f"{vid}/{kind}", kind, lambda r, p=path: r.read(p), optional=True, local=True))  # type: ignore[misc]
    return out


def _filter_sources(vid: str, ns: str) -> list[Source]:
    """``iptables-save`` from inside a node that carries ``filter`` rules, as the Linux
    collector reads a named namespace. Only there: a node without them has no rules
    but the lab's own nftables NAT stand-in, and an empty ruleset read would claim
    that its filter was seen to accept everything."""
    from netatlas.collect.linux import firewall_sources

    return [s for s in firewall_sources(vid, ns) if s.id == f"{vid}/iptables-save"]


def plan_topology(topo: Topology) -> list[Planned]:
    """The vantages of a topology and their sources (the lab must be up to read them)."""
    first_vid = {n.name: n.vantages[0].id for n in topo.nodes if n.vantages}
    out = []
    for node in topo.nodes:
        for i, v in enumerate(node.vantages):
            parent = first_vid.get(node.parent) if node.parent else None
            vantage = Vantage(v.id, v.kind, v.name, parent=parent, channel="netns")
            out.append(Planned(vantage, _sources(topo, node, v.id, i == 0)))
    return out


def plan(runner: Runner, lab: str) -> list[Planned]:
    """The vantages of the running lab ``lab``.

    Raises:
        LabError: the lab is not up.
    """
    del runner  # discovery is the lab's own state file
    return plan_topology(running_topology(lab))


def planner(lab: str) -> Callable[[Runner], list[Planned]]:
    """The running lab ``lab`` as a planner for :func:`netatlas.collect.scan.scan`."""
    return lambda runner: plan(runner, lab)


def scan_lab(lab: str, **options: Any) -> Bundle:
    """A scan of the running lab ``lab``'s vantages only, none of this machine's.

    Args:
        lab: the lab's name (``netatlas lab up``).
        options: for :func:`netatlas.collect.scan.scan` (``only``, ``timeout``, ``progress`` …).

    Returns:
        The :class:`~netatlas.bundle.Bundle`; its ``meta`` names the lab.

    Raises:
        LabError: the lab is not up.
    """
    from netatlas.collect.scan import scan

    return scan(planners=[planner(lab)], meta={"lab": lab}, **options)
