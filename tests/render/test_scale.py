"""Pictures of a big host: bounded aspect ratio, grids, replicas as one box, loopback once.

The big hosts come from ``bench/gen_big_bundle.py`` (60 containers on 12 networks, and
500 on 50, every fifth on two networks, 80-odd publishing a port).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import sys
from dataclasses import replace

import pytest
from tests.render.kit import ARTIFACTS, ROOT, need_binary

from netatlas.model.atlas import Atlas
from netatlas.render import atlas_text, dot
from netatlas.render.export import render
from netatlas.render.scene import build_scene

MAX_ASPECT = 3.0
"""Neither side of the picture more than three times the other (a 60-container host
used to give 13 053 × 1 883 px, every container in one row)."""


@functools.cache
def big(containers: int, networks: int) -> Atlas:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_big_bundle import build
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from netatlas.atlas import build_atlas

    return build_atlas(build(containers, networks))


def _svg_size(svg: bytes) -> tuple[float, float]:
    m = re.search(rb'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', svg)
    assert m, svg[:400]
    return float(m[1]), float(m[2])


@pytest.mark.parametrize(("containers", "networks"), [(60, 12), (500, 50)])
def test_picture_aspect_ratio_is_bounded(containers: int, networks: int) -> None:
    need_binary("dot", "Graphviz draws SVG and PNG")
    atlas = big(containers, networks)
    svg = render(atlas, "svg")
    w, h = _svg_size(svg)
    assert max(w / h, h / w) <= MAX_ASPECT, (w, h)
    texts = svg.decode()
    for node in atlas.nodes:  # wrapping drops nothing
        assert f">{node.name}<" in texts, node.name
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"big{containers}.svg").write_bytes(svg)
    if containers == 60:
        (ARTIFACTS / "big60.png").write_bytes(render(atlas, "png"))


def test_big_network_is_a_grid_not_a_row() -> None:
    assert [dot.columns(n) for n in (3, 5, 10, 40)] == [3, 5, 5, 8]
    scene = build_scene(big(60, 3))  # 20 containers a network
    text = dot.export(scene).decode()
    rows = re.findall(r"\{ rank=same; (?:g\d+; )?((?:[nr]\d+; )+)\}", text)
    assert rows and max(len(r.split(";")) - 1 for r in rows) <= 10


def _with_replicas(atlas: Atlas, service: str, count: int) -> Atlas:
    """The first ``count`` containers of the first network as replicas of ``service``."""
    first = next(n for n in atlas.networks if n.kind == "docker-bridge" and len(n.attachments) > count)
    ids = [a.node for a in first.attachments if a.node.startswith("node:container:")]
    single = {i for i in ids if sum(1 for net in atlas.networks for a in net.attachments if a.node == i) == 1}
    chosen = [i for i in ids if i in single][:count]
    assert len(chosen) == count
    nodes = tuple(replace(n, service=service) if n.id in chosen else n for n in atlas.nodes)
    return replace(atlas, nodes=nodes)


def test_replicas_of_one_service_are_one_box_with_a_count() -> None:
    atlas = _with_replicas(big(60, 3), "perf/worker", 6)
    scene = build_scene(atlas)
    (rs,) = scene.replicas
    assert rs.name == "worker ×6" and rs.service == "perf/worker" and len(rs.members) == 6
    addrs = sorted(
        (ipaddress.ip_address(p.address) for m in rs.members for p in scene.node(m).ports if p.address),
    )
    assert rs.rows[0][1] == f"eth0 {addrs[0]} … {addrs[-1]}"
    text = dot.export(scene).decode()
    assert "worker ×6" in text
    for m in rs.members:  # no box of its own
        assert f"  {m} [label=" not in text
    assert len(scene.drawn(scene.group(rs.home).members)) == len(scene.group(rs.home).members) - 5  # type: ignore[arg-type]


def test_one_replica_is_not_a_set() -> None:
    scene = build_scene(_with_replicas(big(60, 3), "perf/worker", 1))
    assert scene.replicas == ()


def _loopback_everywhere(atlas: Atlas) -> Atlas:
    """Each container with its own ``lo 127.0.0.1``, as a scan from inside shows them."""
    from netatlas.model.atlas import Attachment, Network

    lo = Network(
        "net:127.0.0.0/8",
        ipaddress.ip_network("127.0.0.0/8"),
        "loopback",
        "lo",
        attachments=tuple(
            Attachment(n.id, "lo", ipaddress.ip_address("127.0.0.1"), n.id) for n in atlas.nodes if n.kind != "router"
        ),
    )
    nodes = tuple(replace(n, vantages=n.vantages or (n.id,)) for n in atlas.nodes if n.kind != "router")
    others = tuple(n for n in atlas.networks if n.id != lo.id)
    return replace(atlas, networks=(*others, lo), nodes=(*nodes, *(n for n in atlas.nodes if n.kind == "router")))


def test_text_map_says_the_shared_loopback_once() -> None:
    atlas = _loopback_everywhere(big(60, 12))
    out = list(atlas_text.lines(atlas))
    held = sum(1 for n in atlas.nodes if n.kind != "router")
    assert f"    {'127.0.0.1':<40} loopback (lo) on every node ({held})" in out
    assert not any("127.0.0.1" in ln and "(lo)" in ln and "svc" in ln for ln in out)


def test_picture_says_the_shared_loopback_once() -> None:
    atlas = _loopback_everywhere(big(60, 12))
    scene = build_scene(atlas)
    lo = next(g for g in scene.groups if g.cidr == "127.0.0.0/8")
    assert lo.shared == sum(1 for n in atlas.nodes if n.kind != "router")
    text = dot.export(scene).decode()
    assert text.count("127.0.0.1") == 1 and f"of every node ({lo.shared})" in text
