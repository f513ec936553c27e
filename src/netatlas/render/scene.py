"""The one intermediate form every picture is drawn from: a :class:`Scene`.

An atlas is a graph of facts; a scene is that graph laid out for drawing, once, so
that every exporter (Graphviz DOT/SVG/PNG, Mermaid, Markdown, HTML) shows the same
thing and none of them re-derives it (STYLE item 9, after rich's one ``Segment`` form
exported to text, HTML and SVG)::

    Atlas ──► build_scene ──► Scene ──► dot.export      (DOT text → Graphviz → SVG/PNG)
                                    ├─► mermaid.export  (GitHub flowchart)
                                    ├─► markdown.export (report with the Mermaid map)
                                    └─► html.export     (one offline interactive page)

What the scene decides, so the exporters don't:

* **Groups**: one per network, with its CIDR, kind, label, owner and colours (from
  :data:`KIND_STYLES`, one colour per network kind, shared with the legend).
* **Nodes and ports**: one port per attachment (interface + address on one network).
  A node whose only real network is one group (a container on its bridge, the WSL VM
  on the WSL switch, a router on its LAN) is drawn *inside* that group (``home``);
  loopback, host-alias and link-local attachments don't count, since every node has a
  loopback. Every other port becomes an edge into its group.
* **Forwards**: published ports and portproxy rules, from the listening node to the
  port that holds the connect address; a connect address nobody holds becomes a
  :class:`Ghost` and the forward is marked stale.
* **Replicas**: containers that are replicas of one compose service (the atlas node's
  ``service``), on the same networks, form a :class:`ReplicaSet`; pictures draw a set
  as one box with a count (the HTML map can expand it) instead of 16 identical boxes.
* **Shared loopback**: the ``127.0.0.1``/``::1`` every scanned node holds on its ``lo``
  is said once, on the loopback group (``shared``), not in every node's box.
* **Names and findings**: what each name resolves to from each vantage (with
  provenance, through :func:`netatlas.names.resolve`) and the findings with the ids of
  the groups and nodes they concern, for highlighting.

Ids in a scene are short and positional (``g0``, ``n3``, ``p12``) so exporters never
put user data into an identifier; user data only ever appears in labels, which each
exporter escapes for its own syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from netatlas.model.atlas import Atlas, Network, Node
from netatlas.model.facts import IPAddress, Route

__all__ = [
    "KIND_STYLES",
    "NODE_STYLES",
    "Exporter",
    "Finding",
    "Forward",
    "Ghost",
    "Group",
    "Interface",
    "KindStyle",
    "NameRow",
    "Port",
    "ReplicaSet",
    "Scene",
    "SceneNode",
    "build_scene",
]

# Network kinds that every node has one of, or that are not a wire: they never decide
# where a node is drawn.
_PLACELESS = frozenset({"loopback", "host-alias", "link-local"})


@dataclass(frozen=True, slots=True)
class KindStyle:
    """How a network kind (or node kind) is coloured, and what the legend says."""

    fill: str
    stroke: str
    text: str


#: Colour per network kind: a light fill for the group and a dark stroke for its
#: border, edges and legend swatch. Hues are far apart so the kinds stay distinct in
#: print and for most colour-blind readers; the label always names the kind as well.
KIND_STYLES: dict[str, KindStyle] = {
    "lan": KindStyle("#e8f5e9", "#2e7d32", "LAN (physical network)"),
    "wsl-nat": KindStyle("#e3f2fd", "#1565c0", "WSL 2 NAT (Hyper-V switch)"),
    "hyperv-default-switch": KindStyle("#eceff1", "#546e7a", "Hyper-V Default Switch"),
    "docker-desktop-vm": KindStyle("#e0f7fa", "#00838f", "Docker Desktop VM network"),
    "docker-bridge": KindStyle("#e8eaf6", "#3949ab", "Docker bridge (container pool)"),
    "k8s-pods": KindStyle("#f3e5f5", "#7b1fa2", "Kubernetes pods"),
    "k8s-services": KindStyle("#fce4ec", "#ad1457", "Kubernetes services"),
    "vpn": KindStyle("#fff3e0", "#e65100", "VPN"),
    "loopback": KindStyle("#f5f5f5", "#616161", "loopback: each node's own (listed in the node, no line)"),
    "host-alias": KindStyle("#efebe9", "#6d4c41", "host name alias in a hosts file (listed in the node, no line)"),
    "link-local": KindStyle("#fafafa", "#9e9e9e", "link-local"),
    "unknown": KindStyle("#fffde7", "#9e9d24", "unclassified"),
}

#: Header colour per node kind (white text on it).
NODE_STYLES: dict[str, KindStyle] = {
    "host": KindStyle("#263238", "#263238", "host"),
    "vm": KindStyle("#37474f", "#37474f", "virtual machine"),
    "distro": KindStyle("#455a64", "#455a64", "WSL distribution"),
    "container": KindStyle("#1a4f8b", "#1a4f8b", "container"),
    "pod": KindStyle("#5e2a84", "#5e2a84", "pod"),
    "router": KindStyle("#4e342e", "#4e342e", "router"),
    "netns": KindStyle("#546e7a", "#546e7a", "network namespace"),
}

FORWARD_COLOUR = "#d84315"
STALE_COLOUR = "#c62828"


@dataclass(frozen=True, slots=True)
class Group:
    """A network as drawn: a labelled box in its kind's colours."""

    id: str
    network: str
    cidr: str
    kind: str
    label: str
    owner: str | None
    style: KindStyle
    members: tuple[str, ...]
    shared: int = 0
    """For loopback: how many nodes hold the same address on it (each its own); their
    rows are left out of the node boxes and the group says it once."""

    @property
    def wired(self) -> bool:
        """A real network (not loopback, a hosts-file alias or link-local)."""
        return self.kind not in _PLACELESS

    @property
    def caption(self) -> str:
        """``label`` unless it only repeats the CIDR."""
        return self.label if self.label != self.cidr else ""

    @property
    def subtitle(self) -> str:
        """CIDR, kind and owner on one line."""
        owner = f" · {self.owner}" if self.owner else ""
        return f"{self.cidr} · {self.kind}{owner}"


