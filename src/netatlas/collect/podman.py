"""Podman on this machine, through its CLI, and its running containers.

Podman is the default container engine on Fedora and RHEL, and Podman Desktop runs it
on Windows and macOS. Its API socket (rootful ``/run/podman/podman.sock``, rootless
``$XDG_RUNTIME_DIR/podman/podman.sock``) exists only while ``podman system service``
runs, which nothing starts by default; the CLI always answers, so the scan asks it,
through the runner, for JSON:

* ``podman info --format json`` (kind ``podman-info``): version, network backend
  (``cni`` or ``netavark``), rootless;
* ``podman network inspect NAME…`` (``docker-network-inspect``, which reads podman's
  format too) for every network ``podman network ls`` names;
* ``podman inspect ID`` (``docker-inspect``, Docker-compatible) for every container
  ``podman ps -a`` lists.

Vantages: ``podman-engine`` (kind ``podman-engine``, parent ``host``, channel
``podman-cli``) and ``container:<name>`` for each running rootful container, entered
by its process's network namespace as Docker's are (:mod:`netatlas.collect.containers`),
with its listeners (names are not asked from inside yet). Rootless containers live in the user's
own namespace behind a user-space forwarder (slirp4netns or pasta): their namespaces
are the user's, so they get no vantage here, and ``why`` treats their published ports
as served by that forwarder on the host.

Without ``podman`` there is no engine and no vantage; a ``podman`` that fails is a
recorded failure of ``podman-engine/info`` and the scan goes on. ``CONTAINERS_CONF``
and the other variables podman reads are passed through: the runner keeps the
environment.
"""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Callable, Sequence

from netatlas.collect import containers, docker_exec
from netatlas.collect.base import Planned, Source
from netatlas.collect.runner import Result, Runner
from netatlas.model import Vantage, VantageKind

__all__ = ["ENGINE", "PLATFORMS", "PRODUCES", "engine_plan", "plan"]

ENGINE = "podman-engine"
PRODUCES = ("podman-info", "docker-network-inspect", "docker-inspect", "ip-addr-json", "ip-route-json")
PLATFORMS = ("Linux",)


def _json_list(res: Result) -> list[object]:
    if res.failure is not None:
        return []
    try:
        doc = json.loads(res.stdout or b"[]")
    except ValueError:
        return []
    return doc if isinstance(doc, list) else []


def _fetched(base: str, res: Result) -> Source:
    """A source whose result is already in hand (the list calls are asked at plan time)."""
    return Source(f"{base}/networks", "docker-network-inspect", lambda _r: res, fetched=res)


def plan(runner: Runner, *, system: str | None = None, binary: str | None = None) -> list[Planned]:
    """The podman engine vantage and one vantage per running rootful container.

    Args:
        runner: how podman is run and container namespaces are read.
        system: ``platform.system()`` to plan as.
        binary: the podman executable (default: ``podman`` on ``PATH``; none there, no engine).
    """
    system = system or platform.system()
    podman = binary or shutil.which("podman")
    if system not in PLATFORMS or podman is None:
        return []
    engine = Vantage(ENGINE, VantageKind.PODMAN_ENGINE, "Podman", parent="host", channel="podman-cli")
    return engine_plan(runner, [podman], engine, enter=True)


