#!/usr/bin/env python3
"""netatlas map on a real Docker engine, against the shell loop a user would type to see the same.

    bench/bench_engine.py --size 50 --size 200 [--repeat 3] [--compare-src DIR]

N running containers (static busybox, ``sleep``) on 5 user networks of a real engine:
``NETATLAS_TEST_DOCKER_HOST`` when set, else a dockerd started under a temporary folder
with ``tests/engine/sandbox.py`` (root and ``apt-get install docker.io busybox-static``).

* baseline: ``docker network inspect`` of every network, ``docker inspect`` of every
  container, then per container ``docker exec C ip addr``, ``ip route`` and ``cat
  /etc/resolv.conf``: what a person runs to draw the same map by hand;
* netatlas: ``netatlas map --json --no-save`` as a subprocess, with the same engine as
  ``DOCKER_HOST``, less the name lookups (``getent-hosts``, ``dns-answers-json``): a
  benchmark sends no packet beyond this machine.

``ratio`` = baseline / netatlas. The targets (issue: at least 10x, under 2 s at 200)
are in ``target``; nothing asserts them. Containers and networks are named with a
random prefix and removed at the end (also on failure or Ctrl-C), and a dockerd the
bench started is stopped.

The netatlas timed is this checkout's (``src/`` beside this folder, put first on
``PYTHONPATH``), whatever else is installed. The machine is often shared, so each
run also reports its CPU time (user + system of ``netatlas`` and of every process it
started and waited for: ``iptables-save``, ``nft``, …) and the load average before
it: wall time alone says as much about the neighbours as about netatlas.
``--compare-src DIR`` times another netatlas's ``src`` folder too (``main``'s, from
``git worktree add`` or ``git archive``), its runs interleaved with this
checkout's, round after round, so both see the same load: ``compare_*`` fields.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import REPO, children_peak_rss_mb, emit, skip, timed

sys.path.insert(0, str(REPO / "tests" / "engine"))

NETWORKS = 5
NO_LOOKUPS = ("getent-hosts", "dns-answers-json")


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


def _setup(client: Any, prefix: str, n: int) -> tuple[list[str], list[str]]:
    nets = [client.networks.create(f"{prefix}-n{i}", driver="bridge").name for i in range(NETWORKS)]
    names = []
    for i in range(n):
        c = client.containers.run(
            "netatlas-busybox:test", ["sleep", "100000"], name=f"{prefix}-c{i}", network=nets[i % NETWORKS], detach=True
        )
        names.append(c.name)
    return nets, names


def _baseline(host: str, nets: list[str], names: list[str]) -> None:
    docker = ["docker", "-H", host]
    subprocess.run([*docker, "network", "inspect", *nets], capture_output=True, check=True)
    subprocess.run([*docker, "inspect", *names], capture_output=True, check=True)
    for c in names:
        for cmd in (["ip", "addr"], ["ip", "route"], ["cat", "/etc/resolv.conf"]):
            subprocess.run([*docker, "exec", c, *cmd], capture_output=True, check=True)


def _cpu_run(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, bytes]:
    """(wall s, CPU s of the process and the children it waited for, 1-min load before, stdout)."""
    import resource

    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, proc = timed(lambda: subprocess.run(argv, capture_output=True, check=True, env=env))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load, proc.stdout


Run = tuple[float, float, float]
"""(wall s, CPU s, 1-min load average before it) of one run."""


def _runs(sides: dict[str, dict[str, str]], argv: list[str], repeat: int) -> tuple[dict[str, list[Run]], bytes]:
    """Each side run ``repeat`` times, interleaved (a, b, a, b …), after one warm-up run each.

    Returns:
        The runs per side, and the last output of the first side (this checkout's).
    """
    out: dict[str, list[Run]] = {side: [] for side in sides}
    for env in sides.values():
        _cpu_run(argv, env)  # warm the page cache and bytecode
    stdout = b""
    for _ in range(max(1, repeat)):
        for i, (side, env) in enumerate(sides.items()):
            wall, cpu, load, got = _cpu_run(argv, env)
            out[side].append((wall, cpu, load))
            stdout = got if i == 0 else stdout
    return out, stdout


def _summary(runs: list[Run]) -> dict[str, Any]:
    walls = sorted(r[0] for r in runs)
    cpus = sorted(r[1] for r in runs)
    return {
        "seconds": walls[0],
        "median_seconds": round(walls[len(walls) // 2], 3),
        "cpu_s": round(cpus[0], 3),
        "median_cpu_s": round(cpus[len(cpus) // 2], 3),
        "load_avg_1m": [round(r[2], 2) for r in runs],
    }


def _kinds(sides: dict[str, dict[str, str]]) -> str:
    """The evidence kinds every side's netatlas knows, less the name lookups.

    Asked of each side's own code (its ``PYTHONPATH``), so a kind one of them lacks
    is left out for both and they collect the same.
    """
    code = "from netatlas.parsers import kinds; print(','.join(kinds()))"
    known = [
        set(
            subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env)
            .stdout.decode()
            .strip()
            .split(",")
        )
        for env in sides.values()
    ]
    return ",".join(sorted(set.intersection(*known) - set(NO_LOOKUPS)))


def _side_env(host: str, src: Path) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "DOCKER_HOST": host, "PYTHONPATH": str(src) + (os.pathsep + path if path else "")}


def run(sizes: list[int], repeat: int, compare_src: Path | None = None) -> None:
    import docker

    host, started, root = _engine()
    client = docker.DockerClient(base_url=host, timeout=120)
    prefix = f"nab{random.randrange(10**5)}"
    sides = {"netatlas": _side_env(host, REPO / "src")}
    if compare_src is not None:
        sides["compare"] = _side_env(host, compare_src)
    argv = [sys.executable, "-m", "netatlas.cli", "map", "--json", "--no-save", "--only", _kinds(sides)]
    try:
        made = 0
        nets: list[str] = []
        names: list[str] = []
        for n in sorted(sizes):
            if not nets:
                nets, names = _setup(client, prefix, n)
            else:
                for i in range(made, n):
                    c = client.containers.run(
                        "netatlas-busybox:test",
                        ["sleep", "100000"],
                        name=f"{prefix}-c{i}",
                        network=nets[i % NETWORKS],
                        detach=True,
                    )
                    names.append(c.name)
            made = n
            base_s, _ = timed(lambda nets=nets, names=names: _baseline(host, nets, names))
            runs, stdout = _runs(sides, argv, repeat)
            ours = _summary(runs["netatlas"])
            extra: dict[str, Any] = {}
            if "compare" in runs:
                theirs = _summary(runs["compare"])
                extra = {f"compare_{k}": v for k, v in theirs.items()}
                extra["compare_src"] = str(compare_src)
                extra["speedup_wall"] = round(theirs["seconds"] / ours["seconds"], 2)
                extra["speedup_cpu"] = round(theirs["cpu_s"] / ours["cpu_s"], 2)
            emit(
                "engine-map",
                n,
                ours.pop("seconds"),
                base_s,
                **ours,
                **extra,
                networks=NETWORKS,
                map_json_kb=round(len(stdout) / 1024, 1),
                peak_rss_mb=children_peak_rss_mb(),
                engine=client.version().get("Version"),
                cpus=os.cpu_count(),
                target="N=200: ratio >= 10 and seconds < 2",
            )
    finally:
        for c in client.containers.list(all=True, filters={"name": prefix}):
            c.remove(force=True)
        for net in client.networks.list(names=[f"{prefix}-n{i}" for i in range(NETWORKS)]):
            net.remove()
        client.close()
        if started is not None:
            import sandbox

            sandbox.stop(started)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, action="append", help="running containers (repeatable; default 10)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compare-src", type=Path, help="another netatlas's src folder to time beside this one")
    args = ap.parse_args()
    sizes = args.size or [10]
    if sys.platform != "linux" or os.geteuid() != 0:
        for n in sizes:
            skip("engine-map", n, "needs Linux and root (a real dockerd)")
        return 0
    if not os.environ.get("NETATLAS_TEST_DOCKER_HOST") and shutil.which("dockerd") is None:
        for n in sizes:
            skip("engine-map", n, "no Docker engine: apt-get install docker.io busybox-static")
        return 0
    try:
        run(sizes, args.repeat, args.compare_src)
    except RuntimeError as exc:  # no engine could be started (another dockerd runs, …): say why
        for n in sizes:
            skip("engine-map", n, str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
