"""pool-overlap: two networks, pools or routes in use claim the same addresses.

An address that means two places is reachable from nowhere as one of them: whichever
route is more specific wins, so a Docker bridge inside a VPN's ``172.16.0.0/12`` hides
the VPN's hosts from the containers, and a WSL NAT subnet inside the LAN hides LAN
devices from WSL. This check compares:

* every network of the atlas (except loopback, link-local and single-address aliases);
* every non-default route of every node that does not simply lead to a network the
  atlas knows (a connected route, or a route toward a network behind its gateway):
  these are the routes a VPN or a static config adds;
* the pools an engine will hand out, from ``atlas.settings``: Docker's
  ``default_address_pools`` (when configured), ``bip``, ``fixed_cidr``, and Docker
  Desktop's ``vpnkit_cidr``.

It finds overlaps with one sort and one sweep (CIDRs either nest or are disjoint, so a
stack of open prefixes holds every prefix containing the current one): O(n log n) plus
the overlaps found, fit for a fleet's million prefixes. It does not report a network
against itself seen from two sides (same addresses), a route against the network it
leads to, two routes against each other (that is ordinary longest-prefix routing), or
a pool against the subnets the engine allocated from it.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from netatlas.analysis import Options
from netatlas.knowledge import load
from netatlas.model.atlas import Atlas, Finding, Network, Node
from netatlas.model.facts import IPAddress, IPNetwork, Route

__all__ = [
    "CODE",
    "DESCRIPTION",
    "FreeRanges",
    "Prefix",
    "check",
    "collect",
    "fix_for",
    "free_range",
    "overlapping_pairs",
    "settings_pools",
]

CODE = "pool-overlap"
DESCRIPTION = "Networks, routes or engine pools in use that claim the same addresses."

_NOISE_KINDS = frozenset({"loopback", "link-local", "host-alias", "docker-embedded-dns", "wsl-dns-tunnel"})

# Lower is easier to move: the fix proposes changing the side with the lowest rank.
_MOVABLE = {
    "docker-pool": 0,
    "docker-bip": 0,
    "docker-bridge": 1,
    "docker-desktop-subnet": 2,
    "docker-desktop-vm": 2,
    "wsl-nat": 3,
    "k8s-pods": 4,
    "k8s-services": 4,
    "hyperv-default-switch": 5,
    "podman-bridge": 1,
}

_FREE_SEARCH = (
    ipaddress.ip_network("10.200.0.0/13"),
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("172.16.0.0/12"),
)
_WSL_SEARCH = (ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("192.168.0.0/16"))


@dataclass(frozen=True)
class Prefix:
    """One prefix in use, and what it is.

    Args:
        cidr: the prefix.
        what: for people (``docker network z820_default 172.18.0.0/16``).
        origin: ``network``, ``route`` or ``pool``.
        kind: the network kind, ``route``, or the pool kind (``docker-pool`` …).
        group: prefixes of one group are one thing and never overlap each other.
        network: the atlas network id, for networks.
        nodes: node ids it concerns.
        holders: (node, interface, address) attachments, to see one network from two sides.
        via: for routes, the gateway or interface.
        setting: for pools, the settings key they come from.
    """

    cidr: IPNetwork
    what: str
    origin: str
    kind: str
    group: str
    network: str | None = None
    nodes: tuple[str, ...] = ()
    holders: frozenset[tuple[str, str, IPAddress | None]] = field(default_factory=frozenset)
    via: str | None = None
    setting: str | None = None
    seen: str = ""
    """Where the evidence for it was seen (interface, node, vantage; or setting)."""


def _noise(cidr: IPNetwork) -> bool:
    return (
        cidr.prefixlen == cidr.max_prefixlen
        or cidr.is_loopback
        or cidr.is_link_local
        or cidr.is_multicast
        or cidr.network_address.is_unspecified
        or cidr.is_reserved
    )


def _network_prefix(net: Network) -> Prefix:
    nodes = tuple(dict.fromkeys(a.node for a in net.attachments))
    owner = f", {net.owner}" if net.owner else ""
    label = net.label if str(net.cidr) in net.label else f"{net.label} {net.cidr}"
    return Prefix(
        cidr=net.cidr,
        what=f"{label} ({net.kind}{owner})",
        origin="network",
        kind=net.kind,
        group=net.id,
        network=net.id,
        nodes=nodes,
        holders=frozenset((a.node, a.interface, a.address) for a in net.attachments),
        seen=_seen_network(net),
    )


def _seen_network(net: Network) -> str:
    parts = []
    for a in net.attachments[:3]:
        at = f" ({a.address})" if a.address is not None else ""
        parts.append(f"{a.interface}{at} of {a.node}" + (f" seen from {a.vantage}" if a.vantage else ""))
    if len(net.attachments) > 3:
        parts.append(f"{len(net.attachments) - 3} more")
    return f"{net.id}: " + ", ".join(parts) if parts else f"{net.id} (reported by an engine)"


def _holders_by_node(atlas: Atlas) -> dict[IPAddress, str]:
    return {
        a.address: node.id
        for node in atlas.nodes
        for i in node.interfaces
        for a in i.addresses
        if a.address is not None
    }


def _descendants(atlas: Atlas, node_id: str) -> set[str]:
    """The node and every node running inside it."""
    children: dict[str, list[str]] = {}
    for n in atlas.nodes:
        if n.parent is not None:
            children.setdefault(n.parent, []).append(n.id)
    out, todo = {node_id}, [node_id]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


class _NetIndex:
    """The atlas' networks, found by overlap in O(log n + hits) rather than a scan.

    CIDRs nest or are disjoint, so the networks overlapping ``dest`` are its supernets
    (at most one per prefix length, found by exact lookup) and the networks whose start
    lies inside it (a range of the start-sorted list).
    """

    def __init__(self, networks: Sequence[Network]) -> None:
        self.by_cidr: dict[IPNetwork, list[Network]] = {}
        for n in networks:
            self.by_cidr.setdefault(n.cidr, []).append(n)
        self.sorted: dict[int, list[tuple[int, int, Network]]] = {4: [], 6: []}
        for i, n in enumerate(networks):
            self.sorted[n.cidr.version].append((int(n.cidr.network_address), i, n))
        for v in self.sorted.values():
            v.sort(key=lambda x: (x[0], x[1]))
        self.starts = {v: [x[0] for x in items] for v, items in self.sorted.items()}

    def overlapping(self, dest: IPNetwork) -> list[Network]:
        found: dict[str, Network] = {}
        for plen in range(dest.prefixlen + 1):
            for n in self.by_cidr.get(dest.supernet(new_prefix=plen), []):
                found[n.id] = n
        items, starts = self.sorted[dest.version], self.starts[dest.version]
        lo = bisect.bisect_left(starts, int(dest.network_address))
        hi = bisect.bisect_right(starts, int(dest.broadcast_address))
        for _start, _i, n in items[lo:hi]:
            found[n.id] = n
        return list(found.values())


def _on(attach_iface: str, attach_addr: IPAddress | None, route_iface: str | None) -> bool:
    """Whether a route's interface (a name, or on Windows an address) is this attachment."""
    return route_iface is None or route_iface in (attach_iface, str(attach_addr))


