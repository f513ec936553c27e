"""``why`` against a real Docker engine: every answer is checked by a probe from inside a container.

One topology covers what the engine enforces: the default bridge and user networks,
isolation between networks, a container on two networks, an ``--internal`` network,
ICC off, published ports on 0.0.0.0, on 127.0.0.1 and on IPv6, ``--network host``,
a port with no listener, and created and stopped containers. The probes are the
referee: a "delivered" answer must meet an open port, a "stopped" one must not, and no
answer may be a confident "reaches" that the kernel refutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from engine_kit import Kit, probe_host, scan_atlas, verdict_matches

pytestmark = pytest.mark.docker


@dataclass
class Topo:
    kit: Kit
    atlas: Any
    ports: dict[str, int]


@pytest.fixture(scope="module")
def topo(engine: Any) -> Iterator[Topo]:
    kit = Kit(engine.host, prefix=f"nae{random.randrange(10**5)}")
    base = random.randrange(20000, 40000, 10)
    ports = {"pub": base, "loop": base + 1, "hostnet": base + 2, "created": base + 3, "v6": base + 4}
    try:
        kit.network("a")
        kit.network("b")
        kit.network("int", internal=True)
        kit.network("noicc", icc=False)
        kit.run("a1", ["a"], ports={"80/tcp": ports["pub"]})
        kit.run("a2", ["a"])
        kit.run("b1", ["b"], command=("httpd", "-f", "-p", "5432"))
        kit.run("ab", ["a", "b"])
        kit.run("d1", [])
        kit.run("i1", ["int"])
        kit.run("i2", ["int"])
        kit.run("n1", ["noicc"])
        kit.run("n2", ["noicc"])
        kit.run("loc", ["a"], ports={"80/tcp": ("127.0.0.1", ports["loop"])})
        kit.run("v6", ["b"], ports={"80/tcp": ("::", ports["v6"])})
        kit.run("hostnet", network_mode="host", command=("httpd", "-f", "-p", str(ports["hostnet"])))
        kit.run("created", ["a"], ports={"80/tcp": ports["created"]}, start=False)
        stopped = kit.run("stopped", ["a"])
        stopped.stop(timeout=1)
        yield Topo(kit, scan_atlas(engine.host), ports)
    finally:
        kit.close()


def _questions(t: Topo) -> list[tuple[str, str, int, str]]:
    """(source container, destination address, port, what the facts sheet says the kernel does)."""
    k, p = t.kit, t.ports
    gw0 = k.gateway("d1")  # docker0: the host's address on the default bridge
    return [
        ("d1", k.address("b1"), 5432, "timeout"),  # default bridge → user network: isolation
        ("a1", k.address("b1"), 5432, "timeout"),  # one user network → another
        ("ab", k.address("b1", "b"), 5432, "open"),  # on both networks
        ("a1", k.address("a2"), 80, "open"),  # same network
        ("a1", k.address("a2"), 81, "refused"),  # nothing listens
        ("i1", k.address("i2"), 80, "open"),  # inside an internal network
        ("i1", k.address("a2"), 80, "timeout"),  # out of an internal network
        ("i1", gw0, p["pub"], "timeout"),  # a published port, from an internal network
        ("n1", k.address("n2"), 80, "timeout"),  # ICC off
        ("d1", gw0, p["pub"], "open"),  # a published port from another network (docker-proxy)
        ("d1", gw0, p["loop"], "refused"),  # published on 127.0.0.1 only
        ("d1", gw0, p["hostnet"], "open"),  # --network host: the host's own listener
        ("d1", gw0, p["created"], "refused"),  # a created container publishes nothing
    ]


def test_every_why_answer_agrees_with_a_real_probe(topo: Topo) -> None:
    from netatlas.reach import why

    rows = []
    for src, address, port, expected in _questions(topo):
        observed = topo.kit.probe(src, address, port)
        assert observed == expected, f"the engine did not behave as the facts sheet says: {src} → {address}:{port}"
        r = why(topo.atlas, topo.kit.name(src), address, port)
        rows.append((src, address, port, observed, r.verdict, r.reason or (r.hops[-1].note if r.hops else "")))
    wrong = [row for row in rows if not verdict_matches(row[4], row[3])]
    confident_wrong = [row for row in wrong if row[4] == "delivered"]
    assert not confident_wrong, "\n".join(map(str, confident_wrong))
    assert not wrong, "\n".join(map(str, wrong))


def test_host_reaches_containers_and_its_ipv6_publish(topo: Topo) -> None:
    from netatlas.reach import why

    a2 = topo.kit.address("a2")
    assert probe_host(a2, 80) == "open"
    assert why(topo.atlas, "host", a2, 80).verdict == "delivered"
    # --network host: the container is the host, and its listener the host's
    hostnet = why(topo.atlas, topo.kit.name("d1"), topo.kit.name("hostnet"), topo.ports["hostnet"])
    assert hostnet.verdict == "delivered" and hostnet.hops[-1].node == "node:host", hostnet
    assert probe_host("::1", topo.ports["v6"]) == "open"
    assert why(topo.atlas, "host", "::1", topo.ports["v6"]).verdict == "delivered"


def test_filter_stops_name_the_rule_and_the_fix(topo: Topo) -> None:
    from netatlas.reach import why

    k = topo.kit
    iso = why(topo.atlas, k.name("a1"), k.address("b1"), 5432)
    assert iso.verdict == "stopped" and iso.hops[-1].action == "filter"
    # the host's ruleset was read (root): it decides, and the hop quotes its rule; the engine's
    # own semantics stand in where it was not (tests/test_reach_engine.py)
    assert "DOCKER-ISOLATION-STAGE-2" in iso.hops[-1].note and "evidence host/iptables-save" in iso.hops[-1].note
    assert iso.fixes
    internal = why(topo.atlas, k.name("i1"), k.address("a2"), 80)
    assert internal.verdict == "stopped" and internal.hops[-1].action in ("filter", "stop")
    icc = why(topo.atlas, k.name("n1"), k.address("n2"), 80)
    assert icc.hops[-1].action == "filter" and icc.fixes
    unread = _without_rulesets(topo.atlas)
    by_engine = why(unread, k.name("a1"), k.address("b1"), 5432)
    assert "Docker isolates bridge networks" in by_engine.hops[-1].note
    assert any(f"docker network connect {k.name('b')}" in f for f in by_engine.fixes)
    icc = why(unread, k.name("n1"), k.address("n2"), 80)
    assert "ICC is off" in icc.hops[-1].note and any("enable ICC" in f for f in icc.fixes)


def _without_rulesets(atlas: Any) -> Any:
    """The same atlas as if the host's packet filter had not been read (no root, a Docker Desktop VM)."""
    import dataclasses

    return dataclasses.replace(atlas, firewalls=())


def test_created_and_stopped_containers_hold_nothing(topo: Topo) -> None:
    created = [f for f in topo.atlas.forwards if f.listen_port == topo.ports["created"]]
    assert created == [], created
    stopped = f"node:container:{topo.kit.name('stopped')}"
    held = [a for n in topo.atlas.networks for a in n.attachments if a.node == stopped and a.address is not None]
    assert held == [], held
