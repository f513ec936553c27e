"""Podman Desktop's machines on Windows and macOS, and the podman engine inside each.

Podman runs Linux containers on Windows and macOS inside a VM it manages, a
*machine*. The scan reads, through the runner:

* ``podman machine list --format json`` (``podman-machine-list``, on the host): every
  machine, whether it runs, its VM type (``wsl``, ``hyperv``, ``applehv``,
  ``libkrun``, ``qemu``);
* ``podman machine inspect NAME`` (``podman-machine-inspect``) for each running
  machine: rootful or not;
* the engine inside each running machine with the same reads as podman on Linux
  (:func:`netatlas.collect.podman.engine_plan`: ``info``, ``network inspect``,
  ``inspect`` of every container), run through the machine:

  - a WSL machine is a WSL distribution named ``podman-NAME`` (a name already
    starting with ``podman`` is kept: ``podman-machine-default``; podman's
    ``env.WithPodmanPrefix``), entered as the Windows collector enters distros:
    ``wsl.exe -d DISTRO -u root --exec podman …`` for a rootful machine, ``-u USER``
    (``user``, the machine's ``RemoteUsername``) for a rootless one. ``--exec`` runs
    podman without a shell and podman writes its own UTF-8 (only ``wsl.exe``'s own
    messages are UTF-16LE);
  - any other machine through the connection podman made for it:
    ``podman --connection NAME-root …`` (rootful) or ``--connection NAME`` (rootless).

Vantages: ``podman-machine:NAME`` (kind ``podman-machine``, parent ``host``) and
``podman-engine:NAME`` (kind ``podman-engine``, parent the machine): the merge puts the
engine's networks and containers on the machine's node. Each running container is
also a vantage ``container:<name>`` (channel ``podman-exec``), entered with the
engine's own ``exec`` through the machine (``… podman exec ID cat /etc/hosts``, as
:mod:`netatlas.collect.docker_exec` enters Docker Desktop's), asking
``host.containers.internal`` from inside. A stopped machine has no engine to ask: it
is in the list, and nothing runs for it.

Only the podman of the platform netatlas runs on is looked for (a replay of another
platform finds none unless given one). A failing ``podman machine list`` is a recorded
failure and the scan goes on without machines.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from netatlas.collect import docker_exec, podman
from netatlas.collect.base import Planned, Source
from netatlas.collect.runner import Result, Runner
from netatlas.errors import ParseError
from netatlas.model import Vantage, VantageKind

__all__ = ["PLATFORMS", "PRODUCES", "Machine", "distro_name", "find_podman", "machines", "plan"]

PRODUCES = (
    "podman-machine-list",
    "podman-machine-inspect",
    "podman-info",
    "docker-network-inspect",
    "docker-inspect",
    *docker_exec.PRODUCES,
)
PLATFORMS = ("Windows", "Darwin")
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
"""A Linux user name as ``useradd`` takes it: never an option (``--exec``) for ``wsl.exe -u``."""
"""A machine name as podman accepts one (its ``NameRegex``): never read as an option
when it is passed on as one argv element."""
ROOTLESS_USER = "user"
"""The machine's rootless user when ``RemoteUsername`` is not given (podman's ``defaultRemoteUser``)."""


@dataclass(frozen=True)
class Machine:
    """One machine as ``podman machine list`` names it."""

    name: str
    running: bool
    vm_type: str
    user: str = ROOTLESS_USER


def find_podman(system: str) -> str | None:
    """The podman client by its absolute path, when ``system`` is the platform netatlas runs on.

    Windows: :func:`~netatlas.collect.runner.windows_program` (absolute ``PATH`` entries
    only, ``.exe``/``.com`` only: never a ``podman.exe`` planted in the current folder).
    macOS: the absolute ``PATH`` entries only, for the same reason.
    """
    if platform.system() != system:
        return None
    path = os.environ.get("PATH", "")
    if system == "Windows":
        from netatlas.collect.runner import windows_program

        return windows_program("podman", path, os.environ.get("PATHEXT"))
    folders = os.pathsep.join(d for d in path.split(os.pathsep) if d.startswith("/"))
    return shutil.which("podman", path=folders) if folders else None


def distro_name(machine: str) -> str:
    """The WSL distribution of a WSL machine: ``podman-NAME``, unless NAME starts with ``podman``."""
    return machine if machine.startswith("podman") else f"podman-{machine}"


def machines(listed: Result) -> list[Machine]:
    """The machines in ``podman machine list --format json`` output (none on any failure)."""
    if listed.failure is not None:
        return []
    from netatlas.parsers import parse

    try:
        facts = parse("podman-machine-list", listed.stdout, source="podman-machine-list")
    except ParseError:
        return []
    found = facts.settings.get("podman_machines")
    out = []
    for m in found if isinstance(found, list) else []:
        if isinstance(m, dict) and isinstance(m.get("name"), str):
            user = m.get("remote_username")
            out.append(
                Machine(
                    name=str(m["name"]),
                    running=m.get("running") is True,
                    vm_type=str(m.get("vm_type") or ""),
                    user=user if isinstance(user, str) and _USER.match(user) else ROOTLESS_USER,
                )
            )
    return out


def _rootful(inspected: Result, name: str) -> bool:
    """``Rootful`` of ``name`` in ``podman machine inspect`` output; unknown is podman's default, rootless."""
    if inspected.failure is not None:
        return False
    from netatlas.parsers import parse

    try:
        facts = parse("podman-machine-inspect", inspected.stdout, source="podman-machine-inspect")
    except ParseError:
        return False
    found = facts.settings.get("podman_machine_inspect")
    for m in found if isinstance(found, list) else []:
        if isinstance(m, dict) and m.get("name") == name:
            return m.get("rootful") is True
    return False


