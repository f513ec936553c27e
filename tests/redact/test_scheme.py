"""Properties of the keyed prefix-preserving scheme (addresses, MACs, labels)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.redact import Scheme, default_rules, engine_rules
from netatlas.redact._scheme import common_prefix, eui64_mac

KEY = b"k" * 32
OTHER = b"o" * 32
SCHEME = Scheme(KEY)

v4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
v6 = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


def pure(s: Scheme, a: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
    return s.prefix(int(a), a.version)


@settings(max_examples=300, deadline=None)
@given(v4, v4)
def test_prefix_preserved_v4(a: ipaddress.IPv4Address, b: ipaddress.IPv4Address) -> None:
    ia, ib = SCHEME.address(a), SCHEME.address(b)
    assert common_prefix(ia, ib) == common_prefix(a, b)


@settings(max_examples=150, deadline=None)
@given(v6, v6)
def test_prefix_preserved_v6_pure_map(a: ipaddress.IPv6Address, b: ipaddress.IPv6Address) -> None:
    ia, ib = ipaddress.IPv6Address(pure(SCHEME, a)), ipaddress.IPv6Address(pure(SCHEME, b))
    assert common_prefix(ia, ib) == common_prefix(a, b)


@settings(max_examples=150, deadline=None)
@given(v6, v6)
def test_address_keeps_first_64_bits_relation_even_with_eui64(
    a: ipaddress.IPv6Address, b: ipaddress.IPv6Address
) -> None:
    ia, ib = SCHEME.address(a), SCHEME.address(b)
    assert min(common_prefix(ia, ib), 64) == min(common_prefix(a, b), 64)


@settings(max_examples=200, deadline=None)
@given(st.lists(v4, min_size=2, max_size=30, unique=True))
def test_injective_v4(addrs: list[ipaddress.IPv4Address]) -> None:
    assert len({SCHEME.address(a) for a in addrs}) == len(addrs)


@settings(max_examples=60, deadline=None)
@given(st.lists(v6, min_size=2, max_size=10, unique=True))
def test_injective_v6(addrs: list[ipaddress.IPv6Address]) -> None:
    assert len({SCHEME.address(a) for a in addrs}) == len(addrs)


@settings(max_examples=50, deadline=None)
@given(st.lists(v4, min_size=16, max_size=16, unique=True))
def test_keyed_v4(addrs: list[ipaddress.IPv4Address]) -> None:
    other = Scheme(OTHER)
    mine = [SCHEME.address(a) for a in addrs]
    theirs = [other.address(a) for a in addrs]
    moved = [a for a, m in zip(addrs, mine, strict=True) if m != a]
    if len(moved) >= 8:
        assert mine != theirs


def test_deterministic_across_instances() -> None:
    a = ipaddress.ip_address("203.0.113.77")
    assert Scheme(KEY).address(a) == Scheme(KEY).address(a) != a


def test_short_key_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Scheme(b"short")


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1",
        "127.1.2.3",
        "169.254.10.20",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.251",
        "239.255.255.250",
        "::1",
        "::",
        "ff02::1",
        "ff02::fb",
        "fe00::",
    ],
)
def test_special_ranges_unchanged(text: str) -> None:
    addr = ipaddress.ip_address(text)
    assert SCHEME.address(addr) == addr
    assert Scheme(OTHER).address(addr) == addr


@pytest.mark.parametrize(
    "text",
    [
        "172.17.0.2",
        "172.18.5.9",
        "192.168.65.254",
        "192.168.1.20",
        "10.1.0.2",
        "10.244.3.4",
        "10.255.255.254",
        "fd00:10:244::7",
    ],
)
def test_engine_ranges_kept_only_when_given_as_kept(text: str) -> None:
    """Engine defaults are no rule of the map: only a bundle's ``kept`` overlay keeps them."""
    addr = ipaddress.ip_address(text)
    kept = [r.network for r in engine_rules()]
    assert Scheme(KEY, kept=kept).address(addr) == addr
    assert Scheme(OTHER, kept=kept).address(addr) == addr
    assert SCHEME.address(addr) != addr


