"""Build, tear down and list labs: real network namespaces, sealed from the machine.

:func:`up` creates one namespace per node (``na-lab-<lab>-<node>``) and one switch
namespace for the bridges, joins them with veth pairs created *inside* lab
namespaces (never the machine's own), sets addresses, routes, forwarding, nftables
NAT/DNAT, writes ``/etc/netns/<ns>/{hosts,resolv.conf}`` (which ``ip netns exec``
bind-mounts over ``/etc``) and starts the small services of
:mod:`netatlas.lab._serve`. Everything it creates is recorded as it goes in
``/run/netatlas-lab/<lab>/state.json``, so a failed start is undone completely and
:func:`down` leaves nothing behind. ``up`` is idempotent: a lab that is already up
with the same topology is left alone.

The lab also writes, per node, what that node's control plane would report: the
``netsh interface portproxy show all`` table of its portproxy relays and the
``docker inspect`` / ``docker network inspect`` JSON of the containers its engine
runs, built from what it actually configured. The lab scan reads them as files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from netatlas.errors import LabError
from netatlas.lab.topology import NS_PREFIX, NodeSpec, Topology, parse_topology

__all__ = ["STATE_ROOT", "LabStatus", "down", "lab_state", "preflight", "status", "topology_to_dict", "up"]

STATE_ROOT = Path("/run/netatlas-lab")
ETC_NETNS = Path("/etc/netns")
NETNS_DIR = Path("/run/netns")
NFT_TABLE = "netatlas_lab"
_READY_TIMEOUT = 10.0


@dataclass(frozen=True)
class LabStatus:
    """A lab that is (at least partly) up."""

    name: str
    source: str
    nodes: tuple[tuple[str, str, tuple[str, ...]], ...]
    """(node, namespace, vantage ids)."""
    namespaces_alive: int
    namespaces_total: int
    processes_alive: int
    processes_total: int
    created: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "source": self.source,
            "created": self.created,
            "nodes": [{"node": n, "namespace": ns, "vantages": list(v)} for n, ns, v in self.nodes],
            "namespaces": {"alive": self.namespaces_alive, "total": self.namespaces_total},
            "processes": {"alive": self.processes_alive, "total": self.processes_total},
        }


# ------------------------------------------------------------------ helpers


def _run(argv: Sequence[str], *, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(  # argv list, never a shell
            list(argv), input=stdin, capture_output=True, text=True, timeout=20, check=False
        )
    except FileNotFoundError:
        raise LabError(f"{argv[0]}: not installed (the lab needs iproute2 and nftables)") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"{' '.join(argv)}: no answer within 20s") from None
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def _state_dir(name: str) -> Path:
    return STATE_ROOT / name


def lab_state(name: str) -> dict[str, Any] | None:
    """The recorded state of a lab, or ``None`` when it is not up."""
    path = _state_dir(name) / "state.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _save(state: dict[str, Any]) -> None:
    d = _state_dir(state["name"])
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(d / "state.json")


def _ns_exists(ns: str) -> bool:
    return (NETNS_DIR / ns).exists()


def _root_links() -> set[tuple[int, str]]:
    """The machine's own interfaces (index, name); the lab must never add one."""
    out = set()
    for p in Path("/sys/class/net").iterdir():
        try:
            out.add((int((p / "ifindex").read_text().strip()), p.name))
        except (OSError, ValueError):
            continue
    return out


def preflight() -> None:
    """Refuse clearly when the lab cannot run here.

    Raises:
        LabError: not root, no ``ip``/``nft``, or network namespaces not permitted.
    """
    if sys.platform != "linux":
        raise LabError("the lab needs Linux network namespaces")
    if os.geteuid() != 0:
        raise LabError("the lab needs root (it creates network namespaces): run it with sudo")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            pkg = "iproute2" if tool == "ip" else "nftables"
            raise LabError(f"{tool}: not installed (apt-get install {pkg})")
    probe = f"{NS_PREFIX}probe-{os.getpid()}"
    proc = _run(["ip", "netns", "add", probe], check=False)
    if proc.returncode != 0:
        raise LabError(f"network namespaces are not permitted here: ip netns add: {proc.stderr.strip()}")
    _run(["ip", "netns", "del", probe], check=False)


