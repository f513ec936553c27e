"""Windows parsers: ipconfig, route print, tracert, netsh portproxy.

The corpus tests read the hand-checked ``expected`` facts of the shared corpus cases
(copied beside the fixtures as ``*.case.json``) and map them onto our model; the unit
tests cover what the fixtures do not: localized labels, cut-out values, pastes that
lost their layout, and every error path with its line number.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import PARSER_FIXTURES
from netatlas.errors import ParseError
from netatlas.model import Facts, Interface
from netatlas.parsers import get_parser, parse


def _case(kind: str, stem: str) -> tuple[Facts, dict[str, Any]]:
    folder = PARSER_FIXTURES / kind
    case = json.loads((folder / f"{stem}.case.json").read_text(encoding="utf-8"))
    facts = parse(kind, (folder / f"{stem}.out").read_bytes(), source=stem)
    return facts, case["expected"]


def _zone_free(text: str) -> str:
    return str(ipaddress.ip_address(text.split("%")[0]))


def _messages(facts: Facts) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in facts.warnings]


# --------------------------------------------------------------------------- ipconfig corpus


def _check_adapter(iface: Interface, exp: dict[str, Any], facts: Facts) -> None:
    assert iface.name == exp["name"]
    typ = exp.get("type") or exp.get("type_header")
    assert iface.type is not None and typ.startswith(iface.type)
    if exp.get("media_state") == "disconnected":
        assert iface.up is False
        assert not iface.addresses
    else:
        assert iface.up is True
    v4 = [a for a in iface.addresses if a.family == "inet"]
    v6 = [a for a in iface.addresses if a.family == "inet6"]
    ipv4 = exp.get("ipv4") or exp.get("autoconfiguration_ipv4")
    if ipv4:
        assert [(str(a.address), a.prefixlen) for a in v4] == [(ipv4, exp["prefix_length"])]
    else:
        assert not v4
    if "link_local_ipv6" in exp:
        assert [str(a.address) for a in v6] == [_zone_free(exp["link_local_ipv6"])]
    if "default_gateway" in exp:
        gw = exp["default_gateway"]
        assert [str(g) for g in iface.gateways] == ([gw] if gw else [])
    if "dns_servers" in exp:
        assert [str(d) for d in iface.dns_servers] == exp["dns_servers"]
    if "description" in exp:
        assert iface.description == exp["description"]
    if "physical_address" in exp:
        assert iface.mac is None  # empty, or "[removed for security purpose]"
    if "dhcp_enabled" in exp:
        assert iface.dhcp is exp["dhcp_enabled"]
    if exp.get("dns_suffix"):
        assert iface.dns_suffix == exp["dns_suffix"]


@pytest.mark.parametrize(
    "stem",
    [
        "corpus-001-ja-wsl-npcap-wlan",
        "corpus-004-en-hyperv-ext-switch-zerotier-wsl-fw",
        "corpus-005-all-en-nordlynx-flattened",
    ],
)
def test_ipconfig_corpus_cases(stem: str) -> None:
    facts, exp = _case("ipconfig", stem)
    assert len(facts.interfaces) == exp["adapter_count"]
    by_name = {i.name: i for i in facts.interfaces}
    for adapter in exp["adapters"]:
        _check_adapter(by_name[adapter["name"]], adapter, facts)
    gateways = [(i.name, str(g)) for i in facts.interfaces for g in i.gateways]
    assert gateways == [(g["adapter"], g["gateway"]) for g in exp["default_gateways"]]


def test_ipconfig_corpus_005_redacted_macs_warn() -> None:
    facts, _ = _case("ipconfig", "corpus-005-all-en-nordlynx-flattened")
    assert sum("[removed for security purpose]" in m for _, m in _messages(facts)) == 8


def test_ipconfig_corpus_001_wsl_network() -> None:
    facts, _ = _case("ipconfig", "corpus-001-ja-wsl-npcap-wlan")
    wsl = next(i for i in facts.interfaces if i.name == "vEthernet (WSL)")
    assert str(wsl.addresses[0].network) == "192.168.64.0/20"


# --------------------------------------------------------------------------- ipconfig units

FRENCH = """\
Configuration IP de Windows

