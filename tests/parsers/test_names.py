"""Focused tests for the name-resolution and path parsers: traceroute, nslookup, host, getent-hosts."""

from __future__ import annotations

import json
from ipaddress import ip_address
from pathlib import Path

import pytest

from netatlas.errors import ParseError
from netatlas.model import Facts, NameAnswer
from netatlas.parsers import detect, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsers"


def _warned(facts: Facts, line: int, fragment: str) -> bool:
    return any(w.line == line and fragment in w.message for w in facts.warnings)


def _by_name(facts: Facts) -> dict[str, NameAnswer]:
    return {a.name: a for a in facts.answers}


# --------------------------------------------------------------------------- traceroute


def test_corpus_003_matches_hand_checked_facts() -> None:
    base = FIXTURES / "traceroute" / "corpus-003-traceroute-wsl2-nat"
    case = json.loads(base.with_suffix(".case.json").read_text(encoding="utf-8"))
    expected = case["expected"]
    facts = parse("traceroute", base.with_suffix(".out").read_bytes())
    assert facts.settings["target_address"] == expected["target"]
    assert facts.settings["max_hops"] == expected["max_hops"]
    assert len(facts.hops) == len(expected["hops"])
    for hop, exp in zip(facts.hops, expected["hops"], strict=True):
        assert hop.ttl == exp["hop"]
        assert (str(hop.address) if hop.address else None) == exp["address"]
        assert list(hop.rtt_ms) == exp.get("rtts_ms", [])
        if "timeouts" in exp:
            assert hop.address is None and hop.rtt_ms == ()
    # the WSL vEthernet is the first hop, the Windows LAN gateway the second
    assert str(facts.hops[0].address) == "192.168.64.1"
    assert str(facts.hops[1].address) == "172.16.0.1"


def test_traceroute_several_routers_on_one_line_become_one_hop_each() -> None:
    facts = parse("traceroute", " 1  10.0.0.1  0.1 ms 10.0.0.2  0.2 ms 10.0.0.1  0.3 ms\n")
    assert [(str(h.address), h.rtt_ms) for h in facts.hops] == [
        ("10.0.0.1", (0.1, 0.3)),
        ("10.0.0.2", (0.2,)),
    ]


def test_traceroute_continuation_line_with_lost_indentation() -> None:
    text = (
        "traceroute to x (192.0.2.9), 64 hops max, 52 byte packets\n"
        " 4  a.example (192.0.2.4)  7.0 ms\n"
        "b.example (192.0.2.5)  7.5 ms  6.5 ms\n"
    )
    facts = parse("traceroute", text)
    assert [(h.ttl, str(h.address), h.name) for h in facts.hops] == [
        (4, "192.0.2.4", "a.example"),
        (4, "192.0.2.5", "b.example"),
    ]


def test_traceroute_redacted_address_is_none_with_warning() -> None:
    text = " 1  unifi (**REDACTED**)  0.792 ms  0.404 ms\n 2  * * *\n"
    facts = parse("traceroute", text)
    assert facts.hops[0].address is None and facts.hops[0].name == "unifi"
    assert facts.hops[0].rtt_ms == (0.792, 0.404)
    assert _warned(facts, 1, "not an IP address")


def test_traceroute_inetutils_address_first_name_in_parens() -> None:
    facts = parse("traceroute", "  1   10.0.0.1 (gw.example)  0.004ms !H  0.002ms !H  * \n")
    assert facts.hops[0].name == "gw.example" and str(facts.hops[0].address) == "10.0.0.1"
    assert facts.hops[0].flags == ("!H",)
    assert "annotations" not in facts.settings


def test_traceroute_transcript_with_prompt_and_foreign_output() -> None:
    text = (
        "joe@z820:~$ ping -c1 192.0.2.1\n"
        "64 bytes from 192.0.2.1: icmp_seq=1 ttl=64 time=0.1 ms\n"
        "joe@z820:~$ traceroute -n 192.0.2.1\n"
        "traceroute to 192.0.2.1 (192.0.2.1), 30 hops max, 60 byte packets\n"
        " 1  192.0.2.1  0.1 ms  0.1 ms  0.1 ms\n"
    )
    facts = parse("traceroute", text)
    assert [str(h.address) for h in facts.hops] == ["192.0.2.1"]
    assert _warned(facts, 2, "another command's output")