def _route_leads_to_known(
    descendants: Callable[[str], set[str]],
    node: Node,
    route: Route,
    overlapping: Sequence[Network],
    held: Mapping[IPAddress, str],
) -> bool:
    """True when the route only carries traffic to networks the atlas knows are there.

    That is a connected route (no gateway, to a network the node sits on), an on-link
    route whose every overlapping network sits on that interface, or a route via a
    gateway behind which every overlapping network lies (a host's route to its VM).
    """
    if not overlapping:
        return False
    if route.gateway is None:
        if any(n.cidr == route.destination and any(a.node == node.id for a in n.attachments) for n in overlapping):
            return True
        return all(
            any(a.node == node.id and _on(a.interface, a.address, route.interface) for a in n.attachments)
            for n in overlapping
        )
    owner = held.get(route.gateway)
    if owner is None:
        return False
    behind = descendants(owner)
    return all(any(a.node in behind for a in n.attachments) for n in overlapping)


def _few(items: Sequence[str], limit: int = 3, total: int | None = None) -> str:
    """``a, b, c and 997 more``: names for a title, however many there are."""
    total = len(items) if total is None else total
    shown = ", ".join(items[:limit])
    return shown if total <= limit else f"{shown} and {total - limit} more"


def _route_prefixes(atlas: Atlas) -> list[Prefix]:
    held = _holders_by_node(atlas)
    index = _NetIndex(atlas.networks)
    behind: dict[str, set[str]] = {}

    def descendants(node_id: str) -> set[str]:
        if node_id not in behind:
            behind[node_id] = _descendants(atlas, node_id)
        return behind[node_id]

    vantages = {n.id: n.vantages for n in atlas.nodes}
    known_routes: dict[tuple[IPNetwork, IPAddress], bool] = {}
    by_cidr: dict[tuple[IPNetwork, str], Prefix] = {}
    for node in atlas.nodes:
        for r in node.routes:
            dest = r.destination
            if dest.prefixlen <= 1 or r.type not in (None, "unicast") or _noise(dest):
                continue
            if r.table not in (None, "main", "254"):
                continue
            # a gateway route means the same wherever it is (a fleet repeats it on every node)
            memo_key = (dest, r.gateway) if r.gateway is not None else None
            if memo_key is not None and memo_key in known_routes:
                leads = known_routes[memo_key]
            else:
                leads = _route_leads_to_known(descendants, node, r, index.overlapping(dest), held)
                if memo_key is not None:
                    known_routes[memo_key] = leads
            if leads:
                continue
            via = f"via {r.gateway}" if r.gateway is not None else "on-link"
            if r.interface:
                via += f" dev {r.interface}"
            key = (dest, via)
            old = by_cidr.get(key)
            nodes = (*old.nodes, node.id) if old else (node.id,)
            by_cidr[key] = Prefix(
                cidr=dest,
                what=f"route {dest} {via} on {_few(nodes)}",
                origin="route",
                kind="route",
                group=f"route:{dest}:{via}",
                nodes=nodes,
                via=via,
                seen="routing table of "
                + _few(
                    [f"{n}" + (f" (vantage {', '.join(v)})" if (v := vantages.get(n, ())) else "") for n in nodes[:3]],
                    total=len(nodes),
                ),
            )
    return list(by_cidr.values())


