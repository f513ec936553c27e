"""Docker Engine's own filtering, judged from the engine's state where its rules were not read.

Docker programs the host's packet filter from a few facts about each network (see
:mod:`netatlas.atlas.engine_state`), and those rules decide most "why can't this
container reach that one" questions on a Linux engine. Each rule below is the
behaviour the engine's generated rules have, per engine version, with the rule text as
``iptables-save`` shows it (the sources are in ``docs/engine-rules.md`` and the facts
sheet ``docker-filtering.md``); every one was checked against a real dockerd by probes
from inside its containers (``tests/engine/``).

* Isolation between bridge networks (up to 28.x: ``DOCKER-ISOLATION-STAGE-1/2``; 29.x:
  a raw-table drop per container address, unless the target network's gateway mode is
  ``routed`` or ``nat-unprotected``).
* Direct access from outside the host to a container's address (a LAN that routes the
  bridge's subnet to the host): 28+ drops it (raw ``PREROUTING`` per address, and
  ``-A DOCKER ! -i br -o br -j DROP``); before 28, a published port has Docker's
  per-port ACCEPT and anything else falls to the FORWARD policy (unread: unknown).
* ``--internal`` networks: nothing leaves them and nothing from outside enters; the
  host's own addresses (INPUT, which Docker never filters) stay reachable.
* ICC off (``com.docker.network.bridge.enable_icc=false``): containers of the network
  cannot talk to each other.
* Published ports from another network through a host address: with the userland
  proxy on (the default), up to 28.x the nat ``DOCKER`` chain returns early for traffic
  from a bridge (``-A DOCKER -i br -j RETURN``) and docker-proxy relays it; from an
  ``--internal`` network the DNAT applies and the internal drop then stops it. With
  the proxy off, up to 28.x the DNAT is followed by the isolation drop. 29.x accepts it.

What it does not model (a ``routed`` gateway mode before 28, an engine version it cannot
read, ``iptables: false``) is answered ``unknown``, never a guess. Traffic leaving a
bridge for the LAN is not judged here at all, not even in Docker Desktop's VM: Docker's
own rules accept it, but whatever else the host or VM filters was not read, so where
no ruleset was read the filter is listed as unread (see :mod:`netatlas.reach.rulesets`
for a VM whose ruleset was).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netatlas.model.atlas import PUBLISH_VIAS, Network
from netatlas.reach.filters import Crossing, Verdict

if TYPE_CHECKING:
    from netatlas.reach.world import _World

__all__ = ["DockerSemantics", "engine_version"]

_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


def engine_version(value: object) -> tuple[int, int] | None:
    """``(major, minor)`` of a ``docker info`` ServerVersion (``20.10.24+dfsg1`` → (20, 10))."""
    m = _VERSION.match(value) if isinstance(value, str) else None
    return (int(m[1]), int(m[2])) if m else None


def _docker(net: Network | None) -> bool:
    return net is not None and net.engine.get("engine") == "docker" and net.engine.get("driver") in (None, "bridge")


def _name(net: Network) -> str:
    return str(net.engine.get("name") or net.label)


def _bridge(net: Network) -> str:
    return str(net.engine.get("bridge") or "br-…")


@dataclass(frozen=True)
class _Engine:
    """The engine behind a network: its version and the daemon options that change the rules."""

    version: tuple[int, int] | None
    label: str
    evidence: str | None
    proxy: bool
    iptables: bool

    @classmethod
    def of(cls, net: Network) -> _Engine:
        raw = net.engine.get("version")
        version = engine_version(raw)
        label = f"Docker Engine {raw}" if isinstance(raw, str) else "Docker Engine (version not read)"
        evidence = net.engine.get("evidence")
        return cls(
            version=version,
            label=label + " semantics (docker network inspect, docker info)",
            evidence=evidence if isinstance(evidence, str) else None,
            proxy=net.engine.get("userland_proxy") is not False,
            iptables=net.engine.get("iptables") is not False,
        )


def _publish_fix(target: str, port: int | None) -> str:
    p = port if port is not None else "PORT"
    return (
        f"publish the port and use the host's address: docker run -p {p}:{p} … {target}\n"
        f"# then connect to <host address>:{p}"
    )


class DockerSemantics:
    """Judges crossings of Docker bridge networks by the rules the engine programs."""

    def judge(self, world: _World, crossing: Crossing) -> Verdict | None:
        if crossing.hook == "bridge":
            return self._bridge(crossing)
        if crossing.hook == "forward":
            return self._forward(world, crossing)
        if crossing.hook == "publish":
            return self._publish(crossing)
        return None

    # ------------------------------------------------------------------ hooks

    def _bridge(self, c: Crossing) -> Verdict | None:
        net = c.in_net
        if net is None or not _docker(net):
            return None
        eng = _Engine.of(net)
        if not eng.iptables:
            return _unread_rules(net, eng)
        if net.engine.get("icc") is False:
            name = _name(net)
            return Verdict(
                "drop",
                f"ICC is off on network {name} (com.docker.network.bridge.enable_icc=false): Docker drops "
                f"traffic between its containers (-A DOCKER-FORWARD -i {_bridge(net)} -o {_bridge(net)} -j DROP)",
                eng.label,
                eng.evidence,
                (
                    f"enable ICC: recreate the network without the option: docker network rm {name} && "
                    f"docker network create {name} (disconnect its containers first)",
                    _publish_fix("<container>", c.port),
                ),
            )
        return Verdict("accept", f"ICC is on in network {_name(net)}", eng.label, eng.evidence)

    def _forward(self, world: _World, c: Crossing) -> Verdict | None:
        src, dst = c.in_net, c.out_net
        if not _docker(src) and not _docker(dst):
            return None
        net = src if _docker(src) else dst
        assert net is not None
        eng = _Engine.of(net)
        if not eng.iptables:
            return _unread_rules(net, eng)
        if src is not None and _docker(src) and src.engine.get("internal"):
            return _internal_drop(src, eng, "leaves", c)
        if dst is not None and _docker(dst) and dst.engine.get("internal"):
            return _internal_drop(dst, eng, "enters", c)
        if src is not None and dst is not None and _docker(src) and _docker(dst) and src.id != dst.id:
            return self._isolation(src, dst, eng, c)
        if dst is not None and _docker(dst) and not _docker(src):
            return self._direct(world, dst, eng, c)
        # out of a bridge: Docker's own rules accept it, but the host's (or Docker Desktop
        # VM's) other rules may not, and they were not read: unread, never assumed
        return None

    def _isolation(self, src: Network, dst: Network, eng: _Engine, c: Crossing) -> Verdict:
        mode = str(dst.engine.get("gateway_mode_ipv4" if c.dst.version == 4 else "gateway_mode_ipv6") or "nat")
        v = eng.version
        if mode not in ("nat", "routed", "nat-unprotected", "isolated"):
            return Verdict("unknown", f"network {_name(dst)} has gateway mode {mode!r}", eng.label, eng.evidence)
        if v is None:
            return Verdict(
                "unknown",
                f"the engine's version was not read, and Docker's isolation between {_name(src)} and "
                f"{_name(dst)} depends on it",
                eng.label,
                eng.evidence,
            )
        fixes = (
            f"connect the source container to the network: docker network connect {_name(dst)} <source container>",
            _publish_fix("<target container>", c.port),
        )
        if v < (29, 0):
            if mode == "routed" and v >= (28, 0):
                return Verdict("accept", f"network {_name(dst)} is in routed gateway mode", eng.label, eng.evidence)
            return Verdict(
                "drop",
                f"Docker isolates bridge networks from each other (DOCKER-ISOLATION-STAGE-2 drops "
                f"{_bridge(src)} → {_bridge(dst)}: {_name(src)} → {_name(dst)})",
                eng.label,
                eng.evidence,
                fixes,
            )
        if mode == "nat-unprotected":
            return Verdict("accept", f"network {_name(dst)} is nat-unprotected", eng.label, eng.evidence)
        if mode == "routed":
            return Verdict(
                "unknown", f"network {_name(dst)} is routed: only its published ports are open", eng.label, eng.evidence
            )
        return Verdict(
            "drop",
            f"Docker 29 drops direct access to containers of {_name(dst)} from outside its bridge "
            f"(raw PREROUTING -d {c.dst} ! -i {_bridge(dst)} -j DROP)",
            eng.label,
            eng.evidence,
            fixes,
        )

    def _direct(self, world: _World, dst: Network, eng: _Engine, c: Crossing) -> Verdict:
        """From outside the host (the LAN routing the bridge's subnet to it) straight to a container."""
        mode = str(dst.engine.get("gateway_mode_ipv4" if c.dst.version == 4 else "gateway_mode_ipv6") or "nat")
        published = any(
            f.via in PUBLISH_VIAS and f.connect_address == c.dst and f.connect_port == c.port
            for fs in world.forwards.values()
            for f in fs
        )
        v = eng.version
        fixes = (_publish_fix("<container>", c.port),)
        if v is None:
            return Verdict("unknown", "the engine's version was not read; direct routing depends on it", eng.label)
        if mode == "nat-unprotected" and v >= (28, 0):
            return Verdict("accept", f"network {_name(dst)} is nat-unprotected", eng.label, eng.evidence)
        if mode == "routed":
            if published:
                return Verdict("accept", f"a published port of routed network {_name(dst)}", eng.label, eng.evidence)
            return Verdict(
                "drop",
                f"network {_name(dst)} is routed: only published ports are open (-A DOCKER ! -i {_bridge(dst)} "
                f"-o {_bridge(dst)} -j DROP)",
                eng.label,
                eng.evidence,
                fixes,
            )
        if v >= (28, 0):
            return Verdict(
                "drop",
                f"Docker 28+ blocks direct access from outside the host to containers of {_name(dst)} "
                f"(raw PREROUTING -d {c.dst} ! -i {_bridge(dst)} -j DROP; -A DOCKER ! -i {_bridge(dst)} "
                f"-o {_bridge(dst)} -j DROP)",
                eng.label,
                eng.evidence,
                fixes,
            )
        if published:
            return Verdict(
                "accept", f"Docker's per-port ACCEPT for {c.dst}:{c.port} in the DOCKER chain", eng.label, eng.evidence
            )
        return Verdict(
            "unknown",
            f"before Docker 28, direct access to an unpublished port of {_name(dst)} falls to the host's FORWARD "
            "policy, which was not read",
            eng.label,
            eng.evidence,
        )

    def _publish(self, c: Crossing) -> Verdict | None:
        src, target = c.in_net, c.target_net
        if not _docker(src) or target is None or not _docker(target):
            return None  # from the LAN or the host itself: DNAT, then Docker's per-port ACCEPT
        assert src is not None
        eng = _Engine.of(target)
        if not eng.iptables:
            return _unread_rules(target, eng)
        if src.engine.get("internal"):
            return _internal_drop(src, eng, "leaves", c, published=True)
        if src.id == target.id:
            return None  # hairpin on the target's own network: docker-proxy (or hairpin NAT) relays it
        v = eng.version
        if v is None:
            return Verdict(
                "unknown", "the engine's version was not read; who may use a published port depends on it", eng.label
            )
        if v >= (29, 0) or eng.proxy:
            how = (
                "Docker 29 DNATs it and accepts it"
                if v >= (29, 0)
                else f"the nat DOCKER chain returns early for {_bridge(src)} (-A DOCKER -i {_bridge(src)} -j RETURN) "
                "and docker-proxy relays it"
            )
            return Verdict("accept", f"a published port from network {_name(src)}: {how}", eng.label, eng.evidence)
        return Verdict(
            "drop",
            f"with the userland proxy off, a published port used from network {_name(src)} is DNATed and then "
            f"dropped by the isolation between bridge networks ({_bridge(src)} → {_bridge(target)})",
            eng.label,
            eng.evidence,
            (f"docker network connect {_name(target)} <source container>",),
        )


def _internal_drop(net: Network, eng: _Engine, way: str, c: Crossing, *, published: bool = False) -> Verdict:
    name, br = _name(net), _bridge(net)
    cidr = net.cidr
    rule = (
        f"-A DOCKER-INTERNAL ! -d {cidr} -i {br} -j DROP"
        if way == "leaves"
        else f"-A DOCKER-INTERNAL ! -s {cidr} -o {br} -j DROP"
    )
    what = "nothing leaves it" if way == "leaves" else "nothing from outside enters it"
    extra = " (a published port is DNATed to another network first, then dropped)" if published else ""
    return Verdict(
        "drop",
        f"network {name} is --internal: {what}{extra} ({rule}; up to 28.x in DOCKER-ISOLATION-STAGE-1)",
        eng.label,
        eng.evidence,
        (
            f"drop --internal: recreate the network without it: docker network rm {name} && "
            f"docker network create {name} (disconnect its containers first)",
            f"or connect the container to a second, non-internal network: docker network connect <network> "
            f"<container on {name}>",
        ),
    )


def _unread_rules(net: Network, eng: _Engine) -> Verdict:
    return Verdict(
        "unknown",
        f"the engine runs with iptables disabled (network {_name(net)}): Docker programs no rules, and the "
        "host's own filter decides",
        eng.label,
        eng.evidence,
    )
