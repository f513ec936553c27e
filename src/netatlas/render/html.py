"""HTML: one self-contained, offline, interactive page of the scene.

The page is ``templates/map.html`` with its stylesheet (``map.css``), the vendored
cytoscape build (``vendor/cytoscape.min.js``, fetched from the npm registry at build
time by ``tools/vendor_js.py``, MIT, licence beside it and named in the page), the app
(``map.js``) and the scene as JSON, all inlined: the file opens from disk, from an
e-mail attachment or an air-gapped laptop, and makes no network request at all. A
Content-Security-Policy (``default-src 'none'``, scripts allowed only by their SHA-256)
holds it to that, and would also stop any script that slipped into the page.

Escaping: the JSON block has ``<``, ``>``, ``&`` and U+2028/2029 as ``\\uXXXX`` escapes, so
a hosts file line such as ``</script><script>…`` stays data; the title goes through
:func:`html.escape`; the app puts every user string on the page with ``textContent``.

Layout is decided here, not by the browser: a layered layout in the spirit of
Graphviz's ``dot`` (the network a node's default route leads to sits above it, the
networks it serves below, what runs inside a VM below the VM), so the map is the same
on every open and tests can click on it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from netatlas._version import __version__
from netatlas.errors import NetatlasError
from netatlas.render.scene import FORWARD_COLOUR, STALE_COLOUR, ReplicaSet, Scene, SceneNode

__all__ = ["VendorMissingError", "export", "script_json"]

_CHAR_W = 8.0  # px per character at the 13px label font
_LINE_H = 17.0
_GAP_X = 60.0
_GAP_Y = 105.0
_GROUP_PAD = 16.0
_GROUP_LABEL = 40.0  # the two label lines above a group's box
_WIDTH_BUDGET = 2400.0  # px: a rank wider than this wraps into several lines
_ASPECT = 2.4  # the width:height wrapped lines aim for (a screen beside the side panel)


class VendorMissingError(NetatlasError):
    """The vendored JavaScript is not in the package (run ``python tools/vendor_js.py``)."""


def script_json(value: object) -> str:
    """JSON that is safe inside a ``<script>`` element, whatever strings it holds.

    Example:
        >>> script_json({"name": "</script><b>"})
        '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    for raw, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, esc)
    return text


def _asset(*parts: str) -> str:
    path = resources.files("netatlas.render")
    for part in parts:
        path = path / part
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VendorMissingError(
            f"{'/'.join(parts)} is missing from the netatlas package; run 'python tools/vendor_js.py' "
            "(or reinstall netatlas)"
        ) from None


def _box(lines: list[str], pad: float = 16.0) -> tuple[float, float]:
    width = max(len(s) for s in lines) * _CHAR_W + 2 * pad
    return round(max(width, 90.0), 1), round(len(lines) * _LINE_H + pad, 1)


def _node_lines(scene: Scene, node: SceneNode) -> list[str]:
    lines = [node.name, node.subtitle]
    for p in scene.box_ports(node):
        if p.group == node.home or not scene.group(p.group).wired:
            lines.append(p.text)
    return lines


def _replica_lines(rs: ReplicaSet) -> list[str]:
    return [rs.name, rs.subtitle, *(text for _g, text in rs.rows)]


def _group_lines(scene: Scene, gid: str) -> list[str]:
    g = scene.group(gid)
    first = f"{g.caption} · {g.cidr}" if g.caption else g.cidr
    owner = f" · {g.owner}" if g.owner else ""
    lines = [first, f"{g.kind}{owner}"]
    if g.shared:
        port = next(p for n in scene.nodes for p in n.ports if p.group == gid)
        lines.append(f"{port.address} on {port.interface} of every node ({g.shared})")
    return lines


@dataclass
class _Unit:
    """A box the layout places: a group with its members, a free node, or a ghost."""

    id: str
    w: float
    h: float
    order: int
    rank: int = 0
    x: float = 0.0
    y: float = 0.0
    up: list[str] = field(default_factory=list)
    grid: list[list[str]] = field(default_factory=list)


def _drawn(scene: Scene, ids: list[str], expanded: bool) -> list[str]:
    return list(ids) if expanded else scene.drawn(ids)


