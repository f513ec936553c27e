"""Docker Engine's round-robin subnet allocator (18.06 to 26.x), as a pure function.

Engines before 27.0 cut ``default-address-pools`` into one flat list of subnets, in
config order (``ipamutils.splitNetworks``; the defaults give 31: 172.17.0.0/16 …
172.31.0.0/16, then 192.168.0.0/20 … 192.168.240.0/20), and keep a **start index** into
it. A network created without ``--subnet`` gets the first subnet at or after the index
(wrapping round) that overlaps no allocated subnet, and the index moves past it.

Read from moby v20.10.24 (``vendor/github.com/docker/libnetwork/ipam/allocator.go``
``getPredefinedPool``/``updateStartIndex``, ``network.go`` ``requestPoolHelper``) and
v26.1.0 (``libnetwork/ipam/allocator.go`` ``allocatePredefinedPool``), which agree:

- the index lives in the daemon's memory only (the local address space has no store),
  so it survives network deletion and is 0 again whenever the daemon starts; networks
  restored at start ask for their stored subnets, which does not move it;
- after a pick at offset ``i`` of the list rotated to the index, the index becomes
  ``index + i + 1``, and **0** when that reaches the end of the list, not the
  remainder: a pick that wrapped round sends the next search back to the top;
- a subnet that overlaps a nameserver or a host route the engine avoids is held (so the
  next try skips it) and the search runs again from the moved index; the held subnets
  are released when the network has its subnet, so each try moved the index too.

So on these engines a removed network's subnet is not handed out again until the index
comes round to it (create 172.18, 172.19, 172.20, remove 172.19: the next is 172.21).

Example:
    >>> pools = [("10.9.0.0/22", 24)]
    >>> round_robin(pools, allocated=["10.9.0.0/24"], start_index=2, count=3)
    (['10.9.2.0/24', '10.9.3.0/24', '10.9.1.0/24'], 2)

    10.9.3.0/24 is the last subnet of the list, so the index went back to 0 after it,
    and the third search ran from the top.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from netatlas.errors import InvalidPoolError, NoMoreSubnetsError
from netatlas.planning.docker_ipam import AddressPool, PoolSpec, PrefixSpec, _pool, _prefix

__all__ = ["NO_AVAILABLE_POOL", "PredefinedList", "round_robin"]

NO_AVAILABLE_POOL = (
    "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
)
"""The daemon's error text (18.06 to 26.x) when no subnet is left."""


class PredefinedList:
    """The flat list of subnets the daemon walks, computed on demand (a /8 cut into /24s is 65,536).

    Pools keep their config order and are neither sorted nor deduplicated; each base is
    masked, as ``net.ParseCIDR`` does.
    """

    def __init__(self, pools: Iterable[PoolSpec]) -> None:
        self.pools: list[AddressPool] = [_pool(p) for p in pools]
        self._starts: list[int] = []
        total = 0
        for p in self.pools:
            self._starts.append(total)
            total += 1 << (p.size - p.base.prefixlen)
        self._len = total

    def __len__(self) -> int:
        return self._len

    def entry(self, position: int) -> tuple[int, int, int]:
        """``(address, prefix length, address width)`` of the subnet at ``position``."""
        k = bisect.bisect_right(self._starts, position) - 1
        pool = self.pools[k]
        width = pool.base.max_prefixlen
        addr = int(pool.base.network_address) + ((position - self._starts[k]) << (width - pool.size))
        return addr, pool.size, width

    def position(self, subnet: PrefixSpec) -> int | None:
        """Where ``subnet`` stands in the list (its first occurrence), or ``None``."""
        net = _prefix(subnet)
        for k, pool in enumerate(self.pools):
            if pool.size == net.prefixlen and pool.base.version == net.version and net.subnet_of(pool.base):  # type: ignore[arg-type]
                step = pool.base.max_prefixlen - pool.size
                return self._starts[k] + ((int(net.network_address) - int(pool.base.network_address)) >> step)
        return None


