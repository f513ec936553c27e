"""`why` and `resolve` agree, show NXDOMAIN with its fix, and exit with their answer."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path

import pytest
from tests.render.kit import z820

from netatlas.atlas import build_atlas
from netatlas.bundle import read_bundle, write_bundle
from netatlas.cli import EXIT_NO, EXIT_NO_ANSWER, main
from netatlas.model import Vantage, VantageKind
from netatlas.model.atlas import Atlas, Attachment, Network, Node
from netatlas.names import resolve, unanswered
from netatlas.reach import why

Z820 = str(Path(__file__).resolve().parents[1] / "examples" / "z820")
ip = ipaddress.ip_address


def _status(*args: str) -> int:
    try:
        return main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)


def test_resolve_from_finds_what_why_resolves() -> None:
    atlas = z820()
    name = "Z820.fios-router.home"  # only the host asked DNS for it, at a server web's resolver does not ask
    with pytest.raises(ValueError, match="does not resolve from web"):
        why(atlas, "web", name, None)
    assert resolve(atlas, name, "web") == []  # the two agree: the router's answer is the host's, not web's
    (got,) = resolve(atlas, name, "host")
    assert got.addresses == (ip("192.168.1.20"),) and got.source == "dns"


def test_another_vantages_dns_answer_counts_from_a_server_the_source_asks() -> None:
    """A DNS server's answer is anyone's who asks that server: the WSL VM asks the router too."""
    from dataclasses import replace

    atlas = z820()
    router = (ip("192.168.1.1"),)  # the server the host's answer came from
    atlas = replace(
        atlas,
        nodes=tuple(
            replace(n, dns=replace(n.dns, servers=router)) if n.id == "node:wsl-vm" else n for n in atlas.nodes
        ),
    )
    (got,) = resolve(atlas, "Z820.fios-router.home", "wsl:Ubuntu")
    assert got.addresses == (ip("192.168.1.20"),) and "as host asked it" in got.provenance
    assert why(atlas, "wsl:Ubuntu", "Z820.fios-router.home", None).address == ip("192.168.1.20")


def _compose_pair() -> Atlas:
    """web and db of one compose project on their user-defined network; nobody asked for db."""
    net = Network(
        "net:172.28.0.0/16",
        ipaddress.ip_network("172.28.0.0/16"),
        "docker-bridge",
        "docker network shop_default",
        attachments=(
            Attachment("node:container:shop-web-1", "eth0", ip("172.28.0.2")),
            Attachment("node:container:shop-db-1", "eth0", ip("172.28.0.3")),
        ),
    )
    nodes = (
        Node("node:container:shop-web-1", "container", "shop-web-1", ("container:shop-web-1",), service="shop/web"),
        Node("node:container:shop-db-1", "container", "shop-db-1", ("container:shop-db-1",), service="shop/db"),
    )
    vantages = tuple(Vantage(v, VantageKind.CONTAINER, v.split(":")[1]) for n in nodes for v in n.vantages)
    return Atlas("netatlas-atlas/1", vantages, nodes, (net,))


def test_resolve_from_a_container_answers_as_dockers_dns() -> None:
    atlas = _compose_pair()
    (got,) = resolve(atlas, "db", "shop-web-1")
    assert got.addresses == (ip("172.28.0.3"),) and got.source == "docker-dns"
    assert "compose service shop/db" in got.provenance
    assert resolve(atlas, "shop-db-1", "shop-web-1")[0].addresses == (ip("172.28.0.3"),)
    assert resolve(atlas, "cache", "shop-web-1") == []
    # the default bridge has no name service
    default = replace(atlas.networks[0], label="docker network bridge")
    assert resolve(replace(atlas, networks=(default,)), "db", "shop-web-1") == []


def _nxdomain_bundle(tmp_path: Path) -> str:
    """A Linux Docker host (bench's generator) whose resolver says NXDOMAIN for host.docker.internal.

    The answer is busybox ``nslookup``'s output for a name that does not exist.
    """
    import sys

    from netatlas.model import Evidence

    sys.path.insert(0, str(Path(Z820).parents[1] / "bench"))
    try:
        from gen_big_bundle import build
    finally:
        sys.path.pop(0)
    b = build(4, 2)
    nslookup = Evidence(
        "host/nslookup-hdi",
        "host",
        "nslookup",
        ("nslookup", "host.docker.internal"),
        b"Server:\t\t127.0.0.53\nAddress:\t127.0.0.53:53\n\n** server can't find host.docker.internal: NXDOMAIN\n\n",
    )
    out = tmp_path / "b"
    write_bundle(replace(b, evidence=(*b.evidence, nslookup)), out)
    return str(out)


def test_nxdomain_shows_as_nxdomain_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = _nxdomain_bundle(tmp_path)
    atlas = build_atlas(read_bundle(bundle), analyze=False)
    assert [r.status for r in unanswered(atlas, "host.docker.internal", "host")] == ["NXDOMAIN"]
    capsys.readouterr()
    assert _status("resolve", "host.docker.internal", "--from", "host", "--bundle", bundle) == EXIT_NO
    out = capsys.readouterr().out
    assert "NXDOMAIN" in out and "no vantage has an answer" not in out
    assert "--add-host host.docker.internal:host-gateway" in out


def test_resolve_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert _status("resolve", "host.docker.internal", "--bundle", Z820) == 0
    assert _status("resolve", "nothing.invalid", "--bundle", Z820) == EXIT_NO_ANSWER
    assert _status("resolve", "x", "--from", "nowhere", "--bundle", Z820) == 2
    assert _status("resolve", "x", "--bundle", "/nonexistent.zip") == 2


def test_why_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert _status("why", "lan", "web:80", "--bundle", Z820) == 0
    assert _status("why", "lan", "db:5432", "--bundle", Z820) == EXIT_NO
    assert _status("why", "lan", "db:5432", "--bundle", Z820, "--json") == EXIT_NO
    assert _status("why", "web", "8.8.8.8", "--bundle", Z820) == EXIT_NO_ANSWER  # leaves the map
    assert _status("why", "lan", "nosuchthing:80", "--bundle", Z820) == 2
    assert len({0, 1, 2, EXIT_NO, EXIT_NO_ANSWER}) == 5


def test_lab_up_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _status("lab", "up", str(tmp_path / "nofile.yaml")) == 2
    assert "no such file" in capsys.readouterr().err
