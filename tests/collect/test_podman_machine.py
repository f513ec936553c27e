"""Podman Desktop's machines on Windows and macOS: replayed scans, the atlas, failure modes.

The replays (``tests/fixtures/collect/podman-machine-{windows,macos}/``, written by
``tools/build_podman_machine_replays.py``) are laid over the Z820 replay and the macOS
host replay, and scanned through the real :func:`scan`, so the machine is planned by
the platform's own collector beside everything else on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netatlas.atlas import build_atlas
from netatlas.bundle import Bundle
from netatlas.collect import podman_machine, windows
from netatlas.collect.runner import ReplayRunner, Result, classify_exit
from netatlas.collect.scan import scan
from netatlas.model import VantageKind
from netatlas.model.atlas import Atlas
from netatlas.reach import why

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "collect"
WIN = FIXTURES / "podman-machine-windows"
MAC = FIXTURES / "podman-machine-macos"
Z820 = FIXTURES / "windows-z820"
MAC_HOST = FIXTURES / "macos-host"
WIN_INDEX: dict[str, Any] = json.loads((WIN / "index.json").read_text(encoding="utf-8"))
MAC_INDEX: dict[str, Any] = json.loads((MAC / "index.json").read_text(encoding="utf-8"))
WSL = "C:\\Windows\\System32\\wsl.exe"
MACHINE = "podman-machine-default"
FIND_PODMAN = podman_machine.find_podman  # before the fixture replaces it


def _commands(folder: Path, index: dict[str, Any]) -> dict[tuple[str, ...], bytes | Result]:
    out: dict[tuple[str, ...], bytes | Result] = {}
    for c in index["commands"]:
        data = (folder / c["file"]).read_bytes()
        code = c.get("exit_code", 0)
        err = (folder / c["stderr"]).read_bytes() if "stderr" in c else b""
        argv = tuple(c["argv"])
        out[argv] = (
            data if code == 0 and not err else Result(argv, data, err, code, failure=classify_exit(argv, code, err))
        )
    return out


def _replay(
    base: Path, over: Path, over_index: dict[str, Any], commands: dict[tuple[str, ...], bytes | Result]
) -> ReplayRunner:
    index = json.loads((base / "index.json").read_text(encoding="utf-8"))
    cmds = _commands(base, index)
    cmds.update(_commands(over, over_index))
    cmds.update(commands)
    files: dict[str, bytes | Result] = {f["path"]: (base / f["file"]).read_bytes() for f in index["files"]}
    return ReplayRunner(cmds, files)


def win_replay(**commands: bytes | Result) -> ReplayRunner:
    return _replay(Z820, WIN, WIN_INDEX, {tuple(k.split("\0")): v for k, v in commands.items()})


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in (Z820, MAC_HOST):
        for k, v in json.loads((folder / "index.json").read_text(encoding="utf-8"))["env"].items():
            monkeypatch.setenv(k, v)
    monkeypatch.setattr(windows, "oem_codepage", lambda: "cp437")
    binaries = {"Windows": WIN_INDEX["binary"], "Darwin": MAC_INDEX["binary"]}
    monkeypatch.setattr(podman_machine, "find_podman", lambda system: binaries.get(system))


def _win(rr: ReplayRunner | None = None) -> tuple[ReplayRunner, Bundle]:
    rr = rr or win_replay()
    return rr, scan(rr, system="Windows")


def _mac(rr: ReplayRunner | None = None) -> tuple[ReplayRunner, Bundle]:
    rr = rr or _replay(MAC_HOST, MAC, MAC_INDEX, {})
    return rr, scan(rr, system="Darwin")


def _engine(argv: tuple[str, ...]) -> bool:
    return "podman" in argv and "machine" not in argv


# --------------------------------------------------------------------------- Windows


def test_windows_machine_is_a_vantage_with_its_parent_and_its_engine() -> None:
    _rr, b = _win()
    got = {v.id: (v.kind, v.name, v.parent, v.channel) for v in b.vantages if "podman" in v.id}
    assert got == {
        f"podman-machine:{MACHINE}": (VantageKind.PODMAN_MACHINE, MACHINE, "host", "wsl"),
        f"podman-engine:{MACHINE}": (
            VantageKind.PODMAN_ENGINE,
            f"Podman (root) in {MACHINE}",
            f"podman-machine:{MACHINE}",
            "wsl",
        ),
    }
    # its distro is the machine's: not entered again as a WSL distro
    assert f"wsl:{MACHINE}" not in {v.id for v in b.vantages}
    assert _failures(b) == BUSYBOX_FAILURES
    assert {e.kind for e in b.evidence} <= set(windows.PRODUCES)


BUSYBOX_FAILURES = {
    f"container:{c}/{kind}": code
    for c in ("pmx-web", "pmx-db")
    for kind, code in (
        ("ip-addr-json", "exit-status"),
        ("ip-route-json", "exit-status"),
        ("getent-hosts", "missing-binary"),
    )
}
"""The only failures of the replays: the busybox containers' ``ip`` knows no ``-j`` and they have no ``getent``."""


