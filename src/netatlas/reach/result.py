"""What :func:`netatlas.reach.why` answers: the path's hops, the result, and a diagnosis."""

from __future__ import annotations

from dataclasses import dataclass

from netatlas.model.facts import IPAddress, _Model

__all__ = ["LAN", "LEAVES_MAP", "Diagnosis", "Hop", "PathResult"]

LAN = "lan"
"""The default vantage of a reachability question: any other device on the LAN."""

LEAVES_MAP = "the path leaves the map at"
"""How a ``PathResult.reason`` begins when the path goes where netatlas cannot see
(the internet, beyond an inferred router): not reached as far as the map shows, but
not refused either."""


@dataclass(frozen=True, slots=True)
class Hop(_Model):
    """One step of a path.

    Args:
        node: the node id where it happens (``None`` for a place outside the map).
        interface: the interface used, when known.
        address: the address the packet is addressed to at this step.
        action: ``start``, ``route``, ``nat``, ``forward``, ``deliver``, ``stop``,
            ``filter`` (a packet filter or the engine's rules drop it; the note names
            the rule and who decided) or ``unknown`` (netatlas cannot tell what
            happens here, and says why).
        note: what happened, in plain words.
    """

    node: str | None
    interface: str | None
    address: IPAddress | None
    action: str
    note: str


@dataclass(frozen=True, slots=True)
class PathResult(_Model):
    """The answer of :func:`why`.

    Args:
        src: the source as asked, and ``dst`` the destination as asked.
        port: the TCP port, if one was asked.
        address: the destination address of the path shown.
        entry: the address and port the path enters by (``192.168.1.20:8080`` for a
            container port 80 published as 8080).
        reachable: ``True`` when the packet arrives (and, with a port, something accepts
            it) with every filter on the way judged; ``False`` when it stops; ``None``
            when netatlas cannot say for sure: the path is ``unknown`` somewhere, or it is
            delivered only as far as netatlas can see, past the ``unread`` filters.
        hops: the path shown.
        stopped_at: the node where it stops, when it does not arrive.
        reason: why it stops.
        fixes: concrete remedies (commands or config), most direct first.
        tried: the other ways in that were tried, each with why it failed.
        verdict: ``delivered``, ``stopped``, ``unknown`` (a rule netatlas does not model,
            or a node it has no listener list from, decides), or ``beyond`` (the path
            leaves the map).
        unread: the packet filters on the path shown that netatlas did not read.
    """

    src: str
    dst: str
    port: int | None
    address: IPAddress | None
    reachable: bool | None
    entry: str | None = None
    hops: tuple[Hop, ...] = ()
    stopped_at: str | None = None
    reason: str | None = None
    fixes: tuple[str, ...] = ()
    tried: tuple[str, ...] = ()
    verdict: str = "delivered"
    unread: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """Why a listener cannot be reached from a vantage, and what would fix it."""

    reasons: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
