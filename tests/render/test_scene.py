"""The one intermediate form: what build_scene decides for every exporter."""

from __future__ import annotations

from tests.render.kit import tiny, z820

from netatlas.render.scene import KIND_STYLES, build_scene


def test_every_attachment_is_one_port() -> None:
    atlas = z820()
    scene = build_scene(atlas)
    ports = [(n.name, p.interface, p.address) for n in scene.nodes for p in n.ports]
    names = {n.id: n.name for n in atlas.nodes}
    expected = [
        (names[a.node], a.interface, str(a.address) if a.address is not None else None)
        for net in atlas.networks
        for a in net.attachments
    ]
    assert sorted(ports, key=str) == sorted(expected, key=str)


def test_single_homed_nodes_sit_in_their_network() -> None:
    scene = build_scene(z820())
    home = {n.name: (scene.group(n.home).cidr if n.home else None) for n in scene.nodes}
    assert home["web"] == home["db"] == "172.18.0.0/16"
    assert home["WSL 2 VM"] == "172.25.144.0/20"  # loopback and the 127.0.1.1 alias don't count
    assert home["router 192.168.1.1"] == "192.168.1.0/24"
    assert home["Z820"] is None and home["docker-desktop"] is None


def test_uplink_is_the_network_of_the_default_gateway() -> None:
    scene = build_scene(z820())
    host = next(n for n in scene.nodes if n.kind == "host")
    uplinks = {scene.group(p.group).cidr for p in host.ports if p.uplink}
    assert uplinks == {"192.168.1.0/24"}


def test_forward_to_nobody_gets_a_ghost() -> None:
    scene = build_scene(z820())
    stale = [f for f in scene.forwards if f.stale]
    assert [f.connect for f in stale] == ["172.25.139.5:22"]
    assert [g.address for g in scene.ghosts] == ["172.25.139.5"]
    to_wsl = next(f for f in scene.forwards if f.connect == "172.25.150.37:3000")
    assert to_wsl.target_node is not None and scene.node(to_wsl.target_node).name == "WSL 2 VM"
    assert to_wsl.target_port is not None and scene.port(to_wsl.target_port).interface == "eth0"


def test_findings_point_at_scene_ids() -> None:
    scene = build_scene(tiny())
    overlap = next(f for f in scene.findings if f.code == "pool-overlap")
    assert {scene.group(g).cidr for g in overlap.groups} == {"203.0.113.0/24", "192.0.2.0/24"}
    assert [scene.node(n).kind for n in overlap.nodes] == ["container"]


def test_names_per_node_with_provenance() -> None:
    scene = build_scene(z820())
    vm = next(n for n in scene.nodes if n.name == "WSL 2 VM")
    z = [r for r in vm.names if r.name.lower() == "z820" and r.vantage == "kali-linux"]
    assert z[0].first and z[0].addresses == ("127.0.1.1",) and "/etc/hosts line 5" in z[0].provenance
    assert any(not r.first and r.addresses == ("192.168.1.20",) for r in z)


def test_every_kind_has_a_colour_and_ids_carry_no_user_data() -> None:
    scene = build_scene(tiny())
    assert all(g.kind in KIND_STYLES for g in scene.groups)
    ids = [g.id for g in scene.groups] + [n.id for n in scene.nodes] + [p.id for n in scene.nodes for p in n.ports]
    assert all(i.isalnum() and i.isascii() for i in ids)
