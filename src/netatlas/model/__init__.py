"""The netatlas data model: evidence, vantages and parsed facts.

The evidence classes are imported on first use (PEP 562): ``netatlas parse`` needs
only the facts, and each frozen dataclass costs its share of the CLI's start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netatlas.model.facts import (
    Address,
    Container,
    Distro,
    DnsConfig,
    EngineNetwork,
    Facts,
    Family,
    Forward,
    Hop,
    HostEntry,
    Interface,
    IPAddress,
    IPNetwork,
    Listener,
    Member,
    NameAnswer,
    Neighbour,
    PublishedPort,
    Route,
    Warning,
    family_of,
    hostport,
)

if TYPE_CHECKING:
    from netatlas.model.evidence import Evidence, Failure, Vantage, VantageKind

_LAZY = {"Evidence", "Failure", "Vantage", "VantageKind"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from netatlas.model import evidence

        return getattr(evidence, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Address",
    "Container",
    "Distro",
    "DnsConfig",
    "EngineNetwork",
    "Evidence",
    "Facts",
    "Failure",
    "Family",
    "Forward",
    "Hop",
    "HostEntry",
    "IPAddress",
    "IPNetwork",
    "Interface",
    "Listener",
    "Member",
    "NameAnswer",
    "Neighbour",
    "PublishedPort",
    "Route",
    "Vantage",
    "VantageKind",
    "Warning",
    "family_of",
    "hostport",
]
