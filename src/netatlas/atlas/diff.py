"""What changed between two atlases: networks, routes, names and findings.

The typical question is "VPN on against VPN off": which routes and networks came
with the VPN, which names now answer differently, which findings appeared.
"""

from __future__ import annotations

from dataclasses import dataclass

from netatlas.model.atlas import Atlas
from netatlas.model.facts import _Model

__all__ = ["SECTION_KINDS", "AtlasDiff", "diff_atlases", "uncollected"]

#: The evidence kinds each section of a diff comes from. A scan with none of a
#: section's kinds (``scan --only ip-addr-json``) did not look, so what it lacks there
#: was not removed: the diff says the scan did not collect it instead.
SECTION_KINDS: dict[str, frozenset[str]] = {
    "networks": frozenset(
        {
            "ip-addr",
            "ip-addr-json",
            "ifconfig",
            "ipconfig",
            "ps-netipaddress",
            "ps-netadapter",
            "docker-network-inspect",
            "kubectl-pods-json",
        }
    ),
    "routes": frozenset({"ip-route", "ip-route-json", "route-print", "netstat-rn", "ps-netroute"}),
    "names": frozenset({"hosts", "nslookup", "host", "getent-hosts", "dns-answers-json"}),
}


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
    not_collected: tuple[str, ...] = ()
    """Sections one scan did not collect (``names``: B was ``scan --only ip-addr-json``):
    their differences are left out, not reported as removed or added."""

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not any(getattr(self, f) for f in self.__slots__ if f != "not_collected")


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


def uncollected(kinds: set[str]) -> set[str]:
    """The diff sections a scan with these evidence kinds did not collect.

    Example:
        >>> sorted(uncollected({"ip-addr-json"}))
        ['names', 'routes']
    """
    return {section for section, wanted in SECTION_KINDS.items() if not kinds & wanted}


def diff_atlases(a: Atlas, b: Atlas, *, skipped: dict[str, str] | None = None) -> AtlasDiff:
    """What is in ``b`` but not ``a`` (added) and in ``a`` but not ``b`` (removed).

    Args:
        a: the older atlas; ``b`` the newer.
        skipped: section → which scan did not collect it (``{"names": "B"}``, from
            :func:`uncollected` of each bundle's evidence kinds); those sections are
            left out and listed in ``not_collected``.
    """
    skipped = skipped or {}
    parts: dict[str, tuple[str, ...]] = {}
    for name, fn in (
        ("networks", _networks),
        ("routes", _routes),
        ("names", _names),
        ("findings", _findings),
    ):
        if name in skipped:
            continue
        old, new = fn(a), fn(b)
        parts[f"{name}_added"] = tuple(sorted(new - old))
        parts[f"{name}_removed"] = tuple(sorted(old - new))
    parts["not_collected"] = tuple(f"{name} (scan {who} did not collect them)" for name, who in sorted(skipped.items()))
    return AtlasDiff(**parts)
