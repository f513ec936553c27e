"""Markdown report: the map as tables, the names, the findings with fixes, the diagram.

Sections: networks (one row per network with who is on it), forwards, name resolution
(one row per name × vantage answer, with source and who wrote it, and whether
applications there get it), findings (detail, then the fix in a code block), and the
Mermaid map in a ```mermaid block that GitHub draws.

User text is escaped for CommonMark (backslash before punctuation that means
something, ``<``/``>``/``&`` as entities, ``|`` escaped in tables), and fixes go into
fences longer than any backtick run inside them, so nothing in a hosts file or a
host name can break out of its cell or block.

Example:
    >>> md("a|b <script> *x*")
    'a\\\\|b &lt;script&gt; \\\\*x\\\\*'
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from netatlas._version import __version__
from netatlas.render import mermaid
from netatlas.render.scene import Scene

__all__ = ["export", "fence", "lines", "md"]

_SPECIAL = re.compile(r"([\\`*_\[\]{}#+!|~])")
_SEVERITY = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}


def md(text: str) -> str:
    """Inline text escaped for CommonMark, on one line."""
    text = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """A code span that holds ``text`` whatever backticks it contains."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(text: str, info: str = "") -> list[str]:
    """``text`` in a fenced block whose fence is longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * (longest + 1)
    return [f"{ticks}{info}", *text.rstrip("\n").splitlines(), ticks]


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def lines(scene: Scene) -> Iterator[str]:
    """The report, line by line."""
    yield f"# {md(scene.title)}"
    yield ""
    yield (
        f"{len(scene.groups)} networks, {len(scene.nodes)} nodes, {len(scene.forwards)} forwards, "
        f"{len(scene.findings)} findings. Made by netatlas {__version__}."
    )
    yield ""
    yield "## Networks"
    yield ""
    yield _row("Network", "Kind", "Name", "Owner", "On it (node, interface, address)")
    yield _row("---", "---", "---", "---", "---")
    for g in scene.groups:
        members = []
        for node in scene.nodes:
            for p in node.ports:
                if p.group == g.id:
                    members.append(f"{md(node.name)} {md(p.interface)} {_code(p.address or '?')}")
        yield _row(_code(g.cidr), md(g.kind), md(g.caption), md(g.owner or ""), "<br>".join(members))
    if scene.forwards:
        yield ""
        yield "## Forwards"
        yield ""
        yield _row("On", "Via", "Listens", "Connects to", "Held by")
        yield _row("---", "---", "---", "---", "---")
        for f in scene.forwards:
            held = md(scene.node(f.target_node).name) if f.target_node is not None else "**nobody** (stale)"
            yield _row(md(scene.node(f.node).name), md(f.via), _code(f.listen), _code(f.connect), held)
    yield ""
    yield "## Names"
    yield ""
    if scene.names:
        yield (
            "What each name resolves to from each vantage, in the order its resolver tries; "
            "the first answer is the one applications get."
        )
        yield ""
        yield _row("Name", "From", "Answer", "Source", "Who wrote it", "Applications get it")
        yield _row("---", "---", "---", "---", "---", "---")
        for r in scene.names:
            answer = ", ".join(_code(a) for a in r.addresses)
            yield _row(md(r.name), md(r.vantage), answer, md(r.source), md(r.provenance), "yes" if r.first else "no")
    else:
        yield "No name answers in this scan."
    yield ""
    yield f"## Findings ({len(scene.findings)})"
    yield ""
    if not scene.findings:
        yield "None."
    for fd in scene.findings:
        yield f"### {_SEVERITY.get(fd.severity, fd.severity.upper())} {md(fd.code)}: {md(fd.title)}"
        yield ""
        yield from (md(ln) if ln.strip() else "" for ln in fd.detail.splitlines())
        if fd.fix:
            yield ""
            yield "Fix:"
            yield ""
            yield from fence(fd.fix, "text")
        yield ""
    yield "## Map"
    yield ""
    yield from fence(mermaid.export(scene).decode("utf-8"), "mermaid")
    if scene.problems:
        yield ""
        yield f"## Sources that failed or did not parse ({len(scene.problems)})"
        yield ""
        for problem in scene.problems:
            yield f"- {md(problem)}"


def export(scene: Scene) -> bytes:
    """The report as a ``.md`` file."""
    return ("\n".join(lines(scene)) + "\n").encode("utf-8")
