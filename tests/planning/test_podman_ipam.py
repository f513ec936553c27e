"""Podman's first-fit subnet choice.

Vectors from containers/common ``libnetwork/internal/util/util_test.go``
``TestGetFreeIPv4NetworkSubnet`` @f437c58 (``shared/facts/pool-facts.md`` §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.errors import InvalidPoolError, NoMoreSubnetsError
from netatlas.planning import PODMAN_DEFAULT_NETWORK, PODMAN_DEFAULT_POOLS, predict_podman_subnets

Pools = Sequence[tuple[str, int]]

UPSTREAM = [
    ("single subnet pool", [("10.89.0.0/16", 24)], [], "10.89.0.0/24"),
    ("single subnet pool with used nets", [("10.89.0.0/16", 24)], ["10.89.0.0/25"], "10.89.1.0/24"),
    ("two subnet pools", [("10.89.0.0/16", 24), ("10.90.0.0/16", 25)], [], "10.89.0.0/24"),
    (
        "two subnet pools with no free subnet in first pool",
        [("10.89.0.0/16", 24), ("10.90.0.0/16", 25)],
        ["10.89.0.0/16"],
        "10.90.0.0/25",
    ),
]


@pytest.mark.parametrize(("name", "pools", "used", "expected"), UPSTREAM, ids=[v[0] for v in UPSTREAM])
def test_upstream_vectors(name: str, pools: Pools, used: list[str], expected: str) -> None:
    assert predict_podman_subnets(pools, used) == [expected]


@pytest.mark.parametrize(
    ("pools", "used"),
    [
        ([("10.89.0.0/16", 24)], ["10.89.0.0/16"]),  # single subnet pool with no free nets
        ([("10.89.0.0/16", 24), ("10.90.0.0/16", 25)], ["10.89.0.0/8"]),  # two pools, no free subnet
    ],
)
def test_upstream_no_free_subnet(pools: Pools, used: list[str]) -> None:
    with pytest.raises(NoMoreSubnetsError, match="could not find free subnet from subnet pools"):
        predict_podman_subnets(pools, used)


def test_default_knowledge() -> None:
    assert str(PODMAN_DEFAULT_NETWORK) == "10.88.0.0/16"
    assert [(str(p.base), p.size) for p in PODMAN_DEFAULT_POOLS] == [
        ("10.89.0.0/16", 24),
        ("10.90.0.0/15", 24),
        ("10.92.0.0/14", 24),
        ("10.96.0.0/11", 24),
        ("10.128.0.0/9", 24),
    ]
    assert all("containers/common" in p.source for p in PODMAN_DEFAULT_POOLS)


def test_first_networks_on_a_fresh_host() -> None:
    assert predict_podman_subnets(count=3) == ["10.89.0.0/24", "10.89.1.0/24", "10.89.2.0/24"]


def test_default_network_counts_as_used() -> None:
    assert predict_podman_subnets([("10.88.0.0/15", 24)]) == ["10.89.0.0/24"]
    assert predict_podman_subnets([("10.88.0.0/15", 24)], default_network=None) == ["10.88.0.0/24"]


def test_interface_address_counts_as_its_network() -> None:
    assert predict_podman_subnets(used=["10.89.0.7/23", "fd00::1/64"]) == ["10.89.2.0/24"]


def test_pools_are_not_sorted() -> None:
    """Unlike Docker, podman walks the pools in the order configured."""
    assert predict_podman_subnets([("192.168.0.0/16", 24), ("10.89.0.0/16", 24)]) == ["192.168.0.0/24"]


def test_next_pool_when_first_is_full() -> None:
    got = predict_podman_subnets(used=["10.89.0.0/16", "10.90.0.0/24"], count=2)
    assert got == ["10.90.1.0/24", "10.90.2.0/24"]


def test_kubernetes_service_range_inside_podman_pool() -> None:
    """Pool 10.96.0.0/11 holds kubeadm's service CIDR: a podman host with kube on it skips it."""
    used = ["10.89.0.0/16", "10.90.0.0/15", "10.92.0.0/14", "10.96.0.0/12"]
    assert predict_podman_subnets(used=used) == ["10.112.0.0/24"]


@pytest.mark.parametrize(
    "pools",
    [[("10.89.0.0", 24)], [("10.89.0.0/16", 8)], [("10.89.0.0/16", 33)], [("fd00::/48", 64)]],
)
def test_invalid_pools(pools: Pools) -> None:
    with pytest.raises(InvalidPoolError, match=r"^invalid address pool"):
        predict_podman_subnets(pools)


def test_bad_count() -> None:
    with pytest.raises(ValueError, match="count"):
        predict_podman_subnets(count=-1)


def brute_force(pools: Pools, used: Sequence[str]) -> str:
    nets = [ip_network(u, strict=False) for u in used]
    for base, size in pools:
        for candidate in ip_network(base).subnets(new_prefix=size):
            if not any(candidate.overlaps(n) for n in nets):
                return str(candidate)
    return "none"


BASE = int(ip_network("10.89.0.0/20").network_address)
small_pools = st.lists(
    st.builds(
        lambda off, bits, extra: (str(ip_network((BASE + off, bits), strict=False)), min(bits + extra, 32)),
        st.integers(0, 4095),
        st.integers(20, 28),
        st.integers(0, 4),
    ),
    min_size=1,
    max_size=4,
)
used_lists = st.lists(
    st.builds(
        lambda off, bits: str(ip_network((BASE + off, bits), strict=False)),
        st.integers(-256, 4351),
        st.integers(18, 32),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(small_pools, used_lists)
def test_matches_brute_force(pools: Pools, used: list[str]) -> None:
    try:
        (got,) = predict_podman_subnets(pools, used, default_network=None)
    except NoMoreSubnetsError:
        got = "none"
    assert got == brute_force(pools, used)
