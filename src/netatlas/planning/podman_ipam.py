"""Podman's (netavark/CNI) choice of subnet for a new network.

``podman network create`` without ``--subnet`` walks ``default_subnet_pools`` in the
order given and returns the first ``/size`` subnet that intersects no used network
(containers/common ``libnetwork/internal/util/util.go`` ``GetFreeIPv4NetworkSubnet``
@f437c58; ``shared/facts/pool-facts.md`` §5). Used networks are the subnets of every
existing podman network, including the default ``podman`` network (10.88.0.0/16), and
the network of **every address on a host interface** (``getLiveNetworkSubnets``:
Go's ``net.InterfaceAddrs``); routes are not looked at, neither a route through a
gateway nor an on-link route without an address of the host's on it. Checked against
Debian's podman 4.3 (containers/common v0.50.1, CNI backend): with ``10.89.1.1/24`` on a
host bridge and a route to ``10.89.2.0/24`` through a gateway, three ``podman network
create`` gave 10.89.0.0/24, 10.89.2.0/24, 10.89.3.0/24
(``tests/engine/test_podman_allocator.py``).
Unlike Docker the pools are neither sorted nor deduplicated. IPv6 subnets are random
ULAs, so only IPv4 is predicted.

Example:
    >>> predict_podman_subnets(used=["10.89.0.0/24", "10.89.1.7/24"])
    ['10.89.2.0/24']
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable

from netatlas import knowledge
from netatlas.errors import InvalidPoolError, NoMoreSubnetsError
from netatlas.planning.docker_ipam import AddressPool, PoolSpec, PrefixSpec, _pool, _prefix

__all__ = [
    "PODMAN_DEFAULT_NETWORK",
    "PODMAN_DEFAULT_POOLS",
    "containers_conf_pools",
    "predict_podman_subnets",
]

NO_FREE_SUBNET = "could not find free subnet from subnet pools"
"""Podman's error text when every pool is used up."""


def _load() -> tuple[tuple[AddressPool, ...], ipaddress.IPv4Network]:
    rows = [row for row in knowledge.load("pools")["defaults"] if row["engine"] == "podman"]
    pools = sorted((r for r in rows if r["pool"] == "default_subnet_pools"), key=lambda r: r["order"])
    default = next(r for r in rows if r["pool"].startswith("default-network"))
    return (
        tuple(AddressPool(ipaddress.ip_network(r["cidr"]), int(r["size"]), str(r["source"])) for r in pools),
        ipaddress.IPv4Network(default["cidr"]),
    )


_POOLS, _DEFAULT = _load()

PODMAN_DEFAULT_POOLS: tuple[AddressPool, ...] = _POOLS
"""``default_subnet_pools`` of containers.conf: 10.89.0.0/16, 10.90.0.0/15,
10.92.0.0/14, 10.96.0.0/11, 10.128.0.0/9, each handing out /24s."""

PODMAN_DEFAULT_NETWORK: ipaddress.IPv4Network = _DEFAULT
"""The default ``podman`` network (bridge ``podman0``): 10.88.0.0/16."""


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged ``(first, last)`` address ranges."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def _first_free(pool: AddressPool, used: list[tuple[int, int]]) -> int | None:
    """Start of the lowest ``/size`` block of ``pool`` that touches no used range."""
    block = 1 << (32 - pool.size)
    candidate = int(pool.base.network_address)
    end = int(pool.base.broadcast_address)
    # Skip ranges that end before the pool starts; the rest are in address order.
    i = bisect.bisect_left(used, (candidate, -1))
    if i and used[i - 1][1] >= candidate:
        i -= 1
    while candidate + block - 1 <= end:
        if i == len(used) or candidate + block - 1 < used[i][0]:
            return candidate
        # used[i] touches this block: jump to the first block after it
        candidate = ((used[i][1] >> (32 - pool.size)) + 1) << (32 - pool.size)
        i += 1
    return None


