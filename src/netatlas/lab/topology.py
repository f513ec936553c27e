"""A lab topology: nodes (network namespaces), networks between them, and what runs inside.

A topology is a YAML file (``netatlas lab up z820`` loads the packaged
``topologies/z820.yaml``; ``netatlas lab up ./mine.yaml`` any other)::

    name: demo
    names: [db.example]                  # looked up from every scanned vantage
    nodes:
      host:
        vantages: [{id: host, kind: linux-host, name: devbox}]   # none: not scanned
        forwarding: true
        routes: [{to: default, via: 198.51.100.1}]
        nat: [{source: 10.9.0.0/24, out: eth0}]                  # nftables masquerade
        dnat: [{listen: 198.51.100.2:8080, to: 10.9.0.2:80}]     # nftables DNAT
        relays: [{listen: 0.0.0.0:3000, connect: 10.9.0.2:3000, via: portproxy}]
        listeners: ["0.0.0.0:22"]                                # TCP services
        dns: {listen: [10.9.0.1], records: {db.example: 10.9.0.2}, forward: 198.51.100.1}
        hosts: |                                                 # /etc/netns/<ns>/hosts
          127.0.0.1 localhost
        resolv: "nameserver 10.9.0.1\\n"                         # /etc/netns/<ns>/resolv.conf
        filter: "*filter\\n:INPUT DROP [0:0]\\nCOMMIT\\n"         # iptables-restore; read back by the scan
    networks:
      lan:
        type: bridge                      # or veth: exactly two members
        cidr: 198.51.100.0/24
        members:
          - {node: host, iface: eth0, address: 198.51.100.2}

Every node is one network namespace named ``<prefix><node>`` (prefix
``na-lab-<name>-``); bridges live in one more namespace, ``<prefix>sw``, never the
machine's own. :func:`load_topology` validates everything and raises
:class:`~netatlas.errors.LabError` naming the file and the key of the first problem.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from netatlas.errors import LabError
from netatlas.model import IPAddress, IPNetwork, VantageKind

__all__ = [
    "DnatRule",
    "DnsServer",
    "EngineContainer",
    "Listen",
    "Member",
    "NatRule",
    "NetworkSpec",
    "NodeSpec",
    "Relay",
    "RouteSpec",
    "Topology",
    "VantageSpec",
    "bundled_topologies",
    "load_topology",
    "parse_topology",
    "renumber",
]

NS_PREFIX = "na-lab-"
"""Every namespace the lab creates starts with this; nothing else is ever touched."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
_NODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,11}$")
_IFACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")
RELAY_KINDS = ("portproxy", "docker-publish", "localhost", "plain")


@dataclass(frozen=True)
class VantageSpec:
    """How netatlas sees a node: the vantage id, kind and name the lab scan gives it."""

    id: str
    kind: VantageKind
    name: str


@dataclass(frozen=True)
class Member:
    """A node's interface on a network, with its addresses (the first is the main one)."""

    node: str
    iface: str
    addresses: tuple[IPAddress, ...]
    mac: str | None = None
    metric: int | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """A bridge (in the lab's switch namespace) or a veth pair, with its CIDR."""

    name: str
    type: str
    cidr: IPNetwork
    members: tuple[Member, ...]


@dataclass(frozen=True)
class RouteSpec:
    """A route of a node (``to`` is ``0.0.0.0/0`` for ``default``)."""

    to: IPNetwork
    via: IPAddress | None = None
    dev: str | None = None
    metric: int | None = None


@dataclass(frozen=True)
class NatRule:
    """Masquerade traffic from ``source`` leaving by interface ``out``."""

    source: IPNetwork
    out: str


@dataclass(frozen=True)
class DnatRule:
    """Rewrite TCP to ``listen:port`` into ``to:to_port`` (Docker's ``-p`` inside its VM)."""

    listen: IPAddress
    port: int
    to: IPAddress
    to_port: int