def _failures(b: Bundle) -> dict[str, str]:
    return {e.id: e.failure.code for e in b.evidence if e.failure is not None}


def test_windows_running_containers_are_entered_with_podman_exec_through_the_machine() -> None:
    rr, b = _win()
    got = {v.id: (v.parent, v.channel) for v in b.vantages if v.kind is VantageKind.CONTAINER}
    engine = f"podman-engine:{MACHINE}"
    assert got == {"container:pmx-web": (engine, "podman-exec"), "container:pmx-db": (engine, "podman-exec")}
    execs = [c for c in rr.calls if c[7:8] == ("exec",)]
    assert len(execs) == 10 and all(c[:7] == (WSL, "-d", MACHINE, "-u", "root", "--exec", "podman") for c in execs)
    getent = next(e for e in b.evidence if e.id == "container:pmx-web/getent-hosts")
    assert getent.failure is not None and getent.failure.message.startswith("getent: not in the image")
    hosts = next(e for e in b.evidence if e.id == "container:pmx-web/hosts")
    assert b"host.containers.internal" in hosts.data
    atlas = build_atlas(b)
    web = atlas.node("node:container:pmx-web")
    assert web is not None and web.parent == f"node:podman-machine:{MACHINE}"
    # its addresses come from the engine: BusyBox's ip printed none as JSON
    assert [str(a.address) for i in web.interfaces for a in i.addresses] == ["10.89.0.4"]
    names = {(n.name, tuple(str(a) for a in n.addresses)) for n in atlas.names if n.vantage == "container:pmx-web"}
    assert ("host.containers.internal", ("10.89.0.1",)) in names


def test_windows_engine_is_asked_through_wsl_exec_as_root() -> None:
    rr, _b = _win()
    engine = [c for c in rr.calls if _engine(c)]
    assert engine and all(c[:7] == (WSL, "-d", MACHINE, "-u", "root", "--exec", "podman") for c in engine)
    assert (WSL, "-d", MACHINE, "-u", "root", "--exec", "podman", "info", "--format", "json") in engine


def test_windows_stopped_machine_has_no_engine_reads() -> None:
    rr, b = _win()
    assert not [c for c in rr.calls if "dev" in c or "podman-dev" in c]
    assert "podman-machine:dev" not in {v.id for v in b.vantages}
    listed = json.loads(next(e for e in b.evidence if e.id == "host/podman-machine-list").data)
    assert {m["Name"]: m["Running"] for m in listed} == {MACHINE: True, "dev": False}


def test_windows_rootless_machine_is_entered_as_its_user() -> None:
    inspected = json.loads((WIN / "machine-inspect.out").read_text())
    inspected[0]["Rootful"] = False
    key = "\0".join([WIN_INDEX["binary"], "machine", "inspect", MACHINE])
    rr, b = _win(win_replay(**{key: json.dumps(inspected).encode()}))
    engine = [c for c in rr.calls if _engine(c)]
    assert engine and all(c[3:5] == ("-u", "user") for c in engine)
    assert next(v for v in b.vantages if v.id == f"podman-engine:{MACHINE}").name == f"Podman (rootless) in {MACHINE}"


def _atlas_win() -> Atlas:
    return build_atlas(_win()[1])


def test_windows_atlas_machine_node_under_the_host_with_containers_by_name() -> None:
    atlas = _atlas_win()
    node = atlas.node(f"node:podman-machine:{MACHINE}")
    assert node is not None and node.kind == "vm" and node.parent == "node:host"
    assert set(node.vantages) == {f"podman-machine:{MACHINE}", f"podman-engine:{MACHINE}"}
    for name in ("pmx-web", "pmx-db", "pmx-old"):
        c = atlas.node(f"node:container:{name}")
        assert c is not None and c.parent == node.id, name
    kinds = {n.label: n.kind for n in atlas.networks if n.engine.get("engine") == "podman"}
    assert kinds == {"podman network pmx-app": "podman-bridge", "podman network podman": "podman-bridge"}


