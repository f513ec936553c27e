"""Which layers that hand out addresses are present on the scanned machine.

``plan`` writes config only for what is there: a plain Linux host with dockerd has no
use for a ``.wslconfig`` or a Docker Desktop subnet. A layer is present when the scan
shows it:

- ``docker``: a Docker engine (``docker info``, an engine or Docker Desktop vantage, a
  Docker network, a ``docker0`` interface);
- ``docker-desktop``: Docker Desktop (its VM vantage, ``OperatingSystem: Docker Desktop``,
  its settings' ``vpnkitCIDR``);
- ``wsl``: WSL 2 (a distro vantage, the WSL NAT network);
- ``kind``: a kind cluster (the Docker network ``kind``, a ``*-control-plane`` node);
- ``minikube``: a minikube cluster (the Docker network or the node ``minikube``);
- ``podman``: podman (a podman network, a ``podmanN``/``cni-podmanN`` bridge).

Example:
    >>> from netatlas.atlas import build_atlas
    >>> from netatlas.bundle import read_bundle
    >>> present_layers(build_atlas(read_bundle("examples/z820"), analyze=False))
    ['docker', 'docker-desktop', 'wsl']
"""

from __future__ import annotations

import re

from netatlas.model import VantageKind
from netatlas.model.atlas import Atlas

__all__ = ["LAYERS", "PODMAN_BRIDGE", "present_layers"]

LAYERS = ("docker", "docker-desktop", "wsl", "kind", "minikube", "podman")
"""Every layer ``plan`` knows, in the order it prints them."""

PODMAN_BRIDGE = re.compile(r"^(cni-)?podman\d+$")
"""Podman's bridge names: ``podman0`` (netavark's default network), ``podmanN`` (netavark)
and ``cni-podmanN`` (CNI), as ``GetFreeDeviceName`` makes them."""


def _names(atlas: Atlas) -> set[str]:
    """Names of engine networks and of nodes (containers by their own names)."""
    out = {str(n.engine.get("name")) for n in atlas.networks if n.engine.get("name")}
    out |= {node.name for node in atlas.nodes}
    return out


def present_layers(atlas: Atlas) -> list[str]:
    """The layers of :data:`LAYERS` the scan shows, in that order."""
    kinds = {v.kind for v in atlas.vantages}
    ifaces = {i.name for node in atlas.nodes for i in node.interfaces}
    names = _names(atlas)
    desktop = (
        VantageKind.DOCKER_DESKTOP_VM in kinds
        or "docker desktop" in str(atlas.settings.get("operating_system", "")).lower()
        or bool(atlas.settings.get("vpnkit_cidr"))
    )
    engines = {str(n.engine.get("engine")) for n in atlas.networks if n.engine}
    podman = (
        "podman" in engines
        or any(PODMAN_BRIDGE.match(i) for i in ifaces)
        or any(PODMAN_BRIDGE.match(str(n.engine.get("bridge") or "")) for n in atlas.networks)
    )
    docker = (
        desktop
        or VantageKind.DOCKER_ENGINE in kinds
        or bool(atlas.settings.get("server_version"))
        or "docker" in engines
        or "docker0" in ifaces
        or any(n.owner == "docker-engine" for n in atlas.networks)
    )
    found = {
        "docker": docker,
        "docker-desktop": desktop,
        "wsl": VantageKind.WSL_DISTRO in kinds or any(n.kind == "wsl-nat" for n in atlas.networks),
        "kind": "kind" in names or any(name.endswith("-control-plane") for name in names),
        "minikube": "minikube" in names,
        "podman": podman,
    }
    return [layer for layer in LAYERS if found[layer]]
