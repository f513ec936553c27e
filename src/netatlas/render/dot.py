"""Graphviz: the scene as DOT text, and as SVG or PNG through the ``dot`` binary.

Networks are clusters in their kind's colours, labelled with name, CIDR, kind and
owner. Nodes are tables: a header (name, kind, where it runs) and one row per
attachment, the row tinted with its network's colour; a row that is not the node's
own cluster has an edge into that cluster. Forwards are arrows from a row of the
listening node to the row that holds the connect address (or to a dashed red box when
nobody holds it). A legend lists the network kinds shown and the edge styles.

Large networks are a grid, not a row: a cluster's boxes wrap into rows of
:func:`columns` boxes, and the clusters one node fans out to (a host's 50 bridges)
wrap into shelves no wider than the picture should be (:func:`_shelves`), so the
picture's aspect ratio stays bounded however many containers there are. Replicas of
one compose service are one box with a count; the loopback every node repeats is said
once, on the loopback cluster.

User data only appears in HTML-like labels (escaped with :func:`html.escape`); every
identifier is a positional scene id.

Graphviz runs as ``dot -T<format>`` from an argv list with a timeout, never through a
shell; where it is missing, :class:`GraphvizMissingError` says how to install it.
"""

from __future__ import annotations

import html
import itertools
import math
import shutil
import subprocess
from collections.abc import Iterator

from netatlas.errors import NetatlasError
from netatlas.render.scene import FORWARD_COLOUR, STALE_COLOUR, Group, ReplicaSet, Scene, SceneNode

__all__ = ["GraphvizError", "GraphvizMissingError", "export", "export_png", "export_svg", "run_dot"]

FONT = "Helvetica,Arial,sans-serif"
MONO = "DejaVu Sans Mono,Menlo,Consolas,monospace"
TIMEOUT = 60.0

INSTALL_HINT = (
    "Graphviz's 'dot' is not installed: install it (apt-get install graphviz; brew install graphviz; "
    "winget install graphviz) or use --format mermaid, md, html or dot, which need nothing"
)


class GraphvizError(NetatlasError):
    """Graphviz could not draw the picture."""


