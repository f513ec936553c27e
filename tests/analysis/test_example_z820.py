"""The Z820 example bundle gives the findings its README documents.

``examples/z820/README.md`` ("What netatlas should find") lists five planted problems;
each is checked here on the atlas built from the bundle, together with what ``why``
says for the two classic cases: a container port not published, and a WSL service
that only Windows reaches (through localhost forwarding).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netatlas.model.atlas import Atlas, Finding

BUNDLE = Path(__file__).resolve().parents[2] / "examples" / "z820"

pytestmark = pytest.mark.skipif(not (BUNDLE / "manifest.json").exists(), reason="examples/z820 not built")


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    from netatlas.atlas import build_atlas
    from netatlas.bundle import read_bundle

    return build_atlas(read_bundle(BUNDLE))


def _of(atlas: Atlas, code: str) -> list[Finding]:
    return [f for f in atlas.findings if f.code == code]


def test_1_stale_host_docker_internal(atlas: Atlas) -> None:
    [f] = _of(atlas, "stale-name")
    assert "host.docker.internal" in f.title and "192.168.1.155" in f.title
    assert {"host/hosts", "wsl:kali-linux/hosts"} <= set(f.evidence)
    assert "may now be another device" in f.detail
    assert "Restart Docker Desktop" in (f.fix or "") and "wsl --shutdown" in (f.fix or "")


def test_2_stale_portproxy_rule(atlas: Atlas) -> None:
    [f] = _of(atlas, "stale-forward")
    assert "2222" in f.title and "172.25.139.5" in f.title
    assert f.evidence == ("host/netsh-portproxy",)
    assert "netsh interface portproxy delete v4tov4 listenport=2222" in (f.fix or "")
    assert "connectaddress=172.25.150.37" in (f.fix or "")


def test_2_the_good_rule_reaches_kali(atlas: Atlas) -> None:
    from netatlas.reach import why

    r = why(atlas, "lan", "wsl:kali-linux", 3000)
    # delivered as far as netatlas can see: Windows Firewall (inbound default Block) was not read
    assert r.verdict == "delivered" and r.reachable is None and r.entry == "192.168.1.20:3000"
    assert "Windows Firewall on Z820 (inbound rules)" in r.unread
    assert any(h.action == "forward" and "portproxy" in h.note for h in r.hops)


def test_3_names_by_where_you_ask(atlas: Atlas) -> None:
    found = {f.title.split(" ")[0].lower(): f for f in _of(atlas, "name-divergence")}
    z820 = found["z820"]
    assert "127.0.1.1 (/etc/hosts line 5, written by WSL)" in z820.detail and "192.168.1.20" in z820.detail
    hdi = found["host.docker.internal"]
    assert "192.168.65.254 from container:web" in hdi.detail and "192.168.1.155 from host" in hdi.detail
    assert "copied by WSL" in hdi.detail
    assert "kubernetes.docker.internal" not in found


def test_4_db_is_not_reachable_from_the_lan(atlas: Atlas) -> None:
    titles = [f.title for f in _of(atlas, "unreachable-service")]
    assert any(t.startswith("db:5432") for t in titles)
    assert not any(t.startswith("web:") for t in titles)  # published as 8080
    db = next(f for f in _of(atlas, "unreachable-service") if f.title.startswith("db:5432"))
    assert '- "5432:5432"' in (db.fix or "")


def test_4_why_explains_the_container_case(atlas: Atlas) -> None:
    from netatlas.reach import why

    r = why(atlas, "lan", "container:db", 5432)
    assert not r.reachable and "does not publish port 5432" in (r.reason or "")
    web = why(atlas, "lan", "container:web", 80)
    assert web.verdict == "delivered" and web.entry == "192.168.1.20:8080"


def test_5_wsl_listener_reached_only_through_localhost_forwarding(atlas: Atlas) -> None:
    from netatlas.reach import why

    lan = why(atlas, "lan", "wsl:kali-linux", 8000)
    assert not lan.reachable
    assert any("0.0.0.0:8000" in f for f in lan.fixes) and any("mirrored" in f for f in lan.fixes)
    win = why(atlas, "host", "wsl:kali-linux", 8000)
    assert win.reachable and win.entry == "127.0.0.1:8000"
    assert "localhost forwarding" in win.hops[1].note
    assert any(t.startswith("172.25.150.37:8000") for t in win.tried)


def test_nothing_collides_today_or_at_the_next_allocations(atlas: Atlas) -> None:
    assert _of(atlas, "pool-overlap") == []
    assert _of(atlas, "pool-future-overlap") == []
