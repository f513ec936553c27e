"""``why`` with packet filters read: the captured rulesets decide every crossing they cover.

The atlas is the namespace the ``iptables-save`` fixtures were captured in (Docker 20.10
with networks fw-a, fw-b; containers cli and web on fw-a, db on fw-b; web published on
8080; a hand-made DOCKER-USER drop from fw-a to fw-b on 5432 and 6379). Probes in that
namespace at capture time gave: cli → db:5432 timeout, cli → db:80 timeout (isolation),
cli → web:80 open, the host's LAN side → 8080 open.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analysis.atlas_kit import atlas_of, iface, listener, network, node, publish, route
from netatlas.model.atlas import FirewallRecord, Network
from netatlas.parsers import parse
from netatlas.reach import why

FIX = Path(__file__).parent / "fixtures" / "parsers"
BR_A, BR_B = "br-c178516dd7e7", "br-1818d75e0fd1"
LAN = "192.0.2.50"


def _ruleset(kind: str, case: str) -> FirewallRecord:
    facts = parse(kind, (FIX / kind / f"{case}.out").read_bytes())
    return FirewallRecord("node:host", facts.firewall[0], f"host/{kind}")


def _engine(net: Network, name: str, bridge: str) -> Network:
    return replace(net, engine={"engine": "docker", "version": "20.10.24+dfsg1", "name": name, "bridge": bridge})


def _atlas(*firewalls: FirewallRecord) -> object:
    host = node(
        "node:host",
        "host",
        [iface("eth0", "192.0.2.10/24"), iface(BR_A, "10.91.1.1/24"), iface(BR_B, "10.91.2.1/24")],
        [route("0.0.0.0/0", "192.0.2.1", "eth0"), route("10.91.1.0/24", dev=BR_A), route("10.91.2.0/24", dev=BR_B)],
        name="host",
    )

    def ctr(name: str, addr: str, gw: str, cidr: str) -> object:
        return node(
            f"node:container:{name}",
            "container",
            [iface("eth0", f"{addr}/24")],
            [route("0.0.0.0/0", gw, "eth0"), route(cidr, dev="eth0")],
            parent="node:host",
            name=name,
        )

    lan = node("node:lan", "host", [iface("eth0", "192.0.2.50/24")], [route("192.0.2.0/24", dev="eth0")], name="lan")
    nodes = [
        host,
        lan,
        ctr("cli", "10.91.1.3", "10.91.1.1", "10.91.1.0/24"),
        ctr("web", "10.91.1.2", "10.91.1.1", "10.91.1.0/24"),
        ctr("db", "10.91.2.2", "10.91.2.1", "10.91.2.0/24"),
    ]
    nets = [
        network(
            "192.0.2.0/24", "lan", "LAN", [("node:host", "eth0", "192.0.2.10"), ("node:lan", "eth0", "192.0.2.50")]
        ),
        _engine(
            network(
                "10.91.1.0/24",
                "docker-bridge",
                "fw-a",
                [
                    ("node:host", BR_A, "10.91.1.1"),
                    ("node:container:cli", "eth0", "10.91.1.3"),
                    ("node:container:web", "eth0", "10.91.1.2"),
                ],
            ),
            "fw-a",
            BR_A,
        ),
        _engine(
            network(
                "10.91.2.0/24",
                "docker-bridge",
                "fw-b",
                [("node:host", BR_B, "10.91.2.1"), ("node:container:db", "eth0", "10.91.2.2")],
            ),
            "fw-b",
            BR_B,
        ),
    ]
    return atlas_of(
        nodes,
        nets,
        listeners=(
            listener("node:container:web", 80),
            listener("node:container:db", 5432),
            listener("node:container:db", 80),
        ),
        forwards=(publish(8080, "web", "10.91.1.2", 80),),
        firewalls=firewalls,
    )


LEGACY = _ruleset("iptables-save", "docker20-legacy-docker-user-drop")


def test_docker_user_drop_stops_the_path_and_quotes_the_rule() -> None:
    r = why(_atlas(LEGACY), "node:container:cli", "10.91.2.2", 5432)  # type: ignore[arg-type]
    assert r.verdict == "stopped"
    hop = r.hops[-1]
    assert hop.action == "filter" and hop.node == "node:host"
    assert "filter DOCKER-USER rule 1: -A DOCKER-USER -s 10.91.1.0/24 -d 10.91.2.0/24" in hop.note
    assert "evidence host/iptables-save" in hop.note
    assert r.fixes[0] == "remove the DOCKER-USER rule that drops it: iptables -D DOCKER-USER 1"


def test_without_the_ruleset_the_engine_semantics_cannot_see_docker_user() -> None:
    r = why(_atlas(), "node:container:cli", "10.91.2.2", 5432)  # type: ignore[arg-type]
    assert r.verdict == "stopped" and "DOCKER-ISOLATION-STAGE-2" in (r.reason or "")
    assert "DOCKER-USER" not in (r.reason or "")


def test_isolation_is_read_from_the_rules() -> None:
    r = why(_atlas(LEGACY), "node:container:cli", "10.91.2.2", 80)  # type: ignore[arg-type]
    assert r.verdict == "stopped"
    assert "filter DOCKER-ISOLATION-STAGE-2 rule 2: -A DOCKER-ISOLATION-STAGE-2 -o br-1818d75e0fd1 -j DROP" in (
        r.hops[-1].note
    )


def test_same_bridge_and_published_port_are_accepted_by_the_rules() -> None:
    atlas = _atlas(LEGACY)
    assert why(atlas, "node:container:cli", "10.91.1.2", 80).verdict == "delivered"  # type: ignore[arg-type]
    r = why(atlas, "node:lan", "192.0.2.10", 8080)  # type: ignore[arg-type]
    assert r.verdict == "delivered" and r.reachable is True and not r.unread


def test_input_policy_drop_from_iptables_s_stops_a_host_listener() -> None:
    rules = parse(
        "iptables-s", "-P INPUT DROP\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n"
    )
    fw = FirewallRecord("node:host", rules.firewall[0], "host/iptables-s")
    atlas = replace(_atlas(fw), listeners=(listener("node:host", 5000), listener("node:host", 22)))  # type: ignore[type-var]
    r = why(atlas, "node:lan", "192.0.2.10", 5000)
    assert r.verdict == "stopped" and "INPUT chain's policy is DROP" in r.hops[-1].note
    assert r.fixes == ("iptables -I INPUT -s 192.0.2.50 -d 192.0.2.10 -p tcp --dport 5000 -j ACCEPT",)
    assert why(atlas, "node:lan", "192.0.2.10", 22).verdict == "delivered"


def test_a_match_netatlas_does_not_read_is_unknown_quoting_the_rule() -> None:
    text = "-P INPUT DROP\n-A INPUT -p tcp -m recent --rcheck --name bad -j DROP\n-A INPUT -j ACCEPT\n"
    fw = FirewallRecord("node:host", parse("iptables-s", text).firewall[0], "host/iptables-s")
    atlas = replace(_atlas(fw), listeners=(listener("node:host", 5000),))  # type: ignore[type-var]
    r = why(atlas, "node:lan", "192.0.2.10", 5000)
    assert r.verdict == "unknown"
    assert "filter INPUT rule 1: -A INPUT -p tcp -m recent --rcheck --name bad -j DROP" in r.hops[-1].note
    assert "-m recent --rcheck --name bad" in r.hops[-1].note


def test_nft_ruleset_of_firewalld_rejects_an_unopened_port() -> None:
    fw = _ruleset("nft-json", "firewalld-1.3.3-public-zone")
    atlas = replace(_atlas(fw), listeners=(listener("node:host", 5000), listener("node:host", 80)))  # type: ignore[type-var]
    r = why(atlas, "node:lan", "192.0.2.10", 5000)
    assert r.verdict == "stopped"
    assert "inet firewalld filter_IN_public rule 9" in r.hops[-1].note
    assert r.fixes[0] == "firewall-cmd --add-port=5000/tcp"
    assert why(atlas, "node:lan", "192.0.2.10", 80).verdict == "delivered"  # --add-service=http
