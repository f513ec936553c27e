"""Verify the atlas against reality: scan a lab, predict every probe, run it, compare.

For each probe of :func:`~netatlas.lab.probes.plan_probes` the atlas predicts an
outcome, and the probe, run for real inside the lab, observes one:

* ``ping`` and ``tcp``: :func:`netatlas.reach.why` walks the path. The prediction is
  the node where it is delivered (a TCP probe must be answered by that node's service:
  every lab service answers with a banner naming its node), ``stop`` (it does not
  arrive), or ``beyond`` (the path leaves the map through a gateway netatlas cannot
  see past; then any answer from outside the map, or none, agrees, and an answer from
  a node the map does know is a disagreement).
* ``traceroute``: the nodes the walk passes, in order, against the nodes whose
  addresses answer ``traceroute -n`` (a path that stops may fall silent early).
* ``name``: :func:`netatlas.names.resolve`'s first answer for the vantage (address, and
  whether a hosts file or DNS gave it) against ``getent hosts`` in the namespace (and
  ``getent -s files hosts`` to tell which of the two answered).

A TCP probe aimed at a service that is answered by another node is also listed as
*misdelivered*: traffic really going to the wrong place, e.g. a VPN address that lands
on the local Docker bridge. The atlas may well predict that correctly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from netatlas.lab.probes import MAX_PROBES, Observed, Probe, plan_probes, run_probes
from netatlas.lab.topology import Topology
from netatlas.model import IPAddress
from netatlas.model.atlas import Atlas

__all__ = ["Check", "Prediction", "Report", "predict", "verify", "verify_topology"]


@dataclass(frozen=True)
class Prediction:
    """What the atlas says a probe will see.

    ``outcome`` is ``reach`` (``node`` is where it is delivered), ``stop``,
    ``beyond`` or ``unknown`` (``why`` cannot tell: a rule it does not model decides,
    so it makes no claim to check); ``path`` the topology nodes passed (traceroute); ``addresses`` and
    ``source`` a name's first answer (``outcome`` ``found`` or ``not-found``).
    """

    outcome: str
    node: str | None = None
    path: tuple[str, ...] = ()
    addresses: tuple[IPAddress, ...] = ()
    source: str | None = None
    why: str = ""


@dataclass(frozen=True)
class Check:
    """One probe, its prediction, what it saw, and whether they agree."""

    probe: Probe
    source: str
    predicted: Prediction
    observed: Observed
    observed_path: tuple[str, ...]
    agree: bool

    @property
    def unknown(self) -> bool:
        """The atlas makes no claim here: neither an agreement nor a disagreement."""
        return self.predicted.outcome == "unknown"

    @property
    def misdelivered(self) -> bool:
        """Aimed at one node's service, answered by another's."""
        return bool(self.probe.aimed) and self.observed.node is not None and self.observed.node not in self.probe.aimed

    def predicted_text(self) -> str:
        """The prediction for people."""
        p = self.predicted
        if self.probe.kind == "name":
            if p.outcome == "not-found":
                return "not found"
            return f"{', '.join(map(str, p.addresses))} ({p.source})"
        if self.probe.kind == "traceroute":
            tail = {"reach": "", "stop": " (stops)", "beyond": " (leaves the map)", "unknown": " (cannot tell)"}[
                p.outcome
            ]
            return " > ".join(p.path) + tail if p.path else f"no hop{tail}"
        if p.outcome == "reach":
            return f"reaches {p.node}"
        if p.outcome == "unknown":
            return "cannot tell"
        return "leaves the map" if p.outcome == "beyond" else "does not arrive"

    def observed_text(self) -> str:
        """The observation for people."""
        o = self.observed
        if self.probe.kind == "name":
            if o.status == "not-found":
                return "not found"
            return f"{', '.join(map(str, o.addresses))} ({o.source})"
        if self.probe.kind == "traceroute":
            shown = [n for n in self.observed_path]
            return " > ".join(shown) if shown else "no hop answered"
        if self.probe.kind == "ping":
            return "reply" if o.status == "reply" else "no reply"
        if o.status == "answered":
            return f"answered by {o.node}"
        return o.status

    def to_dict(self) -> dict[str, Any]:
        """The disagreement record of the JSON report."""
        return {
            "probe": self.probe.kind,
            "from": self.probe.node,
            "to": self.probe.target,
            "predicted": self.predicted_text(),
            "observed": self.observed_text(),
            **({"why": self.predicted.why} if self.predicted.why else {}),
        }


@dataclass(frozen=True)
class Report:
    """Every check of one verify run."""

    lab: str
    checks: tuple[Check, ...]
    skipped: tuple[str, ...] = field(default_factory=tuple)
    missing_tools: tuple[str, ...] = field(default_factory=tuple)
    """Probes not run because their tool is not installed (also in ``skipped``), shown in the table."""

    @property
    def agree(self) -> int:
        """How many checks agree."""
        return sum(1 for c in self.checks if c.agree)

    @property
    def disagreements(self) -> list[Check]:
        """The checks whose observation contradicts a prediction (an unknown one contradicts nothing)."""
        return [c for c in self.checks if not c.agree and not c.unknown]

    @property
    def unknown(self) -> list[Check]:
        """The checks the atlas makes no prediction for, counted apart."""
        return [c for c in self.checks if c.unknown]

    @property
    def misdelivered(self) -> list[Check]:
        """TCP probes answered by another node than the one aimed at."""
        return [c for c in self.checks if c.misdelivered]

    def to_dict(self) -> dict[str, Any]:
        """``{"checks", "agree", "disagreements": [{probe, from, to, predicted, observed}], …}``."""
        by_kind = Counter(c.probe.kind for c in self.checks)
        return {
            "lab": self.lab,
            "checks": len(self.checks),
            "agree": self.agree,
            "disagreements": [c.to_dict() for c in self.disagreements],
            "unknown": len(self.unknown),
            "unknowns": [c.to_dict() for c in self.unknown],
            "misdelivered": [
                {**c.to_dict(), "aimed": list(c.probe.aimed), "answered_by": c.observed.node} for c in self.misdelivered
            ],
            "by_probe": dict(sorted(by_kind.items())),
            "skipped": list(self.skipped),
        }


# ------------------------------------------------------------------ mapping


class _Map:
    """Atlas nodes ↔ topology nodes."""

    def __init__(self, atlas: Atlas, topo: Topology) -> None:
        self.topo = topo
        from netatlas.reach.why import index

        self.world = index(atlas)  # every prediction walks a fork of one indexed atlas
        self.held = topo.addresses()
        self.scanned = {n.name for n in topo.nodes if n.scanned}
        self.of_atlas: dict[str, str] = {}
        self.known: set[IPAddress] = set()
        for n in atlas.nodes:
            name = next((topo.vantage_node(v) for v in n.vantages if topo.vantage_node(v)), None)
            addrs = [a.address for i in n.interfaces for a in i.addresses if a.address is not None]
            self.known.update(a for a in addrs if not a.is_loopback)
            if name is None:
                for a in addrs:
                    holders = self.held.get(a, [])
                    pick = next((h for h in holders if h not in self.scanned), holders[0] if holders else None)
                    if pick is not None:
                        name = pick
                        break
            if name is not None:
                self.of_atlas[n.id] = name
        for net in atlas.networks:
            for att in net.attachments:
                if att.address is not None and att.node in self.of_atlas:
                    self.known.add(att.address)

    def node(self, atlas_node: str | None) -> str | None:
        if atlas_node is None:
            return None
        if atlas_node in self.of_atlas:
            return self.of_atlas[atlas_node]
        if atlas_node.startswith(("ext:", "node:router:")):
            import ipaddress

            try:
                a = ipaddress.ip_address(atlas_node.rsplit(":", 1)[-1])
            except ValueError:
                return atlas_node
            holders = self.held.get(a, [])
            return holders[0] if holders else atlas_node
        return atlas_node

    def hop_node(self, address: IPAddress | None, expected: str | None) -> str | None:
        if address is None:
            return None
        holders = self.held.get(address, [])
        if expected in holders:
            return expected
        return holders[0] if holders else str(address)


# ------------------------------------------------------------------ predicting


def _source_ref(topo: Topology, m: _Map, node: str) -> str | None:
    """How :func:`why` is told where a probe starts (``None``: the map has no such place)."""
    spec = topo.node(node)
    if spec.vantages:
        return spec.vantages[0].id
    # a place the map shows only as a node of its own (the LAN router): ask from its address
    for atlas_node, name in m.of_atlas.items():
        if name == node and atlas_node.startswith("node:router:"):
            return atlas_node.removeprefix("node:router:")
    return None


def predict(atlas: Atlas, topo: Topology, probe: Probe, src: str, m: _Map | None = None) -> Prediction:
    """The atlas' prediction for one probe started from ``src`` (a ``why`` source)."""
    from netatlas.names import resolve
    from netatlas.reach import why

    mm = m or _Map(atlas, topo)
    if probe.kind == "name":
        got = [r for r in resolve(atlas, probe.name or "", src) if r.first]
        if not got:
            return Prediction("not-found")
        r = got[0]
        return Prediction(
            "found", addresses=r.addresses, source="hosts" if r.source == "hosts" else "dns", why=r.provenance
        )
    try:
        res = why(atlas, src, str(probe.address), probe.port if probe.kind == "tcp" else None, world=mm.world)
    except ValueError as exc:
        return Prediction("stop", why=str(exc))
    path: list[str] = []
    for h in res.hops[1:]:
        n = mm.node(h.node)
        if n is not None and n != probe.node and (not path or path[-1] != n):
            path.append(n)
    last = res.hops[-1] if res.hops else None
    if res.verdict == "unknown":
        return Prediction("unknown", path=tuple(path), why=res.reason or "")
    if last is not None and last.action == "deliver":
        return Prediction("reach", mm.node(last.node), tuple(path), why=last.note)
    reason = res.reason or (last.note if last else "")
    if last is not None and "outside the map" in last.note:
        return Prediction("beyond", path=tuple(path), why=reason)
    return Prediction("stop", path=tuple(path), why=reason)