def predict_podman_subnets(
    pools: Iterable[PoolSpec] = PODMAN_DEFAULT_POOLS,
    used: Iterable[PrefixSpec] = (),
    count: int = 1,
    *,
    default_network: PrefixSpec | None = PODMAN_DEFAULT_NETWORK,
) -> list[str]:
    """The IPv4 subnets ``podman network create`` picks next.

    Args:
        pools: ``default_subnet_pools`` in containers.conf order.
        used: subnets of existing podman networks and the addresses of host
            interfaces; an interface address such as ``"192.168.1.7/24"`` counts as its
            network, as Go's ``ParseCIDR`` makes it, and IPv6 entries are ignored.
        count: how many networks are created in a row; each result is used for the next.
        default_network: the ``podman`` network, always among the used networks;
            ``None`` leaves it out.

    Returns:
        ``count`` canonical CIDR strings.

    Raises:
        InvalidPoolError: a base not in CIDR form, a size shorter than its base prefix
            or longer than 32, or an IPv6 pool.
        NoMoreSubnetsError: the pools run out (podman: "could not find free subnet
            from subnet pools").
        ValueError: a used entry that is not an address or prefix, or a negative count.

    Example:
        >>> predict_podman_subnets([("192.0.2.0/24", 26)], used=["192.0.2.0/25"], count=2)
        ['192.0.2.128/26', '192.0.2.192/26']
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count!r}")
    checked = [_pool(p) for p in pools]
    for p in checked:
        if p.base.version != 4:
            raise InvalidPoolError(
                f"invalid address pool: {str(p.base)!r} is IPv6; podman picks IPv6 subnets at random"
            )
    nets = [_prefix(u) for u in used]
    if default_network is not None:
        nets.append(_prefix(default_network))
    taken = _merged((int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == 4)
    results: list[str] = []
    for _ in range(count):
        for pool in checked:
            start = _first_free(pool, taken)
            if start is not None:
                net = ipaddress.IPv4Network((start, pool.size))
                results.append(str(net))
                taken = _merged([*taken, (start, int(net.broadcast_address))])
                break
        else:
            raise NoMoreSubnetsError(NO_FREE_SUBNET)
    return results


def containers_conf_pools(text: str, *, source: str = "containers.conf") -> list[AddressPool] | None:
    """``default_subnet_pools`` of a containers.conf (TOML ``[network]`` table), or ``None`` when unset.

    Podman reads the system file, then ``CONTAINERS_CONF`` or the user's file over it;
    a later file's list replaces an earlier one's, so pass the one that wins.

    Raises:
        ParseError: the text is not TOML, or an entry is not ``{base = "CIDR", size = N}``.

    Example:
        >>> [(str(p.base), p.size) for p in containers_conf_pools(
        ...     '[network]\\ndefault_subnet_pools = [{base = "10.213.0.0/16", size = 24}]\\n')]
        [('10.213.0.0/16', 24)]
    """
    import importlib
    import sys

    from netatlas.errors import ParseError

    # the standard library's TOML reader from 3.11 on; tomli, the same code, before
    toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        doc: dict[str, object] = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        line = int(getattr(exc, "lineno", 0) or 1)
        raise ParseError(f"not TOML: {exc}", line=line, source=source) from None
    network = doc.get("network")
    if not isinstance(network, dict) or "default_subnet_pools" not in network:
        return None
    raw = network["default_subnet_pools"]
    if not isinstance(raw, list):
        raise ParseError("default_subnet_pools is not a list", line=_line_of(text), source=source)
    out: list[AddressPool] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("base"), str) or "size" not in entry:
            raise ParseError(f"not a {{base, size}} pool: {entry!r}", line=_line_of(text), source=source)
        try:
            out.append(_pool((entry["base"], entry["size"])))
        except InvalidPoolError as exc:
            raise ParseError(str(exc), line=_line_of(text), source=source) from None
    return out


def _line_of(text: str) -> int:
    """The line of ``default_subnet_pools`` (where a bad entry is reported)."""
    for no, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith("default_subnet_pools"):
            return no
    return 1
