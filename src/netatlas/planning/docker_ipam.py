"""Docker Engine's subnet allocators, as pure functions: 27.0+ here, older ones by version.

``docker network create`` without ``--subnet``, docker0 without ``bip``/``fixed-cidr``,
every Compose network without ``ipam.config``, kind's ``kind`` network: all of them
take the *lowest free* subnet of ``default-address-pools``. This module predicts which
one, so netatlas can say what the next network will collide with before it exists.

Given ``engine_version``, :func:`predict_docker_subnets` predicts the allocator that
engine runs (:mod:`netatlas.planning.docker_versions`): engines from 18.06 to 26.x
allocate round-robin from a start index in the daemon's memory
(:mod:`netatlas.planning.docker_round_robin`), and the result says which algorithm it
used and what the prediction rests on (:class:`Prediction`).

The rest of this module is a port of moby's linear allocator (``defaultipam``, Docker 27.0 and later;
``allocatePredefinedPool`` in ``daemon/libnetwork/ipams/defaultipam/address_space.go``
@b985e23), written from the algorithm described in ``shared/facts/pool-facts.md``
§1.3. Addresses are plain integers inside the walk; :mod:`ipaddress` parses the input
and prints the output.

How the daemon sees its inputs, and so how this module does:

- **pools** are split by family and each base is masked (``splitByIPFamily``), then
  sorted by address and, for one address, shorter prefix first; an entry that overlaps
  the entry kept before it is dropped (``10.0.0.0/8`` swallows ``10.10.0.0/16``). The
  sort is stable, so of two equal bases the one listed first wins.
- **allocated** are the subnets of existing networks (docker0, user networks, also
  those created with an explicit ``--subnet``); **reserved** are the host's resolv.conf
  nameservers and on-link routes (:func:`docker_reserved_prefixes`). Both are masked.
  Swarm (global-scope) networks get no reserved list.
- one address family per call: IPv4 and IPv6 are separate address spaces in the
  daemon. With ``family=None`` the IPv4 space is used when any IPv4 pool is given,
  else the IPv6 one; prefixes of the other family are ignored.

**A daemon quirk, kept on purpose.** When an allocated or reserved prefix spans more
than one pool-size block and a *second* prefix lies inside it (say an on-link route
``172.20.0.0/15`` and a nameserver ``172.20.0.10`` in it), the daemon's walk forgets the
larger one and hands out the block after the smaller one, a subnet that overlaps the
larger prefix. ``daemon_quirks=True`` (the default) predicts exactly that, because
predicting the daemon is the point; ``daemon_quirks=False`` first drops prefixes that
lie inside an earlier one, which gives the lowest subnet that truly overlaps nothing.

Example:
    >>> predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated=["172.17.0.0/16"], count=2)
    ['172.18.0.0/16', '172.19.0.0/16']
    >>> predict_docker_subnets([("198.51.100.0/24", 26)], reserved=["198.51.100.53"])
    ['198.51.100.64/26']
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal, NamedTuple

from netatlas import knowledge
from netatlas.errors import InvalidPoolError, NoMoreSubnetsError
from netatlas.model.facts import IPAddress, IPNetwork, Route
from netatlas.planning.docker_versions import docker_allocator, reserves_every_route

__all__ = [
    "DOCKER_DEFAULT_POOLS",
    "DOCKER_DEFAULT_POOLS_SOURCE",
    "AddressPool",
    "PoolSpec",
    "Prediction",
    "PrefixSpec",
    "docker_address_space",
    "docker_reserved_prefixes",
    "predict_docker_subnets",
]

Family = Literal[4, 6]

NO_MORE_SUBNETS = "all predefined address pools have been fully subnetted"
"""moby's ``ErrNoMoreSubnets`` text (``daemon/libnetwork/ipamapi/contract.go``)."""


class AddressPool(NamedTuple):
    """One ``default-address-pools`` entry: hand out ``/size`` subnets of ``base``.

    Example:
        >>> AddressPool(ipaddress.ip_network("10.0.0.0/8"), 24)
        AddressPool(base=IPv4Network('10.0.0.0/8'), size=24, source='')
    """

    base: IPNetwork
    size: int
    source: str = ""
    """Where this pool comes from (knowledge data), empty for user input."""


PoolSpec = AddressPool | tuple[str | IPNetwork, int]
"""A pool as callers give it: an :class:`AddressPool` or a ``(base, size)`` pair."""