def _observed_path(m: _Map, node: str, pred: Prediction, obs: Observed) -> tuple[str, ...]:
    out: list[str] = []
    for a in obs.hops:
        expected = pred.path[len(out)] if len(out) < len(pred.path) else None
        n = m.hop_node(a, expected)
        if n == node:  # the source itself (a trace to its own address), as in the prediction
            continue
        out.append(n if n is not None else "*")
    while out and out[-1] == "*":
        out.pop()
    return tuple(out)


def _agree(probe: Probe, pred: Prediction, obs: Observed, path: tuple[str, ...], m: _Map) -> bool:
    if probe.kind == "name":
        if pred.outcome == "not-found" or obs.status == "not-found":
            return pred.outcome == obs.status
        return bool(obs.addresses) and obs.addresses[0] in pred.addresses and obs.source == pred.source
    if probe.kind == "ping":
        if pred.outcome == "beyond":
            return True
        return (pred.outcome == "reach") == (obs.status == "reply")
    if probe.kind == "tcp":
        answered = obs.node if obs.status == "answered" else None
        if pred.outcome == "reach":
            return answered == pred.node
        if pred.outcome == "beyond":
            return answered is None or answered not in m.scanned
        return answered is None
    if probe.kind == "traceroute":
        # a '*' (no answer within the wait) is no evidence either way: it matches any node
        def fits(seen: tuple[str, ...], want: tuple[str, ...]) -> bool:
            return len(seen) <= len(want) and all(s in ("*", w) for s, w in zip(seen, want, strict=False))

        inside = pred.path
        if pred.outcome == "reach":
            return len(path) == len(inside) and fits(path, inside) and (not path or path[-1] == inside[-1])
        if pred.outcome == "stop":
            return fits(path, inside)
        # beyond: the part inside the map as predicted, then only places outside it
        return fits(path[: len(inside)], inside) and all(n == "*" or n not in m.scanned for n in path[len(inside) :])
    return False


