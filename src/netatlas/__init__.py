"""netatlas: the map of every network, pool, interface and name on a machine.

The library is usable without the CLI::

    >>> import netatlas
    >>> facts = netatlas.parse("hosts", "198.51.100.4 db.example\\n")
    >>> facts.hosts[0].names
    ('db.example',)

Heavy parts are imported on first use, so ``import netatlas`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netatlas._version import __version__
from netatlas.errors import (
    AllocationError,
    BundleError,
    CollectError,
    InvalidPoolError,
    LabError,
    NetatlasError,
    NoMoreSubnetsError,
    ParseError,
    SchemaVersionError,
    UnknownKindError,
)

if TYPE_CHECKING:
    from netatlas.parsers import detect, parse
    from netatlas.planning.docker_ipam import predict_docker_subnets
    from netatlas.planning.podman_ipam import predict_podman_subnets

__all__ = [
    "AllocationError",
    "BundleError",
    "CollectError",
    "InvalidPoolError",
    "LabError",
    "NetatlasError",
    "NoMoreSubnetsError",
    "ParseError",
    "SchemaVersionError",
    "UnknownKindError",
    "__version__",
    "detect",
    "parse",
    "predict_docker_subnets",
    "predict_podman_subnets",
]

_LAZY = {
    "parse": ("netatlas.parsers", "parse"),
    "detect": ("netatlas.parsers", "detect"),
    "predict_docker_subnets": ("netatlas.planning.docker_ipam", "predict_docker_subnets"),
    "predict_podman_subnets": ("netatlas.planning.podman_ipam", "predict_podman_subnets"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'netatlas' has no attribute {name!r}")
