"""Propose free, VPN-safe ranges and the exact config that applies them, layer by layer.

Everything the atlas shows in use (networks, non-default routes, engine pools) plus
what the user reserves (``--reserve``: the corporate VPN, the office LAN) is kept
clear. Free blocks are taken from the private ranges in a fixed preference order, so
the same inputs always give the same plan. Each layer gets its own block:

* Docker Engine: ``default-address-pools`` (a /16 cut into /24s) and ``bip``;
* Compose: an ``ipam`` subnet for one project network;
* Docker Desktop: the "Docker subnet" (``VpnkitCIDR``);
* WSL 2: the NAT network (registry values, with their caveats) or mirrored mode;
* kind and minikube: pod and service CIDRs and the node network.

The Docker allocator (:mod:`netatlas.planning.docker_ipam`) then predicts what the
daemon will hand out next, before and after the change.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from netatlas.errors import AllocationError
from netatlas.model import IPNetwork
from netatlas.model.atlas import Atlas
from netatlas.model.facts import _Model
from netatlas.planning.docker_ipam import (
    DOCKER_DEFAULT_POOLS,
    docker_reserved_prefixes,
    predict_docker_subnets,
)

__all__ = ["Plan", "free_blocks", "make_plan", "parse_reserve_file", "used_prefixes"]

PREFERENCE = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
)
"""Where free blocks are sought, in order (RFC 1918)."""


@dataclass(frozen=True, slots=True)
class Plan(_Model):
    """A proposal: the blocks chosen, the config per layer, and Docker's next subnets."""

    kept_clear: tuple[str, ...]
    blocks: dict[str, str]
    configs: dict[str, str]
    """Exact text to paste, per layer (valid JSON/YAML/commands, no commentary)."""
    how: dict[str, str]
    """Where each config goes and what to do after, per layer."""
    docker_next_now: tuple[str, ...] = ()
    docker_next_after: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def used_prefixes(atlas: Atlas) -> list[IPNetwork]:
    """Every IPv4 prefix the atlas shows in use: networks, non-default routes, engine pools."""
    out: set[IPNetwork] = set()
    for n in atlas.networks:
        if n.cidr.version == 4 and n.kind not in ("loopback", "host-alias", "link-local"):
            out.add(n.cidr)
    for node in atlas.nodes:
        for r in node.routes:
            d = r.destination
            if (
                d.version == 4
                and 0 < d.prefixlen < 32
                and r.type in (None, "unicast")
                and not (d.is_loopback or d.is_multicast)
            ):
                out.add(d)
    pools = atlas.settings.get("default_address_pools")
    if isinstance(pools, list):
        for p in pools:
            base = p.get("base") if isinstance(p, dict) else None
            if isinstance(base, str):
                out.add(ipaddress.ip_network(base, strict=False))
    for key in ("vpnkit_cidr", "bip", "fixed_cidr"):
        v = atlas.settings.get(key)
        if isinstance(v, str) and v:
            try:
                out.add(ipaddress.ip_network(v, strict=False))
            except ValueError:
                continue
    return sorted((p for p in out if p.version == 4), key=lambda p: (int(p.network_address), p.prefixlen))