@dataclass(frozen=True)
class Listen:
    """A TCP service bound to ``address:port`` that answers with a banner naming its node."""

    address: IPAddress
    port: int


@dataclass(frozen=True)
class Relay:
    """A user-space TCP relay in the node: ``listen`` → ``connect``.

    ``via`` says what it stands for: ``portproxy`` (``netsh interface portproxy``),
    ``docker-publish`` (Docker Desktop's Windows-side listener), ``localhost`` (WSL's
    localhost forwarding: ``connect`` is dialled inside node ``target``, over a Unix
    socket, as WSL's relay does over a Hyper-V socket) or ``plain``.
    """

    listen: IPAddress
    port: int
    connect: IPAddress
    connect_port: int
    via: str = "plain"
    target: str | None = None


@dataclass(frozen=True)
class DnsServer:
    """A small DNS server: fixed A records, the rest forwarded (or NXDOMAIN)."""

    listen: tuple[IPAddress, ...]
    records: tuple[tuple[str, IPAddress], ...] = ()
    forward: IPAddress | None = None


@dataclass(frozen=True)
class EngineContainer:
    """A container as the engine on this node reports it (``docker inspect``)."""

    name: str
    node: str
    network: str
    ports: tuple[tuple[int, IPAddress | None, int | None], ...] = ()
    """(container port, host ip, host port); host port ``None`` is exposed, not published."""


@dataclass(frozen=True)
class NodeSpec:
    """One namespace and everything configured inside it."""

    name: str
    vantages: tuple[VantageSpec, ...] = ()
    parent: str | None = None
    forwarding: bool = False
    routes: tuple[RouteSpec, ...] = ()
    nat: tuple[NatRule, ...] = ()
    dnat: tuple[DnatRule, ...] = ()
    listeners: tuple[Listen, ...] = ()
    relays: tuple[Relay, ...] = ()
    dns: DnsServer | None = None
    hosts: str | None = None
    resolv: str | None = None
    containers: tuple[EngineContainer, ...] = ()
    filter: str | None = None
    note: str | None = None

    @property
    def scanned(self) -> bool:
        """Whether netatlas scans it (it has a vantage); others are the world outside."""
        return bool(self.vantages)


@dataclass(frozen=True)
class Topology:
    """A whole lab."""

    name: str
    nodes: tuple[NodeSpec, ...]
    networks: tuple[NetworkSpec, ...]
    names: tuple[str, ...] = ()
    description: str = ""
    source: str = "-"
    prefix: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def node(self, name: str) -> NodeSpec:
        """The node called ``name``.

        Raises:
            LabError: there is none.
        """
        for n in self.nodes:
            if n.name == name:
                return n
        raise LabError(f"{self.source}: no node {name!r}")

    def namespace(self, node: str) -> str:
        """The network namespace of a node."""
        return f"{self.prefix}{node}"

    @property
    def switch_namespace(self) -> str:
        """The namespace holding every bridge of the lab."""
        return f"{self.prefix}sw"

    def namespaces(self) -> list[str]:
        """Every namespace the lab uses, nodes first, the switch last."""
        out = [self.namespace(n.name) for n in self.nodes]
        if any(net.type == "bridge" for net in self.networks):
            out.append(self.switch_namespace)
        return out

    def members_of(self, node: str) -> list[tuple[NetworkSpec, Member]]:
        """The node's interfaces, with their networks."""
        return [(net, m) for net in self.networks for m in net.members if m.node == node]

    def addresses(self) -> dict[IPAddress, list[str]]:
        """Every address the topology defines → the nodes holding it."""
        out: dict[IPAddress, list[str]] = {}
        for net in self.networks:
            for m in net.members:
                for a in m.addresses:
                    out.setdefault(a, []).append(m.node)
        return out

    def node_addresses(self, node: str) -> list[IPAddress]:
        """A node's addresses, in the order of its interfaces."""
        return [a for _net, m in self.members_of(node) for a in m.addresses]

    def vantage_node(self, vantage_id: str) -> str | None:
        """The node a vantage id belongs to."""
        for n in self.nodes:
            if any(v.id == vantage_id for v in n.vantages):
                return n.name
        return None


