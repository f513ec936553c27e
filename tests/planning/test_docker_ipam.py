"""Docker's linear allocator: upstream vectors, documented examples, host scenarios,
and property tests against a brute-force reference.

Vectors are from ``shared/facts/pool-facts.md`` §1.4:
A = moby ``TestDynamicPoolAllocation`` / ``TestNewAddrSpaceDedup``
(daemon/libnetwork/ipams/defaultipam/address_space_test.go@b985e23),
B = moby integration tests (integration/daemon/daemon_linux_test.go@b985e23),
C = docs.docker.com/engine/network/#automatic-subnet-allocation.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from ipaddress import ip_address, ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.errors import AllocationError, InvalidPoolError, NoMoreSubnetsError
from netatlas.model import Route
from netatlas.planning import (
    DOCKER_DEFAULT_POOLS,
    DOCKER_DEFAULT_POOLS_SOURCE,
    AddressPool,
    PoolSpec,
    docker_address_space,
    docker_reserved_prefixes,
    predict_docker_subnets,
)

Pools = Sequence[tuple[str, int]]


# ------------------------------------------------------------------ brute force


def brute_force(
    pools: Pools,
    allocated: Sequence[str] = (),
    reserved: Sequence[str] = (),
    prefix_size: int | None = None,
) -> str:
    """The lowest subnet that overlaps nothing, by enumerating every candidate.

    Pools are prepared as the daemon prepares them (masked, stable-sorted by address
    then shorter prefix, an entry overlapping the last kept one dropped); then each
    pool's subnets are tried in order. IPv4 only; meant for small pools.
    """
    nets = [(ip_network(base, strict=False), size) for base, size in pools]
    nets.sort(key=lambda p: (int(p[0].network_address), p[0].prefixlen))
    kept: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int]] = []
    for net, size in nets:
        if kept and kept[-1][0].overlaps(net):
            continue
        kept.append((net, size))
    if prefix_size:
        kept = [(net, prefix_size) for net, _ in kept if net.prefixlen <= prefix_size <= net.max_prefixlen]
    if not kept:
        raise InvalidPoolError("invalid address pool")
    used = [ip_network(p, strict=False) for p in [*allocated, *reserved]]
    for net, size in kept:
        for candidate in net.subnets(new_prefix=size):
            if not any(candidate.overlaps(u) for u in used):
                return str(candidate)
    raise NoMoreSubnetsError("all predefined address pools have been fully subnetted")


def predict_one(
    pools: Pools,
    allocated: Sequence[str] = (),
    reserved: Sequence[str] = (),
    prefix_size: int | None = None,
) -> str:
    (subnet,) = predict_docker_subnets(pools, allocated, reserved, prefix_size=prefix_size)
    return subnet


IMPLEMENTATIONS = [pytest.param(predict_one, id="port"), pytest.param(brute_force, id="brute-force")]


# ------------------------------------------------------------------ A: upstream unit vectors

UPSTREAM = [
    # (row, pools, allocated, reserved, prefix_size, expected)
    (1, [("192.168.0.0/16", 24)], ["192.168.255.0/24"], [], None, "192.168.0.0/24"),
    (2, [("10.0.0.0/8", 24), ("192.168.0.0/16", 24)], ["10.0.0.0/8"], ["10.0.0.0/7"], None, "192.168.0.0/24"),
    (
        3,
        [("10.20.0.0/16", 24), ("192.168.0.0/16", 24)],
        ["10.0.0.0/8", "192.168.0.0/24", "192.168.128.0/24"],
        [],
        None,
        "192.168.1.0/24",
    ),
    (
        4,
        [("192.168.0.0/16", 24)],
        ["192.168.0.0/24", "192.168.1.0/24", "192.168.2.0/23", "192.168.4.3/30"],
        [],
        None,
        "192.168.5.0/24",
    ),
    (
        5,
        [("192.168.0.0/16", 24)],
        ["192.168.0.0/24", "192.168.1.0/24", "192.168.2.3/30"],
        ["192.168.2.4/30", "192.168.3.0/30", "192.168.4.0/23"],
        None,
        "192.168.6.0/24",
    ),
    (6, [("192.168.0.0/16", 24)], ["192.168.0.0/24"], ["192.168.0.0/24"], None, "192.168.1.0/24"),
    (
        7,
        [("10.0.0.0/8", 24), ("192.168.0.0/16", 24)],
        ["10.0.0.0/24"],
        ["192.168.0.0/24"],
        None,
        "10.0.1.0/24",
    ),
    (8, [("172.16.0.0/15", 16)], ["172.16.0.0/16"], [], None, "172.17.0.0/16"),
    (
        9,
        [("172.16.0.0/15", 16), ("192.168.0.0/16", 24)],
        ["172.16.0.0/16", "172.17.0.0/17"],
        [],
        None,
        "192.168.0.0/24",
    ),
    # Row 11: the unit test hands newAddrSpace the unmasked base 172.17.0.0/12 and gets
    # 172.17.16.0/24. The daemon never does that: splitByIPFamily masks every configured
    # base first, so a daemon with this pool walks 172.16.0.0/12, where 172.16.0.0/24 is
    # free. We predict the daemon.
    (11, [("172.17.0.0/12", 16)], ["172.17.0.0/20"], [], 24, "172.16.0.0/24"),
    (12, [("172.17.0.0/12", 24), ("10.0.0.0/12", 20)], [], [], 20, "10.0.0.0/20"),
]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    ("row", "pools", "allocated", "reserved", "prefix_size", "expected"),
    UPSTREAM,
    ids=[f"A{v[0]}" for v in UPSTREAM],
)
def test_upstream_vectors(
    impl: object,
    row: int,
    pools: Pools,
    allocated: list[str],
    reserved: list[str],
    prefix_size: int | None,
    expected: str,
) -> None:
    assert callable(impl)
    assert impl(pools, allocated, reserved, prefix_size) == expected


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_upstream_vector_10_no_more_subnets(impl: object) -> None:
    assert callable(impl)
    with pytest.raises(NoMoreSubnetsError, match="all predefined address pools have been fully subnetted"):
        impl([("172.16.0.0/15", 16)], ["172.16.0.0/16", "172.17.0.0/16"], ["192.168.0.0/24"])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_upstream_vector_13_prefix_size_no_pool_can_hold(impl: object) -> None:
    assert callable(impl)
    pools = [("172.17.0.0/24", 24), ("172.18.0.0/20", 20), ("172.19.0.0/24", 24)]
    with pytest.raises(InvalidPoolError, match="invalid address pool"):
        impl(pools, [], [], 16)


def test_upstream_vector_14_dedup() -> None:
    pools = [
        ("10.0.0.0/8", 16),
        ("10.0.0.0/8", 24),
        ("10.10.0.0/8", 24),
        ("10.0.100.0/8", 24),
        ("192.168.0.0/24", 24),
    ]
    kept = docker_address_space(pools)
    assert [(str(p.base), p.size) for p in kept] == [("10.0.0.0/8", 16), ("192.168.0.0/24", 24)]
    assert predict_docker_subnets(pools) == ["10.0.0.0/16"]


# ------------------------------------------------------------------ B and C


def test_integration_custom_pools_docker0_then_two_networks() -> None:
    pools = [("175.30.0.0/16", 16), ("175.33.0.0/16", 24)]
    assert predict_docker_subnets(pools, count=3) == ["175.30.0.0/16", "175.33.0.0/24", "175.33.1.0/24"]


def test_docs_pool_of_24s() -> None:
    got = predict_docker_subnets([("172.17.0.0/16", 24)], count=256)
    assert got[:3] == ["172.17.0.0/24", "172.17.1.0/24", "172.17.2.0/24"]
    assert got[-1] == "172.17.255.0/24"
    with pytest.raises(NoMoreSubnetsError):
        predict_docker_subnets([("172.17.0.0/16", 24)], allocated=got)


def test_docs_subnet_0_0_0_0_slash_24() -> None:
    """``--subnet 0.0.0.0/24`` on a host where 172.17 and 172.18 are in use (Docker 29)."""
    got = predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated=["172.17.0.0/16", "172.18.0.0/16"], prefix_size=24)
    assert got == ["172.19.0.0/24"]


def test_docs_subnet_ipv6_slash_56_from_ula_pool() -> None:
    """``--subnet ::/56`` from the host's ULA /48 (the docs' example prefix)."""
    pools: list[PoolSpec] = [*DOCKER_DEFAULT_POOLS, ("fdd3:6f80:972c::/48", 64)]
    assert predict_docker_subnets(pools, family=6, prefix_size=56) == ["fdd3:6f80:972c::/56"]
    assert predict_docker_subnets(pools, family=6, count=2) == [
        "fdd3:6f80:972c::/64",
        "fdd3:6f80:972c:1::/64",
    ]


def test_default_pools_give_31_subnets_then_none() -> None:
    got = predict_docker_subnets(DOCKER_DEFAULT_POOLS, count=31)
    assert got[:15] == [f"172.{n}.0.0/16" for n in range(17, 32)]
    assert got[15:] == [f"192.168.{16 * n}.0/20" for n in range(16)]
    with pytest.raises(NoMoreSubnetsError):
        predict_docker_subnets(DOCKER_DEFAULT_POOLS, count=32)
    with pytest.raises(NoMoreSubnetsError):
        predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated=got)


def test_default_pools_knowledge() -> None:
    assert [(str(p.base), p.size) for p in DOCKER_DEFAULT_POOLS] == [
        ("172.17.0.0/16", 16),
        ("172.18.0.0/16", 16),
        ("172.19.0.0/16", 16),
        ("172.20.0.0/14", 16),
        ("172.24.0.0/14", 16),
        ("172.28.0.0/14", 16),
        ("192.168.0.0/16", 20),
    ]
    assert all("moby/moby" in p.source for p in DOCKER_DEFAULT_POOLS)
    assert "localScopeDefaultNetworks" in DOCKER_DEFAULT_POOLS_SOURCE


# ------------------------------------------------------------------ host scenarios


def test_vpn_on_link_route_is_skipped() -> None:
    vpn = Route(ip_network("172.18.0.0/16"), interface="tun0", scope="link")
    reserved = docker_reserved_prefixes([], [vpn])
    assert [str(p) for p in reserved] == ["172.18.0.0/16"]
    got = predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated=["172.17.0.0/16"], reserved=reserved)
    assert got == ["172.19.0.0/16"]


def test_vpn_route_via_gateway_is_not_reserved() -> None:
    vpn = Route(ip_network("172.16.0.0/12"), gateway=ip_address("10.8.0.1"), interface="tun0")
    assert docker_reserved_prefixes([], [vpn]) == []
    # So Docker walks straight into the VPN's range: netatlas has to flag this itself.
    got = predict_docker_subnets(
        DOCKER_DEFAULT_POOLS, allocated=["172.17.0.0/16"], reserved=docker_reserved_prefixes([], [vpn])
    )
    assert got == ["172.18.0.0/16"]


def test_wsl_nat_subnet_on_link_skips_its_slash_16() -> None:
    wsl = Route(ip_network("172.26.16.0/20"), interface="eth0", scope="link")
    allocated = [f"172.{n}.0.0/16" for n in range(17, 26)]
    got = predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated, docker_reserved_prefixes([], [wsl]))
    assert got == ["172.27.0.0/16"]


def test_deleted_network_subnet_is_reused_at_once() -> None:
    first = predict_docker_subnets(DOCKER_DEFAULT_POOLS, count=4)
    assert first == ["172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16", "172.20.0.0/16"]
    remaining = [s for s in first if s != "172.18.0.0/16"]  # docker network rm B
    assert predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated=remaining) == ["172.18.0.0/16"]


def test_nameserver_in_pool_skips_its_block() -> None:
    got = predict_docker_subnets([("192.168.0.0/16", 20)], reserved=["192.168.0.1"])
    assert got == ["192.168.16.0/20"]


def test_bridge_routes_duplicate_allocated_subnets() -> None:
    """Each Docker bridge has an on-link route equal to its subnet: harmless twins."""
    allocated = ["172.17.0.0/16", "172.18.0.0/16"]
    assert predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated, reserved=allocated) == ["172.19.0.0/16"]


def test_daemon_quirk_nested_reserved_prefix() -> None:
    """An on-link /23 with the nameserver inside it: the daemon overlaps the /23.

    moby's walk keeps only the last prefix it saw inside the pool; the nameserver
    replaces the /23 and the next block after the nameserver's is handed out, although
    the /23 covers it. ``daemon_quirks=False`` gives the truly free block.
    """
    pools = [("192.168.0.0/16", 24)]
    reserved = ["192.168.0.0/23", "192.168.0.53"]
    assert predict_docker_subnets(pools, reserved=reserved) == ["192.168.1.0/24"]
    assert predict_docker_subnets(pools, reserved=reserved, daemon_quirks=False) == ["192.168.2.0/24"]
    assert brute_force(pools, reserved=reserved) == "192.168.2.0/24"


def test_daemon_quirk_in_default_pools() -> None:
    """A VPN pushing an on-link 172.20.0.0/15 and its DNS server 172.20.0.10."""
    routes = [Route(ip_network("172.20.0.0/15"), interface="tun0", scope="link")]
    reserved = docker_reserved_prefixes(["172.20.0.10"], routes)
    allocated = ["172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16"]
    assert predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated, reserved) == ["172.21.0.0/16"]
    assert predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated, reserved, daemon_quirks=False) == ["172.22.0.0/16"]


def test_mixed_families_pick_ipv4_unless_told() -> None:
    pools = [("fd00:1::/48", 64), ("10.0.0.0/8", 24)]
    assert predict_docker_subnets(pools, allocated=["fd00:1::/64"]) == ["10.0.0.0/24"]
    assert predict_docker_subnets(pools, allocated=["fd00:1::/64", "10.0.0.0/24"], family=6) == ["fd00:1:0:1::/64"]
    assert predict_docker_subnets([("fd00:1::/48", 64)]) == ["fd00:1::/64"]
    with pytest.raises(InvalidPoolError):
        predict_docker_subnets([("10.0.0.0/8", 24)], family=6)


def test_inputs_accept_ipaddress_objects() -> None:
    pools: list[PoolSpec] = [
        AddressPool(ip_network("198.51.100.0/24"), 26),
        (ip_network("203.0.113.0/24"), 24),
    ]
    got = predict_docker_subnets(
        pools,
        allocated=[ip_network("198.51.100.0/26")],
        reserved=[ip_address("198.51.100.70"), "198.51.100.130/32"],
        count=2,
    )
    assert got == ["198.51.100.192/26", "203.0.113.0/24"]


def test_count_zero() -> None:
    assert predict_docker_subnets(DOCKER_DEFAULT_POOLS, count=0) == []


def test_top_of_address_space() -> None:
    """PrefixAfter wraps at 255.255.255.255: the last block is still found."""
    pools = [("255.255.255.0/24", 26)]
    assert predict_docker_subnets(pools, allocated=["255.255.255.0/25"], count=2) == [
        "255.255.255.128/26",
        "255.255.255.192/26",
    ]
    with pytest.raises(NoMoreSubnetsError):
        predict_docker_subnets(pools, allocated=["255.255.255.0/25", "255.255.255.192/26"], count=2)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "pools",
    [
        [("10.0.0.0", 24)],
        [("banana/8", 24)],
        [("10.0.0.0/16", 8)],
        [("10.0.0.0/16", 33)],
        [("fd00::/48", 129)],
        [("10.0.0.0/8", 0)],
        [("10.0.0.0/8", "24")],
        [("10.0.0.0/8",)],
        [],
    ],
    ids=[
        "no-prefix",
        "not-an-ip",
        "size-shorter-than-base",
        "size-past-32",
        "size-past-128",
        "size-0",
        "str-size",
        "one-element",
        "empty",
    ],
)
def test_invalid_pools(pools: Pools) -> None:
    with pytest.raises(InvalidPoolError, match=r"^invalid address pool") as info:
        predict_docker_subnets(pools)
    assert isinstance(info.value, AllocationError)
    assert isinstance(info.value, ValueError)


def test_prefix_size_too_short_for_every_pool() -> None:
    with pytest.raises(InvalidPoolError, match="/8"):
        predict_docker_subnets(DOCKER_DEFAULT_POOLS, prefix_size=8)


def test_bad_prefix_and_count() -> None:
    with pytest.raises(ValueError, match="not an IP address or prefix"):
        predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated=["nope"])
    with pytest.raises(ValueError, match="count"):
        predict_docker_subnets(DOCKER_DEFAULT_POOLS, count=-1)


# ------------------------------------------------------------------ reserved prefixes


def test_reserved_prefixes_follow_infer_reserved_networks() -> None:
    routes = [
        Route(ip_network("0.0.0.0/0"), gateway=ip_address("192.168.1.1"), interface="wlan0"),
        Route(ip_network("192.168.1.0/24"), interface="wlan0", scope="link"),
        Route(ip_network("10.8.0.0/24"), interface="tun0"),  # scope not reported: no gateway -> link
        Route(ip_network("10.0.0.0/8"), gateway=ip_address("10.8.0.1"), interface="tun0"),
        Route(ip_network("0.0.0.0/1"), interface="tun0", scope="link"),  # unspecified dst: skipped
        Route(ip_network("128.0.0.0/1"), interface="tun0", scope="link"),  # kept, as the daemon does
        Route(ip_network("127.0.0.0/8"), interface="lo", scope="host", table="local", type="local"),
        Route(ip_network("192.0.2.0/24"), interface="eth1", scope="link", table="100"),  # not main
        Route(ip_network("198.51.100.0/24"), type="blackhole"),
        Route(ip_network("2001:db8::/64"), interface="eth0"),  # IPv6: never a reserved route
    ]
    got = docker_reserved_prefixes(["127.0.0.53", "2001:db8::53", "fe80::1%eth0"], routes)
    assert [str(p) for p in got] == ["10.8.0.0/24", "127.0.0.53/32", "128.0.0.0/1", "192.168.1.0/24"]
    got6 = docker_reserved_prefixes(["127.0.0.53", "2001:db8::53", "fe80::1%eth0"], routes, family=6)
    assert [str(p) for p in got6] == ["2001:db8::53/128", "fe80::1/128"]


def test_reserved_prefixes_bad_nameserver() -> None:
    with pytest.raises(ValueError, match="not an IP"):
        docker_reserved_prefixes(["dns.example"])


# ------------------------------------------------------------------ performance


def test_large_host() -> None:
    """Tens of thousands of allocated and reserved prefixes (a fleet-sized input)."""
    allocated = [f"10.{n // 256}.{n % 256}.0/24" for n in range(0, 40000, 2)]  # every other /24
    reserved = [f"10.{n // 256}.{n % 256}.1" for n in range(1, 40000, 2)]
    got = predict_docker_subnets([("10.0.0.0/8", 24)], allocated, reserved, count=3)
    assert got == ["10.156.64.0/24", "10.156.65.0/24", "10.156.66.0/24"]  # speed: bench/, not here


# ------------------------------------------------------------------ properties

UNIVERSE = int(ip_address("10.0.0.0"))  # prefixes live in 10.0.0.0/20 (plus a few around it)


@st.composite
def pool_lists(draw: st.DrawFn) -> list[tuple[str, int]]:
    pools = []
    for _ in range(draw(st.integers(1, 4))):
        bits = draw(st.integers(20, 28))
        addr = UNIVERSE + draw(st.integers(0, 4095))
        size = draw(st.integers(bits, min(bits + 4, 30)))
        pools.append((str(ip_network((addr, bits), strict=False)), size))
    return pools


prefix_strings = st.builds(
    lambda offset, bits: str(ip_network((UNIVERSE + offset, bits), strict=False)),
    st.integers(-512, 4096 + 512),
    # now and then a prefix that swallows whole pools, mostly smaller ones
    st.sampled_from([18, 19, *range(20, 33), *range(22, 33), *range(24, 33)]),
)
prefix_lists = st.lists(prefix_strings, max_size=8)


@st.composite
def disjoint_used(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Allocated and reserved prefixes that never lie inside one another (twins allowed)."""
    kept: list[ipaddress.IPv4Network] = []
    for text in draw(prefix_lists):
        net = ip_network(text)
        assert isinstance(net, ipaddress.IPv4Network)
        if not any(net.overlaps(k) for k in kept):
            kept.append(net)
    allocated, reserved = [], []
    for net in kept:
        side = draw(st.sampled_from(["allocated", "reserved", "both"]))
        if side in ("allocated", "both"):
            allocated.append(str(net))
        if side in ("reserved", "both"):
            reserved.append(str(net))
    return allocated, reserved