@dataclass(frozen=True, slots=True)
class Port:
    """One attachment: a node's interface on one group, with its address there."""

    id: str
    node: str
    group: str
    interface: str
    address: str | None
    uplink: bool = False

    @property
    def text(self) -> str:
        """``eth0 172.18.0.2``."""
        return f"{self.interface} {self.address or '?'}"


@dataclass(frozen=True, slots=True)
class Interface:
    """An interface as the details panel lists it."""

    name: str
    mac: str | None
    up: bool | None
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NameRow:
    """What one name resolves to from one vantage, and who wrote that answer."""

    name: str
    vantage: str
    addresses: tuple[str, ...]
    source: str
    provenance: str
    first: bool


@dataclass(frozen=True, slots=True)
class SceneNode:
    """A host, VM, distro, container, pod or router as drawn."""

    id: str
    atlas_id: str
    kind: str
    name: str
    subtitle: str
    home: str | None
    ports: tuple[Port, ...]
    vantages: tuple[str, ...]
    parent: str | None
    parent_id: str | None
    interfaces: tuple[Interface, ...]
    routes: tuple[str, ...]
    dns: tuple[str, ...]
    names: tuple[NameRow, ...]
    style: KindStyle
    service: str | None = None

    @property
    def edge_ports(self) -> tuple[Port, ...]:
        """Ports drawn as edges (all but those into the node's own group)."""
        return tuple(p for p in self.ports if p.group != self.home)


@dataclass(frozen=True, slots=True)
class ReplicaSet:
    """Replicas of one compose service on the same networks, drawn as one box.

    ``members`` are scene node ids, in atlas order; ``rows`` is one line per network
    they share (``eth0 10.77.0.2 … 10.77.0.17``), the range of their addresses there.
    """

    id: str
    service: str
    members: tuple[str, ...]
    home: str | None
    groups: tuple[str, ...]
    rows: tuple[tuple[str, str], ...]
    """``(group id, text)`` per network the replicas share."""

    @property
    def name(self) -> str:
        """``worker ×16``: the service (without its project) and the count."""
        return f"{self.service.rsplit('/', 1)[-1]} ×{len(self.members)}"

    @property
    def subtitle(self) -> str:
        """``compose service shop/worker · 16 containers``."""
        return f"compose service {self.service} · {len(self.members)} containers"


@dataclass(frozen=True, slots=True)
class Ghost:
    """An address something points at that no node holds (a stale forward's target)."""

    id: str
    address: str
    text: str