class GraphvizMissingError(GraphvizError):
    """The ``dot`` binary is not on ``PATH``; the message says how to install it."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


def _h(text: str) -> str:
    """Text for an HTML-like label."""
    return html.escape(text, quote=True)


def _group_label(scene: Scene, g: Group) -> str:
    title = f"<b>{_h(g.caption)}</b><br/>" if g.caption else ""
    owner = f" · {_h(g.owner)}" if g.owner else ""
    shared = ""
    if g.shared:
        port = next(p for n in scene.nodes for p in n.ports if p.group == g.id)
        shared = (
            f'<br/><font point-size="10">{_h(port.address or "?")} on {_h(port.interface)} '
            f"of every node ({g.shared})</font>"
        )
    return (
        f'<{title}<font point-size="13"><b>{_h(g.cidr)}</b></font>'
        f'<br/><font point-size="10" color="{g.style.stroke}">{_h(g.kind)}{owner}</font>{shared}>'
    )


# Box size estimates (points) for wrapping: Helvetica 11 pt averages ~6 pt a character,
# the bold monospaced address ~6.6 pt; a row is ~18 pt, the two-line header ~32 pt.
_ROW_H = 18.0
_HEAD_H = 32.0
_NODESEP = 0.35 * 72
_RANKSEP = 0.8 * 72
WIDTH_BUDGET = 1600.0
"""Points: wider than this, the clusters one node fans out to wrap into shelves."""
ASPECT = 1.6
"""The width:height the shelves aim for when the picture must wrap."""


def columns(count: int) -> int:
    """Boxes per row in a cluster of ``count`` boxes: a row up to 5, then a grid.

    Example:
        >>> [columns(n) for n in (1, 5, 6, 16, 60, 500)]
        [1, 5, 5, 5, 10, 10]
    """
    if count <= 5:
        return max(count, 1)
    return max(5, min(10, math.ceil(math.sqrt(count * 1.5))))


def _box(scene: Scene, box: str) -> tuple[float, float]:
    """Estimated (width, height) in points of a node or replica box."""
    rs = next((r for r in scene.replicas if r.id == box), None)
    if rs is not None:
        texts = [t for _g, t in rs.rows]
        head = (rs.name, rs.subtitle)
    else:
        node = scene.node(box)
        texts = [p.text for p in scene.box_ports(node)]
        texts += [f"➜ {f.via} {f.listen} → {f.connect}" for f in scene.forwards if f.node == box]
        head = (node.name, node.subtitle)
    w = max([len(head[0]) * 7.0, len(head[1]) * 5.0, *(len(t) * 6.6 + 12 for t in texts)]) + 10
    return w, _HEAD_H + _ROW_H * len(texts) + 8


def _replica_label(scene: Scene, rs: ReplicaSet, stroke: str, fill: str) -> str:
    rows = [
        f'<tr><td bgcolor="{fill}" align="left" balign="left">'
        f'<font color="white"><b>{_h(rs.name)}</b></font><br/>'
        f'<font color="#cfd8dc" point-size="9">{_h(rs.subtitle)}</font></td></tr>'
    ]
    for gid, text in rs.rows:
        g = scene.group(gid)
        rows.append(
            f'<tr><td port="{gid}" bgcolor="{g.style.fill}" align="left">'
            f'<font color="{g.style.stroke}">■</font> <font face="{MONO}"><b>{_h(text)}</b></font></td></tr>'
        )
    return (
        f'<<table border="3" cellborder="0" cellspacing="0" cellpadding="4" style="rounded" '
        f'color="{stroke}" bgcolor="white">{"".join(rows)}</table>>'
    )


def _node_label(scene: Scene, node: SceneNode) -> str:
    rows = [
        f'<tr><td bgcolor="{node.style.fill}" align="left" balign="left">'
        f'<font color="white"><b>{_h(node.name)}</b></font><br/>'
        f'<font color="#cfd8dc" point-size="9">{_h(node.subtitle)}</font></td></tr>'
    ]
    for p in scene.box_ports(node):
        g = scene.group(p.group)
        rows.append(
            f'<tr><td port="{p.id}" bgcolor="{g.style.fill}" align="left">'
            f'<font color="{g.style.stroke}">■</font> {_h(p.interface)}  '
            f'<font face="{MONO}"><b>{_h(p.address or "?")}</b></font></td></tr>'
        )
    for f in scene.forwards:
        if f.node == node.id:
            colour = STALE_COLOUR if f.stale else FORWARD_COLOUR
            rows.append(
                f'<tr><td port="{f.id}" align="left"><font color="{colour}">➜ {_h(f.via)} '
                f'<font face="{MONO}">{_h(f.listen)}</font> → '
                f'<font face="{MONO}">{_h(f.connect)}</font></font></td></tr>'
            )
    body = "".join(rows)
    return (
        f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="4" '
        f'color="{node.style.stroke}" bgcolor="white">{body}</table>>'
    )


def _legend(scene: Scene) -> str:
    rows = ['<tr><td colspan="2" align="left"><b>Legend</b></td></tr>']
    for kind, style in scene.legend:
        rows.append(
            f'<tr><td bgcolor="{style.fill}" border="1" color="{style.stroke}" width="28"> </td>'
            f'<td align="left">{_h(kind)}: {_h(style.text)}</td></tr>'
        )
    rows.append(
        '<tr><td align="center"><font color="#546e7a">———</font></td>'
        '<td align="left">attachment: interface and address on that network</td></tr>'
    )
    rows.append(
        f'<tr><td align="center"><font color="{FORWARD_COLOUR}">—➜</font></td>'
        '<td align="left">forward: published port or portproxy rule</td></tr>'
    )
    rows.append(
        f'<tr><td align="center"><font color="{STALE_COLOUR}">- -➜</font></td>'
        '<td align="left">stale forward: nobody holds its target</td></tr>'
    )
    return f'<<table border="1" cellborder="0" cellspacing="2" cellpadding="3" color="#b0bec5">{"".join(rows)}</table>>'


def _rows(scene: Scene, g: Group, adopted: dict[str, list[str]] | None = None) -> list[list[str]]:
    """The boxes of a cluster (replica sets once), in rows of :func:`columns`."""
    boxes = scene.drawn([*g.members, *(adopted or {}).get(g.id, [])])
    if not boxes:
        return []
    cols = columns(len(boxes))
    return [boxes[i : i + cols] for i in range(0, len(boxes), cols)]


def _cluster_size(scene: Scene, rows: list[list[str]]) -> tuple[float, float]:
    if not rows:
        return 160.0, 60.0
    sizes = [[_box(scene, b) for b in row] for row in rows]
    w = max(sum(x for x, _y in row) + _NODESEP * (len(row) - 1) for row in sizes) + 28
    h = sum(max(y for _x, y in row) for row in sizes) + _RANKSEP * (len(rows) - 1) + 60
    return w, h


def _fan(scene: Scene, layout: dict[str, list[list[str]]]) -> tuple[list[str], set[str]]:
    """The clusters something fans out to (a host's bridges) and the boxes above them.

    Returns the ids of the clusters with members that some box attaches to from
    outside (not as its uplink), in scene order, when side by side they would be
    wider than :data:`WIDTH_BUDGET` (else none), and the ids of the boxes that feed
    them from above (not themselves hanging below one of these clusters).
    """
    fan = [
        g.id
        for g in scene.groups
        if g.wired and any(p.group == g.id and not p.uplink for n in scene.nodes for p in n.edge_ports)
    ]
    total = sum(_cluster_size(scene, layout.get(gid, []))[0] for gid in fan) + _NODESEP * max(len(fan) - 1, 0)
    if len(fan) < 2 or total <= WIDTH_BUDGET:
        return [], set()
    within = {m for gid in fan for row in layout.get(gid, []) for b in row for m in _members_of(scene, b)}
    feeders = {
        n.id
        for n in scene.nodes
        if n.id not in within
        and not any(p.uplink and p.group in fan for p in n.ports)
        and any(p.group in fan and not p.uplink for p in n.edge_ports)
    }
    return fan, feeders


def _shelves(scene: Scene, layout: dict[str, list[list[str]]], fan: list[str], feeders: set[str]) -> Iterator[str]:
    """Invisible edges that stack the fan-out clusters in shelves.

    Side by side, a host's 50 bridges make a picture 30 times wider than tall. The
    lines into them are drawn without ranking (``constraint=false``); instead they are
    packed into shelves about ``sqrt(area × ASPECT)`` wide: the top rows of a shelf's
    clusters share a rank and keep their order (flat invisible edges), the first shelf
    hangs below the boxes that feed them, each next one below the whole shelf above.
    """
    sizes = {gid: _cluster_size(scene, layout.get(gid, [])) for gid in fan}
    area = sum(w * h for w, h in sizes.values())
    budget = max(WIDTH_BUDGET, math.sqrt(area * ASPECT), max(w for w, _h in sizes.values()))
    shelves: list[list[str]] = [[]]
    used = 0.0
    for gid in fan:
        w = sizes[gid][0]
        if shelves[-1] and used + w > budget:
            shelves.append([])
            used = 0.0
        shelves[-1].append(gid)
        used += w + _NODESEP
    for gid in shelves[0]:
        for feeder in sorted(feeders):
            yield f"  {feeder} -> {gid} [style=invis, minlen=1];"
    spine = min(feeders, key=lambda f: int(f[1:]), default=None)
    for k, shelf in enumerate(shelves):
        # one rank for the shelf's top rows, kept in order by flat invisible edges
        yield f"  {{ rank=same; {'; '.join(shelf)}; }}"
        for a, b in itertools.pairwise(shelf):
            yield f"  {a} -> {b} [style=invis];"
        if spine is not None and not k:
            yield f"  {spine} -> {shelf[0]} [style=invis, weight=20];"
        if k:
            above = shelves[k - 1]
            for i, gid in enumerate(shelf):
                # column by column, heavy: a grid, not a staircase
                over = above[min(i, len(above) - 1)]
                bottom = layout[over][-1][0] if layout.get(over) else over
                yield f"  {bottom} -> {gid} [style=invis, minlen=1, weight={20 if i < len(above) else 0}];"
            for gid in above[len(shelf) :]:
                bottom = layout[gid][-1][0] if layout.get(gid) else gid
                yield f"  {bottom} -> {shelf[-1]} [style=invis, minlen=1, weight=0];"
    last = shelves[-1][0]
    yield f"  {layout[last][-1][0] if layout.get(last) else last} -> legend [style=invis, weight=20];"


def _adopt(scene: Scene, fan: list[str]) -> dict[str, list[str]]:
    """Containers on two or more fanned-out networks, drawn inside one of them.

    Such a container belongs to no one cluster, so on its own it takes a place in a
    row above the clusters; a host with 100 of them gets a row of 100 boxes. When the
    clusters wrap into shelves, each sits inside its uplink's cluster instead (else
    its first network's), with its line to the others.
    """
    out: dict[str, list[str]] = {}
    for n in scene.nodes:
        if n.home is not None or n.kind not in ("container", "pod"):
            continue
        wired = [p for p in n.ports if scene.group(p.group).wired]
        if not wired or any(p.group not in fan for p in wired):
            continue
        chosen = next((p.group for p in wired if p.uplink), wired[0].group)
        out.setdefault(chosen, []).append(n.id)
    return out


def _members_of(scene: Scene, box: str) -> tuple[str, ...]:
    rs = next((r for r in scene.replicas if r.id == box), None)
    return rs.members if rs is not None else (box,)


def _lines(scene: Scene) -> Iterator[str]:
    yield "digraph netatlas {"
    yield (
        f"  graph [rankdir=TB, compound=true, newrank=true, nodesep=0.35, ranksep=0.8, pad=0.4, "
        f'fontname="{FONT}", fontsize=12, labelloc=t, bgcolor="white", '
        f'label=<<font point-size="16"><b>{_h(scene.title)}</b></font>>];'
    )
    yield f'  node [shape=plain, fontname="{FONT}", fontsize=11];'
    yield f'  edge [fontname="{FONT}", fontsize=10, arrowhead=none, penwidth=1.4];'
    layout = {g.id: _rows(scene, g) for g in scene.groups if g.members}
    fan, feeders = _fan(scene, layout)
    adopted = _adopt(scene, fan)
    if adopted:
        layout = {g.id: rows for g in scene.groups if (rows := _rows(scene, g, adopted))}
        fan, feeders = _fan(scene, layout)
    home = {b: gid for gid, rows in layout.items() for row in rows for b in row}
    for g in scene.groups:
        yield f"  subgraph cluster_{g.id} {{"
        yield f"    label={_group_label(scene, g)};"
        yield (
            f'    style="rounded,filled"; fillcolor="{g.style.fill}"; color="{g.style.stroke}"; '
            f"penwidth=2; margin=14; labeljust=l;"
        )
        yield f"    {g.id} [shape=point, width=0.01, height=0.01, style=invis];"
        if g.id in layout:
            rows = layout[g.id]
            for i, row in enumerate(rows):
                yield f"    {{ rank=same; {g.id + '; ' if i == 0 else ''}{'; '.join(row)}; }}"
            for upper, lower in itertools.pairwise(rows):
                for a, b in zip(upper, lower, strict=False):
                    yield f"    {a} -> {b} [style=invis, weight=4];"
        yield "  }"
    replica_of = {m: rs for rs in scene.replicas for m in rs.members}
    for node in scene.nodes:
        if node.id not in replica_of:
            yield f"  {node.id} [label={_node_label(scene, node)}];"
    for rs in scene.replicas:
        first = scene.node(rs.members[0])
        yield f"  {rs.id} [label={_replica_label(scene, rs, first.style.stroke, first.style.fill)}];"
    for ghost in scene.ghosts:
        yield (
            f'  {ghost.id} [shape=box, style="rounded,dashed", color="{STALE_COLOUR}", '
            f'fontcolor="{STALE_COLOUR}", label=<<b>{_h(ghost.address)}</b><br/>held by no node>];'
        )
    done: set[tuple[str, str]] = set()
    for node in scene.nodes:
        rset = replica_of.get(node.id)
        box = rset.id if rset is not None else node.id
        for p in node.edge_ports:
            g = scene.group(p.group)
            if home.get(box) == g.id:
                continue  # adopted into this cluster: it sits there
            port = g.id if rset is not None else p.id
            if (box, port) in done:
                continue
            done.add((box, port))
            if not g.wired:
                # Every node has its own loopback: a line from each to one shared box would
                # say they share a wire. The row (tinted in the group's colour) says it all;
                # an invisible edge only keeps these groups below their nodes.
                yield f"  {box} -> {g.id} [style=invis, weight=0];"
            elif p.uplink:  # the network a node's default route goes to sits above it
                yield f'  {g.id} -> {box}:{port} [ltail=cluster_{g.id}, color="{g.style.stroke}"];'
            else:
                free = ", constraint=false, weight=0" if g.id in fan else ""  # the shelves place it
                yield f'  {box}:{port} -> {g.id} [lhead=cluster_{g.id}, color="{g.style.stroke}"{free}];'
    parents: set[str] = set()
    for node in scene.nodes:
        # A VM or container sits below what it runs in, even with no wire between them.
        if node.parent_id is None:
            continue
        rset = replica_of.get(node.id)
        box = rset.id if rset is not None else node.id
        up = next((p.group for p in node.ports if p.uplink), node.home)
        edge = f"  {replica_of[node.parent_id].id if node.parent_id in replica_of else node.parent_id} -> {up or box}"
        if edge not in parents:
            parents.add(edge)
            yield f"{edge} [style=invis];"
    if fan:
        yield from _shelves(scene, layout, fan, feeders)
    for f in scene.forwards:
        src = f"{replica_of[f.node].id}" if f.node in replica_of else f"{f.node}:{f.id}"
        if f.ghost is not None:
            yield (
                f'  {src} -> {f.ghost} [color="{STALE_COLOUR}", style=dashed, arrowhead=normal, '
                f"penwidth=2, constraint=false, weight=0];"
            )
        elif f.target_node is not None and f.target_node in replica_of:
            rs = replica_of[f.target_node]
            port = f":{scene.port(f.target_port).group}" if f.target_port is not None else ""
            yield (
                f'  {src} -> {rs.id}{port} [color="{FORWARD_COLOUR}", arrowhead=normal, '
                f"penwidth=2, constraint=false, weight=0];"
            )
        elif f.target_port is not None and f.target_node is not None:
            yield (
                f'  {src} -> {f.target_node}:{f.target_port} [color="{FORWARD_COLOUR}", '
                f"arrowhead=normal, penwidth=2, constraint=false, weight=0];"
            )
        elif f.target_node is not None:
            yield (
                f'  {src} -> {f.target_node} [color="{FORWARD_COLOUR}", arrowhead=normal, '
                f"penwidth=2, constraint=false, weight=0];"
            )
    yield f"  legend [label={_legend(scene)}];"
    bottom = " ".join(g.id for g in scene.groups if not g.wired)
    yield f"  {{ rank=same; {bottom} legend; }}"
    yield "}"


def export(scene: Scene) -> bytes:
    """The DOT text of a scene (no Graphviz needed)."""
    return ("\n".join(_lines(scene)) + "\n").encode("utf-8")


def run_dot(dot_text: bytes, fmt: str, *, extra: tuple[str, ...] = ()) -> bytes:
    """Run Graphviz's ``dot`` on DOT text.

    Args:
        dot_text: the graph.
        fmt: a Graphviz output format (``svg``, ``png``).
        extra: more ``dot`` arguments (``-Gdpi=120``).

    Returns:
        What ``dot`` wrote.

    Raises:
        GraphvizMissingError: ``dot`` is not installed.
        GraphvizError: ``dot`` failed or timed out.
    """
    binary = shutil.which("dot")
    if binary is None:
        raise GraphvizMissingError()
    try:
        done = subprocess.run(
            [binary, f"-T{fmt}", *extra], input=dot_text, capture_output=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"dot -T{fmt} took longer than {TIMEOUT:g}s") from None
    except OSError as exc:
        raise GraphvizError(f"cannot run {binary!r}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[0]
        raise GraphvizError(f"dot -T{fmt} failed (exit {done.returncode}): {first}")
    return done.stdout


def export_svg(scene: Scene) -> bytes:
    """The scene as SVG, drawn by Graphviz."""
    return run_dot(export(scene), "svg")


def export_png(scene: Scene) -> bytes:
    """The scene as PNG, drawn by Graphviz."""
    return run_dot(export(scene), "png", extra=("-Gdpi=110",))
