#!/usr/bin/env python3
"""The fleet at scale: N machines in PostgreSQL, the collision query, ingest, size per machine.

On a throwaway cluster of its own (``tests/fleet/pg.py``: initdb as nobody, 127.0.0.1
only; PostgreSQL's defaults except fsync, which is off as for any scratch cluster):

1. **seed** ``--machines`` machines from the big-bundle generator (``gen_big_bundle``):
   one atlas per network count 5..40 (containers: twice the networks), each machine a
   copy of one of them with its own Docker ``default-address-pools`` /16 inside
   10.0.0.0/8 (``10.201.`` rewritten to ``10.B.``, B drawn per machine), through the
   same ``db.store_push`` the server uses (one transaction per machine, the ranges
   extracted per template by ``extract.range_rows``, Docker's next subnets included);
2. **collisions** ``10.20.0.0/14``: the SQL of ``db.collisions``, median of
   ``--repeat`` runs, and through the HTTP API (``fleet collisions``' client) on a real
   ``netatlas serve``; ``EXPLAIN (ANALYZE)`` must show the GiST index
   ``scan_ranges_current_cidr``;
3. **ingest**: ``--agents`` threads push ``--pushes`` full push documents to
   ``netatlas serve`` over loopback (validation, extraction, one transaction each);
   pushes per second;
4. **size**: the database's size divided by the machines;
5. with ``--load``, the issue's load test at full size: 200 agents x 5 pushes while
   the server is killed with SIGKILL at random and restarted, then a count check.

Nothing is asserted on time; one JSON line per figure (``bench/run`` collects them).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import emit, skip  # noqa: E402 - after the path is set

QUERY = "10.20.0.0/14"
INDEX = "scan_ranges_current_cidr"


def _templates(rnd: random.Random) -> list[dict[str, Any]]:
    from gen_big_bundle import build

    from netatlas.atlas import build_atlas
    from netatlas.fleet.document import make_document
    from netatlas.fleet.extract import finding_rows, range_rows

    out = []
    for n in range(5, 41):
        bundle = build(containers=2 * n, networks=n, seed=1000 + n)
        atlas = build_atlas(bundle)
        doc = make_document(atlas, machine="m", scanned=bundle.created, tool_version="bench", key_id=None)
        out.append(
            {
                "networks": len(atlas.networks),
                "atlas_json": json.dumps(doc["atlas"]),
                "doc": doc,
                "ranges": range_rows(atlas),
                "findings": finding_rows(atlas),
            }
        )
    rnd.shuffle(out)
    return out


def _moved(text: str, b: int) -> str:
    return text.replace("10.201.", f"10.{b}.")


def seed(pool: Any, templates: list[dict[str, Any]], machines: int, rnd: random.Random) -> dict[str, Any]:
    from netatlas.fleet import db
    from netatlas.fleet.extract import RangeRow

    jobs = []
    for i in range(machines):
        t = templates[i % len(templates)]
        jobs.append((i, t, rnd.randrange(1, 255)))
    expected = sum(
        1 for _, _, b in jobs if ipaddress.ip_network(f"10.{b}.0.0/16").overlaps(ipaddress.ip_network(QUERY))
    )

    def one(job: tuple[int, dict[str, Any], int]) -> None:
        i, t, b = job
        token_text = db.add_token(pool, "agent")
        token = db.check_token(pool, token_text)
        assert token is not None
        ranges = [
            RangeRow(r.source, ipaddress.ip_network(_moved(str(r.cidr), b)), r.kind, r.label, r.node)
            for r in t["ranges"]
        ]
        db.store_push(
            pool,
            token,
            machine=f"laptop-{i:05d}",
            idempotency_key=f"sha256:seed-{i}",
            scanned=None,
            tool_version="bench",
            atlas_schema="netatlas-atlas/1",
            redacted=False,
            key_id=None,
            atlas_json=_moved(t["atlas_json"], b),
            ranges=ranges,
            found=t["findings"],
        )

    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as ex:
        list(ex.map(one, jobs))
    return {"seconds": time.perf_counter() - t0, "expected": expected}


def collisions_sql(pool: Any, repeat: int) -> tuple[list[float], int, str]:
    from netatlas.fleet import db

    times = []
    found = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = db.collisions(pool, [QUERY], None)
        times.append(time.perf_counter() - t0)
        found = len(rows)
    with pool.connection() as conn:
        plan = conn.execute(
            ("EXPLAIN (ANALYZE, BUFFERS) " + db._COLLISIONS).encode(),  # the query the server runs, as is
            {"ranges": [QUERY], "scope": ""},
        ).fetchall()
    return times, found, "\n".join(r[0] for r in plan)


def serve(dsn: str, port: int) -> subprocess.Popen[bytes]:
    from tests.fleet.conftest import serve_subprocess

    return serve_subprocess(dsn, port)


def collisions_http(url: str, admin: str, repeat: int) -> list[float]:
    from netatlas.fleet.admin import Admin

    client = Admin(url, admin)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.collisions([QUERY])
        times.append(time.perf_counter() - t0)
    return times


def ingest(pool: Any, url: str, templates: list[dict[str, Any]], pushes: int, agents: int) -> tuple[float, int]:
    from netatlas.fleet import db
    from netatlas.fleet.client import Retry, request

    bodies = []
    for k in range(pushes):
        t = templates[k % len(templates)]
        doc = {**t["doc"], "machine": f"ingest-{k % agents:03d}"}
        bodies.append(_moved(json.dumps(doc), 1 + k % 250).encode())
    tokens = [db.add_token(pool, "agent") for _ in range(agents)]

    def agent(a: int) -> int:
        n = 0
        for k in range(a, pushes, agents):
            request(
                url,
                "/api/v1/scans",
                tokens[a],
                method="POST",
                body=bodies[k],
                headers={"Idempotency-Key": f"sha256:ingest-{k}"},
                retry=Retry(attempts=3, base=0.1),
            )
            n += 1
        return n

    t0 = time.perf_counter()
    with ThreadPoolExecutor(agents) as ex:
        done = sum(ex.map(agent, range(agents)))
    return time.perf_counter() - t0, done


def load_test(dsn: str, pool: Any, templates: list[dict[str, Any]], agents: int, pushes: int) -> dict[str, Any]:
    """The issue's load test: agents x pushes with random SIGKILLs of the server, then a count check."""
    from tests.fleet.pg import free_port

    from netatlas.fleet import db
    from netatlas.fleet.client import Retry, request

    before = _one(pool, "SELECT count(*) FROM scans")
    tokens = [db.add_token(pool, "agent") for _ in range(agents)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    state: dict[str, Any] = {"proc": serve(dsn, port), "kills": 0}
    done = threading.Event()

    def killer() -> None:
        rnd = random.Random(11)
        for _ in range(20):
            if done.wait(rnd.uniform(1.0, 3.0)):
                return
            state["proc"].send_signal(signal.SIGKILL)
            state["proc"].wait()
            state["kills"] += 1
            for attempt in range(3):  # the port may still be held a moment: try again
                try:
                    state["proc"] = serve(dsn, port)
                    break
                except AssertionError:
                    if attempt == 2:
                        raise
                    time.sleep(1)

    failures: list[str] = []

    def agent(a: int) -> None:
        body = json.dumps({**templates[a % len(templates)]["doc"], "machine": f"load-{a:03d}"}).encode()
        for j in range(pushes):
            try:
                request(
                    url,
                    "/api/v1/scans",
                    tokens[a],
                    method="POST",
                    body=body,
                    headers={"Idempotency-Key": f"sha256:load-{a}-{j}"},
                    retry=Retry(attempts=400, base=0.1, cap=2.0),  # an agent keeps trying; it never drops a scan
                )
            except Exception as exc:  # counted below
                failures.append(str(exc))

    k = threading.Thread(target=killer)
    k.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(agents) as ex:
        list(ex.map(agent, range(agents)))
    seconds = time.perf_counter() - t0
    done.set()
    k.join()
    state["proc"].send_signal(signal.SIGKILL)
    state["proc"].wait()
    stored = _one(pool, "SELECT count(*) FROM scans") - before
    distinct = _one(pool, "SELECT count(*) FROM scans WHERE idempotency_key LIKE 'sha256:load-%%'")
    return {
        "seconds": seconds,
        "kills": state["kills"],
        "expected": agents * pushes,
        "stored": stored,
        "distinct": distinct,
        "failures": len(failures),
        "failure_examples": failures[:3],
    }


def _one(pool: Any, sql: str) -> int:
    with pool.connection() as conn:
        return int(conn.execute(sql.encode()).fetchone()[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machines", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--pushes", type=int, default=400)
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--load", action="store_true", help="also the 200 x 5 load test with random kills")
    args = ap.parse_args()
    try:
        import psycopg  # noqa: F401
        import uvicorn  # noqa: F401
        from tests.fleet.pg import ClusterUnavailable, free_port, start_cluster
    except ImportError as exc:
        skip("fleet-collisions", args.machines, f"needs the server extra: {exc}")
        return 0
    try:
        cluster = start_cluster({"fsync": "off"})
    except ClusterUnavailable as exc:
        skip("fleet-collisions", args.machines, str(exc))
        return 0
    from netatlas.fleet import db

    proc = None
    try:
        dsn = cluster.dsn()
        pool = db.connect_pool(dsn, max_size=8)
        db.migrate(pool)
        rnd = random.Random(20261128)
        templates = _templates(rnd)
        seeded = seed(pool, templates, args.machines, rnd)
        with pool.connection() as conn:
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        size = _one(pool, "SELECT pg_database_size(current_database())")
        ranges = _one(pool, "SELECT count(*) FROM scan_ranges")
        mean_networks = statistics.mean(t["networks"] for t in templates)
        emit(
            "fleet-seed",
            args.machines,
            seeded["seconds"],
            None,
            machines_per_s=round(args.machines / seeded["seconds"], 1),
            ranges=ranges,
            mean_networks=round(mean_networks, 1),
        )
        emit(
            "fleet-db-size",
            args.machines,
            None,
            None,
            db_bytes=size,
            bytes_per_machine=size // args.machines,
            kib_per_machine=round(size / args.machines / 1024, 1),
        )
        times, found, plan = collisions_sql(pool, args.repeat)
        emit(
            "fleet-collisions-sql",
            args.machines,
            statistics.median(times),
            None,
            query=QUERY,
            machines_found=found,
            machines_expected=seeded["expected"],
            fastest=round(min(times), 5),
            uses_gist_index=INDEX in plan,
            load_avg=round(os.getloadavg()[0], 2),  # the machine is shared: the figure's context
            plan=plan.splitlines(),
        )
        admin = db.add_token(pool, "admin")
        port = free_port()
        proc = serve(dsn, port)
        url = f"http://127.0.0.1:{port}"
        http_times = collisions_http(url, admin, args.repeat)
        emit(
            "fleet-collisions-http",
            args.machines,
            statistics.median(http_times),
            None,
            query=QUERY,
            fastest=round(min(http_times), 5),
            load_avg=round(os.getloadavg()[0], 2),
        )
        seconds, done = ingest(pool, url, templates, args.pushes, args.agents)
        emit(
            "fleet-ingest",
            done,
            seconds,
            None,
            pushes_per_s=round(done / seconds, 1),
            agents=args.agents,
            mean_body_kib=round(statistics.mean(len(t["atlas_json"]) for t in templates) / 1024, 1),
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = None
        if args.load:
            got = load_test(dsn, pool, templates, 200, 5)
            emit(
                "fleet-load-kill9",
                got["expected"],
                got["seconds"],
                None,
                **{k: v for k, v in got.items() if k != "seconds"},
            )
        pool.close()
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