def test_windows_published_port_is_a_forward_on_the_hosts_loopbacks() -> None:
    atlas = _atlas_win()
    pub = [f for f in atlas.forwards if f.via == "podman-wsl"]
    assert {(f.node, str(f.listen_address), f.listen_port, f.connect_port, f.target_node) for f in pub} == {
        ("node:host", "127.0.0.1", 28081, 80, "node:container:pmx-web"),
        ("node:host", "::1", 28081, 80, "node:container:pmx-web"),
    }  # pmx-old is only created: it publishes nothing until it runs


def test_windows_why_host_reaches_the_machines_published_port() -> None:
    atlas = _atlas_win()
    result = why(atlas, "host", "127.0.0.1", 28081)
    hop = next(h for h in result.hops if h.action == "forward")
    assert "WSL's localhost forwarding" in hop.note and MACHINE in hop.note and "pmx-web" in hop.note
    # it arrives; nobody read pmx-web's listeners from inside, so netatlas does not say it is accepted
    assert result.verdict == "unknown" and "arrives at pmx-web" in result.reason, result.reason
    # ::1 too (wslrelay listens on both loopbacks); the machine's port is not on the LAN address
    assert "arrives at pmx-web" in why(atlas, "host", "::1", 28081).reason
    lan = why(atlas, "host", "192.168.1.20", 28081)
    assert not any(h.action == "forward" for h in lan.hops), lan.reason


def test_windows_machine_list_failing_is_recorded_and_the_scan_goes_on() -> None:
    argv = (WIN_INDEX["binary"], "machine", "list", "--format", "json")
    failed = Result(argv, b"", b"Error: cannot connect to WSL\n", 125, failure=classify_exit(argv, 125, b"x"))
    rr, b = _win(win_replay(**{"\0".join(argv): failed}))
    ev = next(e for e in b.evidence if e.id == "host/podman-machine-list")
    assert ev.failure is not None and ev.failure.code == "exit-status"
    assert not [c for c in rr.calls if _engine(c)]
    # no machine known: its distro is an ordinary running distro again, and the rest is scanned
    assert {"host", "wsl:Ubuntu", "docker-desktop", f"wsl:{MACHINE}"} <= {v.id for v in b.vantages}
    atlas = build_atlas(b)
    assert [p.code for p in atlas.problems if p.evidence == "host/podman-machine-list"] == ["exit-status"]


def test_no_podman_plans_nothing() -> None:
    rr = ReplayRunner()
    host, planned, found = podman_machine.plan(rr, "Linux", binary="podman")
    assert (host, planned, found, rr.calls) == ([], [], [], [])


def _listed(**changes: Any) -> bytes:
    machines = json.loads((WIN / "machine-list.out").read_text())
    machines[0].update(changes)
    return json.dumps(machines, indent=4).encode()


LIST_KEY = "\0".join([WIN_INDEX["binary"], "machine", "list", "--format", "json"])


def test_windows_user_mode_networking_publishes_through_gvproxy() -> None:
    _rr, b = _win(win_replay(**{LIST_KEY: _listed(UserModeNetworking=True)}))
    fwd = [(f.via, f.listen_address, f.listen_port) for f in build_atlas(b).forwards if f.listen_port == 28081]
    # gvproxy listens on Windows at the -p address (any, here), not WSL's loopback relay
    assert fwd == [("gvproxy", None, 28081)]


def test_windows_hyperv_machine_is_asked_through_its_connection() -> None:
    rr, b = _win(win_replay(**{LIST_KEY: _listed(VMType="hyperv")}))
    engine = [c for c in rr.calls if "--connection" in c]
    assert engine == [(WIN_INDEX["binary"], "--connection", f"{MACHINE}-root", "info", "--format", "json")]
    assert not [c for c in rr.calls if c[:7] == (WSL, "-d", MACHINE, "-u", "root", "--exec", "podman")]
    machine = next(v for v in b.vantages if v.id == f"podman-machine:{MACHINE}")
    assert machine.channel == "podman-connection"
    # not recorded here: the engine is a recorded failure, and the scan goes on
    assert _failures(b)[f"podman-engine:{MACHINE}/info"] == "missing-binary"


