"""Which names verify asks again: only those the server answers from its own table.

Any other name would be forwarded by the machine's resolver to its upstream, beyond the
machine (tests/engine/test_verify_dns.py proves that premise against a real dockerd).
"""

from __future__ import annotations

import dataclasses

from netatlas.model.atlas import NameRecord
from netatlas.verify.places import Place
from netatlas.verify.plan import plan

from .conftest import ip, small_atlas

_PLACE = Place("netns:sealed", "node:sealed", "netns", path="/proc/1/ns/net", kernel=True)


def _asked(*records: NameRecord) -> tuple[set[str], set[str]]:
    atlas = dataclasses.replace(small_atlas(), names=records)
    p = plan(atlas, [_PLACE], limit=0)
    return {q.name for q in p.names}, {q.name for q in p.held_back}


def _rec(name: str, server: str, *addrs: str, source: str = "docker-dns") -> NameRecord:
    return NameRecord("netns:sealed", name, tuple(ip(a) for a in addrs), source, server=ip(server))


def test_a_peer_container_answered_by_the_embedded_dns_is_asked_again() -> None:
    asked, held = _asked(_rec("peer", "127.0.0.11", "10.250.0.2"))
    assert (asked, held) == ({"peer"}, set())


def test_names_the_server_would_forward_are_held_back() -> None:
    asked, held = _asked(
        _rec("nowhere.example", "127.0.0.11"),  # not found: the server asked upstream
        _rec("gw", "127.0.0.11", "10.250.0.254"),  # a router's address, not a container's
        _rec("far", "127.0.0.11", "10.99.0.1"),  # a container, but on no network of the place's
        _rec("peer", "127.0.0.53", "10.250.0.2", source="dns"),  # a stub resolver: holds no table
    )
    assert asked == set()
    assert held == {"nowhere.example", "gw", "far", "peer"}


def test_on_a_podman_network_only_its_gateway_is_aardvark() -> None:
    """A DNS container on the same podman network (a Pi-hole) forwards upstream: not asked (review)."""
    atlas = small_atlas()
    nets = tuple(dataclasses.replace(n, kind="podman-bridge") for n in atlas.networks)
    gw = "10.250.0.1"  # the place's own attachment: the bridge side in this small atlas
    atlas = dataclasses.replace(
        atlas,
        networks=nets,
        names=(_rec("peer", gw, "10.250.0.2", source="dns"), _rec("peer2", "10.250.0.2", "10.250.0.2", source="dns")),
    )
    p = plan(atlas, [_PLACE], limit=0)
    assert {q.name for q in p.names} == {"peer"}
    assert {q.name for q in p.held_back} == {"peer2"}
