"""The packet filter parsers: what a rule's words become, and bad input located."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.errors import ParseError
from netatlas.parsers import parse

_IFACE = st.from_regex(r"[a-z][a-z0-9-]{0,10}\+?", fullmatch=True)
_NET = st.builds(
    lambda a, p: str(ipaddress.ip_network(f"{ipaddress.IPv4Address(a)}/{p}", strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
_PORTS = st.lists(st.integers(1, 65535), min_size=1, max_size=4)


@given(_IFACE, st.booleans(), _NET, _PORTS, st.sampled_from(["ACCEPT", "DROP", "RETURN", "DOCKER-USER"]))
def test_iptables_save_rule_words_become_matches(
    iface: str, neg: bool, net: str, ports: list[int], target: str
) -> None:
    dports = ",".join(map(str, ports))
    rule = f"-A FORWARD {'! ' if neg else ''}-i {iface} -d {net} -p tcp -m multiport --dports {dports} -j {target}"
    text = f"*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n{rule}\nCOMMIT\n"
    facts = parse("iptables-save", text)
    (chain,) = [c for c in facts.firewall[0].tables[0].chains if c.name == "FORWARD"]
    (r,) = chain.rules
    got = {m.kind: (m.values, m.negated) for m in r.matches}
    assert got["in_interface"] == ((iface,), neg)
    assert got["destination"] == ((net,), False)
    assert got["dport"] == (tuple(map(str, ports)), False)
    assert r.text == rule
    if target == "DOCKER-USER":
        assert (r.action, r.target) == ("JUMP", "DOCKER-USER")
    else:
        assert (r.action, r.target) == (target, None)
    assert chain.policy == "DROP"


def test_unknown_module_is_kept_whole_not_dropped() -> None:
    rule = "-A INPUT -p tcp -m recent --set --name ssh -m tcp --dport 22 -j ACCEPT"
    text = f"*filter\n:INPUT ACCEPT [0:0]\n{rule}\nCOMMIT\n"
    (r,) = parse("iptables-save", text).firewall[0].tables[0].chains[0].rules
    kinds = [m.kind for m in r.matches]
    assert kinds == ["protocol", "other", "dport"]
    assert r.matches[1].text == "-m recent --set --name ssh"


def test_ipset_membership_is_a_set_match() -> None:
    text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set ! --match-set allowed src -j DROP\nCOMMIT\n"
    (r,) = parse("iptables-save", text).firewall[0].tables[0].chains[0].rules
    assert [(m.kind, m.values, m.negated) for m in r.matches] == [("set_source", ("allowed",), True)]


def test_unterminated_quote_names_the_line() -> None:
    text = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "oops -j ACCEPT\nCOMMIT\n'
    with pytest.raises(ParseError, match=r"^x:3: "):
        parse("iptables-save", text, source="x")


def test_stray_line_is_a_warning_and_the_rest_is_kept() -> None:
    text = "*filter\n:INPUT DROP [0:0]\nhello\n-A INPUT -j ACCEPT\nCOMMIT\n"
    facts = parse("iptables-save", text)
    assert [w.line for w in facts.warnings] == [3]
    assert len(facts.firewall[0].tables[0].chains[0].rules) == 1


def test_iptables_s_table_from_the_pasted_prompt() -> None:
    text = "root@h:~# iptables -t nat -S\n-P PREROUTING ACCEPT\n-N DOCKER\n-A DOCKER -i docker0 -j RETURN\n"
    rs = parse("iptables-s", text).firewall[0]
    assert rs.tables[0].name == "nat" and rs.complete is False
    assert rs.tables[0].chains[1].rules[0].action == "RETURN"


def test_iptables_l_without_counters() -> None:
    text = (
        "Chain INPUT (policy DROP)\n"
        "target     prot opt source               destination\n"
        "ACCEPT     tcp  --  192.0.2.0/24         0.0.0.0/0            tcp dpt:22 /* ssh from lan */\n"
    )
    (chain,) = parse("iptables-l", text).firewall[0].tables[0].chains
    assert chain.policy == "DROP"
    (r,) = chain.rules
    assert [(m.kind, m.values) for m in r.matches] == [
        ("source", ("192.0.2.0/24",)),
        ("protocol", ("tcp",)),
        ("dport", ("22",)),
        ("comment", ("ssh from lan",)),
    ]


def test_nft_json_set_reference_and_vmap_are_kept() -> None:
    text = (
        '{"nftables": [{"table": {"family": "inet", "name": "f"}},'
        '{"chain": {"family": "inet", "table": "f", "name": "in", "type": "filter", "hook": "input", "prio": 0,'
        ' "policy": "drop"}},'
        '{"set": {"family": "inet", "table": "f", "name": "ok", "type": "ipv4_addr", "elem": ["192.0.2.1",'
        ' {"prefix": {"addr": "198.51.100.0", "len": 24}}]}},'
        '{"rule": {"family": "inet", "table": "f", "chain": "in", "handle": 3, "expr": ['
        '{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@ok"}},'
        '{"accept": null}]}}]}'
    )
    rs = parse("nft-json", text).firewall[0]
    (chain,) = rs.tables[0].chains
    assert (chain.hook, chain.priority, chain.policy) == ("input", 0, "DROP")
    assert chain.rules[0].matches[0].kind == "set_source"
    assert rs.sets[0].elements == ("192.0.2.1", "198.51.100.0/24")
    assert chain.rules[0].text == "ip saddr @ok accept # handle 3"


def test_nft_json_not_json_names_the_line() -> None:
    with pytest.raises(ParseError, match=r"^x:2: "):
        parse("nft-json", '{"nftables": [\n  {,\n]}', source="x")


@pytest.mark.parametrize("odd", ["\x1c", "\x1d", "\u00a0", "\u2003"])
def test_iptables_s_whitespace_the_shell_does_not_split_on_is_a_stray_line(odd: str) -> None:
    """Found by tests/test_parser_robustness.py: ``-A\\x1cFOO`` passed the line regex but split into one word."""
    facts = parse("iptables-s", f"-P INPUT ACCEPT\n-A{odd}FOO -j DROP\n-A INPUT -j ACCEPT\n")
    assert [w.line for w in facts.warnings] == [2]
    (chain,) = facts.firewall[0].tables[0].chains
    assert [r.text for r in chain.rules] == ["-A INPUT -j ACCEPT"]


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(list("ab -!\t\r\n\x0b\x0c\u00a0\u2003\"'\\#")), max_size=40))
def test_split_args_is_shlex_split(text: str) -> None:
    """The fast path for lines without quotes gives what shlex.split gives, and quoted lines go to shlex."""
    import shlex

    from netatlas.parsers._iptables import split_args

    try:
        want = shlex.split(text, posix=True)
    except ValueError:
        return  # unbalanced quotes: a ParseError, as before
    assert split_args(text, line=1) == want
