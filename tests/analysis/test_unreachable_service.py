"""unreachable-service: listeners a vantage cannot reach, with the remedy."""

from __future__ import annotations

from analysis.atlas_kit import iface, listener, network, node, portproxy, publish, route, z820
from netatlas.analysis import Options
from netatlas.analysis.unreachable_service import check
from netatlas.model import Vantage, VantageKind
from netatlas.model.atlas import Atlas


def _by_title(found: list) -> dict:  # type: ignore[type-arg]
    return {f.title: f for f in found}


def test_unpublished_container_and_wsl_without_portproxy() -> None:
    found = _by_title(check(z820(), Options()))
    assert set(found) == {
        "web:80 (nginx) is not reachable from lan",
        "WSL 2 VM:8000 (python3) is not reachable from lan",
    }
    web = found["web:80 (nginx) is not reachable from lan"]
    assert "does not publish port 80" in web.detail and web.evidence == ("ev-ss-web",)
    assert "docker run -p 80:80" in (web.fix or "") and '- "80:80"' in (web.fix or "")
    assert "192.168.1.155:80" in (web.fix or "")
    wsl = found["WSL 2 VM:8000 (python3) is not reachable from lan"]
    assert "no netsh portproxy rule" in wsl.detail
    fix = wsl.fix or ""
    assert (
        "netsh interface portproxy add v4tov4 listenport=8000 listenaddress=0.0.0.0 "
        "connectport=8000 connectaddress=172.25.150.37" in fix
    )
    assert "New-NetFirewallRule" in fix and "networkingMode=mirrored" in fix


def test_published_on_loopback_only() -> None:
    found = check(z820(forwards=(publish(80, "web", "172.18.0.2", host_ip="127.0.0.1"),)), Options())
    web = next(f for f in found if f.title.startswith("web:80"))
    assert "published on 127.0.0.1 only" in web.detail
    assert "-p 0.0.0.0:80:80" in (web.fix or "")


def test_published_and_forwarded_services_are_reachable() -> None:
    atlas = z820(forwards=(publish(8080, "web", "172.18.0.2", cport=80), portproxy(8000, "172.25.150.37")))
    assert check(atlas, Options()) == []


def test_mirrored_mode_needs_no_portproxy() -> None:
    atlas = z820(forwards=(publish(80, "web", "172.18.0.2"),), settings={"networking_mode": "mirrored"})
    assert check(atlas, Options()) == []


def test_from_windows_itself_localhost_forwarding_reaches_wsl() -> None:
    atlas = z820(forwards=(publish(80, "web", "172.18.0.2"),))
    assert check(atlas, Options(vantage="host")) == []
    # a WSL service bound to 127.0.0.1 is reachable from Windows only through localhost forwarding
    loop = (listener("node:wsl-vm", 8000, "127.0.0.1", "python3"),)
    assert check(z820(forwards=(publish(80, "web", "172.18.0.2"),), listeners=loop), Options(vantage="host")) == []
    off = z820(forwards=(publish(80, "web", "172.18.0.2"),), listeners=loop, settings={"localhost_forwarding": False})
    [f] = check(off, Options(vantage="host"))
    assert "localhost forwarding is off" in f.detail and "localhostForwarding=true" in (f.fix or "")


def _linux_box(*listeners: object) -> Atlas:
    box = node(
        "node:box",
        "host",
        [iface("eth0", "192.168.1.7/24")],
        [route("0.0.0.0/0", "192.168.1.1", "eth0"), route("192.168.1.0/24", dev="eth0")],
        vantages=["box"],
    )
    router = node("node:router:192.168.1.1", "router", [iface("lan", "192.168.1.1/24")])
    lan = network(
        "192.168.1.0/24",
        "lan",
        "eth0",
        [("node:box", "eth0", "192.168.1.7"), ("node:router:192.168.1.1", "lan", "192.168.1.1")],
    )
    return Atlas(
        "netatlas-atlas/1",
        (Vantage("box", VantageKind.LINUX_HOST, "box"),),
        (box, router),
        (lan,),
        listeners=tuple(listeners),  # type: ignore[arg-type]
    )


def test_loopback_binds_are_one_info_per_node() -> None:
    atlas = _linux_box(
        listener("node:box", 5432, "127.0.0.1", "postgres"),
        listener("node:box", 6379, "::1", "redis"),
        listener("node:box", 53, "127.0.0.53", "systemd-resolve"),
        listener("node:box", 22, None, "sshd"),
    )
    [f] = check(atlas, Options())
    assert f.severity == "info" and f.title == "2 service(s) on box listen on loopback only"
    assert "127.0.0.1:5432 (postgres)" in f.detail and "127.0.0.53" not in f.detail
    assert "0.0.0.0" in (f.fix or "")


def test_no_lan_no_question() -> None:
    atlas = _linux_box(listener("node:box", 5432, "127.0.0.1"))
    atlas = Atlas(atlas.schema, atlas.vantages, atlas.nodes, (), listeners=atlas.listeners)
    assert check(atlas, Options()) == []
