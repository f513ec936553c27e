"""What changed between two atlases: networks, routes, names and findings.

The typical question is "VPN on against VPN off": which routes and networks came
with the VPN, which names now answer differently, which findings appeared.
"""

from __future__ import annotations

from dataclasses import dataclass

from netatlas.model.atlas import Atlas
from netatlas.model.facts import _Model

__all__ = ["AtlasDiff", "diff_atlases"]


@dataclass(frozen=True, slots=True)
class AtlasDiff(_Model):
    """Items that appeared in B or vanished from A, as short readable strings."""

    networks_added: tuple[str, ...] = ()
    networks_removed: tuple[str, ...] = ()
    routes_added: tuple[str, ...] = ()
    routes_removed: tuple[str, ...] = ()
    names_added: tuple[str, ...] = ()
    names_removed: tuple[str, ...] = ()
    findings_added: tuple[str, ...] = ()
    findings_removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not any(getattr(self, f) for f in self.__slots__)


def _networks(a: Atlas) -> set[str]:
    return {f"{n.cidr} [{n.kind}] {n.label}" for n in a.networks}


def _routes(a: Atlas) -> set[str]:
    out = set()
    for node in a.nodes:
        for r in node.routes:
            if r.type in ("local", "broadcast", "multicast"):
                continue
            via = f" via {r.gateway}" if r.gateway else ""
            dev = f" dev {r.interface}" if r.interface else ""
            out.add(f"{node.name}: {r.destination}{via}{dev}")
    return out


def _names(a: Atlas) -> set[str]:
    return {f"{n.vantage}: {n.name} -> {', '.join(map(str, n.addresses)) or '(none)'} ({n.source})" for n in a.names}


def _findings(a: Atlas) -> set[str]:
    return {f"{f.code}: {f.title}" for f in a.findings}


def diff_atlases(a: Atlas, b: Atlas) -> AtlasDiff:
    """What is in ``b`` but not ``a`` (added) and in ``a`` but not ``b`` (removed)."""
    parts = {}
    for name, fn in (
        ("networks", _networks),
        ("routes", _routes),
        ("names", _names),
        ("findings", _findings),
    ):
        old, new = fn(a), fn(b)
        parts[f"{name}_added"] = tuple(sorted(new - old))
        parts[f"{name}_removed"] = tuple(sorted(old - new))
    return AtlasDiff(**parts)
