"""Focused tests of the Linux/macOS parsers: ip-addr, ip-addr-json, ip-route,
ip-route-json, ifconfig, netstat-rn, ss-listen.

The fixture runner checks whole outputs; these check one behaviour each (cut-out
addresses, transcripts, lost indentation, located errors) on small inputs, plus the
seed's two redacted outputs and shared corpus case 002 against its hand-checked facts.
"""

from __future__ import annotations

import json
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from netatlas.errors import ParseError
from netatlas.model import Facts
from netatlas.parsers import detect, parse

FIX = Path(__file__).parent.parent / "fixtures" / "parsers"


def _messages(facts: Facts) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in facts.warnings]


def _iface(facts: Facts, name: str):  # type: ignore[no-untyped-def]
    return next(i for i in facts.interfaces if i.name == name)


# --------------------------------------------------------------------------- the seed


def _check_seed_eth0(facts: Facts, inet_line: int) -> None:
    eth0 = _iface(facts, "eth0")
    assert eth0.mac == "00:15:5d:b3:93:cc"
    assert eth0.up is True
    v4 = [a for a in eth0.addresses if a.family == "inet"]
    v6 = [a for a in eth0.addresses if a.family == "inet6"]
    assert len(v4) == 1 and v4[0].address is None and v4[0].prefixlen is None
    assert [(a.address, a.prefixlen) for a in v6] == [(ip_address("fe80::215:5dff:feb3:93cc"), 64)]
    assert any(line == inet_line and "cut out" in msg for line, msg in _messages(facts))


def test_seed_kali_ip_address() -> None:
    facts = parse("ip-addr", (FIX / "ip-addr" / "seed-kali-wsl-redacted.out").read_bytes())
    _check_seed_eth0(facts, inet_line=10)
    lo = _iface(facts, "lo")
    assert lo.type == "loopback" and lo.addresses[0].address is None
    msgs = _messages(facts)
    assert (1, "skipped prompt line ('ip address')") in msgs
    assert any(line == 16 and "lsb_release" in msg for line, msg in msgs)


def test_seed_ubuntu_ifconfig() -> None:
    facts = parse("ifconfig", (FIX / "ifconfig" / "seed-ubuntu-wsl-redacted.out").read_bytes())
    _check_seed_eth0(facts, inet_line=3)
    assert [i.name for i in facts.interfaces] == ["eth0", "lo"]
    assert any("lsb_release" in msg for _, msg in _messages(facts))


# --------------------------------------------------------------------------- corpus 002


def test_corpus_002_ifconfig_matches_hand_checked_facts() -> None:
    case = json.loads((FIX / "ifconfig" / "corpus-002-ifconfig-wsl2-nat-ja-host.case.json").read_text())
    facts = parse("ifconfig", (FIX / "ifconfig" / "corpus-002-ifconfig-wsl2-nat-ja-host.out").read_bytes())
    expected = case["expected"]
    assert [i.name for i in facts.interfaces] == [e["name"] for e in expected["interfaces"]]
    for want in expected["interfaces"]:
        got = _iface(facts, want["name"])
        assert got.up is want["up"]
        assert got.mtu == want["mtu"]
        assert got.mac == want.get("mac")
        v4 = [a for a in got.addresses if a.family == "inet"]
        if want["ipv4"] is None:
            assert v4 == []
        else:
            assert [str(a.address) for a in v4] == [want["ipv4"]]
            assert v4[0].prefixlen == want["prefix_length"]
        v6 = [f"{a.address}/{a.prefixlen}" for a in got.addresses if a.family == "inet6"]
        assert v6 == want.get("ipv6", [])
    eth0 = _iface(facts, "eth0")
    assert str(eth0.addresses[0].network) == expected["eth0_network"]


# --------------------------------------------------------------------------- ip-addr

IP_ADDR = """\
2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 02:42:AC:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0
       valid_lft forever preferred_lft forever
"""


def test_ip_addr_basic_and_at_peer_name() -> None:
    facts = parse("ip-addr", IP_ADDR)
    eth0 = facts.interfaces[0]
    assert (eth0.name, eth0.index, eth0.mtu, eth0.up, eth0.type) == ("eth0", 2, 1500, True, "ether")
    assert eth0.mac == "02:42:ac:11:00:02"
    assert str(eth0.addresses[0].network) == "172.17.0.0/16"
    assert facts.warnings == ()