def outcome(fn: object, *args: object, **kwargs: object) -> str:
    assert callable(fn)
    try:
        return str(fn(*args, **kwargs))
    except NoMoreSubnetsError:
        return "NoMoreSubnets"
    except InvalidPoolError:
        return "InvalidPool"


prefix_sizes = st.one_of(st.none(), st.integers(18, 30))


@settings(max_examples=400, deadline=None)
@given(pool_lists(), prefix_lists, prefix_lists, prefix_sizes)
def test_without_quirks_matches_brute_force(
    pools: Pools, allocated: list[str], reserved: list[str], prefix_size: int | None
) -> None:
    want = outcome(brute_force, pools, allocated, reserved, prefix_size)
    try:
        (got,) = predict_docker_subnets(pools, allocated, reserved, prefix_size=prefix_size, daemon_quirks=False)
    except NoMoreSubnetsError:
        got = "NoMoreSubnets"
    except InvalidPoolError:
        got = "InvalidPool"
    assert got == want
    if got in ("NoMoreSubnets", "InvalidPool"):
        return
    net = ip_network(got)
    assert not any(net.overlaps(ip_network(p)) for p in [*allocated, *reserved])
    space = docker_address_space(pools)
    assert any(net.subnet_of(p.base) and net.prefixlen == (prefix_size or p.size) for p in space)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(pool_lists(), disjoint_used(), prefix_sizes)