def test_traceroute_malformed_line_warns_and_second_trace_is_ignored() -> None:
    text = (
        "traceroute to a (192.0.2.1), 30 hops max\n"
        " 1  192.0.2.1  1.0 ms\n"
        "this is noise\n"
        "traceroute to b (192.0.2.2), 30 hops max\n"
        " 1  192.0.2.2  1.0 ms\n"
    )
    facts = parse("traceroute", text)
    assert len(facts.hops) == 1 and facts.settings["target"] == "a"
    assert _warned(facts, 3, "not a traceroute hop")
    assert _warned(facts, 4, "second traceroute")


def test_traceroute_without_any_hop_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^x:2: no traceroute header"):
        parse("traceroute", "\nhello world\n", source="x")


# --------------------------------------------------------------------------- nslookup


def test_nslookup_windows_english_with_aliases_and_continuations() -> None:
    text = (
        "Server:  UnKnown\r\nAddress:  192.168.1.1\r\n\r\nNon-authoritative answer:\r\n"
        "Name:    e1.example.net\r\nAddresses:  2001:db8::7\r\n          192.0.2.7\r\n"
        "Aliases:  www.example.com\r\n          cdn.example.com\r\n\r\n"
    )
    facts = parse("nslookup", text)
    (a,) = facts.answers
    assert a.name == "www.example.com"
    assert a.aliases == ("cdn.example.com", "e1.example.net")
    assert [str(x) for x in a.addresses] == ["2001:db8::7", "192.0.2.7"]
    assert str(a.server) == "192.168.1.1" and a.source == "dns"


def test_nslookup_german_windows_with_lost_indentation() -> None:
    # German Windows keeps Server/Name/Address(es) and localizes the section header;
    # the continuation line has lost its indentation in the paste.
    text = (
        "Server:  fritz.box\n"
        "Address:  192.168.178.1\n"
        "\n"
        "Nicht autorisierende Antwort:\n"
        "Name:    example.com\n"
        "Addresses:  2001:db8::1\n"
        "192.0.2.10\n"
    )
    facts = parse("nslookup", text)
    assert [str(x) for x in facts.answers[0].addresses] == ["2001:db8::1", "192.0.2.10"]
    assert not facts.warnings


def test_nslookup_unknown_localized_labels_are_read_by_position() -> None:
    # Russian Windows labels as seen through a wrong code page (mojibake), as pasted.
    text = "╤хЁтхЁ:  pihole\nAddress:  192.168.1.50\n\n╚ь :     pi.hole\nAddress:  192.168.1.50\n"
    facts = parse("nslookup", text)
    assert facts.answers[0].name == "pi.hole" and str(facts.answers[0].server) == "192.168.1.50"
    assert _warned(facts, 1, "server line by its position")
    assert _warned(facts, 4, "name line by its position")


def test_nslookup_windows_nxdomain_and_servfail() -> None:
    text = (
        "C:\\>nslookup nope.example\nServer:  dns.example\nAddress:  192.0.2.53\n\n"
        "*** dns.example can't find nope.example: Non-existent domain\n"
        "C:\\>nslookup broken.example\nServer:  dns.example\nAddress:  192.0.2.53\n\n"
        "*** dns.example can't find broken.example: Server failed\n"
    )
    answers = _by_name(parse("nslookup", text))
    assert answers["nope.example"].status == "NXDOMAIN"
    assert answers["broken.example"].status == "SERVFAIL"


def test_nslookup_bind_servfail_and_timeout_named_by_prompt() -> None:
    text = (
        "$ nslookup a.example\n"
        "Server:\t\t127.0.0.53\n"
        "Address:\t127.0.0.53#53\n"
        "\n"
        "** server can't find a.example: SERVFAIL\n"
        "\n"
        "$ nslookup b.example 192.0.2.99\n"
        ";; connection timed out; no servers could be reached\n"
    )
    answers = _by_name(parse("nslookup", text))
    assert answers["a.example"].status == "SERVFAIL" and str(answers["a.example"].server) == "127.0.0.53"
    assert answers["b.example"].status == "timeout" and str(answers["b.example"].server) == "192.0.2.99"


