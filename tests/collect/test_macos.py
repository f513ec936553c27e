"""macOS collector: a replayed host scan and its failure modes.

The replay (``tests/fixtures/collect/macos-host/``) is one file per command with an
``index.json`` mapping argv (or a file path) to it. Scans go through the real
:func:`scan` with ``system="Darwin"``.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from netatlas.atlas import build_atlas
from netatlas.collect import macos, podman_machine
from netatlas.collect.runner import ReplayRunner, Result
from netatlas.collect.scan import scan
from netatlas.model import Failure, VantageKind

REPLAY = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "macos-host"
INDEX: dict[str, Any] = json.loads((REPLAY / "index.json").read_text(encoding="utf-8"))
SETTINGS = "/Users/kbrazil/Library/Group Containers/group.com.docker/settings-store.json"


def replay() -> ReplayRunner:
    return ReplayRunner(
        {tuple(c["argv"]): (REPLAY / c["file"]).read_bytes() for c in INDEX["commands"]},
        {f["path"]: (REPLAY / f["file"]).read_bytes() for f in INDEX["files"]},
    )


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in INDEX["env"].items():
        monkeypatch.setenv(k, v)


def test_macos_host_scan() -> None:
    rr = replay()
    b = scan(rr, system="Darwin")
    assert [(v.id, v.kind, v.name, v.parent) for v in b.vantages] == [
        ("host", VantageKind.MACOS_HOST, "kbrazil-mac.attlocal.net", None)
    ]
    # no admin-settings.json on this Mac: an optional source, absent; no podman either (no machines)
    assert {e.kind for e in b.evidence} == {s.kind for s in macos.host_sources()} - {"docker-desktop-admin-settings"}
    assert {e.kind for e in b.evidence} <= set(macos.PRODUCES)
    assert "podman-machine-list" in podman_machine.PRODUCES and "podman-machine-list" in macos.PRODUCES
    assert not [e.id for e in b.evidence if e.failure is not None]
    by_id = {e.id: e for e in b.evidence}
    assert by_id["host/docker-desktop-settings"].argv == ("read", SETTINGS)
    assert b.meta["platform"] == "Darwin"


def test_macos_atlas() -> None:
    atlas = build_atlas(scan(replay(), system="Darwin"))
    assert not atlas.problems
    lan = atlas.network("net:192.168.1.0/24")
    assert lan is not None
    assert ("node:host", "192.168.1.221") in {(a.node, str(a.address)) for a in lan.attachments}
    host = atlas.node("node:host")
    assert host is not None and host.kind == "host"
    assert any(r.destination.prefixlen == 0 and str(r.gateway) == "192.168.1.254" for r in host.routes)
    # scutil --dns is read after /etc/resolv.conf, so the system's resolvers win
    assert [str(s) for s in host.dns.servers] == ["192.168.1.254"]
    assert host.dns.search == ("attlocal.net",)
    assert any(n.name == "kubernetes.docker.internal" for n in atlas.names)


def test_macos_failures_are_recorded_and_the_scan_goes_on() -> None:
    rr = replay()
    del rr.commands[("scutil", "--dns")]
    del rr.files["/etc/resolv.conf"]
    del rr.files[SETTINGS]
    rr.files["/etc/hosts"] = Result(
        ("read", "/etc/hosts"), failure=Failure("permission-denied", "/etc/hosts: permission denied")
    )
    rr.commands[("netstat", "-rn")] = Result(
        ("netstat", "-rn"), failure=Failure("timeout", "netstat -rn: no answer within 10s")
    )
    b = scan(rr, system="Darwin")
    got = {e.id: (e.failure.code if e.failure else None) for e in b.evidence}
    assert got == {
        "host/ifconfig": None,
        "host/netstat-rn": "timeout",
        "host/hosts": "permission-denied",
        "host/scutil-dns": "missing-binary",
    }
    atlas = build_atlas(b)
    assert atlas.network("net:192.168.1.0/24") is not None


def test_legacy_docker_settings_and_hostname_fallback() -> None:
    rr = replay()
    rr.files[SETTINGS.replace("settings-store.json", "settings.json")] = rr.files.pop(SETTINGS)
    del rr.commands[("hostname",)]
    b = scan(rr, system="Darwin")
    ev = {e.id: e for e in b.evidence}
    assert ev["host/docker-desktop-settings"].argv[1].endswith("/group.com.docker/settings.json")
    assert b.vantage("host").name  # socket.gethostname() of the test machine


def test_macos_argv_are_fixed() -> None:
    rr = replay()
    scan(rr, system="Darwin")
    run = sorted(c for c in rr.calls if c[0] != "read")
    assert run == [
        ("hostname",),
        ("ifconfig",),
        ("kubectl", "config", "view", "--minify", "-o", "json"),
        ("netstat", "-rn"),
        ("scutil", "--dns"),
    ]
    src = inspect.getsource(macos)
    assert "subprocess" not in src and "shell=" not in src


# --------------------------------------------------------------------------- scoped routes, ARP/ND rows

NETSTAT = Path(__file__).resolve().parents[1] / "fixtures" / "parsers" / "netstat-rn"


def _main_defaults(routes: Any) -> list[tuple[str, str | None]]:
    return [
        (str(r.destination), r.interface) for r in routes if r.destination.prefixlen == 0 and r.table in (None, "main")
    ]


def test_scoped_defaults_are_not_main_table_defaults() -> None:
    """sshuttle#864: the VPN owns the default; en0's default (UGScIg) is scoped to en0."""
    from netatlas.parsers import parse

    facts = parse("netstat-rn", (NETSTAT / "sshuttle-864-macos13-wireguard-scoped-default.out").read_bytes())
    assert _main_defaults(facts.routes) == [("0.0.0.0/0", "utun3")]
    scoped = [
        (str(r.gateway), r.interface) for r in facts.routes if r.table == "scoped" and r.destination.prefixlen == 0
    ]
    assert scoped == [("172.20.10.1", "en0")]
    v6 = parse("netstat-rn", (NETSTAT / "teleport-66851-macos-inet6-utun-scoped.out").read_bytes())
    assert _main_defaults(v6.routes) == []  # four per-tunnel defaults, all scoped: no IPv6 default


