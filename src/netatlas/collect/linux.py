"""Linux host and its named network namespaces as vantages.

Produces, per vantage: ``ip-addr-json``, ``ip-route-json`` and ``ip-neigh-json`` (the
ARP/NDP neighbour table; netlink, in-process, one socket for all three), its TCP/UDP
listeners with their processes (``sock-diag-json``: netlink ``sock_diag``,
in-process, :mod:`netatlas.collect.sock_diag`; no ``ss`` binary), ``hosts``,
``resolv-conf`` and ``nsswitch-conf`` (``/etc`` for the host; ``/etc/netns/NAME`` for
a namespace, which ``ip netns exec`` bind-mounts over ``/etc``; a namespace without
its own ``nsswitch.conf`` uses the host's), and for the host also systemd-resolved's
upstream ``resolv.conf`` and the system resolver's answers for the names that
matter (``getent hosts``).

The packet filter of the host and of each namespace: ``iptables-save``,
``ip6tables-save`` (kind ``iptables-save``) and ``nft -j list ruleset`` (``nft-json``),
inside a namespace through ``ip netns exec NAME``. They need root (CAP_NET_ADMIN):
without it each is a recorded ``permission-denied`` failure and the scan goes on;
``why`` then lists those filters as not read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache

from netatlas.collect import netlink, sock_diag
from netatlas.collect.base import Planned, Source
from netatlas.collect.firewall_commands import FIREWALL_COMMANDS
from netatlas.collect.names import SPECIAL_NAMES
from netatlas.collect.runner import Result, Runner
from netatlas.model import Vantage, VantageKind

__all__ = ["PLATFORMS", "PRODUCES", "SPECIAL_NAMES", "host_sources", "listeners_source", "netns_sources", "plan"]

PRODUCES = (
    "ip-addr-json",
    "ip-route-json",
    "ip-neigh-json",
    "hosts",
    "resolv-conf",
    "nsswitch-conf",
    "sock-diag-json",
    "getent-hosts",
    "iptables-save",
    "nft-json",
)
PLATFORMS = ("Linux",)


Dump = Callable[[Runner], tuple[Result, Result]]
"""A namespace's (addresses, routes) dump, made on first call and shared after."""


def _shared_dump(ns: str | None) -> Dump:
    """One netlink dump of ``ns`` for every source that needs it (made when first asked)."""
    cache: dict[str, tuple[Result, Result]] = {}
    lock = threading.Lock()  # the linux-env source asks from a pool thread, the others from the scan's

    def both(_r: Runner) -> tuple[Result, Result]:
        with lock:
            if "d" not in cache:
                cache["d"] = netlink.dump(ns)
            return cache["d"]

    return both


def _netlink(prefix: str, ns: str | None, both: Dump | None = None) -> Iterator[Source]:
    """Addresses and routes from one dump; neighbours asked only when wanted.

    The neighbour dump needs the interface names, which the address dump already has,
    so a scan limited with ``--only`` to addresses and routes asks nothing more.
    """
    both = both or _shared_dump(ns)

    def neighbours(r: Runner) -> Result:
        addrs = both(r)[0]
        links = json.loads(addrs.stdout) if addrs.failure is None else []
        return netlink.dump_neighbours(ns, {link["ifindex"]: link["ifname"] for link in links})

    yield Source(f"{prefix}/ip-addr-json", "ip-addr-json", lambda r: both(r)[0], local=True)
    yield Source(f"{prefix}/ip-route-json", "ip-route-json", lambda r: both(r)[1], local=True)
    yield Source(f"{prefix}/ip-neigh-json", "ip-neigh-json", neighbours, local=True)
    path, where = (None, ()) if ns is None else (f"{netlink.NETNS_DIR}/{ns}", ("netns", ns))
    yield listeners_source(prefix, path, where)


def listeners_source(prefix: str, path: str | None, where: tuple[str, ...]) -> Source:
    """The namespace's listening sockets over netlink ``sock_diag`` (``sock-diag-json``)."""
    return Source(f"{prefix}/sock-diag-json", "sock-diag-json", lambda _r: sock_diag.listeners(path, where), local=True)


def firewall_sources(prefix: str, ns: str | None) -> list[Source]:
    """The packet filter's rulesets, in namespace ``ns`` (``ip netns exec``) or the caller's own."""

    def fetch(argv: tuple[str, ...]) -> Callable[[Runner], Result]:
        full = ["ip", "netns", "exec", ns, *argv] if ns is not None else list(argv)
        return lambda r: r.run(full, timeout=15)

    return [
        Source(f"{prefix}/{name}", kind, fetch(argv), optional=name != "iptables-save")
        for name, kind, argv in FIREWALL_COMMANDS
    ]


