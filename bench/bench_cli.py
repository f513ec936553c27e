#!/usr/bin/env python3
"""CLI start: ``netatlas --help`` and ``netatlas parse hosts /etc/hosts --json`` vs. a bare interpreter.

Each command runs ``--repeat`` times as a fresh process through the installed
console script (``netatlas`` beside ``sys.executable``, not a pyenv shim, whose bash
wrapper alone costs ~100 ms; without one, ``python -m netatlas.cli``). The baseline
is ``python -c pass`` with the same interpreter. The runs are interleaved (baseline,
then each command, round after round) so that a change in the machine's load moves
both sides of a ratio alike; each figure is the median of its rounds. ``ratio`` here
is ``seconds / baseline_seconds``: how many bare interpreter starts one netatlas
start costs (target: <= 2.5). ``top_imports`` is the largest top-level entries of
one ``-X importtime`` run, in ms: what the time goes to.

Children run as on a user's machine, where Python caches each module's compiled
bytecode (``pip install`` compiles it at install time): ``PYTHONDONTWRITEBYTECODE``
is dropped from their environment, and a first, untimed run writes the cache. With
it set and no cache (an editable install in an environment that sets it), every
start compiles netatlas's modules again, ~15-30 ms more here.

``no_site_seconds`` is ``python -S -c pass``: the interpreter without ``site``. Where
it is far below the baseline, ``.pth`` hooks in site-packages (this sandbox has one
that imports certifi, ~25 ms) inflate the baseline, and the ratio looks better than
on a plain install; docs/benchmarks.md gives both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import children_peak_rss_mb, emit


def _entry() -> list[str]:
    script = Path(sys.executable).parent / "netatlas"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "netatlas.cli"]


def _spread(xs: list[float]) -> list[float]:
    """Fastest and slowest of a series, in seconds."""
    return [round(min(xs), 4), round(max(xs), 4)]


def top_imports(argv: list[str], env: dict[str, str], n: int = 6) -> dict[str, float]:
    """The ``n`` costliest top-level imports (cumulative ms) of one run of ``argv``."""
    if argv[0] != sys.executable:
        argv = [sys.executable, *argv]
    out = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True, check=False, env=env)
    tops: dict[str, float] = {}
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if name.startswith("  "):  # nested import: counted in its parent
            continue
        tops[name.strip()] = round(int(parts[1]) / 1000, 1)
    return dict(sorted(tops.items(), key=lambda kv: -kv[1])[:n])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--size", type=int, action="append", help="ignored (one size); for a uniform bench/run")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="na-bench-") as tmp:
        hosts = Path(tmp) / "hosts"
        hosts.write_text("127.0.0.1 localhost\n127.0.1.1 bench\n::1 localhost ip6-localhost\n192.0.2.7 db.example\n")

        def run(argv: list[str]) -> float:
            t0 = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True, env=env)
            return time.perf_counter() - t0

        commands = {"cli-help": ["--help"], "cli-parse-hosts": ["parse", "hosts", str(hosts), "--json"]}
        argvs = {name: [*_entry(), *extra] for name, extra in commands.items()}
        base_argv = [sys.executable, "-c", "pass"]
        nosite_argv = [sys.executable, "-S", "-c", "pass"]
        for argv in (base_argv, nosite_argv, *argvs.values()):
            run(argv)  # warm the page cache and write the bytecode cache
        times: dict[str, list[float]] = {name: [] for name in ("baseline", "no-site", *argvs)}
        for _ in range(max(1, args.repeat)):
            times["baseline"].append(run(base_argv))
            times["no-site"].append(run(nosite_argv))
            for name, argv in argvs.items():
                times[name].append(run(argv))
        base = statistics.median(times["baseline"])
        for name, argv in argvs.items():
            s = statistics.median(times[name])
            emit(
                name,
                1,
                s,
                base,
                ratio=s / base,
                ratio_meaning="seconds / baseline_seconds (python -c pass); target <= 2.5",
                command=" ".join(["netatlas", *commands[name][:3]]),
                repeat=args.repeat,
                spread={"seconds": _spread(times[name]), "baseline_seconds": _spread(times["baseline"])},
                # python -S -c pass: what the interpreter costs before site's .pth hooks; a
                # baseline far above it means site-packages hooks flatter the ratio
                no_site_seconds=round(statistics.median(times["no-site"]), 4),
                top_imports=top_imports(argv, env),
                peak_rss_mb=children_peak_rss_mb(),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