def test_ip_addr_lost_indentation_parses_the_same() -> None:
    flat = "\n".join(line.strip() for line in IP_ADDR.splitlines())
    assert parse("ip-addr", flat).interfaces == parse("ip-addr", IP_ADDR).interfaces


def test_ip_addr_lost_line_breaks_are_split_again() -> None:
    # microsoft/WSL#4192 pasted `ip addr` with its lines run together
    one = (
        "4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000"
        "    link/ether 00:15:5d:dc:ee:2d brd ff:ff:ff:ff:ff:ff"
        "    inet 172.17.178.50/16 brd 172.17.255.255 scope global eth0"
        "       valid_lft forever preferred_lft forever"
        "    inet6 fe80::215:5dff:fedc:ee2d/64 scope link"
    )
    eth0 = parse("ip-addr", one).interfaces[0]
    assert eth0.mac == "00:15:5d:dc:ee:2d"
    assert [str(a.address) for a in eth0.addresses] == ["172.17.178.50", "fe80::215:5dff:fedc:ee2d"]


def test_ip_addr_placeholder_address_is_unknown_with_warning() -> None:
    text = IP_ADDR.replace("172.17.0.2/16", "<wsl-ip>/20")
    facts = parse("ip-addr", text)
    assert facts.interfaces[0].addresses[0].address is None
    assert any(line == 3 and "not an address" in msg for line, msg in _messages(facts))


def test_ip_addr_transcript_with_prompts_and_fences() -> None:
    text = "```\njoe@z820:~$ ip a\n" + IP_ADDR + "joe@z820:~$ uname -r\n5.15.90.1-microsoft-standard-WSL2\n```\n"
    facts = parse("ip-addr", text)
    assert [i.name for i in facts.interfaces] == ["eth0"]
    msgs = _messages(facts)
    assert (1, "skipped code-fence line") in msgs
    assert (2, "skipped prompt line ('ip a')") in msgs
    assert any(line == 8 and "uname" in msg for line, msg in msgs)


def test_ip_addr_peer_length_and_link_none() -> None:
    text = (
        "6: tun0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc fq state UNKNOWN qlen 500\n"
        "    link/none \n"
        "    inet 100.64.0.2 peer 100.64.0.1/32 scope global tun0\n"
    )
    tun = parse("ip-addr", text).interfaces[0]
    assert (tun.type, tun.mac, tun.up) == ("none", None, True)
    assert (str(tun.addresses[0].address), tun.addresses[0].prefixlen) == ("100.64.0.2", 32)


def test_ip_addr_brief_lines_warn_and_brief_only_is_an_error() -> None:
    brief = "lo               UNKNOWN        127.0.0.1/8 ::1/128\n"
    facts = parse("ip-addr", IP_ADDR + brief)
    assert any(line == 5 and "brief" in msg for line, msg in _messages(facts))
    with pytest.raises(ParseError, match=r"^x:1: .*brief"):
        parse("ip-addr", brief, source="x")


def test_ip_addr_garbage_is_a_located_error() -> None:
    with pytest.raises(ParseError, match=r"^f.txt:2: no 'N: name: <FLAGS>'"):
        parse("ip-addr", "\nhello world\n", source="f.txt")


# --------------------------------------------------------------------------- ip-addr-json


def test_ip_addr_json_skips_empty_objects_and_warns_cut_address() -> None:
    doc = [
        {},
        {
            "ifindex": 2,
            "ifname": "eth0",
            "flags": ["UP", "LOWER_UP"],
            "mtu": 1500,
            "operstate": "UP",
            "link_type": "ether",
            "address": "00:15:5D:B3:93:CC",
            "addr_info": [{"family": "inet", "prefixlen": 20}, {}],
        },
    ]
    facts = parse("ip-addr-json", json.dumps(doc, indent=1))
    eth0 = facts.interfaces[0]
    assert eth0.mac == "00:15:5d:b3:93:cc" and eth0.up is True
    assert eth0.addresses[0].address is None
    assert facts.warnings and facts.warnings[0].line == 5  # the line naming "eth0"


def test_ip_addr_json_invalid_json_is_located_in_the_paste() -> None:
    text = '$ ip -j a\n[{"ifname": "lo",\n  "mtu": 65536,,\n}]\n'
    with pytest.raises(ParseError, match=r"^x:3: invalid JSON"):
        parse("ip-addr-json", text, source="x")


def test_ip_addr_json_not_an_array_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"^x:1: "):
        parse("ip-addr-json", '"ifname"', source="x")


