"""``why`` on Docker Desktop: the VM's packet filter, read from a Windows scan, decides.

The atlas is the z820 machine with the networks of the fixture
``iptables-save/docker-desktop-4.45-engine28-docker-user-drop`` (a constructed engine-28
ruleset of Docker Desktop's VM, see its ``.source``): z820_default on br-5f3c2a1b9e07
172.18.0.0/16 with container web 172.18.0.2, the default bridge docker0 172.17.0.0/16
with container old 172.17.0.2, and a DOCKER-USER drop of SSH and SMB from
z820_default to the office LAN 192.168.1.0/24. Where the VM's ruleset was read, it
decides (quoting its rule); where it was not, the VM's filter is *unread* and the answer
is never a confident ``reachable``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analysis.atlas_kit import VANTAGES, atlas_of, iface, listener, network, node, route
from netatlas.model.atlas import Atlas, FirewallRecord, Network
from netatlas.parsers import parse
from netatlas.reach import why

FIXTURES = Path(__file__).parent / "fixtures" / "parsers" / "iptables-save"
FIXTURE = FIXTURES / "docker-desktop-4.45-engine28-docker-user-drop.out"
BR = "br-5f3c2a1b9e07"
VM = "node:docker-desktop"
USER_DROP = (
    "filter DOCKER-USER rule 1: -A DOCKER-USER -s 172.18.0.0/16 -d 192.168.1.0/24 -p tcp -m multiport "
    '--dports 22,445 -m comment --comment "no SSH or SMB from containers to the office LAN" -j DROP'
)


def vm_ruleset(data: bytes | None = None) -> FirewallRecord:
    """The VM's ruleset as merge attaches it: on the VM node, with its evidence id."""
    facts = parse("iptables-save", data if data is not None else FIXTURE.read_bytes())
    return FirewallRecord(VM, facts.firewall[0], "docker-desktop/iptables-save")


def _engine(net: Network, name: str, bridge: str) -> Network:
    state: dict[str, object] = {"engine": "docker", "driver": "bridge", "version": "28.3.3", "desktop": True}
    state |= {"name": name, "bridge": bridge, "internal": False, "icc": True, "evidence": "docker-engine/networks"}
    return replace(net, engine=state)


def desktop(*firewalls: FirewallRecord) -> Atlas:
    """Windows host on the LAN, Docker Desktop's VM behind it, two containers on two networks."""
    host = node(
        "node:host",
        "host",
        [iface("Ethernet", "192.168.1.155/24"), iface("Loopback Pseudo-Interface 1", "127.0.0.1/8")],
        [route("0.0.0.0/0", "192.168.1.1"), route("192.168.1.0/24")],
        vantages=["host"],
        name="Z820",
    )
    wsl = node(
        "node:wsl-vm",
        "vm",
        [iface("eth0", "172.25.150.37/20")],
        [route("0.0.0.0/0", "172.25.144.1", "eth0"), route("172.25.144.0/20", dev="eth0")],
        parent="node:host",
        vantages=["wsl:Ubuntu"],
        name="WSL 2 VM",
    )
    vm = node(
        VM,
        "vm",
        [iface("eth0", "192.168.65.3/24"), iface("docker0", "172.17.0.1/16"), iface(BR, "172.18.0.1/16")],
        [
            route("0.0.0.0/0", "192.168.65.1", "eth0"),
            route("192.168.65.0/24", dev="eth0"),
            route("172.17.0.0/16", dev="docker0"),
            route("172.18.0.0/16", dev=BR),
        ],
        parent="node:host",
        vantages=["docker-desktop"],
    )

    def ctr(name: str, addr: str, gw: str, cidr: str) -> object:
        return node(
            f"node:container:{name}",
            "container",
            [iface("eth0", f"{addr}/16")],
            [route("0.0.0.0/0", gw, "eth0"), route(cidr, dev="eth0")],
            parent=VM,
            name=name,
        )

    router = node("node:router:192.168.1.1", "router", [iface("lan", "192.168.1.1/24")], name="router 192.168.1.1")
    nets = [
        network(
            "192.168.1.0/24",
            "lan",
            "Ethernet",
            [("node:host", "Ethernet", "192.168.1.155"), ("node:router:192.168.1.1", "lan", "192.168.1.1")],
        ),
        network("172.25.144.0/20", "wsl-nat", "vEthernet (WSL)", [("node:wsl-vm", "eth0", "172.25.150.37")]),
        network("192.168.65.0/24", "docker-desktop-vm", "Docker Desktop VM", [(VM, "eth0", "192.168.65.3")]),
        _engine(
            network(
                "172.17.0.0/16",
                "docker-bridge",
                "docker network bridge",
                [(VM, "docker0", "172.17.0.1"), ("node:container:old", "eth0", "172.17.0.2")],
            ),
            "bridge",
            "docker0",
        ),
        _engine(
            network(
                "172.18.0.0/16",
                "docker-bridge",
                "docker network z820_default",
                [(VM, BR, "172.18.0.1"), ("node:container:web", "eth0", "172.18.0.2")],
            ),
            "z820_default",
            BR,
        ),
    ]
    nodes = [
        host,
        wsl,
        vm,
        ctr("web", "172.18.0.2", "172.18.0.1", "172.18.0.0/16"),
        ctr("old", "172.17.0.2", "172.17.0.1", "172.17.0.0/16"),
        router,
    ]
    return atlas_of(
        nodes,  # type: ignore[arg-type]
        nets,
        vantages=VANTAGES,
        listeners=(
            listener("node:container:web", 80),
            listener("node:container:old", 80),
            listener("node:host", 445, "0.0.0.0", process="System"),
        ),
        firewalls=firewalls,
    )


