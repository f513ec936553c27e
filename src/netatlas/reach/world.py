"""The atlas indexed for walking: nodes, who holds which address, attachments, listeners and forwards,
plus the relays that are settings rather than rules (WSL's localhost forwarding and mirrored mode)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from netatlas.model import VantageKind
from netatlas.model.atlas import Atlas, FirewallRecord, ListenerRecord, Network, Node, PortForward
from netatlas.model.facts import IPAddress

_LOOP4 = ipaddress.IPv4Address("127.0.0.1")
_LOOP6 = ipaddress.IPv6Address("::1")


def _flag(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return default


def _vantage_kinds(atlas: Atlas) -> dict[str, VantageKind]:
    return {v.id: v.kind for v in atlas.vantages}


def wsl_nodes(atlas: Atlas) -> list[Node]:
    """Nodes that are WSL distributions (or the one VM they share)."""
    kinds = _vantage_kinds(atlas)
    return [
        n
        for n in atlas.nodes
        if n.kind in ("vm", "distro") and any(kinds.get(v) is VantageKind.WSL_DISTRO for v in n.vantages)
    ]


def host_node(atlas: Atlas) -> Node | None:
    """The Windows (or macOS, or Linux) host: the node every VM runs inside."""
    kinds = _vantage_kinds(atlas)
    for want in (VantageKind.WINDOWS_HOST, VantageKind.MACOS_HOST, VantageKind.LINUX_HOST):
        for n in atlas.nodes:
            if any(kinds.get(v) is want for v in n.vantages):
                return n
    return next((n for n in atlas.nodes if n.kind == "host"), None)


def _addr_on(atlas: Atlas, node: Node, kinds: Iterable[str]) -> IPAddress | None:
    wanted = tuple(kinds)
    for net in atlas.networks:
        if net.kind not in wanted:
            continue
        for a in net.attachments:
            if a.node == node.id and a.address is not None:
                return a.address
    return None


def lan_address(atlas: Atlas, node: Node | None = None) -> IPAddress | None:
    """The address other LAN devices use for ``node`` (default: the host)."""
    node = node or host_node(atlas)
    return None if node is None else _addr_on(atlas, node, ("lan",))


def wsl_address(atlas: Atlas, node: Node | None = None) -> IPAddress | None:
    """The current address of the WSL VM on its NAT network (``eth0``)."""
    nodes = [node] if node is not None else wsl_nodes(atlas)
    for n in nodes:
        found = _addr_on(atlas, n, ("wsl-nat",))
        if found is not None:
            return found
        for i in n.interfaces:
            if i.name == "eth0":
                for a in i.addresses:
                    if a.address is not None and a.address.version == 4:
                        return a.address
    return None


@dataclass
class _World:
    """The atlas, indexed for walking, plus the relays that are settings, not rules."""

    atlas: Atlas
    extra: list[Node] = field(default_factory=list)

    @cached_property
    def nodes(self) -> dict[str, Node]:
        out = {n.id: n for n in self.atlas.nodes}
        out.update({n.id: n for n in self.extra})
        return out

    @cached_property
    def windows(self) -> set[str]:
        """Nodes seen from a Windows host vantage (IPv6-only wildcard sockets, Windows Firewall)."""
        kinds = {v.id: v.kind for v in self.atlas.vantages}
        return {n.id for n in self.nodes.values() if any(kinds.get(v) is VantageKind.WINDOWS_HOST for v in n.vantages)}

    @cached_property
    def held(self) -> dict[IPAddress, list[tuple[str, str]]]:
        out: dict[IPAddress, list[tuple[str, str]]] = {}
        for n in self.nodes.values():
            for i in n.interfaces:
                for a in i.addresses:
                    if a.address is not None and not a.address.is_loopback:
                        out.setdefault(a.address, []).append((n.id, i.name))
        for net in self.atlas.networks:
            for att in net.attachments:
                if att.address is not None and not att.address.is_loopback:
                    pairs = out.setdefault(att.address, [])
                    if not any(p[0] == att.node for p in pairs):
                        pairs.append((att.node, att.interface))
        return out

    @cached_property
    def attached(self) -> dict[str, list[tuple[Network, str, IPAddress | None]]]:
        out: dict[str, list[tuple[Network, str, IPAddress | None]]] = {}
        for net in self.atlas.networks:
            if net.kind in ("loopback", "host-alias"):
                continue
            for att in net.attachments:
                out.setdefault(att.node, []).append((net, att.interface, att.address))
        for n in self.extra:
            for i in n.interfaces:
                for a in i.addresses:
                    net_ = a.network
                    if net_ is None:
                        continue
                    known = next((x for x in self.atlas.networks if x.cidr == net_), None)
                    if known is not None:
                        out.setdefault(n.id, []).append((known, i.name, a.address))
        return out

    @cached_property
    def mode(self) -> str:
        value = self.atlas.settings.get("networking_mode")
        return value.lower() if isinstance(value, str) else "nat"

    @cached_property
    def localhost_forwarding(self) -> bool:
        return _flag(self.atlas.settings.get("localhost_forwarding"), True)

    @cached_property
    def host(self) -> Node | None:
        return host_node(self.atlas)

    @cached_property
    def wsl(self) -> set[str]:
        return {n.id for n in wsl_nodes(self.atlas)}

    @cached_property
    def listeners(self) -> dict[str, list[ListenerRecord]]:
        """Each node's listeners; a node whose listener list was read and is empty maps to ``[]``."""
        read = self.atlas.settings.get("listeners_read")
        out: dict[str, list[ListenerRecord]] = (
            {n: [] for n in read if isinstance(n, str)} if isinstance(read, list) else {}
        )
        for li in self.atlas.listeners:
            out.setdefault(li.node, []).append(li)
        return out

    @cached_property
    def forwards(self) -> dict[str, list[PortForward]]:
        out: dict[str, list[PortForward]] = {}
        for f in self.atlas.forwards:
            out.setdefault(f.node, []).append(f)
        if self.host is None:
            return out
        for w in self.wsl:
            for li in self.listeners.get(w, []):
                if li.protocol != "tcp":
                    continue
                local = li.address is None or li.address.is_unspecified or li.address.is_loopback
                if self.mode == "mirrored":
                    out.setdefault(self.host.id, []).append(
                        PortForward(
                            node=self.host.id,
                            via="wsl-mirrored",
                            listen_address=None if li.address is None else li.address,
                            listen_port=li.port,
                            connect_address=_LOOP4 if li.address is None or li.address.is_unspecified else li.address,
                            connect_port=li.port,
                            target_node=w,
                            evidence=li.evidence,
                        )
                    )
                elif self.mode == "nat" and self.localhost_forwarding and local:
                    # wslrelay listens on both of Windows' loopbacks
                    out.setdefault(self.host.id, []).extend(
                        PortForward(
                            node=self.host.id,
                            via="wsl-localhost",
                            listen_address=loop,
                            listen_port=li.port,
                            connect_address=_LOOP4,
                            connect_port=li.port,
                            target_node=w,
                            evidence=li.evidence,
                        )
                        for loop in (_LOOP4, _LOOP6)
                    )
        return out

    @cached_property
    def firewalls(self) -> dict[str, list[FirewallRecord]]:
        """The packet filter rulesets read on each node."""
        out: dict[str, list[FirewallRecord]] = {}
        for fw in self.atlas.firewalls:
            out.setdefault(fw.node, []).append(fw)
        return out

    @cached_property
    def local_addresses(self) -> dict[str, frozenset[IPAddress]]:
        """Each node's own addresses, filled as the filters ask (shared by forks: a node's
        addresses are the same in every walk over one atlas)."""
        return {}

    def fork(self) -> _World:
        """A world sharing this one's indexes, for one more walk over the same atlas.

        Building the indexes costs as much as a walk on a machine with hundreds of
        containers, and ``verify`` walks thousands of paths over one atlas. The fork's
        :meth:`add` drops only the fork's own copies of the indexes it changes, so the
        nodes one walk adds (a LAN device, an outside address) never reach another.
        """
        for name, attr in vars(_World).items():
            if isinstance(attr, cached_property):
                getattr(self, name)  # built here once, or every fork would build its own
        twin = _World(self.atlas, list(self.extra))
        twin.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("atlas", "extra")})
        return twin

    def add(self, node: Node) -> None:
        """Add a node the atlas lacks (a LAN device, an outside address); reindex."""
        self.extra.append(node)
        for cached in ("nodes", "held", "attached"):
            self.__dict__.pop(cached, None)

    def label(self, node_id: str | None) -> str:
        if node_id is None:
            return "outside the map"
        n = self.nodes.get(node_id)
        return n.name if n is not None else node_id

    def descendants(self, node_id: str) -> set[str]:
        out = {node_id}
        changed = True
        while changed:
            changed = False
            for n in self.nodes.values():
                if n.parent in out and n.id not in out:
                    out.add(n.id)
                    changed = True
        return out

    def holder(self, address: IPAddress, prefer_net: Network | None = None) -> str | None:
        pairs = self.held.get(address, [])
        if prefer_net is not None:
            for nid, _iface in pairs:
                if any(net.id == prefer_net.id and a == address for net, _i, a in self.attached.get(nid, [])):
                    return nid
        return pairs[0][0] if pairs else None

    def network_of(self, address: IPAddress) -> Network | None:
        best: Network | None = None
        for net in self.atlas.networks:
            if (
                net.cidr.version == address.version
                and address in net.cidr
                and net.kind != "loopback"
                and (best is None or net.cidr.prefixlen > best.cidr.prefixlen)
            ):
                best = net
        return best
