"""Every textual form of an address, MAC and name is found and rewritten in place."""

from __future__ import annotations

import ipaddress

import pytest

from netatlas.redact import Scheme
from netatlas.redact._text import Context, Rewriter

KEY = b"k" * 32
S = Scheme(KEY)
A = ipaddress.ip_address("198.51.100.7")
IMG = S.address(A)
MAC = 0x00155DB393CC
MAC_IMG = S.mac(MAC)


def rw(**ctx: object) -> Rewriter:
    return Rewriter(S, Context(**ctx))  # type: ignore[arg-type]


def test_openvpn_half_default_routes_stay() -> None:
    assert rw().text("0.0.0.0/1 128.0.0.0/1") == "0.0.0.0/1 128.0.0.0/1"


def test_dotted_ipv4_and_cidr() -> None:
    out = rw().text("inet 198.51.100.7/24 brd 198.51.100.255 via 198.51.100.1\n")
    assert "198.51.100" not in out
    assert f"inet {IMG}/24 " in out


def test_cidr_network_keeps_zero_host_bits() -> None:
    out = rw().text('"Subnet": "198.51.100.0/24"')
    net = S.network(ipaddress.ip_network("198.51.100.0/24"))
    assert out == f'"Subnet": "{net}"'


def test_route_print_network_and_broadcast_columns() -> None:
    net = ipaddress.ip_network("198.51.100.0/24")
    ctx = Context(network_ends={net.network_address: (24, False), net.broadcast_address: (24, True)})
    text = "     198.51.100.0    255.255.255.0         On-link      198.51.100.7    281\n"
    text += "   198.51.100.255  255.255.255.255         On-link      198.51.100.7    281\n"
    out = Rewriter(S, ctx).text(text)
    img = S.network(net)
    assert f"{img.network_address}    255.255.255.0" in out
    assert f"{img.broadcast_address}  255.255.255.255" in out
    assert out.count("\n") == 2 and "198.51.100" not in out


def test_masks_and_special_addresses_stay() -> None:
    text = "netmask 255.255.240.0 127.0.0.1 0.0.0.0 224.0.0.251 169.254.1.2 240.0.0.0 128.0.0.0"
    assert rw().text(text) == text


@pytest.mark.parametrize(
    ("text", "expect_upper"),
    [
        ("2001:db8:5::7", False),
        ("2001:0db8:0005:0000:0000:0000:0000:0007", False),
        ("2001:DB8:5::7", True),
        ("[2001:db8:5::7]:8080", False),
        ("2001:db8:5::7%eth0", False),
        ("2001:db8:5::/64", False),
    ],
)
def test_ipv6_forms(text: str, expect_upper: bool) -> None:
    out = rw().text(text)
    assert "db8:5" not in out.lower() and "0db8:0005" not in out.lower()
    if expect_upper:
        assert out == out.upper()
    core = out.strip("[]").split("]")[0].split("%")[0].split("/")[0]
    ipaddress.IPv6Address(core)


def test_ipv6_zone_and_bracket_port_kept_around_the_address() -> None:
    addr = ipaddress.ip_address("2001:db8:5::7")
    img = S.address(addr)
    assert rw().text("[2001:db8:5::7]:8080") == f"[{img}]:8080"
    assert rw().text("fe80::1%12") == f"{S.address(ipaddress.ip_address('fe80::1'))}%12"


def test_exploded_ipv6_stays_exploded() -> None:
    out = rw().text("2001:0db8:0005:0000:0000:0000:0000:0007")
    assert len(out) == 39 and out.count(":") == 7


def test_eui64_link_local_uses_the_mac_pseudonym() -> None:
    out = rw().text("Link-local IPv6 Address . . : fe80::215:5dff:feb3:93cc%27(Preferred)")
    assert "5dff:feb3:93cc" not in out
    img = S.address(ipaddress.ip_address("fe80::215:5dff:feb3:93cc"))
    assert f"{img}%27(Preferred)" in out


@pytest.mark.parametrize(
    ("text", "sep"),
    [
        ("link/ether 00:15:5d:b3:93:cc brd ff:ff:ff:ff:ff:ff", ":"),
        ("Physical Address. . . : 00-15-5D-B3-93-CC", "-"),
        (" 27...00 15 5d b3 93 cc ......Hyper-V Virtual Ethernet Adapter", " "),
        ("0015.5db3.93cc", "."),
    ],
)
def test_mac_forms(text: str, sep: str) -> None:
    out = rw(macs={MAC}).text(text)
    plain = f"{MAC_IMG:012x}"
    assert "93:cc" not in out.lower() and "93-cc" not in out.lower() and "93 cc" not in out.lower()
    if sep == ".":
        assert out == f"{plain[0:4]}.{plain[4:8]}.{plain[8:12]}"
    elif sep == "-":
        assert out.endswith("-".join(plain[i : i + 2] for i in range(0, 12, 2)).upper())
    else:
        assert sep.join(plain[i : i + 2] for i in range(0, 12, 2)) in out
    assert "ff:ff:ff:ff:ff:ff" in out or sep != ":"