# ------------------------------------------------------------------ the VM's ruleset read


def test_a_docker_user_drop_in_the_vm_stops_the_path_and_quotes_the_rule() -> None:
    r = why(desktop(vm_ruleset()), "web", "192.168.1.155", 445)
    assert r.verdict == "stopped" and r.reachable is False
    hop = r.hops[-1]
    assert hop.action == "filter" and hop.node == VM
    assert USER_DROP in hop.note and "evidence docker-desktop/iptables-save" in hop.note
    assert "the iptables ruleset read on docker-desktop (nf_tables)" in (r.reason or "")
    assert r.fixes[0] == "remove the DOCKER-USER rule that drops it: iptables -D DOCKER-USER 1"


def test_what_the_vm_ruleset_accepts_is_delivered_with_nothing_unread() -> None:
    r = why(desktop(vm_ruleset()), "web", "192.168.1.1")  # a ping: DOCKER-FORWARD -i br… -j ACCEPT
    assert r.verdict == "delivered" and r.reachable is True and r.unread == ()
    assert r.hops[-1].node == "node:router:192.168.1.1"


def test_isolation_between_desktop_networks_is_read_from_the_vm_rules() -> None:
    r = why(desktop(vm_ruleset()), "web", "172.17.0.2", 80)
    assert r.verdict == "stopped" and r.hops[-1].node == VM
    assert "filter DOCKER-ISOLATION-STAGE-2 rule 1: -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP" in r.hops[-1].note


# ------------------------------------------------------------------ the VM's ruleset not read


def test_without_the_vm_ruleset_its_filter_is_unread_never_a_guessed_accept() -> None:
    """Docker Desktop's VM used to be taken to accept anything out of a bridge; it is unread now."""
    r = why(desktop(), "web", "192.168.1.1")
    assert r.verdict == "delivered" and r.reachable is None
    assert r.unread == ("the packet filter of docker-desktop (forward)",)
    smb = why(desktop(), "web", "192.168.1.155", 445)  # the DOCKER-USER drop is not seen: never "reachable"
    assert smb.reachable is not True and "the packet filter of docker-desktop (forward)" in smb.unread


# ------------------------------------------------------------------ a ruleset without Docker's chains


NO_DOCKER = b"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"


def test_a_ruleset_without_docker_chains_leaves_bridge_traffic_to_the_engine_semantics() -> None:
    """Desktop's engine may program a ruleset netatlas did not see: an accept of this one says nothing."""
    r = why(desktop(vm_ruleset(NO_DOCKER)), "web", "172.17.0.2", 80)
    assert r.verdict == "stopped"
    assert "DOCKER-ISOLATION-STAGE-2 drops br-5f3c2a1b9e07 → docker0" in r.hops[-1].note
    assert "Docker Engine 28.3.3 semantics" in (r.reason or "")
    out = why(desktop(vm_ruleset(NO_DOCKER)), "web", "192.168.1.1")  # out of the bridge: not judged, unread
    assert out.reachable is None and out.unread == ("the packet filter of docker-desktop (forward)",)


