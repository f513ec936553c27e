"""History keeps scans; diff shows what a VPN (or any change) added or removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netatlas.atlas import build_atlas
from netatlas.atlas.diff import diff_atlases
from netatlas.bundle import Bundle, write_bundle
from netatlas.cli import main
from netatlas.errors import BundleError
from netatlas.model import Evidence, Vantage, VantageKind
from netatlas.store.history import History

HOST = Vantage("host", VantageKind.LINUX_HOST, "devbox")
ADDR = json.dumps(
    [
        {
            "ifindex": 1,
            "ifname": "lo",
            "flags": ["LOOPBACK", "UP"],
            "mtu": 65536,
            "operstate": "UNKNOWN",
            "link_type": "loopback",
            "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host"}],
        },
        {
            "ifindex": 2,
            "ifname": "eth0",
            "flags": ["UP", "LOWER_UP"],
            "mtu": 1500,
            "operstate": "UP",
            "link_type": "ether",
            "address": "52:54:00:12:34:56",
            "addr_info": [{"family": "inet", "local": "192.168.1.20", "prefixlen": 24, "scope": "global"}],
        },
    ]
).encode()
ROUTES_OFF = json.dumps(
    [
        {"dst": "default", "gateway": "192.168.1.1", "dev": "eth0", "flags": []},
        {
            "dst": "192.168.1.0/24",
            "dev": "eth0",
            "protocol": "kernel",
            "scope": "link",
            "prefsrc": "192.168.1.20",
            "flags": [],
        },
    ]
).encode()
VPN_ADDR = json.dumps(
    [
        *json.loads(ADDR),
        {
            "ifindex": 3,
            "ifname": "tun0",
            "flags": ["POINTOPOINT", "UP"],
            "mtu": 1400,
            "operstate": "UNKNOWN",
            "link_type": "none",
            "addr_info": [{"family": "inet", "local": "10.8.0.6", "prefixlen": 24, "scope": "global"}],
        },
    ]
).encode()
ROUTES_ON = json.dumps(
    [
        *json.loads(ROUTES_OFF),
        {
            "dst": "10.8.0.0/24",
            "dev": "tun0",
            "protocol": "kernel",
            "scope": "link",
            "prefsrc": "10.8.0.6",
            "flags": [],
        },
        {"dst": "172.16.0.0/12", "gateway": "10.8.0.1", "dev": "tun0", "flags": []},
    ]
).encode()


def bundle(addr: bytes, routes: bytes) -> Bundle:
    return Bundle(
        vantages=(HOST,),
        evidence=(
            Evidence("host/ip-addr-json", "host", "ip-addr-json", ("netlink",), addr),
            Evidence("host/ip-route-json", "host", "ip-route-json", ("netlink",), routes),
        ),
    )


def test_vpn_on_against_vpn_off() -> None:
    off = build_atlas(bundle(ADDR, ROUTES_OFF))
    on = build_atlas(bundle(VPN_ADDR, ROUTES_ON))
    d = diff_atlases(off, on)
    assert any(x.startswith("10.8.0.0/24 [vpn]") for x in d.networks_added)
    assert "devbox: 172.16.0.0/12 via 10.8.0.1 dev tun0" in d.routes_added
    assert not d.networks_removed and not d.routes_removed
    back = diff_atlases(on, off)
    assert back.networks_removed == d.networks_added
    assert diff_atlases(off, off).empty


def test_history_keeps_and_loads_scans(tmp_path: Path) -> None:
    h = History(tmp_path)
    assert h.list() == []
    r1 = h.save(bundle(ADDR, ROUTES_OFF), {"networks": 2})
    r2 = h.save(bundle(VPN_ADDR, ROUTES_ON), {"networks": 3})
    assert [r.id for r in h.list()] == [r1.id, r2.id]
    assert h.load("prev").evidence[1].data == ROUTES_OFF
    assert h.load(f"#{r2.id}").evidence[1].data == ROUTES_ON
    with pytest.raises(BundleError, match="no scan #99"):
        h.load("99")
    with pytest.raises(BundleError, match="not a scan id"):
        h.load("yesterday")


def test_cli_diff_of_two_bundles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_bundle(bundle(ADDR, ROUTES_OFF), tmp_path / "off.zip")
    b = write_bundle(bundle(VPN_ADDR, ROUTES_ON), tmp_path / "on")
    assert main(["diff", str(a), str(b), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "devbox: 172.16.0.0/12 via 10.8.0.1 dev tun0" in out["routes_added"]


def test_cli_history_lists_saved_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NETATLAS_HOME", str(tmp_path))
    History(tmp_path).save(bundle(ADDR, ROUTES_OFF), {"networks": 2})
    assert main(["history", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["host"] for s in out["scans"]] == ["devbox"]


def test_a_history_file_that_is_no_database_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NETATLAS_HOME", str(tmp_path))
    (tmp_path / "history.sqlite3").write_bytes(b"this is not an SQLite database, it is a note\n" * 40)
    for argv in (["history"], ["diff", "last", "prev"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 1
        err = capsys.readouterr().err
        assert "cannot use the scan history" in err and "move the file aside" in err and "internal" not in err


def test_diff_against_an_only_scan_says_names_were_not_collected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from netatlas.bundle import read_bundle

    z820 = Path(__file__).resolve().parents[1] / "examples" / "z820"
    full = read_bundle(z820)
    only = replace(full, evidence=tuple(e for e in full.evidence if e.kind in ("ipconfig", "ip-addr", "ip-addr-json")))
    write_bundle(only, tmp_path / "only")
    assert main(["diff", str(z820), str(tmp_path / "only")]) == 0
    out = capsys.readouterr().out
    assert "not compared: names (scan B did not collect them)" in out
    assert "names removed" not in out and "routes removed" not in out
    assert main(["diff", str(z820), str(tmp_path / "only"), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["names_removed"] == [] and any(n.startswith("names") for n in got["not_collected"])