PrefixSpec = str | IPNetwork | IPAddress
"""A subnet or a single address (``/32`` or ``/128``), as text or :mod:`ipaddress`."""


class Prediction(list[str]):
    """The predicted subnets, in allocation order, and how they were predicted.

    It is the list of CIDR strings callers always had, so ``==`` with a list and
    indexing work as before; the attributes say which allocator was modelled and what
    the answer rests on.

    Attributes:
        algorithm: ``linear`` (Docker 27.0+, or an unknown version), ``round-robin``
            (18.06 to 26.x) or ``first-fit`` (before 18.06).
        engine_version: the version the algorithm was chosen by, as given.
        start_index: the round-robin start index the prediction began from (``None``
            for the linear allocator, which has none).
        next_index: the start index after the predicted allocations.
        rests_on: plain sentences: what the prediction assumes.
    """

    algorithm: str
    engine_version: str | None
    start_index: int | None
    next_index: int | None
    rests_on: tuple[str, ...]

    def __init__(
        self,
        subnets: Iterable[str] = (),
        *,
        algorithm: str = "linear",
        engine_version: str | None = None,
        start_index: int | None = None,
        next_index: int | None = None,
        rests_on: Iterable[str] = (),
    ) -> None:
        super().__init__(subnets)
        self.algorithm = algorithm
        self.engine_version = engine_version
        self.start_index = start_index
        self.next_index = next_index
        self.rests_on = tuple(rests_on)


# ---------------------------------------------------------------------------- input


class _Space(NamedTuple):
    """The daemon's view of one address family: masked, sorted, deduplicated pools."""

    width: int  # 32 or 128
    pools: list[tuple[int, int, int]]  # (base address, base prefix length, size)
    sources: list[str]


