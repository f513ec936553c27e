"""macOS collector: a replayed host scan and its failure modes.

The replay (``tests/fixtures/collect/macos-host/``) is one file per command with an
``index.json`` mapping argv (or a file path) to it. Scans go through the real
:func:`scan` with ``system="Darwin"``.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from netatlas.atlas import build_atlas
from netatlas.collect import macos
from netatlas.collect.runner import ReplayRunner, Result
from netatlas.collect.scan import scan
from netatlas.model import Failure, VantageKind

REPLAY = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "macos-host"
INDEX: dict[str, Any] = json.loads((REPLAY / "index.json").read_text(encoding="utf-8"))
SETTINGS = "/Users/kbrazil/Library/Group Containers/group.com.docker/settings-store.json"


def replay() -> ReplayRunner:
    return ReplayRunner(
        {tuple(c["argv"]): (REPLAY / c["file"]).read_bytes() for c in INDEX["commands"]},
        {f["path"]: (REPLAY / f["file"]).read_bytes() for f in INDEX["files"]},
    )


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in INDEX["env"].items():
        monkeypatch.setenv(k, v)


def test_macos_host_scan() -> None:
    rr = replay()
    b = scan(rr, system="Darwin")
    assert [(v.id, v.kind, v.name, v.parent) for v in b.vantages] == [
        ("host", VantageKind.MACOS_HOST, "kbrazil-mac.attlocal.net", None)
    ]
    assert {e.kind for e in b.evidence} == set(macos.PRODUCES)
    assert not [e.id for e in b.evidence if e.failure is not None]
    by_id = {e.id: e for e in b.evidence}
    assert by_id["host/docker-desktop-settings"].argv == ("read", SETTINGS)
    assert b.meta["platform"] == "Darwin"


def test_macos_atlas() -> None:
    atlas = build_atlas(scan(replay(), system="Darwin"))
    assert not atlas.problems
    lan = atlas.network("net:192.168.1.0/24")
    assert lan is not None
    assert ("node:host", "192.168.1.221") in {(a.node, str(a.address)) for a in lan.attachments}
    host = atlas.node("node:host")
    assert host is not None and host.kind == "host"
    assert any(r.destination.prefixlen == 0 and str(r.gateway) == "192.168.1.254" for r in host.routes)
    # scutil --dns is read after /etc/resolv.conf, so the system's resolvers win
    assert [str(s) for s in host.dns.servers] == ["192.168.1.254"]
    assert host.dns.search == ("attlocal.net",)
    assert any(n.name == "kubernetes.docker.internal" for n in atlas.names)


def test_macos_failures_are_recorded_and_the_scan_goes_on() -> None:
    rr = replay()
    del rr.commands[("scutil", "--dns")]
    del rr.files["/etc/resolv.conf"]
    del rr.files[SETTINGS]
    rr.files["/etc/hosts"] = Result(
        ("read", "/etc/hosts"), failure=Failure("permission-denied", "/etc/hosts: permission denied")
    )
    rr.commands[("netstat", "-rn")] = Result(
        ("netstat", "-rn"), failure=Failure("timeout", "netstat -rn: no answer within 10s")
    )
    b = scan(rr, system="Darwin")
    got = {e.id: (e.failure.code if e.failure else None) for e in b.evidence}
    assert got == {
        "host/ifconfig": None,
        "host/netstat-rn": "timeout",
        "host/hosts": "permission-denied",
        "host/scutil-dns": "missing-binary",
    }
    atlas = build_atlas(b)
    assert atlas.network("net:192.168.1.0/24") is not None


def test_legacy_docker_settings_and_hostname_fallback() -> None:
    rr = replay()
    rr.files[SETTINGS.replace("settings-store.json", "settings.json")] = rr.files.pop(SETTINGS)
    del rr.commands[("hostname",)]
    b = scan(rr, system="Darwin")
    ev = {e.id: e for e in b.evidence}
    assert ev["host/docker-desktop-settings"].argv[1].endswith("/group.com.docker/settings.json")
    assert b.vantage("host").name  # socket.gethostname() of the test machine


def test_macos_argv_are_fixed() -> None:
    rr = replay()
    scan(rr, system="Darwin")
    run = sorted(c for c in rr.calls if c[0] != "read")
    assert run == [
        ("hostname",),
        ("ifconfig",),
        ("kubectl", "config", "view", "--minify", "-o", "json"),
        ("netstat", "-rn"),
        ("scutil", "--dns"),
    ]
    src = inspect.getsource(macos)
    assert "subprocess" not in src and "shell=" not in src
