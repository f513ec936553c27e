"""Plain-text view of one parser's :class:`~netatlas.model.Facts` (``netatlas parse``)."""

from __future__ import annotations

from collections.abc import Iterator

from netatlas.model import Facts, hostport


def _addr(a: object, p: object) -> str:
    if a is None:
        return "(address cut out)"
    return f"{a}/{p}" if p is not None else str(a)


def lines(facts: Facts) -> Iterator[str]:
    """The facts, one line per item, grouped by section; empty sections are omitted."""
    for i in facts.interfaces:
        state = {True: "up", False: "down", None: "?"}[i.up]
        head = f"interface {i.name} ({state})"
        if i.description:
            head += f" - {i.description}"
        if i.mac:
            head += f" mac {i.mac}"
        if i.mtu:
            head += f" mtu {i.mtu}"
        yield head
        for a in i.addresses:
            yield f"    {a.family} {_addr(a.address, a.prefixlen)}"
        for g in i.gateways:
            yield f"    gateway {g}"
        for server in i.dns_servers:
            yield f"    dns {server}"
    for r in facts.routes:
        via = f" via {r.gateway}" if r.gateway else ""
        dev = f" dev {r.interface}" if r.interface else ""
        metric = f" metric {r.metric}" if r.metric is not None else ""
        yield f"route {r.destination}{via}{dev}{metric}"
    for h in facts.hosts:
        marker = f"   [{h.marker}]" if h.marker else ""
        yield f"host {h.address} {' '.join(h.names)}{marker}"
    if facts.dns.servers or facts.dns.search:
        yield "dns servers " + " ".join(map(str, facts.dns.servers))
        if facts.dns.search:
            yield "dns search " + " ".join(facts.dns.search)
        if facts.dns.generated_by:
            yield f"dns written by {facts.dns.generated_by}"
    for ans in facts.answers:
        got = " ".join(map(str, ans.addresses)) or (ans.status or "no answer")
        via = f" (server {ans.server})" if ans.server else ""
        yield f"answer {ans.name} -> {got}{via}"
    for f in facts.forwards:
        yield (
            f"forward {f.protocol} {hostport(f.listen_address or '*', f.listen_port)} -> "
            f"{hostport(f.connect_address or f.connect_host or '?', f.connect_port)}"
        )
    for n in facts.networks:
        yield f"network {n.name} ({n.driver or '?'}) " + " ".join(map(str, n.subnets))
        for m in n.members:
            yield f"    {m.name} {m.address or ''}".rstrip()
    for c in facts.containers:
        yield f"container {c.name} ({c.state or '?'})"
        for m in c.networks:
            yield f"    on {m.name} {m.address or ''}".rstrip()
        for p in c.ports:
            yield f"    publishes {hostport(p.host_ip or '*', p.host_port)} -> {p.container_port}/{p.protocol}"
    for d in facts.distros:
        yield f"distro {d.name} {d.state or '?'} v{d.version}{' (default)' if d.default else ''}"
    for hop in facts.hops:
        rtt = " ".join(f"{x:g}ms" for x in hop.rtt_ms)
        yield f"hop {hop.ttl} {hop.address or '*'} {rtt}".rstrip()
    for li in facts.listeners:
        who = f" {li.process}" if li.process else ""
        yield f"listen {li.protocol} {hostport(li.address or '*', li.port)}{who}"
    for nb in facts.neighbours:
        router = " router" if nb.router else ""
        yield f"neigh {nb.address} {nb.mac or '-'} dev {nb.interface or '?'} {nb.state or '?'}{router}"
    for key, value in facts.settings.items():
        yield f"setting {key} = {value}"
    for w in facts.warnings:
        yield f"warning: line {w.line}: {w.message}"