# ------------------------------------------------------------------ loading


class _Ctx:
    """Where we are in the document, for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> LabError:
        return LabError(f"{self.source}: {key}: {message}")


def _req(ctx: _Ctx, obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise ctx.fail(f"{where}.{key}" if where else key, "required")
    return obj[key]


def _mapping(ctx: _Ctx, value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ctx.fail(where, f"expected a mapping, got {value!r}")
    return value


def _list(ctx: _Ctx, value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.fail(where, f"expected a list, got {value!r}")
    return value


def _unknown(ctx: _Ctx, obj: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ctx.fail(f"{where}.{key}" if where else str(key), f"unknown key (known: {', '.join(allowed)})")


def _ip(ctx: _Ctx, value: Any, where: str) -> IPAddress:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise ctx.fail(where, f"not an IP address: {value!r}") from None


def _net(ctx: _Ctx, value: Any, where: str) -> IPNetwork:
    if value == "default":
        return ipaddress.ip_network("0.0.0.0/0")
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        raise ctx.fail(where, f"not a network CIDR (host bits must be zero): {value!r}") from None


def _port(ctx: _Ctx, value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ctx.fail(where, f"not a TCP port: {value!r}")
    return value


def _endpoint(ctx: _Ctx, value: Any, where: str) -> tuple[IPAddress, int]:
    text = str(value)
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ctx.fail(where, f"expected ADDRESS:PORT, got {value!r}")
    return _ip(ctx, host.strip("[]"), where), _port(ctx, int(port), where)


def _vantage(ctx: _Ctx, raw: Any, where: str) -> VantageSpec:
    obj = _mapping(ctx, raw, where)
    _unknown(ctx, obj, ("id", "kind", "name"), where)
    kind = str(_req(ctx, obj, "kind", where))
    try:
        vk = VantageKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in VantageKind)
        raise ctx.fail(f"{where}.kind", f"unknown vantage kind {kind!r} (known: {known})") from None
    vid = str(_req(ctx, obj, "id", where))
    return VantageSpec(vid, vk, str(obj.get("name", vid)))


_NODE_KEYS = (
    "vantages",
    "parent",
    "forwarding",
    "routes",
    "nat",
    "dnat",
    "listeners",
    "relays",
    "dns",
    "hosts",
    "resolv",
    "containers",
    "filter",
    "note",
)


def _node(ctx: _Ctx, name: str, raw: Any) -> NodeSpec:
    where = f"nodes.{name}"
    if not _NODE.match(name) or name == "sw":
        raise ctx.fail(where, "a node name is 1-12 of a-z, 0-9 and '-' (and not 'sw')")
    obj = _mapping(ctx, raw or {}, where)
    _unknown(ctx, obj, _NODE_KEYS, where)
    vantages = tuple(
        _vantage(ctx, v, f"{where}.vantages[{i}]")
        for i, v in enumerate(_list(ctx, obj.get("vantages"), f"{where}.vantages"))
    )
    routes = []
    for i, r in enumerate(_list(ctx, obj.get("routes"), f"{where}.routes")):
        w = f"{where}.routes[{i}]"
        ro = _mapping(ctx, r, w)
        _unknown(ctx, ro, ("to", "via", "dev", "metric"), w)
        via = _ip(ctx, ro["via"], f"{w}.via") if ro.get("via") is not None else None
        dev = str(ro["dev"]) if ro.get("dev") is not None else None
        if via is None and dev is None:
            raise ctx.fail(w, "a route needs 'via' or 'dev'")
        metric = ro.get("metric")
        if metric is not None and (not isinstance(metric, int) or metric < 0):
            raise ctx.fail(f"{w}.metric", f"not a metric: {metric!r}")
        routes.append(RouteSpec(_net(ctx, _req(ctx, ro, "to", w), f"{w}.to"), via, dev, metric))
    nat = []
    for i, r in enumerate(_list(ctx, obj.get("nat"), f"{where}.nat")):
        w = f"{where}.nat[{i}]"
        ro = _mapping(ctx, r, w)
        _unknown(ctx, ro, ("source", "out"), w)
        nat.append(NatRule(_net(ctx, _req(ctx, ro, "source", w), f"{w}.source"), str(_req(ctx, ro, "out", w))))
    dnat = []
    for i, r in enumerate(_list(ctx, obj.get("dnat"), f"{where}.dnat")):
        w = f"{where}.dnat[{i}]"
        ro = _mapping(ctx, r, w)
        _unknown(ctx, ro, ("listen", "to"), w)
        la, lp = _endpoint(ctx, _req(ctx, ro, "listen", w), f"{w}.listen")
        ta, tp = _endpoint(ctx, _req(ctx, ro, "to", w), f"{w}.to")
        dnat.append(DnatRule(la, lp, ta, tp))
    listeners = [
        Listen(*_endpoint(ctx, v, f"{where}.listeners[{i}]"))
        for i, v in enumerate(_list(ctx, obj.get("listeners"), f"{where}.listeners"))
    ]
    relays = []
    for i, r in enumerate(_list(ctx, obj.get("relays"), f"{where}.relays")):
        w = f"{where}.relays[{i}]"
        ro = _mapping(ctx, r, w)
        _unknown(ctx, ro, ("listen", "connect", "via", "target"), w)
        la, lp = _endpoint(ctx, _req(ctx, ro, "listen", w), f"{w}.listen")
        ca, cp = _endpoint(ctx, _req(ctx, ro, "connect", w), f"{w}.connect")
        kind = str(ro.get("via", "plain"))
        if kind not in RELAY_KINDS:
            raise ctx.fail(f"{w}.via", f"unknown relay kind {kind!r} (known: {', '.join(RELAY_KINDS)})")
        inside = str(ro["target"]) if ro.get("target") is not None else None
        if (kind == "localhost") != (inside is not None):
            raise ctx.fail(w, "a 'localhost' relay needs 'target' (the node it dials into), and only it")
        relays.append(Relay(la, lp, ca, cp, kind, inside))
    dns = None
    if obj.get("dns") is not None:
        w = f"{where}.dns"
        do = _mapping(ctx, obj["dns"], w)
        _unknown(ctx, do, ("listen", "records", "forward"), w)
        listen = tuple(_ip(ctx, a, f"{w}.listen") for a in _list(ctx, _req(ctx, do, "listen", w), f"{w}.listen"))
        if not listen:
            raise ctx.fail(f"{w}.listen", "at least one address")
        recs = _mapping(ctx, do.get("records") or {}, f"{w}.records")
        records = tuple((str(k), _ip(ctx, v, f"{w}.records.{k}")) for k, v in recs.items())
        fwd = _ip(ctx, do["forward"], f"{w}.forward") if do.get("forward") is not None else None
        dns = DnsServer(listen, records, fwd)
    containers = []
    for i, c in enumerate(_list(ctx, obj.get("containers"), f"{where}.containers")):
        w = f"{where}.containers[{i}]"
        co = _mapping(ctx, c, w)
        _unknown(ctx, co, ("name", "node", "network", "ports"), w)
        ports: list[tuple[int, IPAddress | None, int | None]] = []
        for j, p in enumerate(_list(ctx, co.get("ports"), f"{w}.ports")):
            parts = str(p).split(":")
            try:
                if len(parts) == 1:
                    ports.append((int(parts[0]), None, None))
                elif len(parts) == 2:
                    ports.append((int(parts[1]), None, int(parts[0])))
                elif len(parts) == 3:
                    ports.append((int(parts[2]), _ip(ctx, parts[0], f"{w}.ports[{j}]"), int(parts[1])))
                else:
                    raise ValueError(p)
            except ValueError:
                raise ctx.fail(f"{w}.ports[{j}]", f"expected [HOSTIP:]HOSTPORT:PORT or PORT, got {p!r}") from None
        containers.append(
            EngineContainer(
                str(_req(ctx, co, "name", w)),
                str(_req(ctx, co, "node", w)),
                str(_req(ctx, co, "network", w)),
                tuple(ports),
            )
        )
    for key in ("hosts", "resolv", "note", "parent", "filter"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise ctx.fail(f"{where}.{key}", f"expected text, got {obj[key]!r}")
    fwd_flag = obj.get("forwarding", False)
    if not isinstance(fwd_flag, bool):
        raise ctx.fail(f"{where}.forwarding", f"expected true or false, got {fwd_flag!r}")
    return NodeSpec(
        name=name,
        vantages=vantages,
        parent=obj.get("parent"),
        forwarding=fwd_flag,
        routes=tuple(routes),
        nat=tuple(nat),
        dnat=tuple(dnat),
        listeners=tuple(listeners),
        relays=tuple(relays),
        dns=dns,
        hosts=obj.get("hosts"),
        resolv=obj.get("resolv"),
        containers=tuple(containers),
        filter=_filter(ctx, obj.get("filter"), f"{where}.filter"),
        note=obj.get("note"),
    )


def _filter(ctx: _Ctx, text: str | None, where: str) -> str | None:
    """An ``iptables-restore`` ruleset, checked with netatlas's own ``iptables-save`` parser.

    The lab loads it into the node as it is, and the lab scan reads it back with
    ``iptables-save``: a rule netatlas cannot read is refused here, before anything runs.
    """
    if text is None:
        return None
    from netatlas.errors import NetatlasError
    from netatlas.parsers import parse

    try:
        facts = parse("iptables-save", text.encode())
    except NetatlasError as exc:
        raise ctx.fail(where, str(exc)) from None
    if not facts.firewall:
        raise ctx.fail(where, "no table in it (expected iptables-save text: *filter ... COMMIT)")
    return text


def _network(ctx: _Ctx, name: str, raw: Any) -> NetworkSpec:
    where = f"networks.{name}"
    obj = _mapping(ctx, raw, where)
    _unknown(ctx, obj, ("type", "cidr", "members", "note"), where)
    kind = str(obj.get("type", "bridge"))
    if kind not in ("bridge", "veth"):
        raise ctx.fail(f"{where}.type", f"expected bridge or veth, got {kind!r}")
    cidr = _net(ctx, _req(ctx, obj, "cidr", where), f"{where}.cidr")
    members = []
    for i, raw_m in enumerate(_list(ctx, _req(ctx, obj, "members", where), f"{where}.members")):
        w = f"{where}.members[{i}]"
        mo = _mapping(ctx, raw_m, w)
        _unknown(ctx, mo, ("node", "iface", "address", "mac", "metric"), w)
        iface = str(_req(ctx, mo, "iface", w))
        if not _IFACE.match(iface):
            raise ctx.fail(f"{w}.iface", f"an interface name is 1-15 of A-Z a-z 0-9 _ . - (got {iface!r})")
        raw_a = mo.get("address")
        addrs = tuple(
            _ip(ctx, a, f"{w}.address") for a in (raw_a if isinstance(raw_a, list) else [raw_a] if raw_a else [])
        )
        for a in addrs:
            if a not in cidr:
                raise ctx.fail(f"{w}.address", f"{a} is not in {cidr}")
            if a in (cidr.network_address, cidr.broadcast_address) and cidr.prefixlen < 31:
                raise ctx.fail(f"{w}.address", f"{a} is the network or broadcast address of {cidr}")
        metric = mo.get("metric")
        if metric is not None and (not isinstance(metric, int) or metric < 0):
            raise ctx.fail(f"{w}.metric", f"not a metric: {metric!r}")
        mac = mo.get("mac")
        if mac is not None and not re.fullmatch(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}", str(mac)):
            raise ctx.fail(f"{w}.mac", f"not a lower-case MAC address: {mac!r}")
        members.append(Member(str(_req(ctx, mo, "node", w)), iface, addrs, mac, metric))
    if kind == "veth" and len(members) != 2:
        raise ctx.fail(f"{where}.members", f"a veth network has exactly two members, not {len(members)}")
    return NetworkSpec(name, kind, cidr, tuple(members))


def _check(ctx: _Ctx, topo: Topology) -> None:
    nodes = {n.name for n in topo.nodes}
    vids: set[str] = set()
    for n in topo.nodes:
        if n.parent is not None and n.parent not in nodes:
            raise ctx.fail(f"nodes.{n.name}.parent", f"no node {n.parent!r}")
        for v in n.vantages:
            if v.id in vids:
                raise ctx.fail(f"nodes.{n.name}.vantages", f"vantage id {v.id!r} used twice")
            vids.add(v.id)
        ifaces = {m.iface for _net, m in topo.members_of(n.name)}
        for i, r in enumerate(n.nat):
            if r.out not in ifaces:
                raise ctx.fail(f"nodes.{n.name}.nat[{i}].out", f"{n.name} has no interface {r.out!r}")
        for i, rt in enumerate(n.routes):
            if rt.dev is not None and rt.dev not in ifaces:
                raise ctx.fail(f"nodes.{n.name}.routes[{i}].dev", f"{n.name} has no interface {rt.dev!r}")
        for i, rl in enumerate(n.relays):
            if rl.target is not None and rl.target not in nodes:
                raise ctx.fail(f"nodes.{n.name}.relays[{i}].target", f"no node {rl.target!r}")
        for i, c in enumerate(n.containers):
            if c.node not in nodes:
                raise ctx.fail(f"nodes.{n.name}.containers[{i}].node", f"no node {c.node!r}")
            if c.network not in {net.name for net in topo.networks}:
                raise ctx.fail(f"nodes.{n.name}.containers[{i}].network", f"no network {c.network!r}")
    seen_if: set[tuple[str, str]] = set()
    for net in topo.networks:
        for i, m in enumerate(net.members):
            if m.node not in nodes:
                raise ctx.fail(f"networks.{net.name}.members[{i}].node", f"no node {m.node!r}")
            if (m.node, m.iface) in seen_if or m.iface == "lo":
                raise ctx.fail(f"networks.{net.name}.members[{i}].iface", f"{m.node} already has {m.iface!r}")
            seen_if.add((m.node, m.iface))


def parse_topology(data: Any, *, source: str = "-") -> Topology:
    """A topology from an already-loaded YAML document.

    Raises:
        LabError: anything wrong, naming ``source`` and the key.
    """
    ctx = _Ctx(source)
    obj = _mapping(ctx, data, "(document)")
    _unknown(ctx, obj, ("name", "description", "names", "nodes", "networks"), "")
    name = str(_req(ctx, obj, "name", ""))
    if not _NAME.match(name):
        raise ctx.fail("name", f"a lab name is 1-16 of a-z, 0-9 and '-' (got {name!r})")
    nodes = _mapping(ctx, _req(ctx, obj, "nodes", ""), "nodes")
    nets = _mapping(ctx, _req(ctx, obj, "networks", ""), "networks")
    names = tuple(str(n) for n in _list(ctx, obj.get("names"), "names"))
    topo = Topology(
        name=name,
        nodes=tuple(_node(ctx, str(k), v) for k, v in nodes.items()),
        networks=tuple(_network(ctx, str(k), v) for k, v in nets.items()),
        names=names,
        description=str(obj.get("description") or ""),
        source=source,
        prefix=f"{NS_PREFIX}{name}-",
    )
    _check(ctx, topo)
    return topo


def bundled_topologies() -> list[str]:
    """Names of the topologies shipped with netatlas."""
    folder = resources.files("netatlas.lab") / "topologies"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_topology(ref: str | Path) -> Topology:
    """A shipped topology by name (``z820``), or a YAML file by path.

    Raises:
        LabError: no such topology or file, YAML that does not parse, or a bad key.
    """
    import yaml

    text: str
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise LabError(f"{ref}: no such topology file")
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        if str(ref) not in bundled_topologies():
            raise LabError(
                f"unknown lab {str(ref)!r}; shipped: {', '.join(bundled_topologies())}, or give a .yaml file"
            )
        res = resources.files("netatlas.lab") / "topologies" / f"{ref}.yaml"
        text, source = res.read_text(encoding="utf-8"), f"{ref}.yaml"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise LabError(f"{source}: {where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_topology(data, source=source)


# --------------------------------------------------------------- renumbering


def renumber(topo: Topology, network: str, new: IPNetwork) -> Topology:
    """The topology with network ``network`` moved to ``new``, offsets kept.

    ``172.18.0.2`` on a ``172.18.0.0/16`` network becomes ``10.0.0.2`` on
    ``10.0.0.0/24``, as when Docker recreates a network from a new pool. Only the
    network's own members change: their addresses, and in the member nodes the routes,
    NAT, DNAT, listeners, relays, DNS records and hosts/resolv.conf lines that name the
    old addresses. Another network with the same CIDR elsewhere (the office behind a
    VPN) keeps its addresses. This is how a plan's block is applied to a lab.

    Raises:
        LabError: no such network, or an address does not fit in ``new``.
    """
    net_spec = next((n for n in topo.networks if n.name == network), None)
    if net_spec is None:
        raise LabError(f"{topo.source}: no network {network!r}")
    old = net_spec.cidr
    if old.version != new.version:
        raise LabError(f"cannot renumber {old} into {new}: different IP versions")
    moved: dict[IPAddress, IPAddress] = {}
    for m in net_spec.members:
        for a in m.addresses:
            off = int(a) - int(old.network_address)
            if off >= new.num_addresses - 1:
                raise LabError(f"{a} does not fit in {new}")
            moved[a] = ipaddress.ip_address(int(new.network_address) + off)
    members = {m.node for m in net_spec.members}

    def addr(a: IPAddress) -> IPAddress:
        return moved.get(a, a)

    def opt(a: IPAddress | None) -> IPAddress | None:
        return None if a is None else addr(a)

    def net(n: IPNetwork) -> IPNetwork:
        return new if n == old else n

    def text(s: str | None) -> str | None:
        if s is None:
            return None
        return re.sub(
            r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])",
            lambda m: str(addr(ipaddress.ip_address(m.group(1)))) if _is_ip(m.group(1)) else m.group(1),
            s,
        )

    nodes = []
    for n in topo.nodes:
        if n.name not in members:
            nodes.append(n)
            continue
        nodes.append(
            replace(
                n,
                routes=tuple(replace(r, to=net(r.to), via=opt(r.via)) for r in n.routes),
                nat=tuple(replace(r, source=net(r.source)) for r in n.nat),
                dnat=tuple(replace(r, listen=addr(r.listen), to=addr(r.to)) for r in n.dnat),
                listeners=tuple(replace(li, address=addr(li.address)) for li in n.listeners),
                relays=tuple(replace(r, listen=addr(r.listen), connect=addr(r.connect)) for r in n.relays),
                dns=None
                if n.dns is None
                else replace(
                    n.dns,
                    listen=tuple(addr(a) for a in n.dns.listen),
                    records=tuple((k, addr(v)) for k, v in n.dns.records),
                    forward=opt(n.dns.forward),
                ),
                hosts=text(n.hosts),
                resolv=text(n.resolv),
            )
        )
    networks = tuple(
        replace(
            nt, cidr=new, members=tuple(replace(m, addresses=tuple(addr(a) for a in m.addresses)) for m in nt.members)
        )
        if nt.name == network
        else nt
        for nt in topo.networks
    )
    return replace(topo, nodes=tuple(nodes), networks=networks)


def _is_ip(s: str) -> bool:
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True
