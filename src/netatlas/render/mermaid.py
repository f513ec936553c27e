"""Mermaid: the scene as a flowchart that GitHub renders in a ```mermaid block.

One subgraph per real network (labelled with name, CIDR, kind and owner, filled in its
kind's colour); a node that lives on one network is drawn inside it, every other
attachment is a line labelled with interface and address. Loopback and hosts-file
aliases are each node's own, so they are listed in the node rather than drawn as a
shared wire. Forwards are arrows; a stale one is dotted, to a red box.

Every label is quoted and escaped with Mermaid's entity codes (``#34;`` for ``"``,
``#37;`` for the ``%`` of an IPv6 zone, ``#60;`` for ``<`` …), so a hostile host
name cannot close the label or inject markup; identifiers are positional scene ids.
Brackets stay as they are: inside quotes they are text, and an entity code next to
IPv6's ``::`` confuses Mermaid's ``:::`` class shorthand.

Example:
    >>> label('fe80::1%eth0 "x" <b>')
    'fe80::1#37;eth0 #34;x#34; #60;b#62;'
"""

from __future__ import annotations

from collections.abc import Iterator

from netatlas.render.scene import FORWARD_COLOUR, NODE_STYLES, STALE_COLOUR, Group, Scene, SceneNode

__all__ = ["export", "label", "lines"]

# '#' first: every other replacement introduces one.
_ENTITIES = (
    ("#", "#35;"),
    ("&", "#38;"),
    ('"', "#34;"),
    ("<", "#60;"),
    (">", "#62;"),
    ("%", "#37;"),
    ("`", "#96;"),
    ("|", "#124;"),
    ("\\", "#92;"),
)


def label(text: str) -> str:
    """Text made safe inside a quoted Mermaid label (line breaks become spaces)."""
    text = " ".join(text.split())
    for raw, code in _ENTITIES:
        text = text.replace(raw, code)
    return text


def _group_title(g: Group) -> str:
    title = f"<b>{label(g.caption)}</b><br/>" if g.caption else ""
    owner = f" · {label(g.owner)}" if g.owner else ""
    return f"{title}{label(g.cidr)} · {label(g.kind)}{owner}"


def _node_text(scene: Scene, node: SceneNode) -> str:
    parts = [f"<b>{label(node.name)}</b>", label(node.subtitle)]
    for p in node.ports:
        if p.group == node.home or not scene.group(p.group).wired:
            parts.append(label(p.text))
    return "<br/>".join(parts)


def lines(scene: Scene) -> Iterator[str]:
    """The flowchart, line by line (no fence)."""
    yield "flowchart TB"
    for g in scene.groups:
        if g.wired:
            yield f'  subgraph {g.id}["{_group_title(g)}"]'
            yield "    direction TB"
            for member in g.members:
                yield f'    {member}["{_node_text(scene, scene.node(member))}"]:::{scene.node(member).kind}'
            yield "  end"
    for node in scene.nodes:
        if node.home is None:
            yield f'  {node.id}["{_node_text(scene, node)}"]:::{node.kind}'
    for g in scene.groups:
        if not g.wired:
            yield f'  {g.id}[["{_group_title(g)}"]]'
    for ghost in scene.ghosts:
        yield f'  {ghost.id}["<b>{label(ghost.address)}</b><br/>held by no node"]:::stale'
    for node in scene.nodes:
        for p in node.edge_ports:
            if not scene.group(p.group).wired:
                continue
            if p.uplink:
                yield f'  {p.group} ---|"{label(p.text)}"| {node.id}'
            else:
                yield f'  {node.id} ---|"{label(p.text)}"| {p.group}'
    for f in scene.forwards:
        target = f.ghost or f.target_node
        if target is None:
            continue
        arrow = "-.->" if f.stale else "==>"
        yield f'  {f.node} {arrow}|"{label(f.text)}"| {target}'
    for kind, style in NODE_STYLES.items():
        yield f"  classDef {kind} fill:{style.fill},stroke:{style.stroke},color:#ffffff"
    yield f"  classDef stale fill:#ffebee,stroke:{STALE_COLOUR},color:{STALE_COLOUR},stroke-dasharray:5 3"
    for g in scene.groups:
        yield f"  style {g.id} fill:{g.style.fill},stroke:{g.style.stroke},stroke-width:2px,color:#212121"
    index = 0
    for node in scene.nodes:
        for p in node.edge_ports:
            if scene.group(p.group).wired:
                yield f"  linkStyle {index} stroke:{scene.group(p.group).style.stroke},stroke-width:2px"
                index += 1
    for f in scene.forwards:
        if f.ghost or f.target_node:
            colour = STALE_COLOUR if f.stale else FORWARD_COLOUR
            yield f"  linkStyle {index} stroke:{colour},stroke-width:2px"
            index += 1


def export(scene: Scene) -> bytes:
    """The flowchart as a ``.mmd`` file."""
    return ("\n".join(lines(scene)) + "\n").encode("utf-8")
