"""Propose free, VPN-safe ranges and the exact config that applies them, layer by layer.

Everything the atlas shows in use (networks, non-default routes, engine pools) plus
what the user reserves (``--reserve``: the corporate VPN, the office LAN) is kept
clear, and so are the common home and office LAN ranges (:data:`LAN_RANGES`) unless
nothing else fits, which is then said. Free blocks are taken from the private ranges in
a fixed preference order, so the same inputs always give the same plan. Each layer
present on the machine (:mod:`netatlas.planning.layers`; ``all_layers`` for every one)
gets its own block:

* Docker Engine: ``default-address-pools`` (a /16 cut into /24s) and ``bip``;
* Compose: an ``ipam`` subnet for one project network;
* Docker Desktop: the "Docker subnet" (``VpnkitCIDR``);
* WSL 2: the NAT network (registry values, with their caveats) or mirrored mode;
* kind and minikube: pod and service CIDRs and the node network;
* podman: ``default_subnet_pools`` in containers.conf.

The engines' allocators then predict what Docker (per engine version:
:func:`netatlas.planning.docker_state.docker_forecast`) and podman
(:func:`netatlas.planning.podman_ipam.predict_podman_subnets`) will hand out next,
before and after the change. A predicted subnet inside a reserved range is a warning.
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
from netatlas.planning.docker_state import docker_forecast
from netatlas.planning.layers import LAYERS, PODMAN_BRIDGE, present_layers
from netatlas.planning.podman_ipam import PODMAN_DEFAULT_POOLS, predict_podman_subnets

__all__ = [
    "ADMIN_LOCKS",
    "LAN_RANGES",
    "Plan",
    "free_blocks",
    "locked_settings",
    "make_plan",
    "parse_reserve_file",
    "used_prefixes",
]

PREFERENCE = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
)
"""Where free blocks are sought, in order (RFC 1918)."""

LAN_RANGES = (
    ipaddress.ip_network("10.0.0.0/23"),
    ipaddress.ip_network("192.168.0.0/16"),
)
"""Common home and office LAN ranges, never proposed unless nothing else fits.

Home routers number their LAN inside 192.168.0.0/16 (192.168.0.0/24, 192.168.1.0/24,
192.168.178.0/24 …) and some inside 10.0.0.0/24 or 10.0.1.0/24 (observed: routers'
factory defaults, not one source). A container network there hides the LAN's hosts
from the containers, and from the machine when the LAN is its own."""


@dataclass(frozen=True, slots=True)
class Plan(_Model):
    """A proposal: the blocks chosen, the config per layer, and the engines' next subnets."""

    kept_clear: tuple[str, ...]
    """Every range kept clear, once each, in address order."""
    blocks: dict[str, str]
    configs: dict[str, str]
    """Exact text to paste, per layer (valid JSON/YAML/TOML/commands, no commentary)."""
    how: dict[str, str]
    """Where each config goes and what to do after, per layer."""
    docker_next_now: tuple[str, ...] = ()
    docker_next_after: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    layers: tuple[str, ...] = ()
    """The layers planned: those present on the machine, or all with ``all_layers``."""
    layers_absent: tuple[str, ...] = ()
    """Layers not seen on the machine and so not planned."""
    warnings: tuple[str, ...] = ()
    """What the user must see first: a predicted subnet inside a reserved range."""
    docker_algorithm: str | None = None
    """The Docker allocator modelled: ``linear``, ``round-robin`` or ``first-fit``."""
    docker_engine_version: str | None = None
    docker_rests_on: tuple[str, ...] = ()
    """What the prediction of Docker's next subnets rests on, sentence by sentence."""
    podman_next_now: tuple[str, ...] = ()
    podman_next_after: tuple[str, ...] = ()


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


_HOW = {
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
    "containers.conf": "Rootful: /etc/containers/containers.conf; rootless: ~/.config/containers/containers.conf "
    "(the [network] table). New networks only: existing ones keep their subnets "
    "(`podman network rm` and create them again to move them).",
}


ADMIN_LOCKS = {"docker-desktop": "linuxVM.vpnkitCIDR", "daemon.json": "linuxVM.dockerDaemonOptions"}
"""The ``admin-settings.json`` entry that holds each Docker Desktop setting a config changes
(docker/docs, Settings Management, configure-json-file.md): the Docker subnet, and the
Docker Engine's daemon.json as Docker Desktop's Settings > Docker Engine writes it."""


def locked_settings(atlas: Atlas, configs: Iterable[str]) -> dict[str, str]:
    """Per config layer, a sentence when the organisation's ``admin-settings.json`` locks it.

    "When ``locked`` is set to ``true``, users can't change that value in Docker
    Desktop, the CLI, or config files": pasting the config would not take.
    """
    table = atlas.settings.get("admin_settings")
    if not isinstance(table, dict):
        return {}
    out: dict[str, str] = {}
    for layer in configs:
        path = ADMIN_LOCKS.get(layer)
        entry = table.get(path) if path is not None else None
        if isinstance(entry, dict) and entry.get("locked") is True:
            value = entry.get("value")
            now = f" (value {value})" if isinstance(value, str) and value else ""
            out[layer] = (
                f"LOCKED: Docker Desktop's admin-settings.json locks {path}{now}, so Docker Desktop "
                "ignores this change; it is for whoever manages Docker Desktop (Settings Management) to make"
            )
    return out