def settings_pools(settings: Mapping[str, object]) -> list[tuple[IPNetwork, int]]:
    """Docker's configured ``default_address_pools`` as ``(base, size)`` pairs.

    Accepts the daemon.json spelling (``base``/``size``) in any case, and skips entries
    that are not a network, so one bad entry does not hide the others.
    """
    raw = settings.get("default_address_pools")
    out: list[tuple[IPNetwork, int]] = []
    if not isinstance(raw, list):
        return out
    for entry in raw:
        if not isinstance(entry, Mapping):
            continue
        low = {str(k).lower(): v for k, v in entry.items()}
        base, size = low.get("base"), low.get("size")
        try:
            net = ipaddress.ip_network(str(base), strict=False)
        except ValueError:
            continue
        out.append((net, int(size) if isinstance(size, int) else net.prefixlen))
    return out


def _setting_network(settings: Mapping[str, object], key: str) -> IPNetwork | None:
    value = settings.get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        return ipaddress.ip_interface(value).network
    except ValueError:
        return None


def _pool_prefixes(atlas: Atlas) -> list[Prefix]:
    out: list[Prefix] = []
    known = {n.cidr for n in atlas.networks}
    for base, size in settings_pools(atlas.settings):
        out.append(
            Prefix(
                base,
                f"Docker default-address-pools entry {base} (size /{size})",
                "pool",
                "docker-pool",
                "docker-pools",
                setting="default_address_pools",
                seen="engine setting default_address_pools (daemon.json default-address-pools)",
            )
        )
    for key, kind, what in (
        ("bip", "docker-bip", "Docker bip"),
        ("fixed_cidr", "docker-bip", "Docker fixed-cidr"),
        ("vpnkit_cidr", "docker-desktop-subnet", "Docker Desktop subnet (vpnkitCIDR)"),
    ):
        net = _setting_network(atlas.settings, key)
        if net is None or net in known:  # the network itself is already compared
            continue
        out.append(
            Prefix(
                net,
                f"{what} {net}",
                "pool",
                kind,
                f"setting:{kind}",
                setting=key,
                seen=f"engine setting {key}",
            )
        )
    return out


def collect(atlas: Atlas) -> list[Prefix]:
    """Every prefix in use that can collide: networks, foreign routes, engine pools."""
    nets = [_network_prefix(n) for n in atlas.networks if n.kind not in _NOISE_KINDS and not _noise(n.cidr)]
    return nets + _route_prefixes(atlas) + _pool_prefixes(atlas)