def verify_topology(
    topo: Topology,
    atlas: Atlas,
    *,
    limit: int = MAX_PROBES,
    workers: int = 16,
) -> Report:
    """Probe a running lab and compare with ``atlas`` (see :func:`verify`)."""
    m = _Map(atlas, topo)
    skipped: list[str] = []
    wanted: list[tuple[Probe, str]] = []
    service_addrs = {li.address for n in topo.nodes if not n.scanned for li in n.listeners}
    service_addrs |= {a for n in topo.nodes if not n.scanned and n.listeners for a in topo.node_addresses(n.name)}
    for p in plan_probes(topo, limit=limit):
        src = _source_ref(topo, m, p.node)
        if src is None:
            skipped.append(f"{p.kind} from {p.node}: the map has no vantage or node there")
            continue
        unknown = p.address is not None and not p.address.is_loopback and p.address not in m.known
        if unknown and not (p.kind in ("tcp", "traceroute") and p.address in service_addrs):
            skipped.append(f"{p.kind} {p.node} -> {p.target}: no node of the map holds it")
            continue
        wanted.append((p, src))
    observed = run_probes(topo, [p for p, _s in wanted], workers=workers)
    checks = []
    missing: Counter[tuple[str, str]] = Counter()
    for (p, src), obs in zip(wanted, observed, strict=False):
        if obs.status == "skipped":  # the tool is not installed: no observation at all
            missing[(p.kind, obs.detail)] += 1
            continue
        pred = predict(atlas, topo, p, src, m)
        path = _observed_path(m, p.node, pred, obs) if p.kind == "traceroute" else ()
        checks.append(Check(p, src, pred, obs, path, _agree(p, pred, obs, path, m)))
    tools = [f"{n} {kind} probes skipped: {why}" for (kind, why), n in missing.items()]
    return Report(topo.name, tuple(checks), tuple(dict.fromkeys([*skipped, *tools])), tuple(tools))


