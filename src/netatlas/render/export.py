"""Pictures of an atlas in every format, through one protocol.

Each format is an :data:`~netatlas.render.scene.Exporter` (``Scene -> bytes``) over the
one intermediate :class:`~netatlas.render.scene.Scene`::

    >>> sorted(FORMATS)
    ['dot', 'html', 'md', 'mermaid', 'png', 'svg']
    >>> FORMATS["svg"].needs
    'graphviz'
"""

from __future__ import annotations

from dataclasses import dataclass

from netatlas.errors import UnknownKindError
from netatlas.model.atlas import Atlas
from netatlas.render import dot, html, markdown, mermaid
from netatlas.render.scene import Exporter, build_scene

__all__ = ["FORMATS", "Format", "render"]


@dataclass(frozen=True, slots=True)
class Format:
    """One output format: its exporter, file suffix and what it needs installed."""

    name: str
    suffix: str
    export: Exporter
    needs: str | None = None
    description: str = ""


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("svg", ".svg", dot.export_svg, "graphviz", "picture, drawn by Graphviz"),
        Format("png", ".png", dot.export_png, "graphviz", "picture, drawn by Graphviz"),
        Format("dot", ".dot", dot.export, None, "Graphviz source"),
        Format("mermaid", ".mmd", mermaid.export, None, "Mermaid flowchart (GitHub draws it)"),
        Format("md", ".md", markdown.export, None, "Markdown report with the Mermaid map"),
        Format("html", ".html", html.export, None, "offline interactive map"),
    )
}


def render(atlas: Atlas, fmt: str) -> bytes:
    """The atlas drawn in one format.

    Args:
        atlas: the map (analysed, for findings).
        fmt: a key of :data:`FORMATS`.

    Returns:
        The file's bytes.

    Raises:
        UnknownKindError: no such format.
        GraphvizMissingError: ``svg``/``png`` without Graphviz installed.
    """
    try:
        chosen = FORMATS[fmt]
    except KeyError:
        raise UnknownKindError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return chosen.export(build_scene(atlas))
