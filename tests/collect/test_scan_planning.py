"""How a scan plans: later collectors discover their vantages while the first one reads.

Two stand-in collector modules: the second one's discovery waits until the first
one's in-process source has been read, and that source waits until the discovery has
started. Both happen only if discovery runs on the pool while the first collector is
read (planning every collector first, as scans once did, times out). The bundle
keeps collector order all the same.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator

import pytest

from netatlas.collect import scan as scan_mod
from netatlas.collect.base import Planned, Source
from netatlas.collect.runner import ReplayRunner, Result, Runner
from netatlas.errors import CollectError
from netatlas.model import Vantage, VantageKind

DISCOVERING = threading.Event()
FIRST_READ = threading.Event()


def _module(name: str, plan: object) -> types.ModuleType:
    mod = types.ModuleType(f"netatlas.collect.{name}")
    mod.plan = plan  # type: ignore[attr-defined]
    return mod


def _first_plan(runner: Runner) -> list[Planned]:
    def waits_for_discovery(_r: Runner) -> Result:
        started = DISCOVERING.wait(timeout=2)
        FIRST_READ.set()
        return Result(("read", "/first"), b"discovery was under way\n" if started else b"it was not\n")

    host = Vantage("host", VantageKind.LINUX_HOST, "box")
    return [Planned(host, [Source("host/hosts", "hosts", waits_for_discovery, local=True)])]


def _second_plan(runner: Runner) -> list[Planned]:
    DISCOVERING.set()
    overlapped = FIRST_READ.wait(timeout=2)
    pod = Vantage("kubernetes", VantageKind.POD, "overlapped" if overlapped else "serial", parent="host")
    return [Planned(pod, [Source("kubernetes/hosts", "hosts", lambda r: Result(("read", "/second"), b"x\n"))])]


def _failing_plan(runner: Runner) -> list[Planned]:
    raise CollectError("error", "discovery broke")


@pytest.fixture
def collectors(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    DISCOVERING.clear()
    FIRST_READ.clear()
    for name, plan in (("fake_first", _first_plan), ("fake_second", _second_plan), ("fake_fail", _failing_plan)):
        monkeypatch.setitem(sys.modules, f"netatlas.collect.{name}", _module(name, plan))
    monkeypatch.setitem(scan_mod.COLLECTORS, "Testix", ("fake_first", "fake_second"))
    monkeypatch.setitem(scan_mod.COLLECTORS, "Brokenix", ("fake_first", "fake_fail"))
    yield


def test_later_collectors_discover_while_the_first_is_read(collectors: None) -> None:
    bundle = scan_mod.scan(ReplayRunner(), system="Testix")
    by_id = {e.id: e for e in bundle.evidence}
    assert by_id["host/hosts"].data == b"discovery was under way\n"
    assert [(v.id, v.name) for v in bundle.vantages] == [("host", "box"), ("kubernetes", "overlapped")]
    assert [e.id for e in bundle.evidence] == ["host/hosts", "kubernetes/hosts"]


def test_a_failing_discovery_is_raised_as_before(collectors: None) -> None:
    DISCOVERING.set()
    with pytest.raises(CollectError, match="discovery broke"):
        scan_mod.scan(ReplayRunner(), system="Brokenix")


def test_a_collector_producing_none_of_the_kinds_asked_is_not_run(
    collectors: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--only hosts asks no Docker engine: a later collector without those kinds never plans."""
    calls: list[str] = []

    def engine_plan(runner: Runner) -> list[Planned]:
        calls.append("engine")
        return []

    engine = _module("fake_engine", engine_plan)
    engine.PRODUCES = ("docker-info", "ip-addr-json")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "netatlas.collect.fake_engine", engine)
    monkeypatch.setitem(scan_mod.COLLECTORS, "Enginix", ("fake_first", "fake_engine"))
    DISCOVERING.set()
    bundle = scan_mod.scan(ReplayRunner(), system="Enginix", only=["hosts"])
    assert calls == [] and [v.id for v in bundle.vantages] == ["host"]
    scan_mod.scan(ReplayRunner(), system="Enginix", only=["ip-addr-json"])
    assert calls == ["engine"]
    scan_mod.scan(ReplayRunner(), system="Enginix")  # everything: every collector
    assert calls == ["engine", "engine"]
