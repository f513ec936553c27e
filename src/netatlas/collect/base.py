"""What every collector provides: the vantages it can reach and their sources.

A collector is one module ``netatlas.collect.<name>`` with ``PRODUCES`` (the
evidence kinds it can yield), ``PLATFORMS`` (``platform.system()`` values it runs on)
and ``plan(runner) -> list[Planned]``. ``plan`` may run the few commands needed to
discover vantages (``wsl.exe -l -v`` to find running distros, the Docker API to find
containers); whatever it ran is returned as already-fetched sources, so discovery
output is evidence too. The scan then fetches every other source in parallel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from netatlas.collect.runner import Result, Runner
from netatlas.model import Evidence, Vantage

__all__ = ["Collector", "Planned", "Source", "read_with_fallback"]


@dataclass(frozen=True)
class Source:
    """One source of one vantage.

    Args:
        id: evidence id, ``<vantage id>/<name>``; unique in a scan.
        kind: the parser kind that reads its output.
        fetch: how to get it, through the runner only.
        optional: absent on many machines (a ``not-installed`` failure is dropped).
        fetched: already run during discovery; ``fetch`` is not called again.
        local: answered in-process without waiting (netlink, a file read): the scan
            runs these in its own thread, since threads only add lock contention to
            work that holds the interpreter; sources that wait on a process or the
            network run on the thread pool meanwhile.
        encoding: the encoding its output is known to be in (a Windows tool writes
            its console's OEM code page), kept on the evidence for the parsers.
        needs: seconds this source is known to need (a cold Windows PowerShell 5.1
            takes several); it raises the scan's per-source cap (``--timeout``) for
            this source instead of being cut at it.
    """

    id: str
    kind: str
    fetch: Callable[[Runner], Result]
    optional: bool = False
    fetched: Result | None = None
    local: bool = False
    encoding: str | None = None
    needs: float | None = None

    def get(self, runner: Runner) -> Result:
        """The result, running the source unless discovery already did."""
        return self.fetched if self.fetched is not None else self.fetch(runner)

    def evidence(self, vantage: str, result: Result) -> Evidence:
        """A result of this source as evidence."""
        return result.evidence(self.id, vantage, self.kind, self.encoding)


@dataclass(frozen=True)
class Planned:
    """A vantage and the sources to read from it."""

    vantage: Vantage
    sources: list[Source] = field(default_factory=list)


class Collector(Protocol):
    """The interface of a collector module."""

    PRODUCES: tuple[str, ...]
    PLATFORMS: tuple[str, ...]

    def plan(self, runner: Runner) -> list[Planned]: ...


def read_with_fallback(runner: Runner, path: str, legacy: str) -> Result:
    """``path``, or ``legacy`` when ``path`` is absent and ``legacy`` is there.

    Docker Desktop moved its settings from ``settings.json`` to ``settings-store.json``;
    a machine has one or the other. Any other failure of ``path`` is what is kept.
    """
    res = runner.read(path)
    if res.failure is not None and res.failure.code == "not-installed":
        old = runner.read(legacy)
        if old.failure is None:
            return old
    return res