@dataclass(frozen=True, slots=True)
class Forward:
    """A relay (published port, portproxy) from a listening node to a port or ghost."""

    id: str
    node: str
    via: str
    protocol: str
    listen: str
    connect: str
    target_node: str | None
    target_port: str | None
    ghost: str | None

    @property
    def stale(self) -> bool:
        """Its connect address is held by nobody."""
        return self.ghost is not None

    @property
    def text(self) -> str:
        """``portproxy *:3000 → 172.25.150.37:3000``."""
        return f"{self.via} {self.listen} → {self.connect}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding with the scene ids (groups, nodes) it concerns."""

    id: str
    code: str
    severity: str
    title: str
    detail: str
    fix: str | None
    groups: tuple[str, ...]
    nodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scene:
    """Everything a picture shows, in drawing order. Exporters read nothing else."""

    title: str
    groups: tuple[Group, ...]
    nodes: tuple[SceneNode, ...]
    forwards: tuple[Forward, ...]
    ghosts: tuple[Ghost, ...]
    findings: tuple[Finding, ...]
    names: tuple[NameRow, ...]
    problems: tuple[str, ...]
    replicas: tuple[ReplicaSet, ...] = ()

    def group(self, group_id: str) -> Group:
        """The group with this scene id."""
        return next(g for g in self.groups if g.id == group_id)

    def node(self, node_id: str) -> SceneNode:
        """The node with this scene id."""
        return next(n for n in self.nodes if n.id == node_id)

    def port(self, port_id: str) -> Port:
        """The port with this scene id."""
        return next(p for n in self.nodes for p in n.ports if p.id == port_id)

    def replica_of(self, node_id: str) -> ReplicaSet | None:
        """The replica set a node is drawn in, if any."""
        return next((r for r in self.replicas if node_id in r.members), None)

    def drawn(self, node_ids: Iterable[str]) -> list[str]:
        """Node ids as drawn: each replica set once (its id, where its first member was)."""
        out: list[str] = []
        for nid in node_ids:
            rs = self.replica_of(nid)
            key = rs.id if rs is not None else nid
            if key not in out:
                out.append(key)
        return out

    def box_ports(self, node: SceneNode) -> tuple[Port, ...]:
        """The ports a node's box lists: all but a shared loopback (said once, on its group)."""
        return tuple(p for p in node.ports if not self.group(p.group).shared)

    @property
    def legend(self) -> tuple[tuple[str, KindStyle], ...]:
        """``(kind, style)`` for each network kind in the scene, in first-seen order."""
        seen: dict[str, KindStyle] = {}
        for g in self.groups:
            seen.setdefault(g.kind, g.style)
        return tuple(seen.items())


#: An exporter turns a scene into one file's bytes (the renderer protocol).
Exporter = Callable[[Scene], bytes]


def _addr(a: IPAddress | None) -> str | None:
    return None if a is None else str(a)


def _endpoint(address: IPAddress | None, port: int) -> str:
    if address is None:
        return f"*:{port}"
    if address.version == 6:
        return f"[{address}]:{port}"
    return f"{address}:{port}"


def _home(node: Node, networks: Iterable[Network]) -> str | None:
    """The one network a node lives on (ignoring loopback and friends), or ``None``."""
    real = {n.id for n in networks if n.kind not in _PLACELESS for a in n.attachments if a.node == node.id}
    return real.pop() if len(real) == 1 else None


def _subtitle(node: Node, atlas: Atlas, names: dict[str, str]) -> str:
    vantage_names = {v.id: v.name for v in atlas.vantages}
    bits: list[str] = [node.kind]
    seen = [vantage_names.get(v, v) for v in node.vantages if vantage_names.get(v, v) != node.name]
    if seen:
        bits.append(", ".join(seen))
    if node.parent:
        bits.append(f"in {names.get(node.parent, node.parent)}")
    return " · ".join(bits)


def _name_rows(atlas: Atlas) -> list[NameRow]:
    from netatlas.names import normalize, resolve

    vantage_names = {v.id: v.name for v in atlas.vantages}
    seen: list[str] = []
    for r in atlas.names:
        key = normalize(r.name)
        if key not in seen and r.addresses:
            seen.append(key)
    rows: list[NameRow] = []
    done: set[tuple[str, str, int | None, str]] = set()
    for key in seen:
        for res in resolve(atlas, key):
            # ``Z820`` also finds the DNS answer for ``Z820.fios-router.home`` (search
            # domains), which is a name of its own: one row per record, not per lookup
            ident = (res.vantage, res.evidence or res.file or "", res.line, normalize(res.name))
            if ident in done:
                continue
            done.add(ident)
            prov = res.provenance + (f"; copied from {res.origin}" if res.origin else "")
            rows.append(
                NameRow(
                    name=res.name,
                    vantage=vantage_names.get(res.vantage, res.vantage),
                    addresses=tuple(str(a) for a in res.addresses),
                    source=res.source,
                    provenance=prov,
                    first=res.first,
                )
            )
    return rows


