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


def test_one_word_dns_suffix_does_not_survive(tmp_path: Path) -> None:
    from netatlas.bundle import Bundle
    from netatlas.model import Evidence, Vantage, VantageKind
    from netatlas.redact import redact_bundle

    text = (
        b"\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : DESK7\r\n\r\n"
        b"Ethernet adapter Ethernet:\r\n\r\n   Connection-specific DNS Suffix  . : acmecorp\r\n"
        b"   IPv4 Address. . . . . . . . . . . : 10.20.30.40\r\n"
        b"   Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n"
    )
    b = Bundle(
        vantages=(Vantage("host", VantageKind.WINDOWS_HOST, "DESK7"),),
        evidence=(Evidence("host/ipconfig", "host", "ipconfig", ("ipconfig", "/all"), text),),
    )
    out = redact_bundle(b, b"k" * 32)
    assert b"acmecorp" not in out.evidence[0].data and b"DESK7" not in out.evidence[0].data


def test_ipv4_mapped_ipv6_is_rewritten_whole() -> None:
    from netatlas.bundle import Bundle
    from netatlas.model import Evidence, Vantage, VantageKind
    from netatlas.redact import redact_bundle

    text = b"tcp LISTEN 0 50 [::ffff:10.20.30.40]:8080 *:*\n::ffff:10.20.30.41 host-b\n"
    b = Bundle(
        vantages=(Vantage("host", VantageKind.LINUX_HOST, "h"),),
        evidence=(Evidence("host/x", "host", "hosts", ("read", "/x"), text),),
    )
    out = redact_bundle(b, b"k" * 32).evidence[0].data
    assert b"20.30.40" not in out and b"20.30.41" not in out, out


def test_container_environment_values_do_not_survive(tmp_path: Path) -> None:
    """docker inspect shows Config.Env whole (POSTGRES_PASSWORD in z820's db container)."""
    assert main(["redact", str(Z820), "-o", str(tmp_path / "r"), "--key-file", str(tmp_path / "k")]) == 0
    inspect = next((tmp_path / "r" / "evidence").glob("*docker-inspect.out")).read_bytes()
    assert b"POSTGRES_PASSWORD=<redacted>" in inspect
    original = next((Z820 / "evidence").glob("*docker-inspect.out")).read_bytes()
    secret = re.search(rb'"POSTGRES_PASSWORD=([^"]+)"', original)
    assert secret and secret.group(1) not in inspect