def _layout(scene: Scene, expanded: bool = False) -> dict[str, tuple[float, float]]:
    """Centre positions (px) of every group, node (or replica box) and ghost.

    A group's boxes are a grid of :func:`~netatlas.render.dot.columns` per row, and a
    rank whose boxes side by side would be wider than the picture should be wraps
    into several lines, so a host with 60 containers on a dozen networks fits a
    screen at a legible zoom. With ``expanded``, replica sets are their members.
    """
    from netatlas.render.dot import columns

    size = {n.id: _box(_node_lines(scene, n)) for n in scene.nodes}
    size.update({rs.id: _box(_replica_lines(rs)) for rs in scene.replicas})
    size.update({ghost.id: _box([ghost.address, "held by no node"]) for ghost in scene.ghosts})
    box_of = {m: (m if expanded else rs.id) for rs in scene.replicas for m in rs.members}
    units: dict[str, _Unit] = {}
    unit_of: dict[str, str] = {}
    bottom: list[str] = []
    order = 0
    for g in scene.groups:
        boxes = _drawn(scene, list(g.members), expanded)
        if boxes:
            cols = columns(len(boxes))
            grid = [boxes[i : i + cols] for i in range(0, len(boxes), cols)]
            w = max(sum(size[b][0] for b in row) + _GAP_X / 2 * (len(row) - 1) for row in grid) + 2 * _GROUP_PAD
            w = max(w, _box(_group_lines(scene, g.id))[0])
            h = sum(max(size[b][1] for b in row) for row in grid) + _GAP_X / 2 * (len(grid) - 1)
            h += 2 * _GROUP_PAD + _GROUP_LABEL
        else:
            grid = []
            w, h = _box(_group_lines(scene, g.id))
        units[g.id] = _Unit(g.id, w, h, order, grid=grid)
        order += 1
        for b in boxes:
            unit_of[b] = g.id
        if not g.wired:
            bottom.append(g.id)
    for n in scene.nodes:
        if n.home is None:
            b = box_of.get(n.id, n.id)
            if b not in units:
                units[b] = _Unit(b, *size[b], order)
                order += 1
                unit_of[b] = b
    for ghost in scene.ghosts:
        units[ghost.id] = _Unit(ghost.id, *size[ghost.id], order)
        order += 1
        unit_of[ghost.id] = ghost.id

    edges: set[tuple[str, str]] = set()
    for n in scene.nodes:
        me = unit_of[box_of.get(n.id, n.id)]
        for p in n.edge_ports:
            if not scene.group(p.group).wired:
                continue
            edges.add((p.group, me) if p.uplink else (me, p.group))
        if n.parent_id is not None:
            up = next((p.group for p in n.ports if p.uplink), None) or me
            parent = unit_of[box_of.get(n.parent_id, n.parent_id)]
            if parent != up:
                edges.add((parent, up))
    for f in scene.forwards:
        if f.ghost is not None:
            edges.add((unit_of[box_of.get(f.node, f.node)], f.ghost))

    # Longest path from the top, ignoring edges that would close a cycle.
    for _ in range(len(units)):
        changed = False
        for a, b in sorted(edges):
            if a == b or a in bottom or b in bottom:
                continue
            if units[b].rank < units[a].rank + 1 <= len(units):
                units[b].rank = units[a].rank + 1
                changed = True
        if not changed:
            break
    for a, b in edges:
        units[b].up.append(a)
    # Loopback and aliases have no wire: they go at the end of the lowest row.
    last = max((u.rank for u in units.values() if u.id not in bottom), default=0)
    for gid in bottom:
        units[gid].rank = last
        units[gid].order += 10_000

    rows: dict[int, list[_Unit]] = {}
    for u in units.values():
        rows.setdefault(u.rank, []).append(u)
    area = sum(u.w * u.h for u in units.values())
    budget = max(_WIDTH_BUDGET, math.sqrt(area * _ASPECT), max((u.w for u in units.values()), default=0.0))
    y = 0.0
    for rank in sorted(rows):
        row = rows[rank]

        def barycentre(u: _Unit, rank: int = rank) -> tuple[float, int]:
            xs = [units[a].x for a in u.up if units[a].rank < rank]
            if u.order >= 10_000:
                return (1e9, u.order)
            return (sum(xs) / len(xs) if xs else float(u.order) * 1e-3 - 1e3, u.order)

        row.sort(key=barycentre)
        lines: list[list[_Unit]] = [[]]
        used = 0.0
        for u in row:  # wrap a row wider than the budget into several lines
            if lines[-1] and used + u.w > budget:
                lines.append([])
                used = 0.0
            lines[-1].append(u)
            used += u.w + _GAP_X
        for line in lines:
            height = max(u.h for u in line)
            width = sum(u.w for u in line) + _GAP_X * (len(line) - 1)
            x = -width / 2
            for u in line:
                u.x, u.y = x + u.w / 2, y + height / 2
                x += u.w + _GAP_X
            y += height + (_GAP_Y if line is lines[-1] else _GAP_X)

    pos: dict[str, tuple[float, float]] = {}
    for u in units.values():
        pos[u.id] = (round(u.x, 1), round(u.y, 1))
        if not u.grid:
            continue
        top = u.y - u.h / 2 + _GROUP_PAD + _GROUP_LABEL
        for grow in u.grid:
            row_h = max(size[b][1] for b in grow)
            x = u.x - (sum(size[b][0] for b in grow) + _GAP_X / 2 * (len(grow) - 1)) / 2
            for b in grow:
                pos[b] = (round(x + size[b][0] / 2, 1), round(top + row_h / 2, 1))
                x += size[b][0] + _GAP_X / 2
            top += row_h + _GAP_X / 2
    return pos