def engine_plan(
    runner: Runner, prefix: Sequence[str], engine: Vantage, *, enter: bool = False, exec_into: bool = False
) -> list[Planned]:
    """One podman engine, run as ``[*prefix, ARG…]``: its info, networks and containers.

    The same reads serve podman on this Linux host (``prefix`` ``[podman]``) and the
    engine inside a Podman Desktop machine (``wsl.exe -d DISTRO -u root --exec podman``
    on Windows, ``podman --connection NAME`` on macOS: :mod:`netatlas.collect.podman_machine`).

    Args:
        runner: how commands are run.
        prefix: the argv that runs podman (every later argument is one element of its own).
        engine: the engine's vantage; its id prefixes every evidence id.
        enter: also plan each running rootful container as a vantage entered by its
            namespace: only where the containers' processes are this machine's.
        exec_into: also plan each running container (at most
            :data:`~netatlas.collect.docker_exec.MAX_CONTAINERS`) as a vantage entered
            with ``[*prefix, "exec", ID, …]`` (channel ``podman-exec``): where the
            containers run in a machine this kernel cannot enter.
    """
    base = engine.id
    pre = list(prefix)
    info = runner.run([*pre, "info", "--format", "json"])
    sources = [Source(f"{base}/info", "podman-info", lambda _r: info, fetched=info)]
    if info.failure is not None:
        return [Planned(engine, sources)]
    rootless = _rootless(info)
    nets = runner.run([*pre, "network", "ls", "--format", "json"])
    names = [str(n.get("name") or n.get("Name")) for n in _json_list(nets) if isinstance(n, dict)]
    if nets.failure is not None:
        sources.append(_fetched(base, nets))
    elif names:
        argv = [*pre, "network", "inspect", *names]
        sources.append(Source(f"{base}/networks", "docker-network-inspect", lambda r: r.run(argv)))
    listed = runner.run([*pre, "ps", "-a", "--format", "json"])
    if listed.failure is not None:
        sources.append(Source(f"{base}/containers", "docker-inspect", lambda _r: listed, fetched=listed))
    out: list[Planned] = []
    for c in _json_list(listed):
        if not isinstance(c, dict) or not c.get("Id"):
            continue
        cid = str(c["Id"])
        cname = _name(c.get("Names"), cid)
        detail = runner.run([*pre, "inspect", "--type", "container", cid])
        sources.append(Source(f"{base}/container/{cname}", "docker-inspect", _answered(detail), fetched=detail))
        if c.get("State") != "running":
            continue
        if exec_into and len(out) < docker_exec.MAX_CONTAINERS and not _shares_namespace(detail):
            entered = docker_exec.vantage(cname, cid, base, argv=pre, names=NAMES, channel="podman-exec")
            if entered is not None:
                out.append(entered)
            continue
        if not enter or rootless:
            continue
        planned = _vantage(runner, cname, cid, detail, base)
        if planned is not None:
            out.append(planned)
    return [Planned(engine, sources), *out]


NAMES = ("host.containers.internal",)
"""The host's name podman writes into every container's hosts file (podman-run(1))."""


def _shares_namespace(detail: Result) -> bool:
    """A container in the host's or another container's namespace (``--network host|container:X``)."""
    try:
        doc = json.loads(detail.stdout)
    except ValueError:
        return False
    obj = doc[0] if isinstance(doc, list) and doc else doc
    host_cfg = obj.get("HostConfig") if isinstance(obj, dict) else None
    mode = str(host_cfg.get("NetworkMode") or "") if isinstance(host_cfg, dict) else ""
    return mode == "host" or mode.startswith("container:")


def _answered(res: Result) -> Callable[[Runner], Result]:
    """A source's reader for a result already in hand."""
    return lambda _r: res


def _name(names: object, cid: str) -> str:
    if isinstance(names, list) and names:
        return str(names[0]).lstrip("/")
    return cid[:12]


def _rootless(info: Result) -> bool:
    try:
        doc = json.loads(info.stdout)
    except ValueError:
        return False
    host = doc.get("host") if isinstance(doc, dict) else None
    security = host.get("security") if isinstance(host, dict) else None
    return bool(security.get("rootless")) if isinstance(security, dict) else False


def _vantage(runner: Runner, name: str, cid: str, detail: Result, engine: str) -> Planned | None:
    """A running container as a vantage entered by its namespace, unless it shares another's."""
    try:
        doc = json.loads(detail.stdout)
    except ValueError:
        return None
    obj = doc[0] if isinstance(doc, list) and doc else doc
    if not isinstance(obj, dict):
        return None
    state = obj.get("State")
    host_cfg = obj.get("HostConfig")
    pid = state.get("Pid") if isinstance(state, dict) else None
    mode = str(host_cfg.get("NetworkMode") or "") if isinstance(host_cfg, dict) else ""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    if mode == "host" or mode.startswith("container:"):
        return None
    if containers.owns_container(runner, pid, cid) is not None:
        return None
    vid = f"container:{name}"
    vantage = Vantage(vid, VantageKind.CONTAINER, name, parent=engine, channel="netns")
    return Planned(vantage, containers.container_sources(vid, pid))