def _podman_used(atlas: Atlas) -> list[IPNetwork]:
    """What podman sees as used: its networks' subnets and the host's interface addresses."""
    used: list[IPNetwork] = [
        n.cidr
        for n in atlas.networks
        if n.engine.get("engine") == "podman" or PODMAN_BRIDGE.match(str(n.engine.get("bridge") or ""))
    ]
    for node in atlas.nodes:
        if node.kind != "host":
            continue
        for iface in node.interfaces:
            for a in iface.addresses:
                if a.network is not None:
                    used.append(a.network)
    return used


def _podman_pools(atlas: Atlas) -> list[tuple[str, int]]:
    raw = atlas.settings.get("default_subnet_pools")
    pools: list[tuple[str, int]] = []
    if isinstance(raw, list):
        for p in raw:
            if isinstance(p, dict) and isinstance(p.get("base"), str):
                try:
                    pools.append((str(p["base"]), int(str(p.get("size")))))
                except ValueError:
                    continue
    return pools or [(str(p.base), p.size) for p in PODMAN_DEFAULT_POOLS]


def _inside(predicted: Iterable[str], reserve: Sequence[IPNetwork]) -> list[tuple[str, IPNetwork]]:
    out = []
    for cidr in predicted:
        net = ipaddress.ip_network(cidr)
        for r in reserve:
            if r.version == net.version and net.overlaps(r):
                out.append((cidr, r))
                break
    return out