def _network(value: str | IPNetwork, what: str) -> IPNetwork:
    """A pool base as a masked network; text must carry a ``/length``."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if not isinstance(value, str) or "/" not in value:
        raise InvalidPoolError(f"invalid address pool: {what} {value!r} is not in CIDR form")
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise InvalidPoolError(f"invalid address pool: {what} {value!r} is not in CIDR form") from exc


def _prefix(value: PrefixSpec) -> IPNetwork:
    """An allocated or reserved prefix, masked; a bare address means a host prefix.

    Raises:
        ValueError: ``value`` is neither an address nor a prefix.
    """
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ipaddress.IPv4Network(int(value)) if value.version == 4 else ipaddress.IPv6Network(int(value))
    if isinstance(value, str):
        text = value.strip()
        if "%" in text:  # an IPv6 zone (fe80::1%eth0) says nothing about the prefix
            addr, _, rest = text.partition("%")
            text = addr + (rest[rest.index("/") :] if "/" in rest else "")
        try:
            return ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise ValueError(f"not an IP address or prefix: {value!r}") from exc
    raise ValueError(f"not an IP address or prefix: {value!r}")


def _pool(spec: PoolSpec) -> AddressPool:
    """Validate one pool the way ``splitByIPFamily`` does, and mask its base."""
    base_in: str | IPNetwork
    if isinstance(spec, AddressPool):
        base_in, size, source = spec.base, spec.size, spec.source
    else:
        try:
            base_in, size = spec
        except (TypeError, ValueError) as exc:
            raise InvalidPoolError(f"invalid address pool: {spec!r} is not a (base, size) pair") from exc
        source = ""
    base = _network(base_in, "base")
    if isinstance(size, bool) or not isinstance(size, int):
        raise InvalidPoolError(f"invalid address pool: size {size!r} of {str(base)!r} is not an integer")
    if size == 0 or size < base.prefixlen:
        raise InvalidPoolError(
            f"invalid address pool: size /{size} is shorter than the base {str(base)!r} (/{base.prefixlen})"
        )
    if size > base.max_prefixlen:
        raise InvalidPoolError(f"invalid address pool: size /{size} is longer than an IPv{base.version} address")
    return AddressPool(base, size, source)


def _space(pools: Iterable[PoolSpec], family: Family | None) -> _Space:
    """Split by family, keep one, sort by ``PrefixCompare`` and drop overlapping entries."""
    checked = [_pool(p) for p in pools]
    if family is None:
        family = 4 if any(p.base.version == 4 for p in checked) or not checked else 6
    if family not in (4, 6):
        raise ValueError(f"family must be 4 or 6, not {family!r}")
    mine = [p for p in checked if p.base.version == family]
    # Python's sort is stable: of two equal bases the one listed first is kept, as
    # moby's insertion sort does for lists this short.
    mine.sort(key=lambda p: (int(p.base.network_address), p.base.prefixlen))
    width = 32 if family == 4 else 128
    kept: list[tuple[int, int, int]] = []
    sources: list[str] = []
    for p in mine:
        addr, bits = int(p.base.network_address), p.base.prefixlen
        if kept and _overlaps(kept[-1][0], kept[-1][1], addr, bits, width):
            continue
        kept.append((addr, bits, p.size))
        sources.append(p.source)
    return _Space(width, kept, sources)


def _as_int_prefixes(values: Iterable[PrefixSpec], family: Family) -> list[tuple[int, int]]:
    """Masked ``(address, length)`` pairs of one family, sorted by ``PrefixCompare``."""
    out = [(int(n.network_address), n.prefixlen) for n in map(_prefix, values) if n.version == family]
    out.sort()
    return out


# ---------------------------------------------------------------------- arithmetic
# Prefixes are (address, length) integer pairs; tuple order is moby's PrefixCompare
# (address first, then the shorter prefix first).


def _mask(addr: int, bits: int, width: int) -> int:
    host = width - bits
    return (addr >> host) << host


def _overlaps(a: int, abits: int, b: int, bbits: int, width: int) -> bool:
    shorter = min(abits, bbits)
    return _mask(a, shorter, width) == _mask(b, shorter, width)


def _last(addr: int, bits: int, width: int) -> int:
    return addr + (1 << (width - bits)) - 1


def _blocks_between(first: int, second: int, size: int, width: int) -> int:
    """How many ``/size`` blocks lie between the blocks of ``first`` and ``second``."""
    if second < first:
        return 0
    return (_mask(second, size, width) - _mask(first, size, width)) >> (width - size)


def _block_after(prev: tuple[int, int], size: int, width: int) -> int | None:
    """Start of the ``/size`` block right after ``prev``, or ``None`` past the end."""
    step = width - min(prev[1], size)
    addr = (prev[0] + (1 << step)) & ((1 << width) - 1)
    if addr == 0:
        return None
    return _mask(addr, size, width)


# ---------------------------------------------------------------------------- walk


def _without_nested(stream: Iterable[tuple[int, int]], width: int) -> Iterator[tuple[int, int]]:
    """Drop every prefix that lies inside one yielded before it (input sorted)."""
    end = -1
    for addr, bits in stream:
        last = _last(addr, bits, width)
        if last <= end:
            continue
        end = last
        yield addr, bits


def _allocate(pools: Sequence[tuple[int, int, int]], stream: Iterable[tuple[int, int]], width: int) -> tuple[int, int]:
    """One dynamic allocation: the daemon's merge walk over pools and used prefixes.

    ``stream`` is every allocated and reserved prefix, sorted. For the current pool the
    walk keeps the used prefix it last saw inside it (``prev``); the first gap of at
    least one whole block (before the first used prefix, between two, or after the
    last) is the answer.
    """
    index = 0
    prev: tuple[int, int] | None = None  # set while the current pool is partly used
    used = iter(stream)
    cur = next(used, None)
    while cur is not None:
        if index == len(pools):
            raise NoMoreSubnetsError(NO_MORE_SUBNETS)
        base, bits, size = pools[index]
        addr, abits = cur
        if _overlaps(addr, abits, base, bits, width):
            if abits <= bits:  # covers the whole pool
                prev = None
                index += 1
                continue
            if prev is None and _blocks_between(base, addr, size, width) >= 1:
                return base, size  # room at the start of the pool
            if prev is not None:
                after = _block_after(prev, size, width)
                if after is not None and _blocks_between(after, addr, size, width) >= 1:
                    return after, size  # room between prev and cur
            cur = next(used, None)
            if _last(addr, abits, width) == _last(base, bits, width):  # used up to its end
                prev = None
                index += 1
            else:
                prev = (addr, abits)
            continue
        if prev is not None:  # cur lies past the pool: is there room after prev?
            after = _block_after(prev, size, width)
            prev = None
            if after is not None and _overlaps(after, size, base, bits, width):
                return after, size
            index += 1
            continue  # test cur again, against the next pool
        if base < addr:  # an untouched pool before cur
            return base, size
        cur = next(used, None)  # cur lies before the pool
    if index == len(pools):
        raise NoMoreSubnetsError(NO_MORE_SUBNETS)
    if prev is not None:
        base, bits, size = pools[index]
        after = _block_after(prev, size, width)
        if after is not None and _overlaps(after, size, base, bits, width):
            return after, size
        index += 1
    if index < len(pools):
        base, _, size = pools[index]
        return base, size
    raise NoMoreSubnetsError(NO_MORE_SUBNETS)


def _cidr(addr: int, bits: int, width: int) -> str:
    net = ipaddress.IPv4Network((addr, bits)) if width == 32 else ipaddress.IPv6Network((addr, bits))
    return str(net)


# ---------------------------------------------------------------------- public API


def docker_address_space(pools: Iterable[PoolSpec], family: Family | None = None) -> list[AddressPool]:
    """The pools as the daemon keeps them: one family, masked, sorted, deduplicated.

    Args:
        pools: ``(base, size)`` pairs or :class:`AddressPool` entries, in config order.
        family: 4 or 6; ``None`` picks IPv4 when any IPv4 pool is given, else IPv6.

    Returns:
        The pools the allocator walks, in the order it walks them.

    Raises:
        InvalidPoolError: a base not in CIDR form, a size shorter than its base prefix
            or longer than the address.

    Example:
        >>> [(str(p.base), p.size) for p in docker_address_space(
        ...     [("192.168.0.0/16", 24), ("10.10.0.0/16", 24), ("10.0.0.0/8", 16)])]
        [('10.0.0.0/8', 16), ('192.168.0.0/16', 24)]
    """
    space = _space(pools, family)
    factory = ipaddress.IPv4Network if space.width == 32 else ipaddress.IPv6Network
    return [
        AddressPool(factory((base, bits)), size, source)
        for (base, bits, size), source in zip(space.pools, space.sources, strict=True)
    ]


def predict_docker_subnets(
    pools: Iterable[PoolSpec],
    allocated: Iterable[PrefixSpec] = (),
    reserved: Iterable[PrefixSpec] = (),
    count: int = 1,
    prefix_size: int | None = None,
    *,
    family: Family | None = None,
    daemon_quirks: bool = True,
    engine_version: str | None = None,
    start_index: int = 0,
) -> Prediction:
    """The subnets Docker hands out next, with the allocator of ``engine_version``.

    Each of the ``count`` allocations counts as allocated for the next one, as when
    that many networks are created in a row. On 27.0+ (the default when the version is
    not given) the lowest free subnet comes first, and a deleted network's subnet is
    free again at once (the linear allocator has no memory), so leave it out of
    ``allocated``. On 18.06 to 26.x the search starts at ``start_index`` and goes
    round-robin (:mod:`netatlas.planning.docker_round_robin`); before 18.06 it always
    starts at the top.

    Args:
        pools: ``default-address-pools`` as ``(base, size)`` pairs or
            :class:`AddressPool` entries (for instance :data:`DOCKER_DEFAULT_POOLS`).
        allocated: subnets of existing networks, in any order.
        reserved: prefixes the daemon avoids: resolv.conf nameservers and on-link
            routes (see :func:`docker_reserved_prefixes`); an address without a
            prefix is a ``/32`` or ``/128``.
        count: how many successive allocations to predict.
        prefix_size: the ``N`` of ``--subnet 0.0.0.0/N`` (Docker 29.0+): every pool
            that can hold a ``/N`` hands out ``/N`` subnets, the others are skipped.
            ``None`` or 0 means each pool's own size.
        family: 4 or 6; ``None`` picks IPv4 when any IPv4 pool is given, else IPv6.
        daemon_quirks: reproduce the daemon's handling of a used prefix inside another
            one (see the module docstring); ``False`` gives the lowest subnet that
            overlaps nothing. Linear allocator only.
        engine_version: ``docker info``'s ``ServerVersion`` (``20.10.24+dfsg1``); it
            chooses the allocator (:func:`~netatlas.planning.docker_versions.docker_allocator`).
        start_index: the round-robin start index (0 just after the daemon started;
            :func:`netatlas.planning.docker_state.docker_forecast` infers it from a scan).

    Returns:
        ``count`` canonical CIDR strings, in allocation order, as a :class:`Prediction`
        that also says which algorithm was used.

    Raises:
        InvalidPoolError: a pool base not in CIDR form, a size shorter than its base
            prefix or longer than the address, no pool of the family, or a
            ``prefix_size`` that no pool can hold (moby ``ErrInvalidPool``).
        NoMoreSubnetsError: the pools run out before ``count`` subnets are found
            (moby ``ErrNoMoreSubnets``).
        ValueError: an allocated or reserved entry that is not an address or prefix,
            a negative ``count`` or ``start_index``, or a ``prefix_size`` asked of an
            engine before 29.0.

    Example:
        >>> predict_docker_subnets([("10.0.0.0/8", 24)], allocated=["10.0.0.0/24", "10.0.2.0/24"])
        ['10.0.1.0/24']
        >>> p = predict_docker_subnets(DOCKER_DEFAULT_POOLS, ["172.17.0.0/16", "172.19.0.0/16"],
        ...                            engine_version="20.10.24", start_index=3)
        >>> p, p.algorithm, p.next_index
        (['172.20.0.0/16'], 'round-robin', 4)
        >>> predict_docker_subnets(DOCKER_DEFAULT_POOLS, allocated=["172.17.0.0/16"], prefix_size=24)
        ['172.18.0.0/24']
        >>> predict_docker_subnets([("192.0.2.0/24", 25)], allocated=["192.0.2.0/25"], count=2)
        Traceback (most recent call last):
        ...
        netatlas.errors.NoMoreSubnetsError: all predefined address pools have been fully subnetted
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count!r}")
    algorithm = docker_allocator(engine_version)
    if algorithm != "linear":
        return _predict_round_robin(
            pools, allocated, reserved, count, prefix_size, family, engine_version, start_index, algorithm
        )
    space = _space(pools, family)
    fam: Family = 4 if space.width == 32 else 6
    if prefix_size:
        walk = [(base, bits, prefix_size) for base, bits, _ in space.pools if bits <= prefix_size <= space.width]
        if not walk:
            raise InvalidPoolError(f"invalid address pool: no IPv{fam} pool can hold a /{prefix_size}")
    else:
        walk = space.pools
    if not walk:
        raise InvalidPoolError(f"invalid address pool: no IPv{fam} pool given")
    used = _as_int_prefixes(allocated, fam)
    avoid = _as_int_prefixes(reserved, fam)
    results: list[str] = []
    for _ in range(count):
        # heapq.merge is stable: on a tie the allocated prefix comes first, as in moby.
        stream: Iterable[tuple[int, int]] = heapq.merge(used, avoid)
        if not daemon_quirks:
            stream = _without_nested(stream, space.width)
        addr, bits = _allocate(walk, stream, space.width)
        bisect.insort(used, (addr, bits))
        results.append(_cidr(addr, bits, space.width))
    known = engine_version is not None and docker_allocator(engine_version) == "linear"
    return Prediction(
        results,
        algorithm="linear",
        engine_version=engine_version,
        rests_on=(
            (f"Docker {engine_version}" if known else "an engine of unknown version, taken as Docker 27.0+")
            + " hands out the lowest free subnet of its pools; a removed network's subnet is free again at once",
        ),
    )


