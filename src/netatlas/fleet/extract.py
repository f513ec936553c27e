"""What of an atlas the fleet indexes: every range a machine uses or will use, and its findings.

Pure and shared by the server (at each push) and the benchmark's seeding, so the rows
the collision query searches are always derived the same way. Four sources:

* ``network``: each network of the atlas, with the kind the atlas gave it
  (``docker-bridge``, ``wsl-nat``, ``docker-desktop-vm``, ``lan``, ``k8s-pods``,
  ``vpn`` …);
* ``route``: each node's unicast routes that reach past the atlas's networks (a VPN's
  split routes live here): a route inside one of the networks (its on-link, host and
  broadcast routes, which Windows lists one by one) adds nothing, nor do default,
  loopback, link-local and multicast routes;
* ``pool``: engine settings that reserve space without a network yet: Docker's
  ``default-address-pools`` bases, ``bip``, ``fixed-cidr``, Docker Desktop's subnet;
* ``docker-next``: the next subnets Docker Engine will hand out
  (:func:`netatlas.planning.plan.make_plan`'s prediction, the real allocator ported),
  only where the atlas shows a Docker Engine.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netatlas.errors import NetatlasError
from netatlas.model import IPNetwork
from netatlas.model.atlas import Atlas

__all__ = ["FindingRow", "RangeRow", "finding_rows", "range_rows"]

_POOL_SETTINGS = (
    ("vpnkit_cidr", "docker-desktop-vm", "Docker Desktop subnet"),
    ("bip", "docker-bridge", "daemon.json bip"),
    ("fixed_cidr", "docker-bridge", "daemon.json fixed-cidr"),
)
_LABEL_MAX = 200


@dataclass(frozen=True, slots=True)
class RangeRow:
    """One range of one scan, as stored in ``scan_ranges``."""

    source: str
    cidr: IPNetwork
    kind: str
    label: str
    node: str | None = None


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One finding of one scan, as stored in ``findings``."""

    code: str
    severity: str
    title: str


def _net(value: object) -> IPNetwork | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _inside(a: IPNetwork, b: IPNetwork) -> bool:
    if isinstance(a, ipaddress.IPv4Network) and isinstance(b, ipaddress.IPv4Network):
        return a.subnet_of(b)
    if isinstance(a, ipaddress.IPv6Network) and isinstance(b, ipaddress.IPv6Network):
        return a.subnet_of(b)
    return False


def _docker_engine(atlas: Atlas) -> bool:
    return any(n.owner == "docker-engine" for n in atlas.networks) or bool(atlas.settings.get("default_address_pools"))


def _docker_next(atlas: Atlas) -> list[IPNetwork]:
    if not _docker_engine(atlas):
        return []
    from netatlas.planning.plan import make_plan

    try:
        return [ipaddress.ip_network(n) for n in make_plan(atlas).docker_next_now]
    except NetatlasError:  # no free block left, or pools the allocator refuses: nothing predicted
        return []


def range_rows(atlas: Atlas) -> list[RangeRow]:
    """Every range of the atlas the collision query should see, without repeats."""
    out: list[RangeRow] = []
    seen: set[tuple[str, IPNetwork]] = set()

    def add(row: RangeRow) -> None:
        if (row.source, row.cidr) not in seen:
            seen.add((row.source, row.cidr))
            out.append(row)

    networks = {n.cidr for n in atlas.networks}
    for n in atlas.networks:
        first = n.attachments[0].node if n.attachments else None
        add(RangeRow("network", n.cidr, n.kind, n.label[:_LABEL_MAX], first))
    for node in atlas.nodes:
        for r in node.routes:
            d = r.destination
            special = d.is_loopback or d.is_multicast or d.is_link_local or d.is_reserved  # 240/4: broadcast
            if d.prefixlen == 0 or special:
                continue
            if any(_inside(d, n) for n in networks):
                continue
            if r.type not in (None, "unicast"):
                continue
            via = f" via {r.gateway}" if r.gateway else ""
            dev = f" dev {r.interface}" if r.interface else ""
            add(RangeRow("route", d, "route", f"route{via}{dev}"[:_LABEL_MAX], node.id))
    pools = atlas.settings.get("default_address_pools")
    if isinstance(pools, list):
        for p in pools:
            base = _net(p.get("base")) if isinstance(p, dict) else None
            if base is not None and isinstance(p, dict):
                add(RangeRow("pool", base, "docker-pool", f"default-address-pools base (size {p.get('size')})"))
    for key, kind, label in _POOL_SETTINGS:
        net = _net(atlas.settings.get(key))
        if net is not None:
            add(RangeRow("pool", net, kind, label))
    for net in _docker_next(atlas):
        add(RangeRow("docker-next", net, "docker-next", "Docker Engine's next network"))
    return out


def finding_rows(atlas: Atlas) -> list[FindingRow]:
    """The findings of the atlas (code, severity, title)."""
    return [FindingRow(f.code, f.severity, f.title[: _LABEL_MAX * 2]) for f in atlas.findings]