Carte Ethernet vEthernet (WSL) :

   Suffixe DNS propre à la connexion. . . :
   Adresse IPv6 de liaison locale. . . . .: fe80::a490:4aa4:2138:43a%12
   Adresse IPv4. . . . . . . . . . . . . .: 172.28.96.1(préféré)
   Masque de sous-réseau. . . . . . . . . : 255.255.240.0
   Passerelle par défaut. . . . . . . . . :

Carte réseau sans fil Wi-Fi :

   Statut du média. . . . . . . . . . . . : Média déconnecté
   Suffixe DNS propre à la connexion. . . :
"""


def test_ipconfig_french_header_with_space_before_colon() -> None:
    facts = parse("ipconfig", FRENCH)
    wsl, wifi = facts.interfaces
    assert (wsl.name, wsl.type) == ("vEthernet (WSL)", "Ethernet")
    assert [(str(a.address), a.prefixlen) for a in wsl.addresses] == [
        ("172.28.96.1", 20),
        ("fe80::a490:4aa4:2138:43a", None),
    ]
    assert (wifi.name, wifi.type, wifi.up) == ("Wi-Fi", "réseau sans fil", False)
    assert not facts.warnings


def test_ipconfig_spanish_label_with_its_own_colon() -> None:
    text = """\
Adaptador de LAN inalámbrica Wi-Fi:

   Sufijo DNS específico para la conexión. . :
   Vínculo: dirección IPv6 local. . . : fe80::4b27:d9ce:531:12da%18
   Dirección IPv4. . . . . . . . . . . . . . : 192.168.100.18
   Máscara de subred . . . . . . . . . . . . : 255.255.255.0
   Puerta de enlace predeterminada . . . . . : fe80::1%18
                                       192.168.100.1
"""
    (wifi,) = parse("ipconfig", text).interfaces
    assert (wifi.name, wifi.type) == ("Wi-Fi", "LAN inalámbrica")
    assert [str(a.address) for a in wifi.addresses] == ["192.168.100.18", "fe80::4b27:d9ce:531:12da"]
    assert [str(g) for g in wifi.gateways] == ["fe80::1", "192.168.100.1"]


def test_ipconfig_chinese_markdown_indented_all() -> None:
    text = """\
  PS C:\\Users\\me> ipconfig /all

  Windows IP 配置

     主机名  . . . . . . . . . . . . . : DESKTOP-KD33OT8
     主 DNS 后缀 . . . . . . . . . . . :

  以太网适配器 vEthernet (WSL):

     连接特定的 DNS 后缀 . . . . . . . :
     描述. . . . . . . . . . . . . . . : Hyper-V Virtual Ethernet Adapter
     物理地址. . . . . . . . . . . . . : 00-15-5D-5C-2A-EA
     DHCP 已启用 . . . . . . . . . . . : 否
     IPv4 地址 . . . . . . . . . . . . : 172.17.112.1(首选)
     子网掩码  . . . . . . . . . . . . : 255.255.240.0
     默认网关. . . . . . . . . . . . . :
     DNS 服务器  . . . . . . . . . . . : fec0:0:0:ffff::1%1
                                         fec0:0:0:ffff::2%1
"""
    facts = parse("ipconfig", text)
    (wsl,) = facts.interfaces
    assert (wsl.name, wsl.type, wsl.mac) == ("vEthernet (WSL)", "以太网", "00:15:5d:5c:2a:ea")
    assert [(str(a.address), a.prefixlen) for a in wsl.addresses] == [("172.17.112.1", 20)]
    assert [str(d) for d in wsl.dns_servers] == ["fec0:0:0:ffff::1", "fec0:0:0:ffff::2"]
    assert facts.settings["host_name"] == "DESKTOP-KD33OT8"
    assert wsl.dhcp is False
    assert "dhcp_enabled" not in facts.settings
    assert _messages(facts) == [(1, "skipped prompt line ('ipconfig /all')")]


def test_ipconfig_cut_out_addresses_become_none_with_warning() -> None:
    text = """\