# --------------------------------------------------------------------------- ip-route


def test_ip_route_multipath_types_tables_and_v6_default() -> None:
    text = (
        "default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 100\n"
        "192.0.2.0/24 proto static\n"
        "\tnexthop via 10.0.0.2 dev eth0 weight 1\n"
        "\tnexthop via 10.0.1.2 dev eth1 weight 1\n"
        "blackhole 198.51.100.0/24\n"
        "local 10.0.0.5 dev eth0 table local proto kernel scope host src 10.0.0.5\n"
        "10.9.0.0/16 via inet6 fe80::1 dev eth0 table main\n"
        "default dev wg0 metric 1024 pref medium\n"
    )
    facts = parse("ip-route", text)
    r = facts.routes
    assert (str(r[0].destination), str(r[0].gateway), r[0].metric, str(r[0].source)) == (
        "0.0.0.0/0",
        "10.0.0.1",
        100,
        "10.0.0.5",
    )
    assert [(str(x.gateway), x.interface) for x in r[1:3]] == [("10.0.0.2", "eth0"), ("10.0.1.2", "eth1")]
    assert all(x.destination == ip_network("192.0.2.0/24") for x in r[1:3])
    assert (r[3].type, r[3].interface) == ("blackhole", None)
    assert (str(r[4].destination), r[4].type, r[4].table, r[4].scope) == (
        "10.0.0.5/32",
        "local",
        "local",
        "host",
    )
    assert (str(r[5].gateway), r[5].table) == ("fe80::1", None)
    assert str(r[6].destination) == "::/0"
    assert facts.warnings == ()


def test_ip_route_v6_only_input_makes_bare_default_v6() -> None:
    text = "$ ip -6 route\nfd00::/64 dev eth0 proto kernel metric 256\ndefault dev tun0 metric 50\n"
    facts = parse("ip-route", text)
    assert str(facts.routes[1].destination) == "::/0"


def test_ip_route_unknown_attributes_and_lines_warn() -> None:
    text = "10.0.0.0/8 dev eth0 frobnicate 7\nthis is not a route\n172.16.0.0/12 dev eth1\n"
    facts = parse("ip-route", text)
    assert len(facts.routes) == 2
    msgs = _messages(facts)
    assert any(line == 1 and "frobnicate" in msg for line, msg in msgs)
    assert any(line == 2 and "not an 'ip route'" in msg for line, msg in msgs)


def test_ip_route_nothing_found_is_located() -> None:
    with pytest.raises(ParseError, match=r"^x:1: no 'ip route' route lines"):
        parse("ip-route", "hello\n", source="x")


# --------------------------------------------------------------------------- ip-route-json


def test_ip_route_json_nexthops_and_main_table() -> None:
    doc = [
        {
            "dst": "default",
            "gateway": "fe80::1",
            "dev": "eth0",
            "protocol": "ra",
            "metric": 1024,
            "flags": [],
        },
        {
            "dst": "192.0.2.0/24",
            "table": "main",
            "nexthops": [{"gateway": "10.0.0.2", "dev": "a"}, {"dev": "b"}],
        },
        {"type": "unreachable", "dst": "203.0.113.0/24", "flags": []},
        "junk",
    ]
    facts = parse("ip-route-json", json.dumps(doc))
    r = facts.routes
    assert str(r[0].destination) == "::/0"
    assert [(x.interface, x.table) for x in r[1:3]] == [("a", None), ("b", None)]
    assert r[3].type == "unreachable"
    assert any("not a route" in msg for _, msg in _messages(facts))


def test_ip_route_json_invalid_is_located() -> None:
    with pytest.raises(ParseError, match=r"^x:2: invalid JSON"):
        parse("ip-route-json", '[\n{"dst": }\n]', source="x")


# --------------------------------------------------------------------------- ifconfig


def test_ifconfig_macos_hex_mask_zone_and_status() -> None:
    text = (
        "en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
        "\tether a4:83:e7:2d:63:8e \n"
        "\tinet6 fe80::4dd:cbd7:2743:da63%en0 prefixlen 64 secured scopeid 0xa \n"
        "\tinet 192.168.1.221 netmask 0xffffff00 broadcast 192.168.1.255\n"
        "\tstatus: active\n"
        "utun3: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380\n"
        "\tinet 10.8.0.2 --> 10.8.0.1 netmask 0xffffffff \n"
        "en1: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
        "\tstatus: inactive\n"
    )
    facts = parse("ifconfig", text)
    en0, utun3, en1 = facts.interfaces
    assert [f"{a.address}/{a.prefixlen}" for a in en0.addresses] == [
        "fe80::4dd:cbd7:2743:da63/64",
        "192.168.1.221/24",
    ]
    assert (en0.up, en1.up) == (True, False)
    assert (str(utun3.addresses[0].address), utun3.addresses[0].prefixlen) == ("10.8.0.2", 32)


