"""How an earlier run of a command differed from the state now, in words.

When a transcript holds one command twice (``wsl -l -v``, ``wsl --set-default-version
2``, ``wsl -l -v``), the later run is the state now and the earlier one survives only as
warnings (see :func:`netatlas.parsers._base.select_runs`). :func:`differences` compares
the facts of the two runs item by item, matching items by what names them (a
distribution's name, an interface's name, a route's destination, gateway and
interface …) and says what each was before: ``Ubuntu was Running``, ``eth0 had
172.18.80.229/20``, ``alpine-net was not there``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from netatlas.model import Facts, hostport

__all__ = ["differences"]

MAX_SAID = 8
"""Differences told per earlier run; the rest are counted (an ipconfig of 20 adapters
that all changed would otherwise bury the warnings that matter)."""


@dataclass(frozen=True, slots=True)
class _Kind:
    """How to match and describe the items of one Facts list."""

    field: str
    key: Callable[[Any], object]
    label: Callable[[Any], str]
    state: Callable[[Any], tuple[str | None, ...]]
    """What is said of an item, part by part; only the parts that changed are told."""
    verb: str = "was"


def _addresses(items: Sequence[Any]) -> str:
    text = ", ".join(f"{a.address}/{a.prefixlen}" if a.prefixlen is not None else str(a.address) for a in items)
    return text or "no address"


def _say(parts: tuple[str | None, ...], now: tuple[str | None, ...] | None = None) -> str:
    """The parts of ``parts`` (those that differ from ``now``, when given), joined."""
    told = [p for i, p in enumerate(parts) if p and (now is None or i >= len(now) or now[i] != p)]
    return ", ".join(told) or "there"


_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "distros",
        lambda d: d.name,
        lambda d: d.name,
        lambda d: (
            d.state or "in no state",
            f"WSL {d.version}" if d.version else None,
            "default" if d.default else "not default",
        ),
    ),
    _Kind(
        "interfaces",
        lambda i: i.name,
        lambda i: i.name,
        lambda i: (_addresses(i.addresses), {True: "up", False: "down", None: None}[i.up]),
        verb="had",
    ),
    _Kind(
        "routes",
        lambda r: (r.destination, r.gateway, r.interface, r.table),
        lambda r: " ".join(
            x
            for x in (
                "route",
                str(r.destination),
                f"via {r.gateway}" if r.gateway else "",
                f"on {r.interface}" if r.interface else "",
            )
            if x
        ),
        lambda r: (f"metric {r.metric}" if r.metric is not None else None,),
    ),
    _Kind(
        "networks",
        lambda n: n.name,
        lambda n: f"network {n.name}",
        lambda n: (n.driver, ", ".join(map(str, n.subnets)) or None, n.id),
    ),
    _Kind(
        "forwards",
        lambda f: (f.listen_address, f.listen_port, f.listen_any),
        lambda f: "forward " + hostport(f.listen_address or "*", f.listen_port),
        lambda f: ("to " + hostport(f.connect_address or f.connect_host or "?", f.connect_port),),
    ),
    _Kind(
        "containers",
        lambda c: c.name,
        lambda c: f"container {c.name}",
        lambda c: (c.state, ", ".join(str(m.address) for m in c.networks if m.address) or None),
    ),
    _Kind(
        "listeners",
        lambda li: (li.protocol, li.address, li.port),
        lambda li: f"listener {li.protocol} " + hostport(li.address or "*", li.port),
        lambda li: (li.process,),
    ),
    _Kind(
        "hosts", lambda h: (h.address, h.names), lambda h: f"hosts entry {h.address} {' '.join(h.names)}", lambda _: ()
    ),
    _Kind(
        "answers",
        lambda a: (a.name, a.server),
        lambda a: f"{a.name}",
        lambda a: (", ".join(map(str, a.addresses)) or a.status or "no answer",),
        verb="answered",
    ),
    _Kind(
        "neighbours",
        lambda n: (n.address, n.interface),
        lambda n: f"neighbour {n.address}",
        lambda n: (n.mac, n.state),
    ),
    _Kind("hops", lambda h: h.ttl, lambda h: f"hop {h.ttl}", lambda h: (str(h.address or "*"),)),
)


def _items(kind: _Kind, facts: Facts) -> dict[object, Any]:
    out: dict[object, Any] = {}
    for item in getattr(facts, kind.field):
        out.setdefault(kind.key(item), item)
    return out


def differences(old: Facts, new: Facts) -> list[str]:
    """What ``old`` (an earlier run) said that ``new`` (the state now) does not.

    >>> from netatlas.model import Distro
    >>> before = Facts("wsl-list", distros=(Distro("Ubuntu", "Running", 1, True),))
    >>> after = Facts("wsl-list", distros=(Distro("Ubuntu", "Stopped", 1, True),))
    >>> differences(before, after)
    ['Ubuntu was Running']
    """
    said: list[str] = []
    for kind in _KINDS:
        was, now = _items(kind, old), _items(kind, new)
        for key, item in was.items():
            if key not in now:
                said.append(f"{kind.label(item)} {kind.verb} {_say(kind.state(item))}; not there any more")
            elif kind.state(item) != kind.state(now[key]):
                said.append(f"{kind.label(item)} {kind.verb} {_say(kind.state(item), kind.state(now[key]))}")
        said.extend(f"{kind.label(item)} was not there yet" for key, item in now.items() if key not in was)
    if old.dns.to_dict() != new.dns.to_dict() and (old.dns.servers or old.dns.search):
        said.append(f"DNS servers were {', '.join(map(str, old.dns.servers)) or 'none'}")
    for key, value in old.settings.items():
        if new.settings.get(key) != value:
            said.append(f"{key} was {json.dumps(value, ensure_ascii=False)[:60]}")
    if len(said) > MAX_SAID:
        said = [*said[: MAX_SAID - 1], f"and {len(said) - MAX_SAID + 1} more difference(s)"]
    return said