@settings(max_examples=200, deadline=None)
@given(v4)
def test_kept_overlay_changes_nothing_outside_the_kept_ranges(a: ipaddress.IPv4Address) -> None:
    """One key, one map: an address outside the kept ranges has the same image with or without them."""
    kept = [r.network for r in engine_rules()]
    if not any(a in n for n in kept if n.version == 4):
        assert Scheme(KEY, kept=kept).address(a) == SCHEME.address(a)


def test_every_kept_rule_is_a_fixed_range() -> None:
    for rule in default_rules():
        if rule.depth == rule.network.max_prefixlen:
            first = rule.network.network_address
            assert SCHEME.address(first) == first or (first.version == 6 and eui64_mac(first)), rule


@settings(max_examples=300, deadline=None)
@given(v4)
def test_membership_of_rule_ranges_preserved_v4(a: ipaddress.IPv4Address) -> None:
    img = SCHEME.address(a)
    for rule in default_rules():
        if rule.network.version == 4:
            assert (a in rule.network) == (img in rule.network), rule


@settings(max_examples=100, deadline=None)
@given(v6)
def test_membership_of_rule_ranges_preserved_v6(a: ipaddress.IPv6Address) -> None:
    img = SCHEME.address(a)
    for rule in default_rules():
        if rule.network.version == 6 and rule.network.prefixlen <= 64:
            assert (a in rule.network) == (img in rule.network), rule


def test_link_local_keeps_prefix_and_rebuilds_eui64_from_mac() -> None:
    addr = ipaddress.IPv6Address("fe80::215:5dff:feb3:93cc")
    img = SCHEME.address(addr)
    assert img != addr and int(img) >> 64 == int(addr) >> 64
    mac = SCHEME.mac(0x00155DB393CC)
    assert eui64_mac(img) == mac
    assert mac >> 24 == 0x00155D  # vendor kept, device part changed
    assert mac != 0x00155DB393CC


def test_privacy_link_local_id_is_pseudonymised() -> None:
    addr = ipaddress.IPv6Address("fe80::8d4c:2e1a:6b3f:91d7")
    img = SCHEME.address(addr)
    assert img != addr and img in ipaddress.ip_network("fe80::/64")


def test_ipv4_mapped_follows_ipv4() -> None:
    mapped = SCHEME.address(ipaddress.IPv6Address("::ffff:198.51.100.7"))
    assert mapped.ipv4_mapped == SCHEME.address(ipaddress.IPv4Address("198.51.100.7"))


def test_cidr_image_has_zero_host_bits() -> None:
    net = ipaddress.ip_network("198.51.100.0/24")
    img = SCHEME.network(net)
    assert img.prefixlen == 24 and img != net


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**48 - 1), min_size=2, max_size=40, unique=True))
def test_mac_injective(macs: list[int]) -> None:
    assert len({SCHEME.mac(m) for m in macs}) == len(macs)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**48 - 1))
def test_mac_keeps_kind_bits(mac: int) -> None:
    out = SCHEME.mac(mac)
    assert (out >> 40) & 3 == (mac >> 40) & 3  # unicast/multicast, global/local
    if not (mac >> 40) & 3:
        assert out >> 24 == mac >> 24  # vendor OUI kept


def test_docker_mac_follows_the_container_address() -> None:
    mac = 0x0242C6336407  # 02:42 + 198.51.100.7
    out = SCHEME.mac(mac)
    assert out >> 32 == 0x0242
    assert ipaddress.IPv4Address(out & 0xFFFFFFFF) == SCHEME.address(ipaddress.IPv4Address("198.51.100.7"))


@pytest.mark.parametrize("mac", [0, 2**48 - 1, 0x01005E0000FB, 0x333300000001])
def test_protocol_macs_stay(mac: int) -> None:
    assert SCHEME.mac(mac) == mac


def test_labels_keyed_and_case_styled() -> None:
    assert SCHEME.label("z820") == SCHEME.label("Z820").lower() != Scheme(OTHER).label("z820")
    assert SCHEME.label("Z820").isupper()
    assert SCHEME.label("z820").startswith("h") and len(SCHEME.label("z820")) == 8
