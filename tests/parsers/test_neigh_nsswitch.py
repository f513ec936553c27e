"""Focused tests of ip-neigh-json (the neighbour table) and nsswitch-conf (lookup order).

The fixture runner checks whole outputs; these check one behaviour each on small
inputs: the router flag, entries without a MAC, transcripts, located errors, action
items, the first ``hosts:`` line winning, and the text view.
"""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path

import pytest

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.parsers import detect, parse
from netatlas.render.facts_text import lines

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parsers"


def _messages(facts: Facts) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in facts.warnings]


# --------------------------------------------------------------------------- ip-neigh-json

NEIGH = (
    '[{"dst":"198.51.100.2","dev":"vna","lladdr":"02:00:5E:10:00:0B","state":["REACHABLE"]},'
    '{"dst":"198.51.100.9","dev":"vna","state":["FAILED"]},'
    '{"dst":"2001:db8:100::fe","dev":"vna","lladdr":"02:00:5e:10:00:fe","router":null,"state":["PERMANENT"]}]'
)


def test_neighbours_with_router_flag_and_failed_entry() -> None:
    facts = parse("ip-neigh-json", NEIGH)
    got = [(str(n.address), n.mac, n.interface, n.state, n.router) for n in facts.neighbours]
    assert got == [
        ("198.51.100.2", "02:00:5e:10:00:0b", "vna", "REACHABLE", False),
        ("198.51.100.9", None, "vna", "FAILED", False),
        ("2001:db8:100::fe", "02:00:5e:10:00:fe", "vna", "PERMANENT", True),
    ]
    assert facts.warnings == ()
    assert detect(NEIGH) == "ip-neigh-json"


def test_neighbour_transcript_with_netns_option_keeps_only_its_output() -> None:
    text = (
        "root@lab:~# ip -n na-a -j neigh show\n"
        '[{"dst":"198.51.100.1","dev":"v0","lladdr":"02:00:5e:10:00:0a","state":["STALE"]}]\n'
        "root@lab:~# ip -j route\n"
        '[{"dst":"default","gateway":"198.51.100.1","dev":"v0","flags":[]}]\n'
    )
    facts = parse("ip-neigh-json", text)
    assert [str(n.address) for n in facts.neighbours] == ["198.51.100.1"]
    assert any("another command's output" in m for _l, m in _messages(facts))


def test_non_mac_link_layer_address_is_unknown_with_a_warning_at_its_line() -> None:
    text = '[\n {"dst": "203.0.113.5", "dev": "gre1", "lladdr": "192.0.2.1", "state": ["NOARP"]},\n {"dst": "x"}\n]\n'
    facts = parse("ip-neigh-json", text)
    assert [(str(n.address), n.mac) for n in facts.neighbours] == [("203.0.113.5", None)]
    assert _messages(facts) == [
        (2, "link-layer address '192.0.2.1' of 203.0.113.5 is not a 48-bit MAC; kept as unknown"),
        (3, "skipped neighbour: 'x' is not an address"),
    ]


def test_one_address_on_two_links_warns_at_the_second_ones_line() -> None:
    # the real capture (two links, one router address on each), second MAC spoiled
    real = (FIXTURES / "ip-neigh-json" / "netns-same-router-on-two-links.out").read_text()
    spoiled = real.replace('"02:00:5e:10:00:02"', '"zz:00:5e:10:00:02"')
    facts = parse("ip-neigh-json", spoiled)
    assert [w.line for w in facts.warnings] == [13]  # the second "dst": "fe80::1", not the first (7)
    assert [n.interface for n in facts.neighbours if str(n.address) == "fe80::1"] == ["v0", "v1"]


def test_several_states_are_joined_and_an_empty_table_is_no_error() -> None:
    facts = parse(
        "ip-neigh-json", '[{"dst":"192.0.2.1","dev":"e","lladdr":"02:00:00:00:00:01","state":["STALE","PROBE"]}]'
    )
    assert facts.neighbours[0].state == "STALE,PROBE"
    assert parse("ip-neigh-json", "[]").neighbours == ()