def make_plan(atlas: Atlas, reserve: Sequence[IPNetwork] = (), *, all_layers: bool = False) -> Plan:
    """Choose free blocks for every layer present (or all) and write their config.

    Raises:
        AllocationError: the private ranges have no room left.
    """
    present = present_layers(atlas)
    layers = list(LAYERS) if all_layers else present
    in_use = list(used_prefixes(atlas))
    keep: dict[IPNetwork, None] = dict.fromkeys([*in_use, *[r for r in reserve if r.version == 4]])
    notes: list[str] = []
    warnings: list[str] = []
    ignored = [str(r) for r in reserve if r.version == 6]
    if ignored:
        notes.append(
            f"IPv6 ranges are not planned (the proposals are IPv4 pools), so {', '.join(ignored)} changes nothing"
        )
    docker = "docker" in present or all_layers
    now = None
    if docker:
        try:
            now = docker_forecast(atlas, 3)
        except AllocationError as exc:
            notes.append(f"Docker today: {exc}")
    if now is not None:
        for cidr, r in _inside(now, reserve):
            warnings.append(
                f"Docker's next network would take {cidr}, inside the reserved {r}: apply the daemon.json "
                "below before the next `docker network create` or `docker compose up`"
            )
    podman = "podman" in layers
    podman_used = _podman_used(atlas)
    podman_now: list[str] = []
    if podman:
        try:
            podman_now = predict_podman_subnets(_podman_pools(atlas), podman_used, count=3)
        except AllocationError as exc:
            notes.append(f"podman today: {exc}")
        for cidr, r in _inside(podman_now, reserve):
            warnings.append(
                f"podman's next network would take {cidr}, inside the reserved {r}: apply the containers.conf "
                "below before the next `podman network create`"
            )
    # until the changes are applied, the engines' next subnets are spoken for too
    keep.update(dict.fromkeys(ipaddress.ip_network(n) for n in [*(now or []), *podman_now]))
    for r in reserve:
        inside = sorted({str(u) for u in in_use if u.version == r.version and u.overlaps(r)})
        if inside:
            notes.append(
                f"{r} is reserved but in use here: {', '.join(inside)}; the proposals below move Docker, WSL "
                "and the clusters out of it, the rest (a VPN's or the LAN's own range) is someone else's to change"
            )
    chosen: list[IPNetwork] = []

    def take(prefixlen: int, what: str, smallest: int | None = None) -> IPNetwork:
        """A free block of ``prefixlen``, or the largest smaller one down to ``smallest``;
        outside the LAN ranges first, inside them only when nothing else fits."""
        last = smallest or prefixlen
        for lan_ok in (False, True):
            avoid = [*keep, *chosen, *([] if lan_ok else LAN_RANGES)]
            for size in range(prefixlen, last + 1):
                try:
                    block = free_blocks(size, avoid, 1)[0]
                except AllocationError:
                    continue
                if size != prefixlen:
                    notes.append(f"{what}: no free /{prefixlen} is left, so a /{size} is proposed")
                if lan_ok and any(block.overlaps(lan) for lan in LAN_RANGES):
                    lan = next(str(x) for x in LAN_RANGES if block.overlaps(x))
                    notes.append(
                        f"{what}: nothing else fits, so {block} is proposed inside {lan}, where home and "
                        "office LANs often are; check that no LAN you join uses it"
                    )
                chosen.append(block)
                return block
        raise AllocationError(
            f"no free /{last} or larger left in {', '.join(map(str, PREFERENCE))} for {what} after reservations"
        )

    blocks: dict[str, str] = {}
    configs: dict[str, str] = {}
    next_after: list[str] = []
    podman_after: list[str] = []
    if "docker" in layers:
        pool = take(16, "Docker's address pool", 20)
        bip = take(24, "docker0")
        compose = take(24, "the compose network")
        blocks["docker_default_address_pool"] = f"{pool} size 24"
        blocks["docker_bip"] = f"{bip.network_address + 1}/{bip.prefixlen}"
        blocks["compose_subnet"] = str(compose)
        configs["daemon.json"] = (
            "{\n"
            f'  "bip": "{blocks["docker_bip"]}",\n'
            f'  "default-address-pools": [{{"base": "{pool}", "size": 24}}]\n'
            "}\n"
        )
        configs["compose"] = (
            "networks:\n  default:\n    ipam:\n      config:\n"
            f"        - subnet: {compose}\n          gateway: {compose.network_address + 1}\n"
        )
        try:
            next_after = list(docker_forecast(atlas, 3, pools=[(str(pool), 24)]))
        except AllocationError as exc:  # pragma: no cover - a fresh /16 always has room
            notes.append(f"Docker after the change: {exc}")
    if "docker-desktop" in layers:
        desktop = take(24, "Docker Desktop")
        blocks["docker_desktop_subnet"] = str(desktop)
        configs["docker-desktop"] = f'"VpnkitCIDR": "{desktop}"\n'
    if "wsl" in layers:
        wsl = take(20, "WSL's NAT network", 22)
        blocks["wsl_nat"] = str(wsl)
        configs["wsl"] = (
            "wsl --shutdown\n"
            "reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss /v NatNetwork /t REG_SZ "
            f"/d {wsl} /f\n"
            "reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss /v NatGatewayIpAddress "
            f"/t REG_SZ /d {wsl.network_address + 1} /f\n"
        )
        configs[".wslconfig"] = "[wsl2]\nnetworkingMode=mirrored\n"
    if "kind" in layers:
        kind_pods = take(16, "kind's pod subnet", 20)
        kind_svc = take(16, "kind's service subnet", 22)
        blocks["kind_pod_subnet"] = str(kind_pods)
        blocks["kind_service_subnet"] = str(kind_svc)
        configs["kind"] = (
            "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n"
            f'  podSubnet: "{kind_pods}"\n  serviceSubnet: "{kind_svc}"\n'
        )
    if "minikube" in layers:
        mk_node = take(24, "minikube's node network")
        mk_pods = take(16, "minikube's pod CIDR", 20)
        mk_svc = take(16, "minikube's service CIDR", 22)
        blocks["minikube_subnet"] = str(mk_node)
        blocks["minikube_pod_cidr"] = str(mk_pods)
        blocks["minikube_service_cidr"] = str(mk_svc)
        configs["minikube"] = (
            f"minikube start --subnet={mk_node} --service-cluster-ip-range={mk_svc} "
            f"--extra-config=kubeadm.pod-network-cidr={mk_pods}"
        )
    if "podman" in layers:
        pod_pool = take(16, "podman's subnet pool", 20)
        blocks["podman_default_subnet_pool"] = f"{pod_pool} size 24"
        configs["containers.conf"] = f'[network]\ndefault_subnet_pools = [{{base = "{pod_pool}", size = 24}}]\n'
        try:
            podman_after = predict_podman_subnets([(str(pod_pool), 24)], podman_used, count=3)
        except AllocationError as exc:  # pragma: no cover - a fresh /16 always has room
            notes.append(f"podman after the change: {exc}")
    locked = locked_settings(atlas, configs)
    notes.extend(f"{layer}: {text}" for layer, text in locked.items())
    absent = [layer for layer in LAYERS if layer not in layers]
    return Plan(
        kept_clear=tuple(str(p) for p in sorted(keep, key=lambda p: (int(p.network_address), p.prefixlen))),
        blocks=blocks,
        configs=configs,
        how={k: f"{locked[k]}. {_HOW[k]}" if k in locked else _HOW[k] for k in configs},
        docker_next_now=tuple(now or ()),
        docker_next_after=tuple(next_after),
        notes=tuple(notes),
        layers=tuple(layers),
        layers_absent=tuple(absent),
        warnings=tuple(warnings),
        docker_algorithm=now.algorithm if now is not None else None,
        docker_engine_version=now.engine_version if now is not None else None,
        docker_rests_on=now.rests_on if now is not None else (),
        podman_next_now=tuple(podman_now),
        podman_next_after=tuple(podman_after),
    )
