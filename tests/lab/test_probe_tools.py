"""A probe tool missing from the machine is a skipped probe naming its package, never an observed "no reply".

Tried as a new user would on a machine without ``ping``, ``verify --lab z820`` reported
71 false disagreements. These run without a lab: nothing is executed when the tool is
not on ``PATH``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from netatlas.lab import load_topology
from netatlas.lab import probes as probes_mod
from netatlas.lab.probes import Observed, Probe, plan_probes, run_probe
from netatlas.lab.verify import table, verify_topology
from netatlas.model.atlas import Atlas

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "lab"


@pytest.fixture
def no_ping(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH without ping (and nothing else), and no process may be started."""
    monkeypatch.setenv("PATH", str(tmp_path))

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("a probe ran a command although its tool is missing")

    monkeypatch.setattr(subprocess, "run", refuse)


def test_ping_without_iputils_ping_is_skipped_with_the_package(no_ping: None) -> None:
    topo = load_topology("z820")
    probe = next(p for p in plan_probes(topo) if p.kind == "ping")
    got = run_probe(topo, probe)
    assert got.status == "skipped"
    assert got.detail == "ping is not installed (apt-get install iputils-ping)"


def test_traceroute_and_getent_name_their_packages(no_ping: None) -> None:
    topo = load_topology("z820")
    trace = next(p for p in plan_probes(topo) if p.kind == "traceroute")
    assert "apt-get install traceroute" in run_probe(topo, trace).detail
    name = next(p for p in plan_probes(topo) if p.kind == "name")
    assert "apt-get install libc-bin" in run_probe(topo, name).detail


def test_a_tool_gone_between_check_and_run_is_skipped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ip netns exec`` reports the failed exec (captured from iproute2); that is no 'no reply'."""
    topo = load_topology("z820")
    probe = next(p for p in plan_probes(topo) if p.kind == "ping")
    err = (FIX / "ip-netns-exec-no-ping.err").read_bytes()
    monkeypatch.setattr(probes_mod, "missing_tool", lambda tool: None)
    monkeypatch.setattr(probes_mod, "_exec", lambda *_a, **_k: subprocess.CompletedProcess(["ip"], 1, b"", err))
    got = run_probe(topo, probe)
    assert got.status == "skipped" and "ping" in got.detail


def test_verify_counts_skipped_pings_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    topo = load_topology("z820")
    why = "ping is not installed (apt-get install iputils-ping)"

    def run(_topo: Any, probes: list[Probe], **_k: Any) -> list[Observed]:
        return [Observed("skipped", detail=why) for _p in probes]

    monkeypatch.setattr("netatlas.lab.verify.run_probes", run)
    monkeypatch.setattr("netatlas.lab.verify._source_ref", lambda *_a: "host")
    monkeypatch.setattr("netatlas.lab.verify._Map.__init__", _empty_map)
    report = verify_topology(topo, Atlas("netatlas-atlas/1", (), (), ()))
    assert report.checks == () and report.disagreements == []
    pings = sum(1 for p in plan_probes(topo) if p.kind == "ping")
    assert f"{pings} ping probes skipped: {why}" in report.missing_tools
    assert f"{pings} ping probes skipped: {why}" in table(report)


def _empty_map(self: Any, atlas: Atlas, topo: Any) -> None:
    self.topo, self.held, self.scanned, self.of_atlas = topo, topo.addresses(), set(), {}
    self.known = set(topo.addresses())
