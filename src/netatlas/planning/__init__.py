"""Planning: which subnets container engines hand out next.

Pure functions over pool lists and used prefixes, with the engines' defaults loaded
from ``knowledge/pools.json``:

- :func:`predict_docker_subnets`: Docker Engine's allocator per engine version (27.0+
  linear, 18.06 to 26.x round-robin), returning a :class:`Prediction` that says which;
  :func:`netatlas.planning.docker_state.docker_forecast` reads its inputs from a scan;
  :func:`docker_address_space` shows the pools as the daemon walks them and
  :func:`docker_reserved_prefixes` what it keeps out (resolv.conf nameservers and
  on-link routes).
- :func:`predict_podman_subnets`: podman's first-fit over ``default_subnet_pools``
  (:func:`containers_conf_pools` reads them from containers.conf).

Example:
    >>> from netatlas.planning import DOCKER_DEFAULT_POOLS, predict_docker_subnets
    >>> predict_docker_subnets(DOCKER_DEFAULT_POOLS, reserved=["172.17.0.0/16"])
    ['172.18.0.0/16']
"""

from __future__ import annotations

from netatlas.planning.docker_ipam import (
    DOCKER_DEFAULT_POOLS,
    DOCKER_DEFAULT_POOLS_SOURCE,
    AddressPool,
    PoolSpec,
    Prediction,
    PrefixSpec,
    docker_address_space,
    docker_reserved_prefixes,
    predict_docker_subnets,
)
from netatlas.planning.podman_ipam import (
    PODMAN_DEFAULT_NETWORK,
    PODMAN_DEFAULT_POOLS,
    containers_conf_pools,
    predict_podman_subnets,
)

__all__ = [
    "DOCKER_DEFAULT_POOLS",
    "DOCKER_DEFAULT_POOLS_SOURCE",
    "PODMAN_DEFAULT_NETWORK",
    "PODMAN_DEFAULT_POOLS",
    "AddressPool",
    "PoolSpec",
    "Prediction",
    "PrefixSpec",
    "containers_conf_pools",
    "docker_address_space",
    "docker_reserved_prefixes",
    "predict_docker_subnets",
    "predict_podman_subnets",
]