def _intervals(prefixes: Iterable[IPNetwork]) -> tuple[list[int], list[int]]:
    """Merged [start, end] integer intervals, sorted, for fast overlap tests."""
    spans = sorted((int(p.network_address), int(p.broadcast_address)) for p in prefixes)
    starts: list[int] = []
    ends: list[int] = []
    for s, e in spans:
        if ends and s <= ends[-1] + 1:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def free_blocks(
    prefixlen: int, avoid: Iterable[IPNetwork], count: int = 1, within: Sequence[IPNetwork] = PREFERENCE
) -> list[IPNetwork]:
    """The first ``count`` /``prefixlen`` blocks inside ``within`` overlapping nothing in ``avoid``.

    Blocks returned are also avoided by the next ones. Runs in O((A + count) log A):
    each step jumps past the interval it hits instead of testing every block.

    Raises:
        AllocationError: the ranges have no room left.

    >>> [str(b) for b in free_blocks(24, [ipaddress.ip_network("10.0.0.0/23")], 2)]
    ['10.0.2.0/24', '10.0.3.0/24']
    """
    taken = list(avoid)
    starts, ends = _intervals(taken)
    size = 1 << (32 - prefixlen)
    out: list[IPNetwork] = []
    for parent in within:
        if parent.prefixlen > prefixlen:
            continue
        cur = int(parent.network_address)
        last = int(parent.broadcast_address)
        while cur + size - 1 <= last and len(out) < count:
            i = bisect.bisect_right(starts, cur + size - 1) - 1
            if i >= 0 and ends[i] >= cur:  # the block overlaps interval i: jump past it
                cur = ((ends[i] + 1 + size - 1) // size) * size
                continue
            block = ipaddress.ip_network((cur, prefixlen))
            out.append(block)
            starts, ends = _intervals([*taken, *out])
            cur += size
        if len(out) == count:
            return out
    raise AllocationError(f"no free /{prefixlen} left in {', '.join(map(str, within))} after reservations")


def parse_reserve_file(text: str, *, source: str = "-") -> list[IPNetwork]:
    """CIDRs, one per line; ``#`` comments and blank lines ignored.

    Raises:
        ParseError: a line that is not a CIDR (with its line number).
    """
    from netatlas.errors import ParseError

    out: list[IPNetwork] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append(ipaddress.ip_network(line, strict=False))
        except ValueError:
            raise ParseError(f"not a CIDR: {line!r}", line=no, source=source) from None
    return out


def _docker_state(atlas: Atlas) -> tuple[list[str], list[str]]:
    """Subnets Docker has allocated, and what the daemon itself would avoid."""
    allocated = [str(n.cidr) for n in atlas.networks if n.owner == "docker-engine" and n.cidr.version == 4]
    engine_nodes = [
        n for n in atlas.nodes if any(i.name == "docker0" or i.name.startswith("br-") for i in n.interfaces)
    ]
    nameservers = [s for node in engine_nodes for s in node.dns.servers]
    routes = [r for node in engine_nodes for r in node.routes]
    reserved = [str(p) for p in docker_reserved_prefixes(nameservers, routes)]
    return allocated, reserved


def make_plan(atlas: Atlas, reserve: Sequence[IPNetwork] = ()) -> Plan:
    """Choose free blocks for every layer and write their config.

    Raises:
        AllocationError: the private ranges have no room left.
    """
    in_use = list(used_prefixes(atlas))
    keep = [*in_use, *[r for r in reserve if r.version == 4]]
    allocated, reserved = _docker_state(atlas)
    pools_now = atlas.settings.get("default_address_pools")
    now_pools: list[tuple[str, int]] = (
        [(str(p["base"]), int(str(p["size"]))) for p in pools_now if isinstance(p, dict)]
        if isinstance(pools_now, list) and pools_now
        else [(str(p.base), p.size) for p in DOCKER_DEFAULT_POOLS]
    )
    notes: list[str] = []
    ignored = [str(r) for r in reserve if r.version == 6]
    if ignored:
        notes.append(
            f"IPv6 ranges are not planned (the proposals are IPv4 pools), so {', '.join(ignored)} changes nothing"
        )
    try:
        next_now: list[str] = predict_docker_subnets(now_pools, allocated, reserved, count=3)
    except AllocationError as exc:
        next_now = []
        notes.append(f"Docker today: {exc}")
    # until the daemon.json change is applied, Docker's next subnets are spoken for too
    keep += [ipaddress.ip_network(n) for n in next_now]
    for r in reserve:
        inside = sorted({str(u) for u in in_use if u.version == r.version and u.overlaps(r)})
        if inside:
            notes.append(
                f"{r} is reserved but in use here: {', '.join(inside)}; the proposals below move Docker, WSL "
                "and the clusters out of it, the rest (a VPN's or the LAN's own range) is someone else's to change"
            )
    chosen: list[IPNetwork] = []

    def take(prefixlen: int, what: str, smallest: int | None = None) -> IPNetwork:
        """A free block of ``prefixlen``, or the largest smaller one down to ``smallest``."""
        last = smallest or prefixlen
        for size in range(prefixlen, last + 1):
            try:
                block = free_blocks(size, keep + chosen, 1)[0]
            except AllocationError:
                if size == last:
                    raise
                continue
            if size != prefixlen:
                notes.append(f"{what}: no free /{prefixlen} is left, so a /{size} is proposed")
            chosen.append(block)
            return block
        raise AssertionError("unreachable")  # the loop returns or raises

    pool = take(16, "Docker's address pool", 20)
    bip = take(24, "docker0")
    compose = take(24, "the compose network")
    desktop = take(24, "Docker Desktop")
    wsl = take(20, "WSL's NAT network", 22)
    kind_pods = take(16, "kind's pod subnet", 20)
    kind_svc = take(16, "kind's service subnet", 22)
    mk_node = take(24, "minikube's node network")
    mk_pods = take(16, "minikube's pod CIDR", 20)
    mk_svc = take(16, "minikube's service CIDR", 22)
    blocks = {
        "docker_default_address_pool": f"{pool} size 24",
        "docker_bip": f"{bip.network_address + 1}/{bip.prefixlen}",
        "compose_subnet": str(compose),
        "docker_desktop_subnet": str(desktop),
        "wsl_nat": str(wsl),
        "kind_pod_subnet": str(kind_pods),
        "kind_service_subnet": str(kind_svc),
        "minikube_subnet": str(mk_node),
        "minikube_pod_cidr": str(mk_pods),
        "minikube_service_cidr": str(mk_svc),
    }
    wsl_gw = wsl.network_address + 1
    configs = {
        "daemon.json": (
            "{\n"
            f'  "bip": "{blocks["docker_bip"]}",\n'
            f'  "default-address-pools": [{{"base": "{pool}", "size": 24}}]\n'
            "}\n"
        ),
        "compose": (
            "networks:\n  default:\n    ipam:\n      config:\n"
            f"        - subnet: {compose}\n          gateway: {compose.network_address + 1}\n"
        ),
        "docker-desktop": f'"VpnkitCIDR": "{desktop}"\n',
        "wsl": (
            "wsl --shutdown\n"
            "reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss /v NatNetwork /t REG_SZ "
            f"/d {wsl} /f\n"
            "reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss /v NatGatewayIpAddress "
            f"/t REG_SZ /d {wsl_gw} /f\n"
        ),
        ".wslconfig": "[wsl2]\nnetworkingMode=mirrored\n",
        "kind": (
            "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n"
            f'  podSubnet: "{kind_pods}"\n  serviceSubnet: "{kind_svc}"\n'
        ),
        "minikube": (
            f"minikube start --subnet={mk_node} --service-cluster-ip-range={mk_svc} "
            f"--extra-config=kubeadm.pod-network-cidr={mk_pods}"
        ),
    }
    how = {
        "daemon.json": "Linux: /etc/docker/daemon.json, then `sudo systemctl restart docker`. "
        "Docker Desktop: Settings > Docker Engine, Apply & restart. "
        "Existing networks keep their subnets: recreate them (`docker compose down && docker compose up -d`).",
        "compose": "In compose.yaml, for a project that must have a fixed subnet.",
        "docker-desktop": "Settings > Resources > Network > Docker subnet; or this key in "
        "settings-store.json (admin-settings.json: linuxVM.vpnkitCIDR). Restart Docker Desktop.",
        "wsl": "Elevated PowerShell. WSL 2's NAT subnet is picked by HNS; WSL reuses the one saved in these "
        "undocumented registry values, and HNS may still pick another if it conflicts.",
        ".wslconfig": "%UserProfile%\\.wslconfig, then `wsl --shutdown`: mirrored mode (Windows 11 22H2+) "
        "removes the NAT subnet altogether.",
        "kind": "kind create cluster --config kind.yaml; the node network 'kind' comes from Docker's "
        "default-address-pools (daemon.json).",
        "minikube": "Run instead of a plain `minikube start` (delete the old profile first).",
    }
    try:
        next_after: list[str] = predict_docker_subnets([(str(pool), 24)], (), reserved, count=3)
    except AllocationError as exc:  # pragma: no cover - a fresh /16 always has room
        next_after = []
        notes.append(f"Docker after the change: {exc}")
    return Plan(
        kept_clear=tuple(str(p) for p in keep),
        blocks=blocks,
        configs=configs,
        how=how,
        docker_next_now=tuple(next_now),
        docker_next_after=tuple(next_after),
        notes=tuple(notes),
    )