def test_a_drop_in_a_ruleset_without_docker_chains_still_stands() -> None:
    """Every ruleset on the hook sees the packet: a FORWARD policy DROP drops it whoever's rules accept."""
    closed = NO_DOCKER.replace(b":FORWARD ACCEPT", b":FORWARD DROP")
    r = why(desktop(vm_ruleset(closed)), "web", "192.168.1.1")
    assert r.verdict == "stopped" and r.hops[-1].node == VM
    assert "the FORWARD chain's policy is DROP" in r.hops[-1].note


# ------------------------------------------------------------------ the sender's own output hook


def test_the_vm_s_own_packets_meet_its_output_chain() -> None:
    assert why(desktop(vm_ruleset()), "docker-desktop", "172.18.0.2", 80).reachable is True
    rule = b"-A OUTPUT -d 172.18.0.0/16 -p tcp -m tcp --dport 80 -j DROP\n"
    data = FIXTURE.read_bytes().replace(b"-A FORWARD -j DOCKER-USER\n", rule + b"-A FORWARD -j DOCKER-USER\n")
    r = why(desktop(vm_ruleset(data)), "docker-desktop", "172.18.0.2", 80)
    assert r.verdict == "stopped" and r.hops[-1].node == VM and r.hops[-1].action == "filter"
    assert "filter OUTPUT rule 1: -A OUTPUT -d 172.18.0.0/16 -p tcp -m tcp --dport 80 -j DROP" in r.hops[-1].note
    assert r.fixes[0] == "iptables -I OUTPUT -d 172.18.0.2 -p tcp --dport 80 -j ACCEPT"


def test_an_unread_output_chain_is_listed_where_the_path_starts() -> None:
    vm = why(desktop(), "docker-desktop", "172.18.0.2", 80)
    assert vm.verdict == "delivered" and vm.reachable is None
    assert vm.unread == ("the packet filter of docker-desktop (output)",)
    distro = why(desktop(), "wsl:Ubuntu", "192.168.1.1")  # WSL's own iptables are not read either
    assert distro.reachable is None and "the packet filter of WSL 2 VM (output)" in distro.unread


def test_the_windows_host_and_a_lan_sender_meet_no_output_hook() -> None:
    """Windows Firewall allows outbound by default (netatlas reads inbound); a LAN device is not this machine."""
    host = why(desktop(), "host", "192.168.1.1")
    assert host.reachable is True and host.unread == ()
    lan = why(desktop(), "lan", "192.168.1.155", 445)
    assert lan.verdict == "delivered" and not any("(output)" in u for u in lan.unread)
    assert lan.unread == ("Windows Firewall on Z820 (inbound rules)",)


NFT_OUTPUT_DROP = (
    # a real `nft -j list ruleset` (nftables 1.0.6, in a network namespace made for it with
    # `unshare --net` on the dev machine, 2026-12-05) of: table inet vmguard { chain out {
    # type filter hook output priority filter; policy accept; ip daddr 172.18.0.0/16 tcp dport 80 drop } }
    '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_'
    'version": 1}}, {"table": {"family": "inet", "name": "vmguard", "handle": 1}}, {"chain": {"family'
    '": "inet", "table": "vmguard", "name": "out", "handle": 1, "type": "filter", "hook": "output", "'
    'prio": 0, "policy": "accept"}}, {"rule": {"family": "inet", "table": "vmguard", "chain": "out", '
    '"handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "da'
    'ddr"}}, "right": {"prefix": {"addr": "172.18.0.0", "len": 16}}}}, {"match": {"op": "==", "left":'
    ' {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"drop": null}]}}]}'
)


def test_the_output_hook_of_an_nft_ruleset_is_judged_too() -> None:
    facts = parse("nft-json", NFT_OUTPUT_DROP)
    nft = FirewallRecord(VM, facts.firewall[0], "docker-desktop/nft-json")
    r = why(desktop(vm_ruleset(), nft), "docker-desktop", "172.18.0.2", 80)
    assert r.verdict == "stopped" and r.hops[-1].node == VM
    assert "inet vmguard out rule 1" in r.hops[-1].note and "evidence docker-desktop/nft-json" in r.hops[-1].note
    other = why(desktop(vm_ruleset(), nft), "docker-desktop", "172.18.0.2", 443)
    assert other.hops[-1].action != "filter" and "nothing" in (other.reason or "")  # refused, not filtered
