"""unreachable-service: a listening service the asked-for vantage cannot reach.

"Works on my machine" is usually "works from my machine": a dev server bound to
127.0.0.1, a container port never published (or published on 127.0.0.1 only), a
service inside WSL's NAT network with no ``netsh interface portproxy`` rule (WSL's
localhost forwarding helps Windows itself, never the LAN). For every TCP listener this
check asks :func:`netatlas.reach.why` whether the vantage reaches it, and reports the
ones it does not, with the remedies ``why`` gives, so both always agree.

The vantage is ``Options.vantage``, by default the LAN: any other device on the
network of kind ``lan`` (a phone, a colleague's laptop, the router).

Not reported: listeners of the vantage's own node, the host's own relay sockets (a
port that a forward on the host listens on is the forward, not a service), and
loopback stubs on addresses other than 127.0.0.1/::1 (systemd-resolved's 127.0.0.53,
Docker's 127.0.0.11), which are meant for the node alone. Services bound to loopback
are gathered into one ``info`` finding per node, as they are often deliberate.
"""

from __future__ import annotations

import ipaddress

from netatlas.analysis import Options
from netatlas.model.atlas import Atlas, Finding, ListenerRecord
from netatlas.reach import LAN, hostport, why

__all__ = ["CODE", "DESCRIPTION", "check"]

CODE = "unreachable-service"
DESCRIPTION = "Listening services the asked-for vantage (default: the LAN) cannot reach, and the fix."

_PLAIN_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def _source_node(atlas: Atlas, vantage: str) -> str | None:
    for n in atlas.nodes:
        if vantage in (n.id, n.name) or vantage in n.vantages:
            return n.id
    return None


def _services(atlas: Atlas) -> dict[tuple[str, int], list[ListenerRecord]]:
    relay_ports = {(f.node, f.listen_port) for f in atlas.forwards}
    kinds = {n.id: n.kind for n in atlas.nodes}
    out: dict[tuple[str, int], list[ListenerRecord]] = {}
    for li in atlas.listeners:
        if li.protocol != "tcp" or kinds.get(li.node) in (None, "router"):
            continue
        if (li.node, li.port) in relay_ports:
            continue
        if li.address is not None and li.address.is_loopback and li.address not in _PLAIN_LOOPBACK:
            continue
        out.setdefault((li.node, li.port), []).append(li)
    return out


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """Every TCP service the vantage cannot reach, with why and the remedy."""
    src = options.vantage or LAN
    if src == LAN and not any(n.kind == "lan" for n in atlas.networks):
        return []
    src_node = _source_node(atlas, src)
    found: list[Finding] = []
    loopback: dict[str, list[ListenerRecord]] = {}
    for (node_id, port), records in sorted(_services(atlas).items()):
        if node_id == src_node:
            continue
        try:
            result = why(atlas, src, node_id, port)
        except ValueError:
            return []
        if result.reachable is not False:  # a stop, not an answer netatlas cannot give for sure
            continue
        node = atlas.node(node_id)
        name = node.name if node is not None else node_id
        proc = next((li.process for li in records if li.process), None)
        evidence = tuple(dict.fromkeys(li.evidence for li in records if li.evidence))
        if all(li.address is not None and li.address.is_loopback for li in records) and len(result.fixes) <= 1:
            loopback.setdefault(node_id, []).extend(records)
            continue
        service = f"{name}:{port}" + (f" ({proc})" if proc else "")
        where = f" (stops at {result.stopped_at})" if result.stopped_at else ""
        found.append(
            Finding(
                code=CODE,
                severity="warning",
                title=f"{service} is not reachable from {src}",
                detail=f"From {src}, {service} cannot be reached: {result.reason}{where}. "
                f"Listener evidence: {', '.join(evidence) or 'none'}.",
                fix="\n\n".join(result.fixes) or None,
                nodes=tuple(x for x in dict.fromkeys((node_id, result.stopped_at)) if x),
                evidence=evidence,
            )
        )
    for node_id, records in loopback.items():
        node = atlas.node(node_id)
        name = node.name if node is not None else node_id
        ports = sorted({li.port for li in records})
        listed = ", ".join(hostport(li.address, li.port) + (f" ({li.process})" if li.process else "") for li in records)
        found.append(
            Finding(
                code=CODE,
                severity="info",
                title=f"{len(ports)} service(s) on {name} listen on loopback only",
                detail=f"{listed} accept connections from {name} itself only, so {src} cannot reach them. "
                "That is often deliberate (a database for local tools).",
                fix="To serve others, make each listen on 0.0.0.0 instead of 127.0.0.1 "
                f"(e.g. --host 0.0.0.0), for port(s) {', '.join(map(str, ports))}.",
                nodes=(node_id,),
                evidence=tuple(dict.fromkeys(li.evidence for li in records if li.evidence)),
            )
        )
    return found
