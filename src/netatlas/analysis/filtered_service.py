"""filtered-service: a port forward or published port whose packets a packet filter drops.

Someone published a port (``docker run -p``) or added a ``netsh interface portproxy``
rule for WSL, so the intent to serve is on record, yet a filter drops the packets:
a ``DOCKER-USER`` rule, ufw's or firewalld's default, an ``INPUT`` policy ``DROP``, or
on Windows the missing inbound rule (Windows Firewall's inbound default is Block, so a
portproxy for WSL "does nothing" until a rule allows its port). For each forward this
check asks :func:`netatlas.reach.why` from the LAN (or ``Options.vantage``) to the
forward's node and port, and reports the answers that end in a ``filter`` hop, with
the rule that dropped them (as the evidence has it) and the rule to add; ``why`` gives
both, so the check and ``why`` always agree. Only rulesets netatlas read can give
this finding: a filter it did not read is listed by ``why`` as unread, never guessed.
"""

from __future__ import annotations

from netatlas.analysis import Options
from netatlas.model.atlas import PUBLISH_VIAS, Atlas, Finding
from netatlas.reach import LAN, why

__all__ = ["CODE", "DESCRIPTION", "check"]

CODE = "filtered-service"
DESCRIPTION = (
    "Published ports and port forwards whose packets a packet filter that was read drops, and the rule to add."
)


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """Every forward whose packets a read packet filter drops on the way from the vantage."""
    if not atlas.firewalls:
        return []
    src = options.vantage or LAN
    if src == LAN and not any(n.kind == "lan" for n in atlas.networks):
        return []
    found: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    for f in atlas.forwards:
        key = (f.node, f.listen_port)
        if key in seen or f.via == "wsl-localhost" or (f.listen_address is not None and f.listen_address.is_loopback):
            continue
        seen.add(key)
        try:
            result = why(atlas, src, f.node, f.listen_port)
        except ValueError:
            return found
        stop = next((h for h in reversed(result.hops) if h.action == "filter"), None)
        if result.verdict != "stopped" or stop is None:
            continue
        node = atlas.node(f.node)
        name = node.name if node is not None else f.node
        what = "netsh portproxy" if f.via == "portproxy" else "published port" if f.via in PUBLISH_VIAS else f.via
        evidence = tuple(dict.fromkeys(e for e in (f.evidence, *_evidence(atlas, f.node)) if e))
        found.append(
            Finding(
                code=CODE,
                severity="error",
                title=f"{what} {name}:{f.listen_port} is dropped by a packet filter",
                detail=f"{src} → {name}:{f.listen_port} ({what}, evidence {f.evidence}): {result.reason}. "
                f"The rule: {stop.note}.",
                fix="\n\n".join(result.fixes) or None,
                nodes=tuple(dict.fromkeys(x for x in (f.node, stop.node) if x)),
                evidence=evidence,
            )
        )
    return found


def _evidence(atlas: Atlas, node: str) -> list[str]:
    return [fw.evidence for fw in atlas.firewalls if fw.node == node and fw.evidence]