def topology_to_dict(topo: Topology) -> dict[str, Any]:
    """The topology as a document :func:`~netatlas.lab.topology.parse_topology` reads back."""
    nodes: dict[str, Any] = {}
    for n in topo.nodes:
        d: dict[str, Any] = {}
        if n.vantages:
            d["vantages"] = [{"id": v.id, "kind": v.kind.value, "name": v.name} for v in n.vantages]
        if n.parent:
            d["parent"] = n.parent
        if n.forwarding:
            d["forwarding"] = True
        if n.routes:
            d["routes"] = [
                {
                    "to": "default" if r.to.prefixlen == 0 else str(r.to),
                    **({"via": str(r.via)} if r.via else {}),
                    **({"dev": r.dev} if r.dev else {}),
                    **({"metric": r.metric} if r.metric is not None else {}),
                }
                for r in n.routes
            ]
        if n.nat:
            d["nat"] = [{"source": str(r.source), "out": r.out} for r in n.nat]
        if n.dnat:
            d["dnat"] = [{"listen": f"{r.listen}:{r.port}", "to": f"{r.to}:{r.to_port}"} for r in n.dnat]
        if n.listeners:
            d["listeners"] = [f"{li.address}:{li.port}" for li in n.listeners]
        if n.relays:
            d["relays"] = [
                {
                    "listen": f"{r.listen}:{r.port}",
                    "connect": f"{r.connect}:{r.connect_port}",
                    "via": r.via,
                    **({"target": r.target} if r.target else {}),
                }
                for r in n.relays
            ]
        if n.dns:
            d["dns"] = {
                "listen": [str(a) for a in n.dns.listen],
                "records": {k: str(v) for k, v in n.dns.records},
                **({"forward": str(n.dns.forward)} if n.dns.forward else {}),
            }
        if n.hosts is not None:
            d["hosts"] = n.hosts
        if n.resolv is not None:
            d["resolv"] = n.resolv
        if n.containers:
            d["containers"] = [
                {
                    "name": c.name,
                    "node": c.node,
                    "network": c.network,
                    "ports": [
                        str(cp) if hp is None else f"{hi}:{hp}:{cp}" if hi is not None else f"{hp}:{cp}"
                        for cp, hi, hp in c.ports
                    ],
                }
                for c in n.containers
            ]
        if n.filter is not None:
            d["filter"] = n.filter
        if n.note:
            d["note"] = n.note
        nodes[n.name] = d
    nets = {
        net.name: {
            "type": net.type,
            "cidr": str(net.cidr),
            "members": [
                {
                    "node": m.node,
                    "iface": m.iface,
                    **({"address": [str(a) for a in m.addresses]} if m.addresses else {}),
                    **({"mac": m.mac} if m.mac else {}),
                    **({"metric": m.metric} if m.metric is not None else {}),
                }
                for m in net.members
            ],
        }
        for net in topo.networks
    }
    return {
        "name": topo.name,
        "description": topo.description,
        "names": list(topo.names),
        "nodes": nodes,
        "networks": nets,
    }


def _digest(topo: Topology) -> str:
    return hashlib.sha256(json.dumps(topology_to_dict(topo), sort_keys=True).encode()).hexdigest()[:16]


def running_topology(name: str) -> Topology:
    """The topology of a lab that is up, as it was built.

    Raises:
        LabError: the lab is not up.
    """
    state = lab_state(name)
    if state is None:
        raise LabError(f"lab {name!r} is not up (netatlas lab up {name})")
    return parse_topology(state["topology"], source=f"lab {name}")


# ------------------------------------------------------------------ building