def test_find_podman_only_on_this_platform_and_never_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted, real = tmp_path / "here", tmp_path / "bin"
    for folder in (planted, real):
        folder.mkdir()
        (folder / "podman").write_text("#!/bin/sh\n")
        (folder / "podman").chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"here:{real}")
    monkeypatch.setattr(podman_machine.platform, "system", lambda: "Darwin")
    assert FIND_PODMAN("Darwin") == str(real / "podman")
    assert FIND_PODMAN("Windows") is None  # a replay of another platform finds none


def test_a_machine_name_that_could_be_an_option_is_not_passed_on() -> None:
    rr, b = _win(win_replay(**{LIST_KEY: _listed(Name="--rootful")}))
    assert not [c for c in rr.calls if "--rootful" in c]
    assert not [v for v in b.vantages if v.kind is VantageKind.PODMAN_MACHINE]


def test_wsl_distro_names_follow_podmans_prefix() -> None:
    assert podman_machine.distro_name("podman-machine-default") == "podman-machine-default"
    assert podman_machine.distro_name("dev") == "podman-dev"


# --------------------------------------------------------------------------- macOS


def test_macos_machine_via_connection_and_gvproxy_forward() -> None:
    rr, b = _mac()
    got = {v.id: (v.kind, v.parent, v.channel) for v in b.vantages}
    assert got[f"podman-machine:{MACHINE}"] == (VantageKind.PODMAN_MACHINE, "host", "podman-connection")
    engine = [c for c in rr.calls if _engine(c)]
    assert engine and all(c[1:3] == ("--connection", f"{MACHINE}-root") for c in engine)
    assert not [c for c in rr.calls if "krun" in c]  # stopped: nothing asked
    assert _failures(b) == BUSYBOX_FAILURES
    atlas = build_atlas(b)
    assert {p.evidence for p in atlas.problems} == set(BUSYBOX_FAILURES)
    node = atlas.node(f"node:podman-machine:{MACHINE}")
    assert node is not None and node.kind == "vm" and node.parent == "node:host"
    fwd = [f for f in atlas.forwards if f.via == "gvproxy"]
    assert [(f.node, f.listen_address, f.listen_port, f.target_node) for f in fwd] == [
        ("node:host", fwd[0].listen_address, 28081, "node:container:pmx-web")
    ]
    result = why(atlas, "host", "192.168.1.221", 28081)
    assert result.verdict == "unknown" and "arrives at pmx-web" in result.reason, result.reason
    assert any("gvproxy listens on the host" in h.note for h in result.hops)


# --------------------------------------------------------------------------- malformed output


def test_malformed_machine_list_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "list.json"
    bad.write_text('[\n    {\n        "Name": "podman-machine-default",\n        "Running": tru\n    }\n]')
    proc = subprocess.run(
        [sys.executable, "-m", "netatlas.cli", "parse", "podman-machine-list", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"error: {bad}:4: invalid JSON")


def test_malformed_machine_list_in_a_scan_is_a_one_line_problem() -> None:
    argv = "\0".join([WIN_INDEX["binary"], "machine", "list", "--format", "json"])
    broken = (WIN / "machine-list.out").read_bytes().replace(b'"Running": true', b'"Running": tru', 1)
    rr, b = _win(win_replay(**{argv: broken}))
    assert not [c for c in rr.calls if _engine(c)]
    problems = [p for p in build_atlas(b).problems if p.evidence == "host/podman-machine-list"]
    assert [p.code for p in problems] == ["parse-error"]
    assert problems[0].message.startswith("host/podman-machine-list:6: invalid JSON")
    assert "\n" not in problems[0].message and "Traceback" not in problems[0].message


def test_a_remote_username_that_could_be_an_option_falls_back_to_podmans_default() -> None:
    """Found by review: ``RemoteUsername`` went into ``wsl.exe -u`` unchecked (``-u --exec``)."""
    inspected = json.loads((WIN / "machine-inspect.out").read_text())
    inspected[0]["Rootful"] = False
    key = "\0".join([WIN_INDEX["binary"], "machine", "inspect", MACHINE])
    rr, _b = _win(win_replay(**{key: json.dumps(inspected).encode(), LIST_KEY: _listed(RemoteUsername="--exec")}))
    engine = [c for c in rr.calls if _engine(c)]
    assert engine and all(c[3:5] == ("-u", "user") for c in engine)
