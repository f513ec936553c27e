"""Shared helpers of the benchmarks: timing, peak memory, one JSON line per result.

Every bench prints JSON lines ``{"bench", "size", "seconds", "baseline_seconds",
"ratio", "peak_rss_mb", ...}`` on standard output; ``ratio`` is
``baseline_seconds / seconds`` (how many times faster than the baseline), or for
the CLI start bench ``seconds / baseline_seconds`` (how many times the bare
interpreter), as its ``ratio_meaning`` says. Nothing here asserts a time: the numbers
are for people and for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def children_peak_rss_mb() -> float:
    """The largest peak RSS of any child process waited for so far, in MiB."""
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(kb / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """(fastest wall seconds, last result) over ``repeat`` calls."""
    best, out = float("inf"), None
    for _ in range(max(1, repeat)):
        s, out = timed(fn)
        best = min(best, s)
    return best, out


def median_of(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall seconds over ``repeat`` calls."""
    return statistics.median(timed(fn)[0] for _ in range(max(1, repeat)))


def emit(bench: str, size: int, seconds: float | None, baseline_seconds: float | None, **extra: Any) -> None:
    """Print one result line (``ratio`` = baseline / seconds unless given)."""
    ratio = extra.pop("ratio", None)
    if ratio is None and seconds and baseline_seconds:
        ratio = baseline_seconds / seconds
    line = {
        "bench": bench,
        "size": size,
        "seconds": None if seconds is None else round(seconds, 4),
        "baseline_seconds": None if baseline_seconds is None else round(baseline_seconds, 4),
        "ratio": None if ratio is None else round(ratio, 2),
        "peak_rss_mb": extra.pop("peak_rss_mb", peak_rss_mb()),
        **extra,
    }
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def skip(bench: str, size: int, reason: str) -> None:
    """Print a result line for a bench that cannot run here (``skipped`` says why)."""
    sys.stdout.write(
        json.dumps(
            {
                "bench": bench,
                "size": size,
                "seconds": None,
                "baseline_seconds": None,
                "ratio": None,
                "peak_rss_mb": peak_rss_mb(),
                "skipped": reason,
            }
        )
        + "\n"
    )
    sys.stdout.flush()