def verify(
    lab: str,
    *,
    mutate: Callable[[Atlas], Atlas] | None = None,
    limit: int = MAX_PROBES,
    workers: int = 16,
) -> Report:
    """Scan the running lab ``lab``, build its atlas, probe it for real and compare.

    Args:
        lab: the name of a lab that is up.
        mutate: applied to the atlas before predicting (tests break it on purpose).
        limit: the most probes to run.
        workers: probes run at once.

    Raises:
        LabError: the lab is not up, or a probe tool is missing.
    """
    from netatlas.atlas import build_atlas
    from netatlas.lab.build import running_topology
    from netatlas.lab.collect import scan_lab

    topo = running_topology(lab)
    atlas = build_atlas(scan_lab(lab))
    if mutate is not None:
        atlas = mutate(atlas)
    return verify_topology(topo, atlas, limit=limit, workers=workers)


def table(report: Report, *, everything: bool = False) -> Sequence[str]:
    """The report as lines of text: every check (or only disagreements), then a summary."""
    rows = [c for c in report.checks if everything or not c.agree or c.misdelivered]
    out = []
    if rows:
        w_from = max(len(c.probe.node) for c in rows)
        w_to = max(len(c.probe.target) for c in rows)
        w_pred = max(len(c.predicted_text()) for c in rows)
        out.append(f"   {'probe':<10} {'from':<{w_from}} {'to':<{w_to}} {'predicted':<{w_pred}} observed")
        for c in rows:
            mark = "ok " if c.agree else "?? " if c.unknown else "XX "
            extra = f"  [misdelivered: aimed at {', '.join(c.probe.aimed)}]" if c.misdelivered else ""
            out.append(
                f"{mark}{c.probe.kind:<10} {c.probe.node:<{w_from}} {c.probe.target:<{w_to}} "
                f"{c.predicted_text():<{w_pred}} {c.observed_text()}{extra}"
            )
        out.append("")
    by = Counter(c.probe.kind for c in report.checks)
    kinds = ", ".join(f"{v} {k}" for k, v in sorted(by.items()))
    out.append(
        f"lab {report.lab}: {len(report.checks)} checks ({kinds}), {report.agree} agree, "
        f"{len(report.disagreements)} disagree, {len(report.unknown)} unknown (no prediction to check), "
        f"{len(report.misdelivered)} misdelivered"
    )
    out += list(report.missing_tools)
    return out
