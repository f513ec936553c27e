"""Which subnet allocator a Docker Engine runs, and which host routes it avoids, by version.

Docker changed how it picks a network's subnet twice, and what it keeps clear of once,
so a prediction must first know the engine's version (``docker info``:
``ServerVersion``, e.g. ``20.10.24+dfsg1``):

=================  ===============================================================
engine             allocator
=================  ===============================================================
before 18.06       **first-fit**: the search always starts at the top of the list
18.06 - 26.x       **round-robin**: the search starts where the last one stopped
                   (libnetwork ``9756ff7e`` "Allocate subnets in order rather than
                   restarting", ``predefinedStartIndices``; ``libnetwork/ipam/
                   allocator.go`` in moby v26.1.0, ``predefinedStartIndex``)
27.0 and later     **linear**: always the lowest free subnet (``defaultipam``,
                   moby ``9d288b5b43``)
=================  ===============================================================

What the daemon keeps clear of besides its own networks: the nameservers of its
``resolv.conf`` always, and the host's routes: **every** non-default route of the main
table before 20.10.15, only **on-link** (``scope link``) routes from 20.10.15 on. The
scope filter is libnetwork ``9db86fb7`` "Only check if route overlaps routes with scope:
LINK" (2022-03-14), vendored first by moby v20.10.15 (libnetwork ``339b972b``; v20.10.14
still vendors ``64b7a457`` without it) and kept as ``InferReservedNetworks`` in 27.0+.

An unknown version (a bundle without ``docker info``, a ``dev`` build) is predicted as a
current engine: linear, on-link routes.

Example:
    >>> docker_allocator("20.10.24+dfsg1"), docker_allocator("27.3.1"), docker_allocator(None)
    ('round-robin', 'linear', 'linear')
    >>> reserves_every_route("20.10.14"), reserves_every_route("20.10.15")
    (True, False)
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "Algorithm",
    "docker_allocator",
    "docker_zero_is_dynamic",
    "engine_version_tuple",
    "reserves_every_route",
]

Algorithm = Literal["linear", "round-robin", "first-fit"]

_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


def engine_version_tuple(version: str | None) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a ``ServerVersion`` such as ``20.10.24+dfsg1``; ``None`` if unreadable.

    Example:
        >>> engine_version_tuple("20.10.24+dfsg1"), engine_version_tuple("v27.0"), engine_version_tuple("dev")
        ((20, 10, 24), (27, 0, 0), None)
    """
    if not version:
        return None
    m = _VERSION.match(version)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def docker_allocator(version: str | None) -> Algorithm:
    """The allocator of an engine of ``version``: ``first-fit``, ``round-robin`` or ``linear``."""
    v = engine_version_tuple(version)
    if v is None or v >= (27, 0, 0):
        return "linear"
    if v >= (18, 6, 0):
        return "round-robin"
    return "first-fit"


def reserves_every_route(version: str | None) -> bool:
    """Whether the engine avoids every non-default route (before 20.10.15), not only on-link ones."""
    v = engine_version_tuple(version)
    return v is not None and v < (20, 10, 15)


def docker_zero_is_dynamic(version: str | None) -> bool:
    """Whether a docker0 without an address takes its subnet through the allocator (24.0+).

    Before 24.0 the daemon picked docker0's subnet itself (``ElectInterfaceAddresses``:
    the first predefined subnet that overlaps no route) and asked the allocator for
    exactly that one, which does not move the round-robin index; from 24.0 on it asks
    for any subnet (``ifaceAddrs`` in ``daemon/daemon_unix.go``), which does. Either
    way, a docker0 that already has an address (any restart) asks for that address.
    """
    v = engine_version_tuple(version)
    return v is None or v >= (24, 0, 0)
