"""Per-vantage observations: every parsed fact of one vantage, merged and completed.

An :class:`Observation` gathers the :class:`~netatlas.model.Facts` of all evidence
taken from one vantage and answers the questions merge asks of it (its interfaces
with cut-out addresses filled in from routes, its hosts entries with the file they
came from, …). Pure: built from a bundle's evidence, touches nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

from netatlas.errors import NetatlasError
from netatlas.model import (
    Address,
    Container,
    DnsConfig,
    EngineNetwork,
    Evidence,
    Facts,
    Forward,
    Hop,
    HostEntry,
    Interface,
    IPAddress,
    Listener,
    NameAnswer,
    Route,
    Vantage,
)
from netatlas.model.atlas import Problem
from netatlas.model.facts import Neighbour
from netatlas.model.firewall import Ruleset

__all__ = ["Observation", "observe"]


@dataclass
class Observation:
    """What one vantage saw, merged across its evidence."""

    vantage: Vantage
    interfaces: dict[str, Interface] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    dns: DnsConfig = field(default_factory=DnsConfig)
    dns_evidence: str | None = None
    hosts: list[tuple[HostEntry, Evidence]] = field(default_factory=list)
    answers: list[tuple[NameAnswer, Evidence]] = field(default_factory=list)
    forwards: list[tuple[Forward, Evidence]] = field(default_factory=list)
    listeners: list[tuple[Listener, Evidence]] = field(default_factory=list)
    networks: list[tuple[EngineNetwork, Evidence]] = field(default_factory=list)
    containers: list[tuple[Container, Evidence]] = field(default_factory=list)
    hops: list[tuple[Hop, Evidence]] = field(default_factory=list)
    neighbours: list[tuple[Neighbour, Evidence]] = field(default_factory=list)
    """The vantage's ARP/NDP table: which MAC answers at which address (the gateway's)."""
    firewall: list[tuple[Ruleset, Evidence]] = field(default_factory=list)
    """Packet filter rulesets read from this vantage (iptables-save, nft -j, Windows Firewall)."""
    settings: dict[str, object] = field(default_factory=dict)
    settings_evidence: dict[str, str] = field(default_factory=dict)
    """Which evidence each setting was taken from (the first that gave it)."""
    kinds: set[str] = field(default_factory=set)
    partial_metrics: list[Route] = field(default_factory=list)
    """Routes whose metric is the route's own only (``Get-NetRoute``'s ``RouteMetric``):
    :meth:`finish` adds their interface's metric, as Windows compares them."""

    def add(self, ev: Evidence, facts: Facts) -> None:
        """Fold one evidence's facts into the observation."""
        self.kinds.add(ev.kind)
        if facts.settings.get("route_metric_only") is True:
            self.partial_metrics.extend(facts.routes)
        for iface in facts.interfaces:
            old = self.interfaces.get(iface.name)
            self.interfaces[iface.name] = iface if old is None else _merge_iface(old, iface)
        if facts.routes:
            known = set(self.routes)  # a set, not a scan of the list per route (a host has hundreds)
            for r in facts.routes:
                if r not in known:
                    known.add(r)
                    self.routes.append(r)
        if facts.dns.servers or facts.dns.search or facts.dns.generated_by:
            self.dns = facts.dns
            self.dns_evidence = ev.id
        self.hosts.extend((h, ev) for h in facts.hosts)
        self.answers.extend((a, ev) for a in facts.answers)
        self.forwards.extend((f, ev) for f in facts.forwards)
        self.listeners.extend((li, ev) for li in facts.listeners)
        self.networks.extend((n, ev) for n in facts.networks)
        self.containers.extend((c, ev) for c in facts.containers)
        self.hops.extend((h, ev) for h in facts.hops)
        self.neighbours.extend((nb, ev) for nb in facts.neighbours)
        self.firewall.extend((rs, ev) for rs in facts.firewall)
        for key, value in facts.settings.items():
            if key == "route_metric_only":
                continue
            held = self.settings.get(key)
            if key == "interface_metrics" and isinstance(value, dict) and isinstance(held, dict):
                self.settings[key] = {f: {**_map(value.get(f)), **_map(held.get(f))} for f in {*held, *value}}
                continue
            self.settings.setdefault(key, value)
            self.settings_evidence.setdefault(key, ev.id)

    def finish(self) -> None:
        """Complete what needs every evidence: the effective metric of ``Get-NetRoute`` routes.

        Windows compares a route's ``RouteMetric`` plus its interface's metric
        (``Get-NetIPInterface``); without the sum a VPN's default route and Wi-Fi's
        (both ``RouteMetric`` 0) would tie and the first would win.
        """
        self._place_fib_addresses()
        metrics = self.settings.get("interface_metrics")
        if not self.partial_metrics or not isinstance(metrics, dict):
            return
        partial = set(self.partial_metrics)
        out: list[Route] = []
        for r in self.routes:
            if r in partial and r.metric is not None and r.interface is not None:
                per = metrics.get("inet" if r.destination.version == 4 else "inet6")
                extra = per.get(r.interface) if isinstance(per, dict) else None
                if isinstance(extra, int) and not isinstance(extra, bool):
                    r = replace(r, metric=r.metric + extra)
            if r not in out:
                out.append(r)
        self.routes = out
        self.partial_metrics = []

    def _place_fib_addresses(self) -> None:
        """Put ``/proc/net/fib_trie``'s local addresses on their interfaces.

        The trie has no interface names (BusyBox userlands such as Docker Desktop's
        ``docker-desktop`` distro give no ``ip -j address``); the connected route of the
        address's network (``/proc/net/route``: ``192.168.65.0/24 dev eth0``, no gateway)
        names the interface. A loopback address goes on ``lo``; an address without a
        connected route is left out rather than guessed.
        """
        found = self.settings.get("fib_local_addresses")
        if not isinstance(found, list):
            return
        held = {a.address for i in self.interfaces.values() for a in i.addresses}
        for item in found:
            if not isinstance(item, dict) or not isinstance(item.get("prefixlen"), int):
                continue
            addr = ipaddress.ip_address(str(item["address"]))
            if addr in held:
                continue
            net = ipaddress.ip_network(f"{addr}/{item['prefixlen']}", strict=False)
            name = "lo" if addr.is_loopback else None
            name = name or next(
                (r.interface for r in self.routes if r.destination == net and r.gateway is None and r.interface),
                None,
            )
            if name is None:
                continue
            old = self.interfaces.get(name, Interface(name=name))
            self.interfaces[name] = replace(old, addresses=(*old.addresses, Address(addr, net.prefixlen, "inet")))
            held.add(addr)

    def neighbour_mac(self, address: IPAddress, interface: str | None = None) -> str | None:
        """The MAC this vantage's neighbour table holds for ``address`` (on ``interface``), if any."""
        for nb, _ev in self.neighbours:
            if nb.address == address and nb.mac and (interface is None or nb.interface in (None, interface)):
                return nb.mac
        return None

    def completed_interfaces(self) -> tuple[Interface, ...]:
        """Interfaces with cut-out IPv4 addresses filled from connected routes.

        A redacted ``inet  brd  scope global eth0`` leaves an address of ``None``; the
        kernel's connected route (``172.25.144.0/20 dev eth0 scope link src
        172.25.150.37``) still says what it was, so the map can place the interface.
        """
        out = []
        for iface in self.interfaces.values():
            addrs = list(iface.addresses)
            for i, a in enumerate(addrs):
                if a.address is not None:
                    continue
                for r in self.routes:
                    if (
                        r.interface == iface.name
                        and r.source is not None
                        and r.source.version == (4 if a.family == "inet" else 6)
                        and r.source in r.destination
                        and r.destination.prefixlen < r.destination.max_prefixlen
                        and not any(x.address == r.source for x in addrs)
                    ):
                        addrs[i] = Address(r.source, r.destination.prefixlen, a.family)
                        break
            out.append(replace(iface, addresses=tuple(addrs)))
        return tuple(out)


