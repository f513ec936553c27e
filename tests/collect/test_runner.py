"""The runner turns every way a source can fail into a recorded failure, never an exception."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from netatlas.collect.runner import ReplayRunner, Result, SubprocessRunner, classify_exit


def test_success_keeps_bytes_and_metadata() -> None:
    r = SubprocessRunner().run(
        [sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'a\\x00b'); sys.stderr.write('w')"]
    )
    assert r.failure is None and r.exit_code == 0
    assert r.stdout == b"a\x00b" and r.stderr == b"w"
    assert r.duration_s > 0 and r.started is not None


def test_missing_binary() -> None:
    r = SubprocessRunner().run(["netatlas-no-such-binary", "--x"])
    assert r.failure is not None and r.failure.code == "missing-binary"


def test_timeout_is_recorded() -> None:
    r = SubprocessRunner().run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3)
    assert r.failure is not None and r.failure.code == "timeout"


def test_permission_denied(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)  # not executable, even for root
    r = SubprocessRunner().run([str(script)])
    assert r.failure is not None and r.failure.code == "permission-denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    f = tmp_path / "secret"
    f.write_text("x")
    f.chmod(0)
    assert SubprocessRunner().read(str(f)).failure.code == "permission-denied"  # type: ignore[union-attr]


def test_missing_file_and_non_zero_exit(tmp_path: Path) -> None:
    assert SubprocessRunner().read(str(tmp_path / "nope")).failure.code == "not-installed"  # type: ignore[union-attr]
    r = SubprocessRunner().run([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert r.exit_code == 3 and r.failure is not None and r.failure.code == "exit-status"


def test_daemon_down_and_wsl_missing_are_named() -> None:
    docker = b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
    assert classify_exit(("docker", "info"), 1, docker).code == "daemon-down"
    wsl = "Windows Subsystem for Linux has no installed distributions.\r\n".encode("utf-16-le")
    assert classify_exit(("wsl.exe", "-l", "-v"), 1, wsl).code == "not-installed"


def test_no_shell_is_ever_used() -> None:
    """A hostile argument is passed as data, never interpreted."""
    r = SubprocessRunner().run([sys.executable, "-c", "import sys; print(sys.argv[1])", "$(touch /tmp/pwned); `id`"])
    assert r.stdout.strip() == b"$(touch /tmp/pwned); `id`"


def test_replay_runner_answers_and_fails_like_a_machine() -> None:
    rr = ReplayRunner(commands={("ip", "-j", "addr"): b"[]"}, files={"/etc/hosts": b"127.0.0.1 localhost\n"})
    assert rr.run(["ip", "-j", "addr"]).stdout == b"[]"
    assert rr.run(["docker", "info"]).failure.code == "missing-binary"  # type: ignore[union-attr]
    assert rr.read("/etc/hosts").stdout.startswith(b"127")
    assert rr.read("/nope").failure.code == "not-installed"  # type: ignore[union-attr]
    failing = Result(("x",), exit_code=1)
    assert ReplayRunner(commands={("x",): failing}).run(["x"]) is failing
