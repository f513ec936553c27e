"""Where a live probe may go: the machine's own addresses and loopback, nothing else.

Every probe of ``netatlas verify`` (a TCP connect, a DNS question) passes
:meth:`Fence.check` before anything is sent (:mod:`netatlas.verify.door` is the only
code that sends, and it asks first). A destination is allowed when:

1. it is a loopback address (it never leaves the namespace it is sent from); or
2. it is held by one of the machine's own nodes (the host, its containers, VMs and
   namespaces: every node of the atlas that is not a router or an outside device),
   is held by no node outside the machine (an address the VPN's far side also uses is
   refused: the packet might go there), and is a plain unicast address (not
   link-local, multicast or unspecified); and
3. where the kernel can be asked (a Linux namespace), the kernel's own route for it
   (RTM_GETROUTE, no packet sent) keeps it on the machine: delivered locally, or out
   through a veth, bridge or dummy interface (never a physical NIC, tunnel or VPN
   interface), straight to the address or to a gateway that is itself the machine's
   own; and at that gateway's namespace the same holds again (a container's packet
   for another network goes through the host, whose route is then asked too), up to
   a few steps. A route the kernel refuses (no route, unreachable) sends nothing,
   so the probe may run and see that.

A refused destination is never probed: the check is reported as skipped, with the
reason. :data:`STAYS` lists the interface kinds that stay on the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from netatlas.model import IPAddress
from netatlas.model.atlas import Atlas
from netatlas.verify.kernel import KernelRoute, Link

__all__ = ["STAYS", "Fence", "own_addresses"]

STAYS = frozenset({"veth", "bridge", "dummy"})
"""Link kinds (``IFLA_INFO_KIND``) whose packets stay on the machine: a veth's far end and a
bridge's ports are other namespaces here. A physical NIC has no kind; ``tun``,
``wireguard``, ``vxlan``, ``macvlan``, ``ipvlan`` and the rest can leave."""
_MAX_STEPS = 4
_OUTSIDE_KINDS = frozenset({"router"})

Ask = Callable[[str, IPAddress], tuple[KernelRoute, Link | None] | None]
"""``(place's node id, address) -> (the kernel's route there, its output link)``; ``None``
when that node's namespace cannot be asked (not entered, no netlink)."""


def own_addresses(atlas: Atlas) -> tuple[dict[IPAddress, set[str]], set[IPAddress]]:
    """(address → the machine's own nodes holding it, addresses also held outside the machine)."""
    kind = {n.id: n.kind for n in atlas.nodes}
    own: dict[IPAddress, set[str]] = {}
    foreign: set[IPAddress] = set()

    def add(address: IPAddress | None, node: str) -> None:
        if address is None or address.is_loopback:
            return
        if kind.get(node) in _OUTSIDE_KINDS or node not in kind:
            foreign.add(address)
        else:
            own.setdefault(address, set()).add(node)

    for n in atlas.nodes:
        for i in n.interfaces:
            for a in i.addresses:
                add(a.address, n.id)
    for net in atlas.networks:
        for att in net.attachments:
            add(att.address, att.node)
    return own, foreign


class Fence:
    """The one check before any probe is sent.

    Args:
        atlas: the machine's map (its nodes' addresses).
        ask: the kernel's route at a node (see :data:`Ask`); ``None`` where no kernel
            can be asked (Windows, macOS: only rules 1 and 2 apply).
    """

    def __init__(self, atlas: Atlas, ask: Ask | None = None) -> None:
        self.own, self.foreign = own_addresses(atlas)
        self._ask = ask
        self._links: dict[str, list[Any]] = {}  # node → the networks it is attached to
        for net in atlas.networks:
            for att in net.attachments:
                self._links.setdefault(att.node, []).append(net.cidr)

    def static(self, address: IPAddress) -> str | None:
        """Rules 1 and 2: ``None`` when allowed, else why not."""
        if address.is_loopback:
            return None
        if address.is_unspecified or address.is_multicast or address.is_link_local or address.is_reserved:
            return f"{address} is not a unicast address of this machine"
        if address in self.foreign:
            return f"{address} is also held outside this machine (a router, the VPN's far side)"
        if address not in self.own:
            return f"{address} is not an address of this machine's own nodes"
        return None

    def check(self, node: str, address: IPAddress) -> str | None:
        """``None`` when a probe from ``node`` to ``address`` stays on the machine, else why not."""
        why = self.static(address)
        if why is not None or address.is_loopback:
            return why
        if self._ask is None:
            # no kernel to ask (Windows, macOS, a place entered by exec): only the node's own
            # addresses and its own networks, where nothing routes the probe anywhere else
            if node in self.own.get(address, ()) or any(
                address.version == c.version and address in c for c in self._links.get(node, [])
            ):
                return None
            return (
                f"no kernel route can be asked from {node}, and {address} is on none of its own networks: "
                "a route there could leave this machine"
            )
        at = node
        for _ in range(_MAX_STEPS):
            asked = self._ask(at, address)
            if asked is None:
                return f"the route from {at} to {address} cannot be followed (its namespace was not entered)"
            route, link = asked
            if route.type == "error":
                return f"the kernel at {at} could not be asked the route to {address}: {route.error}"
            if route.type == "local" or route.type in ("none", "unreachable", "blackhole", "prohibit"):
                return None  # delivered here, or refused by the kernel before anything is sent
            if link is None or not (link.loopback or link.kind in STAYS):
                kind = "a physical interface" if link is not None and link.kind is None else (link and link.kind)
                return (
                    f"the kernel at {at} sends {address} out {route.interface} ({kind or 'unknown kind'}), "
                    "which can leave this machine"
                )
            if route.gateway is None:
                return None  # on-link, out a veth or bridge, to an address a node of the machine holds
            holders = self.own.get(route.gateway)
            if not holders or route.gateway in self.foreign:
                return f"the kernel at {at} sends {address} via {route.gateway}, which is not this machine's"
            at = sorted(holders)[0]
        return f"the route to {address} takes more than {_MAX_STEPS} steps on this machine"


def fence_for(atlas: Atlas, asks: Mapping[str, Callable[[IPAddress], tuple[KernelRoute, Link | None]]]) -> Fence:
    """A fence whose kernel questions go to ``asks[node]`` (nodes missing there cannot be asked)."""

    def ask(node: str, address: IPAddress) -> tuple[KernelRoute, Link | None] | None:
        fn = asks.get(node)
        return None if fn is None else fn(address)

    return Fence(atlas, ask)
