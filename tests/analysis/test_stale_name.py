"""stale-name: generated hosts entries pointing at addresses nobody holds."""

from __future__ import annotations

from dataclasses import replace

from analysis.atlas_kit import COPIED, WIN_HOSTS, hosts, z820
from netatlas.analysis import Options
from netatlas.analysis.stale_name import check


def test_docker_desktop_entry_from_an_old_network() -> None:
    atlas = z820(
        names=(
            hosts(
                "host",
                "host.docker.internal",
                "192.168.0.105",
                23,
                file=WIN_HOSTS,
                writer="docker-desktop",
                marker="Added by Docker Desktop",
                evidence="host/hosts",
            ),
            hosts(
                "wsl:Ubuntu",
                "host.docker.internal",
                "192.168.0.105",
                6,
                writer="wsl",
                marker=COPIED,
                evidence="wsl:Ubuntu/hosts",
            ),
        )
    )
    [f] = check(atlas, Options())
    assert f.title == "host.docker.internal -> 192.168.0.105, an address no interface holds"
    assert "the host's LAN address is now 192.168.1.155" in f.detail
    assert f.evidence == ("host/hosts", "wsl:Ubuntu/hosts")
    assert f.fix is not None
    assert "Restart Docker Desktop" in f.fix
    assert f"edit {WIN_HOSTS} line 23" in f.fix and "`192.168.1.155 host.docker.internal`" in f.fix
    assert "wsl --shutdown" in f.fix


def test_wsl_copy_alone_is_enough() -> None:
    atlas = z820(names=(hosts("wsl:Ubuntu", "gateway.docker.internal", "10.9.8.7", 7, writer="wsl", marker=COPIED),))
    [f] = check(atlas, Options())
    assert "gateway.docker.internal" in f.title and "wsl:Ubuntu /etc/hosts line 7" in (f.fix or "")


def test_current_user_written_and_loopback_entries_are_fine() -> None:
    atlas = z820(
        names=(
            hosts("host", "host.docker.internal", "192.168.1.155", 23, file=WIN_HOSTS, writer="docker-desktop"),
            hosts("host", "kubernetes.docker.internal", "127.0.0.1", 26, file=WIN_HOSTS, writer="docker-desktop"),
            hosts("host", "printer", "192.168.1.77", 30, file=WIN_HOSTS),
            hosts("wsl:Ubuntu", "printer", "192.168.1.77", 9, writer="wsl", marker=COPIED),
            hosts("wsl:Ubuntu", "Z820", "127.0.1.1", 5, writer="wsl"),
        )
    )
    assert check(atlas, Options()) == []


def test_without_a_scanned_host_nothing_is_claimed() -> None:
    atlas = z820(names=(hosts("wsl:Ubuntu", "host.docker.internal", "10.9.8.7", 6, writer="wsl", marker=COPIED),))
    atlas = replace(atlas, nodes=tuple(n for n in atlas.nodes if n.kind != "host"), vantages=atlas.vantages[1:])
    assert check(atlas, Options()) == []