def _prefix(binary: str, machine: Machine, rootful: bool, wsl: Callable[[], str]) -> tuple[list[str], str]:
    """The argv that runs podman inside ``machine``, and the channel it is."""
    if machine.vm_type == "wsl":
        user = "root" if rootful else machine.user
        return [wsl(), "-d", distro_name(machine.name), "-u", user, "--exec", "podman"], "wsl"
    connection = f"{machine.name}-root" if rootful else machine.name
    return [binary, "--connection", connection], "podman-connection"


def _windows_wsl() -> str:
    """No ``wsl.exe`` was handed in: never run it by a bare name (the Windows collector passes its absolute path)."""
    raise ValueError("a WSL machine needs wsl.exe's absolute path (collect.windows passes it)")


def _answered(res: Result) -> Callable[[Runner], Result]:
    return lambda _r: res


def plan(
    runner: Runner,
    system: str,
    *,
    binary: str | None = None,
    wsl: Callable[[], str] | None = None,
) -> tuple[list[Source], list[Planned], list[Machine]]:
    """The host's machine list source, each running machine and its engine, and the machines.

    Args:
        runner: how commands are run.
        system: ``Windows`` or ``Darwin``.
        binary: the podman client (default: :func:`find_podman`; none, nothing planned).
        wsl: ``wsl.exe`` by its absolute path (Windows), for WSL machines.

    Returns:
        the host's sources (the list), the machine and engine vantages, and the machines
        listed (the Windows collector leaves their distros to this module).
    """
    client = binary or find_podman(system)
    if system not in PLATFORMS or client is None:
        return [], [], []
    listed = runner.run([client, "machine", "list", "--format", "json"])
    host = [Source("host/podman-machine-list", "podman-machine-list", _answered(listed), fetched=listed)]
    found = machines(listed)
    out: list[Planned] = []
    for m in found:
        if not m.running or not _NAME.match(m.name):
            continue  # no engine to ask (stopped), or a name podman itself would refuse
        mid = f"podman-machine:{m.name}"
        inspected = runner.run([client, "machine", "inspect", m.name])
        rootful = _rootful(inspected, m.name)
        prefix, channel = _prefix(client, m, rootful, wsl or _windows_wsl)
        machine = Vantage(mid, VantageKind.PODMAN_MACHINE, m.name, parent="host", channel=channel)
        inspect = Source(f"{mid}/inspect", "podman-machine-inspect", _answered(inspected), fetched=inspected)
        out.append(Planned(machine, [inspect]))
        who = "root" if rootful else "rootless"
        engine = Vantage(
            f"podman-engine:{m.name}",
            VantageKind.PODMAN_ENGINE,
            f"Podman ({who}) in {m.name}",
            parent=mid,
            channel=channel,
        )
        out.extend(podman.engine_plan(runner, prefix, engine, exec_into=True))
    return host, out, found
