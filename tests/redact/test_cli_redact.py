"""`netatlas redact` and `scan --redact` through the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netatlas.bundle import read_bundle
from netatlas.cli import main

Z820 = Path(__file__).resolve().parents[2] / "examples" / "z820"


def test_redact_writes_a_copy_without_the_hostname(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert main(["redact", str(Z820), "-o", str(tmp_path / "out.zip"), "--key-file", str(key)]) == 0
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    b = read_bundle(tmp_path / "out.zip")
    blob = b"\n".join(e.data for e in b.evidence)
    assert not re.search(rb"(?i)z820", blob)
    assert not re.search(rb"(?<![\d.])192\.168\.1\.20(?![\d])", blob)  # Ethernet address of the original
    assert "Z820" not in {v.name for v in b.vantages}


def test_redact_refuses_to_overwrite_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["redact", str(Z820), "-o", str(Z820)])
    assert exc.value.code == 2
    assert "refusing to overwrite" in capsys.readouterr().err
