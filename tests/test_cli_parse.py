"""`netatlas parse`: JSON shape, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PARSER_FIXTURES

KEYS_LISTS = [
    "interfaces",
    "routes",
    "hosts",
    "answers",
    "forwards",
    "networks",
    "containers",
    "distros",
    "hops",
    "listeners",
    "warnings",
]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "netatlas.cli", *args], input=stdin, capture_output=True, timeout=60)


def test_json_has_every_key_always() -> None:
    r = run("parse", "hosts", "-", "--json", stdin=b"192.0.2.1 printer\n")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in KEYS_LISTS:
        assert isinstance(out[key], list), key
    assert set(out["dns"]) >= {"servers", "search"}
    assert isinstance(out["settings"], dict)


def test_auto_and_text_output() -> None:
    f = next((PARSER_FIXTURES / "ipconfig").glob("corpus-001*.out"))
    r = run("parse", "auto", str(f))
    assert r.returncode == 0 and "vEthernet (WSL)" in r.stdout.decode() and "192.168.64.1/20" in r.stdout.decode()


@pytest.mark.parametrize(
    ("args", "stdin", "code", "pattern"),
    [
        (("parse", "ipconfig", "-"), b"\x00\x01binary\xff", 1, r"^error: <stdin>:1: "),
        (("parse", "docker-network-inspect", "-"), b'[\n  {"Name": "x",\n  oops\n]', 1, r"^error: <stdin>:3: "),
        (("parse", "ip-addr", "-"), b"", 1, r"^error: <stdin>:1: empty input"),
        (("parse", "no-such-kind", "-"), b"x", 2, r"^error: unknown kind 'no-such-kind'"),
        (("parse", "hosts", "/no/such/file"), None, 2, r"^error: /no/such/file: no such file"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    args: tuple[str, ...], stdin: bytes | None, code: int, pattern: str
) -> None:
    import re

    r = run(*args, stdin=stdin)
    err = r.stderr.decode()
    assert r.returncode == code, err
    assert re.match(pattern, err), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_debug_shows_the_traceback() -> None:
    r = run("--debug", "parse", "ip-addr", "-", stdin=b"")
    assert r.returncode != 0 and b"Traceback" in r.stderr


def test_utf16_wsl_list_from_stdin(tmp_path: Path) -> None:
    data = "  NAME      STATE           VERSION\r\n* Ubuntu    Running         2\r\n".encode("utf-16-le")
    r = run("parse", "wsl-list", "-", "--json", stdin=data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["distros"][0] == {"name": "Ubuntu", "state": "Running", "version": 2, "default": True}


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (("parse",), r"Missing (argument|parameter)"),
        (("no-such-command",), r"No such command"),
        (("why", "--bundle", "x"), r"Missing (argument|parameter)"),
    ],
)
def test_usage_errors_exit_2_with_usage(args: tuple[str, ...], pattern: str) -> None:
    import re

    r = run(*args)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert re.search(pattern, err) and "Traceback" not in err and "internal error" not in err


def test_scan_only_must_name_known_kinds() -> None:
    for value, pattern in (("", "at least one evidence kind"), ("bogus-kind", "unknown kind")):
        r = run("scan", "--only", value, "-o", "/tmp/netatlas-test-never-written.zip")
        assert r.returncode == 2 and pattern in r.stderr.decode()
    assert not Path("/tmp/netatlas-test-never-written.zip").exists()


def test_port_must_be_ascii_digits() -> None:
    r = run("why", "lan", "db:²", "--bundle", str(Path(__file__).resolve().parents[1] / "examples" / "z820"))
    assert r.returncode == 2 and "not a TCP port" in r.stderr.decode()


def test_reserve_file_that_is_not_text(tmp_path: Path) -> None:
    f = tmp_path / "bin.dat"
    f.write_bytes(bytes(range(128, 256)) * 4)
    r = run(
        "plan", "--reserve-file", str(f), "--bundle", str(Path(__file__).resolve().parents[1] / "examples" / "z820")
    )
    err = r.stderr.decode()
    assert r.returncode == 1 and err.startswith(f"error: {f}:1: not UTF-8") and "Traceback" not in err


@pytest.mark.parametrize(
    ("dst", "split"),
    [
        ("container:db", ("container:db", None)),  # a vantage id has a colon of its own
        ("container:db:5432", ("container:db", 5432)),
        ("wsl:kali-linux:8000", ("wsl:kali-linux", 8000)),
        ("db:5432", ("db", 5432)),
        ("fd00::1", ("fd00::1", None)),  # an IPv6 address, not fd00: and port 1
        ("[fd00::1]:80", ("fd00::1", 80)),
        ("[fd00::1]", ("fd00::1", None)),
    ],
)
def test_why_destinations_with_colons(dst: str, split: tuple[str, int | None]) -> None:
    from netatlas.cli import _split_port

    assert _split_port(dst) == split


@pytest.mark.parametrize("dst", ["[::1]80", "[::1]::80", "[::1", "web:", "web:99999"])
def test_why_refuses_malformed_destinations(dst: str) -> None:
    from netatlas.cli import UsageFailure, _split_port

    with pytest.raises(UsageFailure):
        _split_port(dst)


Z820_DIR = str(Path(__file__).resolve().parents[1] / "examples" / "z820")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["map", "--bundle", "/nonexistent-bundle"], "no such bundle"),
        (["why", "lan", "db", "--bundle", "/nonexistent-bundle"], "no such bundle"),
        (["redact", "/nonexistent-bundle", "-o", "/tmp/netatlas-never"], "no such bundle"),
        (["plan", "--bundle", Z820_DIR, "--reserve-file", "/"], "is a directory"),
        (["plan", "--bundle", Z820_DIR, "--reserve-file", "/nonexistent.txt"], "no such file"),
        (["map", "--bundle", Z820_DIR, "--only", "nosuchkind"], "do not apply to --bundle"),
        (["scan", "--only", "hosts", "--timeout", "-5", "-o", "/tmp/netatlas-never.zip"], "above 0"),
    ],
)
def test_missing_inputs_and_meaningless_options_are_usage_errors(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.returncode == 2 and message in r.stderr.decode(), r.stderr
    assert not Path("/tmp/netatlas-never.zip").exists() and not Path("/tmp/netatlas-never").exists()


def test_a_reserve_file_can_come_from_standard_input() -> None:
    r = run("plan", "--bundle", Z820_DIR, "--reserve-file", "-", "--json", stdin=b"10.0.0.0/8\n")
    assert r.returncode == 0, r.stderr
    assert "10.0.0.0/8" in json.dumps(json.loads(r.stdout))
