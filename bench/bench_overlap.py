#!/usr/bin/env python3
"""Overlap analysis: every overlapping pair among M prefixes of a realistic fleet.

The prefixes are what M/10-odd laptops report (deterministic, seeded): Docker's
``docker0`` and compose networks (172.17-31.0.0/16, then 192.168.x.0/20), a WSL NAT
/20 somewhere in 172.16.0.0/12, VPN routes (10.0.0.0/8 or 172.16.0.0/12, plus specific
corporate /24s), the home LAN (192.168.0-255.0/24, mostly .0 and .1), and a few IPv6
ULAs. Identical prefixes are common (every laptop has 172.17.0.0/16), so the number of
overlapping *pairs* grows quadratically; the fast core
(:func:`netatlas.analysis._overlaps.nest`) folds copies and reports the nesting
forest and the pair count in near-linear time instead of listing the pairs.

Lines:

* ``overlap-core``: ``nest()`` + ``pair_count()`` on integer spans; ``seconds_from_ipaddress``
  adds turning the ``ipaddress`` networks into spans (what a caller holding
  ``ipaddress`` objects pays); ratio against the baseline below.
* ``overlap-pool-overlap``: the sort-and-sweep of ``pool_overlap.overlapping_pairs``
  over ``Prefix`` objects, which yields every pair, so its cost is O(pairs); run only
  while the pairs are few enough to list (skipped above ``--max-pairs``).

Baseline: the naive check, ``a.overlaps(b)`` for every pair of ``ipaddress`` networks,
timed on a sample of ``--sample`` prefixes and extrapolated by the number of pairs:
``t_sample / (s(s-1)/2) * M(M-1)/2`` (the per-pair cost does not depend on M).
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, peak_rss_mb, timed

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def fleet(m: int, seed: int = 820) -> list[Net]:
    """``m`` prefixes as a fleet of laptops reports them (see the module docstring)."""
    rnd = random.Random(seed)
    corp = [f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.0/24" for _ in range(2000)]
    compose = [f"172.{n}.0.0/16" for n in range(18, 32)] + [f"192.168.{n * 16}.0/20" for n in range(16)]
    net = ipaddress.ip_network  # one object per prefix, as rows read from a store would be

    out: list[Net] = []
    while len(out) < m:
        laptop: list[str] = []
        if rnd.random() < 0.9:
            laptop.append("172.17.0.0/16")
        laptop += compose[: rnd.choice((0, 0, 1, 1, 2, 3, 5, 8))]
        if rnd.random() < 0.5:
            r = rnd.randrange(256)
            laptop.append(f"172.{16 + r // 16}.{(r % 16) * 16}.0/20")
        if rnd.random() < 0.6:
            laptop.append(rnd.choice(("10.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12")))
            laptop += rnd.sample(corp, rnd.randint(1, 5))
        lan = rnd.choice((0, 1, 1, 0, 178, 50, 86, rnd.randrange(256)))
        laptop.append(f"192.168.{lan}.0/24")
        if rnd.random() < 0.2:
            laptop.append(f"fd{rnd.randrange(256):02x}:{rnd.randrange(65536):x}::/64")
        if rnd.random() < 0.1:
            laptop.append("fd00::/8")
        out += (net(x) for x in laptop)
    return out[:m]


def baseline(nets: list[Net], sample: int) -> tuple[float, int]:
    """Seconds and overlapping pairs of the naive all-pairs check on the first ``sample``."""
    s = nets[:sample]
    t0 = time.perf_counter()
    found = 0
    for i, a in enumerate(s):
        for b in s[i + 1 :]:
            if a.overlaps(b):
                found += 1
    return time.perf_counter() - t0, found


def run(m: int, sample: int, max_pairs: int) -> None:
    from netatlas.analysis._overlaps import nest, span

    nets = fleet(m)
    random.Random(1).shuffle(nets)
    rss_input = peak_rss_mb()
    conv_s, spans = timed(lambda: [span(n) for n in nets])
    core_s, nesting = timed(lambda: nest(spans))
    count_s, pairs = timed(nesting.pair_count)
    base_sample_s, base_found = baseline(nets, min(sample, m))
    s = min(sample, m)
    per_pair = base_sample_s / (s * (s - 1) / 2)
    base_s = per_pair * m * (m - 1) / 2
    emit(
        "overlap-core",
        m,
        core_s + count_s,
        base_s,
        seconds_from_ipaddress=round(conv_s + core_s + count_s, 4),
        distinct=len(nesting.spans),
        pairs=pairs,
        groups=sum(1 for _ in nesting.groups()),
        baseline_method=f"naive a.overlaps(b) on {s} prefixes ({base_sample_s:.3f}s, {base_found} pairs), "
        "extrapolated x M(M-1)/2 pairs",
        peak_rss_mb=peak_rss_mb(),
        input_rss_mb=rss_input,
        target="M=1M: seconds_from_ipaddress < 3, near-linear growth",
    )
    if pairs > max_pairs:
        emit(
            "overlap-pool-overlap",
            m,
            None,
            base_s,
            pairs=pairs,
            skipped=f"lists every pair: {pairs} pairs > --max-pairs {max_pairs}",
        )
        return
    from netatlas.analysis.pool_overlap import Prefix, overlapping_pairs

    prefixes = [Prefix(n, str(n), "network", "x", f"g{i}") for i, n in enumerate(nets)]
    sweep_s, listed = timed(lambda: sum(1 for _ in overlapping_pairs(prefixes)))
    emit(
        "overlap-pool-overlap",
        m,
        sweep_s,
        base_s,
        pairs=listed,
        agrees_with_core=listed == pairs,
        peak_rss_mb=peak_rss_mb(),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, action="append", help="prefixes (repeatable; default 10000)")
    ap.add_argument("--sample", type=int, default=2000, help="prefixes in the naive baseline's sample")
    ap.add_argument("--max-pairs", type=int, default=20_000_000, help="largest pair count to list")
    args = ap.parse_args()
    for m in args.size or [10_000]:
        run(m, args.sample, args.max_pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
