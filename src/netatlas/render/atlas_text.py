"""Readable map: networks with their members and addresses, then the findings.

Plain lines (no colour codes) so the output pastes cleanly into issues and chats;
the CLI may colour it through rich when writing to a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator

from netatlas.model.atlas import Atlas

_SEVERITY = {"error": "ERROR", "warning": "WARN ", "info": "INFO "}


def lines(atlas: Atlas, *, show_problems: bool = True) -> Iterator[str]:
    """The map as text lines."""
    names = {n.id: n.name for n in atlas.nodes}
    yield f"netatlas map: {len(atlas.vantages)} vantages, {len(atlas.nodes)} nodes, {len(atlas.networks)} networks"
    yield ""
    for net in atlas.networks:
        owner = f", owner {net.owner}" if net.owner else ""
        yield f"{net.cidr}  [{net.kind}]  {net.label}{owner}"
        for a in net.attachments:
            addr = str(a.address) if a.address is not None else "?"
            yield f"    {addr:<40} {names.get(a.node, a.node)} ({a.interface})"
    merged = [n for n in atlas.nodes if n.reason and len(n.vantages) > 1]
    if merged:
        yield ""
        for n in merged:
            yield f"{n.name}: one node for {', '.join(n.vantages)}: {n.reason}"
    idle = [n for n in atlas.nodes if n.state is not None and n.state not in ("running", "paused")]
    if idle:
        yield ""
        yield "Containers not running:"
        for n in idle:
            yield f"    {n.name} ({n.state}): {n.reason or 'not running'}"
    if atlas.forwards:
        yield ""
        yield "Forwards:"
        for f in atlas.forwards:
            listen = f"{f.listen_address or '*'}:{f.listen_port}"
            target = f"{f.connect_address or '?'}:{f.connect_port}"
            yield f"    {names.get(f.node, f.node)} {listen} -> {target} ({f.via}, {f.protocol})"
    yield ""
    if atlas.findings:
        yield f"Findings ({len(atlas.findings)}):"
        for fd in atlas.findings:
            yield f"  {_SEVERITY[fd.severity]} {fd.code}: {fd.title}"
            for ln in fd.detail.splitlines():
                yield f"        {ln}"
            if fd.fix:
                yield "        fix:"
                for ln in fd.fix.splitlines():
                    yield f"          {ln}"
    else:
        yield "Findings: none"
    if show_problems and atlas.problems:
        yield ""
        yield f"Sources that failed or did not parse ({len(atlas.problems)}):"
        for p in atlas.problems:
            yield f"    {p.evidence}: {p.code}: {p.message}"