Ethernet adapter Ethernet:

   IPv4 Address. . . . . . . . . . . : 192.168.x.x
   Subnet Mask . . . . . . . . . . . : 255.255.255.0
   Default Gateway . . . . . . . . . : xxx.xxx.xxx.xxx
   DNS Servers . . . . . . . . . . . : 1.1.1.1
"""
    facts = parse("ipconfig", text)
    (eth,) = facts.interfaces
    assert eth.addresses[0].address is None and eth.addresses[0].prefixlen == 24
    assert eth.gateways == ()
    assert [str(d) for d in eth.dns_servers] == ["1.1.1.1"]
    lines = [line for line, msg in _messages(facts) if "cut out" in msg]
    assert lines == [3, 5]


def test_ipconfig_unknown_language_falls_back_to_value_shapes() -> None:
    text = """\
Karta Ethernet Ethernet:

   Adres IPv4. . . . . . . . . . . . . : 10.1.2.3
   Maska podsieci. . . . . . . . . . . : 255.255.255.0
   Adres IPv6 połączenia lokalnego . . : fe80::1%4
   Coś innego. . . . . . . . . . . . . : tak
"""
    facts = parse("ipconfig", text)
    (eth,) = facts.interfaces
    assert eth.name == "Karta Ethernet Ethernet" and eth.type is None
    assert [(str(a.address), a.prefixlen) for a in eth.addresses] == [("10.1.2.3", 24), ("fe80::1", None)]
    msgs = " | ".join(m for _, m in _messages(facts))
    assert "taken as ipv4 address" in msgs and "taken as subnet mask" in msgs
    assert "unknown label 'Coś innego'" in msgs


def test_ipconfig_malformed_line_warns_and_parsing_goes_on() -> None:
    text = (
        "Windows IP Configuration\n\nEthernet adapter E:\n\n"
        "   IPv4 Address. . . : 10.0.0.2\ngarbage here\n   Subnet Mask . . . : 255.0.0.0\n"
    )
    facts = parse("ipconfig", text)
    assert [(str(a.address), a.prefixlen) for a in facts.interfaces[0].addresses] == [("10.0.0.2", 8)]
    assert (6, "skipped line that is not 'Label . . . : value': 'garbage here'") in _messages(facts)


def test_ipconfig_lost_indentation_and_no_blank_lines() -> None:
    text = (
        "Ethernet adapter A:\nIPv4 Address. . . : 10.0.0.2\nSubnet Mask . . . : 255.255.0.0\n"
        "DNS Servers . . . : 10.0.0.1\n10.0.0.9\n"
        "Ethernet adapter B:\nMedia State . . . : Media disconnected\n"
    )
    a, b = parse("ipconfig", text).interfaces
    assert [str(d) for d in a.dns_servers] == ["10.0.0.1", "10.0.0.9"]
    assert (b.name, b.up) == ("B", False)


def test_ipconfig_not_ipconfig_is_located_error() -> None:
    with pytest.raises(ParseError, match=r"^x:2: no ipconfig adapter sections"):
        get_parser("ipconfig").parse("\nhello world\nsecond line\n", source="x")


# --------------------------------------------------------------------------- route print corpus


@pytest.mark.parametrize(
    "stem", ["corpus-008-en-hyperv-tap-vmware-persistent", "corpus-009-4-en-hyperv-wireguard-vbox-vmware"]
)
def test_route_print_corpus_cases(stem: str) -> None:
    facts, exp = _case("route-print", stem)
    assert [(i.index, i.mac, i.description) for i in facts.interfaces] == [
        (e["idx"], e["mac"].replace("-", ":") if e["mac"] else None, e["description"]) for e in exp["interface_list"]
    ]
    active = [r for r in facts.routes if r.table is None and r.destination.version == 4]
    defaults = [r for r in active if r.destination.prefixlen == 0]
    assert [(str(r.gateway), r.interface, r.metric) for r in defaults] == [
        (d["gateway"], d["interface"], d["metric"]) for d in exp["ipv4_default_routes"]
    ]
    for net in exp["ipv4_onlink_networks"]:
        (r,) = [r for r in active if str(r.destination) == net["network"]]
        assert (r.gateway, r.scope, r.interface, r.metric) == (None, "link", net["interface"], net["metric"])
    for other in exp.get("ipv4_gateway_routes_other", []):
        dest = ipaddress.ip_network(f"{other['destination']}/{other['netmask']}")
        (r,) = [r for r in active if r.destination == dest]
        assert (str(r.gateway), r.interface, r.metric) == (
            other["gateway"],
            other["interface"],
            other["metric"],
        )
    persistent = [r for r in facts.routes if r.table == "persistent"]
    if exp.get("ipv4_persistent_routes") == "None":
        assert persistent == []
    for p in exp.get("ipv4_persistent_routes") or []:
        if isinstance(p, dict):
            dest = ipaddress.ip_network(f"{p['network_address']}/{p['netmask']}")
            assert [(r.destination, str(r.gateway), r.metric) for r in persistent] == [
                (dest, p["gateway"], p["metric"])
            ]
    v6 = [r for r in facts.routes if r.destination.version == 6]
    if exp.get("ipv6_section_present") is False:
        assert v6 == []
    if "ipv6_interface_indexes_seen" in exp:
        seen = list(dict.fromkeys(int(r.interface or -1) for r in v6))
        assert seen == exp["ipv6_interface_indexes_seen"]
        assert exp["interface_index_missing_from_list"] not in {i.index for i in facts.interfaces}


def test_route_print_wrapped_ipv6_gateway_joins_its_row() -> None:
    facts, _ = _case("route-print", "corpus-008-en-hyperv-tap-vmware-persistent")
    (r,) = [r for r in facts.routes if str(r.destination) == "fe80::244e:2f1e:2096:62b2/128"]
    assert (r.interface, r.metric, r.scope) == ("9", 286, "link")


# Constructed from German labels as Windows prints them ("Schnittstellenliste", "Aktive Routen",
# "Ständige Routen", "Auf Verbindung", "Standard"); no real German paste was found.
GERMAN = """\
===========================================================================
Schnittstellenliste
 12...00 15 5d 01 02 03 ......Hyper-V Virtual Ethernet Adapter
  1...........................Software Loopback Interface 1
