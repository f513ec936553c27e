"""netatlas: the map of every network, pool, interface and name on a machine.

The library is usable without the CLI::

    >>> import netatlas
    >>> facts = netatlas.parse("hosts", "198.51.100.4 db.example\\n")
    >>> facts.hosts[0].names
    ('db.example',)

A bundle (from ``netatlas.scan()`` or ``netatlas.read_bundle(path)``) becomes an atlas
with ``netatlas.build_atlas``; ``netatlas.why``, ``netatlas.resolve`` and
``netatlas.make_plan`` answer the questions on it.

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
    from netatlas.atlas import build_atlas
    from netatlas.bundle import Bundle, read_bundle, write_bundle
    from netatlas.collect.scan import scan
    from netatlas.names import resolve
    from netatlas.parsers import detect, parse
    from netatlas.planning.docker_ipam import predict_docker_subnets
    from netatlas.planning.plan import make_plan
    from netatlas.planning.podman_ipam import predict_podman_subnets
    from netatlas.reach import why

__all__ = [
    "AllocationError",
    "Bundle",
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
    "build_atlas",
    "detect",
    "make_plan",
    "parse",
    "predict_docker_subnets",
    "predict_podman_subnets",
    "read_bundle",
    "resolve",
    "scan",
    "why",
    "write_bundle",
]

_LAZY = {
    "Bundle": ("netatlas.bundle", "Bundle"),
    "build_atlas": ("netatlas.atlas", "build_atlas"),
    "make_plan": ("netatlas.planning.plan", "make_plan"),
    "read_bundle": ("netatlas.bundle", "read_bundle"),
    "resolve": ("netatlas.names", "resolve"),
    "scan": ("netatlas.collect.scan", "scan"),
    "why": ("netatlas.reach", "why"),
    "write_bundle": ("netatlas.bundle", "write_bundle"),
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
