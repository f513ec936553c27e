"""Linux host and its named network namespaces as vantages.

Produces, per vantage: ``ip-addr-json`` and ``ip-route-json`` (netlink, in-process),
``hosts`` and ``resolv-conf`` (``/etc`` for the host; ``/etc/netns/NAME`` for a
namespace, which ``ip netns exec`` bind-mounts over ``/etc``), and for the host
also systemd-resolved's upstream ``resolv.conf``, listeners (``ss -ltnup``) and the
system resolver's answers for the names that matter (``getent hosts``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from netatlas.collect import netlink
from netatlas.collect.runner import Result, Runner
from netatlas.model import Evidence, Vantage, VantageKind

__all__ = ["PRODUCES", "SPECIAL_NAMES", "LinuxSource", "host_sources", "netns_sources"]

PRODUCES = ("ip-addr-json", "ip-route-json", "hosts", "resolv-conf", "ss-listen", "getent-hosts")
SPECIAL_NAMES = (
    "localhost",
    "host.docker.internal",
    "gateway.docker.internal",
    "kubernetes.docker.internal",
)
"""Names worth resolving on every machine (Docker Desktop's special names; see
shared/facts/pool-facts.md §2), besides the host's own name and its hosts-file names."""


@dataclass(frozen=True)
class LinuxSource:
    """One source of one vantage: an evidence id, its kind and how to get it."""

    id: str
    kind: str
    fetch: Callable[[Runner], Result]
    optional: bool = False
    """A file that is simply absent on many machines; its absence is not recorded."""


def _netlink(prefix: str, ns: str | None) -> Iterator[LinuxSource]:
    cache: dict[str, tuple[Result, Result]] = {}

    def both(_r: Runner) -> tuple[Result, Result]:
        if "d" not in cache:
            cache["d"] = netlink.dump(ns)
        return cache["d"]

    yield LinuxSource(f"{prefix}/ip-addr-json", "ip-addr-json", lambda r: both(r)[0])
    yield LinuxSource(f"{prefix}/ip-route-json", "ip-route-json", lambda r: both(r)[1])


def host_sources(hosts_names: Callable[[], list[str]]) -> list[LinuxSource]:
    """The host's sources; ``hosts_names`` gives extra names to resolve (read lazily)."""

    def names(r: Runner) -> Result:
        wanted = [*SPECIAL_NAMES, *hosts_names()]
        own = r.read("/proc/sys/kernel/hostname")
        if own.failure is None and own.stdout.strip():
            wanted.insert(0, own.stdout.decode("utf-8", "replace").strip())
        res = r.run(["getent", "hosts", *dict.fromkeys(wanted)], timeout=5)
        if res.exit_code == 2:  # getent: "one or more keys not found"; the rest answered
            res = replace(res, failure=None)
        return res

    return [
        *_netlink("host", None),
        LinuxSource("host/hosts", "hosts", lambda r: r.read("/etc/hosts")),
        LinuxSource("host/resolv-conf", "resolv-conf", lambda r: r.read("/etc/resolv.conf")),
        LinuxSource(
            "host/resolv-conf-upstream",
            "resolv-conf",
            lambda r: r.read("/run/systemd/resolve/resolv.conf"),
            optional=True,
        ),
        LinuxSource("host/ss-listen", "ss-listen", lambda r: r.run(["ss", "-ltnupH"])),
        LinuxSource("host/getent-hosts", "getent-hosts", names),
    ]


def netns_sources(name: str) -> list[LinuxSource]:
    """A named namespace's sources: netlink inside it, and its ``/etc/netns`` files."""
    prefix = f"netns:{name}"
    return [
        *_netlink(prefix, name),
        LinuxSource(f"{prefix}/hosts", "hosts", lambda r: r.read(f"/etc/netns/{name}/hosts"), optional=True),
        LinuxSource(
            f"{prefix}/resolv-conf",
            "resolv-conf",
            lambda r: r.read(f"/etc/netns/{name}/resolv.conf"),
            optional=True,
        ),
    ]


def netns_vantage(name: str) -> Vantage:
    """The vantage of a named namespace on this host."""
    return Vantage(f"netns:{name}", VantageKind.NETNS, name, parent="host", channel="netns")


def to_evidence(src: LinuxSource, vantage: str, result: Result) -> Evidence:
    """A source's result as evidence."""
    return result.evidence(src.id, vantage, src.kind)
