"""One transaction per push: kill -9 mid-push leaves all or nothing; concurrent pushes neither lose nor repeat.

The server here is ``netatlas serve`` as a real process on 127.0.0.1, killed with
SIGKILL. Loops are bounded (fixed agent and push counts, deadlines on every wait).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tests.fleet.conftest import Z820, Fleet, free_port, serve_subprocess

from netatlas import build_atlas, read_bundle
from netatlas.fleet import db
from netatlas.fleet.client import Retry, request
from netatlas.fleet.document import make_document
from netatlas.fleet.errors import FleetError


@pytest.fixture(scope="module")
def z820_doc() -> dict[str, Any]:
    bundle = read_bundle(Z820)
    return make_document(build_atlas(bundle), machine="Z820", scanned=bundle.created, tool_version="t", key_id=None)


@pytest.fixture
def pool(database: str) -> Iterator[Any]:
    p = db.connect_pool(database, max_size=4)
    yield p
    p.close()


def _count(pool: Any, sql: str, *args: Any) -> int:
    with pool.connection() as conn:
        return int(conn.execute(sql.encode(), args).fetchone()[0])


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=20)


def _restart(dsn: str, port: int) -> subprocess.Popen[bytes]:
    """``netatlas serve`` again on the same port (a second try if the port is still held)."""
    try:
        return serve_subprocess(dsn, port)
    except AssertionError:
        time.sleep(1)
        return serve_subprocess(dsn, port)


def _post(url: str, token: str, doc: dict[str, Any], key: str, retry: Retry) -> tuple[int, Any]:
    body = json.dumps(doc).encode()
    return request(url, "/api/v1/scans", token, method="POST", body=body, headers={"Idempotency-Key": key}, retry=retry)


def test_kill_9_mid_transaction_leaves_nothing_and_a_retry_stores_once(
    database: str, pool: Any, z820_doc: dict[str, Any]
) -> None:
    import psycopg

    token = db.add_token(pool, "agent")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve_subprocess(database, port)
    try:
        assert _post(url, token, z820_doc, "sha256:first", Retry(attempts=1))[0] == 201
        before = [_count(pool, f"SELECT count(*) FROM {t}") for t in ("scans", "scan_ranges", "findings")]
        latest = _count(pool, "SELECT latest_scan_id FROM machines")

        # Hold a lock the push needs late in its transaction (COPY into findings), so the
        # server is inside the transaction, its scan and ranges written, when it dies.
        blocker = psycopg.connect(database)
        blocker.execute("LOCK TABLE findings IN SHARE MODE")
        outcome: dict[str, Any] = {}

        def push() -> None:
            try:
                outcome["answer"] = _post(url, token, z820_doc, "sha256:second", Retry(attempts=1))
            except FleetError as exc:
                outcome["error"] = exc

        pusher = threading.Thread(target=push)
        pusher.start()
        deadline = time.monotonic() + 20
        with psycopg.connect(database, autocommit=True) as watch:
            while True:
                waiting = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND query LIKE 'COPY findings%%'"
                ).fetchone()
                if waiting and waiting[0]:
                    break
                assert time.monotonic() < deadline, "the push never reached the findings"
                time.sleep(0.05)
            # inside the transaction: the new scan exists for its own session only
            assert watch.execute("SELECT count(*) FROM scans").fetchone()[0] == before[0]
        _kill(proc)
        blocker.rollback()
        blocker.close()
        pusher.join(timeout=30)
        assert "error" in outcome, outcome  # the agent saw no answer

        # the backend notices its client is gone and rolls back: nothing of the push remains
        deadline = time.monotonic() + 20
        while _count(pool, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY findings%%'"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        after = [_count(pool, f"SELECT count(*) FROM {t}") for t in ("scans", "scan_ranges", "findings")]
        assert after == before
        assert _count(pool, "SELECT latest_scan_id FROM machines") == latest
        assert _count(pool, "SELECT count(*) FROM scan_ranges WHERE current") == before[1]

        # the agent's retry, to a restarted server, stores the scan exactly once
        proc = serve_subprocess(database, port)
        status, answer = _post(url, token, z820_doc, "sha256:second", Retry(attempts=5, base=0.1))
        assert status == 201 and answer["stored"]
        status, again = _post(url, token, z820_doc, "sha256:second", Retry(attempts=1))
        assert status == 200 and again == {**answer, "stored": False}
        assert _count(pool, "SELECT count(*) FROM scans") == 2
        assert _count(pool, "SELECT latest_scan_id FROM machines") == answer["scan_id"]
        assert _count(pool, "SELECT count(DISTINCT scan_id) FROM scan_ranges WHERE current") == 1
    finally:
        if proc.poll() is None:
            _kill(proc)


def test_agents_under_random_kills_store_every_push_exactly_once(
    database: str, pool: Any, z820_doc: dict[str, Any]
) -> None:
    """A bounded load test: 20 agents x 5 pushes while the server is killed -9 at random."""
    agents, pushes = 20, 5
    tokens = [db.add_token(pool, "agent") for _ in range(agents)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    state: dict[str, Any] = {"proc": serve_subprocess(database, port), "kills": 0}
    done = threading.Event()
    errors: list[BaseException] = []

    def killer() -> None:
        rnd = random.Random(7)
        for _ in range(4):  # at most four kills
            if done.wait(rnd.uniform(0.4, 1.2)):
                return
            _kill(state["proc"])
            state["kills"] += 1
            time.sleep(rnd.uniform(0.05, 0.3))
            state["proc"] = _restart(database, port)

    def agent(i: int) -> None:
        try:
            for j in range(pushes):
                doc = {**z820_doc, "machine": f"agent-{i:03d}"}
                retry = Retry(attempts=80, base=0.05, cap=1.0)  # rides out restarts on a busy machine
                _post(url, tokens[i], doc, f"sha256:{i}-{j}", retry)
                # a duplicate after success must not store twice either
                if j == 0:
                    _post(url, tokens[i], doc, f"sha256:{i}-{j}", retry)
        except BaseException as exc:  # reported below
            errors.append(exc)

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    threads = [threading.Thread(target=agent, args=(i,)) for i in range(agents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    done.set()
    kill_thread.join(timeout=60)
    try:
        assert not errors, errors[:3]
        assert state["kills"] >= 1, "the server was never killed: the test proved nothing"
        assert all(not t.is_alive() for t in threads)
        assert _count(pool, "SELECT count(*) FROM scans") == agents * pushes
        assert _count(pool, "SELECT count(DISTINCT (machine_id, idempotency_key)) FROM scans") == agents * pushes
        assert _count(pool, "SELECT count(*) FROM machines") == agents
        per_scan = _count(pool, "SELECT count(*) FROM scan_ranges") // (agents * pushes)
        assert _count(pool, "SELECT count(*) FROM scan_ranges") == per_scan * agents * pushes  # no partial scan
        assert _count(pool, "SELECT count(*) FROM scan_ranges WHERE current") == per_scan * agents
        assert _count(pool, "SELECT count(*) FROM machines m JOIN scans s ON s.id = m.latest_scan_id") == agents
    finally:
        if state["proc"].poll() is None:
            _kill(state["proc"])


def test_concurrent_retries_of_one_push_store_it_once(fleet: Fleet, z820_doc: dict[str, Any]) -> None:
    token = fleet.agent_token()
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def send() -> None:
        got = _post(fleet.url, token, z820_doc, "sha256:same", Retry(attempts=3, base=0.05))
        with lock:
            results.append(got)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 8
    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert len({answer["scan_id"] for _, answer in results}) == 1
    assert fleet.count("SELECT count(*) FROM scans") == 1


def test_serve_migrate_and_new_token_from_the_command_line(postgres: Any) -> None:
    import psycopg

    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(b'CREATE DATABASE "fleet_cli_migrate"')
    dsn = postgres.dsn("fleet_cli_migrate")
    port = free_port()
    try:
        with pytest.raises(AssertionError, match="pending"):
            serve_subprocess(dsn, port)  # refuses to serve an unmigrated database
        run = subprocess.run
        cmd = [sys.executable, "-m", "netatlas.cli", "serve", "--db", dsn]
        env = {**os.environ, "PYTHONPATH": str(Z820.parents[1] / "src")}
        first = run([*cmd, "--migrate", "--json"], capture_output=True, text=True, env=env, check=True, timeout=60)
        assert json.loads(first.stdout)["applied"] == ["001_initial"]
        second = run([*cmd, "--migrate", "--json"], capture_output=True, text=True, env=env, check=True, timeout=60)
        assert json.loads(second.stdout)["applied"] == []
        tok = run([*cmd, "--new-token", "admin", "--json"], capture_output=True, text=True, env=env, check=True)
        token = json.loads(tok.stdout)["token"]
        proc = serve_subprocess(dsn, port)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
                assert json.loads(resp.read())["pending_migrations"] == []
            assert request(f"http://127.0.0.1:{port}", "/api/v1/machines", token)[1]["machines"] == []
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10) as resp:
                paths = json.loads(resp.read())["paths"]
            assert {"/api/v1/scans", "/api/v1/collisions", "/api/v1/plan"} <= set(paths)
        finally:
            _kill(proc)
    finally:
        with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
            conn.execute(b'DROP DATABASE "fleet_cli_migrate" WITH (FORCE)')