def overlapping_pairs(items: Iterable[Prefix]) -> Iterator[tuple[Prefix, Prefix]]:
    """Every (outer, inner) pair of overlapping prefixes, by sort and sweep.

    CIDR blocks either nest or are disjoint, so after sorting by (start, length) a
    stack of the open blocks holds exactly the blocks that contain the current one.

    Example:
        >>> ps = [Prefix(ipaddress.ip_network(c), c, "network", "x", c)
        ...       for c in ("10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "10.1.2.0/24")]
        >>> [(a.what, b.what) for a, b in overlapping_pairs(ps)]
        [('10.0.0.0/8', '10.1.0.0/16'), ('10.0.0.0/8', '10.1.2.0/24'), ('10.1.0.0/16', '10.1.2.0/24')]
    """
    ordered = sorted(items, key=lambda p: (p.cidr.version, int(p.cidr.network_address), p.cidr.prefixlen))
    stack: list[Prefix] = []
    for p in ordered:
        start = int(p.cidr.network_address)
        while stack and (stack[-1].cidr.version != p.cidr.version or int(stack[-1].cidr.broadcast_address) < start):
            stack.pop()
        for outer in stack:
            yield outer, p
        stack.append(p)


def _same_thing(a: Prefix, b: Prefix) -> bool:
    """True for pairs that are one thing, or an expected nesting."""
    if a.group == b.group:
        return True
    if a.origin == "route" and b.origin == "route":
        return True
    if a.origin == "pool" and b.origin == "pool":
        return True
    if a.holders and b.holders:
        if {h[2] for h in a.holders if h[2] is not None} & {h[2] for h in b.holders if h[2] is not None}:
            return True  # the same network, seen from two sides with different masks
        if {h[:2] for h in a.holders} & {h[:2] for h in b.holders}:
            return True  # two addresses of one interface
    for pool, net in ((a, b), (b, a)):
        if pool.kind in ("docker-pool", "docker-bip") and net.kind == "docker-bridge":
            return True  # the engine allocated it from its own pool
        if pool.kind == "docker-desktop-subnet" and net.kind == "docker-desktop-vm":
            return True
    for route, net in ((a, b), (b, a)):
        if route.origin == "route" and net.origin == "network" and (route.via or "").startswith("on-link"):
            dev = (route.via or "").removeprefix("on-link").removeprefix(" dev ") or None
            if any(h[0] in route.nodes and _on(h[1], h[2], dev) for h in net.holders):
                return True  # a connected route of an interface on that network
    return False


def _rank(p: Prefix) -> int:
    return _MOVABLE.get(p.kind, 99)


class FreeRanges:
    """Free IPv4 ranges around a set of prefixes in use, computed once, asked often.

    A check with many overlaps asks for a free range per finding; merging the blocked
    spans once keeps that O(log n) per question instead of a sort per question.
    With defaults, the well-known ranges of engines and VPNs (knowledge data: Docker's
    pools, WSL's NAT range, Kubernetes CIDRs, Tailscale …) are avoided too, so the
    proposal does not walk into the next collision; when that leaves nothing free, only
    the prefixes in use count.
    """

    def __init__(self, avoid: Iterable[IPNetwork]) -> None:
        used = [a for a in avoid if a.version == 4]
        self._plain = _merge(used)
        self._strict = _merge(used + _default_prefixes())
        self._memo: dict[tuple[int, tuple[IPNetwork, ...], bool], ipaddress.IPv4Network | None] = {}

    def first(
        self, prefixlen: int, search: Sequence[IPNetwork] = _FREE_SEARCH, *, with_defaults: bool = True
    ) -> ipaddress.IPv4Network | None:
        """The first free ``/prefixlen`` inside ``search`` (in its order)."""
        key = (prefixlen, tuple(search), with_defaults)
        if key not in self._memo:
            tries = (self._strict, self._plain) if with_defaults else (self._plain,)
            found = None
            for merged in tries:
                found = _first_free(prefixlen, merged, search)
                if found is not None:
                    break
            self._memo[key] = found
        return self._memo[key]


