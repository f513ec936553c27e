#!/usr/bin/env python3
"""Atlas of a big host: ``netatlas map --bundle`` on 500 containers on 50 networks.

The bundle comes from ``bench/gen_big_bundle.py`` (a Linux host with 50 bridges and
a veth per endpoint, and its Docker Engine's API answers; ``--size`` is the number
of containers, networks = containers / 10). Lines:

* ``atlas-map-cli``: ``netatlas map --bundle BIG.zip --json`` end to end (a fresh
  process: interpreter, imports, reading the zip, parsing 550 sources, merging,
  every check, printing), best of ``--repeat``; the baseline is the same command on
  the 7-vantage ``examples/z820`` bundle, so ``ratio`` = small host / big host.
* ``atlas-build``: in-process ``read_bundle`` + ``build_atlas`` (what a library user
  or ``netatlas serve`` pays per bundle), with the split into reading, observing
  (parsing every evidence) and the rest (merge and checks).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, best_of, children_peak_rss_mb, emit, peak_rss_mb


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, action="append", help="containers (repeatable; default 500)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from gen_big_bundle import build

    from netatlas.atlas import build_atlas
    from netatlas.atlas.observe import observe
    from netatlas.bundle import read_bundle, write_bundle

    small = REPO / "examples" / "z820"
    for n in args.size or [500]:
        nets = max(2, n // 10)
        with tempfile.TemporaryDirectory(prefix="na-bench-") as tmp:
            path = write_bundle(build(n, nets), Path(tmp) / "big.zip")

            def cli(bundle: Path) -> None:
                subprocess.run(
                    [sys.executable, "-m", "netatlas.cli", "map", "--bundle", str(bundle), "--json"],
                    capture_output=True,
                    check=True,
                )

            base_s, _ = best_of(lambda: cli(small), args.repeat)
            cli_s, _ = best_of(lambda p=path: cli(p), args.repeat)
            emit(
                "atlas-map-cli",
                n,
                cli_s,
                base_s,
                networks=nets,
                bundle_kb=round(path.stat().st_size / 1024, 1),
                baseline="the same command on examples/z820 (7 vantages)",
                peak_rss_mb=children_peak_rss_mb(),
                target="containers=500: seconds < 2",
            )
            t0 = time.perf_counter()
            bundle = read_bundle(path)
            t1 = time.perf_counter()
            obs, _problems = observe(bundle.vantages, bundle.evidence)
            t2 = time.perf_counter()
            read_s, atlas = best_of(lambda p=path: build_atlas(read_bundle(p)), args.repeat)
            emit(
                "atlas-build",
                n,
                read_s,
                None,
                read_seconds=round(t1 - t0, 4),
                observe_seconds=round(t2 - t1, 4),
                evidence=len(bundle.evidence),
                observed_vantages=len(obs),
                nodes=len(atlas.nodes),
                atlas_networks=len(atlas.networks),
                findings=len(atlas.findings),
                peak_rss_mb=peak_rss_mb(),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
