"""Docker's allocators as pure functions: round-robin before 27.0, and the rules that pick one.

No engine here (these run everywhere); ``test_allocator.py`` checks the same behaviour
against a real dockerd.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.errors import NoMoreSubnetsError
from netatlas.model.facts import Route
from netatlas.planning import DOCKER_DEFAULT_POOLS, docker_reserved_prefixes, predict_docker_subnets
from netatlas.planning.docker_round_robin import PredefinedList, round_robin
from netatlas.planning.docker_state import DockerNetworkSeen, infer_start_index, instant
from netatlas.planning.docker_versions import docker_allocator, docker_zero_is_dynamic, reserves_every_route

SUBNETS = [
    str(ipaddress.ip_network((a, b))) for a, b, _ in (PredefinedList(DOCKER_DEFAULT_POOLS).entry(i) for i in range(31))
]


def net(text: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(text)


@pytest.mark.parametrize(
    ("version", "algorithm"),
    [
        ("17.12.1-ce", "first-fit"),
        ("18.06.0-ce", "round-robin"),
        ("20.10.24+dfsg1", "round-robin"),
        ("26.1.4", "round-robin"),
        ("27.0.1", "linear"),
        ("v28.3.0", "linear"),
        (None, "linear"),
        ("dev", "linear"),
    ],
)
def test_allocator_by_version(version: str | None, algorithm: str) -> None:
    assert docker_allocator(version) == algorithm
    assert predict_docker_subnets(DOCKER_DEFAULT_POOLS, engine_version=version).algorithm == algorithm


def test_route_rules_by_version() -> None:
    assert reserves_every_route("20.10.14") and not reserves_every_route("20.10.15")
    assert not reserves_every_route(None) and not reserves_every_route("27.0.1")
    assert not docker_zero_is_dynamic("23.0.6") and docker_zero_is_dynamic("24.0.0")
    vpn = Route(net("172.18.0.0/16"), gateway=ipaddress.ip_address("10.8.0.1"))
    blackhole = Route(net("172.19.0.0/16"), type="blackhole")
    lan = Route(net("192.168.1.0/24"), scope="link", interface="eth0")
    default = Route(net("0.0.0.0/0"), gateway=ipaddress.ip_address("192.168.1.1"))
    routes = [vpn, blackhole, lan, default]
    assert [str(p) for p in docker_reserved_prefixes((), routes, engine_version="20.10.14")] == [
        "172.18.0.0/16",
        "172.19.0.0/16",
        "192.168.1.0/24",
    ]
    assert [str(p) for p in docker_reserved_prefixes((), routes, engine_version="20.10.15")] == ["192.168.1.0/24"]


def test_the_list_is_the_31_default_subnets_in_order() -> None:
    assert len(PredefinedList(DOCKER_DEFAULT_POOLS)) == 31
    assert SUBNETS[0] == "172.17.0.0/16" and SUBNETS[14] == "172.31.0.0/16"
    assert SUBNETS[15] == "192.168.0.0/20" and SUBNETS[30] == "192.168.240.0/20"
    assert PredefinedList(DOCKER_DEFAULT_POOLS).position("192.168.112.0/20") == 22
    assert PredefinedList([("10.0.0.0/8", 24)]).entry(65535)[:2] == (int(ipaddress.ip_address("10.255.255.0")), 24)


def test_removed_subnet_waits_for_the_index() -> None:
    # create 172.18, 172.19, 172.20 (index 4), remove 172.19: the next is 172.21
    got, index = round_robin(DOCKER_DEFAULT_POOLS, ["172.17.0.0/16", "172.18.0.0/16", "172.20.0.0/16"], start_index=4)
    assert (got, index) == (["172.21.0.0/16"], 5)
    assert predict_docker_subnets(
        DOCKER_DEFAULT_POOLS, ["172.17.0.0/16", "172.18.0.0/16", "172.20.0.0/16"], engine_version="27.0.1"
    ) == ["172.19.0.0/16"]


def test_reserved_subnets_are_held_and_move_the_index() -> None:
    got, index = round_robin(DOCKER_DEFAULT_POOLS, ["172.17.0.0/16"], ["172.18.0.0/16", "172.19.0.0/16"], count=2)
    assert got == ["172.20.0.0/16", "172.21.0.0/16"] and index == 5


def test_a_wrapped_pick_sends_the_index_to_zero_not_round() -> None:
    pools = [("10.213.0.0/21", 24)]
    taken = ["10.213.0.0/24", "10.213.2.0/24", "10.213.3.0/24", "10.213.5.0/24", "10.213.6.0/24", "10.213.7.0/24"]
    got, index = round_robin(pools, taken, start_index=6)
    assert (got, index) == (["10.213.1.0/24"], 0)  # 6 + 3 + 1 is past the end: 0, not 2
    got, _ = round_robin(pools, [t for t in taken if t != "10.213.5.0/24"], start_index=0)
    assert got == ["10.213.1.0/24"]


def test_first_fit_before_18_06_always_starts_at_the_top() -> None:
    p = predict_docker_subnets(DOCKER_DEFAULT_POOLS, ["172.17.0.0/16"], engine_version="17.12.1-ce", start_index=9)
    assert p == ["172.18.0.0/16"] and p.start_index is None


def test_exhaustion_and_bad_requests() -> None:
    with pytest.raises(NoMoreSubnetsError, match="could not find an available, non-overlapping IPv4 address pool"):
        round_robin([("10.0.0.0/24", 25)], ["10.0.0.0/25"], ["10.0.0.128/25"])
    with pytest.raises(ValueError, match=r"29\.0"):
        predict_docker_subnets(DOCKER_DEFAULT_POOLS, prefix_size=24, engine_version="26.1.0")


@settings(max_examples=60, deadline=None)
@given(taken=st.sets(st.integers(0, 30), max_size=30), reserved=st.sets(st.integers(0, 30), max_size=5))
def test_from_index_zero_round_robin_agrees_with_linear_on_the_defaults(taken: set[int], reserved: set[int]) -> None:
    """Just after a start (index 0) both take the lowest free default subnet: the list is sorted."""
    allocated = [SUBNETS[i] for i in taken]
    avoid = [SUBNETS[i] for i in reserved]
    if len(taken | reserved) == 31:
        return
    rr = predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated, avoid, engine_version="20.10.24")
    assert rr == predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated, avoid)


def test_instant_keeps_nanoseconds_for_the_order() -> None:
    a, b = instant("2026-12-04T17:46:17.4259774Z"), instant("2026-12-04T17:46:17.42597741Z")
    assert a is not None and b is not None and a < b
    assert instant("2026-12-04T18:46:17+01:00") == instant("2026-12-04T17:46:17Z")


def _seen(name: str, subnet: str, created: str | None, bridge: bool = False) -> DockerNetworkSeen:
    return DockerNetworkSeen(name, net(subnet), created, bridge)


def test_infer_index_replays_after_the_daemon_start() -> None:
    nets = [
        _seen("bridge", "172.17.0.0/16", "2026-12-04T10:00:00Z", True),
        _seen("before", "172.30.0.0/16", "2026-12-01T10:00:00Z"),
        _seen("a", "172.18.0.0/16", "2026-12-04T10:01:00Z"),
        _seen("fixed", "10.77.0.0/24", "2026-12-04T10:01:30Z"),  # an explicit subnet: no move
        _seen("b", "172.19.0.0/16", "2026-12-04T10:02:00Z"),
    ]
    s = infer_start_index(DOCKER_DEFAULT_POOLS, nets, version="20.10.24")
    assert s.index == 3 and s.started == "2026-12-04T10:00:00Z"
    assert s.replayed == ("a 172.18.0.0/16", "b 172.19.0.0/16")
    assert not any("differed" in r for r in s.rests_on)


def test_infer_index_goes_on_from_what_the_engine_gave_when_the_replay_differs() -> None:
    nets = [
        _seen("bridge", "172.17.0.0/16", "2026-12-04T10:00:00Z", True),
        _seen("c", "172.20.0.0/16", "2026-12-04T10:03:00Z"),  # 172.18 and 172.19 were made and removed
    ]
    s = infer_start_index(DOCKER_DEFAULT_POOLS, nets, version="20.10.24")
    assert s.index == 4
    assert any("c got 172.20.0.0/16 where the replay gave 172.18.0.0/16" in r for r in s.rests_on)


def test_without_a_default_bridge_the_start_is_said_to_be_unknown() -> None:
    s = infer_start_index(DOCKER_DEFAULT_POOLS, [_seen("a", "172.18.0.0/16", "2026-12-04T10:01:00Z")])
    assert s.started is None and s.index == 2
    assert any("start is unknown" in r for r in s.rests_on)
