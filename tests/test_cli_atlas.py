"""`why`, `resolve`, `map` on the z820 example, through the CLI, as users run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netatlas.cli import main

Z820 = str(Path(__file__).resolve().parents[1] / "examples" / "z820")


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    """The JSON answer; ``why`` exits 0/3/4 with its verdict (delivered / stopped / anything else)."""
    try:
        status = main([*args, "--bundle", Z820, "--json"])
    except SystemExit as exc:
        status = int(exc.code or 0)
    out = json.loads(capsys.readouterr().out)
    if args[0] == "why":
        assert status == {"delivered": 0, "stopped": 3}.get(out["verdict"], 4)
    else:
        assert status == 0
    return out  # type: ignore[no-any-return]


def test_why_lan_cannot_reach_unpublished_container_port(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "why", "lan", "db:5432")
    assert out["reachable"] is False
    assert "does not publish port 5432" in out["reason"]
    assert any("5432:5432" in f for f in out["fixes"])


def test_why_lan_reaches_published_port_through_the_host(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "why", "lan", "web:80")
    assert out["verdict"] == "delivered" and out["entry"] == "192.168.1.20:8080"
    assert out["reachable"] is None and out["unread"] == ["Windows Firewall on Z820 (inbound rules)"]
    assert [h["action"] for h in out["hops"]][-2:] == ["forward", "deliver"]


def test_why_wsl_service_needs_portproxy_or_mirrored_from_the_lan(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "why", "lan", "kali-linux:3000")
    # z820 has a portproxy rule for 3000: the LAN gets in through it
    assert out["verdict"] == "delivered"
    assert any("portproxy" in h["note"] for h in out["hops"])
    out = run_json(capsys, "why", "lan", "kali-linux:8000")
    assert out["reachable"] is False
    fixes = "\n".join(out["fixes"])
    assert "netsh interface portproxy add v4tov4" in fixes and "networkingMode=mirrored" in fixes


def test_why_windows_reaches_wsl_through_localhost_forwarding(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "why", "Z820", "kali-linux:8000")
    assert out["reachable"] is True and out["entry"] == "127.0.0.1:8000"


def test_resolve_gives_source_and_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "resolve", "host.docker.internal")
    by_vantage = {(a["vantage"], a["source"]): a for a in out["answers"]}
    assert by_vantage[("container:web", "nss")]["addresses"] == ["192.168.65.254"]
    kali = by_vantage[("wsl:kali-linux", "hosts")]
    assert kali["addresses"] == ["192.168.1.155"] and kali["first"] is True
    assert "Docker Desktop" in (kali["origin"] or "")


def test_resolve_from_one_vantage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resolve", "z820", "--from", "wsl:kali-linux", "--bundle", Z820]) == 0
    text = capsys.readouterr().out
    assert "127.0.1.1" in text and "container:web" not in text


def test_unknown_destination_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["why", "lan", "nowhere", "--bundle", Z820])
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith("error: unknown destination 'nowhere'")


def test_map_findings_include_the_documented_problems(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "map")
    codes = {f["code"] for f in out["findings"]}
    assert {"stale-name", "stale-forward", "name-divergence", "unreachable-service"} <= codes


def test_why_to_a_node_that_relays_the_port_is_arrival(capsys: pytest.CaptureFixture[str]) -> None:
    """`Z820:8080` is reached when Z820 relays its published 8080 to the web container."""
    for dst in ("Z820:8080", "host:8080", "Z820:3000"):
        out = run_json(capsys, "why", "lan", dst)
        assert out["verdict"] == "delivered", (dst, out["reason"])
        assert any(h["action"] == "forward" and h["node"] == "node:host" for h in out["hops"])


def test_resolve_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["resolve", "x", "--from", "nosuch"], ["resolve", ""]):
        with pytest.raises(SystemExit) as exc:
            main([*args, "--bundle", Z820])
        assert exc.value.code == 2
    capsys.readouterr()


def test_resolve_single_label_includes_search_domain_answers(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "resolve", "z820")
    host = [a for a in out["answers"] if a["vantage"] == "host"]
    assert host and host[0]["addresses"] == ["192.168.1.20"] and host[0]["source"] == "dns"
