"""The ``firewalled`` lab for real: a Docker host's iptables rules decide, and the kernel agrees.

Root + ``ip netns`` + ``iptables`` (CI runs as root). The lab loads Docker's chains, an
internal network's isolation rules, a DOCKER-USER drop and an INPUT policy DROP into
one namespace with ``iptables-restore``; ``verify`` predicts every probe from the
``iptables-save`` the lab scan read back, and the probes answer with the kernel's own
evaluation of the same rules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from netatlas.lab import down, load_topology, up
from netatlas.lab.build import topology_to_dict
from netatlas.lab.topology import Topology, parse_topology
from netatlas.lab.verify import verify


def _lab_works() -> bool:
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "nft", "iptables-restore", "iptables-save")):
        return False
    probe = f"na-lab-check-{os.getpid()}"
    ok = subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=False).returncode == 0
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return ok


pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not _lab_works(), reason="needs root, iproute2, nftables, iptables and network namespaces"),
]


@pytest.fixture(scope="module")
def firewalled() -> Iterator[Topology]:
    doc = topology_to_dict(load_topology("firewalled"))
    doc["name"] = f"tfw{os.getpid()}"[:16]  # runs may overlap: a name of this run's own
    topo = parse_topology(doc, source="firewalled.yaml renamed")
    down(topo.name)
    up(topo)
    try:
        yield topo
    finally:
        down(topo.name)
    assert not [ns for ns in topo.namespaces() if os.path.exists(f"/run/netns/{ns}")]


def test_filter_is_loaded_into_the_node_only(firewalled: Topology) -> None:
    ns = firewalled.namespace("dockhost")
    inside = subprocess.run(["ip", "netns", "exec", ns, "iptables-save"], capture_output=True, text=True, check=True)
    assert "-A DOCKER-USER -d 172.17.0.2/32 -p tcp -m tcp --dport 443 -j DROP" in inside.stdout
    assert ":INPUT DROP" in inside.stdout
    web_ns = firewalled.namespace("web")
    web = subprocess.run(["ip", "netns", "exec", web_ns, "iptables-save"], capture_output=True, text=True, check=True)
    assert "DOCKER-USER" not in web.stdout


def test_every_prediction_of_the_filter_agrees_with_the_kernel(firewalled: Topology) -> None:
    report = verify(firewalled.name)
    doc = report.to_dict()
    assert doc["disagreements"] == [], doc["disagreements"]
    assert doc["checks"] == doc["agree"] > 20
    by = {(c.probe.kind, c.probe.node, c.probe.target): c for c in report.checks}
    # each kind of rule stops (or lets through) a real packet, as predicted
    assert by[("tcp", "router", "192.168.77.2:8080")].observed.node == "web"  # DNAT, then DOCKER accepts it
    assert by[("tcp", "router", "192.168.77.2:8443")].observed.node is None  # DOCKER-USER drop
    assert by[("tcp", "dockhost", "192.168.77.2:8443")].observed.node == "web"  # OUTPUT: no FORWARD, no DOCKER-USER
    assert by[("tcp", "web", "172.20.0.2:5432")].observed.node is None  # isolation of the internal network
    assert by[("tcp", "db", "172.17.0.2:80")].observed.node is None  # and from inside it
    assert by[("tcp", "router", "192.168.77.2:22")].observed.node == "dockhost"  # INPUT lets ssh in
    assert by[("tcp", "router", "192.168.77.2:9000")].observed.node is None  # INPUT policy DROP
    quoted = {
        ("tcp", "router", "192.168.77.2:8443"): "-A DOCKER-USER -d 172.17.0.2/32 -p tcp -m tcp --dport 443 -j DROP",
        ("tcp", "router", "192.168.77.2:9000"): "INPUT chain's policy is DROP",
        ("tcp", "web", "172.20.0.2:5432"): "-A DOCKER-ISOLATION-STAGE-1 ! -s 172.20.0.0/16 -o br-5e2a7c1d9f30 -j DROP",
        ("tcp", "db", "172.17.0.2:80"): "-A DOCKER-ISOLATION-STAGE-1 ! -d 172.20.0.0/16 -i br-5e2a7c1d9f30 -j DROP",
    }
    for key, rule in quoted.items():
        why = by[key].to_dict()["why"]
        assert rule in why and "iptables ruleset read on dockhost" in why, (key, why)
