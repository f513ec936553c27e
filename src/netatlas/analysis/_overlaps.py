"""The fast core of overlap finding: which prefixes contain which, over integers.

CIDR blocks either nest or are disjoint, so after one sort by (first, -last) a stack
of the open blocks holds exactly the blocks containing the current one, and the top
of the stack is its innermost container. :func:`nest` computes that forest in
O(n log n) over plain integers (no ``ipaddress`` objects in the loop), after folding
identical blocks into one node: in a fleet the same ``172.17.0.0/16`` appears on
every laptop, and the *pairs* among those copies alone are quadratic (100k laptops
make 5·10⁹ of them). The forest is O(n) and says everything the pairs say:

* :meth:`Nesting.pair_count` counts the overlapping pairs in O(n) without listing them;
* :meth:`Nesting.groups` lists each distinct block once with its copies and the
  blocks inside it (the "group by containing prefix" report), O(n) in all;
* :meth:`Nesting.pairs` lists every pair lazily, O(pairs), for callers that want them
  (one machine's atlas: tens of prefixes).

Example:
    >>> import ipaddress
    >>> nets = [ipaddress.ip_network(c) for c in
    ...         ("10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "10.1.2.0/24", "10.1.0.0/16")]
    >>> n = nest([span(x) for x in nets])
    >>> n.pair_count()
    6
    >>> sorted(n.pairs())
    [(0, 1), (0, 3), (0, 4), (1, 3), (1, 4), (4, 3)]
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["V6_OFFSET", "Nesting", "nest", "span"]

V6_OFFSET = 1 << 32
"""IPv6 spans are shifted past the IPv4 space, so the two families never meet."""


def span(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int]:
    """(first, last) address of a network as integers, IPv6 shifted by :data:`V6_OFFSET`.

    Example:
        >>> span(ipaddress.ip_network("192.0.2.0/24"))
        (3221225984, 3221226239)
    """
    first = int(net.network_address)
    last = first | ((1 << (net.max_prefixlen - net.prefixlen)) - 1)
    if net.version == 6:
        return first + V6_OFFSET, last + V6_OFFSET
    return first, last


@dataclass(frozen=True, slots=True)
class Nesting:
    """Distinct blocks, their copies, and each one's innermost container.

    Args:
        spans: the distinct (first, last) blocks, sorted by (first, -last), so a
            container always comes before what it contains.
        members: for each distinct block, the input indices that are that block.
        parent: for each distinct block, the index (into ``spans``) of the smallest
            distinct block that strictly contains it, or -1.
    """

    spans: list[tuple[int, int]]
    members: list[list[int]]
    parent: list[int]

    def pair_count(self) -> int:
        """How many input pairs overlap (copies of one block count as overlapping)."""
        above = [0] * len(self.spans)  # copies of all strict containers
        total = 0
        for u, p in enumerate(self.parent):
            c = len(self.members[u])
            above[u] = 0 if p < 0 else above[p] + len(self.members[p])
            total += c * (c - 1) // 2 + c * above[u]
        return total

    def ancestors(self, u: int) -> Iterator[int]:
        """Distinct blocks containing block ``u``, innermost first."""
        p = self.parent[u]
        while p >= 0:
            yield p
            p = self.parent[p]

    def groups(self) -> Iterator[tuple[int, list[int]]]:
        """(distinct block, its direct children) for each block that overlaps something.

        A block overlaps something when it has two copies or a block inside it; its
        copies are ``members[block]``. Every overlapping pair is between a block's
        copies or between a block and one in the subtree of its children.
        """
        children: list[list[int]] = [[] for _ in self.spans]
        for u, p in enumerate(self.parent):
            if p >= 0:
                children[p].append(u)
        for u, kids in enumerate(children):
            if kids or len(self.members[u]) > 1:
                yield u, kids

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Every overlapping (outer, inner) pair of input indices, lazily.

        For copies of one block, the earlier input index is the outer one.
        """
        for u, mine in enumerate(self.members):
            for a in range(len(mine)):
                for b in range(a + 1, len(mine)):
                    yield mine[a], mine[b]
            for p in self.ancestors(u):
                for outer in self.members[p]:
                    for inner in mine:
                        yield outer, inner


def nest(spans: Sequence[tuple[int, int]]) -> Nesting:
    """The nesting forest of laminar (first, last) spans, e.g. from :func:`span`.

    Spans must nest or be disjoint (CIDR blocks always do); O(n log n) in the
    number of *distinct* spans plus O(n) to group the copies.

    Raises:
        ValueError: two spans overlap without one containing the other.
    """
    index: dict[tuple[int, int], int] = {}
    members: list[list[int]] = []
    for i, s in enumerate(spans):
        u = index.get(s)
        if u is None:
            index[s] = len(members)
            members.append([i])
        else:
            members[u].append(i)
    order = sorted(range(len(members)), key=lambda u: _key(spans[members[u][0]]))
    uniq = [spans[members[u][0]] for u in order]
    grouped = [members[u] for u in order]
    parent = [-1] * len(uniq)
    stack: list[int] = []  # distinct blocks containing the current one, outermost first
    for u, (first, last) in enumerate(uniq):
        while stack and uniq[stack[-1]][1] < first:
            stack.pop()
        if stack:
            if uniq[stack[-1]][1] < last:
                raise ValueError(f"spans {uniq[stack[-1]]} and {(first, last)} overlap without nesting")
            parent[u] = stack[-1]
        stack.append(u)
    return Nesting(uniq, grouped, parent)


def _key(s: tuple[int, int]) -> tuple[int, int]:
    return s[0], -s[1]