def _predict_round_robin(
    pools: Iterable[PoolSpec],
    allocated: Iterable[PrefixSpec],
    reserved: Iterable[PrefixSpec],
    count: int,
    prefix_size: int | None,
    family: Family | None,
    engine_version: str | None,
    start_index: int,
    algorithm: str,
) -> Prediction:
    """:func:`predict_docker_subnets` for engines before 27.0."""
    from netatlas.planning.docker_round_robin import round_robin

    if prefix_size:
        raise ValueError(f"--subnet 0.0.0.0/{prefix_size} needs Docker 29.0 or later, not {engine_version}")
    checked = [_pool(p) for p in pools]
    fam = family or (4 if any(p.base.version == 4 for p in checked) or not checked else 6)
    first_fit = algorithm == "first-fit"
    subnets, after = round_robin(
        checked,
        allocated,
        reserved,
        start_index=0 if first_fit else start_index,
        count=count,
        family=fam,
        first_fit=first_fit,
    )
    said = (
        f"Docker {engine_version} searches from the top of its pools every time (first-fit, before 18.06)"
        if first_fit
        else f"Docker {engine_version} allocates round-robin (18.06 to 26.x): the search starts at index "
        f"{start_index} of its pools' subnets, an index in the daemon's memory that survives network removal "
        "and is 0 again when the daemon starts"
    )
    return Prediction(
        subnets,
        algorithm=algorithm,
        engine_version=engine_version,
        start_index=None if first_fit else start_index,
        next_index=None if first_fit else after,
        rests_on=(said,),
    )


