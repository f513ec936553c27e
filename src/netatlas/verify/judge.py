"""Each probe's outcome against the atlas's prediction for the same source, destination and port.

TCP: :func:`netatlas.reach.why` from the place's vantage to the address and port. Its
answer is turned into what a connect would see (:func:`expect`), and the connect's
outcome into one of ``open``, ``refused``, ``timeout`` (no answer: dropped),
``no-route`` (``ENETUNREACH``/``EADDRNOTAVAIL``: the place itself has no route, nothing
was sent) or ``unreachable`` (an ICMP unreachable came back):

===============================================  ===========  =================  =====================
``why`` says                                     expect       agrees with        unknown with
===============================================  ===========  =================  =====================
``delivered``, every filter judged               open         open
``delivered`` past filters it did not read       open-unread  open               refused, timeout,
(``unread``: as far as netatlas can see)                                         unreachable
stopped by a filter (a ``filter`` hop)           filtered     timeout,
                                                              unreachable
stopped: nothing listens there, a bind or a      refused      refused
forward on another address only
stopped: no route                                no-route     no-route,
                                                              unreachable
stopped: no node holds the address               no-answer    timeout, no-route,
                                                              unreachable
any other stop                                   stopped      all but open
``unknown``, arrived at a node whose listeners   arrives                         all but no-route
netatlas has no list of
any other ``unknown``                            unknown                         everything
===============================================  ===========  =================  =====================

Anything else disagrees. An *unknown* is neither an agreement nor a disagreement and is
counted apart: the atlas does not claim it. Where ``why`` only says the packet
arrives, a kernel with no route for it (``no-route``) still contradicts that much.

Names: the scan's own answer from that resolver (the ``dns`` name records of the
vantage) against the same question asked again: the same set of addresses, or
neither found.

Routes: the kernel's answer (RTM_GETROUTE) against :func:`netatlas.reach.walk._route`,
the walk's own longest-prefix match at the place's node: output interface and gateway
the same, the kernel's source address one of that interface's (or the route's own
``src``); an address the node holds is ``local``; no route is no route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netatlas.model import IPAddress
from netatlas.model.atlas import Atlas
from netatlas.reach.result import PathResult
from netatlas.reach.walk import _route
from netatlas.reach.world import _World
from netatlas.verify.door import Observed
from netatlas.verify.kernel import KernelRoute

__all__ = ["Check", "expect", "judge_name", "judge_route", "judge_tcp"]

_AGREES = {
    "open": {"open"},
    "open-unread": {"open"},
    "refused": {"refused"},
    "filtered": {"timeout", "unreachable"},
    "no-route": {"no-route", "unreachable"},
    "no-answer": {"timeout", "no-route", "unreachable"},
    "stopped": {"refused", "timeout", "no-route", "unreachable"},
}
_UNKNOWN = {
    "open-unread": {"refused", "timeout", "unreachable"},
    "arrives": {"open", "refused", "timeout", "unreachable"},
    "unknown": {"open", "refused", "timeout", "no-route", "unreachable"},
}
_NO_ROUTE = frozenset({"ENETUNREACH", "EADDRNOTAVAIL"})
_SAYS = {
    "open": "delivered (open)",
    "open-unread": "delivered past unread filters",
    "arrives": "arrives; accepted? unknown",
    "refused": "refused (nothing listens there)",
    "filtered": "filtered (no answer)",
    "no-route": "no route",
    "no-answer": "no answer (no node holds it)",
    "stopped": "does not arrive",
    "unknown": "unknown",
    "beyond": "leaves the map",
}


@dataclass(frozen=True)
class Check:
    """One probe, what the atlas predicted, what was seen, and whether they agree.

    ``result``: ``agree``, ``disagree`` or ``unknown`` (the atlas does not say: not an
    agreement, not a disagreement). ``hop``: the hop that decided the prediction (the
    last hop ``why`` walked, or the route the walk matched).
    """

    probe: str
    place: str
    target: str
    predicted: str
    observed: str
    result: str
    hop: str = ""
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The record of the JSON report."""
        out: dict[str, Any] = {
            "probe": self.probe,
            "from": self.place,
            "to": self.target,
            "predicted": self.predicted,
            "observed": self.observed,
        }
        if self.hop:
            out["hop"] = self.hop
        if self.why:
            out["why"] = self.why
        return out