def _node_names(rows_by_vantage: dict[str, list[NameRow]], node: Node, vantage_names: dict[str, str]) -> list[NameRow]:
    out: list[NameRow] = []
    for v in node.vantages:
        out += rows_by_vantage.get(vantage_names.get(v, v), [])
    return out


def _route(r: Route) -> str:
    via = f" via {r.gateway}" if r.gateway is not None else ""
    dev = f" dev {r.interface}" if r.interface else ""
    metric = f" metric {r.metric}" if r.metric is not None else ""
    return f"{r.destination}{via}{dev}{metric}"


SHARED_MIN = 3
"""A loopback address held by at least this many nodes is said once, on its group."""


def _shared_loopback(atlas: Atlas, nodes: list[SceneNode], group_of: dict[str, str]) -> dict[str, int]:
    """Loopback group id → how many nodes hold one and the same address there."""
    out: dict[str, int] = {}
    for net in atlas.networks:
        if net.kind != "loopback":
            continue
        gid = group_of[net.id]
        held = [(p.address, p.interface) for n in nodes for p in n.ports if p.group == gid]
        if len(held) >= SHARED_MIN and len(set(held)) == 1:
            out[gid] = len(held)
    return out


def _address_range(addresses: list[str]) -> str:
    """``10.77.0.2 … 10.77.0.17`` (lowest and highest), or the one address."""
    import ipaddress

    known = sorted({ipaddress.ip_address(a) for a in addresses}, key=lambda a: (a.version, a))
    if not known:
        return "?"
    if len(known) == 1:
        return str(known[0])
    return f"{known[0]} … {known[-1]}"


def _replica_sets(atlas: Atlas, nodes: list[SceneNode], groups: tuple[Group, ...]) -> tuple[ReplicaSet, ...]:
    """Containers of one compose service on the same networks (two or more of them)."""
    service = {n.id: n.service for n in atlas.nodes if n.kind == "container" and n.service}
    placeless = {g.id for g in groups if not g.wired}
    buckets: dict[tuple[str, str | None, tuple[str, ...]], list[SceneNode]] = {}
    for n in nodes:
        svc = service.get(n.atlas_id)
        if svc is None:
            continue
        nets = tuple(sorted({p.group for p in n.ports if p.group not in placeless}))
        buckets.setdefault((svc, n.home, nets), []).append(n)
    out: list[ReplicaSet] = []
    for (svc, home, nets), members in buckets.items():
        if len(members) < 2:
            continue
        rows = []
        for gid in nets:
            ports = [p for m in members for p in m.ports if p.group == gid]
            ifaces = "/".join(dict.fromkeys(p.interface for p in ports))
            rows.append((gid, f"{ifaces} {_address_range([p.address for p in ports if p.address])}"))
        out.append(ReplicaSet(f"r{len(out)}", svc, tuple(m.id for m in members), home, nets, tuple(rows)))
    return tuple(out)


