#!/usr/bin/env python3
"""netatlas verify on a busy real Docker engine: how long, and whether every check agrees.

    bench/bench_verify.py [--groups 5] [--max-probes 5000] [--parallel 1024]

A topology like a developer's laptop, built on a real engine (``NETATLAS_TEST_DOCKER_HOST``
when set, else a dockerd started under a temporary folder with ``tests/engine/sandbox.py``):
``--groups`` user networks of 5 containers each (httpd on 80; one publishes on 0.0.0.0, one
on 127.0.0.1, one also joins the next network, one listens on nothing), an ``--internal``
network, a network with ICC off, the default bridge, a ``--network host`` container, a
created and an exited one. 5 groups make 40 containers (37 running) on 7 networks and the default bridge.

The scan asks no names (a benchmark sends nothing beyond this machine). ``verify_machine``
then runs twice in this process: at ``--parallel`` sockets in flight and, as the baseline,
at 256 (the former default), so ``ratio`` = baseline / verify. The line also carries the
checks, agreements, disagreements and unknowns: on a quiet engine every check agrees.
Everything is named with a random prefix and removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, emit, skip, timed

sys.path.insert(0, str(REPO / "tests" / "engine"))


def _engine() -> tuple[str, Any, Path | None]:
    import sandbox

    host = os.environ.get("NETATLAS_TEST_DOCKER_HOST")
    if host:
        sandbox.ensure_image(host)
        return host, None, None
    root = Path(tempfile.mkdtemp(prefix="na-bench-dockerd-"))
    started = sandbox.start(root)
    sandbox.ensure_image(started.host)
    return started.host, started, root


def _topology(kit: Any, groups: int) -> int:
    """Build the laptop-like topology; the number of containers."""
    base = random.randrange(30000, 39000, 100)
    for i in range(groups):
        kit.network(f"n{i}")
    kit.network("int", internal=True)
    kit.network("noicc", icc=False)
    k = 0
    for i in range(groups):
        for j in range(5):
            ports: dict[str, Any] | None = None
            if j == 0:
                ports = {"80/tcp": base + k}
            elif j == 1:
                ports = {"80/tcp": ("127.0.0.1", base + k)}
            k += 1
            cmd = ("sleep", "100000") if j == 4 else ("httpd", "-f", "-p", "80")
            nets = [f"n{i}"] + ([f"n{(i + 1) % groups}"] if j == 2 and groups > 1 else [])
            kit.run(f"c{i}-{j}", nets, command=cmd, ports=ports)
    for j in range(4):
        kit.run(f"int{j}", ["int"] + (["n0"] if j == 3 else []))
        kit.run(f"noicc{j}", ["noicc"], ports={"80/tcp": base + 90} if j == 0 else None)
        kit.run(f"def{j}", [], ports={"80/tcp": base + 91} if j == 0 else None)
    kit.run("hostnet", network_mode="host", command=("httpd", "-f", "-p", str(base + 99)))
    kit.run("created", ["n0"], ports={"80/tcp": base + 92}, start=False)
    kit.run("exited", [f"n{groups - 1}"], command=("true",))
    return groups * 5 + 15


def run(groups: int, limit: int, parallel: int) -> None:
    from engine_kit import Kit, scan_bundle

    from netatlas.atlas import build_atlas
    from netatlas.verify import verify_machine

    host, started, root = _engine()
    old = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = host
    kit = Kit(host, prefix=f"nabv{random.randrange(10**5)}")
    try:
        n = _topology(kit, groups)
        time.sleep(1.0)  # httpd is listening
        scan_s, bundle = timed(lambda: scan_bundle(host))
        atlas = build_atlas(bundle)
        seconds, report = timed(lambda: verify_machine(bundle=bundle, atlas=atlas, limit=limit, parallel=parallel))
        base_s, _ = timed(lambda: verify_machine(bundle=bundle, atlas=atlas, limit=limit, parallel=256))
        load = os.getloadavg()[0]
        emit(
            "verify",
            n,
            seconds,
            base_s,
            baseline="the same verify at 256 sockets in flight",
            scan_seconds=round(scan_s, 2),
            places=report.places,
            checks=len(report.checks),
            agree=report.agree,
            disagree=len(report.disagreements),
            unknown=len(report.unknown),
            tcp_sent=report.sent.get("tcp", 0),
            over_limit=report.over_limit,
            load=round(load, 2),
        )
    finally:
        kit.close()
        if old is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = old
        if started is not None:
            import sandbox

            sandbox.stop(started)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, default=5, help="user networks of 5 containers (default 5: 40 containers)")
    ap.add_argument("--max-probes", type=int, default=5000)
    ap.add_argument("--parallel", type=int, default=1024)
    args = ap.parse_args()
    size = args.groups * 5 + 15
    if sys.platform != "linux" or os.geteuid() != 0:
        skip("verify", size, "needs Linux and root (a real dockerd, namespaces to enter)")
        return 0
    if not os.environ.get("NETATLAS_TEST_DOCKER_HOST") and shutil.which("dockerd") is None:
        skip("verify", size, "no Docker engine: apt-get install docker.io busybox-static")
        return 0
    try:
        run(args.groups, args.max_probes, args.parallel)
    except RuntimeError as exc:
        skip("verify", size, str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
