"""Lab topologies without root: loading, validation errors, renumbering, probe planning."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from netatlas.errors import LabError
from netatlas.lab import bundled_topologies, load_topology, renumber
from netatlas.lab.build import preflight, topology_to_dict
from netatlas.lab.plan import apply_plan, docker_networks
from netatlas.lab.probes import Probe, plan_probes, run_probe
from netatlas.lab.topology import parse_topology
from netatlas.planning.plan import Plan


def _doc() -> dict[str, Any]:
    return {
        "name": "t",
        "nodes": {"a": {"listeners": ["0.0.0.0:80"]}, "b": {"routes": [{"to": "default", "via": "198.51.100.1"}]}},
        "networks": {
            "n": {
                "type": "veth",
                "cidr": "198.51.100.0/24",
                "members": [
                    {"node": "a", "iface": "eth0", "address": "198.51.100.1"},
                    {"node": "b", "iface": "eth0", "address": "198.51.100.2"},
                ],
            }
        },
    }


def test_shipped_topologies_load() -> None:
    assert {"z820", "vpn-overlap"} <= set(bundled_topologies())
    z = load_topology("z820")
    assert z.prefix == "na-lab-z820-"
    assert all(ns.startswith("na-lab-") for ns in z.namespaces())
    assert z.switch_namespace in z.namespaces()
    wsl = z.node("wsl")
    assert [v.id for v in wsl.vantages] == ["wsl:kali-linux", "wsl:Ubuntu"]
    assert "127.0.1.1\tz820.localdomain\tz820" in (wsl.hosts or "")
    assert z.node("fios").scanned is False
    addrs = z.addresses()
    assert addrs[ipaddress.ip_address("192.168.1.20")] == ["win"]
    assert any(r.via == "portproxy" and r.port == 3000 for r in z.node("win").relays)


def test_round_trip_through_the_state_document() -> None:
    for name in bundled_topologies():
        t = load_topology(name)
        again = parse_topology(topology_to_dict(t), source="again")
        assert topology_to_dict(again) == topology_to_dict(t)


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda d: d.pop("name"), "t.yaml: name: required"),
        (lambda d: d.update(name="Bad Name"), "t.yaml: name: a lab name"),
        (lambda d: d["nodes"]["a"].update(color="red"), "t.yaml: nodes.a.color: unknown key"),
        (
            lambda d: d["networks"]["n"]["members"][0].update(address="203.0.113.9"),
            "t.yaml: networks.n.members[0].address: 203.0.113.9 is not in 198.51.100.0/24",
        ),
        (
            lambda d: d["networks"]["n"]["members"][0].update(iface="a-name-far-too-long"),
            "t.yaml: networks.n.members[0].iface: an interface name is 1-15",
        ),
        (lambda d: d["networks"]["n"]["members"].pop(), "t.yaml: networks.n.members: a veth network has exactly two"),
        (lambda d: d["nodes"]["b"]["routes"][0].update(via="nope"), "t.yaml: nodes.b.routes[0].via: not an IP address"),
        (lambda d: d["nodes"]["a"].update(listeners=["0.0.0.0:99999"]), "t.yaml: nodes.a.listeners[0]: not a TCP port"),
        (lambda d: d["nodes"]["a"].update(parent="zz"), "t.yaml: nodes.a.parent: no node 'zz'"),
        (
            lambda d: d["nodes"]["a"].update(vantages=[{"id": "x", "kind": "toaster"}]),
            "t.yaml: nodes.a.vantages[0].kind: unknown vantage kind 'toaster'",
        ),
        (
            lambda d: d["nodes"]["a"].update(
                relays=[{"listen": "0.0.0.0:1", "connect": "198.51.100.2:1", "via": "localhost"}]
            ),
            "t.yaml: nodes.a.relays[0]: a 'localhost' relay needs 'target'",
        ),
    ],
)
def test_validation_errors_name_the_file_and_the_key(change: Any, expect: str) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(LabError) as err:
        parse_topology(doc, source="t.yaml")
    assert str(err.value).startswith(expect), str(err.value)


def test_yaml_errors_and_unknown_labs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(LabError, match=r"bad\.yaml: line \d+: not valid YAML"):
        load_topology(bad)
    with pytest.raises(LabError, match=r"unknown lab 'nope'; shipped: .*z820"):
        load_topology("nope")
    with pytest.raises(LabError, match="no such topology file"):
        load_topology(tmp_path / "missing.yaml")


def test_renumber_moves_one_network_and_keeps_offsets() -> None:
    t = load_topology("vpn-overlap")
    new = renumber(t, "devstack_default", ipaddress.ip_network("10.0.0.0/24"))
    app = [m for net, m in new.members_of("app")]
    assert [str(a) for m in app for a in m.addresses] == ["10.0.0.2"]
    assert str(new.node("app").routes[0].via) == "10.0.0.1"
    assert {str(r.source) for r in new.node("laptop").nat} == {"10.0.0.0/24"}
    assert "10.0.0.2\t5e1d2c3b4a69" in (new.node("app").hosts or "")
    # the office network with the same CIDR behind the VPN keeps its addresses
    office = next(n for n in new.networks if n.name == "office")
    assert str(office.cidr) == "172.18.0.0/16"
    assert [str(a) for m in office.members for a in m.addresses] == ["172.18.0.1", "172.18.0.2"]
    with pytest.raises(LabError, match="does not fit"):
        renumber(t, "devstack_default", ipaddress.ip_network("10.0.0.0/31"))


def test_apply_plan_uses_dockers_next_subnets() -> None:
    t = load_topology("vpn-overlap")
    assert docker_networks(t) == ["devstack_default"]
    plan = Plan(kept_clear=(), blocks={}, configs={}, how={}, docker_next_after=("10.7.0.0/24", "10.7.1.0/24"))
    new, moved = apply_plan(t, plan)
    assert moved == {"devstack_default": "10.7.0.0/24"}
    assert str(next(n for n in new.networks if n.name == "devstack_default").cidr) == "10.7.0.0/24"


def test_probes_only_target_topology_addresses() -> None:
    t = load_topology("z820")
    probes = plan_probes(t)
    defined = t.addresses()
    assert probes
    for p in probes:
        assert p.address is None or p.address.is_loopback or p.address in defined
    kinds = {p.kind for p in probes}
    assert kinds == {"ping", "tcp", "traceroute", "name"}
    assert len(plan_probes(t, limit=10)) == 10
    with pytest.raises(LabError, match=r"refusing to probe 192\.0\.2\.1"):
        run_probe(t, Probe("ping", "win", ipaddress.ip_address("192.0.2.1")))


def test_preflight_refuses_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    import netatlas.lab.build as build

    monkeypatch.setattr(build.os, "geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        preflight()
    with pytest.raises(LabError, match="needs root"):
        build.down("z820")


def test_firewalled_carries_its_filter_and_probes_its_published_ports() -> None:
    topo = load_topology("firewalled")
    rules = topo.node("dockhost").filter or ""
    assert ":INPUT DROP" in rules and "-A DOCKER-USER -d 172.17.0.2/32" in rules and "*nat" in rules
    back = parse_topology(topology_to_dict(topo), source="state")
    assert back.node("dockhost").filter == rules
    targets = {(p.node, p.target) for p in plan_probes(topo) if p.kind == "tcp"}
    assert ("router", "192.168.77.2:8443") in targets  # published by the node's own DNAT rule
    assert ("router", "192.168.77.2:9000") in targets


@pytest.mark.parametrize(
    ("rules", "expect"),
    [
        ("just text\n", "nodes.dockhost.filter"),
        (7, "nodes.dockhost.filter: expected text"),
    ],
)
def test_a_filter_netatlas_cannot_read_is_refused(rules: Any, expect: str) -> None:
    doc = topology_to_dict(load_topology("firewalled"))
    doc["nodes"]["dockhost"]["filter"] = rules
    with pytest.raises(LabError) as err:
        parse_topology(doc, source="mine.yaml")
    assert str(err.value).startswith("mine.yaml: " + expect), str(err.value)