def test_ifconfig_old_format_cut_address_and_lost_indentation() -> None:
    text = (
        "eth0      Link encap:Ethernet  HWaddr 00:15:5D:B3:93:CC\n"
        "inet addr:  Bcast:  Mask:255.255.240.0\n"
        "inet6 addr: fe80::215:5dff:feb3:93cc/64 Scope:Link\n"
        "UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n"
    )
    facts = parse("ifconfig", text)
    eth0 = facts.interfaces[0]
    assert (eth0.mac, eth0.mtu, eth0.up, eth0.type) == ("00:15:5d:b3:93:cc", 1500, True, "ether")
    assert eth0.addresses[0].address is None
    assert str(eth0.addresses[1].network) == "fe80::/64"
    assert any(line == 2 and "cut out" in msg for line, msg in _messages(facts))


def test_ifconfig_bad_netmask_warns() -> None:
    text = "eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet 10.0.0.5  netmask 255.0.255.0\n"
    facts = parse("ifconfig", text)
    assert facts.interfaces[0].addresses[0].prefixlen is None
    assert any(line == 2 and "contiguous" in msg for line, msg in _messages(facts))


def test_ifconfig_nothing_found_is_located() -> None:
    with pytest.raises(ParseError, match=r"^x:2: no ifconfig interface header"):
        parse("ifconfig", "\n   nothing here\n", source="x")


# --------------------------------------------------------------------------- netstat-rn

MACOS_NEW = """\
Routing tables

Internet:
Destination        Gateway            Flags               Netif Expire
default            192.168.1.1        UGScg                 en0
127                127.0.0.1          UCS                   lo0
169.254            link#6             UCS                   en0      !
192.168.1          link#6             UCS                   en0      !
224.0.0/4          link#6             UmCS                  en0      !

Internet6:
Destination                             Gateway                 Flags       Netif Expire
default                                 fe80::%utun0            UGcIg       utun0
fe80::%lo0/64                           fe80::1%lo0             UcI           lo0
"""


def test_netstat_macos_abbreviations_and_sections() -> None:
    facts = parse("netstat-rn", MACOS_NEW)
    got = [(str(r.destination), str(r.gateway) if r.gateway else None, r.scope) for r in facts.routes]
    assert got == [
        ("0.0.0.0/0", "192.168.1.1", None),
        ("127.0.0.0/8", None, "link"),
        ("169.254.0.0/16", None, "link"),
        ("192.168.1.0/24", None, "link"),
        ("224.0.0.0/4", None, "link"),
        ("::/0", None, None),
        ("fe80::/64", None, "link"),
    ]


def test_netstat_linux_route_n_lost_alignment_and_reject() -> None:
    text = (
        "$ route -n\nKernel IP routing table\n"
        "Destination Gateway Genmask Flags Metric Ref Use Iface\n"
        "0.0.0.0 172.29.0.1 0.0.0.0 UG 0 0 0 eth0\n"
        "172.29.0.0 0.0.0.0 255.255.240.0 U 0 0 0 eth0\n"
        "10.1.0.0 - 255.255.0.0 ! 0 - 0 -\n"
    )
    facts = parse("netstat-rn", text)
    r = facts.routes
    assert (str(r[0].destination), str(r[0].gateway)) == ("0.0.0.0/0", "172.29.0.1")
    assert (str(r[1].destination), r[1].gateway, r[1].scope) == ("172.29.0.0/20", None, "link")
    assert (r[2].type, r[2].interface) == ("reject", None)


def test_netstat_rows_before_a_header_warn_and_no_table_is_an_error() -> None:
    facts = parse("netstat-rn", "stray words\n" + MACOS_NEW)
    assert (1, "skipped line outside a routing table: 'stray words'") in _messages(facts)
    with pytest.raises(ParseError, match=r"^x:1: no routing table rows"):
        parse("netstat-rn", "Kernel IP routing table\n", source="x")


