"""Podman's own filtering (netavark or CNI), judged from the engine's state where its rules were not read.

What Podman enforces between its bridge networks depends on its network backend and
version, not on Docker's rules (sources: netavark's ``src/firewall/nft.rs`` and release
notes, podman-network-create(1); checked against Debian's podman 4.3 with CNI by probes
from inside its containers, ``tests/engine/test_podman_vs_probes.py``):

* Between two podman networks: no isolation by default before netavark 2.0 (Podman
  before 6), and none with CNI; a network created with ``--opt isolate=true`` (or
  ``strict``) is cut off; netavark 2.0+ makes ``strict`` the default.
* ``--internal``: no route out and no firewall setup; nothing leaves or enters.
* Published ports: DNAT from anywhere, other podman networks included.

Paths into a podman network from outside podman (the LAN, a Docker network) meet
whatever else the host's filter holds (Docker sets the FORWARD policy to DROP):
netatlas has no say there and leaves them unread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netatlas.model.atlas import Network
from netatlas.reach.engine import engine_version
from netatlas.reach.filters import Crossing, Verdict

if TYPE_CHECKING:
    from netatlas.reach.world import _World

__all__ = ["PodmanSemantics"]


def _podman(net: Network | None) -> bool:
    return net is not None and net.engine.get("engine") == "podman" and net.engine.get("driver") in (None, "bridge")


def _name(net: Network) -> str:
    return str(net.engine.get("name") or net.label)


def _label(net: Network) -> str:
    version = net.engine.get("version")
    backend = net.engine.get("network_backend") or "backend not read"
    return f"Podman {version or '(version not read)'} ({backend}) semantics (podman network inspect, podman info)"


def _evidence(net: Network) -> str | None:
    ev = net.engine.get("evidence")
    return ev if isinstance(ev, str) else None


def _isolation(net: Network) -> str:
    """``""`` (none), ``true`` or ``strict``: the network's own option, else the version's default."""
    opt = str(net.engine.get("isolate") or "").lower()
    if opt in ("true", "strict"):
        return opt
    if opt == "false" or net.engine.get("network_backend") == "cni":
        return ""
    v = engine_version(net.engine.get("version"))
    return "strict" if v is not None and v >= (6, 0) else ""


class PodmanSemantics:
    """Judges crossings of podman bridge networks by what netavark (or CNI) sets up."""

    def judge(self, world: _World, crossing: Crossing) -> Verdict | None:
        src, dst = crossing.in_net, crossing.out_net
        if crossing.hook == "publish":
            src, dst = crossing.in_net, crossing.target_net
        if crossing.hook not in ("forward", "publish") or not (_podman(src) or _podman(dst)):
            return None
        net = src if _podman(src) else dst
        assert net is not None
        for side, way in ((src, "leaves"), (dst, "enters")):
            if side is not None and _podman(side) and side.engine.get("internal"):
                if crossing.hook == "publish" and way == "enters":
                    continue
                return _internal(side, way)
        if not (_podman(src) and _podman(dst)) or src is None or dst is None or src.id == dst.id:
            return None
        if crossing.hook == "publish":
            return Verdict("accept", "podman DNATs a published port from any network", _label(dst), _evidence(dst))
        iso_src, iso_dst = _isolation(src), _isolation(dst)
        dropped = "strict" in (iso_src, iso_dst) or (iso_src == "true" and iso_dst == "true")
        if not dropped:
            return Verdict(
                "accept",
                f"podman does not isolate {_name(src)} from {_name(dst)} "
                "(no isolate option; CNI and netavark before 2.0 route between networks)",
                _label(dst),
                _evidence(dst),
            )
        return Verdict(
            "drop",
            f"podman isolates network {_name(dst) if iso_dst else _name(src)} (isolate="
            f"{iso_dst or iso_src}: NETAVARK-ISOLATION drops {_name(src)} → {_name(dst)})",
            _label(dst),
            _evidence(dst),
            (f"podman network connect {_name(dst)} <source container>", "or publish the port: podman run -p …"),
        )


def _internal(net: Network, way: str) -> Verdict:
    what = "nothing leaves it" if way == "leaves" else "nothing from outside enters it"
    name = _name(net)
    return Verdict(
        "drop",
        f"podman network {name} is --internal: {what} (no route out, forwarding off on its bridge)",
        _label(net),
        _evidence(net),
        (
            f"recreate it without --internal: podman network rm {name} && podman network create {name}",
            f"or connect the container to a second network: podman network connect <network> <container on {name}>",
        ),
    )
