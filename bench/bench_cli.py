#!/usr/bin/env python3
"""CLI start: ``netatlas --help`` and ``netatlas parse hosts /etc/hosts --json`` vs. a bare interpreter.

Each command runs ``--repeat`` times (median wall time) as a fresh process through
the installed console script (``netatlas`` beside ``sys.executable``, not a pyenv
shim, whose bash wrapper alone costs ~100 ms; without one, ``python -m
netatlas.cli``). The baseline is ``python -c pass`` with the same interpreter.
``ratio`` here is ``seconds / baseline_seconds``: how many bare interpreter starts
one netatlas start costs (target: <= 2.5). ``top_imports`` is the largest
top-level entries of one ``-X importtime`` run, in ms: what the time goes to.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import children_peak_rss_mb, emit, median_of


def _entry() -> list[str]:
    script = Path(sys.executable).parent / "netatlas"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "netatlas.cli"]


def top_imports(argv: list[str], n: int = 6) -> dict[str, float]:
    """The ``n`` costliest top-level imports (cumulative ms) of one run of ``argv``."""
    if argv[0] != sys.executable:
        argv = [sys.executable, *argv]
    out = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True, check=False)
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
    with tempfile.TemporaryDirectory(prefix="na-bench-") as tmp:
        hosts = Path(tmp) / "hosts"
        hosts.write_text("127.0.0.1 localhost\n127.0.1.1 bench\n::1 localhost ip6-localhost\n192.0.2.7 db.example\n")

        def run(argv: list[str]) -> None:
            subprocess.run(argv, capture_output=True, check=True)

        base = median_of(lambda: run([sys.executable, "-c", "pass"]), args.repeat)
        for name, extra in (("cli-help", ["--help"]), ("cli-parse-hosts", ["parse", "hosts", str(hosts), "--json"])):
            argv = [*_entry(), *extra]
            run(argv)  # warm the page cache and .pyc files
            s = median_of(lambda argv=argv: run(argv), args.repeat)
            emit(
                name,
                1,
                s,
                base,
                ratio=s / base,
                ratio_meaning="seconds / baseline_seconds (python -c pass); target <= 2.5",
                command=" ".join(["netatlas", *extra[:3]]),
                repeat=args.repeat,
                top_imports=top_imports(argv),
                peak_rss_mb=children_peak_rss_mb(),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
