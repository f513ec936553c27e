"""Namespaces that went away while verify ran: their checks prove nothing about the map.

A busy machine does not hold still. A run with thousands of probes takes minutes, and a
container stopped, removed or restarted in that time answers nothing (or answers from a
new namespace), so a probe to or from it times out where the atlas, built from the scan
before, rightly predicted it would be refused or delivered. Tried on a machine where 200
containers of a benchmark were removed during a run, every one of its 4 796
disagreements was of that kind. So a namespace is pinned by its identity (device and
inode of ``/proc/PID/ns/net`` or ``/run/netns/NAME``) when it is entered and looked at
again at the end; a disagreement from or to one that changed becomes *unknown*, saying
which one left.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from netatlas.verify.judge import Check
from netatlas.verify.places import Place

Identity = tuple[int, int]


def _identity(path: str) -> Identity | None:
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def pin(places: Iterable[Place]) -> dict[str, tuple[str, Identity]]:
    """Node id → (namespace path, identity) for each place entered by its path."""
    out: dict[str, tuple[str, Identity]] = {}
    for p in places:
        if p.how == "netns" and p.path is not None:
            ident = _identity(p.path)
            if ident is not None:
                out[p.node] = (p.path, ident)
    return out


def _alive() -> set[Identity]:
    """The identity of every network namespace a process or a name still holds."""
    out: set[Identity] = set()
    for pattern, root in (("[0-9]*/ns/net", "/proc"), ("*", "/run/netns")):
        for path in Path(root).glob(pattern):
            ident = _identity(str(path))
            if ident is not None:
                out.add(ident)
    return out


def gone(pinned: Mapping[str, tuple[str, Identity]]) -> set[str]:
    """The pinned nodes whose namespace no longer exists.

    A path that now leads elsewhere (the process exited) is not enough: another process
    or a bind mount may still hold the namespace, and its disagreements are real. Only a
    namespace no process and no name holds any more is gone.
    """
    moved = {node: ident for node, (path, ident) in pinned.items() if _identity(path) != ident}
    if not moved:
        return set()
    alive = _alive()
    return {node for node, ident in moved.items() if ident not in alive}


def discount(
    checks: Iterable[tuple[Check, tuple[str | None, ...]]], left: set[str], label: Mapping[str, str]
) -> list[Check]:
    """Each check; a disagreement touching a node in ``left`` is made unknown, naming it.

    ``checks`` pairs each check with the nodes it touched (its place, its target's holder).
    """
    out: list[Check] = []
    for check, nodes in checks:
        moved = [n for n in nodes if n is not None and n in left]
        if moved and check.result == "disagree":
            who = ", ".join(label.get(n, n) for n in dict.fromkeys(moved))
            check = dataclasses.replace(
                check, result="unknown", why=f"{who} stopped, restarted or was removed while verify ran"
            )
        out.append(check)
    return out