===========================================================================

IPv4-Routentabelle
===========================================================================
Aktive Routen:
     Netzwerkziel    Netzwerkmaske          Gateway    Schnittstelle Metrik
          0.0.0.0          0.0.0.0      192.168.1.1     192.168.1.23     35
     172.22.16.0    255.255.240.0   Auf Verbindung       172.22.16.1    271
===========================================================================
Ständige Routen:
  Netzwerkadresse          Netzmaske  Gatewayadresse  Metrik
         10.9.0.0      255.255.0.0      192.168.1.1  Standard
===========================================================================
"""


def test_route_print_localized_by_layout() -> None:
    facts = parse("route-print", GERMAN)
    assert [(i.index, i.mac) for i in facts.interfaces] == [(12, "00:15:5d:01:02:03"), (1, None)]
    default, wsl, persistent = facts.routes
    assert (str(default.gateway), default.interface, default.metric) == ("192.168.1.1", "192.168.1.23", 35)
    assert (str(wsl.destination), wsl.gateway, wsl.scope) == ("172.22.16.0/20", None, "link")
    assert (str(persistent.destination), persistent.table, persistent.metric) == (
        "10.9.0.0/16",
        "persistent",
        None,
    )
    assert not facts.warnings


def test_route_print_lost_indentation_and_broken_row() -> None:
    text = "15...b4 2e 99 35 1e 86 ......Intel NIC\n0.0.0.0 0.0.0.0 10.0.0.1 10.0.0.185 25\n10.0.0.0 255.255.255.0\n"
    facts = parse("route-print", text)
    assert facts.interfaces[0].index == 15 and len(facts.routes) == 1
    assert _messages(facts) == [(3, "skipped line that looks like a route but is not one: '10.0.0.0 255.255.255.0'")]


def test_route_print_bad_mask_warns() -> None:
    facts = parse(
        "route-print", "0.0.0.0 0.0.0.0 10.0.0.1 10.0.0.185 25\n10.0.0.0 255.0.255.0 On-link 10.0.0.185 281\n"
    )
    assert len(facts.routes) == 1
    assert facts.warnings[0].line == 2 and "bad destination" in facts.warnings[0].message


def test_route_print_error_is_located() -> None:
    with pytest.raises(ParseError, match=r"^x:3: no route print"):
        get_parser("route-print").parse("\n\nnothing to see\n", source="x")


# --------------------------------------------------------------------------- tracert


def test_tracert_named_hops_and_cut_line() -> None:
    facts = parse("tracert", (PARSER_FIXTURES / "tracert" / "wsl-2742-names-cut-paste.out").read_bytes())
    assert facts.settings == {
        "target_name": "neosmart.net",
        "target_address": "65.182.170.12",
        "max_hops": 30,
    }
    assert (facts.hops[0].name, str(facts.hops[0].address)) == ("pfSense.lan", "192.168.1.1")
    assert facts.hops[-1].address is None and facts.hops[-1].rtt_ms == (6.0, 8.0, 6.0)
    assert facts.warnings[-1].line == 11


# German header and timeout message as in real pastes ("Routenverfolgung zu ... über maximal 30 Hops:",
# "Zeitüberschreitung der Anforderung."); lost alignment as a paste into a chat loses it.
GERMAN_TRACERT = """\
C:\\Users\\me>tracert google.com