class _Builder:
    def __init__(self, topo: Topology) -> None:
        self.topo = topo
        self.state: dict[str, Any] = {
            "name": topo.name,
            "source": topo.source,
            "digest": _digest(topo),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "prefix": topo.prefix,
            "namespaces": [],
            "etc_netns": [],
            "processes": [],
            "complete": False,
            "topology": topology_to_dict(topo),
        }
        self.dir = _state_dir(topo.name)
        tag = hashlib.sha256(topo.name.encode()).hexdigest()[:4]
        self._tag = f"nl{tag}"
        self._n = 0

    def _short(self, kind: str) -> str:
        self._n += 1
        return f"{self._tag}{kind}{self._n}"  # ≤ 15 chars for any sane lab

    def ip(self, ns: str, *args: str) -> None:
        assert ns.startswith(NS_PREFIX), ns
        _run(["ip", "-n", ns, *args])

    def build(self) -> None:
        t = self.topo
        self.dir.mkdir(parents=True, exist_ok=True)
        _save(self.state)
        for ns in t.namespaces():
            if _ns_exists(ns):
                raise LabError(f"namespace {ns} already exists and is not this lab's: delete it or rename the lab")
            _run(["ip", "netns", "add", ns])
            self.state["namespaces"].append(ns)
            _save(self.state)
            self.ip(ns, "link", "set", "lo", "up")
            self._sysctl(ns, "net.ipv4.ip_forward", "0")
            self._sysctl(ns, "net.ipv4.conf.all.rp_filter", "0")
            self._sysctl(ns, "net.ipv4.conf.default.rp_filter", "0")
            # traceroute needs every hop to answer every probe: no ICMP rate limit
            self._sysctl(ns, "net.ipv4.icmp_ratelimit", "0")
            for key in ("net.ipv4.icmp_msgs_per_sec", "net.ipv4.icmp_msgs_burst"):  # per-namespace on newer kernels
                self._sysctl(ns, key, "100000", required=False)
        self._links()
        for node in t.nodes:
            ns = t.namespace(node.name)
            if node.forwarding:
                self._sysctl(ns, "net.ipv4.ip_forward", "1")
            for r in node.routes:
                args = ["route", "add", "default" if r.to.prefixlen == 0 else str(r.to)]
                if r.via is not None:
                    args += ["via", str(r.via)]
                if r.dev is not None:
                    args += ["dev", r.dev]
                if r.metric is not None:
                    args += ["metric", str(r.metric)]
                self.ip(ns, *args)
            self._nft(node)
            self._filter(node)
            self._files(node)
        self._engine_files()
        self._processes()
        self.state["complete"] = True
        _save(self.state)

    def _sysctl(self, ns: str, key: str, value: str, *, required: bool = True) -> None:
        _run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}={value}"], check=required)

    def _links(self) -> None:
        t = self.topo
        sw = t.switch_namespace
        bridges: dict[str, str] = {}
        for net in t.networks:
            if net.type == "bridge":
                br = self._short("b")
                self.ip(sw, "link", "add", br, "type", "bridge")
                self.ip(sw, "link", "set", br, "up")
                bridges[net.name] = br
                for m in net.members:
                    port = self._short("p")
                    self.ip(
                        t.namespace(m.node), "link", "add", m.iface, "type", "veth", "peer", "name", port, "netns", sw
                    )
                    self.ip(sw, "link", "set", port, "master", br)
                    self.ip(sw, "link", "set", port, "up")
            else:
                one, two = net.members
                self.ip(
                    t.namespace(one.node),
                    "link",
                    "add",
                    one.iface,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    two.iface,
                    "netns",
                    t.namespace(two.node),
                )
            for m in net.members:
                ns = t.namespace(m.node)
                if m.mac:
                    self.ip(ns, "link", "set", m.iface, "address", m.mac)
                for a in m.addresses:
                    args = ["addr", "add", f"{a}/{net.cidr.prefixlen}", "dev", m.iface]
                    if m.metric is not None:
                        args += ["metric", str(m.metric)]
                    self.ip(ns, *args)
                self.ip(ns, "link", "set", m.iface, "up")

    def _nft(self, node: NodeSpec) -> None:
        if not node.nat and not node.dnat:
            return
        lines = [f"table ip {NFT_TABLE} {{"]
        if node.dnat:
            rules = [f"ip daddr {r.listen} tcp dport {r.port} dnat to {r.to}:{r.to_port}" for r in node.dnat]
            lines += ["  chain prerouting {", "    type nat hook prerouting priority dstnat; policy accept;"]
            lines += [f"    {r}" for r in rules] + ["  }"]
            lines += ["  chain output {", "    type nat hook output priority -100; policy accept;"]
            lines += [f"    {r}" for r in rules] + ["  }"]
        if node.nat:
            lines += ["  chain postrouting {", "    type nat hook postrouting priority srcnat; policy accept;"]
            lines += [f'    ip saddr {r.source} oifname "{r.out}" masquerade' for r in node.nat] + ["  }"]
        lines.append("}")
        ns = self.topo.namespace(node.name)
        _run(["ip", "netns", "exec", ns, "nft", "-f", "-"], stdin="\n".join(lines) + "\n")

    def _filter(self, node: NodeSpec) -> None:
        """The node's ``filter`` ruleset, loaded with ``iptables-restore`` inside its namespace."""
        if node.filter is None:
            return
        ns = self.topo.namespace(node.name)
        try:
            _run(["ip", "netns", "exec", ns, "iptables-restore"], stdin=node.filter)
        except LabError as exc:
            raise LabError(f"nodes.{node.name}.filter: iptables-restore in {ns}: {exc}") from None

    def _files(self, node: NodeSpec) -> None:
        ns = self.topo.namespace(node.name)
        d = ETC_NETNS / ns
        d.mkdir(parents=True, exist_ok=True)
        self.state["etc_netns"].append(str(d))
        _save(self.state)
        # always both files: otherwise `ip netns exec` leaves the machine's own /etc/hosts
        # and resolv.conf visible inside the lab
        hosts = node.hosts if node.hosts is not None else "127.0.0.1\tlocalhost\n::1\tlocalhost\n"
        resolv = node.resolv if node.resolv is not None else "# netatlas lab: no DNS server here\n"
        (d / "hosts").write_text(hosts, encoding="utf-8")
        (d / "resolv.conf").write_text(resolv, encoding="utf-8")

    def _engine_files(self) -> None:
        t = self.topo
        for node in t.nodes:
            out = self.dir / node.name
            if node.containers:
                out.mkdir(parents=True, exist_ok=True)
                (out / "docker-inspect.json").write_text(_docker_inspect(t, node), encoding="utf-8")
                (out / "docker-network-inspect.json").write_text(_docker_networks(t, node), encoding="utf-8")
            pp = [r for r in node.relays if r.via == "portproxy"]
            if pp:
                out.mkdir(parents=True, exist_ok=True)
                (out / "netsh-portproxy.txt").write_bytes(_netsh_table(pp))

    def _start(self, node: str, what: str, args: list[str]) -> None:
        ns = self.topo.namespace(node)
        n = len(self.state["processes"])
        ready = self.dir / f"ready-{n}"
        log = self.dir / f"proc-{n}.log"
        pkg_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": pkg_root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        argv = ["ip", "netns", "exec", ns, sys.executable, "-m", "netatlas.lab._serve", "--ready", str(ready), *args]
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, start_new_session=True, env=env
            )
        self.state["processes"].append(
            {"pid": proc.pid, "node": node, "namespace": ns, "what": what, "ready": str(ready), "log": str(log)}
        )
        _save(self.state)

    def _processes(self) -> None:
        t = self.topo
        for node in t.nodes:
            for li in node.listeners:
                banner = f"netatlas-lab {t.name} {node.name} {li.port}"
                self._start(
                    node.name, f"listen {li.address}:{li.port}", ["listen", str(li.address), str(li.port), banner]
                )
            if node.dns is not None:
                args = ["dns"]
                for a in node.dns.listen:
                    args += ["--listen", str(a)]
                for k, v in node.dns.records:
                    args += ["--record", f"{k}={v}"]
                if node.dns.forward is not None:
                    args += ["--forward", str(node.dns.forward)]
                self._start(node.name, "dns " + " ".join(map(str, node.dns.listen)), args)
        for node in t.nodes:
            for r in node.relays:
                what = f"relay {r.via} {r.listen}:{r.port} -> {r.connect}:{r.connect_port}"
                if r.via == "localhost" and r.target is not None:
                    sock = str(self.dir / f"lh-{node.name}-{r.port}.sock")
                    self._start(r.target, what + " (inside)", ["relay-in", sock, str(r.connect), str(r.connect_port)])
                    self._wait()
                    self._start(node.name, what, ["relay-out", str(r.listen), str(r.port), sock])
                else:
                    self._start(
                        node.name, what, ["relay", str(r.listen), str(r.port), str(r.connect), str(r.connect_port)]
                    )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        for p in self.state["processes"]:
            while not Path(p["ready"]).exists():
                if not _alive(p["pid"]) or time.monotonic() > deadline:
                    log = Path(p["log"]).read_text(encoding="utf-8", errors="replace").strip().splitlines()
                    tail = log[-1] if log else "no output"
                    raise LabError(f"{p['what']} in {p['namespace']} did not start: {tail}")
                time.sleep(0.02)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap our own child, so it does not linger as a zombie
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _ours(pid: int) -> bool:
    """Whether ``pid`` is one of the lab's own processes (never kill anything else)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"netatlas.lab._serve" in cmd


def _netsh_table(relays: Sequence[Any]) -> bytes:
    lines = [
        "",
        "Listen on ipv4:             Connect to ipv4:",
        "",
        "Address         Port        Address         Port",
        "--------------- ----------  --------------- ----------",
    ]
    for r in relays:
        lines.append(f"{r.listen!s:<15} {r.port:<10}  {r.connect!s:<15} {r.connect_port}")
    lines += ["", ""]
    return "\r\n".join(lines).encode()


def _container_member(t: Topology, node: str, network: str) -> Any:
    for net in t.networks:
        if net.name == network:
            for m in net.members:
                if m.node == node:
                    return net, m
    raise LabError(f"{t.source}: container node {node!r} is not on network {network!r}")


def _docker_inspect(t: Topology, engine: NodeSpec) -> str:
    out = []
    for c in engine.containers:
        net, m = _container_member(t, c.node, c.network)
        addr = m.addresses[0] if m.addresses else None
        gw = next(
            (a for x in net.members if x.node == engine.name for a in x.addresses),
            None,
        )
        ports: dict[str, Any] = {}
        for cp, hi, hp in c.ports:
            ports[f"{cp}/tcp"] = None if hp is None else [{"HostIp": str(hi or "0.0.0.0"), "HostPort": str(hp)}]  # noqa: S104
        cid = hashlib.sha256(f"{t.name}/{c.name}".encode()).hexdigest()
        out.append(
            {
                "Id": cid,
                "Name": f"/{c.name}",
                "State": {"Status": "running", "Running": True},
                "NetworkSettings": {
                    "Ports": ports,
                    "Networks": {
                        c.network: {
                            "IPAddress": str(addr) if addr else "",
                            "IPPrefixLen": net.cidr.prefixlen,
                            "Gateway": str(gw) if gw else "",
                            "MacAddress": m.mac or "",
                        }
                    },
                },
            }
        )
    return json.dumps(out, indent=4) + "\n"


def _docker_networks(t: Topology, engine: NodeSpec) -> str:
    out = []
    for name in dict.fromkeys(c.network for c in engine.containers):
        net = next(n for n in t.networks if n.name == name)
        gw = next((a for x in net.members if x.node == engine.name for a in x.addresses), None)
        containers = {}
        for c in engine.containers:
            if c.network != name:
                continue
            _n, m = _container_member(t, c.node, c.network)
            cid = hashlib.sha256(f"{t.name}/{c.name}".encode()).hexdigest()
            containers[cid] = {
                "Name": c.name,
                "MacAddress": m.mac or "",
                "IPv4Address": f"{m.addresses[0]}/{net.cidr.prefixlen}" if m.addresses else "",
            }
        bridge = next((x.iface for x in net.members if x.node == engine.name), None)
        out.append(
            {
                "Name": name,
                "Id": hashlib.sha256(f"{t.name}/net/{name}".encode()).hexdigest(),
                "Driver": "bridge",
                "IPAM": {
                    "Driver": "default",
                    "Config": [{"Subnet": str(net.cidr), **({"Gateway": str(gw)} if gw else {})}],
                },
                "Options": {"com.docker.network.bridge.name": bridge} if bridge else {},
                "Containers": containers,
            }
        )
    return json.dumps(out, indent=4) + "\n"


# ------------------------------------------------------------------ public


def up(topo: Topology) -> LabStatus:
    """Build the lab (or leave it be, when it is already up with this topology).

    Raises:
        LabError: not root, namespaces not permitted, a tool missing, or a step failed
            (everything built so far is torn down first).
    """
    preflight()
    old = lab_state(topo.name)
    if old is not None:
        if old.get("complete") and old.get("digest") == _digest(topo) and _healthy(old):
            return _status_of(old)
        down(topo.name)
    before = _root_links()
    b = _Builder(topo)
    try:
        b.build()
        after = _root_links()
        if after != before:
            raise LabError(f"the machine's own interfaces changed while building: {sorted(after ^ before)}")
    except BaseException:
        down(topo.name)
        raise
    return _status_of(b.state)


def _healthy(state: dict[str, Any]) -> bool:
    return all(_ns_exists(ns) for ns in state.get("namespaces", [])) and all(
        _alive(p["pid"]) for p in state.get("processes", [])
    )


def _claimed_by_others(name: str) -> set[str]:
    out: set[str] = set()
    if not STATE_ROOT.is_dir():
        return out
    for d in STATE_ROOT.iterdir():
        if d.name == name:
            continue
        st = lab_state(d.name)
        if st:
            out.update(st.get("namespaces", []))
    return out


def down(name: str) -> list[str]:
    """Tear a lab down completely: processes, namespaces (with their links and nftables
    tables), ``/etc/netns`` entries and the state folder.

    Returns:
        What was removed, for people.

    Raises:
        LabError: not root.
    """
    if os.geteuid() != 0:
        raise LabError("the lab needs root to tear down namespaces: run it with sudo")
    removed: list[str] = []
    state = lab_state(name) or {}
    prefix = f"{NS_PREFIX}{name}-"
    namespaces = list(state.get("namespaces", []))
    others = _claimed_by_others(name)
    if NETNS_DIR.is_dir():
        for p in sorted(NETNS_DIR.iterdir()):
            if p.name.startswith(prefix) and p.name not in namespaces and p.name not in others:
                namespaces.append(p.name)
    pids = [int(p["pid"]) for p in state.get("processes", [])]
    for ns in namespaces:
        if _ns_exists(ns):
            got = _run(["ip", "netns", "pids", ns], check=False).stdout.split()
            pids += [int(x) for x in got if x.isdigit()]
    for pid in dict.fromkeys(pids):
        if _alive(pid) and _ours(pid):
            os.kill(pid, signal.SIGTERM)
            removed.append(f"process {pid}")
    deadline = time.monotonic() + 3
    for pid in dict.fromkeys(pids):
        while _alive(pid) and _ours(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid) and _ours(pid):
            os.kill(pid, signal.SIGKILL)
    for ns in namespaces:
        if not ns.startswith(NS_PREFIX):
            continue
        if _ns_exists(ns):
            _run(["ip", "netns", "del", ns], check=False)
            removed.append(f"namespace {ns}")
        d = ETC_NETNS / ns
        if d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(f"{d}")
    for extra in state.get("etc_netns", []):
        d = Path(extra)
        if d.is_dir() and d.parent == ETC_NETNS and d.name.startswith(NS_PREFIX):
            shutil.rmtree(d, ignore_errors=True)
    sd = _state_dir(name)
    if sd.is_dir():
        shutil.rmtree(sd, ignore_errors=True)
        removed.append(f"{sd}")
    return removed


def _status_of(state: dict[str, Any]) -> LabStatus:
    topo = state.get("topology") or {}
    nodes = []
    for node, spec in (topo.get("nodes") or {}).items():
        vids = tuple(v.get("id", "") for v in (spec or {}).get("vantages") or [])
        nodes.append((node, f"{state.get('prefix', '')}{node}", vids))
    nss = state.get("namespaces", [])
    procs = state.get("processes", [])
    return LabStatus(
        name=state["name"],
        source=state.get("source", "-"),
        nodes=tuple(nodes),
        namespaces_alive=sum(1 for ns in nss if _ns_exists(ns)),
        namespaces_total=len(nss),
        processes_alive=sum(1 for p in procs if _alive(p["pid"])),
        processes_total=len(procs),
        created=state.get("created", ""),
    )


def status() -> list[LabStatus]:
    """Every lab that is up (or half up), by name."""
    out = []
    if STATE_ROOT.is_dir():
        for d in sorted(STATE_ROOT.iterdir()):
            st = lab_state(d.name)
            if st is not None:
                out.append(_status_of(st))
    return out