def _map(value: object) -> dict[str, object]:
    return dict(value) if isinstance(value, dict) else {}


def _merge_iface(old: Interface, new: Interface) -> Interface:
    """Union two views of one interface; known values beat unknown ones."""
    known = [a for a in old.addresses if a.address is not None]
    addrs = list(old.addresses)
    for a in new.addresses:
        if a.address is None:
            if not any(x.address is None and x.family == a.family for x in addrs) and not known:
                addrs.append(a)
            continue
        if a not in addrs:
            addrs = [x for x in addrs if not (x.address is None and x.family == a.family)]
            addrs.append(a)
    return Interface(
        name=old.name,
        description=old.description or new.description,
        mac=old.mac or new.mac,
        mtu=old.mtu or new.mtu,
        up=old.up if old.up is not None else new.up,
        addresses=tuple(addrs),
        gateways=tuple(dict.fromkeys(old.gateways + new.gateways)),
        dns_servers=tuple(dict.fromkeys(old.dns_servers + new.dns_servers)),
        type=old.type or new.type,
        index=old.index if old.index is not None else new.index,
    )


def observe(
    vantages: tuple[Vantage, ...], evidence: tuple[Evidence, ...]
) -> tuple[dict[str, Observation], list[Problem]]:
    """Parse every evidence with its kind's parser; failures become problems.

    A failed source, an unknown kind or a parse error is recorded and skipped: the
    map is drawn from what did parse.
    """
    from netatlas.parsers import parse

    obs = {v.id: Observation(v) for v in vantages}
    problems: list[Problem] = []
    for ev in evidence:
        if ev.failure is not None:
            problems.append(Problem(ev.id, ev.vantage, ev.failure.code, ev.failure.message))
            continue
        if not ev.data.strip(b" \t\r\n\x00\xff\xfe") and (ev.exit_code in (0, None)):
            continue  # a command that succeeded and printed nothing (no portproxy rules) has no facts
        if ev.vantage not in obs:
            problems.append(Problem(ev.id, ev.vantage, "unknown-vantage", "no such vantage"))
            continue
        try:
            facts = parse(ev.kind, ev.content(), source=ev.id)  # in its recorded encoding
        except NetatlasError as exc:
            problems.append(Problem(ev.id, ev.vantage, "parse-error", str(exc)))
            continue
        obs[ev.vantage].add(ev, facts)
    for o in obs.values():
        o.finish()
    return obs, problems
