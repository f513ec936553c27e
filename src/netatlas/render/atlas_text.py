"""Readable map: networks with their members and addresses, then the findings.

Plain lines (no colour codes) so the output pastes cleanly into issues and chats;
the CLI may colour it through rich when writing to a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator

from netatlas.model.atlas import Atlas, Network

_SEVERITY = {"error": "ERROR", "warning": "WARN ", "info": "INFO "}


_COLLAPSE = 3
"""A loopback address held by at least this many nodes is one line, with the count."""


def _paren(text: str) -> str:
    """``(eth0)``; a pseudo-interface already in parentheses (``(hosts file)``) as it is."""
    return text if text.startswith("(") and text.endswith(")") else f"({text})"


def _members(atlas: Atlas, net: Network, names: dict[str, str]) -> Iterator[str]:
    """One line per attachment; on loopback, one line per address every node repeats.

    Every container has its own ``127.0.0.1`` on its own ``lo``: listing 59 of them
    says nothing the count does not.
    """
    shared: dict[tuple[str, str], list[str]] = {}
    if net.kind == "loopback":
        for a in net.attachments:
            shared.setdefault((str(a.address), a.interface), []).append(a.node)
    scanned = {n.id for n in atlas.nodes if n.vantages}
    done: set[tuple[str, str]] = set()
    for a in net.attachments:
        addr = str(a.address) if a.address is not None else "?"
        key = (addr, a.interface)
        holders = shared.get(key, [])
        if len(holders) >= _COLLAPSE:
            if key not in done:
                done.add(key)
                every = "every node" if scanned <= set(holders) else f"{len(holders)} nodes"
                yield f"    {addr:<40} {net.kind} {_paren(a.interface)} on {every} ({len(holders)})"
            continue
        yield f"    {addr:<40} {names.get(a.node, a.node)} {_paren(a.interface)}"


def lines(atlas: Atlas, *, show_problems: bool = True) -> Iterator[str]:
    """The map as text lines."""
    names = {n.id: n.name for n in atlas.nodes}
    yield f"netatlas map: {len(atlas.vantages)} vantages, {len(atlas.nodes)} nodes, {len(atlas.networks)} networks"
    yield ""
    for net in atlas.networks:
        owner = f", owner {net.owner}" if net.owner else ""
        yield f"{net.cidr}  [{net.kind}]  {net.label}{owner}"
        yield from _members(atlas, net, names)
    merged = [n for n in atlas.nodes if n.reason and len(n.vantages) > 1]
    if merged:
        yield ""
        for n in merged:
            yield f"{n.name}: one node for {', '.join(n.vantages)}: {n.reason}"
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
