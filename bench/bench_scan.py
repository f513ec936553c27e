#!/usr/bin/env python3
"""Namespace scan: netatlas's collection of N named network namespaces vs. a shell loop.

Builds N namespaces ``na-bench-<pid>-NNNN`` (each: ``lo`` up, ``eth0`` a veth whose peer sits
on a bridge in the bench's own namespace ``na-bench-br``, never the root namespace;
one IPv4 and one IPv6 address, a default route and a static route, and
``/etc/netns/<ns>/resolv.conf``), then times:

* ``scan-collect``: ``netatlas.collect.scan.scan(netns=[...])`` in this process (the
  host's own sources included), best of ``--repeat``;
* ``scan-cli``: the end-to-end ``netatlas scan -o DIR/x.zip --json`` command (every
  namespace in ``/run/netns``, writing the bundle), best of ``--repeat``;

both against the baseline a user would write, run once, sequentially, argv lists::

    for ns in ...; do ip netns exec $ns ip -j addr; ip netns exec $ns ip -j route;
                      cat /etc/netns/$ns/resolv.conf; done

Needs root and ``ip`` (iproute2); otherwise prints a ``skipped`` line. This run's
namespaces and ``/etc/netns`` folders are removed at the end, also on failure, Ctrl-C
or SIGTERM, and those of earlier runs that were killed (their pid is gone) first;
a bench running at the same time keeps its own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, children_peak_rss_mb, emit, peak_rss_mb, skip, timed

PREFIX = "na-bench-"
RUN = f"{PREFIX}{os.getpid()}-"
"""This run's namespaces: ``na-bench-<pid>-NNNN``, so two runs never touch each other's."""
BRIDGE_NS = f"{RUN}br"
NETNS_DIR = Path("/run/netns")
ETC_NETNS = Path("/etc/netns")
_OWNER = re.compile(rf"^{PREFIX}(\d+)-")


def _ip(*args: str, stdin: str | None = None) -> None:
    subprocess.run(["ip", *args], input=stdin, text=True, check=True, capture_output=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ours_or_stale(name: str) -> bool:
    """This run's, or left behind by a bench run that no longer exists."""
    if name.startswith(RUN):
        return True
    m = _OWNER.match(name)
    return m is not None and not _alive(int(m.group(1)))


def cleanup() -> None:
    """Delete this run's namespaces and ``/etc/netns`` folders, and those of dead runs."""
    names = sorted(p.name for p in NETNS_DIR.glob(f"{PREFIX}*") if _ours_or_stale(p.name)) if NETNS_DIR.is_dir() else []
    if names:
        subprocess.run(
            ["ip", "-force", "-batch", "-"],
            input="".join(f"netns del {n}\n" for n in names),
            text=True,
            capture_output=True,
            check=False,
        )
    for d in ETC_NETNS.glob(f"{PREFIX}*") if ETC_NETNS.is_dir() else []:
        if _ours_or_stale(d.name):
            shutil.rmtree(d, ignore_errors=True)


def setup(n: int) -> list[str]:
    """Create ``n`` namespaces wired to one bridge; returns their names."""
    names = [f"{RUN}{i:04d}" for i in range(n)]
    _ip("-batch", "-", stdin="".join(f"netns add {x}\n" for x in [BRIDGE_NS, *names]))
    bridge = ["link add br0 type bridge", "link set br0 up", "link set lo up"]
    for i, name in enumerate(names):
        bridge += [f"link add v{i} type veth peer name eth0 netns {name}", f"link set v{i} master br0 up"]
    _ip("-n", BRIDGE_NS, "-batch", "-", stdin="\n".join(bridge) + "\n")
    for i, name in enumerate(names):
        a, b = divmod(i + 2, 250)
        _ip(
            "-n",
            name,
            "-batch",
            "-",
            stdin=(
                "link set lo up\n"
                "link set eth0 up\n"
                f"addr add 10.240.{a}.{b}/16 dev eth0\n"
                f"addr add fd00:240::{i + 2:x}/64 dev eth0 nodad\n"
                "route add default via 10.240.0.1 dev eth0\n"
                f"route add 192.168.{i % 256}.0/24 via 10.240.0.1 dev eth0 metric 50\n"
            ),
        )
        d = ETC_NETNS / name
        d.mkdir(parents=True, exist_ok=True)
        (d / "resolv.conf").write_text(f"# na-bench\nnameserver 10.240.0.1\nsearch bench{i}.example\noptions ndots:1\n")
    return names


def baseline(names: list[str]) -> None:
    """The shell loop a user would write, one process after another."""
    for ns in names:
        for argv in (
            ["ip", "netns", "exec", ns, "ip", "-j", "addr"],
            ["ip", "netns", "exec", ns, "ip", "-j", "route"],
            ["cat", f"/etc/netns/{ns}/resolv.conf"],
        ):
            subprocess.run(argv, capture_output=True, check=True)


# What the baseline reads, and nothing that asks a DNS server: the host's getent and
# dns-answers sources would send queries to the machine's resolver, and a benchmark
# sends no packet beyond loopback and its own namespaces.
KINDS = ("ip-addr-json", "ip-route-json", "hosts", "resolv-conf")


def run(n: int, repeat: int) -> None:
    from netatlas.collect.scan import scan as full_scan

    def scan(netns: list[str]) -> Any:
        return full_scan(netns=netns, only=KINDS)

    names = setup(n)
    base_s, _ = timed(lambda: baseline(names))
    scan(netns=names[:1])  # warm imports (pyroute2, parsers) outside the timing
    coll_s, bundle = best_of(lambda: scan(netns=names), repeat)
    vantages = len(bundle.vantages)
    failed = [e.id for e in bundle.evidence if e.failure is not None]
    host_s, _ = best_of(lambda: scan(netns=[]), repeat)
    emit(
        "scan-collect",
        n,
        coll_s,
        base_s,
        vantages=vantages,
        evidence=len(bundle.evidence),
        failed=len(failed),
        failures=[f"{e.id}: {e.failure.code}: {e.failure.message}" for e in bundle.evidence if e.failure][:5],
        netns_prefix=RUN,
        host_only_seconds=round(host_s, 4),
        peak_rss_mb=peak_rss_mb(),
        target="N=300: ratio >= 10 and seconds < 1",
    )
    with tempfile.TemporaryDirectory(prefix="na-bench-") as tmp:
        out = Path(tmp) / "scan.zip"
        argv = [sys.executable, "-m", "netatlas.cli", "scan", "-o", str(out), "--only", ",".join(KINDS), "--json"]

        def cli() -> None:
            subprocess.run(argv, capture_output=True, check=True)

        cli_s, _ = best_of(cli, repeat)
        emit(
            "scan-cli",
            n,
            cli_s,
            base_s,
            namespaces_on_host=len(list(NETNS_DIR.iterdir())),
            bundle_kb=round(out.stat().st_size / 1024, 1),
            peak_rss_mb=children_peak_rss_mb(),
            target="end to end, informational",
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, action="append", help="namespaces (repeatable; default 10)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = args.size or [10]
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        for n in sizes:
            skip("scan-collect", n, "needs Linux, root and iproute2 (ip)")
        return 0

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    for n in sizes:
        cleanup()
        try:
            run(n, args.repeat)
        except subprocess.CalledProcessError as exc:
            skip("scan-collect", n, f"setup failed: {exc.cmd[:4]}: {(exc.stderr or '').strip()[:200]}")
        finally:
            t0 = time.perf_counter()
            cleanup()
            sys.stderr.write(f"bench_scan: cleaned up in {time.perf_counter() - t0:.1f}s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
