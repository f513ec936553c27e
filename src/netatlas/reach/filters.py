"""The filters that decide at a node, behind one interface.

A packet that enters a node from another (a container's packet reaching the host, the
LAN reaching a published port) crosses that node's packet filter at a *hook*:

* ``bridge``: between two containers on one bridge (Docker filters these frames when
  ICC is off);
* ``forward``: routed through the node, from one network to another;
* ``publish``: arriving at a published port (DNAT, or docker-proxy relaying it);
* ``input``: delivered to the node's own address;
* ``output``: leaving the node that sent it (its ``OUTPUT`` chain), where the path
  starts, when the packet goes to another node. Not met by a LAN sender (another
  device: its filter is not this machine's) nor by the Windows host (Windows Firewall
  allows outbound by default, and netatlas reads its inbound rules).

Each :class:`Authority` judges the crossings it has evidence for and says nothing
(``None``) about the rest. They are asked in order, and the first verdict decides: a
packet filter that was read (iptables, nftables, Windows Firewall: one module per
dialect) before the engine semantics (:mod:`netatlas.reach.engine`), which stand in
where no ruleset was read. A crossing at a host or VM that no authority judges is
*unread*: the path is delivered only as far as netatlas can see, and ``why`` says which
filters it did not read. A container's own filter is taken as empty: engines program
none there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from netatlas.model.atlas import Network, Node, PortForward
from netatlas.model.facts import IPAddress

if TYPE_CHECKING:
    from netatlas.reach.world import _World

__all__ = ["AUTHORITIES", "Authority", "Crossing", "Decision", "Hook", "Verdict", "judge", "unread_filter"]

Hook = Literal["bridge", "forward", "publish", "input", "output"]
Decision = Literal["accept", "drop", "unknown"]

FILTERING_KINDS = frozenset({"host", "vm", "distro"})
"""Node kinds whose own packet filter may decide (a container's is taken as empty)."""


@dataclass(frozen=True)
class Crossing:
    """One packet meeting one node's filter.

    Args:
        node: where the filter runs (for ``bridge``, the node that owns the bridge).
        hook: which hook (see the module docstring).
        src_node: the node the packet started from (or was last relayed by).
        dst: its destination address at this point (after DNAT for ``forward``).
        port: its TCP destination port, if any.
        in_net: the network it arrived on (``None``: unknown, or the node's own).
        out_net: the network it leaves by (``forward``, ``bridge``, ``output``).
        forward: for ``publish``, the published port it enters by.
        target_net: for ``publish``, the network of the container it is relayed to.
        src: the packet's source address where the walk knows it (else the sender's
            address on ``in_net`` is taken).
        in_iface: the node's interface it arrives on, where the walk knows it.
        out_iface: the node's interface it leaves by, where the walk knows it.
    """

    node: Node
    hook: Hook
    src_node: str | None
    dst: IPAddress
    port: int | None
    in_net: Network | None = None
    out_net: Network | None = None
    forward: PortForward | None = None
    target_net: Network | None = None
    src: IPAddress | None = None
    in_iface: str | None = None
    out_iface: str | None = None


@dataclass(frozen=True)
class Verdict:
    """An authority's answer for one crossing.

    Args:
        decision: ``accept``, ``drop``, or ``unknown`` (the rule that decides is one
            netatlas does not model: the answer must not be guessed).
        rule: the rule as the evidence has it, or the engine behaviour it stands for.
        authority: who decided (``Docker Engine 20.10 semantics``, ``iptables-save``).
        evidence: the evidence id the verdict rests on.
        fixes: what would let the packet through, most direct first (for ``drop``).
    """

    decision: Decision
    rule: str
    authority: str
    evidence: str | None = None
    fixes: tuple[str, ...] = ()


class Authority(Protocol):
    """Something that can judge crossings: a ruleset dialect, or an engine's semantics."""

    def judge(self, world: _World, crossing: Crossing) -> Verdict | None:
        """The verdict for ``crossing``, or ``None`` when this authority has no say in it."""
        ...


def _authorities() -> Sequence[Authority]:
    from netatlas.reach.engine import DockerSemantics
    from netatlas.reach.podman import PodmanSemantics
    from netatlas.reach.rulesets import ReadRulesets

    return (ReadRulesets(), DockerSemantics(), PodmanSemantics())


AUTHORITIES: list[Authority] = []
"""Extra authorities asked before the built-in ones (a ruleset dialect registers here)."""


def judge(world: _World, crossing: Crossing) -> Verdict | None:
    """The first verdict of the authorities, in order; ``None`` when none has a say."""
    for authority in (*AUTHORITIES, *_authorities()):
        verdict = authority.judge(world, crossing)
        if verdict is not None:
            return verdict
    return None


def unread_filter(crossing: Crossing) -> str | None:
    """How to name the filter a crossing met that no authority judged, or ``None`` if it has none."""
    node = crossing.node
    if node.kind not in FILTERING_KINDS:
        return None
    return f"the packet filter of {node.name} ({crossing.hook})"
