"""What a container engine enforces on one of its networks, read from the engine's own state.

Docker programs the kernel's packet filter from a few facts about each network: whether
it is ``--internal``, whether containers on it may talk to each other (ICC), its
gateway mode, and the bridge device it runs on. The engine reports every one of them
(``docker network inspect``: ``Internal`` and ``Options``) and its version (``docker
info``: ``ServerVersion``), so ``why`` can judge a path through the network even where
the filter itself was not read, as on Docker Desktop, whose engine runs in a VM that a
Windows or macOS scan cannot look into. The rules themselves live in
:mod:`netatlas.reach.engine`; this module only gathers their inputs, with the defaults
Docker documents for options a network does not set.

Example:
    >>> from netatlas.model.facts import EngineNetwork
    >>> icc_off = {"com.docker.network.bridge.enable_icc": "false"}
    >>> state = engine_state(
    ...     EngineNetwork("back", driver="bridge", internal=True, options=icc_off),
    ...     "docker-engine/networks",
    ...     {"server_version": "20.10.24+dfsg1"},
    ... )
    >>> state["internal"], state["icc"], state["gateway_mode_ipv4"], state["version"]
    (True, False, 'nat', '20.10.24+dfsg1')
"""

from __future__ import annotations

from collections.abc import Mapping

from netatlas.model._serde import JSON
from netatlas.model.facts import EngineNetwork

__all__ = ["engine_state"]

_OPT = "com.docker.network.bridge."


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes", "on")


def engine_state(network: EngineNetwork, evidence: str, settings: Mapping[str, object]) -> dict[str, JSON]:
    """The engine's facts about ``network`` (see :class:`netatlas.model.atlas.Network` ``engine``).

    Args:
        network: the network as ``docker network inspect`` (or podman's) reports it.
        evidence: the id of that evidence, quoted by the hops that rest on it.
        settings: the same engine's ``docker info`` settings (``server_version``,
            ``operating_system``), and daemon.json's where they were read.
    """
    opts = network.options
    podman = "podman_version" in settings  # the podman engine's own facts (podman-info)
    version = settings.get("podman_version" if podman else "server_version")
    state: dict[str, JSON] = {
        "engine": "podman" if podman else "docker",
        "version": version if isinstance(version, str) else None,
        "desktop": "docker desktop" in str(settings.get("operating_system", "")).lower(),
        "name": network.name,
        "driver": network.driver,
        "bridge": network.bridge,
        "internal": bool(network.internal),
        # ICC: the network's option; docker0 reports the daemon's --icc the same way
        "icc": _flag(opts.get(_OPT + "enable_icc"), True),
        "gateway_mode_ipv4": opts.get(_OPT + "gateway_mode_ipv4", "nat"),
        "gateway_mode_ipv6": opts.get(_OPT + "gateway_mode_ipv6", "nat"),
        "evidence": evidence,
    }
    if network.created:  # the order of creation drives Docker's allocator before 27.0
        state["created"] = network.created
    for key in ("userland_proxy", "iptables"):
        if isinstance(settings.get(key), bool):
            state[key] = bool(settings[key])
    if podman:
        backend = settings.get("network_backend")
        state["network_backend"] = backend if isinstance(backend, str) else None
        state["rootless"] = settings.get("rootless") is True
        # netavark's per-network isolation (podman network create --opt isolate=true|strict)
        state["isolate"] = opts.get("isolate", "")
    return state
