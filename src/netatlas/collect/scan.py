"""Scan this machine: find its vantages, read every source in parallel, make a bundle.

Sources are independent, so they run on a bounded thread pool (netlink and file
reads are in-process; commands are subprocesses with timeouts). A failing source is
recorded in the bundle and the scan goes on. ``progress`` is called as each source
finishes, for the CLI's live display.
"""

from __future__ import annotations

import platform
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from netatlas.bundle import Bundle
from netatlas.collect import linux, netlink
from netatlas.collect.runner import Result, Runner, SubprocessRunner
from netatlas.errors import CollectError
from netatlas.model import Evidence, Failure, Vantage, VantageKind

__all__ = ["Progress", "scan"]

Progress = Callable[[str, str, Failure | None], None]


def _hosts_names(runner: Runner) -> Callable[[], list[str]]:
    def names() -> list[str]:
        res = runner.read("/etc/hosts")
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


def scan(
    runner: Runner | None = None,
    *,
    only: Iterable[str] | None = None,
    timeout: float = 10.0,
    workers: int = 8,
    netns: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> Bundle:
    """Scan this Linux machine and its named network namespaces.

    Args:
        runner: how to reach the system (default: real subprocesses and files).
        only: evidence kinds to collect (default: all).
        timeout: per-source timeout in seconds.
        workers: how many sources are read at once.
        netns: namespace names to scan (default: every one in ``/run/netns``).
        progress: called with (vantage id, evidence id, failure) as sources finish.

    Raises:
        CollectError: this platform has no collector yet.
    """
    system = platform.system()
    if system != "Linux":
        raise CollectError("unsupported", f"live scanning of {system} is not implemented yet; use --bundle")
    run = runner or SubprocessRunner()
    kinds = set(only) if only else None
    host = Vantage("host", VantageKind.LINUX_HOST, socket.gethostname() or "localhost")
    vantages = [host]
    jobs: list[tuple[str, linux.LinuxSource]] = [("host", s) for s in linux.host_sources(_hosts_names(run))]
    for name in netlink.named_namespaces() if netns is None else list(netns):
        v = linux.netns_vantage(name)
        vantages.append(v)
        jobs.extend((v.id, s) for s in linux.netns_sources(name))
    jobs = [(v, s) for v, s in jobs if kinds is None or s.kind in kinds]
    created = datetime.now(timezone.utc)

    def one(job: tuple[str, linux.LinuxSource]) -> Evidence | None:
        vid, src = job
        ev = linux.to_evidence(src, vid, src.fetch(_Timed(run, timeout)))
        if src.optional and ev.failure is not None and ev.failure.code == "not-installed":
            return None  # no systemd-resolved, no /etc/netns/NAME: not news
        if progress is not None:
            progress(vid, src.id, ev.failure)
        return ev

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        evidence = [e for e in pool.map(one, jobs) if e is not None]
    return Bundle(
        vantages=tuple(vantages),
        evidence=tuple(evidence),
        created=created,
        meta={"platform": system, "only": sorted(kinds) if kinds else None},
    )


class _Timed:
    """A runner that applies the scan's per-source timeout to every command."""

    def __init__(self, inner: Runner, timeout: float) -> None:
        self._inner = inner
        self._timeout = timeout

    def run(self, argv: object, *, timeout: float | None = None) -> Result:
        return self._inner.run(argv, timeout=min(timeout or self._timeout, self._timeout))  # type: ignore[arg-type]

    def read(self, path: str) -> Result:
        return self._inner.read(path)
