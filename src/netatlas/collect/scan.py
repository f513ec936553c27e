"""Scan this machine: plan every collector's vantages, read all sources in parallel.

Sources are independent, so they run on a bounded thread pool (netlink and file
reads are in-process; commands are subprocesses with timeouts). A failing source is
recorded in the bundle and the scan goes on. ``progress`` is called as each source
finishes, for the CLI's live display.
"""

from __future__ import annotations

import importlib
import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from netatlas.bundle import Bundle
from netatlas.collect.base import Planned, Source
from netatlas.collect.runner import Result, Runner, SubprocessRunner
from netatlas.errors import CollectError
from netatlas.model import Evidence, Failure

__all__ = ["COLLECTORS", "Planner", "Progress", "platform_planners", "scan"]

Progress = Callable[[str, str, Failure | None], None]
Planner = Callable[[Runner], list[Planned]]
"""What the scan asks for vantages: a platform's collector (``mod.plan``), or anything
else that plugs in the same way (the lab: :func:`netatlas.lab.collect.planner`)."""

COLLECTORS: dict[str, tuple[str, ...]] = {
    "Linux": ("linux", "docker_engine", "podman", "kubectl"),
    "Windows": ("windows", "docker_engine", "kubectl"),
    "Darwin": ("macos", "docker_engine", "kubectl"),
}
"""Collector modules (``netatlas.collect.<name>``) run on each platform, in order."""


def platform_planners(
    system: str,
    netns: Sequence[str] | None = None,
    kinds: Iterable[str] | None = None,
    kube_context: str | None = None,
) -> list[Planner]:
    """Each collector's ``plan`` for ``system``, in ``COLLECTORS`` order.

    With ``kinds``, a collector after the first (the platform's own, which the others
    hang their vantages on) is left out when it produces none of them: ``--only hosts``
    asks no Docker engine and runs no kubectl.

    Raises:
        CollectError: ``system`` has no collectors.
    """
    names = COLLECTORS.get(system)
    if not names:
        raise CollectError("unsupported", f"live scanning of {system} is not implemented yet; use --bundle")
    wanted = None if kinds is None else set(kinds)

    def planner(mod: Any, name: str) -> Planner:
        def plan(runner: Runner) -> list[Planned]:
            if name == "linux" and netns is not None:
                return list(mod.plan(runner, netns=list(netns)))
            if name == "kubectl":
                return list(mod.plan(runner, context=kube_context))
            return list(mod.plan(runner))

        return plan

    out = []
    for i, name in enumerate(names):
        mod: Any = importlib.import_module(f"netatlas.collect.{name}")
        if i > 0 and wanted is not None and not set(getattr(mod, "PRODUCES", ())) & wanted:
            continue
        out.append(planner(mod, name))
    return out


def scan(
    runner: Runner | None = None,
    *,
    only: Iterable[str] | None = None,
    timeout: float = 10.0,
    workers: int = 8,
    netns: Iterable[str] | None = None,
    progress: Progress | None = None,
    system: str | None = None,
    planners: Sequence[Planner] | None = None,
    meta: Mapping[str, Any] | None = None,
    kube_context: str | None = None,
) -> Bundle:
    """Scan this machine's vantages into a bundle.

    Args:
        runner: how to reach the system (default: real subprocesses and files).
        only: evidence kinds to collect (default: all).
        timeout: per-source timeout in seconds.
        workers: how many sources are read at once.
        netns: Linux namespace names to scan (default: every one in ``/run/netns``).
        progress: called with (vantage id, evidence id, failure) as sources finish.
        system: ``platform.system()`` to scan as (tests replay other platforms).
        planners: plan these instead of this platform's collectors; the first is the
            one the others hang their vantages on. A running lab's vantages come this
            way (:func:`netatlas.lab.collect.scan_lab`): the scan knows no lab.
        meta: more for the bundle's ``meta`` (the lab's name).
        kube_context: a kubeconfig context to map wherever its cluster runs; without
            it only a cluster on this machine is entered (:mod:`netatlas.collect.kubectl`),
            and any other current context is recorded as skipped.

    Raises:
        CollectError: this platform has no collector yet.
        NetatlasError: whatever a planner raises (``LabError``: the lab is not up).
    """
    system = system or platform.system()
    run = runner or SubprocessRunner()
    kinds = None if only is None else set(only)
    created = datetime.now(timezone.utc)
    if planners is None:
        planners = platform_planners(system, list(netns) if netns is not None else None, kinds, kube_context)
    if not planners:
        raise CollectError("unsupported", "nothing to scan: no planner given")
    timed = _Timed(run, timeout)

    def one(job: tuple[str, Source]) -> Evidence | None:
        vid, src = job
        # a source's own need raises the cap for it (PowerShell asks 30 s against a 10 s --timeout)
        cap = timed if not src.needs or src.needs <= timeout else _Timed(run, src.needs)
        ev = src.evidence(vid, src.get(cap))
        if src.optional and ev.failure is not None and ev.failure.code == "not-installed":
            return None  # no systemd-resolved, no /etc/netns/NAME: not news
        if progress is not None:
            progress(vid, src.id, ev.failure)
        return ev

    plans: list[Planned] = []
    done: dict[tuple[int, int], Evidence | None] = {}
    waiting: dict[tuple[int, int], Future[Evidence | None]] = {}

    def start(i: int, planned: list[Planned], pool: ThreadPoolExecutor) -> None:
        """Queue a collector's waiting sources, then read its in-process ones here."""
        plans.extend(planned)
        jobs = [(p.vantage.id, s) for p in planned for s in p.sources if kinds is None or s.kind in kinds]
        waiting.update({(i, j): pool.submit(one, job) for j, job in enumerate(jobs) if not job[1].local})
        done.update({(i, j): one(job) for j, job in enumerate(jobs) if job[1].local})

    # Waiting sources (processes, network) go to the pool; in-process ones run here
    # meanwhile, since threads only add lock contention to work that holds the GIL.
    # The first collector (this platform's own) plans here at once; the others
    # discover their vantages (Docker's API, kubectl) on the pool meanwhile.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        later = [pool.submit(p, run) for p in planners[1:]]
        start(0, planners[0](run), pool)
        for i, fut in enumerate(later, start=1):
            start(i, fut.result(), pool)
        done.update({key: f.result() for key, f in waiting.items()})
    evidence = [e for _key, e in sorted(done.items()) if e is not None]
    return Bundle(
        vantages=tuple(p.vantage for p in plans),
        evidence=tuple(evidence),
        created=created,
        meta={"platform": system, "only": sorted(kinds) if kinds else None, **(meta or {})},
    )


class _Timed:
    """A runner that applies the scan's per-source timeout to every command."""

    def __init__(self, inner: Runner, timeout: float) -> None:
        self._inner = inner
        self._timeout = timeout

    def run(self, argv: Sequence[str], *, timeout: float | None = None) -> Result:
        return self._inner.run(argv, timeout=min(timeout or self._timeout, self._timeout))

    def read(self, path: str) -> Result:
        return self._inner.read(path)

    def ask_dns(
        self, server: str, port: int, questions: Sequence[tuple[str, str]], timeout: float, netns: str | None = None
    ) -> list[dict[str, Any]]:
        return self._inner.ask_dns(server, port, questions, min(timeout, self._timeout), netns)