def build_scene(atlas: Atlas) -> Scene:
    """Lay out an atlas for drawing.

    Args:
        atlas: the merged map (with its findings, if analysed).

    Returns:
        The scene every exporter draws from.
    """
    group_of = {net.id: f"g{i}" for i, net in enumerate(atlas.networks)}
    node_of = {node.id: f"n{i}" for i, node in enumerate(atlas.nodes)}
    node_names = {node.id: node.name for node in atlas.nodes}
    vantage_names = {v.id: v.name for v in atlas.vantages}
    homes = {node.id: _home(node, atlas.networks) for node in atlas.nodes}

    gateways = {
        node.id: [r.gateway for r in node.routes if r.destination.prefixlen == 0 and r.gateway is not None]
        for node in atlas.nodes
    }
    ports: dict[str, list[Port]] = {node.id: [] for node in atlas.nodes}
    holder: dict[str, Port] = {}
    counter = 0
    for net in atlas.networks:
        for att in net.attachments:
            if att.node not in node_of:
                continue
            uplink = any(gw.version == net.cidr.version and gw in net.cidr for gw in gateways[att.node])
            port = Port(f"p{counter}", node_of[att.node], group_of[net.id], att.interface, _addr(att.address), uplink)
            counter += 1
            ports[att.node].append(port)
            if att.address is not None and net.kind not in _PLACELESS:
                holder.setdefault(str(att.address), port)

    name_rows = _name_rows(atlas)
    rows_by_vantage: dict[str, list[NameRow]] = {}
    for row in name_rows:
        rows_by_vantage.setdefault(row.vantage, []).append(row)

    nodes: list[SceneNode] = []
    for node in atlas.nodes:
        home = homes[node.id]
        nodes.append(
            SceneNode(
                id=node_of[node.id],
                atlas_id=node.id,
                kind=node.kind,
                name=node.name,
                subtitle=_subtitle(node, atlas, node_names),
                home=group_of[home] if home else None,
                ports=tuple(ports[node.id]),
                vantages=tuple(vantage_names.get(v, v) for v in node.vantages),
                parent=node_names.get(node.parent, node.parent) if node.parent else None,
                parent_id=node_of.get(node.parent) if node.parent else None,
                interfaces=tuple(
                    Interface(
                        i.name,
                        i.mac,
                        i.up,
                        tuple(
                            f"{a.address}/{a.prefixlen}" if a.prefixlen is not None else str(a.address)
                            for a in i.addresses
                            if a.address is not None
                        ),
                    )
                    for i in node.interfaces
                ),
                routes=tuple(_route(r) for r in node.routes),
                dns=tuple(str(s) for s in node.dns.servers),
                names=tuple(_node_names(rows_by_vantage, node, vantage_names)),
                style=NODE_STYLES.get(node.kind, NODE_STYLES["netns"]),
                service=node.service,
            )
        )

    shared = _shared_loopback(atlas, nodes, group_of)
    groups = tuple(
        Group(
            id=group_of[net.id],
            network=net.id,
            cidr=str(net.cidr),
            kind=net.kind,
            label=net.label,
            owner=net.owner,
            style=KIND_STYLES.get(net.kind, KIND_STYLES["unknown"]),
            members=tuple(node_of[n.id] for n in atlas.nodes if homes[n.id] == net.id),
            shared=shared.get(group_of[net.id], 0),
        )
        for net in atlas.networks
    )

    forwards: list[Forward] = []
    ghosts: dict[str, Ghost] = {}
    for i, fw in enumerate(atlas.forwards):
        if fw.node not in node_of:
            continue
        target = holder.get(str(fw.connect_address)) if fw.connect_address is not None else None
        ghost: str | None = None
        if target is None and fw.target_node in node_of:
            target_node: str | None = node_of[fw.target_node]
        elif target is None:
            key = str(fw.connect_address) if fw.connect_address is not None else "?"
            if key not in ghosts:
                ghosts[key] = Ghost(f"x{len(ghosts)}", key, f"{key} (held by no node)")
            ghost, target_node = ghosts[key].id, None
        else:
            target_node = target.node
        forwards.append(
            Forward(
                id=f"f{i}",
                node=node_of[fw.node],
                via=fw.via,
                protocol=fw.protocol,
                listen=_endpoint(fw.listen_address, fw.listen_port),
                connect=_endpoint(fw.connect_address, fw.connect_port),
                target_node=target_node,
                target_port=target.id if target is not None else None,
                ghost=ghost,
            )
        )

    findings = tuple(
        Finding(
            id=f"k{i}",
            code=f.code,
            severity=f.severity,
            title=f.title,
            detail=f.detail,
            fix=f.fix,
            groups=tuple(group_of[n] for n in f.networks if n in group_of),
            nodes=tuple(node_of[n] for n in f.nodes if n in node_of),
        )
        for i, f in enumerate(atlas.findings)
    )
    host = next((n.name for n in atlas.nodes if n.kind == "host"), None)
    return Scene(
        title=f"netatlas map of {host}" if host else "netatlas map",
        groups=groups,
        nodes=tuple(nodes),
        forwards=tuple(forwards),
        ghosts=tuple(ghosts.values()),
        findings=findings,
        names=tuple(name_rows),
        problems=tuple(f"{p.evidence}: {p.code}: {p.message}" for p in atlas.problems),
        replicas=_replica_sets(atlas, nodes, groups),
    )
