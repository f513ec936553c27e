"""The issue's "done when": z820 pushed plain and redacted, then found by its ranges."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from tests.fleet.conftest import Z820, Fleet

from netatlas import build_atlas, read_bundle
from netatlas.cli import main
from netatlas.redact import bundle_scheme

pytestmark = pytest.mark.usefixtures("postgres")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _token_file(tmp_path: Path, name: str, token: str) -> str:
    p = tmp_path / name
    p.write_text(token + "\n")
    return str(p)


def test_plain_push_then_collisions_lists_z820_docker_desktop(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = _token_file(tmp_path, "agent", fleet.agent_token())
    admin = _token_file(tmp_path, "admin", fleet.admin)
    pushed = _run(["push", "--server", fleet.url, "--token-file", agent, "--bundle", str(Z820)], capsys)
    assert pushed["stored"] is True and pushed["machine"] == "Z820" and pushed["redacted"] is False
    again = _run(["push", "--server", fleet.url, "--token-file", agent, "--bundle", str(Z820)], capsys)
    assert again["stored"] is False and again["scan_id"] == pushed["scan_id"]  # same bundle: same scan
    assert fleet.count("SELECT count(*) FROM scans") == 1

    got = _run(["fleet", "collisions", "192.168.65.0/24", "--server", fleet.url, "--token-file", admin], capsys)
    assert [m["name"] for m in got["machines"]] == ["Z820"]
    overlaps = {(o["cidr"], o["kind"], o["source"]) for o in got["machines"][0]["overlaps"]}
    assert ("192.168.65.0/24", "docker-desktop-vm", "network") in overlaps
    assert ("192.168.65.0/24", "docker-desktop-vm", "pool") in overlaps

    # Docker's next subnets are searchable too: 172.19.0.0/16 is what z820's engine hands out next
    nxt = _run(["fleet", "collisions", "172.19.5.0/24", "--server", fleet.url, "--token-file", admin], capsys)
    assert {(o["cidr"], o["kind"]) for o in nxt["machines"][0]["overlaps"]} == {("172.19.0.0/16", "docker-next")}
    none = _run(["fleet", "collisions", "10.20.0.0/14", "--server", fleet.url, "--token-file", admin], capsys)
    assert none["machines"] == []


def test_redacted_push_is_answered_through_the_key(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "org.key"
    key.write_text("ab" * 32 + "\n")
    agent = _token_file(tmp_path, "agent", fleet.agent_token())
    admin = _token_file(tmp_path, "admin", fleet.admin)
    pushed = _run(
        [
            "push",
            "--server",
            fleet.url,
            "--token-file",
            agent,
            "--bundle",
            str(Z820),
            "--redact",
            "--key-file",
            str(key),
        ],
        capsys,
    )
    assert pushed["redacted"] is True and pushed["stored"] is True

    # the server holds no real address or name of z820
    with fleet.pool.connection() as conn:
        stored = conn.execute("SELECT atlas::text FROM scans").fetchone()[0]
        names = [r[0] for r in conn.execute("SELECT name FROM machines").fetchall()]
        cidrs = {r[0] for r in conn.execute("SELECT cidr::text FROM scan_ranges").fetchall()}
    assert names[0].startswith("sealed:") and "Z820" not in names[0]
    for secret in ("192.168.1.20", "172.25.144.1", "Z820", "z820"):
        assert secret not in stored
    # ranges are stored as their images under the key (which keep the engine ranges z820's
    # engines use, such as 192.168.65.0/24, and the structure blocks, and rewrite the rest)
    real = {str(n.cidr) for n in build_atlas(read_bundle(Z820)).networks}
    secret_key = bytes.fromhex("ab" * 32)
    scheme = bundle_scheme(read_bundle(Z820), secret_key)[0]
    images = {str(scheme.network(ipaddress.ip_network(c))) for c in real}
    assert "192.168.65.0/24" in images
    assert {c for c in cidrs if c in images} == images
    assert "172.30.224.0/20" in real and "172.30.224.0/20" not in cidrs  # the Hyper-V switch's /20, rewritten

    # without the key the admin sees only plain machines: none here
    plain = _run(["fleet", "collisions", "172.25.144.0/20", "--server", fleet.url, "--token-file", admin], capsys)
    assert plain["machines"] == []
    args = ["--server", fleet.url, "--token-file", admin, "--key-file", str(key)]
    wsl = _run(["fleet", "collisions", "172.25.150.0/24", *args], capsys)
    assert [m["name"] for m in wsl["machines"]] == ["Z820"]
    assert {(o["cidr"], o["kind"]) for o in wsl["machines"][0]["overlaps"]} == {("172.25.144.0/20", "wsl-nat")}
    assert wsl["machines"][0]["overlaps"][0]["query"] == "172.25.150.0/24"
    dd = _run(["fleet", "collisions", "192.168.65.0/24", *args], capsys)
    assert ("192.168.65.0/24", "docker-desktop-vm") in {(o["cidr"], o["kind"]) for o in dd["machines"][0]["overlaps"]}
    lan = _run(["fleet", "collisions", "192.168.1.128/25", *args], capsys)
    assert ("192.168.1.0/24", "lan") in {(o["cidr"], o["kind"]) for o in lan["machines"][0]["overlaps"]}

    # the machine's map comes back with real addresses and its real name
    m = _run(["fleet", "machine", "Z820", *args], capsys)
    assert m["machine"]["name"] == "Z820"
    assert "192.168.1.0/24" in {n["cidr"] for n in m["atlas"]["networks"]}
    machines = _run(["fleet", "machines", *args], capsys)
    assert [x["name"] for x in machines["machines"]] == ["Z820"]


def test_push_every_keeps_pushing_for_count_rounds(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = _token_file(tmp_path, "agent", fleet.agent_token())
    args = ["push", "--server", fleet.url, "--token-file", agent, "--bundle", str(Z820)]
    assert main([*args, "--every", "0.05s", "--count", "3", "--json"]) == 0
    rounds = [json.loads(line) for line in capsys.readouterr().out.splitlines()]  # one JSON line per round
    assert len(rounds) == 3
    assert [r["stored"] for r in rounds] == [True, False, False]  # one bundle: one scan, however often
    assert fleet.count("SELECT count(*) FROM scans") == 1


def test_push_and_fleet_usage_errors(fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agent = _token_file(tmp_path, "agent", fleet.agent_token())
    base = ["push", "--server", fleet.url, "--token-file", agent, "--bundle", str(Z820)]
    for extra, message in (
        (["--redact"], "--redact and --key-file go together"),
        (["--redact", "--key-file", str(tmp_path / "missing.key")], "no such file"),
        (["--every", "soon"], "give a duration"),
        (["--count", "2"], "--count goes with --every"),
    ):
        with pytest.raises(SystemExit) as exited:
            main([*base, *extra])
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["fleet", "collisions", "10.20.0.0/33", "--server", fleet.url, "--token-file", agent])
    assert exited.value.code == 2 and "not a CIDR" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # an agent token may not query: one line, exit 1
        main(["fleet", "machines", "--server", fleet.url, "--token-file", agent])
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.startswith("error: GET /api/v1/machines: 403") and err.count("\n") == 1


def test_machine_text_and_html_map(fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agent = _token_file(tmp_path, "agent", fleet.agent_token())
    admin = _token_file(tmp_path, "admin", fleet.admin)
    _run(["push", "--server", fleet.url, "--token-file", agent, "--bundle", str(Z820)], capsys)
    html = tmp_path / "z820.html"
    assert main(["fleet", "machine", "Z820", "--server", fleet.url, "--token-file", admin, "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Z820 (#1), scan #1") and "192.168.65.0/24" in out and "docker-desktop-vm" in out
    assert html.read_bytes().startswith(b"<!doctype html") or b"<html" in html.read_bytes()[:500]
    assert main(["fleet", "history", "#1", "--server", fleet.url, "--token-file", admin]) == 0
    assert "scan #1" in capsys.readouterr().out