def host_sources(hosts_names: Callable[[], list[str]], hosts_file: Callable[[], Result] | None = None) -> list[Source]:
    """The host's sources.

    Args:
        hosts_names: extra names to resolve (read lazily, when the name sources run).
        hosts_file: ``/etc/hosts`` read once for this scan, shared with ``hosts_names``
            (default: read by the source itself).
    """
    from netatlas.collect.names import names_to_ask

    def names(r: Runner) -> Result:
        res = r.run(["getent", "hosts", *names_to_ask(r, hosts_names)], timeout=5)
        if res.exit_code == 2:  # getent: "one or more keys not found"; the rest answered
            res = replace(res, failure=None)
        return res

    dump = _shared_dump(None)  # the addresses, routes and linux-env sources read one dump
    return [
        *_netlink("host", None, dump),
        Source(
            "host/hosts",
            "hosts",
            (lambda r: hosts_file()) if hosts_file else (lambda r: r.read("/etc/hosts")),
            local=True,
        ),
        Source("host/resolv-conf", "resolv-conf", lambda r: r.read("/etc/resolv.conf"), local=True),
        Source(
            "host/nsswitch-conf",
            "nsswitch-conf",
            lambda r: r.read("/etc/nsswitch.conf"),
            optional=True,
            local=True,
        ),
        Source(
            "host/resolv-conf-upstream",
            "resolv-conf",
            lambda r: r.read("/run/systemd/resolve/resolv.conf"),
            optional=True,
            local=True,
        ),
        Source("host/getent-hosts", "getent-hosts", names),
        *firewall_sources("host", None),
        *_env_and_dns_sources(hosts_names, dump),
    ]


def _env_and_dns_sources(hosts_names: Callable[[], list[str]], dump: Dump) -> list[Source]:
    """WSL detection (``linux-env``, ``/etc/wsl.conf``) and each DNS server's own answers."""
    from netatlas.collect import containers, names

    return [
        containers.linux_env_source("host", lambda r: dump(r)[0]),
        Source("host/wsl-conf", "wsl-conf", lambda r: r.read("/etc/wsl.conf"), optional=True, local=True),
        names.dns_answers_source("host/dns-answers", lambda r: names.names_to_ask(r, hosts_names)),
    ]


def netns_sources(name: str) -> list[Source]:
    """A named namespace's sources: netlink inside it (links, routes, neighbours), and its ``/etc/netns`` files."""
    prefix = f"netns:{name}"
    return [
        *_netlink(prefix, name),
        Source(f"{prefix}/hosts", "hosts", lambda r: r.read(f"/etc/netns/{name}/hosts"), optional=True, local=True),
        Source(
            f"{prefix}/resolv-conf",
            "resolv-conf",
            lambda r: r.read(f"/etc/netns/{name}/resolv.conf"),
            optional=True,
            local=True,
        ),
        Source(
            f"{prefix}/nsswitch-conf",
            "nsswitch-conf",
            lambda r: r.read(f"/etc/netns/{name}/nsswitch.conf"),
            optional=True,
            local=True,
        ),
        *firewall_sources(prefix, name),
    ]


def netns_vantage(name: str) -> Vantage:
    """The vantage of a named namespace on this host."""
    return Vantage(f"netns:{name}", VantageKind.NETNS, name, parent="host", channel="netns")


def plan(runner: Runner, netns: list[str] | None = None) -> list[Planned]:
    """The host and every named namespace (or just ``netns``), with their sources."""
    import socket

    host = Vantage("host", VantageKind.LINUX_HOST, socket.gethostname() or "localhost")
    hosts_file = cache(lambda: runner.read("/etc/hosts"))  # the hosts source and the names to ask share one read
    out = [Planned(host, host_sources(_hosts_names(hosts_file), hosts_file))]
    for name in netlink.named_namespaces() if netns is None else netns:
        out.append(Planned(netns_vantage(name), netns_sources(name)))
    return out


def _hosts_names(hosts_file: Callable[[], Result]) -> Callable[[], list[str]]:
    """Names in /etc/hosts, read when the name source runs (never at plan time)."""

    def names() -> list[str]:
        res = hosts_file()
        if res.failure is not None:
            return []
        from netatlas.errors import ParseError
        from netatlas.parsers import parse

        try:
            facts = parse("hosts", res.stdout)
        except ParseError:
            return []
        return [n for h in facts.hosts for n in h.names][:64]

    return names
