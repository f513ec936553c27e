"""The runner on Windows: every program by absolute path from PATH, never the current folder.

These replay a Windows machine through the real :class:`SubprocessRunner` (``windows=True``):
its filesystem is a set of paths (``runner._is_file``) and ``subprocess.run`` answers
from recorded outputs, so what the runner would hand to ``CreateProcess`` is exactly
what the test sees. The kubectl output is the real one of
``tests/fixtures/collect/kubectl/view-kind-dev.json`` (see its README.source).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from netatlas.collect import kubectl, runner
from netatlas.collect.runner import CREATE_NO_WINDOW, SubprocessRunner, windows_program

KUBECTL_FIX = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "kubectl"
CWD = "C:\\Users\\joe\\Downloads"
DOCKER_BIN = "C:\\Program Files\\Docker\\Docker\\resources\\bin"
KUBECTL = DOCKER_BIN + "\\kubectl.exe"
# a planted copy in the folder netatlas is run from, and a batch file earlier on PATH
FILES = {
    CWD + "\\kubectl.exe",
    CWD + "\\docker.exe",
    CWD + "\\tools\\docker.exe",
    "C:\\Users\\joe\\bin\\docker.bat",
    KUBECTL,
    DOCKER_BIN + "\\docker.exe",
    "C:\\Windows\\System32\\route.exe",
}
# PATH as users have it: '.', an empty entry, a relative one and a drive-relative one
# (all read against the current folder) before the real folders
PATH = f'.;;tools;C:tools;C:\\Users\\joe\\bin;"{DOCKER_BIN}";C:\\Windows\\System32'
PATHEXT = ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC;.PY;.PYW"


@pytest.fixture
def windows_fs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """A Windows filesystem and ``subprocess.run`` replaying recorded outputs; records launches."""
    launched: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    outputs: dict[tuple[str, ...], bytes] = {
        (KUBECTL, "config", "view", "--minify", "-o", "json"): (KUBECTL_FIX / "view-kind-dev.json").read_bytes(),
    }

    def run(args: Sequence[str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
        argv = tuple(args)
        launched.append((argv, kw))
        if argv[0] not in FILES:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        out = outputs.get(argv)
        if out is None:
            return subprocess.CompletedProcess(argv, 1, b"", b"error: unrecorded\r\n")
        return subprocess.CompletedProcess(argv, 0, out, b"")

    monkeypatch.setattr(runner, "_is_file", lambda p: p in FILES)
    monkeypatch.setattr(subprocess, "run", run)
    return launched


def _runner() -> SubprocessRunner:
    return SubprocessRunner(env={"PATH": PATH, "PATHEXT": PATHEXT}, windows=True)


def test_bare_names_resolve_on_absolute_path_entries_only() -> None:
    assert windows_program("kubectl", PATH, PATHEXT) is None  # _is_file is the real one: nothing there
    assert windows_program("C:\\Windows\\System32\\route.exe", "") == "C:\\Windows\\System32\\route.exe"
    assert windows_program("\\\\srv\\share\\x.exe", "") == "\\\\srv\\share\\x.exe"
    for relative in (".\\kubectl.exe", "tools\\docker", "C:kubectl.exe", "\\kubectl.exe"):
        assert windows_program(relative, "C:\\Windows") is None, relative


def test_a_planted_copy_in_the_current_folder_never_runs(
    windows_fs: list[tuple[tuple[str, ...], dict[str, Any]]],
) -> None:
    r = _runner()
    res = r.run(["docker", "version"])
    # not CWD\docker.exe, not CWD\tools\docker.exe (relative PATH entries), not the .bat
    assert windows_fs[0][0] == (DOCKER_BIN + "\\docker.exe", "version")
    assert res.argv[0] == DOCKER_BIN + "\\docker.exe"  # the evidence names what ran
    # a program only in the current folder is missing, and nothing is started
    del_path = SubprocessRunner(env={"PATH": "C:\\Windows\\System32", "PATHEXT": PATHEXT}, windows=True)
    n = len(windows_fs)
    res = del_path.run(["kubectl", "version"])
    assert len(windows_fs) == n
    assert res.failure is not None and res.failure.code == "missing-binary"
    assert "current folder is never searched" in res.failure.message


def test_kubectl_plan_replayed_through_the_windows_runner(
    windows_fs: list[tuple[tuple[str, ...], dict[str, Any]]],
) -> None:
    plans = kubectl.plan(_runner())
    assert [p.vantage.id for p in plans][:1] == ["kubernetes"]
    programs = {argv[0] for argv, _kw in windows_fs}
    assert programs == {KUBECTL}  # every kubectl call by its absolute path
    # each child in a console of its own, never the user's
    assert {kw["creationflags"] for _argv, kw in windows_fs} == {CREATE_NO_WINDOW}
    assert all(kw["stdin"] == subprocess.DEVNULL for _argv, kw in windows_fs)


def test_on_linux_names_are_left_to_execvp(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, ...]] = []

    def run(args: Sequence[str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
        seen.append(tuple(args))
        assert kw["creationflags"] == 0
        return subprocess.CompletedProcess(args, 0, b"", b"")

    monkeypatch.setattr(subprocess, "run", run)
    SubprocessRunner(windows=False).run(["ip", "-j", "address"])
    assert seen == [("ip", "-j", "address")]
