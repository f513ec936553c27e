"""dead-forward: portproxy rules netsh stored but portproxy can never serve (issue #15)."""

from __future__ import annotations

from conftest import PARSER_FIXTURES
from netatlas.analysis import Options, check_codes
from netatlas.analysis.dead_forward import check
from netatlas.atlas.merge import build_atlas
from netatlas.bundle import Bundle
from netatlas.model import Evidence, Vantage, VantageKind

RANGE = PARSER_FIXTURES / "netsh-portproxy" / "wsl-8963-port-range.out"


def _atlas_of(data: bytes, *more: Evidence) -> object:
    host = Vantage("host", VantageKind.WINDOWS_HOST, "Z820")
    portproxy = Evidence("host/netsh-portproxy", "host", "netsh-portproxy", ("netsh", "interface", "portproxy"), data)
    return build_atlas(Bundle((host,), (portproxy, *more)))


def test_the_check_is_registered() -> None:
    assert "dead-forward" in check_codes()


def test_a_port_range_rule_is_a_finding_with_the_fix() -> None:
    atlas = _atlas_of(RANGE.read_bytes())
    [f] = [f for f in atlas.findings if f.code == "dead-forward"]  # type: ignore[attr-defined]
    assert f.severity == "warning"
    assert f.title == "portproxy 0.0.0.0:30000-50000 -> 172.23.188.236:30000-50000 never forwards: port range"
    assert f.evidence == ("host/netsh-portproxy",)
    assert f.nodes and f.nodes[0].startswith("node:")
    assert "evidence host/netsh-portproxy, line 7" in f.detail
    fix = (f.fix or "").splitlines()
    assert fix[0] == "netsh interface portproxy delete v4tov4 listenport=30000-50000 listenaddress=0.0.0.0"
    assert fix[2] == (
        "30000..50000 | ForEach-Object { netsh interface portproxy add v4tov4 listenport=$_ listenaddress=0.0.0.0 "
        "connectport=$_ connectaddress=172.23.188.236 }   # PowerShell, 20001 rules"
    )
    assert "#   networkingMode=mirrored" in fix


def test_the_dead_rule_is_no_forward_in_the_atlas() -> None:
    """The rule is evidence of what the user configured, never a forward ``why`` could walk."""
    atlas = _atlas_of(RANGE.read_bytes())
    assert atlas.forwards == ()  # type: ignore[attr-defined]
    [rule] = atlas.settings["portproxy_dead_rules"]  # type: ignore[attr-defined]
    assert rule["listen_ports"] == "30000-50000" and rule["evidence"] == "host/netsh-portproxy"


def test_a_working_rule_beside_a_dead_one_stays_a_forward() -> None:
    text = RANGE.read_text() + "0.0.0.0         8080        172.23.188.236  80\n"
    atlas = _atlas_of(text.encode())
    assert [(f.listen_port, f.connect_port) for f in atlas.forwards] == [(8080, 80)]  # type: ignore[attr-defined]
    assert [f.code for f in atlas.findings].count("dead-forward") == 1  # type: ignore[attr-defined]


def test_small_range_lists_each_port_and_mirrored_mode_only_deletes() -> None:
    from netatlas.analysis.dead_forward import fix_commands

    rule = {
        "family": "v4tov4",
        "listen_address": None,
        "listen_ports": "3000-3001",
        "connect_address": "172.28.1.5",
        "connect_ports": "80",
    }
    lines = fix_commands(rule, mirrored=False).splitlines()
    assert lines[0] == "netsh interface portproxy delete v4tov4 listenport=3000-3001"
    assert "netsh interface portproxy add v4tov4 listenport=3001 connectport=80 connectaddress=172.28.1.5" in lines
    assert fix_commands(rule, mirrored=True).splitlines()[1].startswith("# WSL already uses mirrored networking")


def test_port_out_of_range_is_dead_too() -> None:
    text = RANGE.read_text().replace("30000-50000  172.23.188.236  30000-50000", "70000        172.23.188.236  22")
    atlas = _atlas_of(text.encode())
    [f] = [f for f in atlas.findings if f.code == "dead-forward"]  # type: ignore[attr-defined]
    assert f.title.endswith("never forwards: port 70000 is not in 1-65535")


def test_nothing_without_dead_rules() -> None:
    from analysis.atlas_kit import z820

    assert check(z820(), Options()) == []
    assert check(z820(settings={"portproxy_dead_rules": "not a list"}), Options()) == []