Routenverfolgung zu google.com [142.250.186.142]
über maximal 30 Hops:

1 <1 ms <1 ms <1 ms 192.168.111.254
2 * * * Zeitüberschreitung der Anforderung.
3 11 ms * 11 ms f-ed11-i.F.DE.NET.DTAG.DE [62.154.3.218]
4 11 ms 11 ms 11 ms xxx.xxx.xxx.xxx

Ablaufverfolgung beendet.
"""


def test_tracert_localized_lost_alignment_and_redaction() -> None:
    facts = parse("tracert", GERMAN_TRACERT)
    assert [(h.ttl, str(h.address) if h.address else None, h.rtt_ms, h.name) for h in facts.hops] == [
        (1, "192.168.111.254", (1.0, 1.0, 1.0), None),
        (2, None, (), None),
        (3, "62.154.3.218", (11.0, 11.0), "f-ed11-i.F.DE.NET.DTAG.DE"),
        (4, None, (11.0, 11.0, 11.0), None),
    ]
    assert facts.settings["max_hops"] == 30
    assert (9, "hop address 'xxx.xxx.xxx.xxx' is cut out or redacted; recorded as unknown") in _messages(facts)


def test_tracert_error_is_located() -> None:
    with pytest.raises(ParseError, match=r"^x:2: no tracert header or hop rows"):
        get_parser("tracert").parse("\nPinging example with 32 bytes of data:\n", source="x")


# --------------------------------------------------------------------------- netsh portproxy corpus


@pytest.mark.parametrize("stem", ["corpus-012-pfw-wildcard-listen", "corpus-013-redacted-placeholder"])
def test_portproxy_corpus_cases(stem: str) -> None:
    facts, exp = _case("netsh-portproxy", stem)
    assert len(facts.forwards) == exp["rule_count"]
    for fwd, rule in zip(facts.forwards, exp["rules"], strict=True):
        assert fwd.listen_any and rule["listen_address"] in ("*", "0.0.0.0")
        # "*" names no family; "0.0.0.0" is IPv4's wildcard and stays
        assert fwd.listen_address is None if rule["listen_address"] == "*" else str(fwd.listen_address) == "0.0.0.0"
        assert (fwd.listen_port, fwd.connect_port) == (int(rule["listen_port"]), int(rule["connect_port"]))
        if "not an IP" in rule["connect_address"]:
            assert fwd.connect_address is None and fwd.connect_host is None
            assert any("'wsl ip address'" in m for _, m in _messages(facts))
        else:
            assert str(fwd.connect_address) == rule["connect_address"]
        assert fwd.protocol == "tcp"


def test_portproxy_german_headings_hosts_and_ipv6() -> None:
    text = """\
Abfragen auf ipv4:          Verbinden mit ipv4:

Adresse         Port        Adresse         Port
--------------- ----------  --------------- ----------
127.0.0.1 2222 localhost 22
192.168.1.20    8080        172.28.x.x      80