def _data(scene: Scene) -> dict[str, Any]:
    pos = _layout(scene)
    pos2 = _layout(scene, expanded=True) if scene.replicas else pos
    sizes = {n.id: _box(_node_lines(scene, n)) for n in scene.nodes}
    replica_of = {m: rs.id for rs in scene.replicas for m in rs.members}

    def at(key: str, where: Mapping[str, tuple[float, float]] | None = None) -> Mapping[str, float]:
        x, y = (where or pos).get(key, (0.0, 0.0))
        return {"x": x, "y": y}

    groups = []
    for g in scene.groups:
        lines = _group_lines(scene, g.id)
        w, h = _box(lines)
        groups.append(
            {
                "id": g.id,
                "cidr": g.cidr,
                "caption": g.caption,
                "kind": g.kind,
                "owner": g.owner,
                "label": "\n".join(lines),
                "fill": g.style.fill,
                "stroke": g.style.stroke,
                "members": list(g.members),
                "w": w,
                "h": h,
                "pos": at(g.id),
                "pos2": at(g.id, pos2),
            }
        )
    nodes = []
    for n in scene.nodes:
        w, h = sizes[n.id]
        nodes.append(
            {
                "id": n.id,
                "name": n.name,
                "kind": n.kind,
                "subtitle": n.subtitle,
                "label": "\n".join(_node_lines(scene, n)),
                "fill": n.style.fill,
                "w": w,
                "h": h,
                "pos": at(n.id, pos2 if n.id in replica_of else pos),
                "pos2": at(n.id, pos2),
                "replica": replica_of.get(n.id),
                "home": n.home,
                "vantages": list(n.vantages),
                "parent": n.parent,
                "ports": [{"group": p.group, "interface": p.interface, "address": p.address} for p in n.ports],
                "interfaces": [
                    {"name": i.name, "mac": i.mac, "up": i.up, "addresses": list(i.addresses)} for i in n.interfaces
                ],
                "routes": list(n.routes),
                "dns": list(n.dns),
                "names": [
                    {
                        "name": r.name,
                        "vantage": r.vantage,
                        "addresses": list(r.addresses),
                        "source": r.source,
                        "provenance": r.provenance,
                        "first": r.first,
                    }
                    for r in n.names
                ],
                "forwards": [f.text for f in scene.forwards if f.node == n.id],
            }
        )
    ghosts = []
    for x in scene.ghosts:
        w, h = _box([x.address, "held by no node"])
        ghosts.append(
            {
                "id": x.id,
                "address": x.address,
                "label": f"{x.address}\nheld by no node",
                "w": w,
                "h": h,
                "pos": at(x.id),
            }
        )
    replicas = []
    for rs in scene.replicas:
        lines = _replica_lines(rs)
        w, h = _box(lines)
        first = scene.node(rs.members[0])
        replicas.append(
            {
                "id": rs.id,
                "name": rs.name,
                "service": rs.service,
                "subtitle": rs.subtitle,
                "label": "\n".join(lines),
                "fill": first.style.fill,
                "home": rs.home,
                "members": list(rs.members),
                "rows": [text for _g, text in rs.rows],
                "w": w,
                "h": h,
                "pos": at(rs.id),
            }
        )
    edges: list[dict[str, Any]] = []
    for rs in scene.replicas:
        for gid, text in rs.rows:
            if gid == rs.home:
                continue
            g = scene.group(gid)
            edges.append(
                {
                    "id": f"e{rs.id}-{gid}",
                    "source": rs.id,
                    "target": gid,
                    "label": text,
                    "colour": g.style.stroke,
                    "kind": "attach",
                }
            )
    for n in scene.nodes:
        # One line per (node, network), naming every interface on it (Ethernet and Wi-Fi
        # on one LAN): parallel lines would hide each other's labels.
        by_group: dict[str, list[str]] = {}
        for p in n.edge_ports:
            if scene.group(p.group).wired:
                by_group.setdefault(p.group, []).append(p.text)
        for gid, texts in by_group.items():
            g = scene.group(gid)
            edges.append(
                {
                    "id": f"e{n.id}-{gid}",
                    "source": n.id,
                    "target": gid,
                    "label": "\n".join(texts),
                    "colour": g.style.stroke,
                    "kind": "attach",
                }
            )
    relays: dict[tuple[str, str, bool], list[str]] = {}
    for f in scene.forwards:
        target = f.ghost or f.target_node
        if target is not None:
            relays.setdefault((f.node, target, f.stale), []).append(f.text)
            if target in replica_of:  # drawn to the replica box while the set is collapsed
                relays.setdefault((f.node, replica_of[target], f.stale), []).append(f.text)
    for (source, target, stale), texts in relays.items():
        edges.append(
            {
                "id": f"e{source}-{target}-{'stale' if stale else 'fw'}",
                "source": source,
                "target": target,
                "label": "\n".join(texts),
                "colour": STALE_COLOUR if stale else FORWARD_COLOUR,
                "kind": "forward stale" if stale else "forward",
            }
        )
    return {
        "title": scene.title,
        "groups": groups,
        "nodes": nodes,
        "ghosts": ghosts,
        "replicas": replicas,
        "edges": edges,
        "findings": [
            {
                "id": f.id,
                "code": f.code,
                "severity": f.severity,
                "title": f.title,
                "detail": f.detail,
                "fix": f.fix,
                "groups": list(f.groups),
                "nodes": list(f.nodes),
            }
            for f in scene.findings
        ],
        "legend": [{"kind": k, "fill": s.fill, "stroke": s.stroke, "text": s.text} for k, s in scene.legend],
        "problems": list(scene.problems),
    }


def _inline_js(code: str) -> str:
    """Script text that cannot end its ``<script>`` element early."""
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _sha256(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii") + "'"


def export(scene: Scene) -> bytes:
    """The scene as one offline HTML page."""
    library = _inline_js(_asset("vendor", "cytoscape.min.js"))
    licence = _asset("vendor", "cytoscape.LICENSE").strip()
    library = f"/*! cytoscape (MIT), vendored by netatlas. Licence:\n{licence.replace('*/', '* /')}\n*/\n{library}"
    app = _inline_js(_asset("templates", "map.js"))
    csp = (
        "default-src 'none'; "
        f"script-src {_sha256(library)} {_sha256(app)}; "
        "style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    values = {
        "CSP": csp,
        "VERSION": html.escape(__version__),
        "TITLE": html.escape(scene.title),
        "CSS": _asset("templates", "map.css"),
        "DATA": script_json(_data(scene)),
        "CYTOSCAPE": library,
        "APP": app,
    }
    page = re.sub(r"@@([A-Z]+)@@", lambda m: values[m.group(1)], _asset("templates", "map.html"))
    return page.encode("utf-8")