def free_range(
    prefixlen: int,
    avoid: Iterable[IPNetwork],
    search: Sequence[IPNetwork] = _FREE_SEARCH,
    *,
    with_defaults: bool = True,
) -> ipaddress.IPv4Network | None:
    """The first ``/prefixlen`` in ``search`` that overlaps nothing in ``avoid``.

    See :class:`FreeRanges` for what ``with_defaults`` adds.

    Example:
        >>> str(free_range(24, [ipaddress.ip_network("10.200.0.0/24")]))
        '10.200.1.0/24'
    """
    return FreeRanges(avoid).first(prefixlen, search, with_defaults=with_defaults)


@cache
def _default_prefixes() -> list[IPNetwork]:
    out: list[IPNetwork] = []
    for d in load("pools").get("defaults", []):
        for key in ("cidr", "within"):
            value = d.get(key)
            if not value:
                continue
            try:
                net = ipaddress.ip_network(value, strict=False)
            except ValueError:
                continue
            if 12 <= net.prefixlen < net.max_prefixlen or (key == "within" and net.prefixlen >= 8):
                out.append(net)
    return out


def _merge(blocked: Iterable[IPNetwork]) -> list[tuple[int, int]]:
    spans = sorted((int(b.network_address), int(b.broadcast_address)) for b in blocked)
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _first_free(
    prefixlen: int, merged: Sequence[tuple[int, int]], search: Sequence[IPNetwork]
) -> ipaddress.IPv4Network | None:
    starts = [m[0] for m in merged]
    step = 1 << (32 - prefixlen)
    for sup in search:
        if sup.version != 4 or sup.prefixlen > prefixlen:
            continue
        pos, end = int(sup.network_address), int(sup.broadcast_address)
        while pos + step - 1 <= end:
            i = bisect.bisect_right(starts, pos + step - 1) - 1
            if i >= 0 and merged[i][1] >= pos:
                nxt = merged[i][1] + 1
                pos = ((nxt + step - 1) // step) * step
                continue
            return ipaddress.IPv4Network((pos, prefixlen))
    return None


def _recreate(name: str, subnet: ipaddress.IPv4Network, p: Prefix) -> list[str]:
    """The plain-Docker way to move network ``name`` to ``subnet``, containers included.

    ``docker network rm`` refuses a network with containers attached ("has active
    endpoints"), so they are disconnected first and connected again afterwards.
    """
    attached = sorted({n.removeprefix("node:container:") for n, _i, _a in p.holders if n.startswith("node:container:")})
    if not attached:
        return [
            "# or without compose:",
            f"#   docker network rm {name}",
            f"#   docker network create --subnet {subnet} {name}",
        ]
    names = " ".join(attached)
    return [
        f"# or without compose ({len(attached)} container{'s' if len(attached) != 1 else ''} attached: "
        "`docker network rm` refuses a network in use):",
        f'#   for c in {names}; do docker network disconnect {name} "$c"; done',
        f"#   docker network rm {name}",
        f"#   docker network create --subnet {subnet} {name}",
        f'#   for c in {names}; do docker network connect {name} "$c"; done',
    ]


def fix_for(p: Prefix, avoid: Iterable[IPNetwork] | FreeRanges) -> str | None:
    """The config change that moves ``p`` to a free range, or ``None`` if it cannot move."""
    free = avoid if isinstance(avoid, FreeRanges) else FreeRanges(avoid)
    if p.kind in ("docker-pool", "docker-bridge", "docker-bip", "podman-bridge"):
        base = free.first(16)
        if base is None:
            return None
        first = ipaddress.IPv4Network((int(base.network_address), 24))
        label = p.what.split(" (")[0].rsplit(" ", 1)[0]
        name = label.removeprefix("docker network ") if label.startswith("docker network ") else None
        if label == "docker0":
            name = "bridge"
        lines = [
            "# daemon.json (Docker Desktop: Settings > Docker Engine), then restart the engine:",
            "{",
            f'  "default-address-pools": [{{"base": "{base}", "size": 24}}]',
        ]
        if p.kind == "docker-bip" or name == "bridge":
            lines[-1] += ","
            lines.append(f'  "bip": "{first.network_address + 1}/24"')
        lines.append("}")
        if p.kind == "docker-bridge" and name is None:
            lines.append(f"# then recreate the network on {p.cidr} (docker compose down && docker compose up -d)")
        if name and name != "bridge":
            lines += [
                f"# then recreate {name} so it takes a subnet from the new pool: with compose,",
                "#   docker compose down && docker compose up -d",
                *_recreate(name, first, p),
                "# or pin its subnet in compose.yaml:",
                "networks:",
                "  default:",
                "    ipam:",
                "      config:",
                f"        - subnet: {first}",
            ]
        return "\n".join(lines)
    if p.kind in ("docker-desktop-vm", "docker-desktop-subnet"):
        vm = free.first(24)
        if vm is None:
            return None
        return (
            f"Docker Desktop > Settings > Resources > Network > Docker subnet: {vm}, then Apply & restart\n"
            f'(settings-store.json: "VpnkitCIDR": "{vm}"; admin-settings.json: linuxVM.vpnkitCIDR)'
        )
    if p.kind == "wsl-nat":
        sub = free.first(20, _WSL_SEARCH, with_defaults=False)
        gw = sub.network_address + 1 if sub is not None else None
        lines = [
            "# Either leave NAT: %UserProfile%\\.wslconfig",
            "[wsl2]",
            "networkingMode=mirrored",
        ]
        if sub is not None:
            lines += [
                "# or keep NAT and have WSL ask HNS for a free range (PowerShell as admin):",
                "Set-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss' "
                f"-Name NatNetwork -Value '{sub}'",
                "Set-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss' "
                f"-Name NatGatewayIpAddress -Value '{gw}'",
                "wsl --shutdown",
            ]
        return "\n".join(lines)
    if p.kind in ("k8s-pods", "k8s-services"):
        return (
            f"{p.cidr} is Docker Desktop's fixed Kubernetes range (not configurable). "
            "Docker Desktop > Settings > Kubernetes: switch the cluster provisioner to kind "
            "(4.38+) or disable Kubernetes; or have the VPN push narrower routes than "
            f"{p.cidr}."
        )
    return None


def _consequence(outer: Prefix, inner: Prefix) -> str:
    if outer.origin == "route":
        return (
            f"On {', '.join(outer.nodes)}, the route {outer.cidr} {outer.via} claims the addresses of "
            f"{inner.what}; the longer prefix wins where both are known, so hosts behind the route in "
            f"{inner.cidr} are unreachable from there, and elsewhere traffic for {inner.cidr} "
            "follows the route."
        )
    if inner.origin == "route":
        return (
            f"On {', '.join(inner.nodes)}, the route {inner.cidr} {inner.via} takes {inner.cidr} away from "
            f"{outer.what}: addresses there are sent {inner.via} instead."
        )
    if outer.origin == "pool" or inner.origin == "pool":
        pool, other = (outer, inner) if outer.origin == "pool" else (inner, outer)
        return (
            f"{pool.what} ({pool.setting} setting) includes {other.cidr}, already used by {other.what}; "
            "a network the engine places there will hide it."
        )
    return (
        f"Addresses in {inner.cidr} mean two places: {outer.what} and {inner.what}; "
        "from a node that knows both, the longer prefix wins and the other is unreachable."
    )


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """Every overlapping pair of prefixes in use, with a move to a free range."""
    items = collect(atlas)
    for r in options.reserved:
        items.append(
            Prefix(
                r,
                f"reserved range {r}",
                "route",
                "reserved",
                f"reserved:{r}",
                via="(--reserve)",
                seen="--reserve",
            )
        )
    free = FreeRanges([p.cidr for p in items] + list(options.reserved))
    found: list[Finding] = []
    for outer, inner in overlapping_pairs(items):
        if _same_thing(outer, inner):
            continue
        if outer.kind == "reserved" and inner.kind == "reserved":
            continue
        mover = min((outer, inner), key=_rank)
        fix = fix_for(mover, free) if _rank(mover) < 99 else None
        if fix is None:
            fix = (
                f"Neither side is an engine range netatlas can move: change {inner.what} or {outer.what} "
                "at its source (VPN profile, DHCP scope, static route)."
            )
        sev = "warning" if "pool" in (outer.origin, inner.origin) or "reserved" in (outer.kind, inner.kind) else "error"
        found.append(
            Finding(
                code=CODE,
                severity=sev,  # type: ignore[arg-type]
                title=f"{inner.what} overlaps {outer.what}",
                detail=f"{_consequence(outer, inner)} Evidence: {inner.seen}; {outer.seen}.",
                fix=fix,
                networks=tuple(x for x in (outer.network, inner.network) if x),
                nodes=tuple(dict.fromkeys((*outer.nodes, *inner.nodes))),
            )
        )
    return found
