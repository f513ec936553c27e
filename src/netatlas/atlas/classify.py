"""Decide a network's kind, owner and label from knowledge data, never from literals.

The rules live in ``knowledge/pools.json`` under ``kind_hints``, each with the
source it rests on; a hint matches on one of:

* ``cidr``: the network is exactly this CIDR;
* ``within`` (and optionally ``prefixlen``): the network lies inside this CIDR;
* ``adapter_regex``: a Windows adapter name or description on it matches;
* ``interface_regex``: a Linux/macOS interface name on it matches.

The name conditions of one hint are alternatives; every other condition must hold
as well (``eth0`` *and* a /20 inside 172.16.0.0/12 is WSL's NAT, ``eth0`` alone is
anything). Evidence about the network itself beats defaults: hints that name an
adapter or interface are tried first, then engine networks (a subnet ``docker
network inspect`` reports is a ``docker-bridge`` owned by the engine), then exact
CIDR hints, then ``within`` hints, then the structural rule that a network holding a
host's default gateway is the ``lan``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from netatlas.knowledge import load
from netatlas.model import EngineNetwork, Interface, IPNetwork, VantageKind
from netatlas.model.atlas import Attachment

__all__ = ["Candidate", "Verdict", "classify", "known_address"]


@cache
def _known_addresses() -> dict[str, str]:
    out: dict[str, str] = {}
    for e in load("pools").get("defaults", []):
        cidr = e.get("cidr") or ""
        if cidr.endswith(("/32", "/128")) and e.get("pool"):
            out.setdefault(cidr.split("/")[0], f"{e['engine']} {e['pool']}")
    return out


def known_address(address: object) -> str | None:
    """What a documented default address is (``192.168.65.1`` → Docker Desktop's gateway)."""
    return _known_addresses().get(str(address))


@dataclass
class Candidate:
    """What merge knows about one network before it is classified."""

    cidr: IPNetwork
    attachments: list[Attachment] = field(default_factory=list)
    interfaces: list[tuple[str, Interface, VantageKind | None]] = field(default_factory=list)
    engine: list[EngineNetwork] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decided kind, with the label, owner and the reason (rule and source)."""

    kind: str
    label: str
    owner: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Hint:
    kind: str
    source: str
    owner: str | None
    label: str | None
    cidr: IPNetwork | None = None
    within: IPNetwork | None = None
    prefixlen: int | None = None
    adapter: re.Pattern[str] | None = None
    interface: re.Pattern[str] | None = None

    @property
    def names_something(self) -> bool:
        return self.adapter is not None or self.interface is not None

    def fits(self, cidr: IPNetwork) -> bool:
        """The address conditions (all must hold; none given means any network)."""
        if self.cidr is not None and cidr != self.cidr:
            return False
        if self.within is not None and not (
            cidr.version == self.within.version and cidr.subnet_of(self.within)  # type: ignore[arg-type]
        ):
            return False
        return self.prefixlen is None or cidr.prefixlen == self.prefixlen

    def name_match(self, names: list[tuple[str, bool]]) -> str | None:
        """The first adapter/interface name the hint's patterns match, if any."""
        for name, windows in names:
            if self.adapter is not None and windows and self.adapter.search(name):
                return f"adapter {name!r}"
            if self.interface is not None and not windows and self.interface.fullmatch(name):
                return f"interface {name!r}"
        return None


@cache
def _hints() -> tuple[_Hint, ...]:
    out = []
    for raw in load("pools").get("kind_hints", []):
        m: dict[str, Any] = raw.get("match", {})
        out.append(
            _Hint(
                kind=raw["kind"],
                source=raw.get("source", "?"),
                owner=raw.get("owner"),
                label=raw.get("label"),
                cidr=ipaddress.ip_network(m["cidr"], strict=False) if "cidr" in m else None,
                within=ipaddress.ip_network(m["within"], strict=False) if "within" in m else None,
                prefixlen=int(m["prefixlen"]) if "prefixlen" in m else None,
                adapter=re.compile(m["adapter_regex"], re.I) if "adapter_regex" in m else None,
                interface=re.compile(m["interface_regex"]) if "interface_regex" in m else None,
            )
        )
    return tuple(out)


def _names(c: Candidate) -> list[tuple[str, bool]]:
    """(name, is_windows_adapter) for every interface on the network."""
    out = []
    for _kind, iface, vkind in c.interfaces:
        win = vkind is VantageKind.WINDOWS_HOST
        out.append((iface.name, win))
        if iface.description:
            out.append((iface.description, win))
    return out


def _verdict(h: _Hint, c: Candidate, why: str) -> Verdict:
    label = h.label or next((n for n, _ in _names(c)), None) or str(c.cidr)
    return Verdict(h.kind, label, h.owner, f"{why} ({h.source})")


def classify(c: Candidate) -> Verdict:
    """The kind of the network described by ``c`` and why.

    An engine network keeps the engine's name as its label (``docker network
    z820_default``) whatever rule decided its kind: that is the name users know.
    """
    verdict = _classify(c)
    if c.engine and verdict.owner is None:
        en = c.engine[0]
        return Verdict(verdict.kind, f"docker network {en.name}", "docker-engine", verdict.reason)
    return verdict


def _classify(c: Candidate) -> Verdict:
    hints = _hints()
    names = _names(c)
    for h in hints:
        if h.names_something and h.fits(c.cidr):
            hit = h.name_match(names)
            if hit is not None:
                return _verdict(h, c, f"{hit} on {c.cidr} matches the {h.kind} rule")
    if c.engine:
        en = c.engine[0]
        return Verdict(
            "docker-bridge" if (en.driver or "bridge") == "bridge" else "unknown",
            f"docker network {en.name}",
            "docker-engine",
            f"subnet of engine network {en.name!r} ({en.driver or 'bridge'} driver)",
        )
    for h in hints:
        if not h.names_something and h.cidr is not None and h.fits(c.cidr):
            return _verdict(h, c, f"{c.cidr} is the documented default")
    for h in hints:
        if not h.names_something and h.cidr is None and h.within is not None and h.fits(c.cidr):
            return _verdict(h, c, f"{c.cidr} lies in {h.within}")
    for kind, iface, _vk in c.interfaces:
        if kind in ("host",) and any(g in c.cidr for g in iface.gateways):
            return Verdict("lan", iface.name, None, f"holds the default gateway of {iface.name}")
    if any(a.node.startswith("node:router:") for a in c.attachments):
        label = next((n for n, _ in names), str(c.cidr))
        return Verdict("lan", label, None, "holds a host's default gateway (a router)")
    return Verdict("unknown", next((n for n, _ in names), str(c.cidr)), None, "no knowledge rule matched")
