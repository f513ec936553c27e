"""The integer overlap core against the naive ``ipaddress`` pairwise check."""

from __future__ import annotations

import ipaddress
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netatlas.analysis._overlaps import nest, span

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def _v4() -> st.SearchStrategy[Net]:
    # a small corner of the space, so random blocks nest and repeat often
    return st.builds(
        lambda addr, plen: ipaddress.ip_network((addr << 16, plen), strict=False),
        st.integers(0, 15),
        st.integers(0, 32),
    ) | st.builds(
        lambda addr, plen: ipaddress.ip_network(((10 << 24) | addr, plen), strict=False),
        st.integers(0, 1 << 12),
        st.integers(8, 32),
    )


def _v6() -> st.SearchStrategy[Net]:
    return st.builds(
        lambda addr, plen: ipaddress.ip_network(((0xFD << 120) | (addr << 100), plen), strict=False),
        st.integers(0, 7),
        st.integers(0, 128),
    )


nets_lists = st.lists(_v4() | _v6(), max_size=40)


def _naive(nets: list[Net]) -> set[tuple[int, int]]:
    """Unordered overlapping index pairs, the slow obvious way."""
    return {
        (i, j)
        for i, a in enumerate(nets)
        for j, b in enumerate(nets)
        if i < j and a.version == b.version and a.overlaps(b)
    }


@settings(max_examples=300, deadline=None)
@given(nets_lists)
def test_pairs_and_count_match_the_naive_check(nets: list[Net]) -> None:
    n = nest([span(x) for x in nets])
    listed = list(n.pairs())
    assert len(listed) == len(set(listed))  # each pair once
    assert {tuple(sorted(p)) for p in listed} == _naive(nets)
    assert n.pair_count() == len(listed)


@settings(max_examples=200, deadline=None)
@given(nets_lists)
def test_outer_contains_inner(nets: list[Net]) -> None:
    n = nest([span(x) for x in nets])
    for outer, inner in n.pairs():
        a, b = nets[outer], nets[inner]
        assert b.subnet_of(a)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(nets_lists)
def test_forest_shape(nets: list[Net]) -> None:
    n = nest([span(x) for x in nets])
    assert sorted(i for m in n.members for i in m) == list(range(len(nets)))
    assert Counter(span(x) for x in nets) == Counter({s: len(m) for s, m in zip(n.spans, n.members, strict=True)})
    for u, p in enumerate(n.parent):
        if p >= 0:
            assert p < u  # containers come first
            (pf, pl), (f, last) = n.spans[p], n.spans[u]
            assert pf <= f and last <= pl and (pf, pl) != (f, last)
            # innermost: no other distinct block sits between parent and child
            assert not any(
                q not in (p, u) and pf <= qf <= f and last <= ql <= pl and (qf, ql) != (pf, pl)
                for q, (qf, ql) in enumerate(n.spans)
            )
    grouped = {u for u, _ in n.groups()}
    assert grouped == {u for u in range(len(n.spans)) if len(n.members[u]) > 1 or u in n.parent}


def test_families_never_meet() -> None:
    nets = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"), ipaddress.ip_network("::/96")]
    n = nest([span(x) for x in nets])
    assert list(n.pairs()) == [(1, 2)]


def test_crossing_spans_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap without nesting"):
        nest([(0, 10), (5, 15)])


def test_fleet_copies_are_counted_not_listed() -> None:
    nets = [ipaddress.ip_network("172.17.0.0/16")] * 100_000 + [ipaddress.ip_network("172.16.0.0/12")]
    n = nest([span(x) for x in nets])
    assert len(n.spans) == 2
    assert n.pair_count() == 100_000 * 99_999 // 2 + 100_000