def test_netstat_bad_destination_warns() -> None:
    text = "Destination Gateway Genmask Flags Metric Ref Use Iface\n300.1.2.0 0.0.0.0 255.255.255.0 U 0 0 0 e\n"
    facts = parse("netstat-rn", text + "10.0.0.0 0.0.0.0 255.0.0.0 U 0 0 0 e\n")
    assert len(facts.routes) == 1
    assert any(line == 2 and "not a network" in msg for line, msg in _messages(facts))


# --------------------------------------------------------------------------- ss-listen


def test_ss_without_netid_column_and_other_states() -> None:
    text = (
        "joe@z820:~$ ss -lt\n"
        "State   Recv-Q  Send-Q   Local Address:Port    Peer Address:Port  Process\n"
        "LISTEN  0       4096     127.0.0.53%lo:53           0.0.0.0:*\n"
        "LISTEN  0       511            [::]:80              [::]:*      "
        'users:(("nginx",pid=10,fd=6),("nginx",pid=11,fd=6))\n'
        "ESTAB   0       0        10.0.0.5:22          10.0.0.9:50000\n"
    )
    facts = parse("ss-listen", text)
    a, b = facts.listeners
    assert (a.protocol, str(a.address), a.port, a.interface) == ("tcp", "127.0.0.53", 53, "lo")
    assert (str(b.address), b.process, b.pid) == ("::", "nginx", 10)
    assert any(line == 5 and "ESTAB" in msg for line, msg in _messages(facts))


def test_ss_wildcard_star_and_lost_alignment() -> None:
    text = "Netid State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\ntcp LISTEN 0 128 *:22 *:*\n"
    (lst,) = parse("ss-listen", text).listeners
    assert (lst.address, lst.port) == (None, 22)


def test_ss_bad_rows_warn_and_nothing_found_is_an_error() -> None:
    text = "Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\nudp UNCONN 0 0 0.0.0.0:* 0.0.0.0:*\n"
    facts = parse("ss-listen", text + "garbage here\n")
    assert facts.listeners == ()
    msgs = _messages(facts)
    assert any(line == 2 and "port" in msg for line, msg in msgs)
    assert any(line == 3 and "not an ss row" in msg for line, msg in msgs)
    with pytest.raises(ParseError, match=r"^x:1: no ss header"):
        parse("ss-listen", "hello\n", source="x")


# --------------------------------------------------------------------------- auto


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("ip-addr", IP_ADDR),
        ("ip-route", "default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link\n"),
        ("netstat-rn", MACOS_NEW),
        ("ss-listen", "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0 5 *:22 *:*\n"),
        (
            "ifconfig",
            "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\n\tinet 127.0.0.1 netmask 0xff000000\n",
        ),
        ("ip-addr-json", '[{"ifindex":1,"ifname":"lo","addr_info":[]}]'),
        ("ip-route-json", '[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"}]'),
    ],
)
def test_auto_detects(kind: str, text: str) -> None:
    assert detect(text) == kind


def test_ss_ipv4_mapped_listener_is_the_ipv4_address() -> None:
    text = 'tcp   LISTEN 0      50     [::ffff:127.0.0.1]:8000            *:*    users:(("java",pid=42,fd=7))\n'
    (li,) = parse("ss-listen", text).listeners
    assert str(li.address) == "127.0.0.1" and li.address is not None and li.address.is_loopback


def test_ss_ipv6_listener_is_written_with_brackets_and_port_0_is_no_listener() -> None:
    from netatlas.render.facts_text import lines as text_lines

    facts = parse("ss-listen", "LISTEN 0 128 [fe80::1%eth0]:22 [::]:*\nLISTEN 0 128 0.0.0.0:0 0.0.0.0:*\n")
    assert [(str(li.address), li.port) for li in facts.listeners] == [("fe80::1", 22)]
    assert "listen tcp [fe80::1]:22" in list(text_lines(facts))
    assert [w.line for w in facts.warnings] == [2]


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("ip-route", "default via 10.0.0.300 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n"),
        (
            "ip-route-json",
            '[{"dst":"default","gateway":"10.0.0.300","dev":"eth0","flags":[]},'
            '{"dst":"10.0.0.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"10.0.0.5","flags":[]}]',
        ),
    ],
)
def test_bad_gateway_is_no_on_link_default_route(kind: str, text: str) -> None:
    from netatlas.parsers import parse as parse_kind

    facts = parse_kind(kind, text)
    assert [str(r.destination) for r in facts.routes] == ["10.0.0.0/24"]
    assert any("10.0.0.300" in w.message and "skipped route" in w.message for w in facts.warnings)
