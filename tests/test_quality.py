"""The code stays typed (mypy --strict on the package) and ruff-clean; CI enforces both."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed (pip install -e '.[test]')")
def test_ruff_check_and_format() -> None:
    lint = run("ruff", "check", "src", "tests", "bench", "tools")
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = run("ruff", "format", "--check", "src", "tests", "bench", "tools")
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_mypy_strict() -> None:
    pytest.importorskip("mypy")
    out = run(sys.executable, "-m", "mypy")
    assert out.returncode == 0, out.stdout[-3000:]
