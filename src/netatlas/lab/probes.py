"""Real probes from inside lab namespaces: ping, TCP connect, traceroute, name lookup.

:func:`plan_probes` lists what to try from every node of a topology: ``ping -c1 -W1``
to every address of every other node; a TCP connect to every listener and every relay
(each wildcard bind on every address of its node, a loopback bind from the node
itself); ``traceroute -n`` to one address of every network the node is not on; and
``getent hosts NAME`` for the topology's names from every scanned node. Each probe
runs as ``ip netns exec <ns> …`` with a timeout, the total is capped, and before
anything is sent :func:`run_probe` checks that the target is an address the topology
defines (or the node's own loopback): the lab never probes anything else.

A probe whose tool is not installed (``ping`` without ``iputils-ping``, ``traceroute``)
is ``skipped``, naming the package to install (:data:`PACKAGES`): it is never an
observed "no reply", which would be a false disagreement for every ping.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from netatlas.errors import LabError
from netatlas.lab.topology import Topology
from netatlas.model import IPAddress

__all__ = ["MAX_PROBES", "PACKAGES", "Observed", "Probe", "missing_tool", "plan_probes", "run_probe", "run_probes"]

PACKAGES = {"ping": "iputils-ping", "traceroute": "traceroute", "getent": "libc-bin", "ip": "iproute2"}
"""The Debian package of each probe tool, named when the tool is missing."""
_EXEC_FAILED = re.compile(rb'exec of "([^"]+)" failed: No such file or directory')

MAX_PROBES = 1000
"""At most this many probes per verify run."""
PROBE_TIMEOUT = 3.0
"""Seconds a TCP connect or read may take; ping waits 1 s, traceroute 1 s per probe."""
_LOOP4 = ipaddress.IPv4Address("127.0.0.1")
_SPECIAL_SKIP = ("localhost",)  # getent prefers ::1 for it, a resolver detail, not the map's


@dataclass(frozen=True)
class Probe:
    """One thing to try.

    Args:
        kind: ``ping``, ``tcp``, ``traceroute`` or ``name``.
        node: the topology node it runs in.
        address: the target address (``None`` for a name lookup).
        port: the TCP port (``tcp`` only).
        name: the name looked up (``name`` only).
        aimed: topology nodes whose service the probe aims at (a TCP listener's node).
    """

    kind: str
    node: str
    address: IPAddress | None = None
    port: int | None = None
    name: str | None = None
    aimed: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """The target for people: ``addr``, ``addr:port`` or the name."""
        if self.kind == "name":
            return self.name or ""
        if self.port is not None:
            return f"{self.address}:{self.port}"
        return str(self.address)


@dataclass(frozen=True)
class Observed:
    """What a probe saw.

    ``status``: ``reply``/``no-reply`` (ping), ``answered``/``refused``/``timeout``/
    ``unreachable``/``closed``/``error`` (tcp), ``done`` (traceroute), ``found``/
    ``not-found`` (name); ``skipped`` for any kind whose tool is not installed
    (``detail`` names it and its package). ``node`` is the topology node that answered a TCP probe
    (from its banner); ``hops`` the traceroute addresses (``None`` for ``*``);
    ``addresses`` and ``source`` (``hosts`` or ``dns``) a lookup's answer.
    """

    status: str
    node: str | None = None
    hops: tuple[IPAddress | None, ...] = ()
    addresses: tuple[IPAddress, ...] = ()
    source: str | None = None
    detail: str = ""
    flags: tuple[str, ...] = field(default_factory=tuple)


def _endpoints(topo: Topology) -> list[tuple[str, IPAddress, int, str | None, bool]]:
    """(node, bind address, port, aimed node or None, loopback-only) of listeners and relays."""
    out: list[tuple[str, IPAddress, int, str | None, bool]] = []
    for n in topo.nodes:
        for li in n.listeners:
            out.append((n.name, li.address, li.port, n.name, li.address.is_loopback))
        for r in n.relays:
            out.append((n.name, r.listen, r.port, None, r.listen.is_loopback))
        if n.filter is not None:  # its own ruleset publishes (DNAT) the containers' ports
            for c in n.containers:
                for _cport, host_ip, host_port in c.ports:
                    if host_port is not None:
                        bind = host_ip if host_ip is not None else ipaddress.IPv4Address(0)  # every address
                        out.append((n.name, bind, host_port, None, False))
    return out


def plan_probes(topo: Topology, *, limit: int = MAX_PROBES) -> list[Probe]:
    """Every probe of the topology, deduplicated, at most ``limit``."""
    probes: dict[tuple[str, str, str, int | None, str | None, tuple[str, ...]], Probe] = {}

    def add(p: Probe) -> None:
        # one probe per aim: an address two nodes hold (the office's and the local
        # bridge's 172.18.0.2) is tried once for each service it might mean
        key = (p.kind, p.node, str(p.address), p.port, p.name, p.aimed)
        unaimed = (p.kind, p.node, str(p.address), p.port, p.name, ())
        if p.aimed and unaimed in probes:
            del probes[unaimed]
        elif not p.aimed and any(k[:5] == key[:5] for k in probes):
            return
        probes.setdefault(key, p)

    nodes = [n.name for n in topo.nodes]
    for src in nodes:
        for other in nodes:
            if other == src:
                continue
            for a in topo.node_addresses(other):
                add(Probe("ping", src, a))
    for src in nodes:
        for node, bind, port, aimed, loop_only in _endpoints(topo):
            aim = (aimed,) if aimed else ()
            if src == node:
                add(Probe("tcp", src, _LOOP4 if bind.is_unspecified or bind.is_loopback else bind, port, aimed=aim))
                continue
            if bind.is_unspecified or loop_only:
                for a in topo.node_addresses(node):
                    if a.version == bind.version or loop_only:
                        add(Probe("tcp", src, a, port, aimed=aim))
            else:
                add(Probe("tcp", src, bind, port, aimed=aim))
    for src in nodes:
        mine = {net.name for net, _m in topo.members_of(src)}
        for net in topo.networks:
            if net.name in mine:
                continue
            target = next(
                (a for m in reversed(net.members) if m.node != src for a in m.addresses),
                None,
            )
            if target is not None:
                add(Probe("traceroute", src, target))
    for n in topo.nodes:
        if not n.scanned:
            continue
        for name in topo.names or ():
            if name not in _SPECIAL_SKIP:
                add(Probe("name", n.name, name=name))
    out = list(probes.values())
    return out[:limit]


# --------------------------------------------------------------------- running


def missing_tool(tool: str) -> str | None:
    """Why a probe tool cannot run here (not on ``PATH``), with the package to install; else ``None``.

    ``ip netns exec`` keeps the machine's filesystem (only ``/etc/netns/<ns>`` is bound
    over ``/etc``), so the tool is looked up on this machine's ``PATH``.
    """
    if shutil.which(tool) is not None:
        return None
    package = PACKAGES.get(tool)
    return f"{tool} is not installed" + (f" (apt-get install {package})" if package else "")


def _skipped(res: subprocess.CompletedProcess[bytes] | None) -> Observed | None:
    """``ip netns exec`` could not start the tool (removed since the check): a skipped probe."""
    if res is None or res.returncode == 0:
        return None
    m = _EXEC_FAILED.search(res.stderr)
    if m is None:
        return None
    tool = m.group(1).decode(errors="replace")
    return Observed("skipped", detail=missing_tool(tool) or f"{tool} could not be started")


def _exec(topo: Topology, node: str, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[bytes] | None:
    ns = topo.namespace(node)
    try:
        return subprocess.run(  # argv list, inside the lab namespace only
            ["ip", "netns", "exec", ns, *argv], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    except FileNotFoundError as exc:
        raise LabError(f"{argv[0]}: not installed (apt-get install iputils-ping traceroute)") from exc


def _guard(topo: Topology, probe: Probe) -> None:
    """Refuse to send anything to an address the topology does not define."""
    if probe.address is None:
        return
    if probe.address.is_loopback:
        return  # the node's own loopback never leaves it
    if probe.address not in topo.addresses():
        raise LabError(f"refusing to probe {probe.address}: not an address of lab {topo.name!r}")


def _banner_node(topo: Topology, banner: str) -> str | None:
    parts = banner.split()
    if len(parts) >= 3 and parts[0] == "netatlas-lab" and parts[1] == topo.name:
        return parts[2]
    return None


def run_probe(topo: Topology, probe: Probe) -> Observed:
    """Run one probe in its node's namespace.

    Raises:
        LabError: the target is not an address of the topology, or a tool is missing.
    """
    _guard(topo, probe)
    tool = {"ping": "ping", "traceroute": "traceroute", "name": "getent"}.get(probe.kind)
    missing = missing_tool(tool) if tool is not None else None
    if missing is not None:
        return Observed("skipped", detail=missing)
    if probe.kind == "ping":
        fam = "-6" if probe.address is not None and probe.address.version == 6 else "-4"
        res = _exec(topo, probe.node, ["ping", fam, "-n", "-c1", "-W1", str(probe.address)], 4)
        gone = _skipped(res)
        if gone is not None:
            return gone
        ok = res is not None and res.returncode == 0
        return Observed("reply" if ok else "no-reply")
    if probe.kind == "tcp":
        return _tcp_many(topo, probe.node, [probe])[0]
    if probe.kind == "traceroute":
        argv = ["traceroute", "-n", "-q", "1", "-w", "1", "-m", "10", "-N", "10", str(probe.address)]
        res = _exec(topo, probe.node, argv, 20)
        if res is None:
            return Observed("timeout")
        gone = _skipped(res)
        if gone is not None:
            return gone
        from netatlas.errors import ParseError
        from netatlas.parsers import parse

        try:
            facts = parse("traceroute", res.stdout)
        except ParseError as exc:
            return Observed("error", detail=str(exc))
        notes = facts.settings.get("annotations")
        flags = tuple(str(a.get("flag")) for a in notes if isinstance(a, dict)) if isinstance(notes, list) else ()
        return Observed(
            "done", hops=tuple(h.address for h in facts.hops), detail=res.stdout.decode(errors="replace"), flags=flags
        )
    if probe.kind == "name":
        name = probe.name or ""
        res = _exec(topo, probe.node, ["getent", "hosts", name], 10)
        gone = _skipped(res)
        if gone is not None:
            return gone
        addrs = _getent(res)
        if not addrs:
            return Observed("not-found")
        files = _getent(_exec(topo, probe.node, ["getent", "-s", "files", "hosts", name], 5))
        source = "hosts" if files and files[0] == addrs[0] else "dns"
        return Observed("found", addresses=tuple(addrs), source=source)
    raise LabError(f"unknown probe kind {probe.kind!r}")


def _getent(res: subprocess.CompletedProcess[bytes] | None) -> list[IPAddress]:
    if res is None or res.returncode != 0:
        return []
    out: list[IPAddress] = []
    for line in res.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        if parts:
            try:
                out.append(ipaddress.ip_address(parts[0]))
            except ValueError:
                continue
    return out


def _tcp_many(topo: Topology, node: str, probes: Sequence[Probe]) -> list[Observed]:
    """Every TCP probe of one node from one process inside it (they run at once)."""
    for p in probes:
        _guard(topo, p)
    targets = [
        f"[{p.address}]:{p.port}" if p.address and p.address.version == 6 else f"{p.address}:{p.port}" for p in probes
    ]
    argv = [sys.executable, "-m", "netatlas.lab._serve", "probe-tcp", "--timeout", str(PROBE_TIMEOUT), *targets]
    res = _exec(topo, node, argv, PROBE_TIMEOUT * 3 + 10)
    if res is None:
        return [Observed("timeout") for _ in probes]
    lines = res.stdout.decode(errors="replace").strip().splitlines()
    out = []
    for i, _p in enumerate(probes):
        try:
            got = json.loads(lines[i])
        except (ValueError, IndexError):
            out.append(Observed("error", detail=res.stderr.decode(errors="replace").strip()[:200]))
            continue
        banner = str(got.get("banner", ""))
        node_seen = _banner_node(topo, banner) if banner else None
        out.append(Observed(str(got.get("status", "error")), node=node_seen, detail=banner))
    return out


def run_probes(topo: Topology, probes: Sequence[Probe], *, workers: int = 16) -> list[Observed]:
    """Run probes in parallel (bounded), in the order given.

    TCP probes of one node share one process in its namespace; the others run one
    command each, at most ``workers`` at once.

    Raises:
        LabError: more than :data:`MAX_PROBES`, or a target outside the topology.
    """
    if len(probes) > MAX_PROBES:
        raise LabError(f"{len(probes)} probes: more than the cap of {MAX_PROBES}")
    for p in probes:
        _guard(topo, p)
    results: list[Observed | None] = [None] * len(probes)
    tcp: dict[str, list[int]] = {}
    rest: list[int] = []
    for i, p in enumerate(probes):
        (tcp.setdefault(p.node, []) if p.kind == "tcp" else rest).append(i)

    def tcp_job(node: str) -> None:
        idx = tcp[node]
        for i, obs in zip(idx, _tcp_many(topo, node, [probes[i] for i in idx]), strict=False):
            results[i] = obs

    def one(i: int) -> None:
        results[i] = run_probe(topo, probes[i])

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(tcp_job, n) for n in tcp] + [pool.submit(one, i) for i in rest]
        for f in futures:
            f.result()
    return [r if r is not None else Observed("error") for r in results]