def test_duid_ends_in_the_same_mac_pseudonym_and_hides_its_time() -> None:
    line = "DHCPv6 Client DUID. . : 00-01-00-01-2B-F0-6C-11-00-15-5D-B3-93-CC"
    out = rw().text(line)
    plain = f"{MAC_IMG:012X}"
    assert out.endswith("-" + "-".join(plain[i : i + 2] for i in range(0, 12, 2)))
    duid = out.rsplit(" ", 1)[1]
    assert duid.startswith("00-01-00-01-")  # DUID-LLT, Ethernet: says nothing about the machine
    assert "2B-F0-6C-11" not in out  # the time of install is as identifying as the MAC
    other = Rewriter(Scheme(b"o" * 32), Context()).text(line).rsplit(" ", 1)[1]
    assert other[12:23] != duid[12:23]  # another key, other time bytes: bundles cannot be linked


def test_reverse_dns_names() -> None:
    out = rw().text("7.100.51.198.in-addr.arpa domain name pointer x.\n")
    rev = ".".join(reversed(str(IMG).split(".")))
    assert out.startswith(f"{rev}.in-addr.arpa ")
    v6 = ipaddress.ip_address("2001:db8:5::7")
    out6 = rw().text(v6.reverse_pointer)
    assert out6 == S.address(v6).reverse_pointer


def test_partial_reverse_zone_follows_the_prefix() -> None:
    out = rw().text("100.51.198.in-addr.arpa")
    first3 = str(IMG).split(".")[:3]
    assert out == ".".join(reversed(first3)) + ".in-addr.arpa"


def test_versions_left_alone_when_marked() -> None:
    text = "Kernel version: 5.15.90.1\nWSL version: 1.2.5.0\n"
    assert rw(versions={"5.15.90.1", "1.2.5.0"}).text(text) == text


def test_secret_labels_everywhere_bounded() -> None:
    r = rw(secret_labels={"z820", "joe"})
    out = r.text('z820 Z820.localdomain z820_default z820-web-1 "C:\\\\Users\\\\joe\\\\src" z8201 joey')
    h = S.label("z820")
    assert out.split() == [
        h,
        f"{h.upper()}.localdomain",
        f"{h}_default",
        f"{h}-web-1",
        f'"C:\\\\Users\\\\{S.label("joe")}\\\\src"',
        "z8201",
        "joey",
    ]


def test_fqdn_safety_net_and_kept_names() -> None:
    out = rw().text("gitlab.acme.example.com host.docker.internal localhost resolv.conf kubernetes.io")
    words = out.split()
    assert words[0].endswith(".example.com") and "gitlab" not in out and "acme" not in out
    assert words[1:] == ["host.docker.internal", "localhost", "resolv.conf", "kubernetes.io"]


def test_secret_dotted_names_with_unknown_tld() -> None:
    out = rw(secret_names={"nas.fritz.box"}).text("ping nas.fritz.box")
    assert out == f"ping {S.label('nas')}.{S.label('fritz')}.box"


def test_address_inside_a_name_token_is_still_found() -> None:
    out = rw().text("host-198.51.100.7 addr_198.51.100.7")
    assert "198.51.100.7" not in out


def test_line_ends_and_layout_unchanged() -> None:
    text = "a 198.51.100.7\r\n\r\nb\tz\r\n"
    out = rw().text(text)
    assert out.count("\r\n") == 3 and "\t" in out


def test_bsd_netstat_short_destinations() -> None:
    text = (
        "127                127.0.0.1          UCS   lo0\n198.51.100         link#10   UCS  en0\n224.0.0/4   link#10\n"
    )
    out = rw().text(text, kind="netstat-rn")
    first3 = ".".join(str(S.network(ipaddress.ip_network("198.51.100.0/24")).network_address).split(".")[:3])
    assert out.splitlines()[0].startswith("127 ") and out.splitlines()[2].startswith("224.0.0/4 ")
    assert out.splitlines()[1].startswith(first3 + " ") and "198.51.100" not in out
    assert rw().text(text) == text.replace("127.0.0.1", "127.0.0.1")  # other kinds: no short forms
