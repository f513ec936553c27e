"""stale-name: a generated hosts entry points at an address no interface holds.

Docker Desktop writes ``host.docker.internal`` and ``gateway.docker.internal`` with the
host's LAN address into the Windows hosts file when it starts, and does not refresh
them when the network changes (docker/for-win#13916); WSL then copies that file into
each distro's ``/etc/hosts``. After a move from Wi-Fi to Ethernet, or from home to the
office, the name points at an address the machine no longer has.

This check reports hosts entries written by a generator (``writer`` ``docker-desktop``,
or ``wsl`` copies of Docker Desktop's names) whose address no interface of any node
holds. Entries a user wrote are left alone: they may name a device the atlas does not
see. Without a scanned host the check says nothing, since the answer would be a guess.
"""

from __future__ import annotations

from collections.abc import Sequence

from netatlas.analysis import Options
from netatlas.model.atlas import Atlas, Finding, NameRecord
from netatlas.model.facts import IPAddress
from netatlas.names import normalize, provenance
from netatlas.reach import host_node, lan_address

__all__ = ["CODE", "DESCRIPTION", "check"]

CODE = "stale-name"
DESCRIPTION = "Generated hosts entries (Docker Desktop, WSL) that point at an address no interface holds."

_GENERATED = frozenset({"docker-desktop", "docker-desktop-kube"})


def _held(atlas: Atlas) -> set[IPAddress]:
    out = {a.address for n in atlas.nodes for i in n.interfaces for a in i.addresses if a.address is not None}
    out |= {a.address for net in atlas.networks for a in net.attachments if a.address is not None}
    return out


def _generated(record: NameRecord, everything: Sequence[NameRecord]) -> bool:
    if record.source != "hosts":
        return False
    if record.writer in _GENERATED:
        return True
    if record.writer == "wsl" and (record.marker or "").startswith("copied by"):
        key = normalize(record.name)
        return key.endswith(".docker.internal") or any(
            o.writer in _GENERATED and normalize(o.name) == key for o in everything
        )
    return False


def check(atlas: Atlas, options: Options) -> list[Finding]:
    """One finding per stale address, naming every file and line that holds it."""
    host = host_node(atlas)
    if host is None or not host.interfaces:
        return []
    held = _held(atlas)
    stale: dict[IPAddress, list[NameRecord]] = {}
    for r in atlas.names:
        if not _generated(r, atlas.names):
            continue
        for a in r.addresses:
            if a.is_loopback or a.is_unspecified or a.is_link_local or a in held:
                continue
            stale.setdefault(a, []).append(r)
    now = lan_address(atlas, host)
    found: list[Finding] = []
    for address, records in stale.items():
        inside = next((n for n in atlas.networks if n.cidr.version == address.version and address in n.cidr), None)
        maybe = (
            f" It lies in {inside.label} ({inside.cidr}), so it may now be another device."
            if inside is not None
            else ""
        )
        names = sorted({r.name for r in records}, key=str.lower)
        places = "; ".join(f"{r.vantage}: {provenance(r)}" for r in records)
        fix_lines = []
        windows = [r for r in records if r.writer in _GENERATED]
        copies = [r for r in records if r.writer == "wsl"]
        fix_lines.append(
            "Restart Docker Desktop: it rewrites its block in the Windows hosts file at start "
            "(or turn off Settings > General > "
            "'Add the *.docker.internal names to the host's etc/hosts file')."
        )
        for r in windows:
            new = f"{now} {r.name}" if now is not None else f"# remove: {address} {r.name}"
            fix_lines.append(f"or edit {r.file} line {r.line} (as Administrator): `{address} {r.name}` -> `{new}`")
        if copies:
            fix_lines.append(
                "then `wsl --shutdown` so WSL copies the corrected file into /etc/hosts"
                + "".join(f"; or edit {r.vantage} {r.file} line {r.line}" for r in copies)
            )
        found.append(
            Finding(
                code=CODE,
                severity="warning",
                title=f"{', '.join(names)} -> {address}, an address no interface holds",
                detail=(
                    f"Generated hosts entries point {', '.join(names)} at {address}, but no interface of any "
                    f"node holds it"
                    + (f" (the host's LAN address is now {now})" if now is not None else "")
                    + f". Written in: {places}. Docker Desktop writes the host's address when it starts "
                    "and does not refresh it when the network changes; WSL copies the Windows hosts file "
                    "as it is." + maybe
                ),
                fix="\n".join(fix_lines),
                networks=(inside.id,) if inside is not None else (),
                nodes=tuple(
                    dict.fromkeys([host.id] + [n.id for r in records for n in atlas.nodes if r.vantage in n.vantages])
                ),
                evidence=tuple(dict.fromkeys(r.evidence for r in records if r.evidence)),
            )
        )
    return found
