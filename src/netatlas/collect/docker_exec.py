"""The ``docker exec`` channel: a container's network seen from inside, when its namespace is not here.

:mod:`netatlas.collect.containers` reads a container's namespace through
``/proc/PID/ns/net``, which works only when the engine runs on this kernel. With
Docker Desktop (Windows, macOS, or Linux, where the engine lives in a VM), a remote
``DOCKER_HOST``, or a container whose process is not visible here, the container is
entered with ``docker exec`` instead. :mod:`netatlas.collect.docker_engine` decides
which containers; this module says what is run in them.

Vantage ``container:<name>`` (kind ``container``, parent the engine vantage, channel
``docker-exec``). Sources (kinds in parentheses), each one ``docker exec ID CMD ARG…``:

* ``cat /etc/resolv.conf`` (``resolv-conf``) and ``cat /etc/hosts`` (``hosts``);
* ``ip -j address`` (``ip-addr-json``) and ``ip -j route show table all``
  (``ip-route-json``). Minimal images (distroless, scratch) have no ``ip`` or no
  ``cat``: that is a ``missing-binary`` failure and the other sources still count;
  BusyBox's ``ip`` knows no ``-j`` (an ``exit-status`` failure);
* ``getent hosts host.docker.internal gateway.docker.internal`` (``getent-hosts``):
  exit 2 means some names were not found, which is an answer, not a failure.

Safety: ``docker exec`` gets an argv list, never a shell. The container id is its own
argv element and must be a hex id as the engine reports it (so it can never be read as
an option); the command inside runs without a shell too (``docker exec`` execs argv
directly). At most :data:`MAX_CONTAINERS` containers are entered per scan, and every
source has a timeout (:data:`EXEC_TIMEOUT`, capped by the scan's own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from netatlas.collect.base import Planned, Source
from netatlas.collect.runner import Result, Runner
from netatlas.model import Failure, Vantage, VantageKind

__all__ = [
    "DOCKER",
    "EXEC_TIMEOUT",
    "MAX_CONTAINERS",
    "NAMES",
    "PRODUCES",
    "container_sources",
    "exec_argv",
    "exec_checked",
    "vantage",
]

PRODUCES = ("resolv-conf", "hosts", "ip-addr-json", "ip-route-json", "getent-hosts")
DOCKER = "docker"
MAX_CONTAINERS = 50
"""How many containers one scan enters at most (the engine's inspect still maps the rest)."""
EXEC_TIMEOUT = 10.0
"""Seconds per ``docker exec`` (the scan's per-source timeout caps it further)."""
NAMES = ("host.docker.internal", "gateway.docker.internal")
"""Docker Desktop's special names, resolved inside each container (pool-facts §2)."""

_ID = re.compile(r"^[0-9a-f]{12,64}$")
_NOT_FOUND = re.compile(
    rb"executable file not found|no such file or directory: unknown|not found in \$PATH|exec format error",
    re.I,
)
_NO_FILE = re.compile(rb"No such file or directory")


def exec_argv(container_id: str, *argv: str, engine: Sequence[str] = (DOCKER,)) -> list[str]:
    """``docker exec ID ARGV…``, or ``[*engine, "exec", ID, ARGV…]`` for another engine's CLI.

    ``engine`` is the argv that runs the engine's client: a Podman machine's engine is
    ``wsl.exe -d DISTRO -u root --exec podman`` or ``podman --connection NAME``, whose
    ``exec`` takes the same arguments as Docker's.

    Raises:
        ValueError: ``container_id`` is not a hex container id.
    """
    if not _ID.match(container_id):
        raise ValueError(f"not a container id: {container_id!r}")
    return [*engine, "exec", container_id, *argv]


def exec_checked(res: Result, *, file: bool = False, getent: bool = False) -> Result:
    """A ``docker exec``/``kubectl exec`` result with failures people can act on.

    * the program is not in the image (OCI "executable file not found", exit 126/127)
      → ``missing-binary``;
    * ``cat`` of a missing file (``file``) → ``not-installed``, like a file read;
    * ``getent`` exit 2 (``getent``: some names not found) → no failure.
    """
    if res.failure is None or res.failure.code != "exit-status":
        return res
    if getent and res.exit_code == 2:
        return replace(res, failure=None)
    if _NOT_FOUND.search(res.stderr) or (res.exit_code in (126, 127) and b"OCI runtime" in res.stderr):
        why = f"{_program(res.argv)}: not in the image ({res.failure.message})"
        return replace(res, failure=Failure("missing-binary", why))
    if file and _NO_FILE.search(res.stderr):
        return replace(res, failure=Failure("not-installed", res.failure.message))
    return res


def _program(argv: Sequence[str]) -> str:
    """The program run inside: after ``--`` (kubectl), else after ``… exec ID``."""
    args = list(argv)
    if "--" in args and args.index("--") + 1 < len(args):
        return args[args.index("--") + 1]
    at = len(args) - 1 - args[::-1].index("exec") if "exec" in args else 1
    return args[at + 2] if len(args) > at + 2 else args[-1]


def _run(argv: Sequence[str], **check: bool) -> Callable[[Runner], Result]:
    args = list(argv)
    return lambda r: exec_checked(r.run(args, timeout=EXEC_TIMEOUT), **check)


def container_sources(
    vantage_id: str,
    container_id: str,
    *,
    engine: Sequence[str] = (DOCKER,),
    names: Sequence[str] = NAMES,
) -> list[Source]:
    """The sources read inside container ``container_id`` through ``docker exec``.

    Args:
        vantage_id: prefixes each evidence id.
        container_id: the hex id the engine reports.
        engine: the argv of the engine's client (:func:`exec_argv`).
        names: the engine's special names, resolved inside with ``getent hosts``.

    Raises:
        ValueError: ``container_id`` is not a hex container id.
    """
    p, cid = vantage_id, container_id

    def argv(*args: str) -> list[str]:
        return exec_argv(cid, *args, engine=engine)

    return [
        Source(f"{p}/resolv-conf", "resolv-conf", _run(argv("cat", "/etc/resolv.conf"), file=True)),
        Source(f"{p}/hosts", "hosts", _run(argv("cat", "/etc/hosts"), file=True)),
        Source(f"{p}/ip-addr-json", "ip-addr-json", _run(argv("ip", "-j", "address"))),
        Source(f"{p}/ip-route-json", "ip-route-json", _run(argv("ip", "-j", "route", "show", "table", "all"))),
        Source(f"{p}/getent-hosts", "getent-hosts", _run(argv("getent", "hosts", *names), getent=True)),
    ]


def vantage(
    name: str,
    container_id: str,
    engine: str,
    *,
    argv: Sequence[str] = (DOCKER,),
    names: Sequence[str] = NAMES,
    channel: str = "docker-exec",
) -> Planned | None:
    """Container ``name`` as an exec vantage under ``engine``, or ``None`` for an id that is not one.

    ``argv``, ``names`` and ``channel`` say which engine's client enters it (default
    Docker's: ``docker exec``, Docker's special names, channel ``docker-exec``).
    """
    if not _ID.match(container_id):
        return None
    vid = f"container:{name}"
    v = Vantage(vid, VantageKind.CONTAINER, name, parent=engine, channel=channel)
    return Planned(v, container_sources(vid, container_id, engine=argv, names=names))
