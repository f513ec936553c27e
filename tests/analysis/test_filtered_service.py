"""filtered-service: a forward whose packets a read packet filter drops (the WSL portproxy case first)."""

from __future__ import annotations

from pathlib import Path

from analysis.atlas_kit import listener, portproxy, z820
from netatlas.analysis import Options
from netatlas.analysis.filtered_service import check
from netatlas.model.atlas import FirewallRecord
from netatlas.parsers import parse
from netatlas.reach import why

FIX = Path(__file__).parents[1] / "fixtures" / "parsers" / "ps-netfirewall" / "z820-ps51-portproxy-no-rule.out"


def _windows_firewall() -> FirewallRecord:
    return FirewallRecord("node:host", parse("ps-netfirewall", FIX.read_bytes()).firewall[0], "host/ps-netfirewall")


def _atlas(port: int, *, firewall: bool = True):  # type: ignore[no-untyped-def]
    return z820(
        listeners=(listener("node:wsl-vm", port),),
        forwards=(portproxy(port, "172.25.150.37"),),
        firewalls=(_windows_firewall(),) if firewall else (),
    )


def test_portproxy_without_an_inbound_rule_is_dropped_by_windows_firewall() -> None:
    r = why(_atlas(8080), "lan", "wsl:Ubuntu", 8080)
    assert r.verdict == "stopped" and r.hops[-1].action == "filter"
    assert "no inbound rule allows it; the Domain profile's default is Block" in r.hops[-1].note
    assert r.fixes == (
        'New-NetFirewallRule -DisplayName "netatlas: allow TCP 8080" -Direction Inbound -Action Allow '
        "-Protocol TCP -LocalPort 8080",
    )
    (f,) = check(_atlas(8080), Options())
    assert f.code == "filtered-service" and f.severity == "error"
    assert f.title == "netsh portproxy Z820:8080 is dropped by a packet filter"
    assert f.evidence == ("ev-netsh-portproxy", "host/ps-netfirewall")


def test_a_block_rule_wins_over_nothing_and_names_the_rule_to_disable() -> None:
    r = why(_atlas(5432), "lan", "wsl:Ubuntu", 5432)
    # Block Postgres applies to Private and Public only: in the Domain profile the default decides (also Block)
    assert r.verdict == "stopped"
    assert "Block rule Block Postgres from LAN" in r.hops[-1].note or "default is Block" in r.hops[-1].note


def test_an_allow_rule_limited_to_one_profile_makes_the_answer_depend_on_it() -> None:
    r = why(_atlas(2222), "lan", "wsl:Ubuntu", 2222)
    assert r.verdict == "unknown"
    assert "depends on the network's profile" in r.hops[-1].note
    assert check(_atlas(2222), Options()) == []


def test_without_the_ruleset_the_filter_is_listed_as_unread() -> None:
    r = why(_atlas(8080, firewall=False), "lan", "wsl:Ubuntu", 8080)
    assert r.verdict == "delivered" and "Windows Firewall on Z820 (inbound rules)" in r.unread
    assert check(_atlas(8080, firewall=False), Options()) == []