class _Spans:
    """Sorted, merged ``(first, last)`` integer ranges of one family, for overlap tests."""

    def __init__(self, prefixes: Iterable[tuple[int, int]], width: int) -> None:
        spans = sorted((a, a + (1 << (width - b)) - 1) for a, b in prefixes)
        self.firsts: list[int] = []
        self.lasts: list[int] = []
        for first, last in spans:
            if self.lasts and first <= self.lasts[-1] + 1:
                self.lasts[-1] = max(self.lasts[-1], last)
            else:
                self.firsts.append(first)
                self.lasts.append(last)

    def hits(self, first: int, last: int) -> bool:
        i = bisect.bisect_right(self.firsts, last) - 1
        return i >= 0 and self.lasts[i] >= first

    def add(self, first: int, last: int) -> None:
        i = bisect.bisect_left(self.firsts, first)
        self.firsts.insert(i, first)
        self.lasts.insert(i, last)


def _ints(values: Iterable[PrefixSpec], version: int) -> list[tuple[int, int]]:
    return [(int(n.network_address), n.prefixlen) for n in map(_prefix, values) if n.version == version]


def allocate_once(
    predefined: PredefinedList,
    index: int,
    used: _Spans,
    avoid: _Spans,
    version: int,
    *,
    first_fit: bool = False,
) -> tuple[int, int, int, int]:
    """One ``docker network create`` without ``--subnet``: ``(address, length, position, new index)``.

    ``used`` gains the subnet picked. Subnets held because they hit ``avoid`` are
    released at the end, as ``requestPoolHelper``'s deferred ``ReleasePool`` does.

    Raises:
        NoMoreSubnetsError: every subnet is allocated or avoided.
    """
    n = len(predefined)
    held: list[tuple[int, int]] = []
    try:
        while True:
            start = 0 if first_fit or index >= n else index
            for i in range(n):
                position = (start + i) % n
                addr, bits, width = predefined.entry(position)
                if width != (32 if version == 4 else 128):
                    continue
                last = addr + (1 << (width - bits)) - 1
                if used.hits(addr, last):
                    continue
                index = start + i + 1
                if index >= n:
                    index = 0
                break
            else:
                raise NoMoreSubnetsError(NO_AVAILABLE_POOL.replace("IPv4", f"IPv{version}"))
            if avoid.hits(addr, last):
                used.add(addr, last)  # held: the next try must not get it again
                held.append((addr, last))
                continue
            used.add(addr, last)
            return addr, bits, position, index
    finally:
        for first, last in held:
            i = next(k for k, f in enumerate(used.firsts) if f == first and used.lasts[k] == last)
            del used.firsts[i], used.lasts[i]


def round_robin(
    pools: Iterable[PoolSpec],
    allocated: Iterable[PrefixSpec] = (),
    reserved: Iterable[PrefixSpec] = (),
    *,
    start_index: int = 0,
    count: int = 1,
    family: int = 4,
    first_fit: bool = False,
) -> tuple[list[str], int]:
    """The next ``count`` subnets of a round-robin engine, and the start index after them.

    Args:
        pools: ``default-address-pools`` in config order.
        allocated: subnets of the engine's existing networks.
        reserved: what the engine avoids on its host (nameservers, routes).
        start_index: the daemon's start index now (0 right after it started).
        count: networks created in a row.
        family: 4 or 6.
        first_fit: engines before 18.06, whose search always starts at the top.

    Raises:
        InvalidPoolError: no pool of ``family``.
        NoMoreSubnetsError: the list runs out.
        ValueError: a negative ``count`` or ``start_index``.
    """
    if count < 0 or start_index < 0:
        raise ValueError(f"count and start_index must be 0 or more, not {count!r}, {start_index!r}")
    predefined = PredefinedList(pools)
    if not any(p.base.version == family for p in predefined.pools):
        raise InvalidPoolError(f"invalid address pool: no IPv{family} pool given")
    width = 32 if family == 4 else 128
    used = _Spans(_ints(allocated, family), width)
    avoid = _Spans(_ints(reserved, family), width)
    out: list[str] = []
    index = start_index
    for _ in range(count):
        addr, bits, _position, index = allocate_once(predefined, index, used, avoid, family, first_fit=first_fit)
        out.append(_cidr(addr, bits, width))
    return out, index


def _cidr(addr: int, bits: int, width: int) -> str:
    import ipaddress

    net = ipaddress.IPv4Network((addr, bits)) if width == 32 else ipaddress.IPv6Network((addr, bits))
    return str(net)


def spans(prefixes: Sequence[PrefixSpec], family: int = 4) -> _Spans:
    """Overlap index of ``prefixes`` of one family (for :mod:`netatlas.planning.docker_state`)."""
    return _Spans(_ints(prefixes, family), 32 if family == 4 else 128)
