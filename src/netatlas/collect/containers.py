"""Network namespaces entered by path: containers, other processes' namespaces, and the Linux environment.

A running container's network is the network namespace of its first process,
``/proc/<State.Pid>/ns/net``. It is read the same way as the host's: links, addresses
and routes over netlink, its listening sockets over netlink ``sock_diag``
(:mod:`netatlas.collect.sock_diag`), all in-process (no ``nsenter``, no ``ip`` or
``ss`` per namespace), and its files through ``/proc/<pid>/root`` with the runner
(``resolv.conf`` is the one Docker wrote, ``hosts`` the container's own).

The namespace is entered by *path* only, and only a ``/proc/PID/ns/net`` path: the
path is checked first and nothing is ever created (a scan must never change the
system). The sockets are created inside it by the one thread
:mod:`netatlas.collect.netns_entry` keeps for that; nothing is executed.

Which namespaces become vantages: the host, every named namespace (``/run/netns``,
:mod:`netatlas.collect.linux`), and every running container the Docker Engine reports
(:mod:`netatlas.collect.docker_engine`, through :func:`container_sources`). Namespaces
that belong to no container and have no name (a browser sandbox, ``unshare --net``,
systemd's ``PrivateNetwork=``) are many and mostly empty (only ``lo``), so a normal
scan leaves them out; :func:`plan` with ``unowned=True`` lists them as ``netns:pid<N>``
vantages (N = the lowest pid in it) for when they matter.

:func:`linux_env` gathers the few files that tell plain Linux from WSL 1 and WSL 2
and the mode WSL networking runs in (kind ``linux-env``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from netatlas.collect import names, netlink, sock_diag
from netatlas.collect.base import Planned, Source
from netatlas.collect.firewall_commands import FIREWALL_COMMANDS
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure, Vantage, VantageKind

__all__ = [
    "PLATFORMS",
    "PRODUCES",
    "container_sources",
    "firewall_sources",
    "linux_env",
    "linux_env_source",
    "nspath_dump",
    "owns_container",
    "plan",
    "process_namespaces",
]

PRODUCES = (
    "ip-addr-json",
    "ip-route-json",
    "sock-diag-json",
    "dns-answers-json",
    "hosts",
    "resolv-conf",
    "linux-env",
    "iptables-save",
    "nft-json",
)
PLATFORMS = ("Linux",)

_NSPATH = re.compile(r"^/proc/(\d+|self|thread-self)/ns/net$")


def nspath_dump(path: str) -> tuple[Result, Result]:
    """Links+addresses and routes inside the namespace at ``path`` (``/proc/PID/ns/net``).

    Same JSON shapes as :func:`netlink.dump` (``ip -j address`` / ``ip -j route show
    table all``, less each address's own routes). Failures (process gone, permission denied, no pyroute2) are in the
    results, never raised; nothing is ever created.
    """
    argv_a = ("netlink", "nspath", path, "RTM_GETLINK+RTM_GETADDR")
    argv_r = ("netlink", "nspath", path, *netlink.ROUTE_DUMP)
    started, t0 = datetime.now(timezone.utc), time.monotonic()

    def failed(code: str, msg: str) -> tuple[Result, Result]:
        fail = Failure(code, msg)
        return Result(argv_a, started=started, failure=fail), Result(argv_r, started=started, failure=fail)

    if not _NSPATH.match(path):
        return failed("error", f"not a /proc/PID/ns/net path: {path!r}")
    if not Path(path).exists():
        return failed("not-installed", f"{path}: no such process (it ended?)")
    try:
        import pyroute2.netlink.rtnl.marshal  # noqa: F401 - Linux-only dependency
    except ImportError:
        return failed("unsupported", "pyroute2 is not available on this platform")
    try:
        # the socket is created inside the namespace by netns_entry's thread (no fork per container)
        links, routes, first = netlink.read_netns(path)
        t1 = t0 + first
    except PermissionError as exc:
        return failed("permission-denied", f"netlink in {path}: {exc}")
    except FileNotFoundError:
        return failed("not-installed", f"{path}: no such process (it ended?)")
    except (OSError, ValueError, TimeoutError) as exc:
        return failed("error", f"netlink in {path}: {exc}")
    t2 = time.monotonic()
    a = Result(argv_a, json.dumps(links).encode(), duration_s=t1 - t0, started=started)
    r = Result(argv_r, json.dumps(routes).encode(), duration_s=t2 - t1, started=started)
    return a, r


def _nspath_sources(prefix: str, path: str) -> list[Source]:
    cache: dict[str, tuple[Result, Result]] = {}

    def both(_r: Runner) -> tuple[Result, Result]:
        if "d" not in cache:
            cache["d"] = nspath_dump(path)
        return cache["d"]

    where = ("nspath", path)
    return [
        Source(f"{prefix}/ip-addr-json", "ip-addr-json", lambda r: both(r)[0], local=True),
        Source(f"{prefix}/ip-route-json", "ip-route-json", lambda r: both(r)[1], local=True),
        Source(f"{prefix}/sock-diag-json", "sock-diag-json", lambda _r: sock_diag.listeners(path, where), local=True),
    ]


def container_sources(prefix: str, pid: int, ask: Callable[[], Sequence[str]] | None = None) -> list[Source]:
    """A container's sources: netlink in ``/proc/PID/ns/net``, its ``/etc`` files, and its names.

    Args:
        prefix: the vantage id.
        pid: the container's first process, here.
        ask: the names to resolve from inside the container (read when the source
            runs), through its own ``resolv.conf`` (``dns-answers-json``; Docker's
            embedded DNS at 127.0.0.11 answers only from inside). None: no such source.
    """
    root = f"/proc/{pid}/root"
    out = [
        *_nspath_sources(prefix, f"/proc/{pid}/ns/net"),
        Source(f"{prefix}/resolv-conf", "resolv-conf", lambda r: r.read(f"{root}/etc/resolv.conf"), local=True),
        Source(f"{prefix}/hosts", "hosts", lambda r: r.read(f"{root}/etc/hosts"), local=True),
        *firewall_sources(prefix, pid),
    ]
    if ask is not None:
        wanted = ask
        out.append(
            names.dns_answers_source(
                f"{prefix}/dns-answers",
                lambda _r: list(wanted()),
                files=(f"{root}/etc/resolv.conf",),
                netns=f"/proc/{pid}/ns/net",
            )
        )
    return out


def firewall_sources(prefix: str, pid: int) -> list[Source]:
    """The packet filter inside ``/proc/PID/ns/net``: what the Linux collector reads for a
    named namespace (``iptables-save``, ``ip6tables-save``, ``nft -j list ruleset``), run
    through the runner as ``nsenter --net=/proc/PID/ns/net …``.

    Engines program rules there too (Docker's ``DOCKER_OUTPUT`` DNAT to its embedded
    DNS on user networks), and so can the container's own processes (a VPN client's
    kill switch). This is the one place a container's namespace is entered by running a
    command: iptables has no netlink dump to read in-process. The real runner starts
    the tool itself from inside the namespace (no ``nsenter`` process) and does not
    start ``iptables-save``/``ip6tables-save`` where they provably print nothing
    (:meth:`netatlas.collect.runner.SubprocessRunner.run`). Without root, entering is
    refused and that is a recorded failure; where a tool is not installed the source
    is dropped, as on the host.
    """
    path = f"/proc/{pid}/ns/net"

    def fetch(argv: tuple[str, ...]) -> Callable[[Runner], Result]:
        return lambda r: r.run(["nsenter", f"--net={path}", *argv], timeout=15)

    return [Source(f"{prefix}/{name}", kind, fetch(argv), optional=True) for name, kind, argv in FIREWALL_COMMANDS]


def owns_container(runner: Runner, pid: int, container_id: str) -> Failure | None:
    """``None`` when process ``pid`` here is in container ``container_id``'s cgroup.

    The engine's ``State.Pid`` is a pid in the *engine's* pid namespace. When the
    engine runs elsewhere (Docker Desktop's VM, another WSL distro, a remote
    ``DOCKER_HOST``) the same number here is some unrelated process, and reading its
    namespace would put the wrong network on the map. Docker (cgroupfs
    ``/docker/<id>``, systemd ``docker-<id>.scope``) and Podman (``libpod-<id>``)
    name the cgroup after the full container id, as seen from the host's cgroup
    namespace.
    """
    res = runner.read(f"/proc/{pid}/cgroup")
    if res.failure is not None:
        return res.failure
    if container_id and container_id.encode() in res.stdout:
        return None
    return Failure(
        "unsupported",
        f"process {pid} here is not container {container_id[:12]}'s: the engine runs in another "
        "VM or pid namespace, so its namespaces are not reachable from here",
    )


def process_namespaces(skip: Iterable[str] = ()) -> dict[int, str]:
    """Network namespaces of running processes: lowest pid → ``/proc/PID/ns/net``.

    One entry per distinct namespace (by device and inode), leaving out this
    process's own namespace, every named one in ``/run/netns``, and the paths in
    ``skip`` (containers already planned). Unreadable processes are passed over.
    """
    seen: set[tuple[int, int]] = set()
    for path in [
        f"/proc/{os.getpid()}/ns/net",
        *(f"{netlink.NETNS_DIR}/{n}" for n in netlink.named_namespaces()),
        *skip,
    ]:
        try:
            st = Path(path).stat()
        except OSError:
            continue
        seen.add((st.st_dev, st.st_ino))
    out: dict[int, str] = {}
    try:
        pids = sorted(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    except OSError:
        return out
    for pid in pids:
        path = f"/proc/{pid}/ns/net"
        try:
            st = Path(path).stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        out[pid] = path
    return out


def plan(runner: Runner, *, unowned: bool = False, skip: Iterable[str] = ()) -> list[Planned]:
    """Vantages ``netns:pid<N>`` for namespaces no container or name owns (only when ``unowned``)."""
    if not unowned:
        return []
    out = []
    for pid, path in process_namespaces(skip).items():
        vid = f"netns:pid{pid}"
        comm = runner.read(f"/proc/{pid}/comm")
        name = comm.stdout.decode("utf-8", "replace").strip() if comm.failure is None else ""
        vantage = Vantage(vid, VantageKind.NETNS, f"pid {pid}" + (f" ({name})" if name else ""), "host", "netns")
        out.append(Planned(vantage, _nspath_sources(vid, path)))
    return out


# --------------------------------------------------------------------------- linux-env

_ENV_FILES = (
    "/proc/sys/kernel/osrelease",
    "/proc/version",
    "/proc/sys/fs/binfmt_misc/WSLInterop",
    "/etc/wsl.conf",
    "/etc/resolv.conf",
)


def linux_env(runner: Runner, addresses: Callable[[Runner], Result] | None = None) -> Result:
    """The ``linux-env`` document: a few files whole and this namespace's interfaces.

    The files are read through the runner (a replayed scan replays them); the
    interfaces come from the same in-process netlink dump as ``ip-addr-json``.

    Args:
        addresses: the ``ip-addr-json`` result the scan already has (the host's
            dump, shared: a host with hundreds of veths spends a few hundred ms of
            pyroute2 decoding on each dump); default: dump this namespace here.
    """
    started, t0 = datetime.now(timezone.utc), time.monotonic()
    files: dict[str, str | None] = {}
    failures: dict[str, str] = {}
    for path in _ENV_FILES:
        res = runner.read(path)
        if res.failure is None:
            files[path] = res.stdout.decode("utf-8", "replace")
        else:
            files[path] = None
            failures[path] = res.failure.code
    interfaces: list[dict[str, object]] = []
    addrs = addresses(runner) if addresses is not None else netlink.dump(None)[0]
    if addrs.failure is None:
        for link in json.loads(addrs.stdout):
            cidrs = [f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", []) if a.get("local")]
            interfaces.append({"name": link.get("ifname"), "addresses": cidrs})
    else:
        failures["netlink"] = addrs.failure.code
    doc = {"format": "netatlas-linux-env/1", "files": files, "failures": failures, "interfaces": interfaces}
    return Result(
        ("linux-env", *_ENV_FILES, "netlink:RTM_GETADDR"),
        (json.dumps(doc, indent=1) + "\n").encode(),
        duration_s=time.monotonic() - t0,
        started=started,
    )


def linux_env_source(prefix: str = "host", addresses: Callable[[Runner], Result] | None = None) -> Source:
    """The ``linux-env`` source of the scanning host (WSL or not, and which mode).

    Args:
        addresses: the host's ``ip-addr-json`` result, shared with that source
            (see :func:`linux_env`).
    """
    if addresses is None:
        return Source(f"{prefix}/linux-env", "linux-env", linux_env)
    shared = addresses
    return Source(f"{prefix}/linux-env", "linux-env", lambda r: linux_env(r, shared))