def test_why_does_not_take_a_scoped_tunnel_default() -> None:
    from netatlas.reach import why

    rr = replay()
    v6 = (NETSTAT / "teleport-66851-macos-inet6-utun-scoped.out").read_bytes()
    rr.commands[("netstat", "-rn")] = (REPLAY / "netstat-rn.out").read_bytes().split(b"Internet6:")[0] + v6
    atlas = build_atlas(scan(rr, system="Darwin"))
    host = atlas.node("node:host")
    assert host is not None and not _main_defaults(r for r in host.routes if r.destination.version == 6)
    result = why(atlas, "host", "2001:db8::10", 443)
    text = " ".join([result.reason or "", *(h.note for h in result.hops)])
    assert not result.reachable
    assert "utun" not in text, text


def test_arp_and_nd_rows_are_neighbours_not_host_routes() -> None:
    atlas = build_atlas(scan(replay(), system="Darwin"))
    host = atlas.node("node:host")
    assert host is not None
    host_routes = {str(r.destination) for r in host.routes if r.interface == "en0"}
    assert "192.168.1.80/32" not in host_routes and "192.168.1.255/32" not in host_routes
    from netatlas.parsers import parse

    facts = parse("netstat-rn", (REPLAY / "netstat-rn.out").read_bytes())
    nb = {str(n.address): n for n in facts.neighbours}
    assert nb["192.168.1.80"].mac == "00:90:a9:ed:e4:35" and nb["192.168.1.80"].interface == "en0"
    assert nb["192.168.1.254"].router  # UHLWIir: the r flag
    assert nb["192.168.71.160"].mac is None and nb["192.168.71.160"].state == "INCOMPLETE"
    assert "192.168.1.255" not in nb and "224.0.0.251" not in nb  # broadcast, multicast
    assert "192.168.1.221" not in nb  # the Mac's own address (on lo0)


def test_macos_reads_docker_desktop_admin_settings_where_it_is() -> None:
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "parsers" / "docker-desktop-admin-settings"
    rr = replay()
    rr.files[macos.ADMIN_SETTINGS] = (fixture / "constructed-windows-locked-subnet.out").read_bytes()
    b = scan(rr, system="Darwin")
    ev = {e.id: e for e in b.evidence}["host/docker-desktop-admin-settings"]
    assert ev.argv == ("read", "/Library/Application Support/com.docker.docker/admin-settings.json")
    atlas = build_atlas(b)
    assert atlas.settings["admin_settings_locked"] == [
        "linuxVM.wslEngineEnabled",
        "linuxVM.dockerDaemonOptions",
        "linuxVM.vpnkitCIDR",
    ]
