"""The fleet's plan: the largest blocks no machine's networks, routes or pools touch.

Pure: the server passes in every current range of the fleet (``db.used_ranges``), and
gets back aligned CIDR blocks of the private ranges that overlap none of them, largest
first. Redacted fleets work the same: the prefix-preserving map sends blocks to blocks
and keeps the private ranges' membership, so the admin's client maps each free block
back to a real free block.

>>> import ipaddress
>>> used = [ipaddress.ip_network("10.0.0.0/9"), ipaddress.ip_network("172.16.0.0/12")]
>>> [str(b) for b in largest_free(used, count=3)]
['10.128.0.0/9', '192.168.0.0/16']
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from netatlas.model import IPNetwork
from netatlas.planning.plan import PREFERENCE

__all__ = ["largest_free"]


def largest_free(
    used: Iterable[IPNetwork], *, count: int = 10, within: Sequence[IPNetwork] = PREFERENCE, smallest: int = 24
) -> list[IPNetwork]:
    """Up to ``count`` free blocks in ``within`` (RFC 1918), largest first, none smaller than ``/smallest``."""
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in used if n.version == 4)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    blocks: list[IPNetwork] = []
    for parent in within:
        cur, last = int(parent.network_address), int(parent.broadcast_address)
        for s, e in merged:
            if e < cur or s > last:
                continue
            if s > cur:
                blocks += _cidrs(cur, s - 1)
            cur = max(cur, e + 1)
        if cur <= last:
            blocks += _cidrs(cur, last)
    blocks = [b for b in blocks if b.prefixlen <= smallest]
    blocks.sort(key=lambda b: (b.prefixlen, int(b.network_address)))
    return blocks[:count]


def _cidrs(first: int, last: int) -> list[IPNetwork]:
    return list(ipaddress.summarize_address_range(ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)))