def test_broken_neighbour_json_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^x:2: invalid JSON"):
        parse("ip-neigh-json", '[{"dst": "192.0.2.1",\n "dev": }]', source="x")
    with pytest.raises(ParseError, match=r"^x:1: no neighbour objects"):
        parse("ip-neigh-json", '[{"ifindex": 1}]', source="x")


def test_route_json_is_not_taken_for_neighbours() -> None:
    routes = '[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]}]'
    assert detect(routes) == "ip-route-json"


def test_text_view_has_a_neigh_line() -> None:
    out = list(lines(parse("ip-neigh-json", NEIGH)))
    assert "neigh 198.51.100.2 02:00:5e:10:00:0b dev vna REACHABLE" in out
    assert "neigh 198.51.100.9 - dev vna FAILED" in out
    assert "neigh 2001:db8:100::fe 02:00:5e:10:00:fe dev vna PERMANENT router" in out


# --------------------------------------------------------------------------- nsswitch-conf


def test_hosts_sources_in_order_with_actions_kept() -> None:
    text = "# comment\npasswd: files systemd\nhosts:   files mdns4_minimal [NOTFOUND=return] dns  # trailing\n"
    facts = parse("nsswitch-conf", text)
    assert facts.settings["nss_hosts"] == ["files", "mdns4_minimal", "[NOTFOUND=return]", "dns"]
    assert facts.settings["nss"] == {
        "passwd": ["files", "systemd"],
        "hosts": ["files", "mdns4_minimal", "[NOTFOUND=return]", "dns"],
    }
    assert facts.warnings == ()
    assert detect(text) == "nsswitch-conf"


def test_dns_first_spaced_actions_and_first_line_wins() -> None:
    text = "hosts: dns [ !UNAVAIL = return  SUCCESS=merge ] files\nhosts: files dns\n"
    facts = parse("nsswitch-conf", text)
    assert facts.settings["nss_hosts"] == ["dns", "[!UNAVAIL=return SUCCESS=merge]", "files"]
    assert _messages(facts) == [(2, "second 'hosts' line ignored: glibc uses the first")]


def test_no_hosts_line_gives_null() -> None:
    facts = parse("nsswitch-conf", "passwd:\t\tcompat\ngroup:\t\tcompat\n")
    assert facts.settings["nss_hosts"] is None
    assert facts.settings["nss"] == {"passwd": ["compat"], "group": ["compat"]}


def test_bad_items_are_warnings_at_their_line() -> None:
    text = "passwd: files\nthis is no entry\nhosts: files [NOTFOUND=return dns\nnetworks: files [junk] dns\n"
    facts = parse("nsswitch-conf", text)
    assert facts.settings["nss_hosts"] == ["files"]
    assert facts.settings["nss"]["networks"] == ["files", "dns"]  # type: ignore[index]
    assert _messages(facts) == [
        (2, "skipped line that is not 'database: sources': 'this is no entry'"),
        (3, "unclosed action item '[NOTFOUND=return dns'; rest of the line skipped"),
        (4, "skipped malformed action item '[junk]'"),
    ]


def test_not_nsswitch_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^x:2: no 'database: sources' line"):
        parse("nsswitch-conf", "# only\nServer: 192.0.2.1\n", source="x")


def test_nsswitch_text_view_shows_the_order() -> None:
    out = list(lines(parse("nsswitch-conf", "hosts: files dns\n")))
    assert "setting nss_hosts = ['files', 'dns']" in out


def test_neighbour_model_round_trip() -> None:
    n = parse("ip-neigh-json", NEIGH).neighbours[2]
    assert type(n).from_dict(n.to_dict()) == n
    assert n.address == ip_address("2001:db8:100::fe")
