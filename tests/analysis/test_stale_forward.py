"""stale-forward: portproxy rules to addresses no WSL/VM interface holds."""

from __future__ import annotations

from analysis.atlas_kit import portproxy, z820
from netatlas.analysis import Options
from netatlas.analysis.stale_forward import check


def test_rule_to_an_old_wsl_address() -> None:
    [f] = check(z820(forwards=(portproxy(2222, "172.25.139.5", 22),)), Options())
    assert f.severity == "warning"
    assert "172.25.139.5:22" in f.title
    assert "the WSL VM is now 172.25.150.37" in f.detail
    assert f.evidence == ("ev-netsh-portproxy",)
    assert f.fix == (
        "netsh interface portproxy delete v4tov4 listenport=2222 listenaddress=0.0.0.0\n"
        "netsh interface portproxy add v4tov4 listenport=2222 listenaddress=0.0.0.0 "
        "connectport=22 connectaddress=172.25.150.37"
    )


def test_wildcard_listen_and_a_gone_address_inside_the_nat_network() -> None:
    [f] = check(z820(forwards=(portproxy(3000, "172.25.150.99", listen=None),)), Options())
    assert "in vEthernet (WSL) (172.25.144.0/20), where no interface holds it" in f.detail
    assert f.networks == ("net:172.25.144.0/20",)
    assert (f.fix or "").startswith("netsh interface portproxy delete v4tov4 listenport=3000\n")


def test_good_rules_are_left_alone() -> None:
    forwards = (
        portproxy(3000, "172.25.150.37"),  # the current WSL address
        portproxy(8080, "127.0.0.1"),  # through WSL's localhost forwarding
        portproxy(9000, "192.168.1.77"),  # another LAN device the atlas cannot see
        portproxy(9001, "203.0.113.9"),  # a public address
    )
    assert check(z820(forwards=forwards), Options()) == []