def test_nslookup_cut_out_answer_address_is_dropped_with_warning() -> None:
    text = "Server:\t\t127.0.0.53\nAddress:\t127.0.0.53#53\n\nName:\thost.docker.internal\nAddress: 192.168.x.x\n"
    facts = parse("nslookup", text)
    assert facts.answers == () or facts.answers[0].addresses == ()
    assert _warned(facts, 5, "not an IP address")


def test_nslookup_old_busybox_address_1_form() -> None:
    text = (
        "Server:    10.96.0.10\n"
        "Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n"
        "\n"
        "Name:      kubernetes.default\n"
        "Address 1: 10.96.0.1 kubernetes.default.svc.cluster.local\n"
    )
    (a,) = parse("nslookup", text).answers
    assert a.name == "kubernetes.default" and a.addresses == (ip_address("10.96.0.1"),)
    assert str(a.server) == "10.96.0.10"


def test_nslookup_not_nslookup_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^x:2: no nslookup output"):
        parse("nslookup", "\njust some words\n", source="x")


# --------------------------------------------------------------------------- host


def test_host_alias_chain_and_server_preamble() -> None:
    text = (
        "Using domain server:\n"
        "Name: 192.0.2.53\n"
        "Address: 192.0.2.53#53\n"
        "Aliases: \n"
        "\n"
        "www.example is an alias for web.example.\n"
        "web.example has address 192.0.2.80\n"
    )
    (a,) = parse("host", text).answers
    assert a.name == "www.example" and a.aliases == ("web.example",)
    assert str(a.server) == "192.0.2.53"


def test_host_servfail_and_cut_out_address() -> None:
    text = "$ host a.example\na.example has address 10.x.x.x\n$ host b.example\nHost b.example not found: 2(SERVFAIL)\n"
    facts = parse("host", text)
    answers = _by_name(facts)
    assert answers["b.example"].status == "SERVFAIL"
    assert _warned(facts, 2, "not an IP address")


def test_host_lost_indentation_and_noise_warns() -> None:
    facts = parse("host", "   web.example has address 192.0.2.80\nsomething else\n")
    assert facts.answers[0].addresses == (ip_address("192.0.2.80"),)
    assert _warned(facts, 2, "not host output")


def test_host_not_host_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^x:1: no host output"):
        parse("host", "random text\n", source="x")


# --------------------------------------------------------------------------- getent hosts


def test_getent_names_the_queried_key_and_reports_not_found() -> None:
    text = "$ getent hosts db missing\n10.0.0.5        db.lab.example db\n"
    answers = _by_name(parse("getent-hosts", text))
    assert answers["db"].aliases == ("db.lab.example",) and answers["db"].source == "nss"
    assert answers["missing"].status == "NOTFOUND"


def test_getent_ahosts_groups_lines_of_one_key() -> None:
    text = (
        "❯ getent ahosts host.docker.internal\n"
        "192.168.65.254  STREAM host.docker.internal\n"
        "192.168.65.254  DGRAM\n"
        "192.168.65.254  RAW\n"
    )
    (a,) = parse("getent-hosts", text).answers
    assert a.name == "host.docker.internal" and a.addresses == (ip_address("192.168.65.254"),)


def test_getent_bad_line_and_cut_out_address_warn() -> None:
    text = "$ getent hosts a b\n10.0.0.x  a\nnot an entry line at all here\n"
    facts = parse("getent-hosts", text)
    assert _warned(facts, 3, "not 'ADDRESS NAME")
    assert facts.answers[0].addresses == () and _warned(facts, 2, "not an IP address")


def test_getent_nothing_at_all_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^x:1: no getent hosts output"):
        parse("getent-hosts", "hello\n", source="x")


# --------------------------------------------------------------------------- auto


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Server:  UnKnown\nAddress:  192.0.2.1\n\nName:    a.example\nAddress:  192.0.2.5\n", "nslookup"),
        ("a.example has address 192.0.2.5\n", "host"),
        ("$ getent hosts a\n192.0.2.5  a\n", "getent-hosts"),
        ("traceroute to a (192.0.2.5), 30 hops max, 60 byte packets\n 1  192.0.2.5  0.1 ms\n", "traceroute"),
    ],
)
def test_auto_detects_short_inputs(text: str, kind: str) -> None:
    assert detect(text) == kind