_ROUTE_TABLES_MAIN = (None, "main", "254")
_ROUTE_TYPES_UNICAST = (None, "unicast")


def docker_reserved_prefixes(
    nameservers: Iterable[str | IPAddress] = (),
    routes: Iterable[Route] = (),
    *,
    family: Family = 4,
    engine_version: str | None = None,
) -> list[IPNetwork]:
    """The prefixes the daemon keeps out of dynamic allocation on a Linux host.

    This is ``InferReservedNetworks`` of Docker 27.0 and later, and the same check of
    Docker 20.10.15 to 26.x (``FindAvailableNetwork``: libnetwork ``9db86fb7``, moby
    PR #42598): every nameserver as a host prefix, and, for IPv4 only, every
    **on-link** route of the main table whose destination is not the unspecified
    address. Routes through a gateway are not reserved, whatever they cover: a VPN that
    routes ``172.16.0.0/12`` via its tunnel gateway does not stop Docker from taking
    ``172.18.0.0/16``. Before 20.10.15 (``engine_version``) every route of the main
    table with a destination counted, of any type and scope. Docker Desktop, Windows
    and FreeBSD reserve nothing on the host (the engine runs elsewhere or uses another
    IPAM).

    The daemon reads ``/etc/resolv.conf``, or systemd-resolved's upstream file
    (``/run/systemd/resolve/resolv.conf``) when the stub resolver is in use: pass the
    nameservers of the file it would read.

    A route counts as on-link when its ``scope`` is ``link``. When the source did not
    say (``scope`` is ``None``), iproute2's default applies: a unicast route without a
    gateway is on-link.

    Args:
        nameservers: ``nameserver`` entries of the daemon host's resolv.conf.
        routes: the daemon host's routes (``ip route`` facts).
        family: 4 or 6, as the daemon asks once per family.
        engine_version: ``docker info``'s ``ServerVersion``; before 20.10.15 every
            route counts, not only on-link ones. ``None``: a current engine.

    Returns:
        The reserved prefixes, sorted as the daemon sorts them.

    Raises:
        ValueError: a nameserver that is not an IP address.

    Example:
        >>> from ipaddress import ip_network, ip_address
        >>> lan = Route(ip_network("192.168.1.0/24"), scope="link", interface="eth0")
        >>> vpn = Route(ip_network("172.16.0.0/12"), gateway=ip_address("10.8.0.1"))
        >>> [str(p) for p in docker_reserved_prefixes(["192.168.1.1", "2001:db8::53"], [lan, vpn])]
        ['192.168.1.0/24', '192.168.1.1/32']
    """
    out: list[IPNetwork] = []
    for ns in nameservers:
        net = _prefix(ns)
        if net.version == family:
            out.append(ipaddress.ip_network(net.network_address))  # always a host prefix
    every = reserves_every_route(engine_version)
    if family == 4:
        for route in routes:
            dst = route.destination
            if dst.version != 4 or dst.network_address.is_unspecified:
                continue
            if route.table not in _ROUTE_TABLES_MAIN:
                continue
            if every:  # netlink's Dst is nil only for the default route
                out.append(dst)
                continue
            on_link = route.scope == "link" or (
                route.scope is None and route.gateway is None and route.type in _ROUTE_TYPES_UNICAST
            )
            if on_link:
                out.append(dst)
    out.sort(key=lambda n: (int(n.network_address), n.prefixlen))
    return out


def _load_default_pools(engine: str, pool: str) -> tuple[AddressPool, ...]:
    """The ordered pool list of ``engine``/``pool`` from ``knowledge/pools.json``."""
    rows = [row for row in knowledge.load("pools")["defaults"] if row["engine"] == engine and row["pool"] == pool]
    rows.sort(key=lambda row: row["order"])
    return tuple(AddressPool(ipaddress.ip_network(row["cidr"]), int(row["size"]), str(row["source"])) for row in rows)


DOCKER_DEFAULT_POOLS: tuple[AddressPool, ...] = _load_default_pools("docker-engine", "default-address-pools")
"""Docker Engine's built-in local-scope ``default-address-pools`` (18.06 and later):
172.17/16, 172.18/16, 172.19/16, 172.20/14, 172.24/14, 172.28/14 in /16s, then
192.168.0.0/16 in /20s, 31 subnets in all. Each entry carries its source."""

DOCKER_DEFAULT_POOLS_SOURCE: str = DOCKER_DEFAULT_POOLS[0].source if DOCKER_DEFAULT_POOLS else ""
"""Where :data:`DOCKER_DEFAULT_POOLS` comes from."""
