"""Graphviz: the scene as DOT text, and as SVG or PNG through the ``dot`` binary.

Networks are clusters in their kind's colours, labelled with name, CIDR, kind and
owner. Nodes are tables: a header (name, kind, where it runs) and one row per
attachment, the row tinted with its network's colour; a row that is not the node's
own cluster has an edge into that cluster. Forwards are arrows from a row of the
listening node to the row that holds the connect address (or to a dashed red box when
nobody holds it). A legend lists the network kinds shown and the edge styles.

User data only appears in HTML-like labels (escaped with :func:`html.escape`); every
identifier is a positional scene id.

Graphviz runs as ``dot -T<format>`` from an argv list with a timeout, never through a
shell; where it is missing, :class:`GraphvizMissingError` says how to install it.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from collections.abc import Iterator

from netatlas.errors import NetatlasError
from netatlas.render.scene import FORWARD_COLOUR, STALE_COLOUR, Group, Scene, SceneNode

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


def _group_label(g: Group) -> str:
    title = f"<b>{_h(g.caption)}</b><br/>" if g.caption else ""
    owner = f" · {_h(g.owner)}" if g.owner else ""
    return (
        f'<{title}<font point-size="13"><b>{_h(g.cidr)}</b></font>'
        f'<br/><font point-size="10" color="{g.style.stroke}">{_h(g.kind)}{owner}</font>>'
    )


def _node_label(scene: Scene, node: SceneNode) -> str:
    rows = [
        f'<tr><td bgcolor="{node.style.fill}" align="left" balign="left">'
        f'<font color="white"><b>{_h(node.name)}</b></font><br/>'
        f'<font color="#cfd8dc" point-size="9">{_h(node.subtitle)}</font></td></tr>'
    ]
    for p in node.ports:
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


def _lines(scene: Scene) -> Iterator[str]:
    yield "digraph netatlas {"
    yield (
        f"  graph [rankdir=TB, compound=true, newrank=true, nodesep=0.35, ranksep=0.8, pad=0.4, "
        f'fontname="{FONT}", fontsize=12, labelloc=t, bgcolor="white", '
        f'label=<<font point-size="16"><b>{_h(scene.title)}</b></font>>];'
    )
    yield f'  node [shape=plain, fontname="{FONT}", fontsize=11];'
    yield f'  edge [fontname="{FONT}", fontsize=10, arrowhead=none, penwidth=1.4];'
    for g in scene.groups:
        yield f"  subgraph cluster_{g.id} {{"
        yield f"    label={_group_label(g)};"
        yield (
            f'    style="rounded,filled"; fillcolor="{g.style.fill}"; color="{g.style.stroke}"; '
            f"penwidth=2; margin=14; labeljust=l;"
        )
        yield f"    {g.id} [shape=point, width=0.01, height=0.01, style=invis];"
        if g.members:
            yield f"    {{ rank=same; {g.id}; {'; '.join(g.members)}; }}"
        yield "  }"
    for node in scene.nodes:
        yield f"  {node.id} [label={_node_label(scene, node)}];"
    for ghost in scene.ghosts:
        yield (
            f'  {ghost.id} [shape=box, style="rounded,dashed", color="{STALE_COLOUR}", '
            f'fontcolor="{STALE_COLOUR}", label=<<b>{_h(ghost.address)}</b><br/>held by no node>];'
        )
    for node in scene.nodes:
        for p in node.edge_ports:
            g = scene.group(p.group)
            if not g.wired:
                # Every node has its own loopback: a line from each to one shared box would
                # say they share a wire. The row (tinted in the group's colour) says it all;
                # an invisible edge only keeps these groups below their nodes.
                yield f"  {node.id} -> {g.id} [style=invis, weight=0];"
            elif p.uplink:  # the network a node's default route goes to sits above it
                yield f'  {g.id} -> {node.id}:{p.id} [ltail=cluster_{g.id}, color="{g.style.stroke}"];'
            else:
                yield f'  {node.id}:{p.id} -> {g.id} [lhead=cluster_{g.id}, color="{g.style.stroke}"];'
    for node in scene.nodes:
        # A VM or container sits below what it runs in, even with no wire between them.
        if node.parent_id is None:
            continue
        up = next((p.group for p in node.ports if p.uplink), node.home)
        yield f"  {node.parent_id} -> {up or node.id} [style=invis];"
    for f in scene.forwards:
        if f.ghost is not None:
            yield (
                f'  {f.node}:{f.id} -> {f.ghost} [color="{STALE_COLOUR}", style=dashed, arrowhead=normal, '
                f"penwidth=2, constraint=false];"
            )
        elif f.target_port is not None and f.target_node is not None:
            yield (
                f'  {f.node}:{f.id} -> {f.target_node}:{f.target_port} [color="{FORWARD_COLOUR}", '
                f"arrowhead=normal, penwidth=2, constraint=false];"
            )
        elif f.target_node is not None:
            yield (
                f'  {f.node}:{f.id} -> {f.target_node} [color="{FORWARD_COLOUR}", arrowhead=normal, '
                f"penwidth=2, constraint=false];"
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