Abfragen auf ipv6:          Verbinden mit ipv4:

Adresse         Port        Adresse         Port
--------------- ----------  --------------- ----------
::              443         172.28.118.26   443
"""
    facts = parse("netsh-portproxy", text)
    a, b, c = facts.forwards
    assert (str(a.listen_address), a.connect_host, a.connect_address) == ("127.0.0.1", "localhost", None)
    assert b.connect_address is None and b.connect_host is None
    assert (c.listen_any, str(c.connect_address)) == (True, "172.28.118.26")
    assert _messages(facts) == [(6, "connect address '172.28.x.x' is cut out or redacted; recorded as unknown")]


def test_portproxy_port_range_is_skipped_with_warning() -> None:
    facts = parse("netsh-portproxy", (PARSER_FIXTURES / "netsh-portproxy" / "wsl-8963-port-range.out").read_bytes())
    assert facts.forwards == ()
    assert facts.warnings[-1].line == 7 and "30000-50000" in facts.warnings[-1].message


def test_portproxy_error_is_located() -> None:
    with pytest.raises(ParseError, match=r"^x:1: no portproxy heading or rule rows"):
        get_parser("netsh-portproxy").parse("The system cannot find the file specified.\n", source="x")


def test_fixture_case_files_sit_beside_their_inputs() -> None:
    for case in Path(PARSER_FIXTURES).glob("*/*.case.json"):
        if case.parent.name in {"ipconfig", "route-print", "netsh-portproxy"}:
            assert case.with_name(case.name.replace(".case.json", ".out")).is_file()


def test_tcp_listeners_by_state_number_or_name_and_bad_objects_warn_at_their_line() -> None:
    text = (
        "[\r\n"
        '  {"LocalAddress": "0.0.0.0", "LocalPort": 3389, "State": "Listen", "OwningProcess": 1304},\r\n'
        '  {"LocalAddress": "::", "LocalPort": 3389, "State": "2", "OwningProcess": 1304},\r\n'
        '  {"LocalAddress": "10.0.0.5", "LocalPort": 52341, "State": 5, "OwningProcess": 9120},\r\n'
        '  {"LocalAddress": "0.0.0.0", "LocalPort": 70000, "State": 2, "OwningProcess": 4},\r\n'
        '  {"LocalAddress": "not-an-ip", "LocalPort": 445, "State": 2, "OwningProcess": 4},\r\n'
        '  {"LocalAddress": "127.0.0.1", "LocalPort": 8000, "State": true, "OwningProcess": 1},\r\n'
        '  {"LocalAddress": "fe80::1%12", "LocalPort": 5357, "State": 2, "OwningProcess": 4},\r\n'
        '  {"LocalAddress": "0.0.0.0", "LocalPort": 5353, "OwningProcess": 2480}\r\n'
        "]\r\n"
    )
    facts = parse("ps-nettcpconnection", text)
    assert [(str(li.address), li.port, li.pid) for li in facts.listeners] == [
        ("0.0.0.0", 3389, 1304),
        ("::", 3389, 1304),
        ("fe80::1", 5357, 4),  # the zone (interface index 12) is dropped, as elsewhere
    ]
    assert [(w.line, w.message) for w in facts.warnings] == [
        (5, "skipped listener: LocalPort 70000 is not a port"),
        (6, "skipped listener on port 445: LocalAddress 'not-an-ip' is not an address"),
        (7, "skipped object: State 'True' is no TCP connection state"),
    ]


def test_udp_endpoints_are_not_tcp_listeners() -> None:
    """Get-NetUDPEndpoint prints LocalAddress, LocalPort and OwningProcess too, but no State."""
    udp = (
        "[\r\n"
        '  {"LocalAddress": "0.0.0.0", "LocalPort": 5353, "OwningProcess": 2480},\r\n'
        '  {"LocalAddress": "0.0.0.0", "LocalPort": 500, "OwningProcess": 4040}\r\n'
        "]\r\n"
    )
    with pytest.raises(ParseError, match="Get-NetTCPConnection objects"):
        parse("ps-nettcpconnection", udp)
    assert get_parser("ps-nettcpconnection").sniff(udp) == 0.0
