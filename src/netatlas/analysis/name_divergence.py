"""name-divergence: one name, different answers by source or by vantage.

The blog post behind netatlas found Z820 resolving to 127.0.1.1 in WSL (the line WSL
writes into ``/etc/hosts``) while DNS says 192.168.1.20, and ``host.docker.internal``
meaning Docker's VM address in a container but the Windows host's LAN address in WSL.
Neither is a bug on its own, but each explains a "works here, fails there". This check
reports, per name:

* within one vantage, a hosts-file answer that differs from the DNS answer (an
  application gets the hosts file, ``nslookup``/``dig`` show DNS), and
* across vantages, different answers an application would get first.

A container's own hostname is not a divergence: Docker writes one ``/etc/hosts`` line
for it per network the container joins (the atlas marks them ``writer`` ``docker``),
so a container on two networks has two lines with two addresses for its own name,
and each replica of a service its own answer. Those lines are compared with nothing.

Answers are compared per address family (an IPv4 and an IPv6 answer never differ).
Not reported: ``localhost`` and its variants, names whose every answer is loopback,
and names answered only by DNS servers unless they are local names (single label,
``.internal``, ``.local``, ``.lan``, ``.localdomain``, ``.home.arpa``): public names
legitimately answer differently (round robin, CDNs, split horizon).
"""

from __future__ import annotations

from collections.abc import Sequence

from netatlas.analysis import Options
from netatlas.model.atlas import Atlas, Finding
from netatlas.model.facts import IPAddress
from netatlas.names import Resolution, normalize, resolve, writer_name

__all__ = ["CODE", "DESCRIPTION", "check"]

CODE = "name-divergence"
DESCRIPTION = "Names that resolve differently by source (hosts file vs DNS) or by vantage."

_LOCALHOST = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_LOCAL_SUFFIXES = (".internal", ".local", ".lan", ".localdomain", ".home.arpa", ".home")


def _local_name(name: str) -> bool:
    return "." not in name or name.endswith(_LOCAL_SUFFIXES)


def _fam(addrs: Sequence[IPAddress], version: int) -> frozenset[IPAddress]:
    return frozenset(a for a in addrs if a.version == version)


def _differs(a: Resolution, b: Resolution) -> bool:
    for v in (4, 6):
        x, y = _fam(a.addresses, v), _fam(b.addresses, v)
        if x and y and x != y:
            return True
    return False


def _show(addrs: Sequence[IPAddress]) -> str:
    return ", ".join(str(a) for a in addrs)


def _docker_own(r: Resolution) -> bool:
    """A line Docker wrote for the container's own hostname (one per network)."""
    return r.source == "hosts" and r.writer == "docker"


def _docker_said(r: Resolution, own: set[tuple[str, IPAddress]]) -> bool:
    """Docker's own-hostname line, or what getent echoes of one (``own``: (vantage, address))."""
    return _docker_own(r) or (
        r.source == "nss" and bool(r.addresses) and all((r.vantage, a) in own for a in r.addresses)
    )


def _why(r: Resolution) -> str:
    text = r.provenance
    if r.origin:
        text += f", from {r.origin}"
    return text


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """One finding per name that answers differently, explaining each answer's origin."""
    by_name: dict[str, str] = {}
    for rec in atlas.names:
        if rec.addresses:
            by_name.setdefault(normalize(rec.name), rec.name)
    found: list[Finding] = []
    for key, name in sorted(by_name.items()):
        if key in _LOCALHOST:
            continue
        answers = [r for r in resolve(atlas, name) if r.source != "nss" or r.first]
        if all(a.is_loopback for r in answers for a in r.addresses):
            continue
        if not _local_name(key) and not any(r.source in ("hosts", "docker-dns") for r in answers):
            continue
        own = {(r.vantage, a) for r in answers if _docker_own(r) for a in r.addresses}
        sentences: list[str] = []
        fixes: list[str] = []
        within = False
        firsts: dict[str, Resolution] = {}
        for r in answers:
            firsts.setdefault(r.vantage, r)
        for vantage, first in firsts.items():
            others = [
                r
                for r in answers
                if r.vantage == vantage
                and r is not first
                and _differs(first, r)
                and not (_docker_said(first, own) and _docker_said(r, own))  # one line per network, by Docker
            ]
            if not others or first.source != "hosts":
                continue
            within = True
            also = "; ".join(f"{o.provenance} answers {_show(o.addresses)}" for o in others)
            sentences.append(
                f"From {vantage}, {name} is {_show(first.addresses)} ({_why(first)}), but {also}; "
                f"applications there get {_show(first.addresses)} (hosts file first)."
            )
            generated = writer_name(first.writer) if not (first.marker or "").startswith("copied by") else None
            if first.writer == "docker":
                fixes.append(
                    f"On {vantage}, Docker writes {name} for the container's own hostname: "
                    "give it a hostname no other service answers to (docker run --hostname)."
                )
            elif first.writer == "wsl" and generated:
                fixes.append(
                    f"On {vantage}, to let DNS answer: add to /etc/wsl.conf\n"
                    "[network]\ngenerateHosts = false\n"
                    f"then remove {first.file} line {first.line} and run `wsl --shutdown`."
                )
            elif first.file and first.line is not None:
                fixes.append(f"On {vantage}, remove or correct {first.file} line {first.line}.")
        distinct: list[Resolution] = []
        # each container's own hostname is its own business: not compared across vantages
        firsts = {v: r for v, r in firsts.items() if not _docker_said(r, own)}
        for r in firsts.values():
            if all(_differs(r, d) for d in distinct):
                distinct.append(r)
        if len(distinct) > 1:
            groups: dict[frozenset[IPAddress], list[Resolution]] = {}
            for r in firsts.values():
                groups.setdefault(frozenset(r.addresses), []).append(r)
            parts = [
                f"{_show(rs[0].addresses)} from " + " and ".join(f"{r.vantage} ({_why(r)})" for r in rs)
                for rs in groups.values()
            ]
            sentences.append(f"{name} is " + ", but ".join(parts) + ".")
        if not sentences:
            continue
        vantages = {r.vantage for r in answers}
        nodes = tuple(n.id for n in atlas.nodes if vantages & set(n.vantages))
        found.append(
            Finding(
                code=CODE,
                severity="warning" if within else "info",
                title=f"{name} resolves differently "
                + (
                    "by source"
                    if within and len(distinct) < 2
                    else "by source and by vantage"
                    if within
                    else "by vantage"
                ),
                detail=" ".join(sentences),
                fix="\n".join(fixes) or None,
                nodes=nodes,
                evidence=tuple(dict.fromkeys(r.evidence for r in answers if r.evidence)),
            )
        )
    return found
