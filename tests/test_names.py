"""resolve(): every answer per vantage, with provenance and lookup order."""

from __future__ import annotations

import ipaddress

from analysis.atlas_kit import COPIED, WIN_HOSTS, dns, hosts, z820
from netatlas.model.atlas import NameRecord
from netatlas.names import Resolution, provenance, resolve


def _atlas():  # type: ignore[no-untyped-def]
    return z820(
        names=(
            dns("wsl:kali-linux", "Z820", "192.168.1.20", evidence="kali/nslookup"),
            hosts("wsl:kali-linux", "z820", "127.0.1.1", 5, writer="wsl", evidence="kali/hosts"),
            NameRecord("wsl:kali-linux", "z820", (ipaddress.ip_address("127.0.1.1"),), "nss", evidence="kali/getent"),
            hosts(
                "host",
                "host.docker.internal",
                "192.168.1.155",
                23,
                file=WIN_HOSTS,
                writer="docker-desktop",
                marker="Added by Docker Desktop",
                evidence="host/hosts",
            ),
            hosts(
                "wsl:Ubuntu",
                "host.docker.internal",
                "192.168.1.155",
                6,
                writer="wsl",
                marker=COPIED,
                evidence="ubuntu/hosts",
            ),
            NameRecord(
                "container:web",
                "host.docker.internal",
                (ipaddress.ip_address("192.168.65.254"),),
                "nss",
                evidence="web/getent",
            ),
        )
    )


def test_hosts_file_comes_first() -> None:
    got = resolve(_atlas(), "Z820.", vantage="wsl:kali-linux")
    assert [(r.source, r.first, r.order) for r in got] == [("hosts", True, 0), ("dns", False, 1), ("nss", False, 2)]
    assert got[0].provenance == "/etc/hosts line 5, written by WSL"
    assert got[1].provenance == "DNS server 192.168.1.1"
    assert got[2].provenance == "/etc/hosts line 5, written by WSL (as getent returned it)"


def test_every_vantage_with_provenance_and_origin() -> None:
    got = resolve(_atlas(), "HOST.docker.internal")
    assert [r.vantage for r in got] == ["host", "wsl:Ubuntu", "container:web"]
    assert all(r.first for r in got)
    win, ubuntu, web = got
    assert win.provenance == rf"{WIN_HOSTS} line 23, written by Docker Desktop" and win.writer == "docker-desktop"
    assert ubuntu.provenance.startswith("/etc/hosts line 6, copied by WSL from the Windows hosts file")
    assert ubuntu.origin == rf"{WIN_HOSTS} line 23 on host, where Docker Desktop wrote it"
    assert web.provenance == "Docker's embedded DNS (127.0.0.11), as getent returned it"


def test_vantage_by_node_id_and_unknown_names() -> None:
    got = resolve(_atlas(), "z820", vantage="node:wsl-vm")
    assert {r.vantage for r in got} == {"wsl:kali-linux"}
    assert resolve(_atlas(), "nope.example") == []


def test_provenance_wording() -> None:
    rec = NameRecord(
        "container:web",
        "x",
        (ipaddress.ip_address("192.0.2.1"),),
        "docker-dns",
        server=ipaddress.ip_address("127.0.0.11"),
    )
    assert provenance(rec) == "Docker's embedded DNS (127.0.0.11)"


def test_resolution_round_trips() -> None:
    r = resolve(_atlas(), "z820")[0]
    assert Resolution.from_dict(r.to_dict()) == r


def test_a_big_hosts_file_is_looked_up_through_one_index(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An ad-block hosts file of thousands of names: each lookup must not scan them all.

    Counted, not timed: name-divergence asks for every name, and a scan of every record
    per name (N² normalizations) took minutes at 50 000 lines.
    """
    import netatlas.names as names_mod
    from netatlas.analysis import Options, name_divergence

    n = 3000
    big = tuple(hosts("wsl:kali-linux", f"ads{i}.tracker.example", "0.0.0.0", 10 + i) for i in range(n))
    atlas = _atlas()
    atlas = z820(names=(*atlas.names, *big))
    calls = 0
    real = names_mod.normalize

    def counting(name: str) -> str:
        nonlocal calls
        calls += 1
        return real(name)

    monkeypatch.setattr(names_mod, "normalize", counting)
    name_divergence.check(atlas, Options())
    assert calls < 10 * n  # linear: a few per record and per name, not n per name
    assert [r.name for r in resolve(atlas, "ads7.tracker.example")] == ["ads7.tracker.example"]