def expect(r: PathResult) -> str:
    """What a TCP connect sees, by ``why``'s answer (see the module table)."""
    last = r.hops[-1] if r.hops else None
    if r.verdict == "delivered":
        return "open-unread" if r.unread else "open"
    if r.verdict == "unknown":
        return "arrives" if last is not None and last.note.startswith("arrives at") else "unknown"
    if r.verdict == "beyond":
        return "beyond"
    if last is None:
        return "stopped"
    if last.action == "filter":
        return "filtered"
    note = last.note
    if note.startswith(("nothing listens on port", "the service listens on", "port ")) and (
        note.startswith("nothing") or " only" in note
    ):
        return "refused"
    if note.startswith("no route to"):
        return "no-route"
    if "no node holds" in note:
        return "no-answer"
    return "stopped"


def _hop_text(atlas_world: _World, r: PathResult) -> str:
    last = r.hops[-1] if r.hops else None
    if last is None:
        return r.reason or ""
    where = atlas_world.label(last.node) if last.node else "outside the map"
    text = f"{where}: {last.note}"
    if r.unread:
        text += f" (past unread filters: {', '.join(r.unread)})"
    return text


def judge_tcp(world: _World, place: str, address: IPAddress, port: int, r: PathResult, obs: Observed) -> Check:
    """A TCP probe against ``why``'s answer ``r``."""
    target = f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"
    want = expect(r)
    seen = "no-route" if obs.status == "unreachable" and obs.detail in _NO_ROUTE else obs.status
    shown = seen + (f" ({obs.detail})" if obs.detail and obs.status in ("error", "unreachable") else "")
    if seen in _AGREES.get(want, set()):
        result = "agree"
    elif seen in _UNKNOWN.get(want, set()):
        result = "unknown"
    else:
        result = "disagree"
    why = "" if result == "agree" else (r.reason or "")
    return Check("tcp", place, target, _SAYS[want], shown, result, _hop_text(world, r), why)


def judge_name(place: str, server: IPAddress, name: str, expected: tuple[IPAddress, ...], obs: Observed) -> Check:
    """A name asked again of the same resolver against the scan's answer."""
    pred = ", ".join(map(str, expected)) if expected else "not found"
    seen = ", ".join(map(str, obs.addresses)) if obs.status == "found" else obs.status
    if obs.status == "error":
        seen = f"error ({obs.detail})"
    same = set(obs.addresses) == set(expected) if obs.status in ("found", "not-found") else False
    return Check(
        "name",
        place,
        f"{name} @{server}",
        pred,
        seen,
        "agree" if same else "disagree",
        f"the scan's answer from {server}",
    )


def predicted_route(world: _World, node: str, address: IPAddress) -> tuple[str, KernelRoute, set[IPAddress]]:
    """(the walk's note, the route as the kernel would say it, the source addresses that fit)."""
    n = world.nodes[node]
    if any(nid == node for nid, _i in world.held.get(address, [])):
        return f"{address} is {n.name}'s own address", KernelRoute("local"), set()
    got = _route(world, n, address)
    if got is None:
        return f"no route to {address} at {n.name}", KernelRoute("none"), set()
    gw, iface, note = got
    sources = {
        x.address
        for i in n.interfaces
        if i.name == iface
        for x in i.addresses
        if x.address is not None and x.address.version == address.version
    }
    for r in n.routes:  # the route's own src (prefsrc), when it has one
        if r.source is not None and r.interface == iface and address in r.destination:
            sources = {r.source}
            break
    return note, KernelRoute("unicast", iface, gw), sources


def judge_route(world: _World, place: str, node: str, address: IPAddress, kernel: KernelRoute) -> Check:
    """The kernel's route answer against the walk's longest-prefix match."""
    note, want, sources = predicted_route(world, node, address)
    if want.type == "local":
        ok = kernel.type == "local"
    elif want.type == "none":
        ok = kernel.type in ("none", "unreachable", "blackhole", "prohibit")
    else:
        ok = (
            kernel.type == "unicast"
            and kernel.interface == want.interface
            and kernel.gateway == want.gateway
            and (not sources or kernel.source is None or kernel.source in sources)
        )
    if kernel.type == "error":
        return Check("route", place, str(address), want.text(), kernel.text(), "unknown", note)
    return Check("route", place, str(address), want.text(), kernel.text(), "agree" if ok else "disagree", note)


def world_of(atlas: Atlas) -> _World:
    """The atlas indexed for walking (shared by every judgement of a run)."""
    return _World(atlas)