def test_daemon_matches_brute_force_when_nothing_nests(
    pools: Pools, used: tuple[list[str], list[str]], prefix_size: int | None
) -> None:
    allocated, reserved = used
    want = outcome(brute_force, pools, allocated, reserved, prefix_size)
    got = outcome(predict_one, pools, allocated, reserved, prefix_size)
    assert got == want


@settings(max_examples=300, deadline=None)
@given(pool_lists(), prefix_lists, prefix_lists)
def test_daemon_result_is_always_a_pool_block(pools: Pools, allocated: list[str], reserved: list[str]) -> None:
    try:
        (got,) = predict_docker_subnets(pools, allocated, reserved)
    except NoMoreSubnetsError:
        return
    net = ip_network(got)
    assert any(net.subnet_of(p.base) and net.prefixlen == p.size for p in docker_address_space(pools))  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(pool_lists(), prefix_lists, prefix_lists, st.integers(1, 6), st.booleans())
def test_count_is_repeated_single_allocations(
    pools: Pools, allocated: list[str], reserved: list[str], count: int, quirks: bool
) -> None:
    steps: list[str] = []
    for _ in range(count):
        try:
            steps += predict_docker_subnets(pools, [*allocated, *steps], reserved, daemon_quirks=quirks)
        except NoMoreSubnetsError:
            with pytest.raises(NoMoreSubnetsError):
                predict_docker_subnets(pools, allocated, reserved, count=count, daemon_quirks=quirks)
            return
    assert predict_docker_subnets(pools, allocated, reserved, count=count, daemon_quirks=quirks) == steps
