"""The z820 example bundle: it reads, every evidence parses, it rebuilds byte for byte,
and the two outputs taken from the seed blog post are verbatim.

The seed post is kept in ``tests/fixtures/seed/`` so CI does not need ``../shared``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from netatlas.bundle import read_bundle
from netatlas.errors import ParseError
from netatlas.model import VantageKind
from netatlas.parsers import kinds, parse

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "examples" / "z820"
SRC = ROOT / "examples" / "z820-src"
BUILD = ROOT / "tools" / "build_z820.py"
SEED_DIR = ROOT / "tests" / "fixtures" / "seed"
SEED = SEED_DIR / "address-pools-and-interfaces-for-docker-and-wsl-and-windows.txt"

VANTAGES = {
    "host": VantageKind.WINDOWS_HOST,
    "wsl:kali-linux": VantageKind.WSL_DISTRO,
    "wsl:Ubuntu": VantageKind.WSL_DISTRO,
    "docker-desktop": VantageKind.DOCKER_DESKTOP_VM,
    "container:web": VantageKind.CONTAINER,
    "container:db": VantageKind.CONTAINER,
    "pod:kube-system/coredns": VantageKind.POD,
}


def _bundle_ids() -> list[str]:
    return [ev.id for ev in read_bundle(BUNDLE).evidence]


def _build_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_z820", BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_z820", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _seed_block(after: str, before: str) -> bytes:
    """The seed text between a prompt line and the next prompt, as bytes."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index(after) + len(after)
    return text[start : text.index(before, start)].encode("utf-8")


# --------------------------------------------------------------------------- reading


def test_bundle_reads_with_every_vantage() -> None:
    b = read_bundle(BUNDLE)
    assert {v.id: v.kind for v in b.vantages} == VANTAGES
    assert b.created.isoformat() == "2023-06-15T18:00:00+00:00"
    assert not b.failures
    parents = {v.id: v.parent for v in b.vantages}
    assert parents["container:web"] == parents["pod:kube-system/coredns"] == "docker-desktop"
    assert parents["docker-desktop"] == parents["wsl:Ubuntu"] == "host"
    ids = [ev.id for ev in b.evidence]
    assert len(ids) == len(set(ids))
    for v in b.vantages:
        assert any(ev.vantage == v.id for ev in b.evidence), f"{v.id} has no evidence"


@pytest.mark.parametrize("ev_id", _bundle_ids())
def test_every_evidence_parses(ev_id: str) -> None:
    ev = next(e for e in read_bundle(BUNDLE).evidence if e.id == ev_id)
    if ev.kind not in kinds():
        pytest.skip(f"no parser for kind {ev.kind!r} yet (netatlas.parsers.{ev.kind.replace('-', '_')})")
    try:
        facts = parse(ev.kind, ev.data, source=ev.id)
    except ParseError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{ev.id}: {exc}")
    assert facts.kind == ev.kind


# --------------------------------------------------------------------------- rebuilding


def test_sources_are_the_evidence() -> None:
    build = _build_module()
    b = read_bundle(BUNDLE)
    by_id = {ev.id: ev for ev in b.evidence}
    assert [f"{s.vantage}/{s.kind}" for s in build.SOURCES] == list(by_id)
    for src in build.SOURCES:
        assert build.source_path(src).read_bytes() == by_id[f"{src.vantage}/{src.kind}"].data


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    out = tmp_path / "z820"
    subprocess.run([sys.executable, str(BUILD), str(out)], check=True, capture_output=True)
    committed = {p.relative_to(BUNDLE): p.read_bytes() for p in BUNDLE.rglob("*") if p.is_file()}
    rebuilt = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    ours = {Path("README.md"), Path(".gitattributes")}
    assert set(rebuilt) == set(committed) - ours
    for name, data in rebuilt.items():
        assert data == committed[name], f"{name} differs from a fresh build"


# --------------------------------------------------------------------------- the seed


def test_kali_ip_address_is_the_seed_verbatim() -> None:
    ev = next(e for e in read_bundle(BUNDLE).evidence if e.id == "wsl:kali-linux/ip-addr")
    block = _seed_block("\u2514\u2500$ ip address\n", "\n\u2514\u2500$ lsb_release -a")
    assert ev.data == block
    assert ev.data.startswith(b"1: lo: <LOOPBACK,UP,LOWER_UP>")
    assert b"00:15:5d:b3:93:cc" in ev.data and b"fe80::215:5dff:feb3:93cc/64" in ev.data


def test_ubuntu_ifconfig_is_the_seed_verbatim() -> None:
    ev = next(e for e in read_bundle(BUNDLE).evidence if e.id == "wsl:Ubuntu/ifconfig")
    assert ev.data == _seed_block("joe@z820:~$ ifconfig\n", "joe@z820:~$ lsb_release -a")
    assert ev.data.startswith(b"eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>")
    assert ev.data.endswith(b"collisions 0\n\n")


# --------------------------------------------------------------------------- formats


def _data(ev_id: str) -> bytes:
    return next(e for e in read_bundle(BUNDLE).evidence if e.id == ev_id).data


@pytest.mark.parametrize(
    "ev_id",
    [
        "host/ipconfig",
        "host/route-print",
        "host/hosts",
        "host/netsh-portproxy",
        "host/wslconfig",
        "host/nslookup",
        "host/tracert",
    ],
)
def test_windows_outputs_are_crlf(ev_id: str) -> None:
    data = _data(ev_id)
    assert data.count(b"\r\n") == data.count(b"\n") > 0


@pytest.mark.parametrize("ev_id", ["host/wsl-list", "host/wsl-version"])
def test_wsl_exe_writes_utf16le_crlf(ev_id: str) -> None:
    data = _data(ev_id)
    assert not data.startswith(b"\xff\xfe")
    text = data.decode("utf-16-le")
    assert text.count("\r\n") == text.count("\n") > 0


def test_planted_problems_are_in_the_evidence() -> None:
    """Each problem README.md lists under "What netatlas should find" is really there."""
    assert b"192.168.1.155 host.docker.internal\r\n" in _data("host/hosts")
    assert b"192.168.1.155" not in _data("host/ipconfig")
    assert b"192.168.1.155\thost.docker.internal\n" in _data("wsl:kali-linux/hosts")
    portproxy = _data("host/netsh-portproxy")
    assert b"0.0.0.0         2222        172.25.139.5    22\r\n" in portproxy
    assert b"172.25.139.5" not in _data("wsl:kali-linux/ip-route")
    assert b"127.0.1.1\tz820.localdomain\tz820\n" in _data("wsl:kali-linux/hosts")
    assert b"Address: 192.168.1.20\n" in _data("wsl:kali-linux/nslookup")
    assert _data("container:web/getent-hosts") == b"192.168.65.254  host.docker.internal\n"
    assert b'"5432/tcp": null' in _data("docker-desktop/docker-inspect")
    assert b"0.0.0.0:5432" in _data("container:db/ss-listen")
    assert b"127.0.0.1:8000" in _data("wsl:kali-linux/ss-listen")
